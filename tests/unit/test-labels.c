/* Unit tests: label tracks (Audacity's format) and the segmenter.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <lstm/lstm.h>

static void
test_track_audacity (void)
{
  g_autoptr (GError) error = NULL;
  /* Audacity's export: TABs, a spectral line after a label, CRLF ends,
   * labels with spaces, given out of order */
  const gchar *text = "2.5\t4.000000\tmusic\r\n"
      "\\\t100.0\t8000.0\r\n"
      "0.000000\t2.500000\tspeech sample\r\n"
      "\r\n" "6\t6\tclick\r\n";
  g_autoptr (LstmLabelTrack) t = lstm_label_track_parse (text, -1, "a.txt",
      &error);
  const LstmLabelSpan *s;

  g_assert_no_error (error);
  g_assert_cmpuint (lstm_label_track_get_n_spans (t), ==, 3);
  s = lstm_label_track_get_span (t, 0);
  g_assert_cmpfloat (s->start, ==, 0.0);
  g_assert_cmpfloat (s->end, ==, 2.5);
  g_assert_cmpstr (s->label, ==, "speech sample");
  g_assert_cmpstr (lstm_label_track_get_span (t, 1)->label, ==, "music");
  g_assert_cmpfloat (lstm_label_track_get_end (t), ==, 6.0);

  g_assert_cmpstr (lstm_label_track_lookup (t, 0.0), ==, "speech sample");
  g_assert_cmpstr (lstm_label_track_lookup (t, 2.4999), ==, "speech sample");
  g_assert_cmpstr (lstm_label_track_lookup (t, 2.5), ==, "music");
  g_assert_null (lstm_label_track_lookup (t, 4.0));     /* end excluded */
  g_assert_null (lstm_label_track_lookup (t, 5.0));     /* a gap */
  g_assert_null (lstm_label_track_lookup (t, 6.0));     /* a point label */
  g_assert_null (lstm_label_track_lookup (t, 100.0));
}

static void
test_track_csv_header (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *text = "start,end,label\n# comment\n1.0, 2.0 ,noise\n"
      "2,3,speech\n";
  g_autoptr (LstmLabelTrack) t = lstm_label_track_parse (text, -1, NULL,
      &error);

  g_assert_no_error (error);
  g_assert_cmpuint (lstm_label_track_get_n_spans (t), ==, 2);
  g_assert_cmpstr (lstm_label_track_lookup (t, 1.5), ==, "noise");
  g_assert_cmpstr (lstm_label_track_lookup (t, 2.0), ==, "speech");
  g_assert_null (lstm_label_track_lookup (t, 0.5));
}

typedef struct {
  const gchar *name;
  const gchar *text;
  gssize length;
  gint code;
  const gchar *needle;
} BadTrack;

static const BadTrack bad_tracks[] = {
  { "bad-time", "0\t1\ta\nx\t2\tb\n", -1, LSTM_ERROR_FORMAT,
      "t.txt:2: expected 'start end label'" },
  { "negative", "0\t1\ta\n-1\t2\tb\n", -1, LSTM_ERROR_FORMAT, "t.txt:2:" },
  { "nan", "0\t1\ta\nnan\t2\tb\n", -1, LSTM_ERROR_FORMAT, "t.txt:2:" },
  { "end-before-start", "3\t1\ta\n", -1, LSTM_ERROR_FORMAT,
      "t.txt:1: ends (1 s) before it starts (3 s)" },
  { "no-label", "0\t1\ta\n1\t2\t  \n", -1, LSTM_ERROR_FORMAT,
      "t.txt:2: the label is missing" },
  { "two-fields", "0\t1\ta\n1\t2\n", -1, LSTM_ERROR_FORMAT,
      "t.txt:2: the label is missing" },
  { "overlap", "0\t2\ta\n5\t6\tc\n1.5\t3\tb\n", -1, LSTM_ERROR_FORMAT,
      "t.txt:3: 'b' (1.5-3 s) overlaps 'a' on line 1 (0-2 s)" },
  { "nul-byte", "0\t1\ta\0b\n", 8, LSTM_ERROR_FORMAT, "NUL byte" },
  { "not-utf8", "0\t1\t\xff\xfe\n", -1, LSTM_ERROR_FORMAT, "not UTF-8" },
  { "trailing-junk", "0\t1\ta\n1\t2x\tb\n", -1, LSTM_ERROR_FORMAT,
      "t.txt:2:" },
};

static void
test_track_bad (gconstpointer data)
{
  const BadTrack *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmLabelTrack) t = lstm_label_track_parse (c->text, c->length,
      "t.txt", &error);

  g_assert_null (t);
  g_assert_error (error, LSTM_ERROR, c->code);
  if (strstr (error->message, c->needle) == NULL)
    g_error ("%s: '%s' lacks '%s'", c->name, error->message, c->needle);
}

