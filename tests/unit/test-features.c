/* Unit tests: audio features (LstmFeatures): configurations, streaming,
 * edges, input formats, latency, allocation.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Agreement with torchaudio is the golden suite's job
 * (tests/golden/test-golden-features.c); here the features are checked
 * against themselves: chunking invariance, against the same computation on
 * an explicitly padded signal, and against a plain whole-sequence
 * implementation of compute_deltas.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <lstm/lstm.h>

/* ---- allocation counting (glibc has no malloc hooks: interpose) ---- */

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ALLOC_COUNT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ALLOC_COUNT 0
#endif
#endif
#ifndef HAVE_ALLOC_COUNT
#define HAVE_ALLOC_COUNT 1
#endif

#if HAVE_ALLOC_COUNT
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *p, size_t size);
extern void *__libc_memalign (size_t align, size_t size);

static volatile gint counting;
static volatile gint n_allocs;

void *
malloc (size_t size)
{
  if (counting)
    g_atomic_int_inc (&n_allocs);
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  if (counting)
    g_atomic_int_inc (&n_allocs);
  return __libc_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  if (counting)
    g_atomic_int_inc (&n_allocs);
  return __libc_realloc (p, size);
}

int
posix_memalign (void **out, size_t align, size_t size)
{
  if (counting)
    g_atomic_int_inc (&n_allocs);
  *out = __libc_memalign (align, size);
  return *out ? 0 : 12;
}
#endif

/* ---- helpers ---- */

/* A chirp, a tone and noise: broadband, deterministic. */
static float *
make_signal (gsize n, guint rate, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, MAX (n, 1));
  gsize i;

  for (i = 0; i < n; i++) {
    double t = (double) i / rate;
    x[i] = (float) (0.3 * sin (2 * G_PI * (100 + 1500 * t) * t) +
        0.1 * sin (2 * G_PI * 440 * t) +
        0.05 * g_rand_double_range (r, -1, 1));
  }
  g_rand_free (r);
  return x;
}

static LstmFeatures *
features_new (const gchar *config)
{
  g_autoptr (GError) error = NULL;
  LstmFeatures *f = lstm_features_new (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f);
  return f;
}

#define CANARY 12345.678f

/* Feeds @x in calls of @chunk samples (0: all at once; G_MAXSIZE: sizes
 * from a seeded generator), flushes, and returns the frames. Each call's
 * output buffer is exactly max_frames() frames plus a canary frame that
 * must stay untouched. */
static float *
run_chunks (LstmFeatures *f, const float *x, gsize n, gsize chunk,
    gsize *n_frames)
{
  const guint dim = lstm_features_get_size (f);
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));
  GRand *r = g_rand_new_with_seed (7);
  gsize done = 0, got, cap, i;
  float *out;

  while (done < n) {
    gsize c = chunk == 0 ? n : chunk == G_MAXSIZE ?
        (gsize) g_rand_int_range (r, 0, 700) : chunk;
    c = MIN (c, n - done);
    cap = lstm_features_max_frames (f, c);
    out = g_new (float, (cap + 1) * dim);
    for (i = 0; i < dim; i++)
      out[cap * dim + i] = CANARY;
    got = lstm_features_process (f, x + done, c, out);
    g_assert_cmpuint (got, <=, cap);
    for (i = 0; i < dim; i++)
      g_assert_cmpfloat (out[cap * dim + i], ==, CANARY);
    g_array_append_vals (all, out, (guint) (got * dim));
    g_free (out);
    done += c;
  }
  cap = lstm_features_max_flush_frames (f);
  out = g_new (float, (cap + 1) * dim);
  for (i = 0; i < dim; i++)
    out[cap * dim + i] = CANARY;
  got = lstm_features_flush (f, out);
  g_assert_cmpuint (got, <=, cap);
  for (i = 0; i < dim; i++)
    g_assert_cmpfloat (out[cap * dim + i], ==, CANARY);
  g_array_append_vals (all, out, (guint) (got * dim));
  g_free (out);
  g_rand_free (r);
  *n_frames = all->len / dim;
  return (float *) g_array_free (all, FALSE);
}

static float *
compute (const gchar *config, const float *x, gsize n, gsize *n_frames)
{
  g_autoptr (LstmFeatures) f = features_new (config);
  return run_chunks (f, x, n, 0, n_frames);
}

/* ---- configurations ---- */

