/* Unit tests: `lstm run`'s label-timeline options and its --plot picture,
 * on the shipped audio tagger and its demo recording: the picture's label
 * band shows, where each printed segment lies, that segment's label colour
 * (the layout and palette documented in tools/lstm-tool.h); errors name the
 * problem.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <cairo.h>
#include <glib/gstdio.h>

#include "lstm-tool.h"
#include "tool-util.h"

static gchar *dir, *model_path, *wav_path;
static const guint32 palette[] = LSTM_TOOL_TIMELINE_PALETTE;

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (dir, name, NULL);
}

typedef struct {
  double start;
  double end;
  gchar *label;
} Seg;

static void
seg_clear (gpointer p)
{
  g_free (((Seg *) p)->label);
}

/* The timeline lstm run printed: start, end (seconds), label, confidence. */
static GArray *
parse_timeline (const gchar *text)
{
  GArray *segs = g_array_new (FALSE, FALSE, sizeof (Seg));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint i;

  g_array_set_clear_func (segs, seg_clear);
  for (i = 0; lines[i] && *lines[i]; i++) {
    g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
    Seg s;
    g_assert_cmpuint (g_strv_length (f), ==, 4);
    s.start = g_ascii_strtod (f[0], NULL);
    s.end = g_ascii_strtod (f[1], NULL);
    s.label = g_strdup (f[2]);
    g_assert_cmpfloat (s.end, >, s.start);
    g_array_append_val (segs, s);
  }
  return segs;
}

static guint
label_index (LstmModel *model, const gchar *label)
{
  guint i;
  for (i = 0; i < lstm_model_get_output_size (model); i++)
    if (g_strcmp0 (lstm_model_get_label (model, i), label) == 0)
      return i;
  g_assert_not_reached ();
  return 0;
}

static guint32
pixel (cairo_surface_t *img, int x, int y)
{
  const guint8 *data = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (img));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (img));
  return ((const guint32 *) (data + (gsize) y * stride))[x] & 0xffffff;
}

/* The x of time @t on a time axis ending at @duration. */
static double
time_x (double t, double duration)
{
  return LSTM_TOOL_TIMELINE_LEFT + t / duration * (LSTM_TOOL_TIMELINE_WIDTH -
      LSTM_TOOL_TIMELINE_LEFT - LSTM_TOOL_TIMELINE_RIGHT);
}

static cairo_surface_t *
read_png (const gchar *path, int width, int height)
{
  cairo_surface_t *img = cairo_image_surface_create_from_png (path);

  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (img), ==, width);
  g_assert_cmpint (cairo_image_surface_get_height (img), ==, height);
  cairo_surface_flush (img);
  return img;
}

/* For each label, its longest segment (NULL for labels without one). */
static const Seg **
longest_per_label (GArray *segs, LstmModel *model)
{
  const Seg **best = g_new0 (const Seg *, lstm_model_get_output_size
      (model));
  guint i;

  for (i = 0; i < segs->len; i++) {
    const Seg *s = &g_array_index (segs, Seg, i);
    guint k;
    if (strcmp (s->label, "unknown") == 0)
      continue;
    k = label_index (model, s->label);
    if (best[k] == NULL || s->end - s->start > best[k]->end - best[k]->start)
      best[k] = s;
  }
  return best;
}

/* Asserts that band row @y shows @colour from a little after the start of
 * [start, end) to a little before its end. */
static void
assert_band (cairo_surface_t *img, int y, double start, double end,
    double duration, guint32 colour)
{
  int x0 = (int) ceil (time_x (start, duration)) + 1;
  int x1 = (int) floor (time_x (end, duration)) - 2;
  int x;

  g_assert_cmpint (x1, >, x0);
  for (x = x0; x <= x1; x++)
    g_assert_cmphex (pixel (img, x, y), ==, colour);
}

/* PNG: the picture's size, and in its label band, at the x of the longest
 * segment of each label, that label's colour (two labels at least); the
 * spectrogram is not blank; --plot leaves the printed timeline as it was. */
