/* Unit tests: `lstm features` and `lstm run` on audio files, against the
 * library called directly.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For mono input at the configuration's rate (S16 or F32 files) the tool
 * must write the very bytes LstmFeatures computes; resampled input matches
 * within design.md section 5's tolerance.
 */
#include "config.h"

#include <math.h>
#include <string.h>


#include <glib/gstdio.h>
#include <sndfile.h>
#include <lstm/lstm.h>

#include "tool-util.h"

static gchar *tmpdir;

static const gchar *const configs[] = {
  "{\"kind\":\"fbank\",\"num_mel_bins\":40}",
  "{\"kind\":\"mfcc\",\"deltas\":2,\"use_energy\":true}",
  "{\"kind\":\"melspec\",\"n_fft\":400,\"hop_length\":160,\"n_mels\":40,"
      "\"log\":\"natural\",\"log_floor\":1e-6}",
  "{\"kind\":\"raw\",\"win_length\":256,\"hop_length\":200}",
};

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_wav (const gchar *path, int format, guint rate, guint channels,
    const float *x, gsize n_frames)
{
  SF_INFO info = { 0 };
  SNDFILE *sf;

  info.samplerate = (int) rate;
  info.channels = (int) channels;
  info.format = SF_FORMAT_WAV | format;
  sf = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (sf);
  if (format == SF_FORMAT_FLOAT) {
    /* stored as they are */
    g_assert_cmpint (sf_writef_float (sf, x, (sf_count_t) n_frames), ==,
        (sf_count_t) n_frames);
  } else {
    g_autofree gint16 *s = g_new (gint16, MAX (n_frames * channels, 1));
    gsize i;
    for (i = 0; i < n_frames * channels; i++)
      s[i] = (gint16) lrintf (CLAMP (x[i], -1.0f, 32767.0f / 32768.0f) *
          32768.0f);
    g_assert_cmpint (sf_writef_short (sf, s, (sf_count_t) n_frames), ==,
        (sf_count_t) n_frames);
  }
  sf_close (sf);
}

static float *
make_signal (gsize n, double rate, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, n);
  gsize i;

  for (i = 0; i < n; i++) {
    double t = i / rate;
    x[i] = (float) (0.3 * sin (2 * G_PI * (150 + 1200 * t) * t) +
        0.02 * g_rand_double_range (r, -1, 1));
  }
  g_rand_free (r);
  return x;
}

/* The library's frames for interleaved samples. */
static float *
library_frames (const gchar *config, const void *x, LstmSampleFormat fmt,
    guint channels, gsize n, gsize *n_frames)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmFeatures) f = lstm_features_new (config, &error);
  guint dim;
  float *out;
  gsize got;

  g_assert_no_error (error);
  dim = lstm_features_get_size (f);
  out = g_new (float, (lstm_features_max_frames (f, n) +
          lstm_features_max_flush_frames (f)) * dim);
  got = lstm_features_process_interleaved (f, x, fmt, channels, n, out);
  got += lstm_features_flush (f, out + got * dim);
  *n_frames = got;
  return out;
}

static gchar *
read_output (const gchar *path, gsize *len)
{
  g_autoptr (GError) error = NULL;
  gchar *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, &error));
  g_assert_no_error (error);
  return data;
}