typedef struct {
  const gchar *name;
  const gchar *json;
  LstmError code;
  const gchar *key;     /* the message must name it */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  { "not-json", "{\"kind\":", LSTM_ERROR_FORMAT, "JSON" },
  { "not-object", "[1, 2]", LSTM_ERROR_FORMAT, "object" },
  { "no-kind", "{\"num_mel_bins\":40}", LSTM_ERROR_FORMAT, "kind" },
  { "kind-not-string", "{\"kind\":3}", LSTM_ERROR_FORMAT, "kind" },
  { "unknown-kind", "{\"kind\":\"spectrogram\"}", LSTM_ERROR_UNSUPPORTED,
      "spectrogram" },
  { "unknown-key", "{\"kind\":\"fbank\",\"n_mels\":40}", LSTM_ERROR_FORMAT,
      "n_mels" },
  { "melspec-key-in-raw", "{\"kind\":\"raw\",\"n_fft\":400}",
      LSTM_ERROR_FORMAT, "n_fft" },
  { "wrong-type-string", "{\"kind\":\"fbank\",\"num_mel_bins\":\"40\"}",
      LSTM_ERROR_FORMAT, "num_mel_bins" },
  { "wrong-type-bool", "{\"kind\":\"fbank\",\"use_energy\":1}",
      LSTM_ERROR_FORMAT, "use_energy" },
  { "wrong-type-number", "{\"kind\":\"fbank\",\"frame_length\":true}",
      LSTM_ERROR_FORMAT, "frame_length" },
  { "not-integer", "{\"kind\":\"melspec\",\"n_fft\":400.5}",
      LSTM_ERROR_FORMAT, "n_fft" },
  { "frame-shift-0", "{\"kind\":\"fbank\",\"frame_shift\":0}",
      LSTM_ERROR_ARGUMENT, "frame_shift" },
  { "frame-shift-negative", "{\"kind\":\"mfcc\",\"frame_shift\":-10}",
      LSTM_ERROR_ARGUMENT, "frame_shift" },
  { "frame-shift-below-one-sample",
      "{\"kind\":\"fbank\",\"frame_shift\":0.05}", LSTM_ERROR_ARGUMENT,
      "frame_shift" },
  { "frame-length-one-sample", "{\"kind\":\"fbank\",\"frame_length\":0.1}",
      LSTM_ERROR_ARGUMENT, "frame_length" },
  { "frame-length-huge", "{\"kind\":\"fbank\",\"frame_length\":1e300}",
      LSTM_ERROR_ARGUMENT, "frame_length" },
  { "sample-frequency-0", "{\"kind\":\"fbank\",\"sample_frequency\":0}",
      LSTM_ERROR_ARGUMENT, "sample_frequency" },
  { "sample-frequency-fraction",
      "{\"kind\":\"mfcc\",\"sample_frequency\":16000.5}",
      LSTM_ERROR_ARGUMENT, "sample_frequency" },
  { "sample-rate-0", "{\"kind\":\"melspec\",\"sample_rate\":0}",
      LSTM_ERROR_ARGUMENT, "sample_rate" },
  { "sample-rate-negative", "{\"kind\":\"raw\",\"sample_rate\":-8000}",
      LSTM_ERROR_ARGUMENT, "sample_rate" },
  { "num-mel-bins-3", "{\"kind\":\"fbank\",\"num_mel_bins\":3}",
      LSTM_ERROR_ARGUMENT, "num_mel_bins" },
  { "num-mel-bins-above-half-fft",
      "{\"kind\":\"fbank\",\"num_mel_bins\":257}", LSTM_ERROR_ARGUMENT,
      "num_mel_bins" },
  { "high-freq-above-nyquist", "{\"kind\":\"fbank\",\"high_freq\":8001}",
      LSTM_ERROR_ARGUMENT, "high_freq" },
  { "high-freq-offset-too-large",
      "{\"kind\":\"fbank\",\"high_freq\":-9000}", LSTM_ERROR_ARGUMENT,
      "high_freq" },
  { "low-freq-above-high-freq",
      "{\"kind\":\"fbank\",\"low_freq\":5000,\"high_freq\":4000}",
      LSTM_ERROR_ARGUMENT, "high_freq" },
  { "low-freq-negative", "{\"kind\":\"fbank\",\"low_freq\":-1}",
      LSTM_ERROR_ARGUMENT, "low_freq" },
  { "odd-fft", "{\"kind\":\"fbank\",\"frame_length\":25.0625,"
        "\"round_to_power_of_two\":false}", LSTM_ERROR_ARGUMENT,
      "round_to_power_of_two" },
  { "preemphasis-above-1",
      "{\"kind\":\"fbank\",\"preemphasis_coefficient\":1.5}",
      LSTM_ERROR_ARGUMENT, "preemphasis_coefficient" },
  { "energy-floor-negative", "{\"kind\":\"fbank\",\"energy_floor\":-1}",
      LSTM_ERROR_ARGUMENT, "energy_floor" },
  { "window-type-unknown", "{\"kind\":\"fbank\",\"window_type\":\"kaiser\"}",
      LSTM_ERROR_UNSUPPORTED, "window_type" },
  { "vtln-low-below-low-freq",
      "{\"kind\":\"fbank\",\"vtln_warp\":1.1,\"vtln_low\":10}",
      LSTM_ERROR_ARGUMENT, "vtln_low" },
  { "vtln-warp-0", "{\"kind\":\"fbank\",\"vtln_warp\":0}",
      LSTM_ERROR_ARGUMENT, "vtln_warp" },
  { "dither", "{\"kind\":\"fbank\",\"dither\":1.0}", LSTM_ERROR_UNSUPPORTED,
      "dither" },
  { "snip-edges-false", "{\"kind\":\"mfcc\",\"snip_edges\":false}",
      LSTM_ERROR_UNSUPPORTED, "snip_edges" },
  { "subtract-mean", "{\"kind\":\"fbank\",\"subtract_mean\":true}",
      LSTM_ERROR_UNSUPPORTED, "subtract_mean" },
  { "min-duration", "{\"kind\":\"fbank\",\"min_duration\":1.0}",
      LSTM_ERROR_UNSUPPORTED, "min_duration" },
  { "num-ceps-above-mel-bins", "{\"kind\":\"mfcc\",\"num_ceps\":24}",
      LSTM_ERROR_ARGUMENT, "num_ceps" },
  { "num-ceps-0", "{\"kind\":\"mfcc\",\"num_ceps\":0}", LSTM_ERROR_ARGUMENT,
      "num_ceps" },
  { "mfcc-use-power", "{\"kind\":\"mfcc\",\"use_power\":false}",
      LSTM_ERROR_FORMAT, "use_power" },
  { "n-mels-above-bins", "{\"kind\":\"melspec\",\"n_mels\":202}",
      LSTM_ERROR_ARGUMENT, "n_mels" },
  { "n-mels-0", "{\"kind\":\"melspec\",\"n_mels\":0}", LSTM_ERROR_ARGUMENT,
      "n_mels" },
  { "f-max-above-nyquist", "{\"kind\":\"melspec\",\"f_max\":8000.5}",
      LSTM_ERROR_ARGUMENT, "f_max" },
  { "f-min-above-f-max",
      "{\"kind\":\"melspec\",\"f_min\":5000,\"f_max\":4000}",
      LSTM_ERROR_ARGUMENT, "f_min" },
  { "hop-length-0", "{\"kind\":\"melspec\",\"hop_length\":0}",
      LSTM_ERROR_ARGUMENT, "hop_length" },
  { "win-length-above-n-fft", "{\"kind\":\"melspec\",\"win_length\":401}",
      LSTM_ERROR_ARGUMENT, "win_length" },
  { "n-fft-1", "{\"kind\":\"melspec\",\"n_fft\":1}", LSTM_ERROR_ARGUMENT,
      "n_fft" },
  { "n-fft-huge", "{\"kind\":\"melspec\",\"n_fft\":100000000}",
      LSTM_ERROR_ARGUMENT, "n_fft" },
  { "power-null", "{\"kind\":\"melspec\",\"power\":null}",
      LSTM_ERROR_UNSUPPORTED, "power" },
  { "power-0", "{\"kind\":\"melspec\",\"power\":0}", LSTM_ERROR_ARGUMENT,
      "power" },
  { "top-db", "{\"kind\":\"melspec\",\"log\":\"db\",\"top_db\":80}",
      LSTM_ERROR_UNSUPPORTED, "top_db" },
  { "onesided-false", "{\"kind\":\"melspec\",\"onesided\":false}",
      LSTM_ERROR_UNSUPPORTED, "onesided" },
  { "pad-mode-circular", "{\"kind\":\"melspec\",\"pad_mode\":\"circular\"}",
      LSTM_ERROR_UNSUPPORTED, "circular" },
  { "pad-mode-unknown", "{\"kind\":\"melspec\",\"pad_mode\":\"wrap\"}",
      LSTM_ERROR_UNSUPPORTED, "pad_mode" },
  { "log-unknown", "{\"kind\":\"melspec\",\"log\":\"log2\"}",
      LSTM_ERROR_UNSUPPORTED, "log" },
  { "log-floor-0", "{\"kind\":\"melspec\",\"log\":\"db\",\"log_floor\":0}",
      LSTM_ERROR_ARGUMENT, "log_floor" },
  { "log-floor-below-float", "{\"kind\":\"melspec\",\"log_floor\":1e-50}",
      LSTM_ERROR_ARGUMENT, "log_floor" },
  { "stype-unknown", "{\"kind\":\"melspec\",\"stype\":\"energy\"}",
      LSTM_ERROR_UNSUPPORTED, "stype" },
  { "norm-unknown", "{\"kind\":\"melspec\",\"norm\":\"l2\"}",
      LSTM_ERROR_UNSUPPORTED, "norm" },
  { "mel-scale-unknown", "{\"kind\":\"melspec\",\"mel_scale\":\"bark\"}",
      LSTM_ERROR_UNSUPPORTED, "mel_scale" },
  { "window-fn-unknown",
      "{\"kind\":\"melspec\",\"window_fn\":\"kaiser_window\"}",
      LSTM_ERROR_UNSUPPORTED, "window_fn" },
  { "wkwargs-unknown-key",
      "{\"kind\":\"melspec\",\"wkwargs\":{\"alpha\":0.5}}",
      LSTM_ERROR_FORMAT, "alpha" },
  { "normalized-unknown", "{\"kind\":\"melspec\",\"normalized\":\"peak\"}",
      LSTM_ERROR_UNSUPPORTED, "normalized" },
  { "waveform-scale-0", "{\"kind\":\"fbank\",\"waveform_scale\":0}",
      LSTM_ERROR_ARGUMENT, "waveform_scale" },
  { "waveform-scale-above-float",
      "{\"kind\":\"fbank\",\"waveform_scale\":1e40}", LSTM_ERROR_ARGUMENT,
      "waveform_scale" },
  { "channel-below-minus-1", "{\"kind\":\"fbank\",\"channel\":-2}",
      LSTM_ERROR_ARGUMENT, "channel" },
  { "channel-fraction", "{\"kind\":\"raw\",\"channel\":0.5}",
      LSTM_ERROR_FORMAT, "channel" },
  { "deltas-3", "{\"kind\":\"mfcc\",\"deltas\":3}", LSTM_ERROR_ARGUMENT,
      "deltas" },
  { "delta-win-length-2", "{\"kind\":\"mfcc\",\"deltas\":1,"
        "\"delta_win_length\":2}", LSTM_ERROR_ARGUMENT, "delta_win_length" },
  { "raw-deltas", "{\"kind\":\"raw\",\"deltas\":1}", LSTM_ERROR_FORMAT,
      "deltas" },
  { "raw-both-units",
      "{\"kind\":\"raw\",\"win_length\":400,\"frame_length\":25}",
      LSTM_ERROR_FORMAT, "frame_length" },
  { "raw-hop-0", "{\"kind\":\"raw\",\"win_length\":400,\"hop_length\":0}",
      LSTM_ERROR_ARGUMENT, "hop_length" },
  { "raw-frame-shift-0", "{\"kind\":\"raw\",\"frame_shift\":0}",
      LSTM_ERROR_ARGUMENT, "frame_shift" },
  { "raw-win-length-0", "{\"kind\":\"raw\",\"win_length\":0}",
      LSTM_ERROR_ARGUMENT, "win_length" },
};

