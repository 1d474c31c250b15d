/* liblstm: label decisions and segments from per-frame scores
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lstm-private.h"

struct _LstmSegmenter {
  guint n_classes;
  guint smoothing;      /* frames in the moving average, >= 1 */
  double threshold;
  guint64 min_frames;
  float *history;       /* (smoothing, n_classes) ring of raw scores */
  double *sum;          /* (n_classes) running sum over the ring */
  double *mean;         /* (n_classes) this frame's smoothed scores */
  guint filled;         /* frames in the ring, <= smoothing */
  guint head;           /* next slot to write */
  guint64 frame;        /* frames pushed since reset */
  /* open segment */
  gboolean open;
  guint label;
  guint64 start;
  double conf_sum;
  /* candidate for the next segment */
  guint cand;
  guint64 cand_start;
  double cand_sum;
  double pending_sum;   /* the open label's scores over the candidate's frames */
};

/* One body for both score types: the first of equal maxima wins; below
 * @threshold (a NaN best never is) the label is unknown. */
#define BEST_LABEL(scores, n, threshold, confidence) \
  G_STMT_START { \
    guint i_, best_ = 0; \
    g_return_val_if_fail (scores != NULL && n > 0, LSTM_LABEL_UNKNOWN); \
    for (i_ = 1; i_ < n; i_++) \
      if (scores[i_] > scores[best_]) \
        best_ = i_; \
    if (confidence) \
      *confidence = scores[best_]; \
    return scores[best_] < threshold ? LSTM_LABEL_UNKNOWN : best_; \
  } G_STMT_END

/**
 * lstm_best_label:
 * @scores: (array length=n): class scores of one decision (a frame, a
 *   smoothed frame, a clip's mean)
 * @n: how many (> 0)
 * @threshold: below it the label is unknown (-INFINITY: plain arg-max)
 * @confidence: (out) (optional): the best score
 *
 * The label decision every front end makes: the arg-max of @scores (the
 * first of equal ones), unknown when its score is below @threshold. The
 * segmenter, `lstm eval` and the lstminfer element's messages all call it.
 *
 * Returns: the index of the best score, or %LSTM_LABEL_UNKNOWN.
 */
guint
lstm_best_label (const double *scores, guint n, double threshold,
    double *confidence)
{
  BEST_LABEL (scores, n, threshold, confidence);
}

/**
 * lstm_best_label_float:
 * @scores: (array length=n): class scores
 * @n: how many (> 0)
 * @threshold: below it the label is unknown (-INFINITY: plain arg-max)
 * @confidence: (out) (optional): the best score
 *
 * lstm_best_label() for single-precision scores (model outputs).
 *
 * Returns: the index of the best score, or %LSTM_LABEL_UNKNOWN.
 */
guint
lstm_best_label_float (const float *scores, guint n, double threshold,
    double *confidence)
{
  BEST_LABEL (scores, n, threshold, confidence);
}

/**
 * LSTM_SEGMENT_AUDIO_SMOOTHING:
 *
 * The default smoothing, in seconds, for models that tag audio: see
 * lstm_segmenter_get_defaults().
 */
/**
 * LSTM_SEGMENT_AUDIO_MIN_DURATION:
 *
 * The default minimum segment duration, in seconds, for models that tag
 * audio: see lstm_segmenter_get_defaults().
 */

/**
 * lstm_segmenter_get_defaults:
 * @model: a classifier
 * @smoothing: (out): seconds of causal moving average of the scores (0: one
 *   frame, none)
 * @min_duration: (out): seconds a new label must hold before it opens a
 *   segment (0: at once)
 *
 * What every front end (lstminfer, `lstm run`) uses when it is not told
 * otherwise. A model that carries a feature configuration (`lstm.features`)
 * tags audio: its segments are smoothed over
 * %LSTM_SEGMENT_AUDIO_SMOOTHING (0.1 s) and last at least
 * %LSTM_SEGMENT_AUDIO_MIN_DURATION (0.2 s), the scale of a syllable or a
 * note, which keeps a noisy classifier to at most 5 segments a second of
 * sound instead of one per frame. Other models (numeric streams of any
 * rate) get no smoothing and no minimum: their frames may be minutes
 * apart. Each front end turns seconds into frames with its frame duration:
 * smoothing rounded to the nearest frame (at least one), the minimum
 * duration rounded up.
 */
void
lstm_segmenter_get_defaults (LstmModel *model, double *smoothing,
    double *min_duration)
{
  gboolean audio;

  g_return_if_fail (model != NULL && smoothing != NULL &&
      min_duration != NULL);
  audio = lstm_model_get_features (model) != NULL;
  *smoothing = audio ? LSTM_SEGMENT_AUDIO_SMOOTHING : 0.0;
  *min_duration = audio ? LSTM_SEGMENT_AUDIO_MIN_DURATION : 0.0;
}

/**
 * lstm_segmenter_new:
 * @n_classes: values per score frame
 * @smoothing: frames of causal moving average before the decision (0 or 1:
 *   none)
 * @threshold: below this smoothed top score the label is unknown
 * @min_frames: frames a new label must hold before it opens a segment (0 or
 *   1: at once)
 *
 * Returns: (transfer full): a segmenter; free with lstm_segmenter_free().
 */
