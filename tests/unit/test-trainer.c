/* Unit tests: datasets and the trainer through the public API
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#define ARCH_LSTM(I, H, O, ACT) \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":" #I \
  ",\"hidden_size\":" #H "},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":" #O ",\"activation\":\"" ACT "\"}]"

static LstmModel *
new_model (const gchar *arch, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  LstmModelOptions mo = { 0 };
  LstmModel *m;

  mo.seed = seed;
  m = lstm_model_new (arch, &mo, &error);
  g_assert_no_error (error);
  return m;
}

/* Sequences of random frames; values target: a running mean of input 0
 * (needs memory), classes: whether the sum of input 0 is positive. */
static LstmDataset *
make_dataset (LstmTargetKind kind, guint n_seq, guint min_len,
    guint max_len, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  LstmDataset *ds;
  GRand *r = g_rand_new_with_seed (seed);
  guint i, t;

  ds = lstm_dataset_new (2, kind, 2, &error);
  g_assert_no_error (error);
  for (i = 0; i < n_seq; i++) {
    guint T = (guint) g_rand_int_range (r, min_len, max_len + 1);
    g_autofree float *x = g_new (float, T * 2);
    g_autofree float *y = g_new (float, T * 2);
    g_autofree guint *c = g_new (guint, T);
    double sum = 0;

    for (t = 0; t < T; t++) {
      x[2 * t] = (float) g_rand_double_range (r, -1, 1);
      x[2 * t + 1] = (float) g_rand_double_range (r, -1, 1);
      sum += x[2 * t];
      y[2 * t] = (float) (sum / (t + 1));
      y[2 * t + 1] = x[2 * t + 1] * 0.5f;
      c[t] = sum > 0;
    }
    if (kind == LSTM_TARGET_FRAME_VALUES)
      lstm_dataset_add_with_values (ds, x, T, y, NULL, &error);
    else if (kind == LSTM_TARGET_FRAME_CLASS)
      lstm_dataset_add_with_frame_classes (ds, x, T, c, &error);
    else
      lstm_dataset_add_with_class (ds, x, T, c[T - 1], &error);
    g_assert_no_error (error);
  }
  g_rand_free (r);
  return ds;
}

static GBytes *
trained_bytes (LstmTrainer *tr)
{
  g_autoptr (LstmModel) m = lstm_trainer_get_model (tr);
  g_autoptr (GError) error = NULL;
  GBytes *b;

  /* the weights only: lstm.training differs between runs that stop */
  g_autoptr (LstmModel) clean = lstm_model_with_metadata (m, "lstm.training",
      "", &error);
  g_assert_no_error (error);
  b = lstm_model_save_to_bytes (clean, &error);
  g_assert_no_error (error);
  return b;
}

/* ---- datasets ---- */