static void
test_config_invalid (gconstpointer data)
{
  const InvalidCase *c = data;
  g_autoptr (GError) error = NULL;
  LstmFeatures *f = lstm_features_new (c->json, &error);

  g_assert_null (f);
  g_assert_error (error, LSTM_ERROR, (gint) c->code);
  if (strstr (error->message, c->key) == NULL)
    g_error ("'%s' does not name '%s'", error->message, c->key);
}

/* Absurd lengths in ms: the message gives the real number of samples (the
 * window does not fit a guint, and once printed "which is 0 samples"). */
typedef struct {
  const gchar *kind;
  const gchar *key;
  double ms;
} HugeLengthCase;

static const HugeLengthCase huge_cases[] = {
  { "fbank", "frame_length", 1e9 },
  { "mfcc", "frame_length", 3e12 },
  { "fbank", "frame_shift", 1e9 },
  { "raw", "frame_length", 1e9 },
  { "raw", "frame_shift", 5e8 },
  { "fbank", "frame_length", 1e300 },
};

static void
test_config_huge_length (gconstpointer data)
{
  const HugeLengthCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = NULL, *expect = NULL;
  gchar ms[G_ASCII_DTOSTR_BUF_SIZE];
  double samples = floor (16000.0 * c->ms * 0.001);
  LstmFeatures *f;

  g_ascii_dtostr (ms, sizeof ms, c->ms);
  json = g_strdup_printf ("{\"kind\":\"%s\",\"%s\":%s}", c->kind, c->key,
      ms);
  f = lstm_features_new (json, &error);
  g_assert_null (f);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->key));
  g_assert_null (strstr (error->message, " 0 samples"));
  if (samples < 1e15)
    expect = g_strdup_printf ("%.0f samples", samples);
  else
    expect = g_strdup_printf ("%.3g samples", samples);
  if (strstr (error->message, expect) == NULL)
    g_error ("'%s' does not say '%s'", error->message, expect);
}

static void
test_config_defaults (void)
{
  g_autoptr (LstmFeatures) fb = features_new ("{\"kind\":\"fbank\"}");
  g_autoptr (LstmFeatures) mf = features_new ("{\"kind\":\"mfcc\","
      "\"deltas\":2}");
  g_autoptr (LstmFeatures) ms = features_new ("{\"kind\":\"melspec\"}");
  g_autoptr (LstmFeatures) raw = features_new ("{\"kind\":\"raw\"}");
  g_autoptr (LstmFeatures) fb8 = features_new ("{\"kind\":\"fbank\","
      "\"sample_frequency\":8000,\"num_mel_bins\":40,\"use_energy\":true}");
  g_autofree gchar *cfg = lstm_features_get_config (fb);

  /* torchaudio.compliance.kaldi.fbank: 23 bins, 25 ms / 10 ms at 16 kHz */
  g_assert_cmpuint (lstm_features_get_size (fb), ==, 23);
  g_assert_cmpuint (lstm_features_get_sample_rate (fb), ==, 16000);
  g_assert_cmpuint (lstm_features_get_window (fb), ==, 400);
  g_assert_cmpuint (lstm_features_get_shift (fb), ==, 160);
  g_assert_cmpuint (lstm_features_get_latency (fb), ==, 240);
  g_assert_cmpint (lstm_features_get_frame_start (fb, 3), ==, 480);
  g_assert_cmpint (lstm_features_get_channel (fb), ==, -1);
  g_assert_nonnull (strstr (cfg, "\"num_mel_bins\":23"));
  g_assert_nonnull (strstr (cfg, "\"window_type\":\"povey\""));
  /* mfcc: 13 cepstra, x3 with deltas; 2 x 2 frames of delta context */
  g_assert_cmpuint (lstm_features_get_size (mf), ==, 39);
  g_assert_cmpuint (lstm_features_get_latency (mf), ==, 240 + 4 * 160);
  /* MelSpectrogram: n_fft 400, hop 200, 128 mels, centred frames */
  g_assert_cmpuint (lstm_features_get_size (ms), ==, 128);
  g_assert_cmpuint (lstm_features_get_window (ms), ==, 400);
  g_assert_cmpuint (lstm_features_get_shift (ms), ==, 200);
  g_assert_cmpint (lstm_features_get_frame_start (ms, 0), ==, -200);
  g_assert_cmpint (lstm_features_get_frame_start (ms, 1), ==, 0);
  g_assert_cmpuint (lstm_features_get_latency (ms), ==, 201);
  /* raw: Kaldi's 25 ms / 10 ms */
  g_assert_cmpuint (lstm_features_get_size (raw), ==, 400);
  g_assert_cmpuint (lstm_features_get_shift (raw), ==, 160);
  g_assert_cmpuint (lstm_features_get_size (fb8), ==, 41);
  g_assert_cmpuint (lstm_features_get_window (fb8), ==, 200);
  g_assert_cmpuint (lstm_features_get_shift (fb8), ==, 80);
}

