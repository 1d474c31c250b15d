/* Unit tests: lstm train / lstm eval --manifest: audio clips with a label
 * each, recordings with label tracks
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The audio is generated here (libsndfile). /manifest/unit/ checks parsing,
 * every error naming its line, what the trained model holds (features,
 * labels, normalisation, frame targets); /manifest/learning/ trains real
 * models: clips to near-perfect accuracy, a recording's label track to a
 * high frame accuracy, then `lstm run` tags unseen audio.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sndfile.h>
#include <lstm/lstm.h>

#include "tool-util.h"

static gchar *tmpdir;

/* `lstm ARGS..., NULL` run in tmpdir */
#define lstm(out, err, ...) tool_run_va (tmpdir, out, err, __VA_ARGS__)

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_file (const gchar *name, const gchar *text)
{
  g_autofree gchar *path = tmp_path (name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* ---- generated audio ---- */

static void
write_wav (const gchar *name, guint rate, const float *x, gsize n)
{
  g_autofree gchar *path = tmp_path (name);
  g_autofree gint16 *s = g_new (gint16, MAX (n, 1));
  SF_INFO info = { 0 };
  SNDFILE *sf;
  gsize i;

  info.samplerate = (int) rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  sf = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (sf);
  for (i = 0; i < n; i++)
    s[i] = (gint16) lrintf (CLAMP (x[i], -1.0f, 0.99997f) * 32768.0f);
  g_assert_cmpint (sf_writef_short (sf, s, (sf_count_t) n), ==,
      (sf_count_t) n);
  sf_close (sf);
}

typedef enum {
  SOUND_QUIET,          /* faint noise */
  SOUND_LOW,            /* a tone of 200-600 Hz */
  SOUND_HIGH,           /* a tone of 1.5-3 kHz */
  SOUND_NOISE,          /* loud white noise */
} Sound;

/* Appends @n samples of @kind at @rate to @x, random pitch and level. */
static void
add_sound (GArray *x, Sound kind, gsize n, guint rate, GRand *r)
{
  double f = kind == SOUND_LOW ? g_rand_double_range (r, 200, 600) :
      g_rand_double_range (r, 1500, 3000);
  double amp = g_rand_double_range (r, 0.08, 0.5);
  double phase = g_rand_double_range (r, 0, 2 * G_PI);
  gsize i;

  for (i = 0; i < n; i++) {
    double v = 0.003 * g_rand_double_range (r, -1, 1);
    if (kind == SOUND_LOW || kind == SOUND_HIGH)
      v += amp * sin (2 * G_PI * f * i / rate + phase);
    else if (kind == SOUND_NOISE)
      v += amp * g_rand_double_range (r, -1, 1);
    {
      float fv = (float) v;
      g_array_append_val (x, fv);
    }
  }
}

/* A clip of @seconds of one sound. */
static void
write_clip (const gchar *name, Sound kind, double seconds, guint rate,
    GRand *r)
{
  g_autoptr (GArray) x = g_array_new (FALSE, FALSE, sizeof (float));
  add_sound (x, kind, (gsize) (seconds * rate), rate, r);
  write_wav (name, rate, (float *) x->data, x->len);
}

static const gchar *const sound_names[] = { "quiet", "low", "high",
  "noise"
};

/* A recording of @n_parts stretches of quiet, low tone and noise, no two
 * neighbours alike, at 16 kHz; its label track (quiet left unlabelled) is
 * written as @track. Returns the stretches' times and kinds in @parts
 * (start, end, kind triples) when not NULL. */
static void
write_recording (const gchar *wav, const gchar *track, guint n_parts,
    guint32 seed, GArray *parts)
{
  static const Sound kinds[] = { SOUND_QUIET, SOUND_LOW, SOUND_NOISE };
  g_autoptr (GArray) x = g_array_new (FALSE, FALSE, sizeof (float));
  GString *labels = g_string_new ("");
  GRand *r = g_rand_new_with_seed (seed);
  Sound prev = SOUND_HIGH;
  guint i;

  for (i = 0; i < n_parts; i++) {
    Sound k;
    gsize n = (gsize) (16000 * g_rand_double_range (r, 0.4, 1.2));
    double start = x->len / 16000.0;
    do
      k = kinds[g_rand_int_range (r, 0, 3)];
    while (k == prev);
    prev = k;
    add_sound (x, k, n, 16000, r);
    if (k != SOUND_QUIET)
      g_string_append_printf (labels, "%.6f\t%.6f\t%s\n", start,
          x->len / 16000.0, sound_names[k]);
    if (parts) {
      double p[3] = { start, x->len / 16000.0, k };
      g_array_append_vals (parts, p, 3);
    }
  }
  write_wav (wav, 16000, (float *) x->data, x->len);
  write_file (track, labels->str);
  g_string_free (labels, TRUE);
  g_rand_free (r);
}

/* The number printed after @key in @text (e.g. "accuracy: "). */
static double
number_after (const gchar *text, const gchar *key)
{
  const gchar *p = strstr (text, key);
  g_assert_nonnull (p);
  return g_ascii_strtod (p + strlen (key), NULL);
}

/* The last number of the segment table's "all" row: the F1 is its 6th. */
static double
segment_f1 (const gchar *text)
{
  const gchar *p = strstr (text, "\nall ");
  g_auto (GStrv) f = NULL;
  g_autofree gchar *line = NULL;
  guint n = 0, i;

  g_assert_nonnull (p);
  line = g_strndup (p + 1, strcspn (p + 1, "\n"));
  f = g_strsplit_set (line, " ", -1);
  for (i = 0; f[i]; i++)
    if (*f[i] && ++n == 7)      /* all ref pred matched precision recall f1 */
      return g_ascii_strtod (f[i], NULL);
  g_assert_not_reached ();
}

/* ---- fixtures shared by the unit tests ---- */

static void
make_fixtures (void)
{
  GRand *r = g_rand_new_with_seed (1);
  g_autofree gchar *data = tmp_path ("data");
  float tiny[100] = { 0 };

  g_mkdir (data, 0755);
  write_clip ("a.wav", SOUND_LOW, 0.5, 16000, r);
  write_clip ("b.wav", SOUND_HIGH, 0.5, 16000, r);
  write_wav ("short.wav", 16000, tiny, G_N_ELEMENTS (tiny));
  write_file ("notaudio.wav", "this is not audio\n");
  /* 2 s recording: low 0.3-0.9, noise 1.2-1.8 */
  {
    g_autoptr (GArray) x = g_array_new (FALSE, FALSE, sizeof (float));
    add_sound (x, SOUND_QUIET, 4800, 16000, r);
    add_sound (x, SOUND_LOW, 9600, 16000, r);
    add_sound (x, SOUND_QUIET, 4800, 16000, r);
    add_sound (x, SOUND_NOISE, 9600, 16000, r);
    add_sound (x, SOUND_QUIET, 3200, 16000, r);
    write_wav ("rec.wav", 16000, (float *) x->data, x->len);
  }
  write_file ("rec.txt", "0.3\t0.9\tlow\n\\\t400\t2000\n1.2\t1.8\tnoise\n");
  g_rand_free (r);
}

/* ---- bad input: errors naming the manifest line ---- */

typedef struct {
  const gchar *name;
  const gchar *manifest;        /* written as m.csv */
  const gchar *track;           /* written as t.txt, or NULL */
  const gchar *args[6];         /* after train --manifest m.csv -o x */
  const gchar *expect[2];       /* in stderr */
} BadCase;

static const BadCase bad_cases[] = {
  {"missing-audio", "a.wav,low\nmissing.wav,high\n", NULL,
      {"--features", "fbank"}, {"m.csv:2: ", "missing.wav: cannot open"}},
  {"unreadable-audio", "a.wav,low\nnotaudio.wav,high\n", NULL,
      {"--features", "fbank"}, {"m.csv:2: ", "not a readable audio file"}},
  {"clip-too-short", "path,label\na.wav,low\nshort.wav,high\n", NULL,
      {"--features", "fbank"}, {"m.csv:3: ", "too short for one frame"}},
  {"track-past-end", "rec.wav,t.txt\n", "0.3\t0.9\tlow\n1.2\t2.2\tnoise\n",
      {"--features", "fbank"},
      {"m.csv:1: ", "the labels run to 2.200 s, past the end of"}},
  {"track-bad-line", "# recordings\nrec.wav,t.txt\n",
      "0.3\t0.9\tlow\n1.2\tsoon\tnoise\n", {"--features", "fbank"},
      {"m.csv:2: ", "t.txt:2: expected 'start end label'"}},
  {"track-overlap", "rec.wav,t.txt\n", "0.3\t0.9\tlow\n0.5\t1.0\tnoise\n",
      {"--features", "fbank"}, {"m.csv:1: ", "t.txt:2: 'noise'"}},
  {"track-missing", "rec.wav,none.txt\n", NULL, {"--features", "fbank"},
      {"m.csv:1: ", "none.txt: cannot read"}},
  {"mixed", "a.wav,low\nrec.wav,rec.txt\n", NULL, {"--features", "fbank"},
      {"m.csv:2: a label track 'rec.txt', but line 1 gives a clip label",
          "not both"}},
  {"mixed-2", "rec.wav,rec.txt\n\na.wav,low\n", NULL,
      {"--features", "fbank"}, {"m.csv:3: a clip label 'low', but line 1 "
          "gives a label track", NULL}},
  {"empty", "path,label\n# nothing yet\n", NULL, {"--features", "fbank"},
      {"m.csv: empty dataset: no audio rows", NULL}},
  {"no-labelled-frame", "rec.wav,t.txt\n", "0.5\t0.5\tlow\n1\t1\tnoise\n",
      {"--features", "fbank"},
      {"m.csv: empty dataset: no frame falls inside a labelled stretch",
          NULL}},
  {"three-cells", "a.wav,low\nb.wav,high,extra\n", NULL,
      {"--features", "fbank"}, {"m.csv:2: 3 cells", NULL}},
  {"empty-label", "a.wav,low\nb.wav,\n", NULL, {"--features", "fbank"},
      {"m.csv:2: the label is empty", NULL}},
  {"open-quote", "a.wav,low\n\"b.wav,high\n", NULL, {"--features", "fbank"},
      {"m.csv:2: a quote is not closed", NULL}},
  {"one-class", "a.wav,low\nb.wav,low\n", NULL, {"--features", "fbank"},
      {"m.csv: 1 distinct label; classification needs at least 2", NULL}},
  {"one-class-track", "rec.wav,t.txt\n", "0.3\t0.9\tlow\n",
      {"--features", "fbank"}, {"1 distinct label", "--background LABEL"}},
  {"no-features", "a.wav,low\nb.wav,high\n", NULL, {NULL},
      {"--manifest needs --features", NULL}},
  {"unknown-kind", "a.wav,low\nb.wav,high\n", NULL, {"--features", "bark"},
      {"--features bark: ", NULL}},
  {"background-on-clips", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--background", "quiet"},
      {"--background applies to recordings with label tracks", NULL}},
  {"every-frame-on-tracks", "rec.wav,rec.txt\n", NULL,
      {"--features", "fbank", "--every-frame"},
      {"--mix-with and --no-balance apply to clips", NULL}},
  {"augment-on-tracks", "rec.wav,rec.txt\n", NULL,
      {"--features", "fbank", "--augment", "2"},
      {"--mix-with and --no-balance apply to clips", NULL}},
  {"bad-clip-loss", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--clip-loss", "first"},
      {"--clip-loss must be mean, last or every-frame, not 'first'", NULL}},
  {"clip-loss-and-every-frame", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--clip-loss", "last", "--every-frame"},
      {"--every-frame is --clip-loss every-frame", NULL}},
  {"negative-augment", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--augment", "-2"},
      {"--augment cannot be negative", NULL}},
  {"no-augment-and-mix", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--no-augment", "--mix-with", "low"},
      {"--no-augment contradicts --augment and --mix-with", NULL}},
  {"mix-with-unknown", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--mix-with", "low,rain"},
      {"--mix-with: 'rain' is not a label of", NULL}},
  {"mean-loss-window", "a.wav,low\nb.wav,high\n", NULL,
      {"--features", "fbank", "--window", "5"},
      {"the mean clip loss scores whole clips: sequence_length 5", NULL}},
  {"missing-manifest", NULL, NULL, {"--features", "fbank"},
      {"m.csv: cannot read", NULL}},
};

static void
test_bad_input (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree gchar *err = NULL, *mpath = tmp_path ("m.csv");
  gint status;
  guint i;

  g_remove (mpath);
  if (c->manifest)
    write_file ("m.csv", c->manifest);
  if (c->track)
    write_file ("t.txt", c->track);
  status = lstm (NULL, &err, "train", "--manifest", "m.csv", "-o",
      "bad.safetensors", "--epochs", "1", c->args[0], c->args[1], c->args[2],
      c->args[3], c->args[4], c->args[5], NULL);
  g_test_message ("exit %d: %s", status, err);
  g_assert_cmpint (status, ==, 1);
  for (i = 0; i < G_N_ELEMENTS (c->expect) && c->expect[i]; i++)
    g_assert_nonnull (strstr (err, c->expect[i]));
}

/* ---- clips: parsing, what the model holds, eval ---- */

static float *
read_f32 (const gchar *name, gsize *n_values)
{
  g_autofree gchar *path = tmp_path (name), *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  *n_values = len / sizeof (float);
  return (float *) g_steal_pointer (&data);
}

static void
test_clips (void)
{
  static const gchar *config = "{\"kind\":\"fbank\",\"num_mel_bins\":16}";
  g_autofree gchar *out = NULL, *err = NULL, *cfg_path = NULL;
  g_autofree gchar *path = tmp_path ("clips.safetensors");
  g_autofree gchar *canonical = NULL;
  g_autoptr (LstmFeatures) f = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree double *sum = g_new0 (double, 16);
  GString *manifest = g_string_new ("# clips of two tones\nfile,class\n");
  GRand *r = g_rand_new_with_seed (7);
  const float *mean;
  guint64 total = 0;
  guint i, j;

  /* clips in data/, named relative to the manifest there; one at 8 kHz
   * (resampled to the configuration's 16 kHz) */
  for (i = 0; i < 8; i++) {
    g_autofree gchar *name = g_strdup_printf ("data/c%u.wav", i);
    write_clip (name, i % 2 ? SOUND_HIGH : SOUND_LOW, 0.3 + 0.05 * i,
        i == 3 ? 8000 : 16000, r);
    g_string_append_printf (manifest, "c%u.wav, %s\n", i,
        i % 2 ? "high" : "low");
  }
  g_rand_free (r);
  write_file ("data/clips.csv", manifest->str);
  g_string_free (manifest, TRUE);
  write_file ("fbank16.json", config);

  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "data/clips.csv",
          "--features", "fbank16.json", "--hidden", "4", "--epochs", "2",
          "--batch-size", "4", "--val-fraction", "0.25", "-o",
          "clips.safetensors", NULL), ==, 0);
  g_test_message ("%s", err);
  /* 4 clips a class: 1 of each held out, 3 + 3 augmented copies */
  g_assert_nonnull (strstr (err, "training on 12 clips (6 augmented or "
          "copied to balance the classes)"));
  g_assert_nonnull (strstr (err, "validation: 2 clips held out by class"));
  g_assert_nonnull (strstr (err, "epoch 2/2"));

  m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_CLASSIFICATION);
  g_assert_cmpuint (lstm_model_get_input_size (m), ==, 16);
  g_assert_cmpuint (lstm_model_get_output_size (m), ==, 2);
  g_assert_cmpstr (lstm_model_get_label (m, 0), ==, "high");    /* sorted */
  g_assert_cmpstr (lstm_model_get_label (m, 1), ==, "low");
  /* the features: the canonical configuration of --features */
  f = lstm_features_new (config, &error);
  g_assert_no_error (error);
  canonical = lstm_features_get_config (f);
  g_assert_cmpstr (lstm_model_get_features (m), ==, canonical);
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"kind\":\"clips\""));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"clip_loss\":\"mean\""));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"augmented_clips\":6"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"validation_clips\":2"));

  /* input.mean: the mean of the very frames `lstm features` computes, over
   * the training clips (all of them, with no validation set), before any
   * augmentation */
  g_clear_pointer (&m, lstm_model_unref);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "data/clips.csv",
          "--features", "fbank16.json", "--hidden", "4", "--epochs", "1",
          "--val-fraction", "0", "-o", "clips.safetensors", NULL), ==, 0);
  m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  for (i = 0; i < 8; i++) {
    g_autofree gchar *wav = g_strdup_printf ("data/c%u.wav", i);
    g_autofree float *v = NULL;
    gsize n;
    g_assert_cmpint (lstm (NULL, NULL, "features", "clips.safetensors", wav,
            "c.f32", NULL), ==, 0);
    v = read_f32 ("c.f32", &n);
    g_assert_cmpuint (n % 16, ==, 0);
    for (j = 0; j < n; j++)
      sum[j % 16] += v[j];
    total += n / 16;
  }
  mean = lstm_model_get_input_mean (m);
  g_assert_nonnull (mean);
  g_assert_nonnull (lstm_model_get_input_std (m));
  for (j = 0; j < 16; j++)
    g_assert_cmpfloat_with_epsilon (mean[j], sum[j] / total,
        1e-4 * (1 + fabs (sum[j] / total)));

  /* eval: per-clip metrics */
  g_assert_cmpint (lstm (&out, &err, "eval", "clips.safetensors",
          "--manifest", "data/clips.csv", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "8 clips; each clip's class is that of its "
          "frames' mean scores"));
  g_assert_nonnull (strstr (out, "(8 clips)"));
  g_assert_nonnull (strstr (out, "precision  recall"));
  g_assert_nonnull (strstr (out, "confusion matrix"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* eval: a label the model does not know, named by its line */
  write_file ("data/other.csv", "c0.wav,low\nc1.wav,high\nc2.wav,medium\n");
  g_assert_cmpint (lstm (&out, &err, "eval", "clips.safetensors",
          "--manifest", "data/other.csv", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "data/other.csv:3: unknown label 'medium' "
          "(not one of the model's labels)"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* ... and when fine-tuning */
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "data/other.csv",
          "--init", "clips.safetensors", "-o", "ft.safetensors", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "data/other.csv:3: unknown label 'medium'"));
  g_clear_pointer (&err, g_free);
  /* fine-tuning keeps the model's features; other ones are refused */
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "data/clips.csv",
          "--init", "clips.safetensors", "--features", "fbank", "-o",
          "ft.safetensors", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--features fbank differs from the "
          "features clips.safetensors was trained on"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "data/clips.csv",
          "--init", "clips.safetensors", "--epochs", "1", "-o",
          "ft.safetensors", NULL), ==, 0);
  {
    g_autofree gchar *ft_path = tmp_path ("ft.safetensors");
    g_autoptr (LstmModel) ft = lstm_model_load (ft_path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (lstm_model_get_features (ft), ==, canonical);
    g_assert_cmpmem (lstm_model_get_input_mean (ft), 16 * sizeof (float),
        mean, 16 * sizeof (float));
  }
  g_clear_pointer (&err, g_free);
  /* a model without features cannot read audio */
  write_file ("s.csv", "t,v\n0,1\n1,2\n2,3\n3,4\n4,5\n5,6\n");
  g_assert_cmpint (lstm (NULL, NULL, "train", "--series", "s.csv", "--hidden",
          "2", "--epochs", "1", "-o", "s.safetensors", NULL), ==, 0);
  g_assert_cmpint (lstm (NULL, &err, "eval", "s.safetensors", "--manifest",
          "data/clips.csv", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not a classifier with labels"));
}

/* ---- label tracks: frame targets at window centres, eval's output ---- */

static void
test_tracks (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *path = tmp_path ("tr.safetensors");
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *data;
  guint i, n, expected = 0;

  /* no background: only frames whose window centre falls in a stretch are
   * trained on. fbank at 16 kHz: 25 ms windows every 10 ms, so frame i's
   * centre is (160 i + 200) / 16000 s; rec.wav has 32000 samples. */
  write_file ("tracks.csv", "audio,labels\nrec.wav,rec.txt\n");
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "tracks.csv",
          "--features", "fbank", "--hidden", "4", "--epochs", "1",
          "--val-fraction", "0", "-o", "tr.safetensors", NULL), ==, 0);
  m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lstm_model_get_output_size (m), ==, 2);
  g_assert_true (json_parser_load_from_data (parser,
          lstm_model_get_metadata (m, "lstm.training"), -1, &error));
  data = json_object_get_object_member (json_node_get_object
      (json_parser_get_root (parser)), "data");
  g_assert_cmpstr (json_object_get_string_member (data, "kind"), ==,
      "label-tracks");
  n = 1 + (32000 - 400) / 160;
  for (i = 0; i < n; i++) {
    double c = (160.0 * i + 200) / 16000;
    expected += (c >= 0.3 && c < 0.9) || (c >= 1.2 && c < 1.8);
  }
  g_assert_cmpint (json_object_get_int_member (data, "labelled_frames"), ==,
      expected);
  g_clear_object (&parser);
  g_clear_pointer (&m, lstm_model_unref);
  g_clear_pointer (&err, g_free);

  /* with a background label: a third class, recorded for eval */
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "tracks.csv",
          "--features", "fbank", "--background", "quiet", "--hidden", "4",
          "--epochs", "1", "--val-fraction", "0", "-o", "tr.safetensors",
          NULL), ==, 0);
  m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lstm_model_get_output_size (m), ==, 3);
  g_assert_cmpstr (lstm_model_get_label (m, 2), ==, "quiet");
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"background\":\"quiet\""));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"labelled_frames\":198"));

  g_assert_cmpint (lstm (&out, NULL, "eval", "tr.safetensors", "--manifest",
          "tracks.csv", "--smoothing", "3", "--min-duration", "0.05", NULL),
      ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "1 recording, 198 frames"));
  g_assert_nonnull (strstr (out, "(elsewhere: 'quiet')"));
  g_assert_nonnull (strstr (out, "(198 frames)"));
  g_assert_nonnull (strstr (out, "smoothing 3 frames, threshold 0, min "
          "duration 0.05 s = 5 frames"));
  g_assert_nonnull (strstr (out, "onset_err offset_err"));
  /* two reference stretches (low, noise); quiet is not scored */
  g_assert_nonnull (strstr (out, "\nall "));
  g_assert_nonnull (strstr (strstr (out, "offset_err"), "\nlow "));
  g_assert_null (strstr (strstr (out, "offset_err"), "\nquiet "));
  g_clear_pointer (&out, g_free);

  /* eval's own bad input */
  g_assert_cmpint (lstm (NULL, &err, "eval", "tr.safetensors", "--manifest",
          "tracks.csv", "--smoothing", "0", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--smoothing must be at least 1"));
  g_clear_pointer (&err, g_free);
  write_file ("t2.txt", "0.3\t0.9\tlow\n1.0\t1.1\tbird\n");
  write_file ("tracks2.csv", "rec.wav,rec.txt\nrec.wav,t2.txt\n");
  g_assert_cmpint (lstm (NULL, &err, "eval", "tr.safetensors", "--manifest",
          "tracks2.csv", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tracks2.csv:2: "));
  g_assert_nonnull (strstr (err, "t2.txt: unknown label 'bird' at 1-1.1 s"));
  g_clear_pointer (&err, g_free);
  /* a track may end up to one frame shift past the audio */
  write_file ("t3.txt", "0.3\t2.005\tlow\n");
  write_file ("tracks3.csv", "rec.wav,t3.txt\n");
  g_assert_cmpint (lstm (NULL, &err, "eval", "tr.safetensors", "--manifest",
          "tracks3.csv", NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  write_file ("t3.txt", "0.3\t2.02\tlow\n");
  g_assert_cmpint (lstm (NULL, &err, "eval", "tr.safetensors", "--manifest",
          "tracks3.csv", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tracks3.csv:1: "));
  g_assert_nonnull (strstr (err, "past the end of"));
}

/* ---- real learning ---- */

/* Clips of a low or a high tone (random pitch, level and length) learnt
 * from a manifest, scored on unseen clips, some at another sample rate. */
static void
test_learn_clips (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  GString *train = g_string_new (NULL), *test = g_string_new (NULL);
  GRand *r = g_rand_new_with_seed (11);
  double acc;
  guint i;

  for (i = 0; i < 60; i++) {
    g_autofree gchar *name = g_strdup_printf ("lc%u.wav", i);
    Sound k = g_rand_boolean (r) ? SOUND_HIGH : SOUND_LOW;
    write_clip (name, k, g_rand_double_range (r, 0.25, 0.8), 16000, r);
    g_string_append_printf (train, "%s,%s\n", name, sound_names[k]);
  }
  for (i = 0; i < 40; i++) {
    g_autofree gchar *name = g_strdup_printf ("tc%u.wav", i);
    Sound k = i % 2 ? SOUND_HIGH : SOUND_LOW;
    write_clip (name, k, g_rand_double_range (r, 0.25, 0.8),
        i % 4 < 2 ? 16000 : 22050, r);
    g_string_append_printf (test, "%s,%s\n", name, sound_names[k]);
  }
  g_rand_free (r);
  write_file ("learn-train.csv", train->str);
  write_file ("learn-test.csv", test->str);
  g_string_free (train, TRUE);
  g_string_free (test, TRUE);

  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "learn-train.csv",
          "--features", "{\"kind\":\"fbank\",\"num_mel_bins\":24}",
          "--hidden", "16", "--epochs", "25", "--batch-size", "8", "--lr",
          "0.01", "--seed", "3", "-o", "lc.safetensors", NULL), ==, 0);
  g_test_message ("%s", err);
  g_assert_cmpint (lstm (&out, NULL, "eval", "lc.safetensors", "--manifest",
          "learn-test.csv", NULL), ==, 0);
  g_test_message ("%s", out);
  acc = number_after (out, "accuracy: ");
  g_test_message ("clip accuracy on unseen clips: %.4f", acc);
  g_assert_cmpfloat (acc, >=, 0.95);
}

/* A recording of quiet, tone and noise stretches with its label track;
 * the model tags an unseen recording, scored by lstm eval and read back
 * from lstm run's timeline. */
static void
test_learn_tracks (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (double));
  g_auto (GStrv) lines = NULL;
  guint i, n_ref = 0, n_found = 0, n_segments = 0;
  double acc, f1;

  write_recording ("lt-train.wav", "lt-train.txt", 90, 21, NULL);
  write_recording ("lt-test.wav", "lt-test.txt", 40, 22, parts);
  write_file ("lt-train.csv", "lt-train.wav,lt-train.txt\n");
  write_file ("lt-test.csv", "lt-test.wav,lt-test.txt\n");
  g_assert_cmpint (lstm (NULL, &err, "train", "--manifest", "lt-train.csv",
          "--features", "{\"kind\":\"fbank\",\"num_mel_bins\":24}",
          "--background", "quiet", "--hidden", "16", "--epochs", "15",
          "--batch-size", "8", "--window", "50", "--lr", "0.01", "--seed",
          "5", "-o", "lt.safetensors", NULL), ==, 0);
  g_test_message ("%s", err);

  g_assert_cmpint (lstm (&out, NULL, "eval", "lt.safetensors", "--manifest",
          "lt-test.csv", "--min-duration", "0.05", NULL), ==, 0);
  g_test_message ("%s", out);
  acc = number_after (out, "accuracy: ");
  f1 = segment_f1 (out);
  g_test_message ("frame accuracy %.4f, segment F1 %.4f", acc, f1);
  g_assert_cmpfloat (acc, >=, 0.95);
  g_assert_cmpfloat (f1, >=, 0.9);
  g_clear_pointer (&out, g_free);

  /* lstm run MODEL x.wav: the timeline (start, end, label, confidence)
   * finds each stretch within 50 ms. Its times are window starts, 12.5 ms
   * before the window centres the labels were matched with. */
  g_assert_cmpint (lstm (&out, NULL, "run", "lt.safetensors", "lt-test.wav",
          NULL), ==, 0);
  g_test_message ("%s", out);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; i < parts->len; i += 3) {
    const double *p = &g_array_index (parts, double, i);
    guint j;
    n_ref++;
    for (j = 0; lines[j]; j++) {
      g_auto (GStrv) f = g_strsplit (lines[j], "\t", -1);
      if (g_strv_length (f) != 4)
        continue;
      if (strcmp (f[2], sound_names[(guint) p[2]]) == 0 &&
          fabs (g_ascii_strtod (f[0], NULL) - p[0]) <= 0.05 &&
          fabs (g_ascii_strtod (f[1], NULL) - p[1]) <= 0.05) {
        n_found++;
        break;
      }
    }
  }
  for (i = 0; lines[i]; i++)
    n_segments += *lines[i] != '\0';
  g_test_message ("lstm run: %u of %u stretches found, %u segments printed",
      n_found, n_ref, n_segments);
  g_assert_cmpuint (n_found, >=, n_ref * 9 / 10);
  g_assert_cmpuint (n_segments, <=, n_ref + n_ref / 5);
}

static void
remove_tree (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_tree (p);
    else
      g_remove (p);
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-manifest-XXXXXX", NULL);
  make_fixtures ();
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/manifest/unit/bad-input/%s",
        bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_input);
  }
  g_test_add_func ("/manifest/unit/clips", test_clips);
  g_test_add_func ("/manifest/unit/tracks", test_tracks);
  g_test_add_func ("/manifest/learning/clips", test_learn_clips);
  g_test_add_func ("/manifest/learning/tracks", test_learn_tracks);
  ret = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
