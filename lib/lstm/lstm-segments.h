/* liblstm: turning per-frame class scores into labelled segments
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>
#include <lstm/lstm-model.h>

G_BEGIN_DECLS

/**
 * LSTM_LABEL_UNKNOWN:
 *
 * The label index of frames whose best smoothed score is below the
 * threshold.
 */
#define LSTM_LABEL_UNKNOWN G_MAXUINT

/**
 * LstmSegment:
 * @label: the class index, or %LSTM_LABEL_UNKNOWN
 * @start: first frame of the segment (counted from the last reset)
 * @end: one past its last frame
 * @confidence: mean smoothed score of @label over the segment
 *
 * One stretch of frames with a stable top label.
 */
typedef struct {
  guint label;
  guint64 start;
  guint64 end;
  double confidence;
} LstmSegment;

/**
 * LstmSegmenter:
 *
 * Decides a label per frame from class scores (causal moving average over
 * `smoothing` frames, arg-max, `threshold`) and groups frames into
 * segments. A new label must hold for `min_frames` frames before it opens a
 * segment (which then starts where the new label began), so no segment but
 * the first and the last is shorter than that. Shared by `lstm run` and the
 * lstminfer element, so both segment a stream alike.
 */
typedef struct _LstmSegmenter LstmSegmenter;

LSTM_API guint lstm_best_label (const double *scores, guint n,
    double threshold, double *confidence);
LSTM_API guint lstm_best_label_float (const float *scores, guint n,
    double threshold, double *confidence);

#define LSTM_SEGMENT_AUDIO_SMOOTHING 0.1
#define LSTM_SEGMENT_AUDIO_MIN_DURATION 0.2

LSTM_API void lstm_segmenter_get_defaults (LstmModel *model,
    double *smoothing, double *min_duration);
LSTM_API LstmSegmenter *lstm_segmenter_new (guint n_classes, guint smoothing,
    double threshold, guint64 min_frames);
LSTM_API void lstm_segmenter_free (LstmSegmenter *seg);
LSTM_API void lstm_segmenter_reset (LstmSegmenter *seg);
LSTM_API guint lstm_segmenter_push (LstmSegmenter *seg, const float *scores,
    float *smoothed, LstmSegment *closed);
LSTM_API gboolean lstm_segmenter_flush (LstmSegmenter *seg,
    LstmSegment *closed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmSegmenter, lstm_segmenter_free)

G_END_DECLS
