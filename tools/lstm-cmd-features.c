/* lstm features CONFIG|MODEL AUDIO OUTPUT
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lstm-tool.h"

/* CONFIG is a JSON object given inline ('{...}'), a file holding one, or a
 * model file whose lstm.features is used. */
LstmFeatures *
lstm_tool_features_open (const gchar *arg, LstmModel **model_out,
    GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (LstmModel) model = NULL;
  LstmFeatures *f;
  const gchar *p;

  if (model_out)
    *model_out = NULL;
  if (arg[0] == '{')
    return lstm_features_new (arg, error);
  if (!g_file_get_contents (arg, &text, NULL, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s", local->message);
    return NULL;
  }
  for (p = text; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
    ;
  if (*p == '{') {
    f = lstm_features_new (text, &local);
    if (f == NULL)
      g_set_error (error, LSTM_ERROR, local->code, "%s: %s", arg,
          local->message);
    return f;
  }
  model = lstm_model_load (arg, error);
  if (model == NULL)
    return NULL;
  f = lstm_features_new_for_model (model, error);
  if (f && model_out)
    *model_out = g_steal_pointer (&model);
  return f;
}

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

int
lstm_tool_features (int argc, char **argv, GError **error)
{
  g_autoptr (LstmFeatures) f = NULL;
  g_autoptr (LstmModel) model = NULL;
  LstmToolFrameWriter *w;
  gboolean normalize = FALSE, ok;
  LstmNanPolicy policy = LSTM_NAN_POLICY_RESET;
  FeaturesOut fo = { 0 };
  const gchar *args[3];
  guint n_args = 0;
  int i;

  for (i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      printf ("Usage: lstm features [--normalize] [--nan-policy P] "
          "CONFIG|MODEL AUDIO OUTPUT\n\n"
          "Computes features from an audio file (WAV, FLAC, OGG, ... read "
          "with\nlibsndfile; channels averaged unless the configuration "
          "names a\n'channel'; resampled to the configuration's rate when "
          "needed).\n\n"
          "CONFIG: a JSON feature configuration, in a file or inline "
          "('{...}').\nMODEL: a model file; its lstm.features is used.\n"
          "OUTPUT: .f32 (raw little-endian float32, frame after frame), "
          ".csv,\n        or - for CSV on standard output.\n\n"
          "  --normalize   apply the model's input.mean / input.std to the "
          "output\n"
          "  --nan-policy P  samples holding NaN or Inf: reset (default: a\n"
          "                frame of zeros per burst of them, the features\n"
          "                restart after it, one warning per burst), error,\n"
          "                or pass (as lstmfeatures' nan-policy)\n");
      return 0;
    }
    if (strcmp (argv[i], "--normalize") == 0) {
      normalize = TRUE;
    } else if (strcmp (argv[i], "--nan-policy") == 0 ||
        g_str_has_prefix (argv[i], "--nan-policy=")) {
      const gchar *v = argv[i][12] == '=' ? argv[i] + 13 :
          i + 1 < argc ? argv[++i] : NULL;
      if (!lstm_nan_policy_from_string (v, &policy)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--nan-policy: '%s' is not one of reset, error, pass",
            v ? v : "");
        return 2;
      }
    }
    else if (n_args < 3 && (argv[i][0] != '-' || argv[i][1] == '\0'))
      args[n_args++] = argv[i];
    else {
      fprintf (stderr, "lstm features: unexpected argument '%s'\n"
          "Usage: lstm features [--normalize] [--nan-policy P] CONFIG|MODEL "
          "AUDIO OUTPUT\n",
          argv[i]);
      return 2;
    }
  }
  if (n_args != 3) {
    fprintf (stderr,
        "Usage: lstm features [--normalize] CONFIG|MODEL AUDIO OUTPUT\n");
    return 2;
  }
  f = lstm_tool_features_open (args[0], &model, error);
  if (f == NULL)
    return 1;
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
  w = lstm_tool_frame_writer_open (args[2], lstm_features_get_size (f), error);
  if (w == NULL)
    return 1;
  fo.writer = w;
  fo.audio = args[1];
  fo.size = lstm_features_get_size (f);
  fo.rate = lstm_features_get_sample_rate (f);
  ok = lstm_tool_audio_features_checked (args[1], f, policy, write_frames,
      write_burst, &fo, NULL, error);
  if (!ok)
    lstm_tool_frame_writer_abort (w);
  else if (!lstm_tool_frame_writer_close (w, error))
    ok = FALSE;
  return ok ? 0 : 1;
}
