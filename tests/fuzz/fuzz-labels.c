/* libFuzzer target: label tracks (Audacity's `start end label` text)
 * through lstm_label_track_parse(); a track that parses must be sorted,
 * non-overlapping and answer lookups.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include <lstm/lstm.h>

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_setup (FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmLabelTrack) track = lstm_label_track_parse ((const gchar *)
      data, (gssize) size, "fuzz", &error);
  g_auto (GStrv) classes = NULL;
  LstmLabelTrack *tracks[1];
  const gchar *const extra[] = { "background", NULL };
  double prev_end = -INFINITY;
  guint i, n;

  if (track == NULL) {
    g_assert (error != NULL && error->message != NULL);
    return 0;
  }
  n = lstm_label_track_get_n_spans (track);
  for (i = 0; i < n; i++) {
    const LstmLabelSpan *s = lstm_label_track_get_span (track, i);
    double mid;
    g_assert (s != NULL && s->label != NULL);
    g_assert (isfinite (s->start) && isfinite (s->end));
    g_assert (s->start <= s->end && s->start >= prev_end);
    prev_end = s->end;
    mid = s->start + (s->end - s->start) / 2;
    if (s->end > s->start && mid > s->start && mid < s->end)
      g_assert_cmpstr (lstm_label_track_lookup (track, mid), ==, s->label);
    (void) lstm_label_name (s->label, i);
  }
  (void) lstm_label_track_lookup (track, -1.0);
  (void) lstm_label_track_lookup (track, lstm_label_track_get_end (track));
  tracks[0] = track;
  classes = lstm_label_tracks_get_classes (tracks, 1, extra);
  g_assert (classes != NULL);
  return 0;
}
