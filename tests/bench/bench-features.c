/* Benchmark: the features' real-time factor on 60 s of 16 kHz audio,
 * against torchaudio measured in the same run (one thread).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * liblstm streams the signal in calls of 1024 samples; torchaudio gets the
 * whole signal in one call. Best of a few runs each, in process CPU time
 * (time spent waiting for a shared core is not counted). Prints figures
 * only; speed is never a pass/fail criterion.
 *
 * The floor: the real FFTs alone for the same number of frames, 512 points
 * for fbank/mfcc (400 samples padded) and 400 for melspec (n_fft 400), on
 * windows of the same signal: liblstm's FFT in each variant this CPU runs
 * ("used": the one features use here), and kissfft's
 * kiss_fftr (what liblstm used before its own FFT).
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <lstm/lstm.h>
#include <kiss_fftr.h>

#include "features-private.h"

#define RATE 16000
#define SECONDS 60
#define CHUNK 1024
#define REPEATS 3

static const struct {
  const gchar *name;
  const gchar *config;
} kinds[] = {
  { "fbank", "{\"kind\":\"fbank\",\"num_mel_bins\":40}" },
  { "mfcc+deltas", "{\"kind\":\"mfcc\",\"deltas\":2}" },
  { "melspec", "{\"kind\":\"melspec\",\"n_fft\":400,\"hop_length\":160,"
        "\"n_mels\":40,\"log\":\"natural\",\"log_floor\":1e-6}" },
  { "raw", "{\"kind\":\"raw\",\"win_length\":400,\"hop_length\":160}" },
};

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
time_ours (const gchar *config, const float *x, gsize n, gsize *frames)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmFeatures) f = lstm_features_new (config, &error);
  g_autofree float *out = NULL;
  double best = INFINITY;
  guint r;

  g_assert_no_error (error);
  out = g_new (float, (lstm_features_max_frames (f, CHUNK) +
          lstm_features_max_flush_frames (f)) * lstm_features_get_size (f));
  for (r = 0; r < REPEATS; r++) {
    double t0 = cpu_seconds ();
    gsize done, got = 0;
    for (done = 0; done < n; done += CHUNK)
      got += lstm_features_process (f, x + done, MIN (CHUNK, n - done), out);
    got += lstm_features_flush (f, out);
    best = MIN (best, cpu_seconds () - t0);
    *frames = got;
  }
  return best;
}

/* CPU seconds of @frames real FFTs of @nfft points over windows of @x
 * (hop 160), best of REPEATS: kissfft's kiss_fftr (@variant NULL) or
 * liblstm's FFT in @variant. */
static double
time_fft (const float *x, gsize n, guint nfft, gsize frames,
    const gchar *variant)
{
  kiss_fftr_cfg cfg = NULL;
  LstmFeaturesFft fft = { 0 };
  g_autofree kiss_fft_cpx *out = g_new (kiss_fft_cpx, nfft / 2 + 1);
  g_autofree float *in = g_new0 (float, nfft);
  double best = INFINITY, sink = 0.0;
  guint r;

  if (variant == NULL) {
    cfg = kiss_fftr_alloc ((int) nfft, 0, NULL, NULL);
    g_assert_nonnull (cfg);
  } else if (!lstm_features_fft_init_variant (&fft, nfft, variant, NULL)) {
    return NAN;
  }
  for (r = 0; r < REPEATS; r++) {
    double t0 = cpu_seconds ();
    gsize f;
    for (f = 0; f < frames; f++) {
      gsize at = (f * 160) % (n - 400);
      memcpy (in, x + at, 400 * sizeof (float));
      if (cfg) {
        kiss_fftr (cfg, in, out);
        sink += out[1].r;
      } else {
        lstm_features_fft_run (&fft, in);
        sink += fft.re[1];
      }
    }
    best = MIN (best, cpu_seconds () - t0);
  }
  if (cfg)
    kiss_fftr_free (cfg);
  lstm_features_fft_clear (&fft);
  if (sink == 1234.5)
    g_print (" ");
  return best;
}

