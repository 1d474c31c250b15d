/* Unit tests: label tracks (Audacity's format) and the segmenter.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
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

#define ARCH_HEAD(n) \
  "[{\"type\":\"linear\",\"name\":\"head\",\"in_features\":2," \
  "\"out_features\":" #n ",\"activation\":\"softmax\"}]"

/* The names every front end shows: labels, classN, unknown. */
static void
test_label_names (void)
{
  const gchar *const labels[] = { "speech", "music", NULL };
  LstmModelOptions opts = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) named = NULL;
  g_autoptr (LstmModel) plain = NULL;
  guint i;

  g_assert_cmpstr (lstm_label_name ("x", 0), ==, "x");
  g_assert_cmpstr (lstm_label_name (NULL, 7), ==, "class7");
  g_assert_cmpstr (lstm_label_name (NULL, LSTM_LABEL_UNKNOWN), ==,
      "unknown");
  g_assert_cmpstr (lstm_label_name ("x", LSTM_LABEL_UNKNOWN), ==, "unknown");
  /* interned: the same pointer each time */
  g_assert_true (lstm_label_name (NULL, 7) == lstm_label_name (NULL, 7));
  g_assert_true (lstm_label_name (NULL, LSTM_LABEL_UNKNOWN) ==
      g_intern_string ("unknown"));

  opts.labels = labels;
  named = lstm_model_new (ARCH_HEAD (2), &opts, &error);
  g_assert_no_error (error);
  plain = lstm_model_new (ARCH_HEAD (3), NULL, &error);
  g_assert_no_error (error);
  for (i = 0; i < 2; i++)
    g_assert_cmpstr (lstm_model_get_label_name (named, i), ==, labels[i]);
  for (i = 0; i < 3; i++) {
    g_autofree gchar *want = g_strdup_printf ("class%u", i);
    g_assert_cmpstr (lstm_model_get_label_name (plain, i), ==, want);
  }
  g_assert_cmpstr (lstm_model_get_label_name (named, LSTM_LABEL_UNKNOWN), ==,
      "unknown");
  g_assert_cmpstr (lstm_model_get_label_name (plain, LSTM_LABEL_UNKNOWN), ==,
      "unknown");
}

/* lstm_best_label() against a plain scan on random scores with ties. */
static void
test_best_label (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint trial;

  for (trial = 0; trial < 500; trial++) {
    guint n = g_rand_int_range (rand, 1, 9), i, want = 0;
    double d[8], threshold = g_rand_double (rand), conf = -1, conf_f = -1;
    float f[8];

    for (i = 0; i < n; i++) {
      /* coarse values, so that equal maxima occur */
      d[i] = g_rand_int_range (rand, 0, 5) / 4.0;
      f[i] = (float) d[i];
    }
    for (i = 0; i < n; i++)
      if (d[i] > d[want] || (d[i] == d[want] && i < want))
        want = i;
    if (d[want] < threshold)
      want = LSTM_LABEL_UNKNOWN;
    g_assert_cmpuint (lstm_best_label (d, n, threshold, &conf), ==, want);
    g_assert_cmpuint (lstm_best_label_float (f, n, threshold, &conf_f), ==,
        want);
    g_assert_cmpfloat (conf, ==, conf_f);
    for (i = 0; i < n; i++)
      g_assert_cmpfloat (conf, >=, d[i]);
    /* no threshold: a plain arg-max, never unknown */
    g_assert_cmpuint (lstm_best_label (d, n, -INFINITY, NULL), !=,
        LSTM_LABEL_UNKNOWN);
  }
  {
    /* negative scores (logits) with no threshold */
    const double neg[] = { -3.0, -1.0, -2.0 };
    g_assert_cmpuint (lstm_best_label (neg, 3, -INFINITY, NULL), ==, 1);
    g_assert_cmpuint (lstm_best_label (neg, 3, 0.0, NULL), ==,
        LSTM_LABEL_UNKNOWN);
  }
}

/* The segmenter's frame labels are lstm_best_label() of the smoothed
 * scores it reports. */
static void
test_segmenter_best_label (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (LstmSegmenter) seg = lstm_segmenter_new (4, 3, 0.4, 2);
  guint t, j, unknown = 0;

  for (t = 0; t < 400; t++) {
    float in[4], smoothed[4];
    double mean[4];
    LstmSegment c;
    guint got;

    for (j = 0; j < 4; j++)
      in[j] = (float) g_rand_double (rand);
    got = lstm_segmenter_push (seg, in, smoothed, &c);
    for (j = 0; j < 4; j++)
      mean[j] = smoothed[j];
    /* the smoothed scores are rounded to float: skip near-ties */
    if (lstm_best_label (mean, 4, 0.4 + 1e-6, NULL) !=
        lstm_best_label (mean, 4, 0.4 - 1e-6, NULL))
      continue;
    g_assert_cmpuint (got, ==, lstm_best_label (mean, 4, 0.4, NULL));
    unknown += got == LSTM_LABEL_UNKNOWN;
  }
  /* both kinds of decision were made */
  g_assert_cmpuint (unknown, >, 0);
  g_assert_cmpuint (unknown, <, 400);
}

/* The class list of label tracks: sorted, distinct, extra included. */
static void
test_track_classes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmLabelTrack) a = lstm_label_track_parse ("0\t1\tspeech\n"
      "1\t2\tmusic\n" "2\t3\tspeech\n", -1, "a.txt", &error);
  g_autoptr (LstmLabelTrack) b = NULL;
  const gchar *const extra[] = { "silence", "music", NULL };
  LstmLabelTrack *both[2];
  g_auto (GStrv) one = NULL;
  g_auto (GStrv) all = NULL;
  g_auto (GStrv) none = NULL;
  guint i, k;

  g_assert_no_error (error);
  b = lstm_label_track_parse ("0\t1\tBird\n" "4\t5\tspeech\n", -1, "b.txt",
      &error);
  g_assert_no_error (error);
  both[0] = a;
  both[1] = b;

  one = lstm_label_tracks_get_classes (&a, 1, NULL);
  all = lstm_label_tracks_get_classes (both, 2, extra);
  none = lstm_label_tracks_get_classes (NULL, 0, NULL);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  g_assert_cmpuint (g_strv_length (one), ==, 2);
  g_assert_cmpuint (g_strv_length (all), ==, 4);
  /* every list: sorted by strcmp, no repeats */
  for (i = 1; one[i]; i++)
    g_assert_cmpint (strcmp (one[i - 1], one[i]), <, 0);
  for (i = 1; all[i]; i++)
    g_assert_cmpint (strcmp (all[i - 1], all[i]), <, 0);
  /* every label of the inputs is in the list */
  for (i = 0; i < lstm_label_track_get_n_spans (a); i++)
    g_assert_true (g_strv_contains ((const gchar * const *) one,
            lstm_label_track_get_span (a, i)->label));
  for (k = 0; k < 2; k++)
    for (i = 0; i < lstm_label_track_get_n_spans (both[k]); i++)
      g_assert_true (g_strv_contains ((const gchar * const *) all,
              lstm_label_track_get_span (both[k], i)->label));
  for (i = 0; extra[i]; i++)
    g_assert_true (g_strv_contains ((const gchar * const *) all, extra[i]));
  g_assert_false (g_strv_contains ((const gchar * const *) one, "silence"));
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
  g_test_add_func ("/labels/segmenter/best-label", test_segmenter_best_label);
  g_test_add_func ("/labels/names", test_label_names);
  g_test_add_func ("/labels/best-label", test_best_label);
  g_test_add_func ("/labels/track/classes", test_track_classes);
  return g_test_run ();
}
