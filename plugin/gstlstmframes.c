/* GStreamer lstm plugin: the two caps families that carry frames
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsing and negotiation shared by every frame-consuming element
 * (design.md section 6).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gstlstmframes.h"

#define TENSORS_NAME "other/tensors"
#define AUDIO_NAME "audio/x-raw"

/**
 * gst_lstm_frames_family_name:
 * @family: a family
 *
 * Returns: the media type of @family's caps.
 */
const gchar *
gst_lstm_frames_family_name (GstLstmFramesFamily family)
{
  return family == GST_LSTM_FRAMES_TENSORS ? TENSORS_NAME : AUDIO_NAME;
}

/* Parses one positive decimal integer of at most 9 digits. */
static gboolean
parse_dim (const gchar *s, guint *out)
{
  guint64 v = 0;
  guint n = 0;

  for (; s[n] >= '0' && s[n] <= '9'; n++) {
    if (n >= 9)
      return FALSE;
    v = v * 10 + (guint) (s[n] - '0');
  }
  if (n == 0 || s[n] != '\0' || v == 0)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

/**
 * gst_lstm_frames_parse_dimensions:
 * @dimensions: NNStreamer's dimension string, innermost first: "D", "D:N",
 *   "D:N:1", ...
 * @dim: (out): D, values per frame
 * @n_frames: (out): N, frames per buffer (1 for "D")
 *
 * Trailing dimensions of 1 are accepted; any other third dimension is not
 * (a frame is one vector).
 *
 * Returns: %TRUE if @dimensions is valid.
 */
gboolean
gst_lstm_frames_parse_dimensions (const gchar *dimensions, guint *dim,
    guint *n_frames)
{
  g_auto (GStrv) parts = NULL;
  guint i, n, v;

  if (dimensions == NULL)
    return FALSE;
  parts = g_strsplit (dimensions, ":", -1);
  n = g_strv_length (parts);
  if (n == 0 || n > 16)
    return FALSE;
  for (i = 0; i < n; i++) {
    g_strstrip (parts[i]);
    if (!parse_dim (parts[i], &v))
      return FALSE;
    if (i == 0)
      *dim = v;
    else if (i == 1)
      *n_frames = v;
    else if (v != 1)
      return FALSE;
  }
  if (n == 1)
    *n_frames = 1;
  return TRUE;
}

/* D and N of a 'dimensions' value: a string, or the first parseable string
 * of a list (caps answered to a query, see gst_lstm_frames_set_dimensions). */
static gboolean
dims_of_value (const GValue *v, guint *dim, guint *n_frames)
{
  guint i;

  if (v == NULL)
    return FALSE;
  if (G_VALUE_HOLDS_STRING (v))
    return gst_lstm_frames_parse_dimensions (g_value_get_string (v), dim,
        n_frames);
  if (!GST_VALUE_HOLDS_LIST (v))
    return FALSE;
  for (i = 0; i < gst_value_list_get_size (v); i++) {
    const GValue *e = gst_value_list_get_value (v, i);
    if (G_VALUE_HOLDS_STRING (e) &&
        gst_lstm_frames_parse_dimensions (g_value_get_string (e), dim,
            n_frames))
      return TRUE;
  }
  return FALSE;
}

/**
 * gst_lstm_frames_set_dimensions:
 * @s: an other/tensors structure
 * @dim: D, values per frame
 * @n_frames: N, frames per buffer
 *
 * Sets @s's dimensions to every spelling NNStreamer gives a tensor of D x N:
 * the list { "D:N", "D:N:1", "D:N:1:1" } (and "D" when N is 1), ours
 * first. NNStreamer writes ranks up to 4 padded with 1 ("13:10:1:1"); a
 * dimension string does not intersect with another spelling of the same
 * shape, so caps answered to queries carry the list and fixation keeps the
 * peer's spelling, or ours when the peer takes any.
 */
void
gst_lstm_frames_set_dimensions (GstStructure *s, guint dim, guint n_frames)
{
  GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
  guint rank;

  g_value_init (&list, GST_TYPE_LIST);
  g_value_init (&v, G_TYPE_STRING);
  for (rank = 2; rank <= 4; rank++) {
    g_value_take_string (&v, g_strdup_printf ("%u:%u%s", dim, n_frames,
            rank == 2 ? "" : rank == 3 ? ":1" : ":1:1"));
    gst_value_list_append_value (&list, &v);
  }
  if (n_frames == 1) {
    g_value_take_string (&v, g_strdup_printf ("%u", dim));
    gst_value_list_append_value (&list, &v);
  }
  g_value_unset (&v);
  gst_structure_take_value (s, "dimensions", &list);
}

/**
 * gst_lstm_frames_caps_any_rank:
 * @caps: (transfer full): caps of either family
 *
 * Returns: (transfer full): @caps with the dimensions of every other/tensors
 *   structure written in every rank (gst_lstm_frames_set_dimensions()), for
 *   answers to caps queries.
 */
GstCaps *
gst_lstm_frames_caps_any_rank (GstCaps *caps)
{
  guint i, d, n;

  caps = gst_caps_make_writable (caps);
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    if (gst_structure_has_name (s, TENSORS_NAME) &&
        dims_of_value (gst_structure_get_value (s, "dimensions"), &d, &n))
      gst_lstm_frames_set_dimensions (s, d, n);
  }
  return caps;
}

