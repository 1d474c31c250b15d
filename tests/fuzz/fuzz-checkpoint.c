/* libFuzzer target: training checkpoints through lstm_trainer_resume()
 * (lib/src/train/checkpoint.c). The input is the checkpoint file; a trainer
 * of fuzz-train.h's model (Adam, then SGD) resumes it, and when that works
 * trains on to the end, which must give a model that saves and loads.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <lstm/lstm.h>

#include "fuzz-common.h"
#include "fuzz-train.h"

static LstmModel *model;
static LstmDataset *dataset;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_setup (TRUE);
  model = fuzz_train_model ();
  dataset = fuzz_train_dataset ();
  g_assert (model != NULL && dataset != NULL);
  return 0;
}

static void
resume (const gchar *path, gboolean sgd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (LstmModel) trained = NULL, again = NULL;
  g_autoptr (GBytes) bytes = NULL;
  LstmTrainerOptions o;
  guint n_epochs = 0;

  fuzz_train_options (&o, sgd);
  tr = lstm_trainer_new (model, &o, &error);
  g_assert_no_error (error);
  if (!lstm_trainer_resume (tr, path, &error)) {
    g_assert (error != NULL && error->message != NULL);
    return;
  }
  g_assert_no_error (error);
  (void) lstm_trainer_get_history (tr, &n_epochs);
  if (!lstm_trainer_train (tr, dataset, NULL, &error)) {
    /* other data than the checkpoint's, or a diverged run: an error */
    g_assert (error != NULL && error->message != NULL);
    return;
  }
  trained = lstm_trainer_get_model (tr);
  g_assert (trained != NULL);
  bytes = lstm_model_save_to_bytes (trained, &error);
  g_assert_no_error (error);
  again = lstm_model_load_from_bytes (bytes, "trained", &error);
  if (again == NULL)
    g_error ("a trained model does not load: %s", error->message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *path = fuzz_write ("checkpoint.safetensors", data, size);

  resume (path, FALSE);
  resume (path, TRUE);
  return 0;
}
