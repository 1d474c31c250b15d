/* GStreamer lstm plugin: GstLstmMeta, results riding on buffers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "gstlstmmeta.h"

/**
 * gst_lstm_meta_api_get_type:
 *
 * Returns: the #GType of the GstLstmMeta API, registered under
 *   %GST_LSTM_META_API_NAME. It carries no tags: the results describe the
 *   frames, not their memory.
 */
GType
gst_lstm_meta_api_get_type (void)
{
  static gsize type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register (GST_LSTM_META_API_NAME, tags);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

static gboolean
gst_lstm_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  GstLstmMeta *m = (GstLstmMeta *) meta;

  (void) params;
  (void) buffer;
  m->n_frames = m->n_values = 0;
  m->scores = NULL;
  m->index = -1;
  m->label = NULL;
  return TRUE;
}

static void
gst_lstm_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  GstLstmMeta *m = (GstLstmMeta *) meta;

  (void) buffer;
  g_free (m->scores);
  m->scores = NULL;
}

/* Copied with whole-buffer copies only: a region holds other frames. */
static gboolean
gst_lstm_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
    GQuark type, gpointer data)
{
  GstLstmMeta *m = (GstLstmMeta *) meta;

  (void) buffer;
  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;
    if (!copy->region) {
      gst_buffer_add_lstm_meta (dest, m->n_frames, m->n_values, m->scores,
          m->index, m->label);
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_lstm_meta_get_info:
 *
 * Returns: the #GstMetaInfo of GstLstmMeta.
 */
const GstMetaInfo *
gst_lstm_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *mi = gst_meta_register (gst_lstm_meta_api_get_type (),
        GST_LSTM_META_IMPL_NAME, sizeof (GstLstmMeta), gst_lstm_meta_init,
        gst_lstm_meta_free, gst_lstm_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_lstm_meta:
 * @buffer: a writable buffer
 * @n_frames: frames in @buffer
 * @n_values: outputs per frame
 * @scores: (array): @n_frames x @n_values outputs (copied)
 * @index: the last frame's label index, or -1
 * @label: (nullable): the last frame's label
 *
 * Returns: (transfer none): the new meta.
 */
GstLstmMeta *
gst_buffer_add_lstm_meta (GstBuffer *buffer, guint n_frames, guint n_values,
    const gfloat *scores, gint index, const gchar *label)
{
  GstLstmMeta *m;
  gsize n = (gsize) n_frames * n_values;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (n == 0 || scores != NULL, NULL);
  m = (GstLstmMeta *) gst_buffer_add_meta (buffer, gst_lstm_meta_get_info (),
      NULL);
  if (m == NULL)
    return NULL;
  m->n_frames = n_frames;
  m->n_values = n_values;
  m->scores = n > 0 ? g_memdup2 (scores, n * sizeof (gfloat)) : NULL;
  m->index = index;
  m->label = label ? g_intern_string (label) : NULL;
  return m;
}
