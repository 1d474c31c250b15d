/* GStreamer lstm plugin: lstmfeatures, audio to feature frames
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LSTM_FEATURES (gst_lstm_features_get_type ())
G_DECLARE_FINAL_TYPE (GstLstmFeatures, gst_lstm_features, GST, LSTM_FEATURES,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (lstmfeatures);

G_END_DECLS
