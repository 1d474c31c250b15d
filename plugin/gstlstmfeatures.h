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

/* The custom upstream query lstmfeatures answers with its feature
 * configuration: a structure of this name whose string field "config" it
 * sets to the JSON object (the lstm.features format) of the frames it
 * makes. */
#define GST_LSTM_FEATURES_CONFIG_QUERY "lstm-features-config"

gchar *gst_lstm_features_query_config (GstPad *pad);

G_END_DECLS
