/* GStreamer lstm plugin: lstmfeatures' instance and the functions its
 * two files share (gstlstmfeatures.c: the element; gstlstmfeatures-stream.c:
 * configuration, caps, framing and timestamps)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/audio/audio.h>
#include <lstm/lstm.h>

#include "gstlstmenums.h"
#include "gstlstmfeatures.h"
#include "gstlstmframes.h"
#include "gstlstmmeta.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_lstm_features_debug);

/* What the configuration says, for caps and latency queries from any
 * thread. */
typedef struct {
  guint rate;                   /* samples per second */
  guint dim;                    /* values per frame */
  guint shift;                  /* samples between frames */
  guint window;                 /* samples per window */
  guint lookahead;              /* lstm_features_get_latency() */
  gint channel;                 /* -1: channels averaged */
  guint frames_per_buffer;
} FeaturesInfo;

struct _GstLstmFeatures
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties: under the object lock */
  gchar *model_location;
  gchar *config;
  GstLstmFeaturesKind kind;
  gboolean kind_set;
  guint sample_rate;
  guint num_mel_bins;
  guint num_ceps;
  gdouble frame_length_ms;
  gdouble frame_shift_ms;
  gdouble low_freq;
  gdouble high_freq;
  guint frames_per_buffer;
  gboolean normalize;
  gboolean pad_buffers;
  GstLstmNanPolicy nan_policy;
  gboolean settings_changed;    /* since the extractor was made */

  /* the extractor and what it says: under lock (building it reads files) */
  GMutex lock;
  LstmFeatures *features;
  gchar *config_json;           /* its configuration, under the object lock */
  FeaturesInfo info;
  gboolean have_info;
  gboolean started;             /* between start and stop */

  /* streaming state: touched only with the sink pad's stream lock held
   * (chain, serialized events) or with the pads inactive (start, stop) */
  GstAudioFormat in_format;
  guint in_channels;
  guint in_bpf;
  gboolean have_in_caps;
  gboolean caps_refused;        /* the error for refused input was posted */
  GstLstmFramesInfo out_info;
  gboolean have_out_caps;
  guint caps_frames;            /* N of the tensors caps last pushed */
  GstSegment segment;
  GstClockTime base_ts;         /* time of the run's first sample */
  gboolean run_started;         /* samples fed since the framing restarted */
  guint64 run_frames;           /* frames made since then */
  guint64 out_offset;           /* frames pushed since start or flush */
  gboolean discont;             /* the next buffer pushed is DISCONT */
  guint64 run_samples;          /* samples fed since then */
  gboolean stage_gap;           /* the staged frame stands for non-finite
                                 * samples from gap_ts on: a GAP buffer */
  GstClockTime gap_ts;
  gfloat *frames;               /* scratch for one block's frames */
  gsize frames_cap;             /* in frames */
  gfloat *stage;                /* frames_per_buffer frames being gathered
                                 * when no pooled buffer is at hand */
  GstBuffer *out_buf;           /* the pooled output buffer being filled */
  GstMapInfo out_map;           /* out_buf, mapped for writing */
  gfloat *stage_dst;            /* where the staged frames are: out_map's
                                 * data or stage */
  guint stage_n;
  guint64 stage_first;          /* run index of the first staged frame */
  guint8 *in_copy;              /* an aligned copy of unaligned input */
  gsize in_copy_size;
  GstBufferPool *pool;
};

GstFlowReturn gst_lstm_features_add_frames (GstLstmFeatures *self,
    const gfloat *frames, gsize n);
const guint8 *gst_lstm_features_aligned_input (GstLstmFeatures *self,
    const GstMapInfo *map);
GstFlowReturn gst_lstm_features_drain (GstLstmFeatures *self);
gboolean gst_lstm_features_ensure_features_locked (GstLstmFeatures *self,
    GError **error);
gboolean gst_lstm_features_get_info (GstLstmFeatures *self,
    FeaturesInfo *info);
gboolean gst_lstm_features_negotiate (GstLstmFeatures *self);
GstFlowReturn gst_lstm_features_push_stage (GstLstmFeatures *self);
gfloat *gst_lstm_features_stage_begin (GstLstmFeatures *self);
void gst_lstm_features_release_out (GstLstmFeatures *self);
void gst_lstm_features_restart_framing (GstLstmFeatures *self);
GstClockTime gst_lstm_features_sample_time (GstLstmFeatures *self, gint64 s);
gboolean gst_lstm_features_set_input_caps (GstLstmFeatures *self,
    GstCaps *caps);
GstCaps *gst_lstm_features_sink_caps (GstLstmFeatures *self,
    GstCaps *filter);
GstCaps *gst_lstm_features_src_caps (GstLstmFeatures *self,
    GstCaps *filter);
gboolean gst_lstm_features_src_flushing (GstLstmFeatures *self);

G_END_DECLS
