/* GStreamer lstm plugin: the element messages, built in one place
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <lstm/lstm.h>

G_BEGIN_DECLS

#define GST_LSTM_PREDICTION_MESSAGE "lstm-prediction"
#define GST_LSTM_SEGMENT_MESSAGE "lstm-segment"
/* -- training: GST_LSTM_TRAIN_PROGRESS_MESSAGE "lstm-train-progress" -- */
#define GST_LSTM_TRAIN_PROGRESS_MESSAGE "lstm-train-progress"

/* The label of frames whose best score is below the threshold (liblstm's
 * name, an interned string). */
#define GST_LSTM_LABEL_UNKNOWN (lstm_label_name (NULL, LSTM_LABEL_UNKNOWN))

/**
 * GstLstmResultKind:
 * @GST_LSTM_RESULT_CLASSES: one label per frame: the best score
 * @GST_LSTM_RESULT_MULTI_LABEL: a sigmoid head: every label whose score
 *   reaches the threshold, besides the best one
 * @GST_LSTM_RESULT_VALUES: regression or forecast: values, no labels
 *
 * What a model's outputs mean, for the messages.
 */
typedef enum {
  GST_LSTM_RESULT_CLASSES,
  GST_LSTM_RESULT_MULTI_LABEL,
  GST_LSTM_RESULT_VALUES,
} GstLstmResultKind;

gint gst_lstm_decide_label (const gdouble *scores, guint n, gdouble threshold,
    gdouble *confidence);

GstMessage *gst_lstm_message_new_prediction (GstObject *src,
    const GstSegment *segment, GstClockTime timestamp, GstClockTime duration,
    GstLstmResultKind kind, const gdouble *scores, guint n,
    const gchar *const *labels, gdouble threshold);

GstMessage *gst_lstm_message_new_segment (GstObject *src,
    const GstSegment *segment, GstClockTime start, GstClockTime end,
    const gchar *label, gint index, gdouble confidence);

/* -- training -- */
GstMessage *gst_lstm_message_new_train_progress (GstObject *src,
    guint epoch, guint64 step, gboolean epoch_done, gdouble loss,
    gdouble val_loss, gdouble accuracy, gdouble val_accuracy,
    gdouble frames_per_second);

G_END_DECLS
