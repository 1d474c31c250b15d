/* GStreamer lstm plugin: lstminfer, a recurrent model over a frame stream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LSTM_INFER (gst_lstm_infer_get_type ())
G_DECLARE_FINAL_TYPE (GstLstmInfer, gst_lstm_infer, GST, LSTM_INFER,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (lstminfer);

G_END_DECLS
