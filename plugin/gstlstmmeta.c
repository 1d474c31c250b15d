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

static gboolean
copy_field (GQuark field, const GValue *value, gpointer dest)
{
  gst_structure_id_set_value (dest, field, value);
  return TRUE;
}

/* Copied with whole-buffer copies only, as GstLstmMeta: a region holds
 * other frames, whose results and padding these are not. */
static gboolean
custom_meta_transform (GstBuffer *dest, GstCustomMeta *meta,
    GstBuffer *buffer, GQuark type, gpointer data, gpointer user_data)
{
  GstCustomMeta *copy;

  (void) buffer;
  (void) user_data;
  if (!GST_META_TRANSFORM_IS_COPY (type) ||
      ((GstMetaTransformCopy *) data)->region)
    return FALSE;
  copy = gst_buffer_add_custom_meta (dest,
      g_type_name (((GstMeta *) meta)->info->api));
  if (copy == NULL)
    return FALSE;
  gst_structure_foreach (gst_custom_meta_get_structure (meta), copy_field,
      gst_custom_meta_get_structure (copy));
  return TRUE;
}

/**
 * gst_lstm_custom_metas_register:
 *
 * Registers the custom metas %GST_LSTM_RESULTS_META_NAME and
 * %GST_LSTM_PADDING_META_NAME (once; called by the plugin's init). Neither
 * carries tags; whole-buffer copies keep them, region copies drop them.
 */
void
gst_lstm_custom_metas_register (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    const gchar *tags[] = { NULL };
    gst_meta_register_custom (GST_LSTM_RESULTS_META_NAME, tags,
        custom_meta_transform, NULL, NULL);
    gst_meta_register_custom (GST_LSTM_PADDING_META_NAME, tags,
        custom_meta_transform, NULL, NULL);
    g_once_init_leave (&done, 1);
  }
}

/**
 * gst_buffer_mark_lstm_padding:
 * @buffer: a writable buffer of padded frames
 * @valid_frames: how many frames at its start are real
 *
 * Attaches (or updates) the %GST_LSTM_PADDING_META_NAME meta.
 */
void
gst_buffer_mark_lstm_padding (GstBuffer *buffer, guint valid_frames)
{
  GstCustomMeta *m;

  gst_lstm_custom_metas_register ();
  m = gst_buffer_get_custom_meta (buffer, GST_LSTM_PADDING_META_NAME);
  if (m == NULL)
    m = gst_buffer_add_custom_meta (buffer, GST_LSTM_PADDING_META_NAME);
  if (m != NULL)
    gst_structure_set (gst_custom_meta_get_structure (m), "valid-frames",
        G_TYPE_UINT, valid_frames, NULL);
}

/**
 * gst_buffer_add_lstm_results_meta:
 * @buffer: a writable buffer
 * @n_frames: frames in @buffer
 * @n_values: outputs per frame
 * @scores: (array): @n_frames x @n_values outputs (copied)
 * @index: the last frame's label index, or -1
 * @label: (nullable): the last frame's label
 *
 * Attaches the %GST_LSTM_RESULTS_META_NAME custom meta: the results of
 * #GstLstmMeta in a #GstStructure.
 */
void
gst_buffer_add_lstm_results_meta (GstBuffer *buffer, guint n_frames,
    guint n_values, const gfloat *scores, gint index, const gchar *label)
{
  gsize n = (gsize) n_frames * n_values;
  GstCustomMeta *m;
  GstStructure *s;
  GBytes *bytes;

  gst_lstm_custom_metas_register ();
  m = gst_buffer_add_custom_meta (buffer, GST_LSTM_RESULTS_META_NAME);
  if (m == NULL)
    return;
  s = gst_custom_meta_get_structure (m);
  bytes = g_bytes_new (n > 0 ? scores : NULL, n * sizeof (gfloat));
  gst_structure_set (s, "n-frames", G_TYPE_UINT, n_frames,
      "n-values", G_TYPE_UINT, n_values, "scores", G_TYPE_BYTES, bytes,
      "index", G_TYPE_INT, index, NULL);
  g_bytes_unref (bytes);
  if (label != NULL)
    gst_structure_set (s, "label", G_TYPE_STRING, label, NULL);
}