static const gchar *const stream_configs[] = {
  "{\"kind\":\"fbank\"}",
  "{\"kind\":\"fbank\",\"num_mel_bins\":40,\"use_energy\":true,"
      "\"htk_compat\":true,\"window_type\":\"hamming\",\"raw_energy\":false}",
  "{\"kind\":\"fbank\",\"sample_frequency\":16000,\"frame_length\":20,"
      "\"round_to_power_of_two\":false,\"use_power\":false,"
      "\"use_log_fbank\":false,\"window_type\":\"blackman\","
      "\"vtln_warp\":0.9}",
  "{\"kind\":\"mfcc\"}",
  "{\"kind\":\"mfcc\",\"num_mel_bins\":40,\"num_ceps\":20,\"deltas\":2,"
      "\"use_energy\":true}",
  "{\"kind\":\"mfcc\",\"deltas\":1,\"delta_win_length\":9,"
      "\"htk_compat\":true,\"cepstral_lifter\":0}",
  "{\"kind\":\"melspec\"}",
  "{\"kind\":\"melspec\",\"n_fft\":400,\"hop_length\":160,\"n_mels\":40,"
      "\"log\":\"natural\",\"log_floor\":1e-6,\"pad\":37,\"deltas\":2}",
  "{\"kind\":\"melspec\",\"n_fft\":255,\"win_length\":200,"
      "\"hop_length\":80,\"n_mels\":32,\"pad_mode\":\"constant\","
      "\"power\":1,\"log\":\"db\",\"stype\":\"magnitude\","
      "\"window_fn\":\"bartlett_window\"}",
  "{\"kind\":\"melspec\",\"n_fft\":512,\"hop_length\":128,\"n_mels\":64,"
      "\"pad_mode\":\"replicate\",\"normalized\":\"frame_length\","
      "\"norm\":\"slaney\",\"mel_scale\":\"slaney\",\"power\":1.5}",
  "{\"kind\":\"melspec\",\"n_fft\":512,\"win_length\":400,"
      "\"hop_length\":160,\"center\":false,\"normalized\":true,"
      "\"n_mels\":40,\"window_fn\":\"blackman_window\","
      "\"wkwargs\":{\"periodic\":false},\"log\":\"natural\"}",
  "{\"kind\":\"melspec\",\"n_fft\":64,\"hop_length\":700,\"n_mels\":8}",
  "{\"kind\":\"raw\",\"win_length\":400,\"hop_length\":160}",
  "{\"kind\":\"raw\",\"win_length\":100,\"hop_length\":250}",
};

/* The frame count torchaudio gives for @n samples. */
static gsize
expected_frames (LstmFeatures *f, const gchar *json, gsize n)
{
  const gsize w = lstm_features_get_window (f);
  const gsize s = lstm_features_get_shift (f);
  const gint64 start0 = lstm_features_get_frame_start (f, 0);
  gsize pad = 0, total;

  if (strstr (json, "melspec")) {
    /* the signal padded by `pad` zeros and, centred, n_fft / 2 each side */
    pad = (gsize) (-start0);
    total = n + 2 * pad;
  } else {
    total = n;
  }
  return total < w ? 0 : 1 + (total - w) / s;
}

static void
test_chunking (gconstpointer data)
{
  const gchar *json = data;
  const gsize n = 16000 + 16000 / 3 + 7;
  g_autofree float *x = make_signal (n, 16000, 3);
  g_autoptr (LstmFeatures) f = features_new (json);
  const guint dim = lstm_features_get_size (f);
  const gsize chunks[] = { 1, 13, 160, G_MAXSIZE, 0 };
  g_autofree float *whole = NULL;
  gsize n_whole, i, k;

  whole = run_chunks (f, x, n, 0, &n_whole);
  g_assert_cmpuint (n_whole, ==, expected_frames (f, json, n));
  for (i = 0; i < n_whole * dim; i++)
    g_assert_true (isfinite (whole[i]));
  for (k = 0; k < G_N_ELEMENTS (chunks); k++) {
    gsize n_got;
    g_autofree float *got = run_chunks (f, x, n, chunks[k], &n_got);
    g_assert_cmpuint (n_got, ==, n_whole);
    /* bitwise */
    g_assert_cmpmem (got, n_got * dim * sizeof (float), whole,
        n_whole * dim * sizeof (float));
  }
}

/* Short streams: the frame count torchaudio would give (none when torch
 * raises: too short for reflection or for one window). */
static void
test_short_streams (void)
{
  const gchar *const configs[] = {
    "{\"kind\":\"melspec\",\"n_mels\":16}",
    "{\"kind\":\"melspec\",\"n_mels\":16,\"pad_mode\":\"constant\"}",
    "{\"kind\":\"melspec\",\"n_mels\":16,\"center\":false}",
    "{\"kind\":\"fbank\"}",
    "{\"kind\":\"mfcc\",\"deltas\":2}",
  };
  const gsize lengths[] = { 1, 2, 199, 200, 201, 202, 399, 400, 401, 560,
    601
  };
  g_autofree float *x = make_signal (601, 16000, 5);
  guint i, k;

  for (i = 0; i < G_N_ELEMENTS (configs); i++) {
    g_autoptr (LstmFeatures) f = features_new (configs[i]);
    for (k = 0; k < G_N_ELEMENTS (lengths); k++) {
      const gsize n = lengths[k];
      gsize expect, got;
      g_autofree float *out = run_chunks (f, x, n, 0, &got);
      if (i == 0)
        /* reflection needs more than n_fft / 2 samples */
        expect = n > 200 ? 1 + n / 200 : 0;
      else
        expect = expected_frames (f, configs[i], n);
      g_assert_cmpuint (got, ==, expect);
    }
  }
}

/* center=True equals center=False on the signal padded by hand:
 * `pad` zeros, then n_fft / 2 samples by the pad mode at each end. */
