/* GStreamer lstm plugin: registration
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gst/gst.h>

#include "gstlstmbatch.h"
#include "gstlstminfer.h"
#include "gstlstmmeta.h"
#include "gstlstmfeatures.h"      /* -- audio features -- */
/* -- training: #include "gstlstmtrain.h" -- */
#include "gstlstmtrain.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;

  gst_lstm_custom_metas_register ();

  ret |= GST_ELEMENT_REGISTER (lstminfer, plugin);
  ret |= GST_ELEMENT_REGISTER (lstmbatch, plugin);
  ret |= GST_ELEMENT_REGISTER (lstmfeatures, plugin);    /* -- audio features -- */
  /* -- training: ret |= GST_ELEMENT_REGISTER (lstmtrain, plugin); -- */
  ret |= GST_ELEMENT_REGISTER (lstmtrain, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR,
    lstm,
    "LSTM and GRU recurrent networks on audio and numeric frame streams",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