/**
 * gst_lstm_frames_info_from_caps:
 * @info: (out caller-allocates): receives what @caps say
 * @caps: fixed caps of either family
 * @error: return location for a #GError (%GST_STREAM_ERROR_FORMAT)
 *
 * Returns: %TRUE if @caps are valid frame caps.
 */
gboolean
gst_lstm_frames_info_from_caps (GstLstmFramesInfo *info, const GstCaps *caps,
    GError **error)
{
  const GstStructure *s;
  const gchar *name;

  memset (info, 0, sizeof *info);
  if (caps == NULL || gst_caps_get_size (caps) < 1) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "no caps");
    return FALSE;
  }
  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);

  if (strcmp (name, TENSORS_NAME) == 0) {
    const GValue *dims = gst_structure_get_value (s, "dimensions");
    const gchar *types = gst_structure_get_string (s, "types");
    gint num = 0;

    info->family = GST_LSTM_FRAMES_TENSORS;
    if (!gst_structure_get_int (s, "num_tensors", &num) || num != 1) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "other/tensors must have num_tensors=(int)1 (one frame tensor)");
      return FALSE;
    }
    if (types == NULL || strcmp (types, "float32") != 0) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "other/tensors must have types=(string)float32, not %s",
          types ? types : "(none)");
      return FALSE;
    }
    if (dims == NULL) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "other/tensors caps have no 'dimensions' (write "
          "dimensions=(string)D:N)");
      return FALSE;
    }
    if (!G_VALUE_HOLDS_STRING (dims)) {
      g_autofree gchar *str = gst_value_serialize (dims);
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "other/tensors 'dimensions' is a %s (%s), not a string: write "
          "dimensions=(string)D:N, since unquoted D:N parses as a flag set",
          G_VALUE_TYPE_NAME (dims), str ? str : "?");
      return FALSE;
    }
    if (!gst_lstm_frames_parse_dimensions (g_value_get_string (dims),
            &info->dim, &info->frames_per_buffer)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "other/tensors dimensions '%s' are not D:N (values per frame, "
          "frames per buffer; trailing :1 allowed)",
          g_value_get_string (dims));
      return FALSE;
    }
    if (!gst_structure_get_fraction (s, "framerate", &info->rate_n,
            &info->rate_d)) {
      info->rate_n = 0;
      info->rate_d = 1;
    }
    if (info->rate_n > 0 && info->rate_d > 0) {
      guint64 n = (guint64) info->rate_n * info->frames_per_buffer;
      guint64 d = (guint64) info->rate_d;
      guint64 a = n, b = d;
      while (b != 0) {
        guint64 t = a % b;
        a = b;
        b = t;
      }
      n /= a;
      d /= a;
      if (n <= G_MAXINT && d <= G_MAXINT) {
        info->fps_n = (gint) n;
        info->fps_d = (gint) d;
      }
    }
    if (info->fps_n == 0)
      info->fps_d = 1;
    return TRUE;
  }

  if (strcmp (name, AUDIO_NAME) == 0) {
    const gchar *format = gst_structure_get_string (s, "format");
    const gchar *layout = gst_structure_get_string (s, "layout");
    gint channels = 0, rate = 0;

    info->family = GST_LSTM_FRAMES_AUDIO;
    if (format == NULL || strcmp (format, "F32LE") != 0) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "audio/x-raw frames must be format=F32LE, not %s",
          format ? format : "(none)");
      return FALSE;
    }
    if (layout != NULL && strcmp (layout, "interleaved") != 0) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "audio/x-raw frames must be layout=interleaved, not %s", layout);
      return FALSE;
    }
    if (!gst_structure_get_int (s, "channels", &channels) || channels < 1) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "audio/x-raw frames need channels (values per frame)");
      return FALSE;
    }
    if (!gst_structure_get_int (s, "rate", &rate) || rate < 1) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "audio/x-raw frames need a rate (frames per second)");
      return FALSE;
    }
    info->dim = (guint) channels;
    info->frames_per_buffer = 0;
    info->rate_n = info->fps_n = rate;
    info->rate_d = info->fps_d = 1;
    return TRUE;
  }

  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "%s is not a frame format (other/tensors or audio/x-raw)", name);
  return FALSE;
}