static void
test_melspec_center (void)
{
  const struct {
    const gchar *mode;
    guint pad;
    guint n_fft;
  } cases[] = {
    { "reflect", 0, 400 }, { "reflect", 37, 256 }, { "replicate", 0, 255 },
    { "replicate", 5, 400 }, { "constant", 0, 400 }, { "constant", 11, 127 },
  };
  const gsize n = 5000;
  g_autofree float *x = make_signal (n, 16000, 11);
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    const guint p = cases[c].n_fft / 2, lead = cases[c].pad;
    const gsize m = n + 2 * lead;
    g_autofree gchar *centred = g_strdup_printf ("{\"kind\":\"melspec\","
        "\"n_fft\":%u,\"hop_length\":123,\"n_mels\":20,\"pad\":%u,"
        "\"pad_mode\":\"%s\",\"log\":\"natural\"}", cases[c].n_fft, lead,
        cases[c].mode);
    g_autofree gchar *plain = g_strdup_printf ("{\"kind\":\"melspec\","
        "\"n_fft\":%u,\"hop_length\":123,\"n_mels\":20,\"center\":false,"
        "\"log\":\"natural\"}", cases[c].n_fft);
    g_autofree float *padded = g_new0 (float, m + 2 * p);
    g_autofree float *a = NULL, *b = NULL;
    gsize na, nb, i;

    /* [p edge][lead zeros][x][lead zeros][p edge] */
    memcpy (padded + p + lead, x, n * sizeof (float));
    for (i = 0; i < p; i++) {
      const float *s = padded + p;      /* the zero-padded signal, m long */
      if (strcmp (cases[c].mode, "reflect") == 0) {
        padded[p - 1 - i] = s[i + 1];
        padded[p + m + i] = s[m - 2 - i];
      } else if (strcmp (cases[c].mode, "replicate") == 0) {
        padded[p - 1 - i] = s[0];
        padded[p + m + i] = s[m - 1];
      }
    }
    a = compute (centred, x, n, &na);
    b = compute (plain, padded, m + 2 * p, &nb);
    g_assert_cmpuint (na, ==, nb);
    g_assert_cmpuint (na, ==, 1 + (m + 2 * p - cases[c].n_fft) / 123);
    g_assert_cmpmem (a, na * 20 * sizeof (float), b, nb * 20 * sizeof (float));
  }
}

/* compute_deltas over a whole sequence, written plainly. */
static void
deltas_reference (const float *x, gsize T, guint dim, guint win, float *d)
{
  const gint64 n = (win - 1) / 2;
  const float denom = (float) (n * (n + 1) * (2 * n + 1) / 3.0);
  gsize t;
  guint j;

  for (t = 0; t < T; t++)
    for (j = 0; j < dim; j++) {
      double acc = 0;
      gint64 k;
      for (k = -n; k <= n; k++) {
        gint64 i = CLAMP ((gint64) t + k, 0, (gint64) T - 1);
        acc += (double) k * x[i * dim + j];
      }
      d[t * dim + j] = (float) acc / denom;
    }
}

static void
test_deltas_edges (void)
{
  const guint wins[] = { 3, 5, 9 };
  const gsize frames[] = { 1, 2, 3, 4, 5, 8, 9, 30 };
  g_autofree float *x = make_signal (400 + 29 * 160, 16000, 13);
  guint w, k, order;

  for (w = 0; w < G_N_ELEMENTS (wins); w++)
    for (order = 1; order <= 2; order++)
      for (k = 0; k < G_N_ELEMENTS (frames); k++) {
        const gsize T = frames[k], n = 400 + (T - 1) * 160;
        g_autofree gchar *json = g_strdup_printf ("{\"kind\":\"mfcc\","
            "\"deltas\":%u,\"delta_win_length\":%u}", order, wins[w]);
        g_autofree float *base = NULL, *with = NULL, *d = NULL, *dd = NULL;
        gsize nb, nw, t;
        base = compute ("{\"kind\":\"mfcc\"}", x, n, &nb);
        with = compute (json, x, n, &nw);
        g_assert_cmpuint (nb, ==, T);
        g_assert_cmpuint (nw, ==, T);
        d = g_new (float, T * 13);
        dd = g_new (float, T * 13);
        deltas_reference (base, T, 13, wins[w], d);
        deltas_reference (d, T, 13, wins[w], dd);
        for (t = 0; t < T; t++) {
          const float *row = with + t * 13 * (order + 1);
          g_assert_cmpmem (row, 13 * 4, base + t * 13, 13 * 4);
          g_assert_cmpmem (row + 13, 13 * 4, d + t * 13, 13 * 4);
          if (order == 2)
            g_assert_cmpmem (row + 26, 13 * 4, dd + t * 13, 13 * 4);
        }
      }
}

/* flush() ends the stream and resets; reset() forgets a partial stream. */
static void
test_flush_reset (void)
{
  const gsize n = 7777;
  g_autofree float *x = make_signal (n, 16000, 17);
  g_autoptr (LstmFeatures) f = features_new ("{\"kind\":\"melspec\","
      "\"n_mels\":24,\"hop_length\":160,\"deltas\":1}");
  const guint dim = lstm_features_get_size (f);
  g_autofree float *a = NULL, *b = NULL, *c = NULL, *junk = NULL;
  g_autofree float *out = g_new (float, lstm_features_max_flush_frames (f) *
      dim);
  gsize na, nb, nc;

  /* nothing in, nothing out; twice */
  g_assert_cmpuint (lstm_features_flush (f, out), ==, 0);
  g_assert_cmpuint (lstm_features_process (f, x, 0, out), ==, 0);
  g_assert_cmpuint (lstm_features_flush (f, out), ==, 0);

  a = run_chunks (f, x, n, 0, &na);
  /* flush reset the extractor: the same stream gives the same frames */
  b = run_chunks (f, x, n, 333, &nb);
  g_assert_cmpuint (na, ==, nb);
  g_assert_cmpmem (a, na * dim * 4, b, nb * dim * 4);
  /* a flush right after a flush gives nothing */
  g_assert_cmpuint (lstm_features_flush (f, out), ==, 0);

  /* a partial stream, then reset: as if it never happened */
  junk = g_new (float, lstm_features_max_frames (f, 3000) * dim);
  lstm_features_process (f, x + 1000, 3000, junk);
  lstm_features_reset (f);
  c = run_chunks (f, x, n, 1000, &nc);
  g_assert_cmpuint (na, ==, nc);
  g_assert_cmpmem (a, na * dim * 4, c, nc * dim * 4);
}

/* ---- input formats ---- */

