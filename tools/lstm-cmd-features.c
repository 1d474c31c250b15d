/* lstm features CONFIG|MODEL AUDIO OUTPUT
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lstm-tool.h"

typedef struct {
  LstmToolFrameWriter *writer;
  const gchar *audio;
  guint size;
  guint rate;
} FeaturesOut;

static gboolean
write_frames (const float *frames, gsize n, gpointer user_data,
    GError **error)
{
  FeaturesOut *fo = user_data;
  return lstm_tool_frame_writer_write (fo->writer, frames, n, error);
}

/* --nan-policy reset: a frame of zeros per burst of non-finite samples, as
 * lstmfeatures pushes (flagged GAP there), and one warning. */
static gboolean
write_burst (guint64 first, guint64 run_start, gpointer user_data,
    GError **error)
{
  FeaturesOut *fo = user_data;
  g_autofree float *zeros = g_new0 (float, fo->size);

  fprintf (stderr, "lstm features: %s: NaN or Inf samples from %.3f s: a "
      "frame of zeros stands for them, and the features restart at %.3f s "
      "(--nan-policy reset)\n", fo->audio, (double) first / fo->rate,
      (double) run_start / fo->rate);
  return lstm_tool_frame_writer_write (fo->writer, zeros, 1, error);
}

#define USAGE "Usage: lstm features [OPTION...] [CONFIG|MODEL] AUDIO OUTPUT\n" \
  "       lstm features --print-config [OPTION...] [CONFIG|MODEL]\n"

/* The feature options, named as lstmfeatures' properties; each fills one
 * field of LstmFeaturesOptions. */
typedef enum { OPT_UINT, OPT_DOUBLE } OptType;

typedef struct {
  const gchar *name;
  OptType type;
  gsize offset;
  double min, max;
  gboolean min_allowed;         /* else above min */
} FeatureOpt;

static const FeatureOpt feature_opts[] = {
  { "sample-rate", OPT_UINT, G_STRUCT_OFFSET (LstmFeaturesOptions,
          sample_rate), 1, 1000000, TRUE },
  { "num-mel-bins", OPT_UINT, G_STRUCT_OFFSET (LstmFeaturesOptions,
          num_mel_bins), 1, 4096, TRUE },
  { "num-ceps", OPT_UINT, G_STRUCT_OFFSET (LstmFeaturesOptions, num_ceps), 1,
      4096, TRUE },
  { "frame-length-ms", OPT_DOUBLE, G_STRUCT_OFFSET (LstmFeaturesOptions,
          frame_length_ms), 0, 60000, FALSE },
  { "frame-shift-ms", OPT_DOUBLE, G_STRUCT_OFFSET (LstmFeaturesOptions,
          frame_shift_ms), 0, 60000, FALSE },
  { "low-freq", OPT_DOUBLE, G_STRUCT_OFFSET (LstmFeaturesOptions, low_freq),
      0, 500000, TRUE },
  { "high-freq", OPT_DOUBLE, G_STRUCT_OFFSET (LstmFeaturesOptions,
          high_freq), 0, 500000, FALSE },
};

/* --NAME VALUE or --NAME=VALUE at argv[*i]: the value, or NULL when
 * argv[*i] is not that option. */
static const gchar *
option_value (int argc, char **argv, int *i, const gchar *name,
    gboolean *missing)
{
  const gchar *a = argv[*i];
  gsize n = strlen (name);

  *missing = FALSE;
  if (!g_str_has_prefix (a, "--") || strncmp (a + 2, name, n) != 0)
    return NULL;
  if (a[2 + n] == '=')
    return a + 3 + n;
  if (a[2 + n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    *missing = TRUE;
    return NULL;
  }
  return argv[++*i];
}

static gboolean
set_feature_opt (const FeatureOpt *fo, const gchar *v,
    LstmFeaturesOptions *o, GError **error)
{
  gchar *end = NULL;
  double d = g_ascii_strtod (v, &end);

  if (*v == '\0' || end == NULL || *end != '\0' || !(d >= fo->min) ||
      (d == fo->min && !fo->min_allowed) || d > fo->max ||
      (fo->type == OPT_UINT && d != (guint) d)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--%s: '%s' is not a %s from %g%s to %g", fo->name, v,
        fo->type == OPT_UINT ? "whole number" : "number", fo->min,
        fo->min_allowed ? "" : " (excluded)", fo->max);
    return FALSE;
  }
  if (fo->type == OPT_UINT)
    G_STRUCT_MEMBER (guint, o, fo->offset) = (guint) d;
  else
    G_STRUCT_MEMBER (double, o, fo->offset) = d;
  return TRUE;
}

