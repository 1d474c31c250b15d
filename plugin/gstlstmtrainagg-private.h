/* GStreamer lstm plugin: the instance of lstmtrain's aggregator and what
 * its two files share (gstlstmtrainagg.c: set-up, caps, events, frames and
 * their targets; gstlstmtrainagg-train.c: models, trainers, online steps,
 * saving, training at EOS) (private)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "gstlstmtrainagg.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_lstm_train_agg_debug);

/* Posts an error from the lstmtrain element (the bin users named). */
#define TRAIN_ERROR(self, domain, code, text, debug) \
  GST_ELEMENT_ERROR ((self)->train, domain, code, text, debug)

/* Where the targets come from. */
typedef enum
{
  SOURCE_LABEL,
  SOURCE_LABEL_FILE,
  SOURCE_TARGET_PAD,
  SOURCE_FORECAST,
} Source;

/* gstlstmtrainagg.c: the sources by name */
extern const gchar *const gst_lstm_train_agg_source_names[];

/* One input stream's caps and timing. */
typedef struct
{
  GstLstmFramesInfo info;
  gboolean have_caps;
  GstClockTime next;            /* buffer time where the last buffer ended */
} PadStream;

struct _GstLstmTrainAgg
{
  GstAggregator parent;

  GstElement *train;            /* the bin, which owns this element */
  GstAggregatorPad *sinkpad;
  GstAggregatorPad *targetpad;  /* or NULL; under the object lock */
  gint cancel;                  /* atomic: stopping, leave training */

  /* configuration, fixed from start() to stop() */
  GstLstmTrainSettings s;
  Source source;
  gchar *upstream_features;     /* an upstream lstmfeatures' configuration,
                                 * or NULL; under the object lock */
  LstmLabelTrack *track;
  LstmModel *init;              /* init-model, features applied */
  gchar **classes;              /* classifiers: the model's labels */
  GHashTable *class_index;      /* label -> index + 1 */
  guint label_class;            /* SOURCE_LABEL: its index */
  guint want_in;                /* init-model: frame size, else 0 */
  guint want_out;               /* init-model: output size, else 0 */

  /* streaming state (the aggregate thread) */
  PadStream in, tg;
  guint in_dim, out_dim;        /* 0 until known */
  gboolean classify;            /* class targets, else values */
  float *scratch;               /* (in_dim) one frame, aligned */
  gsize buf_offset;             /* frames of the queued sink buffer done */
  gboolean buf_started;         /* its DISCONT flag was handled */
  guint64 n_frames;             /* frames taken */
  guint64 n_targets;            /* frames with a target */
  guint n_stretches;
  gboolean failed;

  /* targets from the target pad, running time spans and values */
  GArray *tg_start;             /* GstClockTime */
  GArray *tg_end;               /* GstClockTime */
  GArray *tg_values;            /* float (n, out_dim) */
  guint tg_head;                /* first entry still in use */

  /* forecast: the last horizon frames, oldest first, in a ring */
  float *fifo;                  /* (horizon, in_dim) */
  guint fifo_len, fifo_pos;

  /* collected frames (training at EOS) */
  GArray *c_frames;             /* float (n, in_dim) */
  GArray *c_classes;            /* guint (n) */
  GArray *c_values;             /* float (n, out_dim) */
  GArray *c_mask;               /* guint8 (n) */
  GArray *c_breaks;             /* gsize: first frame of each stretch */

  /* online training */
  LstmTrainer *trainer;
  float *w_frames;              /* (sequence_length, in_dim) */
  guint *w_classes;             /* (sequence_length) */
  float *w_values;              /* (sequence_length, out_dim) */
  guint8 *w_mask;               /* (sequence_length) */
  guint w_len;
  guint64 saved_at;             /* n_frames at the last save-interval save */
};

gboolean gst_lstm_train_agg_ensure_online_trainer (GstLstmTrainAgg *self);
gboolean gst_lstm_train_agg_finish_online (GstLstmTrainAgg *self);
gboolean gst_lstm_train_agg_maybe_save (GstLstmTrainAgg *self);
gboolean gst_lstm_train_agg_step_window (GstLstmTrainAgg *self);
gboolean gst_lstm_train_agg_train_collected (GstLstmTrainAgg *self);

G_END_DECLS
