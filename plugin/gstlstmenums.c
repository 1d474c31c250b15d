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