/**
 * gst_lstm_frames_info_to_caps:
 * @info: a frames description
 *
 * Returns: (transfer full): fixed caps for @info, written as design.md
 *   section 6 has them (output side: channel-mask 0 when D > 1).
 */
GstCaps *
gst_lstm_frames_info_to_caps (const GstLstmFramesInfo *info)
{
  if (info->family == GST_LSTM_FRAMES_TENSORS) {
    g_autofree gchar *dims = g_strdup_printf ("%u:%u", info->dim,
        MAX (info->frames_per_buffer, 1));
    return gst_caps_new_simple (TENSORS_NAME,
        "format", G_TYPE_STRING, "static",
        "num_tensors", G_TYPE_INT, 1,
        "types", G_TYPE_STRING, "float32",
        "dimensions", G_TYPE_STRING, dims,
        "framerate", GST_TYPE_FRACTION, info->rate_n, MAX (info->rate_d, 1),
        NULL);
  } else {
    GstCaps *caps = gst_caps_new_simple (AUDIO_NAME,
        "format", G_TYPE_STRING, "F32LE",
        "layout", G_TYPE_STRING, "interleaved",
        "channels", G_TYPE_INT, (gint) info->dim,
        "rate", G_TYPE_INT, info->rate_n, NULL);
    if (info->dim > 1)
      gst_caps_set_simple (caps, "channel-mask", GST_TYPE_BITMASK,
          G_GUINT64_CONSTANT (0), NULL);
    return caps;
  }
}

/**
 * gst_lstm_frames_info_frame_duration:
 * @info: a frames description
 *
 * Returns: the duration of one frame, or %GST_CLOCK_TIME_NONE when the caps
 *   give no rate (tensors with framerate 0/1).
 */
GstClockTime
gst_lstm_frames_info_frame_duration (const GstLstmFramesInfo *info)
{
  if (info->fps_n <= 0 || info->fps_d <= 0)
    return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale_int (GST_SECOND, info->fps_d, info->fps_n);
}

/**
 * gst_lstm_frames_caps_with_dim:
 * @caps: caps of either family (any number of structures, fixed or not)
 * @dim: the frame size to put in, or 0 for any
 * @output: %TRUE for caps on an output pad (channel-mask=(bitmask)0 when
 *   @dim > 1), %FALSE for an input pad (any channel-mask)
 *
 * Rewrites each structure of @caps with frames of @dim values, keeping its
 * family, rate and frames per buffer (tensor dimensions in every rank, see
 * gst_lstm_frames_set_dimensions()). Structures of other media types are
 * dropped.
 *
 * Returns: (transfer full): the new caps.
 */
GstCaps *
gst_lstm_frames_caps_with_dim (const GstCaps *caps, guint dim,
    gboolean output)
{
  GstCaps *res = gst_caps_new_empty ();
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *in = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);
    GstStructure *s;

    if (gst_structure_has_name (in, TENSORS_NAME)) {
      const GValue *dims;
      guint d, n;

      s = gst_structure_copy (in);
      dims = gst_structure_get_value (s, "dimensions");
      if (dim > 0 && dims_of_value (dims, &d, &n)) {
        gst_lstm_frames_set_dimensions (s, dim, n);
      } else {
        gst_structure_remove_field (s, "dimensions");
      }
    } else if (gst_structure_has_name (in, AUDIO_NAME)) {
      s = gst_structure_copy (in);
      if (dim > 0)
        gst_structure_set (s, "channels", G_TYPE_INT, (gint) dim, NULL);
      else
        gst_structure_set (s, "channels", GST_TYPE_INT_RANGE, 1, G_MAXINT,
            NULL);
      if (output && dim > 1)
        gst_structure_set (s, "channel-mask", GST_TYPE_BITMASK,
            G_GUINT64_CONSTANT (0), NULL);
      else
        gst_structure_remove_field (s, "channel-mask");
    } else {
      continue;
    }
    res = gst_caps_merge_structure_full (res, s,
        f ? gst_caps_features_copy (f) : NULL);
  }
  return res;
}

/**
 * gst_lstm_segment_is_update:
 * @old: the segment in force
 * @s: a new segment
 *
 * Returns: %TRUE when @s only moves the stop or duration of @old: the same
 * stream continues, and the elements keep their state and framing.
 */
gboolean
gst_lstm_segment_is_update (const GstSegment *old, const GstSegment *s)
{
  return old->format == s->format && old->rate == s->rate &&
      old->applied_rate == s->applied_rate && old->base == s->base &&
      old->offset == s->offset && old->start == s->start &&
      old->time == s->time;
}
