/* GStreamer lstm plugin: the element messages, built in one place
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built like gst_level_message_new(): the buffer timestamp of the first
 * frame, its stream and running time in the current segment, and the
 * duration; arrays are GST_TYPE_ARRAY (typed, ordered).
 */
#include "config.h"

#include <math.h>

#include "gstlstmmessages.h"

/**
 * gst_lstm_decide_label:
 * @scores: (array length=n): scores
 * @n: how many
 * @threshold: below it, the label is unknown
 * @confidence: (out) (optional): the best score
 *
 * Returns: the index of the best score (the first of equal ones), or -1
 *   when it is below @threshold.
 */
gint
gst_lstm_decide_label (const gdouble *scores, guint n, gdouble threshold,
    gdouble *confidence)
{
  guint best;

  g_return_val_if_fail (n > 0, -1);
  best = lstm_best_label (scores, n, threshold, confidence);
  return best == LSTM_LABEL_UNKNOWN ? -1 : (gint) best;
}

static void
set_double_array (GstStructure *s, const gchar *field, const gdouble *v,
    guint n)
{
  GValue arr = G_VALUE_INIT, item = G_VALUE_INIT;
  guint i;

  g_value_init (&arr, GST_TYPE_ARRAY);
  g_value_init (&item, G_TYPE_DOUBLE);
  for (i = 0; i < n; i++) {
    g_value_set_double (&item, v[i]);
    gst_value_array_append_value (&arr, &item);
  }
  gst_structure_take_value (s, field, &arr);
  g_value_unset (&item);
}

static void
set_times (GstStructure *s, const GstSegment *segment, GstClockTime timestamp,
    GstClockTime duration)
{
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;

  if (segment != NULL && segment->format == GST_FORMAT_TIME &&
      GST_CLOCK_TIME_IS_VALID (timestamp)) {
    stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        timestamp);
    running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        timestamp);
  }
  gst_structure_set (s,
      "timestamp", G_TYPE_UINT64, timestamp,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "duration", G_TYPE_UINT64, duration, NULL);
}

/**
 * gst_lstm_message_new_prediction:
 * @src: the posting element
 * @segment: (nullable): the current segment, for stream and running time
 * @timestamp: buffer time of the first frame the message covers
 * @duration: time the message covers
 * @kind: what the outputs mean
 * @scores: (array length=n): model outputs averaged over the frames
 * @n: the model's output size
 * @labels: (array length=n): a name per output (classifiers)
 * @threshold: below it, a label is not reported
 *
 * Builds an `lstm-prediction` element message:
 * - `timestamp`, `stream-time`, `running-time`, `duration` (GstClockTime);
 * - classifiers: `label` (string), `index` (int, -1 for unknown),
 *   `confidence` (double), `scores` (GST_TYPE_ARRAY of double); sigmoid
 *   heads add `labels` (GST_TYPE_ARRAY of string): every label whose score
 *   reaches @threshold;
 * - regression and forecast models: `values` (GST_TYPE_ARRAY of double).
 *
 * Returns: (transfer full): the message.
 */
GstMessage *
gst_lstm_message_new_prediction (GstObject *src, const GstSegment *segment,
    GstClockTime timestamp, GstClockTime duration, GstLstmResultKind kind,
    const gdouble *scores, guint n, const gchar *const *labels,
    gdouble threshold)
{
  GstStructure *s = gst_structure_new_empty (GST_LSTM_PREDICTION_MESSAGE);

  set_times (s, segment, timestamp, duration);
  if (kind == GST_LSTM_RESULT_VALUES) {
    set_double_array (s, "values", scores, n);
  } else {
    gdouble confidence = 0.0;
    gint index = gst_lstm_decide_label (scores, n, threshold, &confidence);

    gst_structure_set (s,
        "label", G_TYPE_STRING,
        index >= 0 ? labels[index] : GST_LSTM_LABEL_UNKNOWN,
        "index", G_TYPE_INT, index,
        "confidence", G_TYPE_DOUBLE, confidence, NULL);
    set_double_array (s, "scores", scores, n);
    if (kind == GST_LSTM_RESULT_MULTI_LABEL) {
      GValue arr = G_VALUE_INIT, item = G_VALUE_INIT;
      guint i;

      g_value_init (&arr, GST_TYPE_ARRAY);
      g_value_init (&item, G_TYPE_STRING);
      for (i = 0; i < n; i++)
        if (scores[i] >= threshold) {
          g_value_set_string (&item, labels[i]);
          gst_value_array_append_value (&arr, &item);
        }
      gst_structure_take_value (s, "labels", &arr);
      g_value_unset (&item);
    }
  }
  return gst_message_new_element (src, s);
}