static void
test_plot_png (void)
{
  g_autofree gchar *png = tmp_path ("timeline.png");
  g_autofree gchar *out = NULL, *plain = NULL;
  g_autoptr (GArray) segs = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  g_autofree const Seg **best = NULL;
  cairo_surface_t *img;
  double duration;
  guint k, n_checked = 0;
  int y = LSTM_TOOL_TIMELINE_BAND_TOP + LSTM_TOOL_TIMELINE_BAND_HEIGHT / 2, x;

  model = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tool_run_va (NULL, &out, NULL, "run", model_path,
          wav_path, "--smoothing", "10", "--min-segment-duration", "0.2",
          "--plot", png, NULL), ==, 0);
  g_assert_cmpint (tool_run_va (NULL, &plain, NULL, "run", model_path,
          wav_path, "--smoothing", "10", "--min-segment-duration", "0.2",
          NULL), ==, 0);
  g_assert_cmpstr (out, ==, plain);
  segs = parse_timeline (out);
  g_assert_cmpuint (segs->len, >=, 2);
  duration = g_array_index (segs, Seg, segs->len - 1).end;

  img = read_png (png, LSTM_TOOL_TIMELINE_WIDTH, LSTM_TOOL_TIMELINE_HEIGHT);
  best = longest_per_label (segs, model);
  for (k = 0; k < lstm_model_get_output_size (model); k++) {
    if (best[k] == NULL)
      continue;
    g_test_message ("%s: %.3f-%.3f s", best[k]->label, best[k]->start,
        best[k]->end);
    assert_band (img, y, best[k]->start, best[k]->end, duration,
        palette[k]);
    /* the whole height of the band */
    x = (int) time_x ((best[k]->start + best[k]->end) / 2, duration);
    g_assert_cmphex (pixel (img, x, LSTM_TOOL_TIMELINE_BAND_TOP), ==,
        palette[k]);
    g_assert_cmphex (pixel (img, x, LSTM_TOOL_TIMELINE_BAND_TOP +
            LSTM_TOOL_TIMELINE_BAND_HEIGHT - 1), ==, palette[k]);
    n_checked++;
  }
  g_assert_cmpuint (n_checked, >=, 2);

  /* the spectrogram above the band: many colours, none of them white */
  for (x = LSTM_TOOL_TIMELINE_LEFT + 2; x < LSTM_TOOL_TIMELINE_WIDTH -
      LSTM_TOOL_TIMELINE_RIGHT - 2; x += 7)
    for (y = 60; y < LSTM_TOOL_TIMELINE_BAND_TOP - 30; y += 5) {
      guint32 c = pixel (img, x, y);
      g_assert_cmphex (c, !=, 0xffffff);
      g_hash_table_add (colours, GUINT_TO_POINTER (c));
    }
  g_assert_cmpuint (g_hash_table_size (colours), >=, 50);
  cairo_surface_destroy (img);
}

/* A reference track: the printed segments, one relabelled with a label the
 * model does not have and a gap left in another. The reference band shows
 * the model's colours where the labels are the model's, another colour for
 * the new label, and the band's background in the gap. */
