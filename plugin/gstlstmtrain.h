/* GStreamer lstm plugin: lstmtrain, a sink that trains a model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LSTM_TRAIN (gst_lstm_train_get_type ())
G_DECLARE_FINAL_TYPE (GstLstmTrain, gst_lstm_train, GST, LSTM_TRAIN, GstBin)

GST_ELEMENT_REGISTER_DECLARE (lstmtrain);

G_END_DECLS
