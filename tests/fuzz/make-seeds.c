/* Writes the seed corpus of the fuzzing targets: `make-seeds DIR` fills
 * DIR/model, DIR/features, DIR/labels, DIR/manifest, DIR/checkpoint and
 * DIR/elements with small valid inputs (models of every layer kind with
 * feature configurations, configurations of every kind, label tracks, CSV
 * files, checkpoints, operation sequences). Deterministic: the committed
 * corpus is its output.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "fuzz-train.h"

static const gchar *root;

static void
write_seed (const gchar *target, const gchar *name, const void *data,
    gsize size)
{
  g_autofree gchar *dir = g_build_filename (root, target, NULL);
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, data, size, &error))
    g_error ("%s", error->message);
}

static void
write_text (const gchar *target, const gchar *name, const gchar *text)
{
  write_seed (target, name, text, strlen (text));
}

/* ---- models ---- */

#define LINEAR(n, act) \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":" #n \
  ",\"activation\":\"" act "\"}"

static void
model_seed (const gchar *name, const gchar *arch, LstmTask task,
    const gchar *features, gboolean normalise)
{
  static const gchar *const labels[] = { "a", "b", "c", NULL };
  static const float mean[] = { 0.5f, -0.5f, 0, 1, 2, 3, 4, 5 };
  static const float std[] = { 2, 1, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GBytes) bytes = NULL;
  LstmModelOptions opts = { 0 };

  opts.seed = 11;
  opts.task = task;
  opts.labels = task == LSTM_TASK_CLASSIFICATION ? labels : NULL;
  opts.features = features;
  opts.description = "fuzzing seed";
  if (normalise) {
    opts.input_mean = mean;
    opts.input_std = std;
  }
  m = lstm_model_new (arch, &opts, &error);
  if (m == NULL)
    g_error ("%s: %s", name, error->message);
  bytes = lstm_model_save_to_bytes (m, &error);
  g_assert_no_error (error);
  write_seed ("model", name, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
}

static void
models (void)
{
  const LstmTask cls = LSTM_TASK_CLASSIFICATION, reg = LSTM_TASK_REGRESSION;

  model_seed ("lstm.safetensors", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":4,\"hidden_size\":3}," LINEAR (3, "softmax") "]", cls,
      "{\"kind\":\"fbank\",\"sample_frequency\":16000,\"num_mel_bins\":4}",
      FALSE);
  model_seed ("gru.safetensors", "[{\"type\":\"gru\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":3}," LINEAR (1, "none") "]", reg,
      NULL, TRUE);
  model_seed ("gru-reset-before.safetensors", "[{\"type\":\"gru\","
      "\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":3,"
      "\"reset_after\":false}," LINEAR (1, "none") "]", reg, NULL, FALSE);
  model_seed ("linear.safetensors", "[{\"type\":\"linear\",\"name\":"
      "\"head\",\"in_features\":3,\"out_features\":2,\"activation\":"
      "\"sigmoid\"}]", reg, NULL, FALSE);
  model_seed ("peephole.safetensors", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":2,\"peephole\":true}," LINEAR (3,
          "softmax") "]", cls, "{\"kind\":\"mfcc\",\"sample_frequency\":8000,"
      "\"num_ceps\":2,\"num_mel_bins\":6}", FALSE);
  model_seed ("multi-layer.safetensors", "[{\"type\":\"lstm\",\"name\":"
      "\"rnn\",\"input_size\":2,\"hidden_size\":2,\"num_layers\":2},"
      "{\"type\":\"gru\",\"name\":\"rnn2\",\"input_size\":2,\"hidden_size\":"
      "2,\"num_layers\":2},{\"type\":\"linear\",\"name\":\"mid\","
      "\"out_features\":2,\"activation\":\"tanh\"}," LINEAR (3, "softmax")
      "]", cls, "{\"kind\":\"melspec\",\"sample_rate\":16000,\"n_fft\":64,"
      "\"hop_length\":32,\"n_mels\":2,\"log\":\"db\"}", FALSE);
  model_seed ("bidirectional.safetensors", "[{\"type\":\"lstm\",\"name\":"
      "\"rnn\",\"input_size\":2,\"hidden_size\":2,\"bidirectional\":true},"
      LINEAR (1, "relu") "]", reg, NULL, FALSE);
  model_seed ("no-bias.safetensors", "[{\"type\":\"gru\",\"name\":\"rnn\","
      "\"input_size\":3,\"hidden_size\":2,\"bias\":false}," LINEAR (2,
          "none") "]", LSTM_TASK_FORECAST, "{\"kind\":\"raw\","
      "\"sample_rate\":8000,\"frame_length\":3,\"frame_shift\":3}", FALSE);
}

