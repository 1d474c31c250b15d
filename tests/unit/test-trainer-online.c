/* Unit tests: online training window by window (lstm_trainer_step and
 * friends) and dataset statistics, through the public API
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "alloc-counter.h"

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

/* A stream of @n frames of 2 values with targets: values (a running mean
 * of input 0 and half of input 1) or classes (whether the running sum of
 * input 0 is positive; every 7th frame without a class). */
typedef struct {
  gsize n;
  float *x;             /* (n, 2) */
  float *y;             /* (n, 2) */
  guint *c;             /* (n) */
} Stream;

static Stream *
stream_new (gsize n, guint32 seed)
{
  Stream *s = g_new0 (Stream, 1);
  GRand *r = g_rand_new_with_seed (seed);
  double sum = 0;
  gsize t;

  s->n = n;
  s->x = g_new (float, n * 2);
  s->y = g_new (float, n * 2);
  s->c = g_new (guint, n);
  for (t = 0; t < n; t++) {
    s->x[2 * t] = (float) g_rand_double_range (r, -1, 1);
    s->x[2 * t + 1] = (float) g_rand_double_range (r, -1, 1);
    sum += s->x[2 * t];
    s->y[2 * t] = (float) (sum / (t + 1));
    s->y[2 * t + 1] = s->x[2 * t + 1] * 0.5f;
    s->c[t] = t % 7 == 3 ? LSTM_TARGET_IGNORE : sum > 0;
  }
  g_rand_free (r);
  return s;
}

static void
stream_free (Stream *s)
{
  g_free (s->x);
  g_free (s->y);
  g_free (s->c);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stream, stream_free)

static GBytes *
weights_of (LstmTrainer *tr)
{
  g_autoptr (LstmModel) m = lstm_trainer_get_model (tr);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) clean = lstm_model_with_metadata (m, "lstm.training",
      "", &error);
  GBytes *b;

  g_assert_no_error (error);
  b = lstm_model_save_to_bytes (clean, &error);
  g_assert_no_error (error);
  return b;
}

/* Online steps over frames [from, to) of @s in windows of @W. */
static void
step_through (LstmTrainer *tr, const Stream *s, LstmTargetKind kind,
    gsize from, gsize to, gsize W)
{
  gsize off;

  for (off = from; off < to; off += W) {
    g_autoptr (GError) error = NULL;
    gsize T = MIN (W, to - off);
    double loss = 0;
    gboolean held = TRUE;

    g_assert_true (lstm_trainer_step (tr, s->x + off * 2, T,
            kind == LSTM_TARGET_FRAME_CLASS ? s->c + off : NULL,
            kind == LSTM_TARGET_FRAME_VALUES ? s->y + off * 2 : NULL, NULL,
            &loss, &held, &error));
    g_assert_no_error (error);
    g_assert_true (isfinite (loss));
    g_assert_false (held);
  }
}

/* Online training over one stream, window by window, is batch training
 * on that stream as one sequence with one lane: bitwise the same weights,
 * epoch after epoch (the state reset between passes as a new batch
 * resets its lanes). */