/* torchaudio's timings, or NULL when python3/torch are not there. */
static JsonObject *
time_torch (const float *x, gsize n)
{
  const gchar *python = g_getenv ("LSTM_PYTHON");
  const gchar *src = g_getenv ("LSTM_SOURCE_ROOT");
  g_autofree gchar *script = NULL, *tmp = NULL, *so = NULL, *se = NULL;
  g_autofree gchar *rate = g_strdup_printf ("%d", RATE);
  g_autofree gchar *reps = g_strdup_printf ("%d", REPEATS);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gint fd, status = 0;
  gboolean ok;

  if (python == NULL)
    python = "/usr/bin/python3";
  script = src ? g_build_filename (src, "tests", "bench",
      "bench_features_torch.py", NULL) : g_strdup ("bench_features_torch.py");
  fd = g_file_open_tmp ("bench-features-XXXXXX.f32", &tmp, &error);
  if (fd < 0)
    return NULL;
  close (fd);
  if (!g_file_set_contents (tmp, (const gchar *) x, n * sizeof (float),
          &error)) {
    g_unlink (tmp);
    return NULL;
  }
  {
    const gchar *argv[] = { python, script, tmp, rate, reps, NULL };
    ok = g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL,
        NULL, &so, &se, &status, &error) &&
        g_spawn_check_wait_status (status, NULL);
  }
  g_unlink (tmp);
  if (!ok || !json_parser_load_from_data (parser, so, -1, NULL)) {
    g_print ("torchaudio not measured (%s)\n", error ? error->message :
        (se && *se ? se : "no python3 with torch/torchaudio"));
    return NULL;
  }
  return json_object_ref (json_node_get_object (json_parser_get_root
          (parser)));
}

int
main (void)
{
  const gsize n = (gsize) RATE * SECONDS;
  g_autofree float *x = g_new (float, n);
  JsonObject *torch;
  GRand *r = g_rand_new_with_seed (1);
  double ours[G_N_ELEMENTS (kinds)];
  gsize frames[G_N_ELEMENTS (kinds)];
  gsize i;
  guint k;

  for (i = 0; i < n; i++) {
    double t = (double) i / RATE;
    x[i] = (float) (0.3 * sin (2 * G_PI * (100 + 50 * fmod (t, 10)) * t) +
        0.05 * g_rand_double_range (r, -1, 1));
  }
  g_rand_free (r);
  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    ours[k] = time_ours (kinds[k].config, x, n, &frames[k]);
  torch = time_torch (x, n);

  g_print ("Features over %d s of %d Hz audio (best of %d; real-time factor "
      "= compute time / audio duration)\n", SECONDS, RATE, REPEATS);
  g_print ("liblstm: calls of %d samples; torchaudio: the whole signal, "
      "torch.set_num_threads(1)\n\n", CHUNK);
  g_print ("%-12s %8s %14s %14s %10s\n", "kind", "frames", "liblstm RTF",
      "torchaudio RTF", "speed-up");
  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    if (torch && json_object_has_member (torch, kinds[k].name)) {
      double t = json_object_get_double_member (torch, kinds[k].name);
      g_print ("%-12s %8" G_GSIZE_FORMAT " %14.6f %14.6f %9.2fx\n",
          kinds[k].name, frames[k], ours[k] / SECONDS, t / SECONDS,
          t / ours[k]);
    } else {
      g_print ("%-12s %8" G_GSIZE_FORMAT " %14.6f %14s %10s\n",
          kinds[k].name, frames[k], ours[k] / SECONDS, "-", "-");
    }
  }
  {
    const gchar *const *v;
    LstmFeaturesFft fft;
    const gchar *used = "?";
    if (lstm_features_fft_init (&fft, 512, NULL)) {
      used = fft.plan->variant;
      lstm_features_fft_clear (&fft);
    }
    g_print ("\nThe FFT-only floor (the same frames, real-time factor; "
        "%% of fbank's / melspec's time):\n");
    g_print ("%-24s %16s %16s\n", "FFT", "512 points", "400 points");
    for (v = lstm_fft_variants (); *v; v++) {
      double f512 = time_fft (x, n, 512, frames[0], *v);
      double f400 = time_fft (x, n, 400, frames[2], *v);
      g_autofree gchar *name = g_strdup_printf ("liblstm %s%s", *v,
          strcmp (*v, used) == 0 ? " (used)" : "");
      g_print ("%-24s %9.6f (%3.0f%%) %9.6f (%3.0f%%)\n", name,
          f512 / SECONDS, 100.0 * f512 / ours[0], f400 / SECONDS,
          100.0 * f400 / ours[2]);
    }
    {
      double f512 = time_fft (x, n, 512, frames[0], NULL);
      double f400 = time_fft (x, n, 400, frames[2], NULL);
      g_print ("%-24s %9.6f (%3.0f%%) %9.6f (%3.0f%%)\n", "kissfft kiss_fftr",
          f512 / SECONDS, 100.0 * f512 / ours[0], f400 / SECONDS,
          100.0 * f400 / ours[2]);
    }
  }
  if (torch)
    json_object_unref (torch);
  return 0;
}