static void
test_track_load_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmLabelTrack) t =
      lstm_label_track_load ("/nonexistent/labels.txt", &error);

  g_assert_null (t);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/labels.txt"));
}

/* A stream whose top class goes 0, 1 (one-frame blip), 0, 2 (held). */
static void
push_scores (LstmSegmenter *seg, guint top, guint n, GArray *closed)
{
  float s[3];
  guint i, j;
  for (i = 0; i < n; i++) {
    LstmSegment c;
    for (j = 0; j < 3; j++)
      s[j] = j == top ? 0.8f : 0.1f;
    lstm_segmenter_push (seg, s, NULL, &c);
    if (c.end > 0)
      g_array_append_val (closed, c);
  }
}

static void
test_segmenter_min_frames (void)
{
  g_autoptr (LstmSegmenter) seg = lstm_segmenter_new (3, 1, 0.0, 3);
  g_autoptr (GArray) closed = g_array_new (FALSE, FALSE, sizeof (LstmSegment));
  LstmSegment last;

  push_scores (seg, 0, 10, closed);
  push_scores (seg, 1, 1, closed);      /* too short: stays in segment 0 */
  push_scores (seg, 0, 5, closed);
  push_scores (seg, 2, 10, closed);
  g_assert_cmpuint (closed->len, ==, 1);
  g_assert_cmpuint (g_array_index (closed, LstmSegment, 0).label, ==, 0);
  g_assert_cmpuint (g_array_index (closed, LstmSegment, 0).start, ==, 0);
  /* the new label held from frame 16 on: the segment is backdated there */
  g_assert_cmpuint (g_array_index (closed, LstmSegment, 0).end, ==, 16);
  /* 15 frames at 0.8 and the blip frame at 0.1 */
  g_assert_cmpfloat_with_epsilon (g_array_index (closed, LstmSegment,
          0).confidence, (15 * 0.8 + 0.1) / 16, 1e-6);
  g_assert_true (lstm_segmenter_flush (seg, &last));
  g_assert_cmpuint (last.label, ==, 2);
  g_assert_cmpuint (last.start, ==, 16);
  g_assert_cmpuint (last.end, ==, 26);
  g_assert_cmpfloat_with_epsilon (last.confidence, 0.8, 1e-6);
  g_assert_false (lstm_segmenter_flush (seg, &last));
}

static void
test_segmenter_smoothing_threshold (void)
{
  g_autoptr (LstmSegmenter) seg = lstm_segmenter_new (2, 4, 0.6, 1);
  float smoothed[2];
  const float a[2] = { 1.0f, 0.0f }, b[2] = { 0.0f, 1.0f };
  LstmSegment c;

  g_assert_cmpuint (lstm_segmenter_push (seg, a, smoothed, &c), ==, 0);
  g_assert_cmpfloat (smoothed[0], ==, 1.0f);
  /* mean over the last 4 frames: 0.5 each: below the threshold */
  g_assert_cmpuint (lstm_segmenter_push (seg, b, smoothed, &c), ==,
      LSTM_LABEL_UNKNOWN);
  g_assert_cmpfloat (smoothed[1], ==, 0.5f);
  g_assert_cmpuint (c.end, ==, 1);      /* label 0 closed after one frame */
  g_assert_cmpuint (lstm_segmenter_push (seg, b, smoothed, &c), ==, 1);
  g_assert_cmpfloat_with_epsilon (smoothed[1], 2.0f / 3.0f, 1e-6);
  lstm_segmenter_push (seg, b, smoothed, &c);
  lstm_segmenter_push (seg, b, smoothed, &c);   /* a has left the window */
  g_assert_cmpfloat (smoothed[1], ==, 1.0f);
  lstm_segmenter_reset (seg);
  g_assert_false (lstm_segmenter_flush (seg, &c));
  g_assert_cmpuint (lstm_segmenter_push (seg, b, smoothed, &c), ==, 1);
  g_assert_cmpfloat (smoothed[1], ==, 1.0f);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/track/audacity", test_track_audacity);
  g_test_add_func ("/labels/track/csv-header", test_track_csv_header);
  g_test_add_func ("/labels/track/load-missing", test_track_load_missing);
  for (i = 0; i < G_N_ELEMENTS (bad_tracks); i++) {
    g_autofree gchar *path = g_strdup_printf ("/labels/track/invalid/%s",
        bad_tracks[i].name);
    g_test_add_data_func (path, &bad_tracks[i], test_track_bad);
  }
  g_test_add_func ("/labels/segmenter/min-frames", test_segmenter_min_frames);
  g_test_add_func ("/labels/segmenter/smoothing-threshold",
      test_segmenter_smoothing_threshold);
  return g_test_run ();
}
