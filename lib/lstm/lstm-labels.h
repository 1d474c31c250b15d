/* liblstm: label tracks (Audacity's "start end label" text files)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>

G_BEGIN_DECLS

/**
 * LstmLabelSpan:
 * @start: start time in seconds
 * @end: end time in seconds (>= @start)
 * @label: the label text
 *
 * One labelled stretch of a recording.
 */
typedef struct {
  double start;
  double end;
  const gchar *label;
} LstmLabelSpan;

/**
 * LstmLabelTrack:
 *
 * The labelled stretches of one recording, sorted by start time, never
 * overlapping. Read from text files as Audacity exports label tracks: one
 * `start end label` line per stretch, in seconds, separated by TABs or
 * commas; lines starting with `\` (Audacity's frequency ranges) and `#`,
 * blank lines and a first line of column names are skipped.
 */
typedef struct _LstmLabelTrack LstmLabelTrack;

LSTM_API LstmLabelTrack *lstm_label_track_load (const gchar *path,
    GError **error);
LSTM_API LstmLabelTrack *lstm_label_track_parse (const gchar *text,
    gssize length, const gchar *name, GError **error);
LSTM_API void lstm_label_track_free (LstmLabelTrack *track);
LSTM_API guint lstm_label_track_get_n_spans (LstmLabelTrack *track);
LSTM_API const LstmLabelSpan *lstm_label_track_get_span (LstmLabelTrack
    *track, guint index);
LSTM_API double lstm_label_track_get_end (LstmLabelTrack *track);
LSTM_API const gchar *lstm_label_track_lookup (LstmLabelTrack *track,
    double time);
LSTM_API gchar **lstm_label_tracks_get_classes (LstmLabelTrack *const *tracks,
    guint n_tracks, const gchar *const *extra);
LSTM_API const gchar *lstm_label_name (const gchar *label, guint index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmLabelTrack, lstm_label_track_free)

G_END_DECLS