/* ---- feature configurations ---- */

static void
features (void)
{
  static const gchar *const configs[][2] = {
    { "fbank.json", "{\"kind\":\"fbank\",\"sample_frequency\":16000,"
          "\"num_mel_bins\":40,\"frame_length\":25.0,\"frame_shift\":10.0,"
          "\"window_type\":\"povey\",\"preemphasis_coefficient\":0.97,"
          "\"low_freq\":20.0,\"high_freq\":0.0,\"use_energy\":false}" },
    { "fbank-energy.json", "{\"kind\":\"fbank\",\"sample_frequency\":8000,"
          "\"num_mel_bins\":10,\"use_energy\":true,\"raw_energy\":false,"
          "\"window_type\":\"hamming\",\"snip_edges\":false,\"dither\":0,"
          "\"round_to_power_of_two\":false,\"use_log_fbank\":true,"
          "\"use_power\":false,\"htk_compat\":true,\"channel\":1}" },
    { "mfcc.json", "{\"kind\":\"mfcc\",\"sample_frequency\":16000,"
          "\"num_ceps\":13,\"num_mel_bins\":23,\"cepstral_lifter\":22,"
          "\"deltas\":2,\"delta_win_length\":5,\"energy_floor\":1.0}" },
    { "melspec.json", "{\"kind\":\"melspec\",\"sample_rate\":16000,"
          "\"n_fft\":400,\"hop_length\":160,\"n_mels\":40,\"log\":\"natural\","
          "\"log_floor\":1e-6}" },
    { "melspec-db.json", "{\"kind\":\"melspec\",\"sample_rate\":22050,"
          "\"n_fft\":512,\"win_length\":300,\"hop_length\":128,\"n_mels\":16,"
          "\"f_min\":50,\"f_max\":8000,\"power\":1.0,\"center\":false,"
          "\"pad_mode\":\"constant\",\"norm\":\"slaney\",\"mel_scale\":"
          "\"slaney\",\"window_fn\":\"hamming_window\",\"log\":\"db\"}" },
    { "melspec-odd.json", "{\"kind\":\"melspec\",\"sample_rate\":8000,"
          "\"n_fft\":257,\"n_mels\":8,\"log\":\"none\",\"normalized\":true,"
          "\"waveform_scale\":32768}" },
    { "raw.json", "{\"kind\":\"raw\",\"sample_rate\":16000,"
          "\"frame_length\":2,\"frame_shift\":1}" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (configs); i++)
    write_text ("features", configs[i][0], configs[i][1]);
}

/* ---- label tracks and CSV files ---- */

static void
labels_and_csv (void)
{
  write_text ("labels", "tabs.txt",
      "0.000000\t1.250000\tspeech\n1.5\t2.0\tmusic\n\\\t100\t4000\n");
  write_text ("labels", "commas.csv",
      "start,end,label\n# a comment\n0,0.5,a\n\n0.5,1.5,\"b, c\"\n");
  write_text ("labels", "empty-label.txt", "1\t2\t\n3\t3\tpoint\n");

  /* manifests: byte 0, then the file; series tables: byte 1 */
  {
    static const gchar clips[] =
        "\0path,label\nclip.wav,speech\n\"a, b.wav\",music\n# c\n";
    static const gchar tracks[] =
        "\0clip.wav,track.txt\r\nother.flac,track.txt\n";
    static const gchar series[] =
        "\1time,value,other\n0,1.5,2\n1,-3e2,0.25\n# x\n2,4,\"5\"\n";
    write_seed ("manifest", "clips.csv", clips, sizeof clips - 1);
    write_seed ("manifest", "tracks.csv", tracks, sizeof tracks - 1);
    write_seed ("manifest", "series.csv", series, sizeof series - 1);
  }
}

/* ---- checkpoints ---- */

static gboolean
stop_early (const LstmTrainProgress *progress, gpointer user_data)
{
  (void) user_data;
  return progress->step < 3;
}

static void
checkpoint_seed (const gchar *name, gboolean sgd, gboolean mid)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = fuzz_train_model ();
  g_autoptr (LstmDataset) ds = fuzz_train_dataset ();
  g_autoptr (LstmTrainer) tr = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-seeds-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "c.safetensors", NULL);
  g_autofree gchar *data = NULL;
  gsize len;
  LstmTrainerOptions o;

  fuzz_train_options (&o, sgd);
  o.checkpoint_path = path;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_no_error (error);
  if (mid)
    lstm_trainer_set_progress_func (tr, stop_early, NULL, NULL);
  lstm_trainer_train (tr, ds, NULL, &error);
  g_assert_no_error (error);
  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s: %s", name, error->message);
  write_seed ("checkpoint", name, data, len);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- element operation sequences (fuzz-elements.c) ---- */

