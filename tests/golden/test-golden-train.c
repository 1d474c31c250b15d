/* Golden training: liblstm's trainer against PyTorch's, step by step.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * tests/golden/make_golden_train.py trained each case in PyTorch from the
 * initial model CASE.init.safetensors; CASE.golden.safetensors holds the
 * data, the loss of every optimizer step and the final weights. The
 * trainer, from the same weights and data with the same options, must give
 * the same losses and weights within 1e-4. The largest absolute and
 * relative errors are reported per tensor.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-private.h"

#define TOLERANCE 1e-4

static const gchar *const cases[] = {
  "lstm-adam-mse",
  "lstm-scaled-adam-mse",
  "lstm2-tbptt-varlen-mae",
  "gru2-ce-frames-sgd",
  "lstm-bi-ce-last",
  "gru-bce",
  "lstm-nobias-sgd-every-frame",
  "lstm-ce-clip-mean",
  "lag-gru-skip-adam-mse-tbptt",
  "grurb2-adam-ce-frames-tbptt",
  "bigrurb-nobias-sgd-mse",
};

static float *
read_tensor (LstmStFile *st, const gchar *name, guint64 *n_out)
{
  g_autoptr (GError) error = NULL;
  LstmStTensor *t = g_hash_table_lookup (st->tensors, name);
  float *buf;

  g_assert_nonnull (t);
  buf = g_new (float, MAX (t->n_elements, 1));
  g_assert_true (lstm_st_tensor_read_f32 (st, t, buf, &error));
  g_assert_no_error (error);
  if (n_out)
    *n_out = t->n_elements;
  return buf;
}

static gboolean
collect_loss (const LstmTrainProgress *p, gpointer data)
{
  if (!p->epoch_done && !isnan (p->step_loss))
    g_array_append_val ((GArray *) data, p->step_loss);
  return TRUE;
}

/* Largest absolute and relative error of @n values; reports them. */
static double
compare (const gchar *name, const float *got, const float *want, gsize n)
{
  double abs_err = 0, rel_err = 0;
  gsize i;

  for (i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]);
    abs_err = MAX (abs_err, d);
    rel_err = MAX (rel_err, d / MAX (fabs (want[i]), 1e-3));
  }
  g_test_message ("%-28s %5" G_GSIZE_FORMAT " values  max abs %.3g  max rel "
      "%.3g", name, n, abs_err, rel_err);
  return abs_err;
}