static void
test_equals_one_lane (gconstpointer data)
{
  LstmTargetKind kind = GPOINTER_TO_INT (data);
  const gchar *arch = kind == LSTM_TARGET_FRAME_VALUES ?
      ARCH_LSTM (2, 6, 2, "none") : ARCH_LSTM (2, 6, 2, "softmax");
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (arch, 5);
  g_autoptr (Stream) s = stream_new (203, 9);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2, kind, 2, &error);
  g_autoptr (LstmTrainer) batch = NULL, online = NULL;
  g_autoptr (GBytes) a = NULL, b = NULL;
  const LstmEpochStats *ha, *hb;
  guint na, nb, e;
  LstmTrainerOptions o;

  if (kind == LSTM_TARGET_FRAME_VALUES)
    lstm_dataset_add_with_values (ds, s->x, s->n, s->y, NULL, &error);
  else
    lstm_dataset_add_with_frame_classes (ds, s->x, s->n, s->c, &error);
  g_assert_no_error (error);

  lstm_trainer_options_init (&o);
  o.batch_size = 1;
  o.sequence_length = 16;
  o.epochs = 2;
  o.learning_rate = 1e-2;
  o.clip_norm = 1.0;
  batch = lstm_trainer_new (m, &o, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_train (batch, ds, NULL, &error));
  g_assert_no_error (error);

  online = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_begin_online (online, kind, &error));
  g_assert_no_error (error);
  for (e = 0; e < o.epochs; e++) {
    lstm_trainer_reset_online_state (online);
    step_through (online, s, kind, 0, s->n, o.sequence_length);
    g_assert_true (lstm_trainer_end_online_epoch (online, &error));
    g_assert_no_error (error);
  }
  a = weights_of (batch);
  b = weights_of (online);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_cmpuint (lstm_trainer_get_step (online), ==,
      lstm_trainer_get_step (batch));
  g_assert_cmpuint (lstm_trainer_get_step (online), ==, 2 * 13);

  /* and the same loss curve */
  ha = lstm_trainer_get_history (batch, &na);
  hb = lstm_trainer_get_history (online, &nb);
  g_assert_cmpuint (na, ==, 2);
  g_assert_cmpuint (nb, ==, 2);
  for (e = 0; e < 2; e++) {
    g_assert_cmpuint (hb[e].epoch, ==, e + 1);
    g_assert_cmpfloat (ha[e].loss, ==, hb[e].loss);
    if (kind == LSTM_TARGET_FRAME_CLASS)
      g_assert_cmpfloat (ha[e].accuracy, ==, hb[e].accuracy);
    else
      g_assert_true (isnan (hb[e].accuracy));
    g_assert_true (isnan (hb[e].val_loss));
  }
}

/* The state is carried from window to window: resetting it at every
 * window trains other weights; resetting it where a dataset starts a new
 * sequence gives that dataset's weights (one lane, no shuffling). */
static void
test_state_carried (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 6, 2, "none"), 3);
  g_autoptr (Stream) s = stream_new (120, 4);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2,
      LSTM_TARGET_FRAME_VALUES, 2, &error);
  g_autoptr (LstmTrainer) batch = NULL, carried = NULL, reset = NULL;
  g_autoptr (GBytes) wb = NULL, wc = NULL, wr = NULL;
  LstmTrainerOptions o;
  gsize off;

  /* two sequences: frames [0, 50) and [50, 120) */
  lstm_dataset_add_with_values (ds, s->x, 50, s->y, NULL, &error);
  lstm_dataset_add_with_values (ds, s->x + 100, 70, s->y + 100, NULL,
      &error);
  g_assert_no_error (error);
  lstm_trainer_options_init (&o);
  o.batch_size = 1;
  o.shuffle = FALSE;
  o.sequence_length = 10;
  o.epochs = 1;
  batch = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (batch, ds, NULL, &error));
  g_assert_no_error (error);

  carried = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_begin_online (carried,
          LSTM_TARGET_FRAME_VALUES, &error));
  step_through (carried, s, LSTM_TARGET_FRAME_VALUES, 0, 50, 10);
  lstm_trainer_reset_online_state (carried);
  step_through (carried, s, LSTM_TARGET_FRAME_VALUES, 50, 120, 10);

  reset = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_begin_online (reset,
          LSTM_TARGET_FRAME_VALUES, &error));
  for (off = 0; off < 120; off += 10) {
    lstm_trainer_reset_online_state (reset);
    step_through (reset, s, LSTM_TARGET_FRAME_VALUES, off, off + 10, 10);
  }
  wb = weights_of (batch);
  wc = weights_of (carried);
  wr = weights_of (reset);
  g_assert_true (g_bytes_equal (wb, wc));
  g_assert_false (g_bytes_equal (wc, wr));
}

/* Masked frames and ignored classes count for nothing: a window whose
 * frames have no target takes no step; partial masks give the loss of the
 * counted frames only. */