static void
test_dataset_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmDataset) ds = NULL;
  float x[6] = { 0, 1, 2, 3, 4, 5 };
  float y[6] = { 0, 0, 0, 0, 0, 0 };
  guint c[3] = { 0, 1, 0 };

  g_assert_null (lstm_dataset_new (0, LSTM_TARGET_FRAME_VALUES, 1, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);

  ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_VALUES, 2, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_dataset_add_with_values (ds, x, 3, y, NULL, &error));
  /* NaN in a frame: the message names sequence, frame and value */
  x[3] = NAN;
  g_assert_false (lstm_dataset_add_with_values (ds, x, 3, y, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "sequence 1, frame 1, value 1"));
  g_clear_error (&error);
  x[3] = 3;
  /* infinite target, unless that frame is masked out */
  y[4] = INFINITY;
  g_assert_false (lstm_dataset_add_with_values (ds, x, 3, y, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "frame 2"));
  g_clear_error (&error);
  {
    guint8 mask[3] = { 1, 1, 0 };
    g_assert_true (lstm_dataset_add_with_values (ds, x, 3, y, mask, &error));
    g_assert_no_error (error);
  }
  y[4] = 0;
  /* empty sequence, wrong kind */
  g_assert_false (lstm_dataset_add_with_values (ds, x, 0, y, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lstm_dataset_add_with_class (ds, x, 3, 0, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (lstm_dataset_get_n_sequences (ds), ==, 2);
  g_assert_cmpuint (lstm_dataset_get_n_frames (ds), ==, 6);
  g_clear_pointer (&ds, lstm_dataset_free);

  /* classes out of range */
  ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_CLASS, 2, &error);
  c[1] = 2;
  g_assert_false (lstm_dataset_add_with_frame_classes (ds, x, 3, c, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  c[1] = LSTM_TARGET_IGNORE;
  g_assert_true (lstm_dataset_add_with_frame_classes (ds, x, 3, c, &error));
  g_clear_pointer (&ds, lstm_dataset_free);
  ds = lstm_dataset_new (2, LSTM_TARGET_SEQUENCE_CLASS, 3, &error);
  g_assert_false (lstm_dataset_add_with_class (ds, x, 3, 3, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

/* ---- options and data that the trainer refuses ---- */

typedef struct {
  const gchar *name;
  void (*set) (LstmTrainerOptions *o);
} BadOption;

static void bad_lr (LstmTrainerOptions *o) { o->learning_rate = 0; }
static void bad_lr_nan (LstmTrainerOptions *o) { o->learning_rate = NAN; }
static void bad_beta (LstmTrainerOptions *o) { o->beta2 = 1.0; }
static void bad_batch (LstmTrainerOptions *o) { o->batch_size = 0; }
static void bad_epochs (LstmTrainerOptions *o) { o->epochs = 0; }
static void bad_clip (LstmTrainerOptions *o) { o->clip_norm = -1; }
static void bad_val (LstmTrainerOptions *o) { o->validation_fraction = 1; }
static void bad_nesterov (LstmTrainerOptions *o) { o->nesterov = TRUE; }
static void bad_step (LstmTrainerOptions *o)
{
  o->schedule = LSTM_SCHEDULE_STEP;
  o->step_size = 0;
}
static void bad_desc (LstmTrainerOptions *o) { o->data_description = "[1]"; }

static const BadOption bad_options[] = {
  {"learning-rate-zero", bad_lr},
  {"learning-rate-nan", bad_lr_nan},
  {"beta2-one", bad_beta},
  {"batch-size-zero", bad_batch},
  {"epochs-zero", bad_epochs},
  {"clip-negative", bad_clip},
  {"validation-fraction-one", bad_val},
  {"nesterov-without-momentum", bad_nesterov},
  {"step-size-zero", bad_step},
  {"data-description-not-object", bad_desc},
};

static void
test_bad_option (gconstpointer data)
{
  const BadOption *b = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "none"), 1);
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  b->set (&o);
  g_assert_null (lstm_trainer_new (m, &o, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

static void
test_bad_data (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "softmax"), 1);
  g_autoptr (LstmModel) m3 = new_model (ARCH_LSTM (3, 4, 2, "none"), 1);
  g_autoptr (LstmTrainer) tr = lstm_trainer_new (m, NULL, &error);
  g_autoptr (LstmTrainer) tr3 = lstm_trainer_new (m3, NULL, &error);
  g_autoptr (LstmDataset) empty = lstm_dataset_new (2,
      LSTM_TARGET_FRAME_VALUES, 2, &error);
  g_autoptr (LstmDataset) values = make_dataset (LSTM_TARGET_FRAME_VALUES,
      3, 4, 6, 1);
  g_autoptr (LstmDataset) classes = make_dataset (LSTM_TARGET_FRAME_CLASS,
      3, 4, 6, 1);
  LstmTrainerOptions o;

  g_assert_false (lstm_trainer_train (tr, empty, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);
  g_assert_false (lstm_trainer_train (tr3, values, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE);
  g_clear_error (&error);
  /* cross-entropy on value targets */
  lstm_trainer_options_init (&o);
  o.loss = LSTM_LOSS_CROSS_ENTROPY;
  g_clear_pointer (&tr, lstm_trainer_free);
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_false (lstm_trainer_train (tr, values, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* binary cross-entropy on a softmax head */
  o.loss = LSTM_LOSS_BINARY_CROSS_ENTROPY;
  g_clear_pointer (&tr, lstm_trainer_free);
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_false (lstm_trainer_train (tr, values, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* validation split of a single sequence */
  o.loss = LSTM_LOSS_AUTO;
  o.validation_fraction = 0.5;
  g_clear_pointer (&tr, lstm_trainer_free);
  g_clear_pointer (&classes, lstm_dataset_free);
  classes = make_dataset (LSTM_TARGET_FRAME_CLASS, 1, 4, 6, 1);
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_false (lstm_trainer_train (tr, classes, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

/* A bidirectional model needs whole sequences. */
static void
test_bidirectional_window (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model ("[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":3,\"bidirectional\":true},"
      "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2}]", 1);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_FRAME_VALUES, 4, 10,
      20, 2);
  g_autoptr (LstmTrainer) tr = NULL;
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  o.sequence_length = 5;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_false (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_clear_pointer (&tr, lstm_trainer_free);
  o.sequence_length = 0;
  o.epochs = 2;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_no_error (error);
}

/* ---- determinism ---- */

static LstmTrainer *
run (LstmModel *m, LstmTrainerOptions *o, LstmDataset *ds)
{
  g_autoptr (GError) error = NULL;
  LstmTrainer *tr = lstm_trainer_new (m, o, &error);

  g_assert_no_error (error);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_no_error (error);
  return tr;
}

static void
test_deterministic (void)
{
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 6, 2, "none"), 4);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_FRAME_VALUES, 10, 5,
      30, 3);
  g_autoptr (LstmTrainer) a = NULL, b = NULL, c = NULL;
  g_autoptr (GBytes) ba = NULL, bb = NULL, bc = NULL;
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  o.epochs = 3;
  o.batch_size = 3;
  o.sequence_length = 7;
  o.seed = 11;
  a = run (m, &o, ds);
  b = run (m, &o, ds);
  o.seed = 12;
  c = run (m, &o, ds);
  ba = trained_bytes (a);
  bb = trained_bytes (b);
  bc = trained_bytes (c);
  g_assert_true (g_bytes_equal (ba, bb));
  /* another seed shuffles differently */
  g_assert_false (g_bytes_equal (ba, bc));
}

/* ---- learning at all ---- */

static void
test_learns (gconstpointer data)
{
  LstmTargetKind kind = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (kind == LSTM_TARGET_FRAME_VALUES ?
      ARCH_LSTM (2, 12, 2, "none") : ARCH_LSTM (2, 12, 2, "softmax"), 5);
  g_autoptr (LstmDataset) ds = make_dataset (kind, 64, 20, 30, 6);
  g_autoptr (LstmDataset) val = make_dataset (kind, 16, 20, 30, 7);
  g_autoptr (LstmTrainer) tr = NULL;
  const LstmEpochStats *h;
  LstmTrainerOptions o;
  guint n;

  lstm_trainer_options_init (&o);
  o.epochs = 30;
  o.batch_size = 8;
  o.learning_rate = 1e-2;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (tr, ds, val, &error));
  g_assert_no_error (error);
  h = lstm_trainer_get_history (tr, &n);
  g_assert_cmpuint (n, ==, 30);
  g_test_message ("loss %.4f -> %.4f, val %.4f -> %.4f, val accuracy %.3f",
      h[0].loss, h[n - 1].loss, h[0].val_loss, h[n - 1].val_loss,
      h[n - 1].val_accuracy);
  g_assert_cmpfloat (h[n - 1].val_loss, <, h[0].val_loss * 0.5);
  if (kind != LSTM_TARGET_FRAME_VALUES)
    g_assert_cmpfloat (h[n - 1].val_accuracy, >, 0.85);
  else
    g_assert_true (isnan (h[n - 1].val_accuracy));
}

/* ---- masking: padded frames change nothing ---- */

/* Training on {A, B} equals training on {A padded to B's length with
 * garbage frames whose targets are masked out, B}: a short sequence in a
 * batch behaves exactly as if it were padded and masked, PyTorch style. */
static void
test_masking (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 5, 2, "tanh"), 8);
  g_autoptr (LstmDataset) plain = lstm_dataset_new (2,
      LSTM_TARGET_FRAME_VALUES, 2, &error);
  g_autoptr (LstmDataset) padded = lstm_dataset_new (2,
      LSTM_TARGET_FRAME_VALUES, 2, &error);
  g_autoptr (LstmTrainer) a = NULL, b = NULL;
  g_autoptr (GBytes) ba = NULL, bb = NULL;
  GRand *r = g_rand_new_with_seed (9);
  float xa[50], ya[50], xb[50], yb[50];
  guint8 mask[25];
  LstmTrainerOptions o;
  const LstmEpochStats *ha, *hb;
  guint i, na, nb;

  for (i = 0; i < 50; i++) {
    xa[i] = (float) g_rand_double_range (r, -1, 1);
    ya[i] = (float) g_rand_double_range (r, -1, 1);
    xb[i] = (float) g_rand_double_range (r, -1, 1);
    yb[i] = (float) g_rand_double_range (r, -1, 1);
  }
  for (i = 0; i < 25; i++)
    mask[i] = i < 10;
  lstm_dataset_add_with_values (plain, xa, 10, ya, NULL, &error);
  lstm_dataset_add_with_values (plain, xb, 25, yb, NULL, &error);
  /* A's frames 10..24 are garbage, their targets masked */
  for (i = 20; i < 50; i++) {
    xa[i] = (float) g_rand_double_range (r, -50, 50);
    ya[i] = (float) g_rand_double_range (r, -50, 50);
  }
  lstm_dataset_add_with_values (padded, xa, 25, ya, mask, &error);
  lstm_dataset_add_with_values (padded, xb, 25, yb, NULL, &error);
  g_assert_no_error (error);
  g_rand_free (r);

  lstm_trainer_options_init (&o);
  o.epochs = 4;
  o.batch_size = 2;
  o.sequence_length = 6;
  o.shuffle = FALSE;
  a = run (m, &o, plain);
  b = run (m, &o, padded);
  ba = trained_bytes (a);
  bb = trained_bytes (b);
  g_assert_true (g_bytes_equal (ba, bb));
  ha = lstm_trainer_get_history (a, &na);
  hb = lstm_trainer_get_history (b, &nb);
  g_assert_cmpuint (na, ==, nb);
  for (i = 0; i < na; i++)
    g_assert_cmpfloat (ha[i].loss, ==, hb[i].loss);
}

/* Frames whose class is LSTM_TARGET_IGNORE count for nothing: with the
 * ignored frames at the end of each sequence, changing their inputs and
 * their (ignored) classes changes nothing. */
static void
test_ignored_frames (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 5, 3, "softmax"), 8);
  g_autoptr (LstmDataset) d1 = lstm_dataset_new (2, LSTM_TARGET_FRAME_CLASS,
      3, &error);
  g_autoptr (LstmDataset) d2 = lstm_dataset_new (2, LSTM_TARGET_FRAME_CLASS,
      3, &error);
  g_autoptr (LstmTrainer) a = NULL, b = NULL;
  g_autoptr (GBytes) ba = NULL, bb = NULL;
  float x[40];
  guint c[20], i;
  LstmTrainerOptions o;

  for (i = 0; i < 40; i++)
    x[i] = sinf (i * 0.7f);
  for (i = 0; i < 20; i++)
    c[i] = i < 12 ? i % 3 : LSTM_TARGET_IGNORE;
  lstm_dataset_add_with_frame_classes (d1, x, 20, c, &error);
  for (i = 24; i < 40; i++)
    x[i] = 100.0f;
  lstm_dataset_add_with_frame_classes (d2, x, 20, c, &error);
  g_assert_no_error (error);
  lstm_trainer_options_init (&o);
  o.epochs = 3;
  o.sequence_length = 8;
  a = run (m, &o, d1);
  b = run (m, &o, d2);
  ba = trained_bytes (a);
  bb = trained_bytes (b);
  g_assert_true (g_bytes_equal (ba, bb));
}

/* ---- stopping, checkpoints, resuming ---- */

typedef struct {
  guint64 stop_at_step;
  gboolean stop_at_epoch_end;
  guint calls;
  guint epoch_calls;
  double last_fraction;
} StopCtl;

static gboolean
stop_cb (const LstmTrainProgress *p, gpointer data)
{
  StopCtl *s = data;

  s->calls++;
  g_assert_cmpuint (p->epoch, >=, 1);
  g_assert_cmpuint (p->epoch, <=, p->n_epochs);
  if (p->epoch_done) {
    s->epoch_calls++;
    g_assert_cmpfloat (p->epoch_fraction, ==, 1.0);
    return !s->stop_at_epoch_end;
  }
  g_assert_cmpfloat (p->epoch_fraction, >, 0.0);
  g_assert_cmpfloat (p->epoch_fraction, <=, 1.0);
  return s->stop_at_step == 0 || p->step < s->stop_at_step;
}

static void
resume_case (LstmOptimizer optimizer, guint64 stop_step, gboolean at_epoch)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 6, 2, "softmax"), 21);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_FRAME_CLASS, 13, 5,
      23, 22);
  g_autoptr (LstmTrainer) full = NULL, part = NULL, resumed = NULL;
  g_autoptr (GBytes) bf = NULL, br = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-ckpt-XXXXXX", NULL);
  g_autofree gchar *ck = g_build_filename (dir, "run.ckpt.safetensors", NULL);
  g_autoptr (LstmModel) from_ck = NULL;
  const LstmEpochStats *hf, *hr;
  StopCtl ctl = { 0 };
  LstmTrainerOptions o;
  guint nf, nr, i;

  lstm_trainer_options_init (&o);
  o.optimizer = optimizer;
  o.learning_rate = optimizer == LSTM_OPTIMIZER_SGD ? 0.1 : 5e-3;
  o.momentum = optimizer == LSTM_OPTIMIZER_SGD ? 0.9 : 0.0;
  o.weight_decay = 1e-3;
  o.clip_norm = 1.0;
  o.schedule = LSTM_SCHEDULE_COSINE;
  o.epochs = 4;
  o.batch_size = 4;
  o.sequence_length = 6;
  o.validation_fraction = 0.25;
  o.patience = 3;
  o.seed = 5;

  full = run (m, &o, ds);
  bf = trained_bytes (full);

  o.checkpoint_path = ck;
  o.checkpoint_interval = 1;
  part = lstm_trainer_new (m, &o, &error);
  ctl.stop_at_step = stop_step;
  ctl.stop_at_epoch_end = at_epoch;
  lstm_trainer_set_progress_func (part, stop_cb, &ctl, NULL);
  g_assert_true (lstm_trainer_train (part, ds, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lstm_trainer_is_finished (part));
  g_assert_true (g_file_test (ck, G_FILE_TEST_EXISTS));
  /* a checkpoint is a model file too */
  from_ck = lstm_model_load (ck, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lstm_model_get_metadata (from_ck, "lstm.checkpoint"));

  resumed = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_resume (resumed, ck, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_train (resumed, ds, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_is_finished (resumed));
  br = trained_bytes (resumed);
  g_assert_true (g_bytes_equal (bf, br));
  g_assert_cmpuint (lstm_trainer_get_step (full), ==,
      lstm_trainer_get_step (resumed));
  hf = lstm_trainer_get_history (full, &nf);
  hr = lstm_trainer_get_history (resumed, &nr);
  g_assert_cmpuint (nf, ==, nr);
  for (i = 0; i < nf; i++) {
    g_assert_cmpfloat (hf[i].loss, ==, hr[i].loss);
    g_assert_cmpfloat (hf[i].accuracy, ==, hr[i].accuracy);
    g_assert_cmpfloat (hf[i].val_loss, ==, hr[i].val_loss);
  }
  g_remove (ck);
  g_rmdir (dir);
}

static void
test_resume_mid_batch (void)
{
  /* step 3: inside the first batch (windows of 6 over up to 23 frames) */
  resume_case (LSTM_OPTIMIZER_ADAM, 3, FALSE);
}

static void
test_resume_mid_epoch (void)
{
  resume_case (LSTM_OPTIMIZER_ADAM, 9, FALSE);
}

static void
test_resume_epoch_end (void)
{
  resume_case (LSTM_OPTIMIZER_ADAM, 0, TRUE);
}

static void
test_resume_sgd (void)
{
  resume_case (LSTM_OPTIMIZER_SGD, 14, FALSE);
}

/* Stopping and calling train() again also continues exactly. */
static void
test_stop_continue (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 5, 2, "none"), 31);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_FRAME_VALUES, 9, 5,
      15, 32);
  g_autoptr (LstmTrainer) full = NULL, part = NULL;
  g_autoptr (GBytes) bf = NULL, bp = NULL;
  StopCtl ctl = { 0 };
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  o.epochs = 3;
  o.batch_size = 2;
  o.sequence_length = 4;
  full = run (m, &o, ds);
  part = lstm_trainer_new (m, &o, &error);
  ctl.stop_at_step = 5;
  lstm_trainer_set_progress_func (part, stop_cb, &ctl, NULL);
  g_assert_true (lstm_trainer_train (part, ds, NULL, &error));
  g_assert_false (lstm_trainer_is_finished (part));
  g_assert_cmpuint (lstm_trainer_get_step (part), ==, 5);
  ctl.stop_at_step = 0;
  g_assert_true (lstm_trainer_train (part, ds, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_is_finished (part));
  g_assert_cmpuint (ctl.epoch_calls, ==, 3);
  bf = trained_bytes (full);
  bp = trained_bytes (part);
  g_assert_true (g_bytes_equal (bf, bp));
}

/* Resuming with other data is refused. */
static void
test_resume_other_data (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 5, 2, "none"), 31);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_FRAME_VALUES, 6, 5,
      9, 33);
  g_autoptr (LstmDataset) other = make_dataset (LSTM_TARGET_FRAME_VALUES, 6,
      5, 9, 34);
  g_autoptr (LstmTrainer) a = NULL, b = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-ckpt-XXXXXX", NULL);
  g_autofree gchar *ck = g_build_filename (dir, "c.safetensors", NULL);
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  o.epochs = 1;
  o.checkpoint_path = ck;
  a = run (m, &o, ds);
  b = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_resume (b, ck, &error));
  g_assert_false (lstm_trainer_train (b, other, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* not a checkpoint */
  g_clear_pointer (&b, lstm_trainer_free);
  b = lstm_trainer_new (m, &o, &error);
  {
    g_autoptr (LstmModel) plain = lstm_trainer_get_model (a);
    g_assert_true (lstm_model_save (plain, ck, &error));
  }
  g_assert_false (lstm_trainer_resume (b, ck, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_remove (ck);
  g_rmdir (dir);
}

/* ---- divergence ---- */

static void
test_diverged (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 1, "none"), 41);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_VALUES,
      1, &error);
  g_autoptr (LstmTrainer) tr = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-ckpt-XXXXXX", NULL);
  g_autofree gchar *ck = g_build_filename (dir, "c.safetensors", NULL);
  g_autofree gchar *before = NULL, *after = NULL;
  gsize len_before = 0, len_after = 0;
  g_autoptr (LstmModel) last = NULL;
  float x[40], y[20];
  guint i, e;
  LstmTrainerOptions o;

  for (i = 0; i < 40; i++)
    x[i] = (float) (i % 7) - 3.0f;
  for (i = 0; i < 20; i++)
    y[i] = 1e3f * (float) (i % 3);
  for (i = 0; i < 4; i++)
    lstm_dataset_add_with_values (ds, x, 20, y, NULL, &error);
  g_assert_no_error (error);

  lstm_trainer_options_init (&o);
  o.optimizer = LSTM_OPTIMIZER_SGD;
  o.learning_rate = 10;           /* far past stability: grows ~19x a step */
  o.epochs = 50;
  o.batch_size = 4;
  o.checkpoint_path = ck;
  o.checkpoint_interval = 1;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_false (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_DIVERGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, ck));
  /* the checkpoint holds the last good epoch: loadable, finite */
  g_assert_true (g_file_get_contents (ck, &before, &len_before, NULL));
  last = lstm_model_load (ck, NULL);
  g_assert_nonnull (last);
  e = (guint) lstm_trainer_get_step (tr);
  g_test_message ("diverged after %u steps", e);
  g_assert_cmpuint (e, >=, 1);
  /* and it is not touched by a second failing call */
  g_clear_error (&error);
  g_assert_false (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_DIVERGED);
  g_assert_true (g_file_get_contents (ck, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  g_remove (ck);
  g_rmdir (dir);
}

/* An update that makes weights non-finite (finite gradients, a learning
 * rate of 3e38) stops training with the weights of before that step: the
 * trained model computes exactly what the untrained one does. */
static void
test_diverged_update (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 1, "none"), 43);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_VALUES,
      1, &error);
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (LstmModel) after = NULL;
  float x[40], y[20], out0[20], out1[20];
  guint i;
  LstmTrainerOptions o;

  for (i = 0; i < 40; i++)
    x[i] = (float) (i % 7) - 3.0f;
  for (i = 0; i < 20; i++)
    y[i] = 10.0f * (float) (i % 3);
  lstm_dataset_add_with_values (ds, x, 20, y, NULL, &error);
  g_assert_no_error (error);
  lstm_trainer_options_init (&o);
  o.optimizer = LSTM_OPTIMIZER_SGD;
  o.learning_rate = 3e38;
  o.clip_norm = 0;
  o.epochs = 5;
  o.batch_size = 1;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_no_error (error);
  g_assert_false (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_DIVERGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "update made weights non-finite"));
  g_assert_cmpuint (lstm_trainer_get_step (tr), ==, 0);
  after = lstm_trainer_get_model (tr);
  g_assert_true (lstm_model_forward_sequence (m, x, 20, out0, NULL));
  g_assert_true (lstm_model_forward_sequence (after, x, 20, out1, NULL));
  for (i = 0; i < 20; i++)
    g_assert_true (isfinite (out1[i]));
  g_assert_cmpmem (out0, sizeof out0, out1, sizeof out1);
}

