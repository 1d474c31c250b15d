/* GStreamer lstm plugin: the two caps families that carry frames
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A frame is one vector of D float32 values (design.md section 6). Two caps
 * families carry frames, and every frame-consuming element accepts both.
 *
 * Tensors, NNStreamer's convention: dimensions are innermost first, so
 * "40:10" is 10 frames of 40 values; framerate counts buffers per second.
 * `dimensions` must be a string: unquoted, 40:10 parses as a GstFlagSet.
 * The templates leave `dimensions` out (any string); parsing checks it. */
#define GST_LSTM_TENSORS_CAPS \
  "other/tensors, " \
  "format = (string) static, " \
  "num_tensors = (int) 1, " \
  "types = (string) float32, " \
  "framerate = (fraction) [ 0/1, 2147483647/1 ]"

/* Numeric audio: one "sample" is one frame of `channels` values. Input
 * accepts any channel-mask (channel positions mean nothing here); output
 * uses channel-mask=(bitmask)0 when channels > 1. */
#define GST_LSTM_AUDIO_FRAMES_CAPS \
  "audio/x-raw, " \
  "format = (string) F32LE, " \
  "layout = (string) interleaved, " \
  "channels = (int) [ 1, MAX ], " \
  "rate = (int) [ 1, MAX ]"

#define GST_LSTM_FRAMES_CAPS \
  GST_LSTM_TENSORS_CAPS "; " GST_LSTM_AUDIO_FRAMES_CAPS

/**
 * GstLstmFramesFamily:
 * @GST_LSTM_FRAMES_TENSORS: `other/tensors` (NNStreamer's convention)
 * @GST_LSTM_FRAMES_AUDIO: `audio/x-raw`, F32LE interleaved, one frame per
 *   sample
 */
typedef enum {
  GST_LSTM_FRAMES_TENSORS,
  GST_LSTM_FRAMES_AUDIO,
} GstLstmFramesFamily;

/**
 * GstLstmFramesInfo:
 * @family: which caps family
 * @dim: values per frame (D)
 * @frames_per_buffer: tensors: N of `dimensions=D:N`; audio: 0 (any)
 * @rate_n: audio: rate; tensors: framerate numerator (buffers per second)
 * @rate_d: audio: 1; tensors: framerate denominator
 * @fps_n: frames per second, numerator (0 when unknown)
 * @fps_d: frames per second, denominator
 *
 * What fixed frame caps say.
 */
typedef struct {
  GstLstmFramesFamily family;
  guint dim;
  guint frames_per_buffer;
  gint rate_n;
  gint rate_d;
  gint fps_n;
  gint fps_d;
} GstLstmFramesInfo;

gboolean gst_lstm_frames_parse_dimensions (const gchar *dimensions,
    guint *dim, guint *n_frames);
gboolean gst_lstm_frames_info_from_caps (GstLstmFramesInfo *info,
    const GstCaps *caps, GError **error);
GstCaps *gst_lstm_frames_info_to_caps (const GstLstmFramesInfo *info);
void gst_lstm_frames_set_dimensions (GstStructure *s, guint dim,
    guint n_frames);
GstCaps *gst_lstm_frames_caps_any_rank (GstCaps *caps);
GstClockTime gst_lstm_frames_info_frame_duration (
    const GstLstmFramesInfo *info);
GstCaps *gst_lstm_frames_caps_with_dim (const GstCaps *caps, guint dim,
    gboolean output);
const gchar *gst_lstm_frames_family_name (GstLstmFramesFamily family);

gboolean gst_lstm_segment_is_update (const GstSegment *old,
    const GstSegment *s);

G_END_DECLS