static void
test_plot_reference (void)
{
  g_autofree gchar *png = tmp_path ("reference.png");
  g_autofree gchar *labels = tmp_path ("reference.txt");
  g_autofree gchar *out = NULL;
  g_autoptr (GString) track = g_string_new ("");
  g_autoptr (GArray) segs = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree const Seg **best = NULL;
  const Seg *other = NULL, *gap = NULL;
  cairo_surface_t *img;
  double duration;
  guint i, k;
  int y = LSTM_TOOL_TIMELINE_REF_TOP + LSTM_TOOL_TIMELINE_BAND_HEIGHT / 2, x;
  guint32 c, background;

  model = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tool_run_va (NULL, &out, NULL, "run", model_path,
          wav_path, "--smoothing", "10", "--min-segment-duration", "0.2",
          NULL), ==, 0);
  segs = parse_timeline (out);
  duration = g_array_index (segs, Seg, segs->len - 1).end;
  best = longest_per_label (segs, model);
  /* the two longest segments of different labels: one relabelled, one
   * left out */
  for (k = 0; k < lstm_model_get_output_size (model); k++) {
    if (best[k] == NULL)
      continue;
    if (other == NULL)
      other = best[k];
    else if (gap == NULL)
      gap = best[k];
  }
  g_assert_nonnull (gap);
  for (i = 0; i < segs->len; i++) {
    const Seg *s = &g_array_index (segs, Seg, i);
    if (s == gap)
      continue;
    g_string_append_printf (track, "%.3f\t%.3f\t%s\n", s->start, s->end,
        s == other ? "elsewhere" : s->label);
  }
  g_assert_true (g_file_set_contents (labels, track->str, -1, NULL));
  g_free (out);
  out = NULL;
  g_assert_cmpint (tool_run_va (NULL, &out, NULL, "run", model_path,
          wav_path, "--smoothing", "10", "--min-segment-duration", "0.2",
          "--plot", png, "--reference", labels, NULL), ==, 0);

  img = read_png (png, LSTM_TOOL_TIMELINE_WIDTH, LSTM_TOOL_TIMELINE_HEIGHT_REF);
  for (i = 0; i < segs->len; i++) {
    const Seg *s = &g_array_index (segs, Seg, i);
    guint32 model_colour;
    if (strcmp (s->label, "unknown") == 0 || time_x (s->end, duration) -
        time_x (s->start, duration) < 6)
      continue;
    model_colour = palette[label_index (model, s->label)];
    /* the model's band, unchanged by the reference */
    assert_band (img, LSTM_TOOL_TIMELINE_BAND_TOP + 2, s->start, s->end,
        duration, model_colour);
    if (s != other && s != gap)
      assert_band (img, y, s->start, s->end, duration, model_colour);
  }
  /* the new label: one colour, none of the model's, not the background */
  x = (int) time_x ((gap->start + gap->end) / 2, duration);
  background = pixel (img, x, y);
  x = (int) time_x ((other->start + other->end) / 2, duration);
  c = pixel (img, x, y);
  assert_band (img, y, other->start, other->end, duration, c);
  g_assert_cmphex (c, !=, background);
  for (k = 0; k < lstm_model_get_output_size (model); k++)
    g_assert_cmphex (c, !=, palette[k]);
  /* the gap: the background all along it */
  assert_band (img, y, gap->start, gap->end, duration, background);
  for (k = 0; k < lstm_model_get_output_size (model); k++)
    g_assert_cmphex (background, !=, palette[k]);
  cairo_surface_destroy (img);
}

static void
test_plot_svg (void)
{
  g_autofree gchar *svg = tmp_path ("timeline.svg");
  g_autofree gchar *text = NULL;
  g_autofree gchar *view_box = g_strdup_printf ("viewBox=\"0 0 %d %d\"",
      LSTM_TOOL_TIMELINE_WIDTH, LSTM_TOOL_TIMELINE_HEIGHT);

  g_assert_cmpint (tool_run_va (NULL, NULL, NULL, "run", model_path,
          wav_path, "--plot", svg, NULL), ==, 0);
  g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "<?xml"));
  g_assert_nonnull (strstr (text, "<svg"));
  g_assert_nonnull (strstr (text, view_box));
}

typedef struct {
  const gchar *name;
  /* after `lstm run`: "@M" the audio tagger, "@W" its demo, "@" the
   * temporary folder */
  const gchar *args[9];
  const gchar *needle;          /* in stderr, "@" replaced likewise */
  const gchar *no_file;         /* must not have been written */
} ErrorCase;