int
lstm_tool_features (int argc, char **argv, GError **error)
{
  g_autoptr (LstmFeatures) f = NULL;
  g_autoptr (LstmModel) model = NULL;
  LstmToolFrameWriter *w;
  gboolean normalize = FALSE, print_config = FALSE, any_opt = FALSE, ok;
  LstmNanPolicy policy = LSTM_NAN_POLICY_RESET;
  LstmFeaturesOptions opts;
  FeaturesOut fo = { 0 };
  const gchar *args[3];
  const gchar *audio, *output;
  guint n_args = 0, k;
  int i;

  lstm_features_options_init (&opts);
  for (i = 1; i < argc; i++) {
    const gchar *v;
    gboolean missing, matched = FALSE;

    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      printf (USAGE "\n"
          "Computes features from an audio file (WAV, FLAC, OGG, ... read "
          "with\nlibsndfile; channels averaged unless the configuration "
          "names a\n'channel'; resampled to the configuration's rate when "
          "needed).\n\n"
          "CONFIG: a JSON feature configuration, in a file or inline "
          "('{...}'),\n        or a kind (fbank, mfcc, melspec, raw: "
          "torchaudio's defaults).\nMODEL: a model file; its lstm.features "
          "is used.\nOUTPUT: .f32 (raw little-endian float32, frame after "
          "frame), .csv,\n        or - for CSV on standard output.\n\n"
          "  --normalize   apply the model's input.mean / input.std to the "
          "output\n"
          "  --nan-policy P  samples holding NaN or Inf: reset (default: a\n"
          "                frame of zeros per burst of them, the features\n"
          "                restart after it, one warning per burst), error,\n"
          "                or pass (as lstmfeatures' nan-policy)\n"
          "  --print-config  print the configuration (every key) and exit\n"
          "\nOver CONFIG (or fbank's defaults), in the kind's own keys, as "
          "the\nlstmfeatures properties of the same names:\n"
          "  --kind K              fbank, mfcc, melspec or raw\n"
          "  --sample-rate HZ      sample rate of the features\n"
          "  --num-mel-bins N      mel bands (melspec: n_mels)\n"
          "  --num-ceps N          cepstra (mfcc)\n"
          "  --frame-length-ms MS  window length (melspec: n_fft = "
          "win_length)\n"
          "  --frame-shift-ms MS   time between frames (melspec: "
          "hop_length)\n"
          "  --low-freq HZ         lower mel edge (melspec: f_min)\n"
          "  --high-freq HZ        upper mel edge (melspec: f_max)\n");
      return 0;
    }
    if (strcmp (argv[i], "--normalize") == 0) {
      normalize = TRUE;
      continue;
    }
    if (strcmp (argv[i], "--print-config") == 0) {
      print_config = TRUE;
      continue;
    }
    if ((v = option_value (argc, argv, &i, "nan-policy", &missing)) ||
        missing) {
      if (!lstm_nan_policy_from_string (v, &policy)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--nan-policy: '%s' is not one of reset, error, pass",
            v ? v : "");
        return 2;
      }
      continue;
    }
    if ((v = option_value (argc, argv, &i, "kind", &missing)) || missing) {
      if (v == NULL || *v == '\0') {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--kind needs a kind (fbank, mfcc, melspec, raw)");
        return 2;
      }
      opts.kind = v;
      any_opt = TRUE;
      continue;
    }
    for (k = 0; k < G_N_ELEMENTS (feature_opts) && !matched; k++) {
      if ((v = option_value (argc, argv, &i, feature_opts[k].name,
                  &missing)) == NULL && !missing)
        continue;
      matched = any_opt = TRUE;
      if (v == NULL) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--%s needs a value", feature_opts[k].name);
        return 2;
      }
      if (!set_feature_opt (&feature_opts[k], v, &opts, error))
        return 2;
    }
    if (matched)
      continue;
    if (n_args < 3 && (argv[i][0] != '-' || argv[i][1] == '\0'))
      args[n_args++] = argv[i];
    else {
      fprintf (stderr, "lstm features: unexpected argument '%s'\n" USAGE,
          argv[i]);
      return 2;
    }
  }
  /* AUDIO OUTPUT alone: the options over fbank's defaults */
  if (print_config ? n_args > 1 : n_args != 3 && !(n_args == 2 && any_opt)) {
    fprintf (stderr, USAGE);
    return 2;
  }
  opts.source = n_args == (print_config ? 1 : 3) ? args[0] : NULL;
  f = lstm_features_new_from_options (&opts, &model, error);
  if (f == NULL)
    return 1;
  if (print_config) {
    g_autofree gchar *json = lstm_features_get_config (f);
    printf ("%s\n", json);
    return 0;
  }
  audio = args[n_args - 2];
  output = args[n_args - 1];
  if (normalize) {
    if (model == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--normalize needs a MODEL (its input.mean / input.std)");
      return 2;
    }
    if (!lstm_features_set_normalization (f,
            lstm_model_get_input_mean (model),
            lstm_model_get_input_std (model), error))
      return 1;
  }
  w = lstm_tool_frame_writer_open (output, lstm_features_get_size (f), error);
  if (w == NULL)
    return 1;
  fo.writer = w;
  fo.audio = audio;
  fo.size = lstm_features_get_size (f);
  fo.rate = lstm_features_get_sample_rate (f);
  ok = lstm_tool_audio_features_checked (audio, f, policy, write_frames,
      write_burst, &fo, NULL, error);
  if (!ok)
    lstm_tool_frame_writer_abort (w);
  else if (!lstm_tool_frame_writer_close (w, error))
    ok = FALSE;
  return ok ? 0 : 1;
}