static void
test_masks (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "none"), 8);
  g_autoptr (Stream) s = stream_new (20, 2);
  g_autoptr (LstmTrainer) tr = lstm_trainer_new (m, NULL, &error);
  g_autoptr (GBytes) before = NULL, after = NULL;
  guint8 none[10] = { 0 }, some[10] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
  double loss = 0, expect;
  g_autofree float *out = g_new (float, 10 * 2);
  gsize t;

  g_assert_true (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_VALUES,
          &error));
  before = weights_of (tr);
  g_assert_true (lstm_trainer_step (tr, s->x, 10, NULL, s->y, none, &loss,
          NULL, &error));
  g_assert_no_error (error);
  g_assert_true (isnan (loss));
  g_assert_cmpuint (lstm_trainer_get_step (tr), ==, 0);
  after = weights_of (tr);
  g_assert_true (g_bytes_equal (before, after));

  /* the loss of the counted frames, from the state the first window left:
   * a fresh trainer over the same 20 frames computes it */
  {
    g_autoptr (LstmState) st = lstm_state_new (m);
    g_autofree float *all = g_new (float, 20 * 2);
    g_assert_true (lstm_model_forward (m, st, s->x, 20, all, &error));
    memcpy (out, all + 20, 10 * 2 * sizeof (float));
  }
  expect = 0;
  for (t = 0; t < 10; t++)
    if (some[t]) {
      guint j;
      for (j = 0; j < 2; j++) {
        double e = out[t * 2 + j] - s->y[(10 + t) * 2 + j];
        expect += e * e;
      }
    }
  expect /= 4;
  g_assert_true (lstm_trainer_step (tr, s->x + 20, 10, NULL, s->y + 20,
          some, &loss, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (loss - expect), <, 1e-6 * MAX (1, expect));
  g_assert_cmpuint (lstm_trainer_get_step (tr), ==, 1);
}

/* A seeded fraction of the windows is held out: those change no weight
 * and make the epoch's validation loss. */
static void
test_held_out (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "softmax"), 1);
  g_autoptr (Stream) s = stream_new (400, 6);
  g_autoptr (LstmTrainer) tr = NULL, again = NULL;
  g_autoptr (GBytes) w1 = NULL, w2 = NULL;
  const LstmEpochStats *h;
  LstmTrainerOptions o;
  guint n_held = 0, n_hist, i, k;

  lstm_trainer_options_init (&o);
  o.validation_fraction = 0.3;
  o.seed = 77;
  for (k = 0; k < 2; k++) {
    LstmTrainer *t = lstm_trainer_new (m, &o, &error);
    g_assert_true (lstm_trainer_begin_online (t, LSTM_TARGET_FRAME_CLASS,
            &error));
    for (i = 0; i < 40; i++) {
      g_autoptr (GBytes) before = weights_of (t);
      g_autoptr (GBytes) after = NULL;
      guint64 steps = lstm_trainer_get_step (t);
      gboolean held = FALSE;
      double loss = NAN;

      g_assert_true (lstm_trainer_step (t, s->x + i * 20, 10, s->c + i * 10,
              NULL, NULL, &loss, &held, &error));
      g_assert_no_error (error);
      g_assert_true (isfinite (loss));
      after = weights_of (t);
      g_assert_true (g_bytes_equal (before, after) == held);
      g_assert_cmpuint (lstm_trainer_get_step (t), ==, steps + !held);
      if (k == 0)
        n_held += held;
    }
    g_assert_true (lstm_trainer_end_online_epoch (t, &error));
    if (k == 0)
      tr = t;
    else
      again = t;
  }
  /* about 30 % of 40 windows, and the same ones with the same seed */
  g_assert_cmpuint (n_held, >=, 4);
  g_assert_cmpuint (n_held, <=, 22);
  w1 = weights_of (tr);
  w2 = weights_of (again);
  g_assert_true (g_bytes_equal (w1, w2));
  h = lstm_trainer_get_history (tr, &n_hist);
  g_assert_cmpuint (n_hist, ==, 1);
  g_assert_true (isfinite (h[0].val_loss));
  g_assert_true (h[0].val_accuracy >= 0 && h[0].val_accuracy <= 1);
  g_assert_true (isfinite (h[0].loss));
}

typedef struct {
  guint calls;
  guint epochs_done;
  guint64 last_step;
} Seen;

static gboolean
on_progress (const LstmTrainProgress *p, gpointer data)
{
  Seen *seen = data;

  seen->calls++;
  if (p->epoch_done) {
    seen->epochs_done++;
    g_assert_cmpuint (p->epoch, ==, seen->epochs_done);
    g_assert_true (isfinite (p->loss));
  } else {
    g_assert_cmpuint (p->step, ==, seen->last_step + 1);
    g_assert_cmpuint (p->epoch, ==, seen->epochs_done + 1);
    g_assert_true (isfinite (p->step_loss));
    g_assert_true (p->frames_per_second >= 0);
  }
  seen->last_step = p->step;
  return FALSE;                 /* ignored online */
}

/* The progress function sees every step and every epoch; checkpoints go
 * where the options say, at the interval, loadable as models. */