static void
test_input_formats (void)
{
  const gsize n = 12345;
  const gchar *json = "{\"kind\":\"fbank\",\"num_mel_bins\":30}";
  g_autoptr (LstmFeatures) f = features_new (json);
  const guint dim = lstm_features_get_size (f);
  g_autofree gint16 *s16 = g_new (gint16, n);
  g_autofree float *mono = g_new (float, n);
  g_autofree float *stereo = g_new (float, 2 * n);
  g_autofree float *other = make_signal (n, 16000, 23);
  g_autofree float *avg = g_new (float, n);
  g_autofree float *three = g_new (float, 3 * n);
  g_autofree float *ref = NULL, *ref_avg = NULL, *ref_other = NULL;
  g_autofree float *out = NULL;
  GRand *r = g_rand_new_with_seed (29);
  gsize i, nref, nr2, nr3, got;

  for (i = 0; i < n; i++) {
    s16[i] = (gint16) g_rand_int_range (r, -20000, 20000);
    mono[i] = (float) s16[i] / 32768.0f;
    stereo[2 * i] = stereo[2 * i + 1] = mono[i];
    avg[i] = (mono[i] + other[i]) / 2.0f;
    three[3 * i] = other[i];
    three[3 * i + 1] = mono[i];
    three[3 * i + 2] = -1.0f;
  }
  g_rand_free (r);
  ref = compute (json, mono, n, &nref);
  out = g_new (float, (lstm_features_max_frames (f, n) +
          lstm_features_max_flush_frames (f)) * dim);

  /* S16 mono: scaled by 1/32768, bitwise the F32 path */
  got = lstm_features_process_interleaved (f, s16, LSTM_SAMPLE_S16, 1, n,
      out);
  got += lstm_features_flush (f, out + got * dim);
  g_assert_cmpuint (got, ==, nref);
  g_assert_cmpmem (out, got * dim * 4, ref, nref * dim * 4);

  /* F32 mono interleaved = process() */
  got = lstm_features_process_interleaved (f, mono, LSTM_SAMPLE_F32, 1, n,
      out);
  got += lstm_features_flush (f, out + got * dim);
  g_assert_cmpmem (out, got * dim * 4, ref, nref * dim * 4);

  /* two equal channels average to the same samples */
  got = lstm_features_process_interleaved (f, stereo, LSTM_SAMPLE_F32, 2,
      n, out);
  got += lstm_features_flush (f, out + got * dim);
  g_assert_cmpmem (out, got * dim * 4, ref, nref * dim * 4);

  /* downmix: the average of the channels */
  for (i = 0; i < n; i++) {
    stereo[2 * i] = mono[i];
    stereo[2 * i + 1] = other[i];
  }
  ref_avg = compute (json, avg, n, &nr2);
  got = lstm_features_process_interleaved (f, stereo, LSTM_SAMPLE_F32, 2,
      n, out);
  got += lstm_features_flush (f, out + got * dim);
  g_assert_cmpuint (got, ==, nr2);
  g_assert_cmpmem (out, got * dim * 4, ref_avg, nr2 * dim * 4);

  /* `channel` picks one channel */
  {
    g_autoptr (LstmFeatures) f1 = features_new ("{\"kind\":\"fbank\","
        "\"num_mel_bins\":30,\"channel\":1}");
    g_autoptr (LstmFeatures) f0 = features_new ("{\"kind\":\"fbank\","
        "\"num_mel_bins\":30,\"channel\":0}");
    g_assert_cmpint (lstm_features_get_channel (f1), ==, 1);
    got = lstm_features_process_interleaved (f1, three, LSTM_SAMPLE_F32, 3,
        n, out);
    got += lstm_features_flush (f1, out + got * dim);
    g_assert_cmpmem (out, got * dim * 4, ref, nref * dim * 4);
    ref_other = compute (json, other, n, &nr3);
    got = lstm_features_process_interleaved (f0, three, LSTM_SAMPLE_F32, 3,
        n, out);
    got += lstm_features_flush (f0, out + got * dim);
    g_assert_cmpmem (out, got * dim * 4, ref_other, nr3 * dim * 4);
  }

  /* waveform_scale 32768 on s/32768 = the integers themselves */
  {
    g_autoptr (LstmFeatures) fs = features_new ("{\"kind\":\"fbank\","
        "\"num_mel_bins\":30,\"waveform_scale\":32768}");
    g_autofree float *ints = g_new (float, n);
    g_autofree float *ref_int = NULL;
    gsize ni;
    for (i = 0; i < n; i++)
      ints[i] = (float) s16[i];
    ref_int = compute (json, ints, n, &ni);
    got = lstm_features_process_interleaved (fs, s16, LSTM_SAMPLE_S16, 1, n,
        out);
    got += lstm_features_flush (fs, out + got * dim);
    g_assert_cmpuint (got, ==, ni);
    g_assert_cmpmem (out, got * dim * 4, ref_int, ni * dim * 4);
  }
}

/* Silence: every filterbank value at its floor, nothing non-finite. */
static void
test_silence (void)
{
  g_autofree float *zeros = g_new0 (float, 4000);
  g_autofree float *a = NULL, *b = NULL, *c = NULL;
  gsize na, nb, nc, i;

  a = compute ("{\"kind\":\"fbank\",\"use_energy\":true}", zeros, 4000, &na);
  g_assert_cmpuint (na, ==, 23);
  for (i = 0; i < na * 24; i++)
    /* energy: max(log eps, log energy_floor = 0); bins: log eps */
    g_assert_cmpfloat (a[i], ==, i % 24 == 0 ? 0.0f : logf (FLT_EPSILON));
  b = compute ("{\"kind\":\"melspec\",\"n_mels\":16,\"log\":\"db\"}", zeros,
      4000, &nb);
  for (i = 0; i < nb * 16; i++)
    g_assert_cmpfloat (b[i], ==, 10.0f * log10f (1e-10f));
  c = compute ("{\"kind\":\"mfcc\",\"deltas\":2}", zeros, 4000, &nc);
  for (i = 0; i < nc * 39; i++)
    g_assert_true (isfinite (c[i]));
}

/* Raw windows are the samples; with hop > window samples are skipped. */
static void
test_raw (void)
{
  const gsize n = 3001;
  g_autofree float *x = make_signal (n, 16000, 31);
  g_autofree float *a = NULL;
  gsize na, t;

  a = compute ("{\"kind\":\"raw\",\"win_length\":100,\"hop_length\":250,"
      "\"waveform_scale\":2}", x, n, &na);
  g_assert_cmpuint (na, ==, 1 + (n - 100) / 250);
  for (t = 0; t < na; t++) {
    guint i;
    for (i = 0; i < 100; i++)
      g_assert_cmpfloat (a[t * 100 + i], ==, x[t * 250 + i] * 2.0f);
  }
}

/* The latency is the look-ahead the frames really wait for: fed one
 * sample at a time, frame t appears when the input reaches
 * frame_start(t) + shift + latency at the latest, and some frame needs
 * all of it. */
