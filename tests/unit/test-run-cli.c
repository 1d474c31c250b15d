/* Unit tests: `lstm run`'s label-timeline options and its --plot picture,
 * on the shipped audio tagger and its demo recording: the picture's label
 * band shows, where each printed segment lies, that segment's label colour
 * (the layout and palette documented in tools/lstm-tool.h); errors name the
 * problem.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cairo.h>
#include <glib/gstdio.h>

#include "lstm-tool.h"
#include "tool-util.h"

static gchar *dir, *model_path, *wav_path;
static const guint32 palette[] = LSTM_TIMELINE_PALETTE;

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
  return LSTM_TIMELINE_LEFT + t / duration * (LSTM_TIMELINE_WIDTH -
      LSTM_TIMELINE_LEFT - LSTM_TIMELINE_RIGHT);
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
  int y = LSTM_TIMELINE_BAND_TOP + LSTM_TIMELINE_BAND_HEIGHT / 2, x;

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

  img = read_png (png, LSTM_TIMELINE_WIDTH, LSTM_TIMELINE_HEIGHT);
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
    g_assert_cmphex (pixel (img, x, LSTM_TIMELINE_BAND_TOP), ==, palette[k]);
    g_assert_cmphex (pixel (img, x, LSTM_TIMELINE_BAND_TOP +
            LSTM_TIMELINE_BAND_HEIGHT - 1), ==, palette[k]);
    n_checked++;
  }
  g_assert_cmpuint (n_checked, >=, 2);

  /* the spectrogram above the band: many colours, none of them white */
  for (x = LSTM_TIMELINE_LEFT + 2; x < LSTM_TIMELINE_WIDTH -
      LSTM_TIMELINE_RIGHT - 2; x += 7)
    for (y = 60; y < LSTM_TIMELINE_BAND_TOP - 30; y += 5) {
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
  int y = LSTM_TIMELINE_REF_TOP + LSTM_TIMELINE_BAND_HEIGHT / 2, x;
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

  img = read_png (png, LSTM_TIMELINE_WIDTH, LSTM_TIMELINE_HEIGHT_REF);
  for (i = 0; i < segs->len; i++) {
    const Seg *s = &g_array_index (segs, Seg, i);
    guint32 model_colour;
    if (strcmp (s->label, "unknown") == 0 || time_x (s->end, duration) -
        time_x (s->start, duration) < 6)
      continue;
    model_colour = palette[label_index (model, s->label)];
    /* the model's band, unchanged by the reference */
    assert_band (img, LSTM_TIMELINE_BAND_TOP + 2, s->start, s->end,
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
      LSTM_TIMELINE_WIDTH, LSTM_TIMELINE_HEIGHT);

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