static void
elements (void)
{
  /* mode 0 (features ! infer), model 0; F32 mono 16 kHz; 4 sine buffers
   * with timestamps; a flush; a NaN buffer; a model swap; 2 buffers; EOS */
  static const guint8 stream[] = {
    0, 0, 0, 0, 0,
    0, 0x0c, 0x80, 5, 4, 0, 0x0c, 0x80, 5, 4, 0, 0x0c, 0x80, 5, 4,
    0, 0x0c, 0x80, 5, 5,
    7, 1,
    1, 0x08, 0x00, 2, 4,
    12, 6, 1,
    2, 0x0c, 0x80, 5, 4, 2, 0x0c, 0x80, 5, 4,
    10,
  };
  /* mode 1 (infer alone), model 4: tensors of 4 floats x 3; buffers of
   * 48 bytes, a GAP, a DISCONT, a partial buffer, caps change, EOS */
  static const guint8 frames[] = {
    1, 4, 2, 0, 0, 2, 2,
    0, 0, 48, 1, 4, 0, 0, 48, 7, 6, 0, 0, 48, 1, 1, 0, 0, 47, 2, 4,
    6, 2, 0, 0, 2, 0, 0, 0, 0, 32, 1, 4,
    10,
  };
  /* mode 2 (features ! train), model 1 (8 kHz): 8 buffers, EOS */
  static const guint8 train[] = {
    2, 1, 0, 0, 1,
    0, 0x10, 0x00, 5, 4, 0, 0x10, 0x00, 13, 4, 0, 0x10, 0x00, 21, 4,
    0, 0x10, 0x00, 29, 4, 0, 0x10, 0x00, 37, 4, 0, 0x10, 0x00, 45, 4,
    10,
  };

  write_seed ("elements", "features-infer.bin", stream, sizeof stream);
  write_seed ("elements", "infer-frames.bin", frames, sizeof frames);
  write_seed ("elements", "features-train.bin", train, sizeof train);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    g_printerr ("Usage: %s DIR\n", argv[0]);
    return 2;
  }
  root = argv[1];
  models ();
  features ();
  labels_and_csv ();
  checkpoint_seed ("adam-end.safetensors", FALSE, FALSE);
  checkpoint_seed ("sgd-end.safetensors", TRUE, FALSE);
  checkpoint_seed ("adam-mid-epoch.safetensors", FALSE, TRUE);
  elements ();
  return 0;
}