static void
test_progress_checkpoints (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "none"), 1);
  g_autoptr (Stream) s = stream_new (60, 6);
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-online-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "ck.safetensors", NULL);
  g_autoptr (LstmTrainer) tr = NULL;
  LstmTrainerOptions o;
  Seen seen = { 0 };
  guint e;

  g_assert_no_error (error);
  lstm_trainer_options_init (&o);
  o.checkpoint_path = path;
  o.checkpoint_interval = 2;
  tr = lstm_trainer_new (m, &o, &error);
  lstm_trainer_set_progress_func (tr, on_progress, &seen, NULL);
  g_assert_true (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_VALUES,
          &error));
  for (e = 1; e <= 3; e++) {
    step_through (tr, s, LSTM_TARGET_FRAME_VALUES, 0, 60, 20);
    g_assert_true (lstm_trainer_end_online_epoch (tr, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS) == (e >= 2));
  }
  g_assert_cmpuint (seen.calls, ==, 3 * 3 + 3);
  g_assert_cmpuint (seen.epochs_done, ==, 3);
  {
    g_autoptr (LstmModel) ck = lstm_model_load (path, &error);
    g_assert_no_error (error);
    g_assert_nonnull (lstm_model_get_metadata (ck, "lstm.checkpoint"));
    g_assert_nonnull (strstr (lstm_model_get_metadata (ck, "lstm.training"),
            "\"online\":true"));
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 4, 2, "softmax"), 1);
  g_autoptr (LstmModel) bi = new_model ("[{\"type\":\"lstm\",\"name\":"
      "\"rnn\",\"input_size\":2,\"hidden_size\":3,\"bidirectional\":true},"
      "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2}]", 1);
  g_autoptr (Stream) s = stream_new (10, 1);
  g_autoptr (LstmTrainer) tr = lstm_trainer_new (m, NULL, &error);
  g_autoptr (LstmTrainer) tb = lstm_trainer_new (bi, NULL, &error);
  g_autoptr (LstmTrainer) tt = lstm_trainer_new (m, NULL, &error);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_CLASS,
      2, &error);
  g_autoptr (GBytes) before = NULL, after = NULL;
  guint bad[10];

  /* a step before lstm_trainer_begin_online() */
  g_assert_false (lstm_trainer_step (tr, s->x, 10, s->c, NULL, NULL, NULL,
          NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lstm_trainer_end_online_epoch (tr, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* one class per sequence */
  g_assert_false (lstm_trainer_begin_online (tr, LSTM_TARGET_SEQUENCE_CLASS,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* bidirectional */
  g_assert_false (lstm_trainer_begin_online (tb, LSTM_TARGET_FRAME_VALUES,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  g_assert_true (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_CLASS,
          &error));
  g_assert_true (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_CLASS,
          &error));
  g_assert_no_error (error);
  g_assert_false (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_VALUES,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* no classes; a class out of range; a NaN: nothing changes */
  before = weights_of (tr);
  g_assert_false (lstm_trainer_step (tr, s->x, 10, NULL, s->y, NULL, NULL,
          NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  memcpy (bad, s->c, sizeof bad);
  bad[6] = 2;
  g_assert_false (lstm_trainer_step (tr, s->x, 10, bad, NULL, NULL, NULL,
          NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "frame 6"));
  g_clear_error (&error);
  s->x[9] = NAN;
  g_assert_false (lstm_trainer_step (tr, s->x, 10, s->c, NULL, NULL, NULL,
          NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "frame 4, value 1"));
  g_clear_error (&error);
  after = weights_of (tr);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (lstm_trainer_get_step (tr), ==, 0);
  s->x[9] = 0;

  /* online and dataset training do not mix */
  lstm_dataset_add_with_frame_classes (ds, s->x, 10, s->c, &error);
  g_assert_no_error (error);
  g_assert_false (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (lstm_trainer_train (tt, ds, NULL, &error));
  g_assert_false (lstm_trainer_begin_online (tt, LSTM_TARGET_FRAME_CLASS,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

static gboolean
count_progress (const LstmTrainProgress *p, gpointer data)
{
  (*(guint *) data) += !p->epoch_done;
  return TRUE;
}

/* Steps allocate nothing once the workspaces have grown to the longest
 * window, whatever the targets, masks and held-out windows. */
static void
test_no_allocation (gconstpointer data)
{
  LstmTargetKind kind = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (kind == LSTM_TARGET_FRAME_CLASS ?
      ARCH_LSTM (2, 8, 2, "softmax") : ARCH_LSTM (2, 8, 2, "none"), 2);
  g_autoptr (Stream) s = stream_new (2000, 3);
  g_autoptr (LstmTrainer) tr = NULL;
  guint8 mask[20];
  LstmTrainerOptions o;
  guint64 n_allocs;
  guint calls = 0, i;

  lstm_trainer_options_init (&o);
  o.sequence_length = 20;
  o.clip_norm = 1.0;
  o.validation_fraction = 0.25;
  tr = lstm_trainer_new (m, &o, &error);
  lstm_trainer_set_progress_func (tr, count_progress, &calls, NULL);
  g_assert_true (lstm_trainer_begin_online (tr, kind, &error));
  for (i = 0; i < 20; i++)
    mask[i] = i % 3 != 0;
  /* warm-up: the longest window */
  step_through (tr, s, kind, 0, 20, 20);

  alloc_counter_start ();
  for (i = 1; i < 100; i++) {
    gsize n = 20 - i % 7;       /* windows of 14 to 20 frames */
    g_assert_true (lstm_trainer_step (tr, s->x + i * 40, n,
            kind == LSTM_TARGET_FRAME_CLASS ? s->c + i * 20 : NULL,
            kind == LSTM_TARGET_FRAME_VALUES ? s->y + i * 40 : NULL,
            kind == LSTM_TARGET_FRAME_VALUES && i % 2 ? mask : NULL, NULL,
            NULL, NULL));
    if (i % 10 == 0)
      lstm_trainer_reset_online_state (tr);
  }
  n_allocs = alloc_counter_stop (NULL);
  if (!alloc_counter_available ()) {
    g_test_skip ("no counting allocator (AddressSanitizer)");
    return;
  }
  g_assert_cmpuint (calls, >, 50);
  g_assert_cmpuint (n_allocs, ==, 0);
}

static void
test_statistics (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmDataset) v = lstm_dataset_new (2, LSTM_TARGET_FRAME_VALUES,
      1, &error);
  g_autoptr (LstmDataset) c = lstm_dataset_new (1, LSTM_TARGET_FRAME_CLASS,
      2, &error);
  const float x1[] = { 1, 5, 2, 5, 3, 5 };
  const float x2[] = { 6, 5 };
  const float y1[] = { 10, 20, 1000 };
  const float y2[] = { 40 };
  const guint8 m1[] = { 1, 1, 0 };
  const float cx[] = { 2, 4 };
  const guint cc[] = { 0, 1 };
  float im[2], is[2], tm = -1, ts = -1;

  g_assert_false (lstm_dataset_get_statistics (v, im, is, &tm, &ts));
  lstm_dataset_add_with_values (v, x1, 3, y1, m1, &error);
  lstm_dataset_add_with_values (v, x2, 1, y2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_dataset_get_statistics (v, im, is, &tm, &ts));
  /* column 0: 1 2 3 6 -> mean 3, sample variance 14/3; column 1 constant */
  g_assert_cmpfloat (im[0], ==, 3.0f);
  g_assert_cmpfloat (fabsf (is[0] - sqrtf (14.0f / 3)), <, 1e-6);
  g_assert_cmpfloat (im[1], ==, 5.0f);
  g_assert_cmpfloat (is[1], ==, 1.0f);
  /* targets 10 20 40 (the masked 1000 does not count) */
  g_assert_cmpfloat (fabsf (tm - 70.0f / 3), <, 1e-5);
  g_assert_cmpfloat (fabsf (ts - sqrtf ((float) ((10 - 70.0 / 3) *
                  (10 - 70.0 / 3) + (20 - 70.0 / 3) * (20 - 70.0 / 3) +
                  (40 - 70.0 / 3) * (40 - 70.0 / 3)) / 2)), <, 1e-4);

  /* classes: inputs only, targets untouched */
  tm = ts = -1;
  lstm_dataset_add_with_frame_classes (c, cx, 2, cc, &error);
  g_assert_true (lstm_dataset_get_statistics (c, im, is, &tm, &ts));
  g_assert_cmpfloat (im[0], ==, 3.0f);
  g_assert_cmpfloat (fabsf (is[0] - sqrtf (2.0f)), <, 1e-6);
  g_assert_cmpfloat (tm, ==, -1.0f);
  g_assert_cmpfloat (ts, ==, -1.0f);
}

/* Running statistics: a stream far from zero mean and unit variance
 * (inputs x 40 + 100, targets x 30 - 50). The trainer standardises with
 * the statistics so far, the model it returns carries them (equal to the
 * two-pass statistics of every frame seen), and it learns far better than
 * the same model trained on the raw values: the baseline, trained here. */
static double
train_scaled (const Stream *st, const float *x, const float *y,
    gboolean running, LstmModel **out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM (2, 8, 2, "none"), 5);
  g_autoptr (LstmTrainer) tr = NULL;
  LstmTrainerOptions o;
  double loss = 0, sum = 0;
  gsize off, n_late = 0;
  guint pass;

  lstm_trainer_options_init (&o);
  o.learning_rate = 0.01;
  o.sequence_length = 20;
  o.running_statistics = running;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_begin_online (tr, LSTM_TARGET_FRAME_VALUES,
          &error));
  for (pass = 0; pass < 3; pass++)
    for (off = 0; off + 20 <= st->n; off += 20) {
      g_assert_true (lstm_trainer_step (tr, x + off * 2, 20, NULL,
              y + off * 2, NULL, &loss, NULL, &error));
      g_assert_no_error (error);
      if (pass == 2) {
        sum += loss;
        n_late++;
      }
    }
  *out = lstm_trainer_get_model (tr);
  return sum / n_late;
}

static void
test_running_statistics (void)
{
  Stream *st = stream_new (400, 21);
  g_autofree float *x = g_new (float, st->n * 2);
  g_autofree float *y = g_new (float, st->n * 2);
  g_autofree float *x3 = g_new (float, 3 * st->n * 2);
  g_autoptr (LstmModel) with = NULL, without = NULL;
  float mean[2], std[2];
  double l_with, l_without;
  gsize i;
  guint j;

  for (i = 0; i < st->n * 2; i++) {
    x[i] = st->x[i] * 40 + 100;
    y[i] = st->y[i] * 30 - 50;
  }
  l_with = train_scaled (st, x, y, TRUE, &with);
  l_without = train_scaled (st, x, y, FALSE, &without);
  g_test_message ("last-pass MSE: running statistics %.4f, raw values %.4f",
      l_with, l_without);
  g_assert_cmpfloat (l_with, <, 0.5 * l_without);
  /* the statistics of every frame seen: 3 passes over the stream */
  for (i = 0; i < 3; i++)
    memcpy (x3 + i * st->n * 2, x, st->n * 2 * sizeof (float));
  lstm_compute_statistics (x3, 3 * st->n, 2, NULL, mean, std);
  g_assert_nonnull (lstm_model_get_input_mean (with));
  for (j = 0; j < 2; j++) {
    g_assert_cmpfloat (fabs (lstm_model_get_input_mean (with)[j] - mean[j]),
        <=, 1e-5 * fabs (mean[j]));
    g_assert_cmpfloat (fabs (lstm_model_get_input_std (with)[j] - std[j]),
        <=, 1e-4 * std[j]);
  }
  g_assert_null (lstm_model_get_input_mean (without));
  g_assert_nonnull (strstr (lstm_model_get_metadata (with, "lstm.training"),
          "\"running_statistics\":true"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (with, "lstm.training"),
          "\"batch_size\":1,"));
  stream_free (st);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/trainer/online/equals-one-lane/values",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_VALUES), test_equals_one_lane);
  g_test_add_data_func ("/trainer/online/equals-one-lane/classes",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_CLASS), test_equals_one_lane);
  g_test_add_func ("/trainer/online/state-carried", test_state_carried);
  g_test_add_func ("/trainer/online/masks", test_masks);
  g_test_add_func ("/trainer/online/held-out", test_held_out);
  g_test_add_func ("/trainer/online/progress-checkpoints",
      test_progress_checkpoints);
  g_test_add_func ("/trainer/online/errors", test_errors);
  g_test_add_data_func ("/trainer/online/no-allocation/values",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_VALUES), test_no_allocation);
  g_test_add_data_func ("/trainer/online/no-allocation/classes",
      GINT_TO_POINTER (LSTM_TARGET_FRAME_CLASS), test_no_allocation);
  g_test_add_func ("/trainer/online/running-statistics",
      test_running_statistics);
  g_test_add_func ("/dataset/statistics", test_statistics);
  return g_test_run ();
}