static void
test_latency (void)
{
  const gchar *const configs[] = {
    "{\"kind\":\"fbank\"}",
    "{\"kind\":\"mfcc\",\"deltas\":2}",
    "{\"kind\":\"mfcc\",\"deltas\":1,\"delta_win_length\":9}",
    "{\"kind\":\"melspec\",\"n_mels\":20}",
    "{\"kind\":\"melspec\",\"n_mels\":20,\"n_fft\":255,\"hop_length\":100,"
        "\"pad\":30}",
    "{\"kind\":\"melspec\",\"n_mels\":20,\"pad_mode\":\"constant\"}",
    "{\"kind\":\"melspec\",\"n_mels\":20,\"center\":false,\"deltas\":1}",
    "{\"kind\":\"raw\",\"win_length\":100,\"hop_length\":250}",
  };
  const gsize n = 6000;
  g_autofree float *x = make_signal (n, 16000, 37);
  guint c;

  for (c = 0; c < G_N_ELEMENTS (configs); c++) {
    g_autoptr (LstmFeatures) f = features_new (configs[c]);
    const guint dim = lstm_features_get_size (f);
    const gint64 latency = lstm_features_get_latency (f);
    const gint64 shift = lstm_features_get_shift (f);
    g_autofree float *out = g_new (float, lstm_features_max_frames (f, 1) *
        dim);
    guint64 frame = 0;
    gint64 worst = G_MININT64;
    gsize i;

    for (i = 0; i < n; i++) {
      gsize got = lstm_features_process (f, x + i, 1, out), k;
      for (k = 0; k < got; k++, frame++) {
        gint64 wait = (gint64) (i + 1) -
            (lstm_features_get_frame_start (f, frame) + shift);
        g_assert_cmpint (wait, <=, latency);
        worst = MAX (worst, wait);
      }
    }
    g_assert_cmpuint (frame, >, 10);
    /* 0 when frames do not overlap: they come before their shift ends */
    if (latency > 0)
      g_assert_cmpint (worst, ==, latency);
    lstm_features_reset (f);
  }
}

/* ---- models ---- */

static LstmModel *
model_with_features (guint input_size, const gchar *features)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *arch = g_strdup_printf ("[{\"type\":\"lstm\","
      "\"name\":\"rnn\",\"input_size\":%u,\"hidden_size\":4},"
      "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2,"
      "\"activation\":\"softmax\"}]", input_size);
  LstmModelOptions opts = { 0 };
  LstmModel *m;

  opts.features = features;
  m = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  return m;
}

/* The canonical configuration of @json (for comparisons). */
static gchar *
canonical (const gchar *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmFeatures) f = lstm_features_new (json, &error);

  g_assert_no_error (error);
  return lstm_features_get_config (f);
}

/* lstm_features_new_from_options(): every source (kind, inline JSON, file,
 * model) gives what the JSON it stands for gives, and the overrides go
 * into each kind's own keys. */
static void
test_options (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = model_with_features (39,
      "{\"kind\":\"mfcc\",\"deltas\":2}");
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-features-XXXXXX", NULL);
  g_autofree gchar *json_path = g_build_filename (dir, "f.json", NULL);
  g_autofree gchar *model_path = g_build_filename (dir, "m.safetensors",
      NULL);
  const gchar *mel = "{\"kind\":\"melspec\",\"sample_rate\":8000,"
      "\"log\":\"natural\"}";
  LstmFeaturesOptions o;
  LstmModel *got_model = NULL;
  LstmFeatures *f;
  gchar *a, *b;

  g_assert_true (g_file_set_contents (json_path, mel, -1, NULL));
  g_assert_true (lstm_model_save (model, model_path, &error));

  /* nothing given: fbank's defaults */
  lstm_features_options_init (&o);
  a = lstm_features_options_to_config (&o, &error);
  g_assert_no_error (error);
  b = canonical ("{\"kind\":\"fbank\"}");
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);

  /* a kind name */
  o.source = "raw";
  a = lstm_features_options_to_config (&o, &error);
  g_assert_no_error (error);
  b = canonical ("{\"kind\":\"raw\"}");
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);

  /* a file, with overrides in melspec's keys (ms to samples at its rate) */
  o.source = json_path;
  o.num_mel_bins = 40;
  o.frame_length_ms = 32;
  o.frame_shift_ms = 10;
  o.low_freq = 0;
  o.high_freq = 3000;
  a = lstm_features_options_to_config (&o, &error);
  g_assert_no_error (error);
  b = canonical ("{\"kind\":\"melspec\",\"sample_rate\":8000,"
      "\"log\":\"natural\",\"n_mels\":40,\"n_fft\":256,\"win_length\":256,"
      "\"hop_length\":80,\"f_min\":0,\"f_max\":3000}");
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  /* the same inline */
  o.source = mel;
  a = lstm_features_options_to_config (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);

  /* the kind over the source's, overrides in fbank's keys */
  lstm_features_options_init (&o);
  o.source = "{\"kind\":\"mfcc\",\"deltas\":1}";
  o.kind = "fbank";
  o.sample_rate = 22050;
  o.frame_shift_ms = 5;
  o.low_freq = 60;
  a = lstm_features_options_to_config (&o, &error);
  g_assert_no_error (error);
  b = canonical ("{\"kind\":\"fbank\",\"deltas\":1,"
      "\"sample_frequency\":22050,\"frame_shift\":5,\"low_freq\":60}");
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);

  /* an override the kind has no use for */
  lstm_features_options_init (&o);
  o.kind = "fbank";
  o.num_ceps = 13;
  g_assert_null (lstm_features_new_from_options (&o, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "num-ceps"));
  g_clear_error (&error);

  /* a model: its features, and the model itself */
  lstm_features_options_init (&o);
  o.source = model_path;
  f = lstm_features_new_from_options (&o, &got_model, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got_model);
  g_assert_cmpuint (lstm_features_get_size (f), ==, 39);
  lstm_features_free (f);
  lstm_model_unref (got_model);
  /* whose features are not overridden */
  o.num_mel_bins = 30;
  g_assert_null (lstm_features_new_from_options (&o, &got_model, &error));
  g_assert_null (got_model);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "num-mel-bins"));
  g_clear_error (&error);

  /* sources that are not configurations */
  lstm_features_options_init (&o);
  o.source = "{\"kind\":";
  g_assert_null (lstm_features_new_from_options (&o, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_clear_error (&error);
  o.source = "[1]";
  g_assert_null (lstm_features_new_from_options (&o, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_clear_error (&error);

  g_unlink (json_path);
  g_unlink (model_path);
  g_rmdir (dir);
}

static void
test_for_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) good = model_with_features (39,
      "{\"kind\":\"mfcc\",\"deltas\":2}");
  g_autoptr (LstmModel) wrong = model_with_features (40,
      "{\"kind\":\"mfcc\",\"deltas\":2}");
  g_autoptr (LstmModel) none = model_with_features (40, NULL);
  g_autoptr (LstmModel) bad = model_with_features (40,
      "{\"kind\":\"fbank\",\"frame_shift\":0}");
  g_autoptr (LstmFeatures) f = lstm_features_new_for_model (good, &error);
  LstmFeatures *g;

  g_assert_no_error (error);
  g_assert_cmpuint (lstm_features_get_size (f), ==, 39);
  g = lstm_features_new_for_model (wrong, &error);
  g_assert_null (g);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "39"));
  g_assert_nonnull (strstr (error->message, "40"));
  g_clear_error (&error);
  g = lstm_features_new_for_model (none, &error);
  g_assert_null (g);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g = lstm_features_new_for_model (bad, &error);
  g_assert_null (g);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "frame_shift"));
}