/* ---- validation, early stopping, evaluate ---- */

static void
test_early_stopping (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (1, 4, 1, "none"), 51);
  g_autoptr (LstmDataset) train = lstm_dataset_new (1,
      LSTM_TARGET_FRAME_VALUES, 1, &error);
  g_autoptr (LstmDataset) val = lstm_dataset_new (1,
      LSTM_TARGET_FRAME_VALUES, 1, &error);
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (LstmModel) best = NULL;
  const LstmEpochStats *h;
  float x[10], yp[10], yn[10];
  double loss, acc;
  guint i, n, best_i = 0;
  LstmTrainerOptions o;

  /* training wants +1, validation wants -1: validation gets worse as
   * training goes on */
  for (i = 0; i < 10; i++) {
    x[i] = 0.5f;
    yp[i] = 1.0f;
    yn[i] = -1.0f;
  }
  for (i = 0; i < 4; i++)
    lstm_dataset_add_with_values (train, x, 10, yp, NULL, &error);
  lstm_dataset_add_with_values (val, x, 10, yn, NULL, &error);
  lstm_trainer_options_init (&o);
  o.epochs = 40;
  o.learning_rate = 0.05;
  o.patience = 2;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (tr, train, val, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_is_finished (tr));
  h = lstm_trainer_get_history (tr, &n);
  g_assert_cmpuint (n, <, 40);
  for (i = 1; i < n; i++)
    if (h[i].val_loss < h[best_i].val_loss)
      best_i = i;
  g_assert_cmpuint (n, ==, best_i + 1 + 2);
  /* the best weights came back: evaluating gives the best epoch's loss */
  g_assert_true (lstm_trainer_evaluate (tr, val, &loss, &acc, &error));
  g_assert_cmpfloat (loss, ==, h[best_i].val_loss);
  g_assert_true (isnan (acc));
  best = lstm_trainer_get_model (tr);
  g_assert_nonnull (strstr (lstm_model_get_metadata (best, "lstm.training"),
          "\"early_stopped\":true"));
}

