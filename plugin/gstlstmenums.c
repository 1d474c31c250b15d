/* GStreamer lstm plugin: enum types of element properties
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "gstlstmenums.h"

GType
gst_lstm_output_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_OUTPUT_MODE_SCORES,
        "One output frame of scores per input frame", "scores" },
    { GST_LSTM_OUTPUT_MODE_PASSTHROUGH,
        "Input passed through untouched, results as GstLstmMeta and "
        "messages", "passthrough" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmOutputMode", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

GType
gst_lstm_nan_policy_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_NAN_POLICY_RESET,
        "Zeros out and a state reset per non-finite frame, one warning per "
        "burst", "reset" },
    { GST_LSTM_NAN_POLICY_ERROR, "Non-finite input is a stream error",
        "error" },
    { GST_LSTM_NAN_POLICY_PASS, "Values go through unchecked", "pass" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmNanPolicy", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* -- audio features -- */

GType
gst_lstm_features_kind_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_FEATURES_KIND_FBANK,
        "Kaldi log-mel filterbank (torchaudio.compliance.kaldi.fbank)",
        "fbank" },
    { GST_LSTM_FEATURES_KIND_MFCC,
        "Kaldi MFCC (torchaudio.compliance.kaldi.mfcc)", "mfcc" },
    { GST_LSTM_FEATURES_KIND_MELSPEC,
        "Mel spectrogram (torchaudio.transforms.MelSpectrogram), optional "
        "log", "melspec" },
    { GST_LSTM_FEATURES_KIND_RAW, "Windows of samples", "raw" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmFeaturesKind", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* -- training -- */

GType
gst_lstm_train_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_TRAIN_MODE_AUTO,
        "Targets from label, label-file or the target pad", "auto" },
    { GST_LSTM_TRAIN_MODE_FORECAST,
        "Targets are the input frames horizon frames ahead", "forecast" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmTrainMode", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

GType
gst_lstm_cell_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_CELL_LSTM, "LSTM layers (nn.LSTM)", "lstm" },
    { GST_LSTM_CELL_GRU, "GRU layers (nn.GRU)", "gru" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmCell", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

GType
gst_lstm_optimizer_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_OPTIMIZER_ADAM, "Adam (torch.optim.Adam)", "adam" },
    { GST_LSTM_OPTIMIZER_SGD, "Stochastic gradient descent (torch.optim.SGD)",
        "sgd" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmOptimizer", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}