static void
check_tool_equals (const gchar *config, const gchar *wav, const float *ref,
    gsize n_ref, guint dim)
{
  g_autofree gchar *out = tmp_path ("out.f32");
  const gchar *args[] = { "features", config, wav, out, NULL };
  g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
  gsize len;

  if (tool_run (NULL, args, &so, &se) != 0)
    g_error ("lstm features failed: %s", se);
  data = read_output (out, &len);
  g_assert_cmpuint (len, ==, n_ref * dim * sizeof (float));
  g_assert_true (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  g_assert_cmpmem (data, len, ref, n_ref * dim * sizeof (float));
  g_unlink (out);
}

static guint
config_size (const gchar *config)
{
  g_autoptr (LstmFeatures) f = lstm_features_new (config, NULL);
  g_assert_nonnull (f);
  return lstm_features_get_size (f);
}

/* S16 and F32 mono WAV at the configuration's rate: the same bytes. */
static void
test_bitwise (void)
{
  const gsize n = 16000 + 4321;
  g_autofree float *x = make_signal (n, 16000, 3);
  g_autofree gint16 *s16 = g_new (gint16, n);
  g_autofree gchar *wav16 = tmp_path ("mono-s16.wav");
  g_autofree gchar *wav32 = tmp_path ("mono-f32.wav");
  guint c;
  gsize i;

  write_wav (wav16, SF_FORMAT_PCM_16, 16000, 1, x, n);
  write_wav (wav32, SF_FORMAT_FLOAT, 16000, 1, x, n);
  for (i = 0; i < n; i++)
    s16[i] = (gint16) lrintf (x[i] * 32768.0f);
  for (c = 0; c < G_N_ELEMENTS (configs); c++) {
    const guint dim = config_size (configs[c]);
    g_autofree float *ref16 = NULL, *ref32 = NULL;
    gsize n16, n32;
    ref16 = library_frames (configs[c], s16, LSTM_SAMPLE_S16, 1, n, &n16);
    ref32 = library_frames (configs[c], x, LSTM_SAMPLE_F32, 1, n, &n32);
    g_assert_cmpuint (n16, >, 50);
    check_tool_equals (configs[c], wav16, ref16, n16, dim);
    check_tool_equals (configs[c], wav32, ref32, n32, dim);
  }
}

/* The options of lstmfeatures' property names give the frames of the
 * configuration they stand for, in each kind's own keys. */
static void
test_options (void)
{
  static const struct {
    const gchar *args[12];
    guint rate;
    const gchar *config;
  } cases[] = {
    { { "--kind", "mfcc", "--sample-rate", "22050", "--num-ceps", "20",
            "--num-mel-bins=30", "--frame-shift-ms", "5", NULL }, 22050,
        "{\"kind\":\"mfcc\",\"sample_frequency\":22050,\"num_ceps\":20,"
          "\"num_mel_bins\":30,\"frame_shift\":5}" },
    { { "--kind=melspec", "--frame-length-ms", "32", "--frame-shift-ms",
            "16", "--low-freq", "0", "--high-freq", "6000", NULL }, 16000,
        "{\"kind\":\"melspec\",\"n_fft\":512,\"win_length\":512,"
          "\"hop_length\":256,\"f_min\":0,\"f_max\":6000}" },
    { { "--low-freq", "80", "{\"kind\":\"fbank\",\"deltas\":1}", NULL },
        16000, "{\"kind\":\"fbank\",\"deltas\":1,\"low_freq\":80}" },
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    const gsize n = cases[c].rate + 777;
    g_autofree float *x = make_signal (n, cases[c].rate, 40 + c);
    g_autofree gchar *wav = tmp_path ("options.wav");
    g_autofree gchar *out = tmp_path ("options.f32");
    g_autoptr (GPtrArray) args = g_ptr_array_new ();
    g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
    g_autofree float *ref = NULL;
    const guint dim = config_size (cases[c].config);
    gsize n_ref, len;
    guint i;

    write_wav (wav, SF_FORMAT_FLOAT, cases[c].rate, 1, x, n);
    ref = library_frames (cases[c].config, x, LSTM_SAMPLE_F32, 1, n,
        &n_ref);
    g_assert_cmpuint (n_ref, >, 10);
    g_ptr_array_add (args, (gpointer) "features");
    for (i = 0; cases[c].args[i] != NULL; i++)
      g_ptr_array_add (args, (gpointer) cases[c].args[i]);
    g_ptr_array_add (args, wav);
    g_ptr_array_add (args, out);
    g_ptr_array_add (args, NULL);
    if (tool_run (NULL, (const gchar **) args->pdata, &so, &se) != 0)
      g_error ("lstm features failed: %s", se);
    data = read_output (out, &len);
    g_assert_cmpuint (len, ==, n_ref * dim * sizeof (float));
    g_assert_cmpmem (data, len, ref, n_ref * dim * sizeof (float));
    g_unlink (out);
    g_unlink (wav);
  }
  /* an option the kind has no use for */
  {
    g_autofree gchar *wav = tmp_path ("options.wav");
    g_autofree gchar *so = NULL, *se = NULL;
    const gchar *args[] = { "features", "--kind", "raw", "--num-mel-bins",
      "40", wav, "-", NULL
    };
    g_autofree float *x = make_signal (1000, 16000, 7);

    write_wav (wav, SF_FORMAT_FLOAT, 16000, 1, x, 1000);
    g_assert_cmpint (tool_run (NULL, args, &so, &se), !=, 0);
    g_assert_nonnull (strstr (se, "num-mel-bins"));
    g_unlink (wav);
  }
}

/* FLAC is lossless: the bytes of the S16 samples; OGG/Vorbis decodes to
 * other samples, but reads and gives the expected number of frames. */
static void
test_flac_ogg (void)
{
  const gsize n = 16000;
  g_autofree float *x = make_signal (n, 16000, 13);
  g_autofree gint16 *s16 = g_new (gint16, n);
  g_autofree gchar *flac = tmp_path ("mono.flac");
  g_autofree gchar *ogg = tmp_path ("mono.ogg");
  g_autofree gchar *out = tmp_path ("ogg.f32");
  const gchar *cfg = configs[0];
  const gchar *args[] = { "features", cfg, ogg, out, NULL };
  g_autofree float *ref = NULL;
  g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
  gsize i, nr, len;

  for (i = 0; i < n; i++)
    s16[i] = (gint16) lrintf (x[i] * 32768.0f);
  {
    SF_INFO info = { 0 };
    SNDFILE *sf;
    info.samplerate = 16000;
    info.channels = 1;
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    sf = sf_open (flac, SFM_WRITE, &info);
    g_assert_nonnull (sf);
    g_assert_cmpint (sf_writef_short (sf, s16, n), ==, (sf_count_t) n);
    sf_close (sf);
    info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    sf = sf_open (ogg, SFM_WRITE, &info);
    g_assert_nonnull (sf);
    g_assert_cmpint (sf_writef_float (sf, x, n), ==, (sf_count_t) n);
    sf_close (sf);
  }
  ref = library_frames (cfg, s16, LSTM_SAMPLE_S16, 1, n, &nr);
  check_tool_equals (cfg, flac, ref, nr, 40);
  if (tool_run (NULL, args, &so, &se) != 0)
    g_error ("lstm features failed on OGG: %s", se);
  data = read_output (out, &len);
  g_assert_cmpuint (len, ==, nr * 40 * sizeof (float));
}

/* Stereo at the rate: averaged as the library averages; `channel` picks. */
static void
test_stereo (void)
{
  const gsize n = 12000;
  g_autofree float *a = make_signal (n, 16000, 5);
  g_autofree float *b = make_signal (n, 16000, 7);
  g_autofree float *st = g_new (float, 2 * n);
  g_autofree gchar *wav = tmp_path ("stereo.wav");
  const gchar *cfg = "{\"kind\":\"fbank\"}";
  const gchar *cfg1 = "{\"kind\":\"fbank\",\"channel\":1}";
  g_autofree float *ref = NULL, *ref1 = NULL;
  gsize i, nr, n1;

  for (i = 0; i < n; i++) {
    st[2 * i] = a[i];
    st[2 * i + 1] = -b[i];
  }
  write_wav (wav, SF_FORMAT_FLOAT, 16000, 2, st, n);
  ref = library_frames (cfg, st, LSTM_SAMPLE_F32, 2, n, &nr);
  check_tool_equals (cfg, wav, ref, nr, 23);
  for (i = 0; i < n; i++)
    b[i] = -b[i];
  ref1 = library_frames (cfg, b, LSTM_SAMPLE_F32, 1, n, &n1);
  check_tool_equals (cfg1, wav, ref1, n1, 23);
}

/* Stereo at another rate with `channel`: the channel is picked, then
 * resampled: the bytes of the same channel alone in a mono file. */
static void
test_stereo_resampled_channel (void)
{
  const gsize n = 11025;
  g_autofree float *a = make_signal (n, 22050, 11);
  g_autofree float *b = make_signal (n, 22050, 13);
  g_autofree float *st = g_new (float, 2 * n);
  g_autofree gchar *wav = tmp_path ("stereo-22050.wav");
  g_autofree gchar *mono = tmp_path ("mono-22050.wav");
  g_autofree gchar *o1 = tmp_path ("st1.f32");
  g_autofree gchar *o2 = tmp_path ("mono1.f32");
  const gchar *args1[] = { "features", "{\"kind\":\"fbank\",\"channel\":1}",
    wav, o1, NULL
  };
  const gchar *args2[] = { "features", "{\"kind\":\"fbank\"}", mono, o2,
    NULL
  };
  g_autofree gchar *so = NULL, *se = NULL, *d1 = NULL, *d2 = NULL;
  gsize i, l1, l2;

  for (i = 0; i < n; i++) {
    st[2 * i] = a[i];
    st[2 * i + 1] = b[i];
  }
  write_wav (wav, SF_FORMAT_FLOAT, 22050, 2, st, n);
  write_wav (mono, SF_FORMAT_FLOAT, 22050, 1, b, n);
  if (tool_run (NULL, args1, &so, &se) != 0)
    g_error ("lstm features failed: %s", se);
  g_assert_cmpint (tool_run (NULL, args2, &so, &se), ==, 0);
  d1 = read_output (o1, &l1);
  d2 = read_output (o2, &l2);
  g_assert_cmpuint (l1, >, 0);
  g_assert_cmpmem (d1, l1, d2, l2);
}

/* CSV output: the same values (%.9g round-trips float32). */
static void
test_csv (void)
{
  const gsize n = 8000;
  g_autofree float *x = make_signal (n, 16000, 9);
  g_autofree gchar *wav = tmp_path ("csv.wav");
  g_autofree gchar *csv = tmp_path ("out.csv");
  const gchar *cfg = configs[1];
  const guint dim = config_size (cfg);
  const gchar *args[] = { "features", cfg, wav, csv, NULL };
  g_autofree float *ref = NULL;
  g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
  g_auto (GStrv) lines = NULL;
  gsize nr, len, t;

  write_wav (wav, SF_FORMAT_FLOAT, 16000, 1, x, n);
  ref = library_frames (cfg, x, LSTM_SAMPLE_F32, 1, n, &nr);
  g_assert_cmpint (tool_run (NULL, args, &so, &se), ==, 0);
  data = read_output (csv, &len);
  lines = g_strsplit (data, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, nr + 1);
  for (t = 0; t < nr; t++) {
    g_auto (GStrv) vals = g_strsplit (lines[t], ",", -1);
    guint j;
    g_assert_cmpuint (g_strv_length (vals), ==, dim);
    for (j = 0; j < dim; j++)
      g_assert_cmpfloat ((float) g_ascii_strtod (vals[j], NULL), ==,
          ref[t * dim + j]);
  }
}

/* A 48 kHz file for a 16 kHz configuration: resampled (libsamplerate),
 * within the tolerance of design.md section 5 against the same band-limited
 * signal sampled at 16 kHz. */
static void
test_resample (void)
{
  const gsize n16 = 24000, n48 = 3 * n16;
  g_autofree float *x16 = g_new (float, n16);
  g_autofree float *x48 = g_new (float, n48);
  g_autofree gchar *wav = tmp_path ("48k.wav");
  g_autofree gchar *out = tmp_path ("resampled.f32");
  const gchar *cfg = "{\"kind\":\"fbank\",\"num_mel_bins\":40}";
  const gchar *args[] = { "features", cfg, wav, out, NULL };
  g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
  g_autofree float *ref = NULL;
  const float *got;
  double max_log = 0, max_lin = 0;
  gsize i, nr, len, t;

  /* tones below 7 kHz, faded in and out over 50 ms */
  for (i = 0; i < n48; i++) {
    double tt = i / 48000.0, env = 1.0, v;
    double edge = MIN (tt, n48 / 48000.0 - tt);
    if (edge < 0.05)
      env = 0.5 - 0.5 * cos (G_PI * edge / 0.05);
    v = env * (0.3 * sin (2 * G_PI * 440 * tt) +
        0.2 * sin (2 * G_PI * 1870 * tt + 1) +
        0.1 * sin (2 * G_PI * 6300 * tt + 2));
    x48[i] = (float) v;
    if (i % 3 == 0)
      x16[i / 3] = (float) v;
  }
  write_wav (wav, SF_FORMAT_FLOAT, 48000, 1, x48, n48);
  ref = library_frames (cfg, x16, LSTM_SAMPLE_F32, 1, n16, &nr);
  if (tool_run (NULL, args, &so, &se) != 0)
    g_error ("lstm features failed: %s", se);
  data = read_output (out, &len);
  g_assert_cmpuint (len, ==, nr * 40 * sizeof (float));
  got = (const float *) data;
  for (t = 0; t < nr; t++) {
    const float *o = got + t * 40, *r = ref + t * 40;
    double mx = -INFINITY;
    guint j;
    for (j = 0; j < 40; j++)
      mx = MAX (mx, r[j]);
    for (j = 0; j < 40; j++) {
      if (r[j] >= mx - 16) {
        max_log = MAX (max_log, fabs ((double) o[j] - r[j]));
      } else {
        max_lin = MAX (max_lin, fabs (exp (o[j]) - exp (r[j])) / exp (mx));
      }
    }
  }
  g_test_message ("48 kHz -> 16 kHz: max |log err| %.3g within 16 nats, "
      "max linear err %.3g of the frame max below", max_log, max_lin);
  g_assert_cmpfloat (max_log, <=, 1e-3);
  g_assert_cmpfloat (max_lin, <=, 1e-6);
}

typedef struct {
  const gchar *name;
  const gchar *message;
} ErrorCase;

/* Unreadable, non-audio, empty and too-short files; bad configurations. */
static void
test_errors (void)
{
  g_autofree gchar *missing = tmp_path ("missing.wav");
  g_autofree gchar *text = tmp_path ("text.wav");
  g_autofree gchar *empty = tmp_path ("empty.wav");
  g_autofree gchar *shortw = tmp_path ("short.wav");
  g_autofree gchar *out = tmp_path ("never.f32");
  g_autofree gchar *cfgfile = tmp_path ("bad-config.json");
  float x[100] = { 0 };
  struct {
    const gchar *config;
    const gchar *audio;
    const gchar *message;
  } cases[] = {
    { "{\"kind\":\"fbank\"}", missing, "cannot open" },
    { "{\"kind\":\"fbank\"}", text, "not a readable audio file" },
    { "{\"kind\":\"fbank\"}", empty, "zero length" },
    { "{\"kind\":\"fbank\"}", shortw, "too short" },
    { "{\"kind\":\"fbank\"}", tmpdir, "directory" },
    { "{\"kind\":\"fbank\",\"channel\":1}", shortw, "channel" },
    { "{\"kind\":\"fbank\",\"frame_shift\":0}", shortw, "frame_shift" },
    { "{\"kind\":\"melspec\",\"top_db\":80}", shortw, "top_db" },
    { cfgfile, shortw, "n_mels" },
    { "no-such-config.json", shortw, "no-such-config.json" },
  };
  guint c;

  g_assert_true (g_file_set_contents (text, "RIFF? no, just text\n", -1,
          NULL));
  g_assert_true (g_file_set_contents (cfgfile,
          "{\"kind\":\"fbank\",\"n_mels\":40}\n", -1, NULL));
  write_wav (empty, SF_FORMAT_PCM_16, 16000, 1, x, 0);
  write_wav (shortw, SF_FORMAT_PCM_16, 16000, 1, x, 100);
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    const gchar *args[] = { "features", cases[c].config, cases[c].audio,
      out, NULL
    };
    g_autofree gchar *so = NULL, *se = NULL;
    g_assert_cmpint (tool_run (NULL, args, &so, &se), !=, 0);
    if (strstr (se, cases[c].message) == NULL)
      g_error ("case %u: '%s' does not say '%s'", c, se, cases[c].message);
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
}

/* A model file as CONFIG, --normalize, and `lstm run MODEL AUDIO`. */
static void
test_model (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *arch = "[{\"type\":\"gru\",\"name\":\"rnn\","
      "\"input_size\":26,\"hidden_size\":8},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3,\"activation\":\"softmax\"}]";
  const gchar *feat = "{\"kind\":\"mfcc\",\"deltas\":1}";
  const gchar *const labels[] = { "speech", "music", "noise", NULL };
  g_autofree gchar *model_path = tmp_path ("model.safetensors");
  g_autofree gchar *wav = tmp_path ("model.wav");
  g_autofree gchar *out = tmp_path ("model-out.f32");
  g_autofree gchar *scores = tmp_path ("scores.f32");
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree float *x = make_signal (24000, 16000, 11);
  g_autofree float *ref = NULL, *ref_scores = NULL, *norm = NULL;
  g_autofree gchar *so = NULL, *se = NULL, *data = NULL;
  LstmModelOptions opts = { 0 };
  float mean[26], std[26];
  gsize nr, len, t;
  guint j;

  for (j = 0; j < 26; j++) {
    mean[j] = 0.5f * j;
    std[j] = 1.0f + j;
  }
  opts.seed = 1;
  opts.labels = labels;
  opts.features = feat;
  opts.input_mean = mean;
  opts.input_std = std;
  model = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_save (model, model_path, &error));
  write_wav (wav, SF_FORMAT_FLOAT, 16000, 1, x, 24000);
  ref = library_frames (feat, x, LSTM_SAMPLE_F32, 1, 24000, &nr);

  /* the model's features */
  check_tool_equals (model_path, wav, ref, nr, 26);
  {
    const gchar *args[] = { "features", "--normalize", model_path, wav, out,
      NULL
    };
    g_autofree gchar *so2 = NULL, *se2 = NULL;
    const float *got;
    g_assert_cmpint (tool_run (NULL, args, &so2, &se2), ==, 0);
    data = read_output (out, &len);
    g_assert_cmpuint (len, ==, nr * 26 * 4);
    got = (const float *) data;
    for (t = 0; t < nr * 26; t++) {
      float v = ref[t];
      v = v - mean[t % 26];
      v = v / std[t % 26];
      g_assert_cmpfloat (got[t], ==, v);
    }
  }

  /* lstm run MODEL AUDIO OUT: the model over the library's features */
  {
    const gchar *args[] = { "run", model_path, wav, scores, NULL };
    g_autofree gchar *so2 = NULL, *se2 = NULL, *sdata = NULL;
    if (tool_run (NULL, args, &so2, &se2) != 0)
      g_error ("lstm run failed: %s", se2);
    state = lstm_state_new (model);
    ref_scores = g_new (float, nr * 3);
    g_assert_true (lstm_model_forward (model, state, ref, nr, ref_scores,
            &error));
    sdata = read_output (scores, &len);
    g_assert_cmpmem (sdata, len, ref_scores, nr * 3 * sizeof (float));
  }

  /* lstm run MODEL AUDIO: a label timeline, seconds from the features */
  {
    const gchar *args[] = { "run", model_path, wav, NULL };
    g_autofree gchar *so2 = NULL, *se2 = NULL;
    g_auto (GStrv) lines = NULL;
    double last_end = 0;
    guint i;
    g_assert_cmpint (tool_run (NULL, args, &so2, &se2), ==, 0);
    lines = g_strsplit (so2, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), >=, 2);
    for (i = 0; lines[i] && *lines[i]; i++) {
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      double start, end;
      g_assert_cmpuint (g_strv_length (f), ==, 4);
      start = g_ascii_strtod (f[0], NULL);
      end = g_ascii_strtod (f[1], NULL);
      g_assert_cmpfloat_with_epsilon (start, last_end, 1e-9);
      g_assert_cmpfloat (end, >, start);
      g_assert_true (g_strv_contains (labels, f[2]));
      last_end = end;
    }
    /* nr frames of 10 ms */
    g_assert_cmpfloat_with_epsilon (last_end, nr * 0.010, 1e-6);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-features-cli-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/features/cli/bitwise", test_bitwise);
  g_test_add_func ("/features/cli/options", test_options);
  g_test_add_func ("/features/cli/flac-ogg", test_flac_ogg);
  g_test_add_func ("/features/cli/stereo", test_stereo);
  g_test_add_func ("/features/cli/stereo/resampled-channel",
      test_stereo_resampled_channel);
  g_test_add_func ("/features/cli/csv", test_csv);
  g_test_add_func ("/features/cli/resample", test_resample);
  g_test_add_func ("/features/cli/errors", test_errors);
  g_test_add_func ("/features/cli/model", test_model);
  ret = g_test_run ();
  {
    GDir *d = g_dir_open (tmpdir, 0, NULL);
    const gchar *name;
    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *p = tmp_path (name);
      g_unlink (p);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return ret;
}
