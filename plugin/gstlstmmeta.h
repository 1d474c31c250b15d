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
 * the plugin. Each lstminfer in passthrough mode adds its own meta: after
 * several in a row a buffer holds one per element, the first one's first;
 * gst_buffer_iterate_meta_filtered() reaches them all. GStreamer 1.24 adds GstTensorMeta and analytics classification
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

/**
 * GST_LSTM_RESULTS_META_NAME:
 *
 * The name of the #GstCustomMeta that lstminfer output-mode=passthrough
 * attaches next to #GstLstmMeta, for languages that cannot read a C
 * structure (Python through PyGObject). Its structure holds:
 * `n-frames` (uint), `n-values` (uint), `scores` (#GBytes: n-frames x
 * n-values float32 in the machine's byte order, frame after frame),
 * `index` (int, -1 for unknown or for models that are not classifiers) and,
 * for classifiers, `label` (string). From Python:
 *
 *   meta = buf.get_custom_meta ("GstLstmResults")
 *   s = meta.get_structure ()
 *   scores = numpy.frombuffer (s.get_value ("scores").get_data (),
 *       numpy.float32).reshape (s["n-frames"], s["n-values"])
 */
#define GST_LSTM_RESULTS_META_NAME "GstLstmResults"

/**
 * GST_LSTM_PADDING_META_NAME:
 *
 * The name of the #GstCustomMeta that marks a padded buffer of
 * other/tensors frames. The tensor caps stay fixed for a whole stream: a
 * buffer that holds fewer frames than the caps' N (the last one at EOS, or
 * before a gap or discontinuity) is padded with frames of zeros up to N;
 * its duration and offset_end cover its real frames only, and this meta's
 * structure holds `valid-frames` (uint), how many frames at its start are
 * real. lstminfer and lstmtrain use only those frames; lstminfer's output
 * buffer is padded and marked the same way.
 */
#define GST_LSTM_PADDING_META_NAME "GstLstmPadding"

/**
 * gst_buffer_get_lstm_valid_frames:
 * @buffer: a buffer of @n_frames frames
 * @n_frames: the frames @buffer holds
 *
 * Returns: how many frames at the start of @buffer are real: @n_frames, or
 *   fewer for a buffer marked as padded (%GST_LSTM_PADDING_META_NAME).
 */
static inline guint
gst_buffer_get_lstm_valid_frames (GstBuffer *buffer, guint n_frames)
{
  GstCustomMeta *m;
  guint valid;

  if (gst_meta_get_info (GST_LSTM_PADDING_META_NAME) == NULL)
    return n_frames;
  m = gst_buffer_get_custom_meta (buffer, GST_LSTM_PADDING_META_NAME);
  if (m == NULL || !gst_structure_get_uint (gst_custom_meta_get_structure (m),
          "valid-frames", &valid))
    return n_frames;
  return MIN (valid, n_frames);
}

#ifdef GST_LSTM_COMPILATION
void gst_lstm_custom_metas_register (void);
void gst_buffer_mark_lstm_padding (GstBuffer *buffer, guint valid_frames);
void gst_buffer_add_lstm_results_meta (GstBuffer *buffer, guint n_frames,
    guint n_values, const gfloat *scores, gint index, const gchar *label);
GType gst_lstm_meta_api_get_type (void);
const GstMetaInfo *gst_lstm_meta_get_info (void);
GstLstmMeta *gst_buffer_add_lstm_meta (GstBuffer *buffer, guint n_frames,
    guint n_values, const gfloat *scores, gint index, const gchar *label);
#endif

G_END_DECLS
