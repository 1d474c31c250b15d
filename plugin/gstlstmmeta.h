/* GStreamer lstm plugin: GstLstmMeta, results riding on buffers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lstminfer output-mode=passthrough attaches a GstLstmMeta to each buffer it
 * passes through. Applications read it with this header alone:
 *
 *   #include <gst/lstm/gstlstmmeta.h>
 *   GstLstmMeta *m = gst_buffer_get_lstm_meta (buffer);
 *   if (m != NULL)
 *     g_print ("%s %.3f\n", m->label ? m->label : "-",
 *         m->scores[(m->n_frames - 1) * m->n_values + MAX (m->index, 0)]);
 *
 * The meta API is looked up by its registered name, so nothing links against
 * the plugin. GStreamer 1.24 adds GstTensorMeta and analytics classification
 * metas; once the project requires 1.24 the element attaches those too (see
 * gst_lstm_infer_attach_results()), and this meta stays for compatibility.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_LSTM_META_API_NAME "GstLstmMetaAPI"
#define GST_LSTM_META_IMPL_NAME "GstLstmMeta"

/**
 * GstLstmMeta:
 * @meta: the parent #GstMeta
 * @n_frames: frames in the buffer
 * @n_values: model outputs per frame (the model's output size)
 * @scores: (array): @n_frames x @n_values model outputs, frame after frame
 * @index: label index decided for the buffer's last frame (after smoothing
 *   and threshold), -1 for unknown or for models that are not classifiers
 * @label: (nullable): that label (an interned string: compare with ==
 *   after g_intern_string(), or with strcmp), "unknown" below the threshold,
 *   %NULL for models that are not classifiers
 *
 * Model results for the frames of one buffer.
 */
typedef struct {
  GstMeta meta;
  guint n_frames;
  guint n_values;
  gfloat *scores;
  gint index;
  const gchar *label;
} GstLstmMeta;

/**
 * gst_buffer_get_lstm_meta:
 * @buffer: a buffer
 *
 * Returns: (transfer none) (nullable): the #GstLstmMeta on @buffer, if any.
 */
static inline GstLstmMeta *
gst_buffer_get_lstm_meta (GstBuffer *buffer)
{
  GType api = g_type_from_name (GST_LSTM_META_API_NAME);
  return api != 0 ? (GstLstmMeta *) gst_buffer_get_meta (buffer, api) : NULL;
}

#ifdef GST_LSTM_COMPILATION
GType gst_lstm_meta_api_get_type (void);
const GstMetaInfo *gst_lstm_meta_get_info (void);
GstLstmMeta *gst_buffer_add_lstm_meta (GstBuffer *buffer, guint n_frames,
    guint n_values, const gfloat *scores, gint index, const gchar *label);
#endif

G_END_DECLS
