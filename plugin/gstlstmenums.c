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

GType
gst_lstm_precision_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_LSTM_PRECISION_FP32, "float32 weights and arithmetic", "fp32" },
    { GST_LSTM_PRECISION_BF16,
        "bfloat16 weight matrices, products summed in float32", "bf16" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLstmPrecision", values);
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

/**
 * gst_lstm_choice_enum_get_type:
 * @option: a liblstm training option's name (`clip-loss`)
 * @choices: (array zero-terminated=1): its choices, in enum order
 *
 * The GEnum of a choice option of liblstm's training table, registered on
 * first use as `GstLstm` + the option's name in CamelCase (`GstLstmClipLoss`):
 * values are the choices' indices, nicks their names, so the properties
 * take the command line's words.
 *
 * Returns: the type.
 */
GType
gst_lstm_choice_enum_get_type (const gchar *option,
    const gchar *const *choices)
{
  static GMutex lock;
  GString *name = g_string_new ("GstLstm");
  GEnumValue *values;
  GType type;
  guint i, n = g_strv_length ((gchar **) choices);
  gboolean up = TRUE;

  for (i = 0; option[i]; i++) {
    if (option[i] == '-') {
      up = TRUE;
      continue;
    }
    g_string_append_c (name, up ? g_ascii_toupper (option[i]) : option[i]);
    up = FALSE;
  }
  g_mutex_lock (&lock);
  type = g_type_from_name (name->str);
  if (type == 0) {
    /* kept for the type's lifetime: the process's */
    values = g_new0 (GEnumValue, n + 1);
    for (i = 0; i < n; i++) {
      values[i].value = (gint) i;
      values[i].value_name = choices[i];
      values[i].value_nick = choices[i];
    }
    type = g_enum_register_static (g_intern_string (name->str), values);
  }
  g_mutex_unlock (&lock);
  g_string_free (name, TRUE);
  return type;
}
