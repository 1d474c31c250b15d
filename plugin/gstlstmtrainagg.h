/* GStreamer lstm plugin: the aggregator inside lstmtrain (private)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lstmtrain (gstlstmtrain.c) is a bin: ghost pads, properties, and this
 * aggregator (gstlstmtrainagg.c), which lines frames up with their targets
 * and trains. The bin owns the settings; the aggregator copies them when
 * it starts.
 */
#pragma once

#include <gst/base/gstaggregator.h>
#include <lstm/lstm.h>

#include "gstlstmenums.h"
#include "gstlstmframes.h"

G_BEGIN_DECLS

/* The caps of lstmtrain's sink and target pads (the bin's and the
 * aggregator's alike). */
#define GST_LSTM_TRAIN_CAPS GST_LSTM_FRAMES_CAPS

/* gstlstmtrainagg.c: the templates of those pads */
extern GstStaticPadTemplate gst_lstm_train_sink_template;
extern GstStaticPadTemplate gst_lstm_train_target_template;

/* The properties: the training options of liblstm's table in @train, the
 * element's own besides. */
typedef struct
{
  gchar *location;
  GstLstmTrainMode mode;
  guint horizon;
  gchar *label;
  gchar *labels;
  gchar *label_file;
  gchar *init_model;
  gchar *features;
  gboolean online;
  guint progress_interval;
  guint64 save_interval;
  guint64 max_model_size;
  LstmTrainSettings train;
  gchar **given;                /* the training options set as properties */
} GstLstmTrainSettings;

void gst_lstm_train_settings_clear (GstLstmTrainSettings *s);
void gst_lstm_train_settings_copy (GstLstmTrainSettings *dst,
    const GstLstmTrainSettings *src);

#define GST_TYPE_LSTM_TRAIN_AGG (gst_lstm_train_agg_get_type ())
G_DECLARE_FINAL_TYPE (GstLstmTrainAgg, gst_lstm_train_agg, GST,
    LSTM_TRAIN_AGG, GstAggregator)

/* Makes the aggregator of @bin, which posts messages and errors as @bin
 * and asks it for its settings when it starts. */
GstLstmTrainAgg *gst_lstm_train_agg_new (GstElement *bin);

/* gstlstmtrain.c: a copy of the bin's settings, and whether its target pad
 * exists and is linked. */
void gst_lstm_train_get_settings (GstElement *bin, GstLstmTrainSettings *dst,
    gboolean *target_linked);

G_END_DECLS