static void
test_case (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *init_path = NULL, *gold_path = NULL, *init_file = NULL;
  g_autofree gchar *gold_file = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) init = NULL, trained = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LstmStFile) st = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (LstmDataset) ds = NULL;
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *x = NULL, *lengths = NULL, *y = NULL, *mask = NULL;
  g_autofree float *classes = NULL, *cls = NULL, *want_losses = NULL;
  LstmTrainerOptions o;
  JsonObject *cfg;
  const gchar *kind, *s;
  guint64 n_lengths, n_x, n_losses;
  guint I, O, n_seq, Tmax, i, t;
  double worst = 0;

  init_file = g_strdup_printf ("%s.init.safetensors", name);
  gold_file = g_strdup_printf ("%s.golden.safetensors", name);
  init_path = g_test_build_filename (G_TEST_DIST, "golden", "train",
      init_file, NULL);
  gold_path = g_test_build_filename (G_TEST_DIST, "golden", "train",
      gold_file, NULL);

  init = lstm_model_load (init_path, &error);
  g_assert_no_error (error);
  mapped = g_mapped_file_new (gold_path, FALSE, &error);
  g_assert_no_error (error);
  bytes = g_mapped_file_get_bytes (mapped);
  st = lstm_st_file_parse (bytes, gold_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (st->metadata, "golden.version"), ==,
      "1");
  g_assert_true (json_parser_load_from_data (parser,
          g_hash_table_lookup (st->metadata, "golden.config"), -1, &error));
  cfg = json_node_get_object (json_parser_get_root (parser));

  /* the data */
  I = lstm_model_get_input_size (init);
  O = lstm_model_get_output_size (init);
  lengths = read_tensor (st, "lengths", &n_lengths);
  x = read_tensor (st, "x", &n_x);
  n_seq = (guint) n_lengths;
  Tmax = (guint) (n_x / n_seq / I);
  kind = json_object_get_string_member (cfg, "kind");
  if (strcmp (kind, "values") == 0) {
    ds = lstm_dataset_new (I, LSTM_TARGET_FRAME_VALUES, O, &error);
    y = read_tensor (st, "y", NULL);
    mask = read_tensor (st, "mask", NULL);
  } else if (strcmp (kind, "frame-class") == 0) {
    ds = lstm_dataset_new (I, LSTM_TARGET_FRAME_CLASS, O, &error);
    classes = read_tensor (st, "classes", NULL);
  } else {
    ds = lstm_dataset_new (I, LSTM_TARGET_SEQUENCE_CLASS, O, &error);
    cls = read_tensor (st, "class", NULL);
  }
  g_assert_no_error (error);
  for (i = 0; i < n_seq; i++) {
    guint T = (guint) lengths[i];
    const float *xi = x + (gsize) i * Tmax * I;
    if (y != NULL) {
      g_autofree guint8 *m = g_new (guint8, T);
      for (t = 0; t < T; t++)
        m[t] = mask[(gsize) i * Tmax + t] > 0;
      lstm_dataset_add_with_values (ds, xi, T, y + (gsize) i * Tmax * O, m,
          &error);
    } else if (classes != NULL) {
      g_autofree guint *c = g_new (guint, T);
      for (t = 0; t < T; t++) {
        float v = classes[(gsize) i * Tmax + t];
        c[t] = v < 0 ? LSTM_TARGET_IGNORE : (guint) v;
      }
      lstm_dataset_add_with_frame_classes (ds, xi, T, c, &error);
    } else {
      lstm_dataset_add_with_class (ds, xi, T, (guint) cls[i], &error);
    }
    g_assert_no_error (error);
  }

  /* the options */
  lstm_trainer_options_init (&o);
  g_assert_true (lstm_optimizer_from_string (json_object_get_string_member
          (cfg, "optimizer"), &o.optimizer));
  g_assert_true (lstm_loss_from_string (json_object_get_string_member (cfg,
              "loss"), &o.loss));
  g_assert_true (lstm_schedule_from_string (json_object_get_string_member
          (cfg, "schedule"), &o.schedule));
  o.learning_rate = json_object_get_double_member (cfg, "learning_rate");
  o.beta1 = json_object_get_double_member (cfg, "beta1");
  o.beta2 = json_object_get_double_member (cfg, "beta2");
  o.eps = json_object_get_double_member (cfg, "eps");
  o.momentum = json_object_get_double_member (cfg, "momentum");
  o.nesterov = json_object_get_boolean_member (cfg, "nesterov");
  o.weight_decay = json_object_get_double_member (cfg, "weight_decay");
  o.clip_norm = json_object_get_double_member (cfg, "clip_norm");
  o.step_size = (guint) json_object_get_int_member (cfg, "step_size");
  o.gamma = json_object_get_double_member (cfg, "gamma");
  o.min_lr = json_object_get_double_member (cfg, "min_lr");
  o.epochs = (guint) json_object_get_int_member (cfg, "epochs");
  o.batch_size = (guint) json_object_get_int_member (cfg, "batch_size");
  o.sequence_length = (guint) json_object_get_int_member (cfg,
      "sequence_length");
  o.every_frame = json_object_get_boolean_member (cfg, "every_frame");
  if (json_object_has_member (cfg, "clip_loss"))
    g_assert_true (lstm_clip_loss_from_string (json_object_get_string_member
            (cfg, "clip_loss"), &o.clip_loss));
  o.shuffle = FALSE;

  tr = lstm_trainer_new (init, &o, &error);
  g_assert_no_error (error);
  lstm_trainer_set_progress_func (tr, collect_loss, losses, NULL);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_is_finished (tr));

  /* losses, step by step */
  want_losses = read_tensor (st, "expected.losses", &n_losses);
  g_assert_cmpuint (losses->len, ==, n_losses);
  {
    g_autofree float *got = g_new (float, MAX (n_losses, 1));
    for (i = 0; i < n_losses; i++)
      got[i] = (float) g_array_index (losses, double, i);
    worst = MAX (worst, compare ("losses", got, want_losses, n_losses));
  }

  /* final weights, tensor by tensor */
  trained = lstm_trainer_get_model (tr);
  for (i = 0; i < trained->n_tensors; i++) {
    LstmParamTensor *pt = &trained->tensors[i];
    g_autofree gchar *key = g_strconcat ("expected.", pt->name, NULL);
    guint64 n;
    g_autofree float *want = read_tensor (st, key, &n);
    g_assert_cmpuint (n, ==, pt->size);
    worst = MAX (worst, compare (pt->name, trained->params + pt->offset,
            want, pt->size));
  }
  s = lstm_model_get_metadata (trained, "lstm.training");
  g_assert_nonnull (s);
  g_assert_cmpfloat (worst, <=, TOLERANCE);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/golden/train/%s", cases[i]);
    g_test_add_data_func (path, cases[i], test_case);
  }
  return g_test_run ();
}
