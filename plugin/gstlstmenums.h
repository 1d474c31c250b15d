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

/* -- audio features: GstLstmFeaturesKind (fbank, mfcc, melspec, raw) -- */

/* -- training: GstLstmOptimizer, GstLstmCell, GstLstmTrainMode -- */

G_END_DECLS