static const ErrorCase errors[] = {
  { "non-classifier", { "@/forecast.safetensors", "@W", "--plot",
          "@/f.png", NULL }, "@/forecast.safetensors: --plot applies to "
        "the label timeline of classifiers; this model's task is forecast",
      "@/f.png" },
  { "f32-input", { "@M", "@/frames.f32", "--plot", "@/g.png", NULL },
      "@/frames.f32: --plot draws a recording: INPUT must be an audio file",
      "@/g.png" },
  { "unknown-extension", { "@M", "@W", "--plot", "@/t.jpg", NULL },
      "@/t.jpg: the plot must be a .png or .svg file", "@/t.jpg" },
  { "reference-without-plot", { "@M", "@W", "--reference", "@/r.txt",
          NULL }, "--reference is drawn under the label timeline: it needs "
        "--plot", NULL },
  { "missing-reference", { "@M", "@W", "--plot", "@/h.png", "--reference",
          "@/nothing.txt", NULL }, "@/nothing.txt: cannot read", "@/h.png" },
  { "smoothing-0", { "@M", "@W", "--smoothing", "0", NULL },
      "--smoothing: '0' is not a whole number of frames from 1 to 10000",
      NULL },
  { "smoothing-too-long", { "@M", "@W", "--smoothing", "10001", NULL },
      "--smoothing: '10001' is not a whole number", NULL },
  { "smoothing-fraction", { "@M", "@W", "--smoothing", "2.5", NULL },
      "--smoothing: '2.5' is not a whole number", NULL },
  { "threshold-above-1", { "@M", "@W", "--threshold", "1.5", NULL },
      "--threshold: '1.5' is not a score from 0 to 1", NULL },
  { "threshold-nan", { "@M", "@W", "--threshold", "nan", NULL },
      "--threshold: 'nan' is not a score from 0 to 1", NULL },
  { "min-duration-negative", { "@M", "@W", "--min-segment-duration", "-1",
          NULL }, "--min-segment-duration: '-1' is not a duration in "
        "seconds", NULL },
  { "min-duration-text", { "@M", "@W", "--min-segment-duration", "0.2s",
          NULL }, "--min-segment-duration: '0.2s' is not a duration", NULL },
  { "min-duration-no-rate", { "@/nofeatures.safetensors", "@/frames.f32",
          "--min-segment-duration", "0.1", NULL }, "--min-segment-duration: "
        "@/nofeatures.safetensors: the model has no usable feature "
        "configuration", NULL },
  { "options-with-output", { "@M", "@W", "@/scores.csv", "--smoothing",
          "3", NULL }, "@/scores.csv: --smoothing, --threshold and "
        "--min-segment-duration shape the label timeline", NULL },
  { "non-classifier-smoothing", { "@/forecast.safetensors", "@W",
          "--smoothing", "3", NULL }, "--smoothing applies to the label "
        "timeline of classifiers", NULL },
  { "nan-policy-unknown", { "@/nofeatures.safetensors", "@/frames.f32",
          "--nan-policy", "ignore", NULL }, "--nan-policy: 'ignore' is not "
        "one of reset, error, pass", NULL },
  { "precision-unknown", { "@M", "@W", "--precision", "fp16", NULL },
      "unknown precision 'fp16' (expected fp32 or bf16)", NULL },
};

static gchar *
expand (const gchar *s)
{
  if (strcmp (s, "@M") == 0)
    return g_strdup (model_path);
  if (strcmp (s, "@W") == 0)
    return g_strdup (wav_path);
  if (g_str_has_prefix (s, "@/"))
    return g_build_filename (dir, s + 2, NULL);
  return g_strdup (s);
}

static void
test_error (gconstpointer data)
{
  const ErrorCase *c = data;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *err = NULL, *out = NULL;
  g_auto (GStrv) parts = g_strsplit (c->needle, "@", -1);
  g_autofree gchar *needle = g_strjoinv (dir, parts);
  guint i;

  g_ptr_array_add (args, g_strdup ("run"));
  for (i = 0; c->args[i]; i++)
    g_ptr_array_add (args, expand (c->args[i]));
  g_ptr_array_add (args, NULL);
  g_assert_cmpint (tool_run (NULL, (const gchar * const *) args->pdata, &out,
          &err), ==, 1);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, needle));
  g_assert_cmpstr (out, ==, "");
  if (c->no_file) {
    g_autofree gchar *path = expand (c->no_file);
    g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  }
}

/* ---- --nan-policy ---- */

#define NAN_ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":8}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3," \
  "\"activation\":\"softmax\"}]"
#define NAN_N 300

/* non-finite frames: 100, 150..153 */
static gboolean
nan_frame (gsize t)
{
  return t == 100 || (t >= 150 && t <= 153);
}

/* A classifier and NAN_N frames with NaN/Inf in the non-finite ones,
 * written to @f32 (and, when not NULL, as CSV to @csv). */
