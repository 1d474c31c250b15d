/* libFuzzer target: model files (safetensors) through
 * lstm_model_load_from_bytes(); a model that loads is run for a few frames,
 * its feature configuration opened, and saved and loaded again (which must
 * succeed and give the same architecture).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include <lstm/lstm.h>

#include "fuzz-common.h"

#define N_FRAMES 3

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_setup (FALSE);
  return 0;
}

static void
exercise (LstmModel *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (LstmModel) again = NULL;
  g_autoptr (LstmFeatures) features = NULL;
  g_autofree gchar *arch = lstm_model_get_architecture (model);
  g_autofree gchar *arch2 = NULL;
  g_auto (GStrv) keys = lstm_model_list_metadata (model);
  g_autofree float *in = NULL, *out = NULL;
  guint in_size = lstm_model_get_input_size (model);
  guint out_size = lstm_model_get_output_size (model);
  const gchar *const *labels = lstm_model_get_labels (model);
  guint i;

  g_assert (arch != NULL);
  for (i = 0; keys != NULL && keys[i] != NULL; i++)
    g_assert (lstm_model_get_metadata (model, keys[i]) != NULL);
  for (i = 0; i < lstm_model_get_n_layers (model); i++) {
    LstmLayerInfo info;
    g_assert (lstm_model_get_layer_info (model, i, &info));
  }
  for (i = 0; labels != NULL && labels[i] != NULL; i++)
    g_assert (lstm_model_get_label_name (model, i) != NULL);
  (void) lstm_model_get_n_params (model);
  (void) lstm_model_get_flops_per_frame (model);

  /* a few frames: ramps, with a NaN in the last one */
  in = g_new (float, (gsize) N_FRAMES * MAX (in_size, 1));
  out = g_new (float, (gsize) N_FRAMES * MAX (out_size, 1));
  for (i = 0; i < N_FRAMES * in_size; i++)
    in[i] = (float) ((int) (i % 7) - 3) * 0.5f;
  if (lstm_model_is_streamable (model)) {
    LstmState *state = lstm_state_new (model);
    if (lstm_model_forward (model, state, in, N_FRAMES, out, NULL) &&
        in_size > 0) {
      in[in_size * (N_FRAMES - 1)] = NAN;
      (void) lstm_model_forward (model, state, in, N_FRAMES, out, NULL);
    }
    lstm_state_free (state);
  } else {
    (void) lstm_model_forward_sequence (model, in, N_FRAMES, out, NULL);
  }

  if (lstm_model_get_features (model) != NULL)
    features = lstm_features_new_for_model (model, NULL);

  saved = lstm_model_save_to_bytes (model, &error);
  g_assert_no_error (error);
  again = lstm_model_load_from_bytes (saved, "saved", &error);
  if (again == NULL)
    g_error ("a saved model does not load: %s", error->message);
  arch2 = lstm_model_get_architecture (again);
  g_assert_cmpstr (arch, ==, arch2);
  g_assert_cmpuint (lstm_model_get_n_params (model), ==,
      lstm_model_get_n_params (again));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = lstm_model_load_from_bytes (bytes, "fuzz",
      &error);

  if (model == NULL) {
    g_assert (error != NULL && error->message != NULL);
    return 0;
  }
  g_assert_no_error (error);
  exercise (model);
  return 0;
}
