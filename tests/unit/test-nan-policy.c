/* The non-finite input policy (LstmNanPolicy) of liblstm: the model's
 * forward (zeros and a fresh state per non-finite frame, bursts reported
 * once, chunking invariance, error and pass) and the features' samples
 * (a zeros frame per burst and a restart of the framing). Expected outputs
 * are computed here from plain runs on the finite stretches.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <lstm/lstm.h>

#define N_FRAMES 300

static const gchar *const archs[] = {
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":5,\"hidden_size\":12,"
      "\"num_layers\":2},{\"type\":\"linear\",\"name\":\"head\","
      "\"out_features\":3,\"activation\":\"softmax\"}]",
  "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":5,\"hidden_size\":9},"
      "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2}]",
};

static LstmModel *
make_model (const gchar *arch)
{
  g_autoptr (GError) error = NULL;
  LstmModelOptions opts = { 0 };
  float mean[5] = { 0.1f, -0.2f, 0.3f, 0.0f, 1.0f };
  float std[5] = { 1.5f, 0.5f, 2.0f, 1.0f, 3.0f };
  LstmModel *m;

  opts.seed = 7;
  opts.input_mean = mean;
  opts.input_std = std;
  m = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  return m;
}

static float *
random_frames (gsize n, guint dim, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  float *x = g_new (float, n * dim);
  gsize i;

  for (i = 0; i < n * dim; i++)
    x[i] = (float) g_rand_double_range (r, -2.0, 2.0);
  return x;
}

/* Non-finite frames: a single NaN value at 100, a burst 150..153 mixing
 * NaN and infinities, -Inf at 299 (the last frame). */
static const gsize bad_frames[] = { 100, 150, 151, 152, 153, 299 };
static const gsize n_expected_bursts = 3;

static gboolean
is_bad (gsize t)
{
  guint i;
  for (i = 0; i < G_N_ELEMENTS (bad_frames); i++)
    if (bad_frames[i] == t)
      return TRUE;
  return FALSE;
}

static void
poison (float *x, guint dim)
{
  x[100 * dim + 2] = NAN;
  x[150 * dim] = INFINITY;
  x[151 * dim + 4] = NAN;
  x[152 * dim + 1] = -INFINITY;
  x[152 * dim + 3] = NAN;
  x[153 * dim + 4] = INFINITY;
  x[299 * dim + 1] = -INFINITY;
}

/* What the policy promises: the finite stretches each run from a fresh
 * state, zeros for the non-finite frames. */
static float *
expected_reset (LstmModel *m, const float *x, gsize n)
{
  const guint I = lstm_model_get_input_size (m);
  const guint O = lstm_model_get_output_size (m);
  float *y = g_new0 (float, n * O);
  gsize t = 0;

  while (t < n) {
    gsize e = t;
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_autoptr (GError) error = NULL;

    if (is_bad (t)) {
      t++;
      continue;
    }
    while (e < n && !is_bad (e))
      e++;
    g_assert_true (lstm_model_forward (m, s, x + t * I, e - t, y + t * O,
            &error));
    g_assert_no_error (error);
    t = e;
  }
  return y;
}

/* Reset policy: zeros, fresh runs after each burst, flags and burst
 * counts, bitwise the same however the frames are split into calls (a
 * burst spanning calls counted once). */
static void
test_forward_reset (gconstpointer data)
{
  g_autoptr (LstmModel) m = make_model (data);
  const guint I = lstm_model_get_input_size (m);
  const guint O = lstm_model_get_output_size (m);
  g_autofree float *x = random_frames (N_FRAMES, I, 11);
  g_autofree float *expect = NULL;
  static const gsize chunks[] = { N_FRAMES, 1, 3, 7, 17, 64, 100, 0 };
  g_autoptr (GRand) r = g_rand_new_with_seed (5);
  guint c;

  poison (x, I);
  expect = expected_reset (m, x, N_FRAMES);
  for (c = 0; c < G_N_ELEMENTS (chunks); c++) {
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_autofree float *y = g_new (float, N_FRAMES * O);
    g_autofree guint8 *flags = g_new (guint8, N_FRAMES);
    gsize done = 0, bursts = 0, t;

    while (done < N_FRAMES) {
      g_autoptr (GError) error = NULL;
      gsize k = chunks[c] ? chunks[c] : (gsize) g_rand_int_range (r, 1, 40);
      gsize nb = 99;
      k = MIN (k, N_FRAMES - done);
      g_assert_true (lstm_model_forward_checked (m, s,
              LSTM_NAN_POLICY_RESET, x + done * I, k, y + done * O,
              flags + done, &nb, &error));
      g_assert_no_error (error);
      bursts += nb;
      done += k;
    }
    g_assert_cmpuint (bursts, ==, n_expected_bursts);
    g_assert_cmpmem (y, N_FRAMES * O * sizeof (float), expect,
        N_FRAMES * O * sizeof (float));
    for (t = 0; t < N_FRAMES; t++) {
      guint8 want = LSTM_FRAME_FINITE;
      if (is_bad (t))
        want = LSTM_FRAME_NONFINITE | (is_bad (t - 1) ? 0 :
            LSTM_FRAME_BURST_START);
      g_assert_cmpuint (flags[t], ==, want);
    }
  }
  /* the outputs after a burst are those of a fresh run, not of the state
   * the NaN would have left */
  {
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_autofree float *y = g_new (float, N_FRAMES * O);
    g_assert_true (lstm_model_forward (m, s, x, N_FRAMES, y, NULL));
    g_assert_true (isnan (y[120 * O]));
    g_assert_true (isfinite (expect[120 * O]));
  }
}