static LstmModel *
nan_setup (const gchar *model_file, const gchar *f32, const gchar *csv,
    float **frames)
{
  static const gchar *const labels[] = { "a", "b", "c", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) r = g_rand_new_with_seed (31);
  g_autoptr (GString) text = g_string_new ("x,y,z\n");
  LstmModelOptions opts = { 0 };
  LstmModel *m;
  float *x = g_new (float, NAN_N * 3);
  gsize t;
  guint j;

  opts.task = LSTM_TASK_CLASSIFICATION;
  opts.labels = labels;
  opts.seed = 3;
  m = lstm_model_new (NAN_ARCH, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_save (m, model_file, &error));
  for (t = 0; t < NAN_N; t++)
    for (j = 0; j < 3; j++) {
      /* slow changes, so that the timeline has segments of some length */
      x[t * 3 + j] = (float) (3.0 * sin (t * 0.05 + j * 2.1) +
          g_rand_double_range (r, -0.3, 0.3));
      if (nan_frame (t) && j == t % 3)
        x[t * 3 + j] = t % 2 ? NAN : INFINITY;
    }
  g_assert_true (g_file_set_contents (f32, (const gchar *) x,
          NAN_N * 3 * sizeof (float), NULL));
  for (t = 0; csv && t < NAN_N; t++)
    for (j = 0; j < 3; j++) {
      gchar num[G_ASCII_DTOSTR_BUF_SIZE];
      if (isnan (x[t * 3 + j]))
        g_strlcpy (num, "nan", sizeof num);
      else if (isinf (x[t * 3 + j]))
        g_strlcpy (num, "inf", sizeof num);
      else
        g_ascii_formatd (num, sizeof num, "%.9g", x[t * 3 + j]);
      g_string_append_printf (text, "%s%c", num, j < 2 ? ',' : '\n');
    }
  if (csv)
    g_assert_true (g_file_set_contents (csv, text->str, -1, NULL));
  *frames = x;
  return m;
}

static guint
count_lines (const gchar *text, const gchar *needle)
{
  guint n = 0;
  const gchar *p = text;

  while ((p = strstr (p, needle)) != NULL) {
    n++;
    p += strlen (needle);
  }
  return n;
}

/* The default policy: zeros for non-finite frames, the stretches between
 * them as fresh runs (computed here with lstm_model_forward), one warning
 * per burst; .f32 and .csv input alike; the label timeline breaks at each
 * burst. */
static void
test_nan_reset (void)
{
  g_autofree gchar *mpath = tmp_path ("nan.safetensors");
  g_autofree gchar *in = tmp_path ("nan.f32");
  g_autofree gchar *csv = tmp_path ("nan.csv");
  g_autofree gchar *outp = tmp_path ("nan-out.f32");
  g_autofree gchar *outc = tmp_path ("nan-out-csv.f32");
  g_autofree float *x = NULL;
  g_autoptr (LstmModel) m = nan_setup (mpath, in, csv, &x);
  g_autofree float *expect = g_new0 (float, NAN_N * 3);
  g_autofree gchar *out = NULL, *err = NULL, *got = NULL;
  g_auto (GStrv) lines = NULL;
  gsize len = 0, t = 0;
  guint i;

  while (t < NAN_N) {
    gsize e = t;
    g_autoptr (LstmState) st = lstm_state_new (m);
    if (nan_frame (t)) {
      t++;
      continue;
    }
    while (e < NAN_N && !nan_frame (e))
      e++;
    g_assert_true (lstm_model_forward (m, st, x + t * 3, e - t,
            expect + t * 3, NULL));
    t = e;
  }

  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", mpath, in, outp,
          NULL), ==, 0);
  g_test_message ("%s", err);
  g_assert_cmpuint (count_lines (err, "holds NaN or Inf"), ==, 2);
  g_assert_nonnull (strstr (err, "frame 100 "));
  g_assert_nonnull (strstr (err, "frame 150 "));
  g_assert_true (g_file_get_contents (outp, &got, &len, NULL));
  g_assert_cmpmem (got, len, expect, NAN_N * 3 * sizeof (float));
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", "--nan-policy",
          "reset", mpath, csv, outc, NULL), ==, 0);
  g_assert_cmpuint (count_lines (err, "holds NaN or Inf"), ==, 2);
  g_assert_true (g_file_get_contents (outc, &got, &len, NULL));
  g_assert_cmpmem (got, len, expect, NAN_N * 3 * sizeof (float));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  /* the timeline (frame indices: the model has no frame rate): no segment
   * covers a non-finite frame */
  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", mpath, in, NULL),
      ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] && *lines[i]; i++) {
    guint64 start = g_ascii_strtoull (lines[i], NULL, 10);
    guint64 end = g_ascii_strtoull (strchr (lines[i], '\t') + 1, NULL, 10);
    g_assert_cmpuint (start, <, end);
    g_assert_true (end <= 100 || (start >= 101 && end <= 150) ||
        start >= 154);
  }
  g_assert_cmpuint (i, >=, 3);
}