static void
test_training_metadata (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 5, 2, "softmax"), 61);
  g_autoptr (LstmDataset) ds = make_dataset (LSTM_TARGET_SEQUENCE_CLASS, 8,
      5, 9, 62);
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (LstmModel) out = NULL, loaded = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const gchar *t;
  LstmTrainerOptions o;

  lstm_trainer_options_init (&o);
  o.epochs = 2;
  o.validation_fraction = 0.25;
  o.data_description = "{\"source\":\"unit test\"}";
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_no_error (error);
  out = lstm_trainer_get_model (tr);
  bytes = lstm_model_save_to_bytes (out, &error);
  loaded = lstm_model_load_from_bytes (bytes, "trained", &error);
  g_assert_no_error (error);
  t = lstm_model_get_metadata (loaded, "lstm.training");
  g_test_message ("%s", t);
  g_assert_nonnull (strstr (t, "\"optimizer\":\"adam\""));
  g_assert_nonnull (strstr (t, "\"loss\":\"cross-entropy\""));
  g_assert_nonnull (strstr (t, "\"epochs\":2"));
  g_assert_nonnull (strstr (t, "\"validation_sequences\":2"));
  g_assert_nonnull (strstr (t, "\"source\":\"unit test\""));
  g_assert_null (lstm_model_get_metadata (loaded, "lstm.checkpoint"));
  g_assert_cmpint (lstm_model_get_task (loaded), ==,
      LSTM_TASK_CLASSIFICATION);
}