/* Error policy: the call fails naming the frame, the state is untouched
 * (the next calls give what they give without it). */
static void
test_forward_error (gconstpointer data)
{
  g_autoptr (LstmModel) m = make_model (data);
  const guint I = lstm_model_get_input_size (m);
  const guint O = lstm_model_get_output_size (m);
  g_autofree float *x = random_frames (N_FRAMES, I, 12);
  g_autofree float *y = g_new (float, N_FRAMES * O);
  g_autofree float *ref = g_new (float, N_FRAMES * O);
  g_autoptr (LstmState) s = lstm_state_new (m);
  g_autoptr (LstmState) r = lstm_state_new (m);
  g_autoptr (GError) error = NULL;

  poison (x, I);
  g_assert_true (lstm_model_forward_checked (m, s, LSTM_NAN_POLICY_ERROR, x,
          100, y, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lstm_model_forward_checked (m, s, LSTM_NAN_POLICY_ERROR,
          x + 100 * I, 20, y + 100 * O, NULL, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "frame 0"));
  g_assert_nonnull (strstr (error->message, "NaN"));
  /* frames 101.. from the state left after frame 99 */
  g_assert_true (lstm_model_forward (m, r, x, 100, ref, NULL));
  g_assert_true (lstm_model_forward (m, r, x + 101 * I, 40, ref, NULL));
  g_assert_true (lstm_model_forward_checked (m, s, LSTM_NAN_POLICY_ERROR,
          x + 101 * I, 40, y, NULL, NULL, NULL));
  g_assert_cmpmem (y, 40 * O * sizeof (float), ref, 40 * O * sizeof (float));
}

/* Pass policy: lstm_model_forward() bit for bit, NaN included. */
static void
test_forward_pass (gconstpointer data)
{
  g_autoptr (LstmModel) m = make_model (data);
  const guint I = lstm_model_get_input_size (m);
  const guint O = lstm_model_get_output_size (m);
  g_autofree float *x = random_frames (N_FRAMES, I, 13);
  g_autofree float *y = g_new (float, N_FRAMES * O);
  g_autofree float *ref = g_new (float, N_FRAMES * O);
  g_autofree guint8 *flags = g_new (guint8, N_FRAMES);
  g_autoptr (LstmState) s = lstm_state_new (m);
  g_autoptr (LstmState) r = lstm_state_new (m);
  gsize nb = 99, t;

  poison (x, I);
  g_assert_true (lstm_model_forward_checked (m, s, LSTM_NAN_POLICY_PASS, x,
          N_FRAMES, y, flags, &nb, NULL));
  g_assert_true (lstm_model_forward (m, r, x, N_FRAMES, ref, NULL));
  g_assert_cmpmem (y, N_FRAMES * O * sizeof (float), ref,
      N_FRAMES * O * sizeof (float));
  g_assert_cmpuint (nb, ==, 0);
  for (t = 0; t < N_FRAMES; t++)
    g_assert_cmpuint (flags[t], ==, LSTM_FRAME_FINITE);
}

static void
test_policy_names (void)
{
  LstmNanPolicy p = LSTM_NAN_POLICY_PASS;
  guint i;

  for (i = LSTM_NAN_POLICY_RESET; i <= LSTM_NAN_POLICY_PASS; i++) {
    const gchar *name = lstm_nan_policy_to_string ((LstmNanPolicy) i);
    g_assert_nonnull (name);
    g_assert_true (lstm_nan_policy_from_string (name, &p));
    g_assert_cmpint (p, ==, (gint) i);
  }
  g_assert_false (lstm_nan_policy_from_string ("ignore", &p));
  g_assert_false (lstm_nan_policy_from_string (NULL, &p));
  g_assert_null (lstm_nan_policy_to_string ((LstmNanPolicy) 7));
  g_assert_true (lstm_values_are_finite (NULL, 0));
}

/* ---- samples ---- */

static const gchar *const feature_configs[] = {
  "{\"kind\":\"fbank\",\"num_mel_bins\":10}",
  "{\"kind\":\"mfcc\",\"deltas\":2}",
  "{\"kind\":\"melspec\",\"n_fft\":256,\"hop_length\":100,\"n_mels\":12,"
      "\"log\":\"natural\"}",
  "{\"kind\":\"raw\",\"win_length\":64,\"hop_length\":50}",
};

#define N_SAMPLES 16000

/* Frames of a fresh extractor over @x[0..n), flushed at the end when
 * @flush. */
static float *
plain_frames (const gchar *config, const float *x, gsize n, gboolean flush,
    gsize *n_frames)
{
  g_autoptr (LstmFeatures) f = lstm_features_new (config, NULL);
  const guint D = lstm_features_get_size (f);
  float *out = g_new (float, (lstm_features_max_frames (f, n) +
          lstm_features_max_flush_frames (f) + 1) * D);
  gsize k = lstm_features_process (f, x, n, out);

  if (flush)
    k += lstm_features_flush (f, out + k * D);
  *n_frames = k;
  return out;
}

/* Reset policy on samples: A (finite), a burst of non-finite samples, C:
 * A's frames (those whose windows end before the burst), one zeros frame,
 * then C's frames as from a fresh extractor; the same however the samples
 * are split (the burst split between calls too), with the positions
 * reported. */
static void
test_features_reset (gconstpointer data)
{
  const gchar *config = data;
  const gsize a = 5003, b = 37, c = N_SAMPLES - a - b;
  g_autofree float *x = random_frames (N_SAMPLES, 1, 21);
  g_autofree float *fa = NULL, *fc = NULL, *expect = NULL;
  g_autoptr (LstmFeatures) probe = lstm_features_new (config, NULL);
  const guint D = lstm_features_get_size (probe);
  static const gsize chunks[] = { N_SAMPLES, 1000, 16, 5001, 5010, 0 };
  g_autoptr (GRand) r = g_rand_new_with_seed (3);
  gsize na, nc, ne, i, k;

  for (i = 0; i < b; i++)
    x[a + i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
  fa = plain_frames (config, x, a, FALSE, &na);
  fc = plain_frames (config, x + a + b, c, TRUE, &nc);
  ne = na + 1 + nc;
  expect = g_new0 (float, ne * D);
  memcpy (expect, fa, na * D * sizeof (float));
  memcpy (expect + (na + 1) * D, fc, nc * D * sizeof (float));

  for (k = 0; k < G_N_ELEMENTS (chunks); k++) {
    g_autoptr (LstmFeatures) f = lstm_features_new (config, NULL);
    g_autofree float *got = g_new (float, (ne + 8) * D);
    gsize done = 0, n_got = 0, bursts = 0;
    gssize burst_at = -1, run_at = -1;

    while (done < N_SAMPLES) {
      gsize m = chunks[k] ? chunks[k] : (gsize) g_rand_int_range (r, 1, 900);
      gsize end;
      m = MIN (m, N_SAMPLES - done);
      end = done + m;
      while (done < end) {
        g_autoptr (GError) error = NULL;
        g_autofree float *out = g_new (float,
            (lstm_features_max_frames (f, end - done) + 1) * D);
        LstmFeaturesReport rep;
        g_assert_true (lstm_features_process_checked (f,
                LSTM_NAN_POLICY_RESET, x + done, LSTM_SAMPLE_F32, 1,
                end - done, out, &rep, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (rep.consumed, >, 0);
        g_assert_cmpuint (n_got + rep.n_frames, <=, ne);
        memcpy (got + n_got * D, out, rep.n_frames * D * sizeof (float));
        if (rep.burst_frame >= 0) {
          bursts++;
          g_assert_cmpint (rep.burst_frame, ==, (gssize) rep.n_frames - 1);
          burst_at = (gssize) (done + rep.burst_sample);
          g_assert_cmpuint (n_got + rep.burst_frame, ==, na);
        }
        if (rep.run_start >= 0)
          run_at = (gssize) (done + (gsize) rep.run_start);
        n_got += rep.n_frames;
        done += rep.consumed;
      }
    }
    n_got += lstm_features_flush (f, got + n_got * D);
    g_assert_cmpuint (bursts, ==, 1);
    g_assert_cmpint (burst_at, ==, (gssize) a);
    g_assert_cmpint (run_at, ==, (gssize) (a + b));
    g_assert_cmpuint (n_got, ==, ne);
    g_assert_cmpmem (got, ne * D * sizeof (float), expect,
        ne * D * sizeof (float));
  }
}

/* Error policy names the sample and processes nothing; pass and finite
 * input give lstm_features_process_interleaved()'s frames. */
static void
test_features_error_pass (void)
{
  const gchar *config = feature_configs[0];
  g_autofree float *x = random_frames (4000, 2, 22);
  g_autoptr (LstmFeatures) f = lstm_features_new (config, NULL);
  g_autoptr (LstmFeatures) g = lstm_features_new (config, NULL);
  const guint D = lstm_features_get_size (f);
  g_autofree float *out = g_new (float, (lstm_features_max_frames (f,
              4000) + 1) * D);
  g_autofree float *ref = g_new (float, lstm_features_max_frames (f, 4000) *
      D);
  g_autoptr (GError) error = NULL;
  LstmFeaturesReport rep;
  gsize n;
  guint p;

  /* finite input: the same frames under every policy */
  n = lstm_features_process_interleaved (g, x, LSTM_SAMPLE_F32, 2, 4000,
      ref);
  for (p = 0; p <= LSTM_NAN_POLICY_PASS; p++) {
    lstm_features_reset (f);
    g_assert_true (lstm_features_process_checked (f, (LstmNanPolicy) p, x,
            LSTM_SAMPLE_F32, 2, 4000, out, &rep, NULL));
    g_assert_cmpuint (rep.n_frames, ==, n);
    g_assert_cmpuint (rep.consumed, ==, 4000);
    g_assert_cmpint (rep.burst_frame, ==, -1);
    g_assert_cmpmem (out, n * D * sizeof (float), ref, n * D * sizeof (float));
  }

  /* the second channel of sample frame 2500 is NaN: the average is NaN */
  x[2500 * 2 + 1] = NAN;
  lstm_features_reset (f);
  g_assert_false (lstm_features_process_checked (f, LSTM_NAN_POLICY_ERROR, x,
          LSTM_SAMPLE_F32, 2, 4000, out, &rep, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "sample 2500"));
  g_assert_cmpuint (rep.n_frames, ==, 0);

  /* pass: the unchecked frames, whatever the NaN makes of them */
  lstm_features_reset (f);
  lstm_features_reset (g);
  g_assert_true (lstm_features_process_checked (f, LSTM_NAN_POLICY_PASS, x,
          LSTM_SAMPLE_F32, 2, 4000, out, &rep, NULL));
  g_assert_cmpuint (rep.n_frames, ==, n);
  g_assert_cmpuint (lstm_features_process_interleaved (g, x, LSTM_SAMPLE_F32,
          2, 4000, ref), ==, n);
  g_assert_cmpmem (out, n * D * sizeof (float), ref, n * D * sizeof (float));
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (archs); i++) {
    const gchar *kind = i == 0 ? "lstm" : "gru";
    g_autofree gchar *p1 = g_strdup_printf ("/nan-policy/forward/reset/%s",
        kind);
    g_autofree gchar *p2 = g_strdup_printf ("/nan-policy/forward/error/%s",
        kind);
    g_autofree gchar *p3 = g_strdup_printf ("/nan-policy/forward/pass/%s",
        kind);
    g_test_add_data_func (p1, archs[i], test_forward_reset);
    g_test_add_data_func (p2, archs[i], test_forward_error);
    g_test_add_data_func (p3, archs[i], test_forward_pass);
  }
  g_test_add_func ("/nan-policy/names", test_policy_names);
  for (i = 0; i < G_N_ELEMENTS (feature_configs); i++) {
    g_autofree gchar *p = g_strdup_printf ("/nan-policy/features/reset/%u",
        i);
    g_test_add_data_func (p, feature_configs[i], test_features_reset);
  }
  g_test_add_func ("/nan-policy/features/error-pass",
      test_features_error_pass);
  return g_test_run ();
}