/* --nan-policy error: the first non-finite value, by file and line; pass:
 * the values as they are (NaN in every later output). */
static void
test_nan_error_pass (void)
{
  g_autofree gchar *mpath = tmp_path ("nan2.safetensors");
  g_autofree gchar *in = tmp_path ("nan2.f32");
  g_autofree gchar *csv = tmp_path ("nan2.csv");
  g_autofree gchar *outp = tmp_path ("nan2-out.f32");
  g_autofree float *x = NULL;
  g_autoptr (LstmModel) m = nan_setup (mpath, in, csv, &x);
  g_autoptr (LstmState) st = lstm_state_new (m);
  g_autofree float *expect = g_new (float, NAN_N * 3);
  g_autofree gchar *out = NULL, *err = NULL, *got = NULL;
  gsize len = 0;

  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", "--nan-policy",
          "error", mpath, in, outp, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "frame 100, value 1 is inf"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", "--nan-policy",
          "error", mpath, csv, outp, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "nan2.csv:102: field 2 is not a finite"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", "--nan-policy",
          "pass", mpath, in, outp, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (lstm_model_forward (m, st, x, NAN_N, expect, NULL));
  g_assert_true (g_file_get_contents (outp, &got, &len, NULL));
  g_assert_cmpmem (got, len, expect, NAN_N * 3 * sizeof (float));
  g_assert_true (isnan (expect[200 * 3]));
}

/* ---- outputs renamed into place ---- */

/* Files in the temporary folder whose name starts with @prefix. */
static guint
count_files (const gchar *prefix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      n++;
  g_dir_close (d);
  return n;
}

/* `lstm ARGS` killed by SIGTERM or SIGINT at various moments while it
 * writes OUTPUT over an older file: OUTPUT is always either the old file
 * untouched or the complete new one (as an uninterrupted run writes it),
 * and no temporary file is left behind. */