/**
 * gst_lstm_message_new_segment:
 * @src: the posting element
 * @segment: (nullable): the current segment, for stream time
 * @start: buffer time where the segment starts
 * @end: buffer time where it ends
 * @label: the segment's label ("unknown" below the threshold)
 * @index: its index, -1 for unknown
 * @confidence: the mean smoothed score of @label over the segment
 *
 * Builds an `lstm-segment` element message: `label` (string), `index`
 * (int), `start` and `end` (GstClockTime, stream time), `confidence`
 * (double).
 *
 * Returns: (transfer full): the message.
 */
GstMessage *
gst_lstm_message_new_segment (GstObject *src, const GstSegment *segment,
    GstClockTime start, GstClockTime end, const gchar *label, gint index,
    gdouble confidence)
{
  GstClockTime s_start = start, s_end = end;

  if (segment != NULL && segment->format == GST_FORMAT_TIME) {
    if (GST_CLOCK_TIME_IS_VALID (start))
      s_start = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, start);
    if (GST_CLOCK_TIME_IS_VALID (end))
      s_end = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, end);
  }
  return gst_message_new_element (src,
      gst_structure_new (GST_LSTM_SEGMENT_MESSAGE,
          "label", G_TYPE_STRING, label,
          "index", G_TYPE_INT, index,
          "start", G_TYPE_UINT64, s_start,
          "end", G_TYPE_UINT64, s_end,
          "confidence", G_TYPE_DOUBLE, confidence, NULL));
}

/* -- training -- */

/**
 * gst_lstm_message_new_train_progress:
 * @src: the posting element
 * @epoch: the epoch, from 1
 * @step: optimizer steps taken so far
 * @epoch_done: %TRUE at the end of an epoch, %FALSE for the messages
 *   between (online training)
 * @loss: mean training loss of the epoch (so far)
 * @val_loss: validation loss, NAN when there is none
 * @accuracy: training accuracy (classifiers), else NAN
 * @val_accuracy: validation accuracy (classifiers), else NAN
 * @frames_per_second: training throughput
 *
 * Builds an `lstm-train-progress` element message: `epoch` (guint), `step`
 * (guint64), `epoch-done` (gboolean), and those of `loss`, `val-loss`,
 * `accuracy`, `val-accuracy`, `frames-per-second` (gdouble) that were
 * measured: a field whose value is NAN is left out.
 *
 * Returns: (transfer full): the message.
 */
GstMessage *
gst_lstm_message_new_train_progress (GstObject *src, guint epoch,
    guint64 step, gboolean epoch_done, gdouble loss, gdouble val_loss,
    gdouble accuracy, gdouble val_accuracy, gdouble frames_per_second)
{
  const gchar *const names[] = { "loss", "val-loss", "accuracy",
    "val-accuracy", "frames-per-second"
  };
  const gdouble values[] = { loss, val_loss, accuracy, val_accuracy,
    frames_per_second
  };
  GstStructure *s = gst_structure_new (GST_LSTM_TRAIN_PROGRESS_MESSAGE,
      "epoch", G_TYPE_UINT, epoch,
      "step", G_TYPE_UINT64, step,
      "epoch-done", G_TYPE_BOOLEAN, epoch_done, NULL);
  guint i;

  /* only what was measured */
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (isfinite (values[i]))
      gst_structure_set (s, names[i], G_TYPE_DOUBLE, values[i], NULL);
  return gst_message_new_element (src, s);
}
