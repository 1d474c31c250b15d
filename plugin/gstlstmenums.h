/* GStreamer lstm plugin: enum types of element properties
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstLstmOutputMode:
 * @GST_LSTM_OUTPUT_MODE_SCORES: one output frame of model outputs per input
 *   frame
 * @GST_LSTM_OUTPUT_MODE_PASSTHROUGH: the input buffers pass untouched, the
 *   results ride on them as #GstLstmMeta and on the bus
 *
 * What lstminfer pushes downstream.
 */
typedef enum {
  GST_LSTM_OUTPUT_MODE_SCORES,
  GST_LSTM_OUTPUT_MODE_PASSTHROUGH,
} GstLstmOutputMode;

#define GST_TYPE_LSTM_OUTPUT_MODE (gst_lstm_output_mode_get_type ())
GType gst_lstm_output_mode_get_type (void);

/**
 * GstLstmNanPolicy:
 * @GST_LSTM_NAN_POLICY_RESET: a frame (or a window of samples) holding NaN
 *   or Inf gives zeros and resets the recurrent state (the framing); one
 *   WARNING message per burst
 * @GST_LSTM_NAN_POLICY_ERROR: non-finite input is a stream error
 * @GST_LSTM_NAN_POLICY_PASS: values go through unchecked
 *
 * What lstminfer and lstmfeatures do with non-finite input; the values are
 * liblstm's LstmNanPolicy.
 */
typedef enum {
  GST_LSTM_NAN_POLICY_RESET,
  GST_LSTM_NAN_POLICY_ERROR,
  GST_LSTM_NAN_POLICY_PASS,
} GstLstmNanPolicy;

#define GST_TYPE_LSTM_NAN_POLICY (gst_lstm_nan_policy_get_type ())
GType gst_lstm_nan_policy_get_type (void);

/**
 * GstLstmPrecision:
 * @GST_LSTM_PRECISION_FP32: float32 weights and arithmetic
 * @GST_LSTM_PRECISION_BF16: the weight matrices as bfloat16, products
 *   summed in float32
 *
 * The precision lstminfer computes with; the values are liblstm's
 * LstmPrecision.
 */
typedef enum {
  GST_LSTM_PRECISION_FP32,
  GST_LSTM_PRECISION_BF16,
} GstLstmPrecision;

#define GST_TYPE_LSTM_PRECISION (gst_lstm_precision_get_type ())
GType gst_lstm_precision_get_type (void);

/* -- audio features -- */

/**
 * GstLstmFeaturesKind:
 * @GST_LSTM_FEATURES_KIND_FBANK: Kaldi log-mel filterbank
 *   (torchaudio.compliance.kaldi.fbank)
 * @GST_LSTM_FEATURES_KIND_MFCC: Kaldi MFCC (torchaudio.compliance.kaldi.mfcc)
 * @GST_LSTM_FEATURES_KIND_MELSPEC: torchaudio.transforms.MelSpectrogram,
 *   then an optional log
 * @GST_LSTM_FEATURES_KIND_RAW: windows of samples
 *
 * What lstmfeatures computes (the `kind` of a feature configuration).
 */
typedef enum {
  GST_LSTM_FEATURES_KIND_FBANK,
  GST_LSTM_FEATURES_KIND_MFCC,
  GST_LSTM_FEATURES_KIND_MELSPEC,
  GST_LSTM_FEATURES_KIND_RAW,
} GstLstmFeaturesKind;

#define GST_TYPE_LSTM_FEATURES_KIND (gst_lstm_features_kind_get_type ())
GType gst_lstm_features_kind_get_type (void);

/* -- training: GstLstmOptimizer, GstLstmCell, GstLstmTrainMode -- */

/**
 * GstLstmTrainMode:
 * @GST_LSTM_TRAIN_MODE_AUTO: targets from label, label-file or the target
 *   pad
 * @GST_LSTM_TRAIN_MODE_FORECAST: the targets are the input frames horizon
 *   frames ahead
 *
 * Where lstmtrain's targets come from.
 */
typedef enum {
  GST_LSTM_TRAIN_MODE_AUTO,
  GST_LSTM_TRAIN_MODE_FORECAST,
} GstLstmTrainMode;

#define GST_TYPE_LSTM_TRAIN_MODE (gst_lstm_train_mode_get_type ())
GType gst_lstm_train_mode_get_type (void);

GType gst_lstm_choice_enum_get_type (const gchar *option,
    const gchar *const *choices);

G_END_DECLS