static void
kill_mid_write (const gchar *const *args, const gchar *output,
    const gchar *out_name)
{
  static const gchar old[] = "the old output\n";
  g_autofree gchar *complete = NULL, *tmp_prefix = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  gsize complete_len = 0;
  guint k, killed = 0;
  gint64 t0, full_us;

  g_ptr_array_add (argv, (gpointer) g_getenv ("LSTM_TOOL"));
  for (k = 0; args[k]; k++)
    g_ptr_array_add (argv, (gpointer) args[k]);
  g_ptr_array_add (argv, NULL);

  /* the complete output, and how long it takes */
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (tool_run (NULL, args, NULL, NULL), ==, 0);
  full_us = g_get_monotonic_time () - t0;
  g_assert_true (g_file_get_contents (output, &complete, &complete_len,
          NULL));
  g_test_message ("an uninterrupted run: %.3f s, %" G_GSIZE_FORMAT " bytes",
      full_us / 1e6, complete_len);
  tmp_prefix = g_strdup_printf (".%s.", out_name);

  for (k = 0; k < 8; k++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *got = NULL;
    gsize len = 0;
    GPid pid;
    gint status = 0;

    g_assert_true (g_file_set_contents (output, old, -1, NULL));
    g_assert_true (g_spawn_async (NULL, (gchar **) argv->pdata, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
            G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
    g_assert_no_error (error);
    /* from early (set-up) to late in the run */
    g_usleep ((gulong) (full_us * (k + 1) / 10));
    kill (pid, k % 2 ? SIGINT : SIGTERM);
    g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
    g_spawn_close_pid (pid);
    g_assert_true (g_file_get_contents (output, &got, &len, NULL));
    g_assert_true (WIFSIGNALED (status) || (WIFEXITED (status) &&
            WEXITSTATUS (status) == 0));
    if (strcmp (got, old) == 0) {
      /* killed before the new output was complete */
      g_assert_true (WIFSIGNALED (status));
      killed++;
    } else {
      /* complete (killed, if at all, after the rename) */
      g_assert_cmpmem (got, len, complete, complete_len);
    }
    g_assert_cmpuint (count_files (tmp_prefix), ==, 0);
  }
  g_test_message ("%u of 8 runs killed before their output was complete",
      killed);
  g_assert_cmpuint (killed, >=, 2);
}

/* --output-dir: several frame files of different lengths (one with a
 * burst of non-finite frames, one CSV) run as one batch give, file by
 * file, the bytes of one `lstm run` per file. */
static void
test_output_dir (void)
{
  static const guint lens[] = { 50, 130, 7, 300 };
  g_autofree gchar *odir = tmp_path ("batch-out");
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GRand) r = g_rand_new_with_seed (5);
  gchar *out = NULL, *err = NULL;
  guint f, t, n = G_N_ELEMENTS (lens) + 1;

  g_assert_cmpint (g_mkdir_with_parents (odir, 0755), ==, 0);
  g_ptr_array_add (args, g_strdup ("run"));
  g_ptr_array_add (args, g_strdup ("--output-dir"));
  g_ptr_array_add (args, g_strdup (odir));
  g_ptr_array_add (args, g_strdup (model_path));
  for (f = 0; f < n; f++) {
    gboolean csv = f == n - 1;
    gsize len = csv ? 40 : lens[f];
    g_autofree gchar *name = g_strdup_printf ("batch-in%u.%s", f,
        csv ? "csv" : "f32");
    g_autofree float *x = g_new (float, len * 40);
    g_autoptr (GString) text = g_string_new (NULL);
    gchar *path = tmp_path (name);

    for (t = 0; t < len * 40; t++)
      x[t] = (float) g_rand_double_range (r, -2.0, 2.0);
    if (f == 1) {
      x[60 * 40 + 3] = NAN;
      x[61 * 40] = INFINITY;
    }
    if (csv) {
      for (t = 0; t < len * 40; t++)
        g_string_append_printf (text, "%.9g%s", x[t], t % 40 == 39 ? "\n" :
            ",");
      g_assert_true (g_file_set_contents (path, text->str, -1, NULL));
    } else {
      g_assert_true (g_file_set_contents (path, (gchar *) x,
              len * 40 * sizeof (float), NULL));
    }
    g_ptr_array_add (args, path);
  }
  g_ptr_array_add (args, NULL);
  g_assert_cmpint (tool_run (NULL, (const gchar * const *) args->pdata, &out,
          &err), ==, 0);
  g_assert_cmpuint (count_lines (err, "holds NaN or Inf"), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  for (f = 0; f < n; f++) {
    const gchar *in = g_ptr_array_index (args, 4 + f);
    g_autofree gchar *base = g_path_get_basename (in);
    g_autofree gchar *alone = g_strdup_printf ("%s/alone-%s", dir, base);
    g_autofree gchar *batched = g_build_filename (odir, base, NULL);
    g_autofree gchar *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;

    g_assert_cmpint (tool_run_va (NULL, &out, &err, "run", model_path, in,
            alone, NULL), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_true (g_file_get_contents (alone, &a, &la, NULL));
    g_assert_true (g_file_get_contents (batched, &b, &lb, NULL));
    g_assert_cmpuint (la, >, 0);
    g_assert_cmpmem (a, la, b, lb);
  }
}

/* lstm run MODEL INPUT OUTPUT.csv on a long input. */
static void
test_kill_run (void)
{
  g_autofree gchar *mpath = tmp_path ("kill.safetensors");
  g_autofree gchar *in = tmp_path ("kill.f32");
  g_autofree gchar *outp = tmp_path ("kill-out.csv");
  g_autofree float *x = NULL;
  g_autoptr (LstmModel) m = nan_setup (mpath, in, NULL, &x);
  const gsize n = 300000;
  g_autofree float *big = g_new (float, n * 3);
  const gchar *args[] = { "run", "--nan-policy", "pass", mpath, in, outp,
    NULL
  };
  gsize i;

  (void) m;
  for (i = 0; i < n * 3; i++)
    big[i] = (float) sin (i * 0.001);
  g_assert_true (g_file_set_contents (in, (const gchar *) big,
          n * 3 * sizeof (float), NULL));
  kill_mid_write (args, outp, "kill-out.csv");
}

/* lstm features CONFIG AUDIO OUTPUT.csv on the demo recording. */
static void
test_kill_features (void)
{
  g_autofree gchar *outp = tmp_path ("feat-out.csv");
  const gchar *args[] = { "features",
    "{\"kind\":\"mfcc\",\"deltas\":2,\"num_mel_bins\":40}", wav_path, outp,
    NULL
  };

  kill_mid_write (args, outp, "feat-out.csv");
}

/* A forecaster and a classifier without features config, beside frames. */
static void
setup (void)
{
  const gchar *root = g_getenv ("LSTM_SOURCE_ROOT");
  g_autofree gchar *forecast = NULL, *forecast_link = NULL;
  g_autofree gchar *nofeat = NULL, *frames = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  static const gchar *const labels[] = { "a", "b", NULL };
  LstmModelOptions opts = { 0 };
  float x[2 * 10] = { 0 };

  g_assert_nonnull (root);
  dir = g_dir_make_tmp ("test-run-cli-XXXXXX", &error);
  g_assert_no_error (error);
  model_path = g_build_filename (root, "models", "audio-tagger",
      "audio-tagger.safetensors", NULL);
  wav_path = g_build_filename (root, "models", "audio-tagger", "demo.wav",
      NULL);
  forecast = g_build_filename (root, "models", "sine-forecast",
      "sine-forecast.safetensors", NULL);
  forecast_link = tmp_path ("forecast.safetensors");
  g_assert_cmpint (symlink (forecast, forecast_link), ==, 0);

  opts.task = LSTM_TASK_CLASSIFICATION;
  opts.labels = labels;
  opts.seed = 1;
  m = lstm_model_new ("[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":3},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":2,\"activation\":\"softmax\"}]",
      &opts, &error);
  g_assert_no_error (error);
  nofeat = tmp_path ("nofeatures.safetensors");
  g_assert_true (lstm_model_save (m, nofeat, &error));
  g_assert_no_error (error);
  frames = tmp_path ("frames.f32");
  g_assert_true (g_file_set_contents (frames, (const gchar *) x, sizeof x,
          NULL));
}

static void
remove_dir (const gchar *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *p = g_build_filename (path, name, NULL);
    g_unlink (p);
  }
  g_dir_close (d);
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  setup ();
  g_test_add_func ("/run-cli/plot/png", test_plot_png);
  g_test_add_func ("/run-cli/plot/reference", test_plot_reference);
  g_test_add_func ("/run-cli/plot/svg", test_plot_svg);
  g_test_add_func ("/run-cli/nan-policy/reset", test_nan_reset);
  g_test_add_func ("/run-cli/nan-policy/error-pass", test_nan_error_pass);
  g_test_add_func ("/run-cli/output/kill-run", test_kill_run);
  g_test_add_func ("/run-cli/output-dir", test_output_dir);
  g_test_add_func ("/run-cli/output/kill-features", test_kill_features);
  for (i = 0; i < G_N_ELEMENTS (errors); i++) {
    g_autofree gchar *path = g_strdup_printf ("/run-cli/error/%s",
        errors[i].name);
    g_test_add_data_func (path, &errors[i], test_error);
  }
  ret = g_test_run ();
  remove_dir (dir);
  g_free (dir);
  g_free (model_path);
  g_free (wav_path);
  cairo_debug_reset_static_data ();
  return ret;
}
