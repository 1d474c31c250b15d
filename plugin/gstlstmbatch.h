/* GStreamer lstm plugin: lstmbatch, many streams through one model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LSTM_BATCH (gst_lstm_batch_get_type ())
G_DECLARE_FINAL_TYPE (GstLstmBatch, gst_lstm_batch, GST, LSTM_BATCH,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (lstmbatch);

G_END_DECLS