/* Targets in large units: fitted through target scaling; the returned
 * model (and a checkpoint, as a model) outputs those units directly, and a
 * scaled run resumes bitwise. */
static void
test_target_scaling (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 8, 2, "none"), 71);
  g_autoptr (LstmDataset) src = make_dataset (LSTM_TARGET_FRAME_VALUES, 24,
      10, 20, 72);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_VALUES,
      2, &error);
  g_autoptr (LstmTrainer) tr = NULL, part = NULL, resumed = NULL;
  g_autoptr (LstmModel) out = NULL, from_ck = NULL;
  g_autoptr (GBytes) b1 = NULL, b2 = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-ckpt-XXXXXX", NULL);
  g_autofree gchar *ck = g_build_filename (dir, "s.safetensors", NULL);
  g_autofree float *pred = NULL, *pred_ck = NULL;
  const float mean[2] = { 1000.0f, -300.0f }, std[2] = { 50.0f, 20.0f };
  const LstmEpochStats *h;
  LstmTrainerOptions o;
  GRand *r = g_rand_new_with_seed (73);
  double se = 0;
  StopCtl ctl = { 0 };
  guint i, t, n;
  float x[40], y[40];

  /* targets: running mean scaled to large units */
  for (i = 0; i < 24; i++) {
    double sum = 0;
    for (t = 0; t < 20; t++) {
      x[2 * t] = (float) g_rand_double_range (r, -1, 1);
      x[2 * t + 1] = (float) g_rand_double_range (r, -1, 1);
      sum += x[2 * t];
      y[2 * t] = 1000.0f + 50.0f * (float) (sum / (t + 1));
      y[2 * t + 1] = -300.0f + 10.0f * x[2 * t + 1];
    }
    lstm_dataset_add_with_values (ds, x, 20, y, NULL, &error);
    g_assert_no_error (error);
  }
  g_rand_free (r);
  (void) src;

  lstm_trainer_options_init (&o);
  o.epochs = 40;
  o.batch_size = 6;
  o.learning_rate = 1e-2;
  o.target_mean = mean;
  o.target_std = std;
  tr = run (m, &o, ds);
  h = lstm_trainer_get_history (tr, &n);
  g_test_message ("mse %.3f -> %.3f", h[0].loss, h[n - 1].loss);
  /* scaling starts the outputs at the targets' mean; learning goes on
   * from there (without it, the bias would crawl towards 1000) */
  g_assert_cmpfloat (h[n - 1].loss, <, h[0].loss / 4);
  /* the returned model outputs the targets' units itself */
  out = lstm_trainer_get_model (tr);
  pred = g_new (float, 40);
  g_assert_true (lstm_model_forward_sequence (out, x, 20, pred, &error));
  for (t = 0; t < 20; t++)
    se += (pred[2 * t] - y[2 * t]) * (pred[2 * t] - y[2 * t]);
  g_test_message ("rmse of output 0 on the last sequence: %.3f",
      sqrt (se / 20));
  g_assert_cmpfloat (sqrt (se / 20), <, 15.0);

  /* scaling is refused where it makes no sense */
  {
    g_autoptr (LstmModel) soft = new_model (ARCH_LSTM (2, 4, 2, "softmax"),
        1);
    g_assert_null (lstm_trainer_new (soft, &o, &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_clear_error (&error);
  }

  /* stop, checkpoint, resume: bitwise */
  o.epochs = 5;
  g_clear_pointer (&tr, lstm_trainer_free);
  tr = run (m, &o, ds);
  o.checkpoint_path = ck;
  part = lstm_trainer_new (m, &o, &error);
  ctl.stop_at_step = 7;
  lstm_trainer_set_progress_func (part, stop_cb, &ctl, NULL);
  g_assert_true (lstm_trainer_train (part, ds, NULL, &error));
  g_assert_false (lstm_trainer_is_finished (part));
  /* the checkpoint is a working model: same outputs as the trainer's */
  from_ck = lstm_model_load (ck, &error);
  g_assert_no_error (error);
  g_clear_pointer (&out, lstm_model_unref);
  out = lstm_trainer_get_model (part);
  pred_ck = g_new (float, 40);
  g_assert_true (lstm_model_forward_sequence (from_ck, x, 20, pred_ck,
          &error));
  g_assert_true (lstm_model_forward_sequence (out, x, 20, pred, &error));
  g_assert_cmpmem (pred, 40 * sizeof (float), pred_ck, 40 * sizeof (float));
  resumed = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_resume (resumed, ck, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_train (resumed, ds, NULL, &error));
  g_assert_no_error (error);
  b1 = trained_bytes (tr);
  b2 = trained_bytes (resumed);
  g_assert_true (g_bytes_equal (b1, b2));
  g_remove (ck);
  g_rmdir (dir);
}

static void
test_enum_names (void)
{
  LstmLoss l;
  LstmOptimizer op;
  LstmSchedule s;

  g_assert_true (lstm_loss_from_string ("binary-cross-entropy", &l));
  g_assert_cmpint (l, ==, LSTM_LOSS_BINARY_CROSS_ENTROPY);
  g_assert_cmpstr (lstm_loss_to_string (LSTM_LOSS_MAE), ==, "mae");
  g_assert_false (lstm_loss_from_string ("hinge", &l));
  g_assert_true (lstm_optimizer_from_string ("sgd", &op));
  g_assert_cmpint (op, ==, LSTM_OPTIMIZER_SGD);
  g_assert_false (lstm_optimizer_from_string ("rmsprop", &op));
  g_assert_true (lstm_schedule_from_string ("cosine", &s));
  g_assert_cmpstr (lstm_schedule_to_string (LSTM_SCHEDULE_STEP), ==, "step");
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset/errors", test_dataset_errors);
  for (i = 0; i < G_N_ELEMENTS (bad_options); i++) {
    g_autofree gchar *path = g_strdup_printf ("/trainer/options/invalid/%s",
        bad_options[i].name);
    g_test_add_data_func (path, &bad_options[i], test_bad_option);
  }
  g_test_add_func ("/trainer/enums", test_enum_names);
  g_test_add_func ("/trainer/data/invalid", test_bad_data);
  g_test_add_func ("/trainer/bidirectional-window",
      test_bidirectional_window);
  g_test_add_func ("/trainer/deterministic", test_deterministic);
  g_test_add_data_func ("/trainer/learns/values",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_VALUES), test_learns);
  g_test_add_data_func ("/trainer/learns/frame-classes",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_CLASS), test_learns);
  g_test_add_func ("/trainer/masking/padded-frames", test_masking);
  g_test_add_func ("/trainer/masking/ignored-frames", test_ignored_frames);
  g_test_add_func ("/trainer/resume/mid-batch", test_resume_mid_batch);
  g_test_add_func ("/trainer/resume/mid-epoch", test_resume_mid_epoch);
  g_test_add_func ("/trainer/resume/epoch-end", test_resume_epoch_end);
  g_test_add_func ("/trainer/resume/sgd-momentum", test_resume_sgd);
  g_test_add_func ("/trainer/resume/other-data", test_resume_other_data);
  g_test_add_func ("/trainer/stop-and-continue", test_stop_continue);
  g_test_add_func ("/trainer/diverged", test_diverged);
  g_test_add_func ("/trainer/diverged-update", test_diverged_update);
  g_test_add_func ("/trainer/early-stopping", test_early_stopping);
  g_test_add_func ("/trainer/metadata", test_training_metadata);
  g_test_add_func ("/trainer/target-scaling", test_target_scaling);
  return g_test_run ();
}