LstmSegmenter *
lstm_segmenter_new (guint n_classes, guint smoothing, double threshold,
    guint64 min_frames)
{
  LstmSegmenter *seg;

  g_return_val_if_fail (n_classes > 0, NULL);
  seg = g_new0 (LstmSegmenter, 1);
  seg->n_classes = n_classes;
  seg->smoothing = MAX (smoothing, 1);
  seg->threshold = threshold;
  seg->min_frames = MAX (min_frames, 1);
  seg->history = g_new0 (float, (gsize) seg->smoothing * n_classes);
  seg->sum = g_new0 (double, n_classes);
  seg->mean = g_new0 (double, n_classes);
  return seg;
}

/**
 * lstm_segmenter_free:
 * @seg: (transfer full) (nullable): a segmenter
 */
void
lstm_segmenter_free (LstmSegmenter *seg)
{
  if (seg == NULL)
    return;
  g_free (seg->history);
  g_free (seg->sum);
  g_free (seg->mean);
  g_free (seg);
}

/**
 * lstm_segmenter_reset:
 * @seg: a segmenter
 *
 * Forgets the smoothing history and any open segment; frames count from 0.
 */
void
lstm_segmenter_reset (LstmSegmenter *seg)
{
  g_return_if_fail (seg != NULL);
  memset (seg->sum, 0, seg->n_classes * sizeof (double));
  seg->filled = seg->head = 0;
  seg->frame = 0;
  seg->open = FALSE;
}

static void
close_segment (LstmSegmenter *seg, guint64 end, LstmSegment *closed)
{
  closed->label = seg->label;
  closed->start = seg->start;
  closed->end = end;
  closed->confidence = seg->conf_sum / (double) (end - seg->start);
}

/**
 * lstm_segmenter_push:
 * @seg: a segmenter
 * @scores: (array): one frame of n_classes scores
 * @smoothed: (nullable) (out caller-allocates): the smoothed scores
 * @closed: (out caller-allocates): receives a segment that this frame closed
 *
 * Adds one frame.
 *
 * Returns: the frame's label (after smoothing and threshold), or
 * %LSTM_LABEL_UNKNOWN; @closed->end is non-zero when a segment was closed.
 */
guint
lstm_segmenter_push (LstmSegmenter *seg, const float *scores,
    float *smoothed, LstmSegment *closed)
{
  float *slot;
  guint j, best;
  double best_v, norm;

  g_return_val_if_fail (seg != NULL && scores != NULL && closed != NULL,
      LSTM_LABEL_UNKNOWN);
  memset (closed, 0, sizeof *closed);

  slot = seg->history + (gsize) seg->head * seg->n_classes;
  if (seg->filled == seg->smoothing)
    for (j = 0; j < seg->n_classes; j++)
      seg->sum[j] -= slot[j];
  else
    seg->filled++;
  memcpy (slot, scores, seg->n_classes * sizeof (float));
  for (j = 0; j < seg->n_classes; j++)
    seg->sum[j] += scores[j];
  seg->head = (seg->head + 1) % seg->smoothing;

  norm = 1.0 / seg->filled;
  for (j = 0; j < seg->n_classes; j++) {
    seg->mean[j] = seg->sum[j] * norm;
    if (smoothed)
      smoothed[j] = (float) seg->mean[j];
  }
  best = lstm_best_label (seg->mean, seg->n_classes, seg->threshold, &best_v);

  if (!seg->open) {
    seg->open = TRUE;
    seg->label = seg->cand = best;
    seg->start = seg->cand_start = seg->frame;
    seg->conf_sum = seg->cand_sum = seg->pending_sum = 0.0;
  }
  /* confidence of the open segment's label on this frame */
  seg->conf_sum += seg->label == LSTM_LABEL_UNKNOWN ? best_v :
      seg->sum[seg->label] * norm;
  if (best == seg->label) {
    seg->cand = best;
  } else {
    if (best != seg->cand) {
      seg->cand = best;
      seg->cand_start = seg->frame;
      seg->cand_sum = seg->pending_sum = 0.0;
    }
    seg->cand_sum += best_v;
    seg->pending_sum += seg->label == LSTM_LABEL_UNKNOWN ? best_v :
        seg->sum[seg->label] * norm;
    if (seg->frame + 1 - seg->cand_start >= seg->min_frames) {
      /* the candidate held long enough: it began at cand_start */
      seg->conf_sum -= seg->pending_sum;
      close_segment (seg, seg->cand_start, closed);
      seg->label = best;
      seg->start = seg->cand_start;
      seg->conf_sum = seg->cand_sum;
    }
  }
  seg->frame++;
  return best;
}

/**
 * lstm_segmenter_flush:
 * @seg: a segmenter
 * @closed: (out caller-allocates): receives the open segment
 *
 * Closes the open segment at the end of a stream (or before a reset).
 *
 * Returns: %TRUE if a segment was open.
 */
gboolean
lstm_segmenter_flush (LstmSegmenter *seg, LstmSegment *closed)
{
  g_return_val_if_fail (seg != NULL && closed != NULL, FALSE);
  memset (closed, 0, sizeof *closed);
  if (!seg->open || seg->frame == seg->start)
    return FALSE;
  close_segment (seg, seg->frame, closed);
  seg->open = FALSE;
  return TRUE;
}