static void
test_config_roundtrip (gconstpointer data)
{
  const gchar *json = data;
  g_autoptr (LstmFeatures) a = features_new (json);
  g_autofree gchar *canon = lstm_features_get_config (a);
  g_autoptr (LstmFeatures) b = features_new (canon);
  g_autofree gchar *canon2 = lstm_features_get_config (b);
  g_autofree float *x = make_signal (9000, 16000, 41);
  g_autofree float *fa = NULL, *fb = NULL;
  gsize na, nb;

  g_assert_cmpstr (canon, ==, canon2);
  g_assert_cmpuint (lstm_features_get_size (a), ==,
      lstm_features_get_size (b));
  g_assert_cmpuint (lstm_features_get_latency (a), ==,
      lstm_features_get_latency (b));
  fa = run_chunks (a, x, 9000, 0, &na);
  fb = run_chunks (b, x, 9000, 0, &nb);
  g_assert_cmpuint (na, ==, nb);
  g_assert_cmpmem (fa, na * lstm_features_get_size (a) * 4, fb,
      nb * lstm_features_get_size (b) * 4);
}

static void
test_normalization (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *json = "{\"kind\":\"fbank\",\"num_mel_bins\":8,"
      "\"deltas\":1}";
  g_autoptr (LstmFeatures) f = features_new (json);
  g_autofree float *x = make_signal (5000, 16000, 43);
  g_autofree float *plain = NULL, *norm = NULL;
  float mean[16], std[16], zero[16];
  gsize np, nn, t;
  guint j;

  for (j = 0; j < 16; j++) {
    mean[j] = (float) j - 5.0f;
    std[j] = 0.5f + (float) j;
    zero[j] = 0.0f;
  }
  plain = run_chunks (f, x, 5000, 0, &np);
  g_assert_true (lstm_features_set_normalization (f, mean, std, &error));
  g_assert_no_error (error);
  norm = run_chunks (f, x, 5000, 77, &nn);
  g_assert_cmpuint (np, ==, nn);
  for (t = 0; t < np; t++)
    for (j = 0; j < 16; j++) {
      float v = plain[t * 16 + j];
      v = v - mean[j];
      v = v / std[j];
      g_assert_cmpfloat (norm[t * 16 + j], ==, v);
    }
  g_assert_false (lstm_features_set_normalization (f, NULL, zero, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  /* still the previous normalisation; NULL, NULL turns it off */
  g_assert_true (lstm_features_set_normalization (f, NULL, NULL, NULL));
  g_free (norm);
  norm = run_chunks (f, x, 5000, 0, &nn);
  g_assert_cmpmem (norm, nn * 16 * 4, plain, np * 16 * 4);
}

/* No allocation per call: process, process_interleaved and flush over a
 * long stream, counted by the interposed malloc. Configurations whose FFT
 * sizes factor into 2, 3, 4 and 5 only: kissfft's generic butterfly (other
 * prime factors) allocates a scratch buffer per FFT inside kissfft. */
static void
test_no_allocation (void)
{
#if HAVE_ALLOC_COUNT
  const gchar *const configs[] = {
    "{\"kind\":\"fbank\",\"use_energy\":true}",
    "{\"kind\":\"mfcc\",\"deltas\":2}",
    "{\"kind\":\"melspec\",\"log\":\"natural\",\"deltas\":1}",
    "{\"kind\":\"melspec\",\"n_fft\":375,\"n_mels\":20,\"pad\":10}",
    "{\"kind\":\"raw\",\"win_length\":100,\"hop_length\":250}",
  };
  const gsize n = 48000;
  g_autofree float *x = make_signal (n, 16000, 47);
  g_autofree gint16 *s16 = g_new (gint16, 2 * n);
  guint c;
  gsize i;

  for (i = 0; i < 2 * n; i++)
    s16[i] = (gint16) (x[i / 2] * 30000);
  for (c = 0; c < G_N_ELEMENTS (configs); c++) {
    g_autoptr (LstmFeatures) f = features_new (configs[c]);
    const guint dim = lstm_features_get_size (f);
    g_autofree float *out = g_new (float, (lstm_features_max_frames (f,
                4000) + lstm_features_max_flush_frames (f)) * dim);
    gsize done, frames = 0;
    gint allocs;

    n_allocs = 0;
    counting = 1;
    for (done = 0; done < n; done += 4000)
      frames += lstm_features_process (f, x + done, 4000, out);
    frames += lstm_features_flush (f, out);
    for (done = 0; done < n; done += 1000)
      frames += lstm_features_process_interleaved (f, s16 + 2 * done,
          LSTM_SAMPLE_S16, 2, 1000, out);
    frames += lstm_features_flush (f, out);
    lstm_features_reset (f);
    counting = 0;
    allocs = n_allocs;
    g_assert_cmpuint (frames, >, 100);
    if (allocs != 0)
      g_error ("%s: %d allocations while streaming", configs[c], allocs);
  }
#else
  g_test_skip ("malloc cannot be interposed under AddressSanitizer");
#endif
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (invalid_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/features/config/invalid/%s",
        invalid_cases[i].name);
    g_test_add_data_func (path, &invalid_cases[i], test_config_invalid);
  }
  for (i = 0; i < G_N_ELEMENTS (huge_cases); i++) {
    g_autofree gchar *path = g_strdup_printf
        ("/features/config/huge-length/%s-%s-%u", huge_cases[i].kind,
        huge_cases[i].key, i);
    g_test_add_data_func (path, &huge_cases[i], test_config_huge_length);
  }
  g_test_add_func ("/features/config/defaults", test_config_defaults);
  for (i = 0; i < G_N_ELEMENTS (stream_configs); i++) {
    g_autofree gchar *p1 = g_strdup_printf ("/features/chunking/%u", i);
    g_autofree gchar *p2 = g_strdup_printf ("/features/config/roundtrip/%u",
        i);
    g_test_add_data_func (p1, stream_configs[i], test_chunking);
    g_test_add_data_func (p2, stream_configs[i], test_config_roundtrip);
  }
  g_test_add_func ("/features/edges/short-streams", test_short_streams);
  g_test_add_func ("/features/edges/melspec-center", test_melspec_center);
  g_test_add_func ("/features/edges/deltas", test_deltas_edges);
  g_test_add_func ("/features/flush-reset", test_flush_reset);
  g_test_add_func ("/features/input/formats", test_input_formats);
  g_test_add_func ("/features/input/silence", test_silence);
  g_test_add_func ("/features/raw", test_raw);
  g_test_add_func ("/features/latency", test_latency);
  g_test_add_func ("/features/model", test_for_model);
  g_test_add_func ("/features/options", test_options);
  g_test_add_func ("/features/normalization", test_normalization);
  g_test_add_func ("/features/no-allocation", test_no_allocation);
  return g_test_run ();
}
