/* lstmtrain mode=forecast and `lstm train --series` make the same
 * forecaster from the same rows and options, their defaults included: real
 * series (lynx, UK gas, Nile; tests/data/series) fed through appsrc, the
 * same series as a CSV to the command (with every default; with given
 * training options and lags listed, levels, no lags, two channels three
 * rows ahead); every tensor of the two saved models equal bit for bit, and
 * the metadata that shapes the model (architecture with its lag layer,
 * residual output, horizon, task) equal. What may differ is what describes
 * the run: lstm.training (its "data" record names the file or the
 * element), lstm.labels (the CSV's column name) and lstm.description.
 * Also: online training refuses listed lags and a season, and warns that
 * its new forecasters have neither lags nor a residual output.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gst/app/gstappsrc.h>
#include <json-glib/json-glib.h>

#include "gst-test-util.h"

#define TIMEOUT (120 * GST_SECOND)

/* The series of @name.csv (a header row, one value per row). */
static float *
read_series (const gchar *name, gsize *n)
{
  g_autofree gchar *file = g_strconcat (name, ".csv", NULL);
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data",
      "series", file, NULL);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  GArray *x = g_array_new (FALSE, FALSE, sizeof (float));
  guint i;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (i = 1; lines[i] != NULL; i++) {
    gchar *end = NULL;
    float v;
    g_strstrip (lines[i]);
    if (lines[i][0] == '\0')
      continue;
    /* as `lstm train` reads a cell: a double, then a float */
    v = (float) g_ascii_strtod (lines[i], &end);
    g_assert_true (*end == '\0');
    g_array_append_val (x, v);
  }
  *n = x->len;
  return (float *) g_array_free (x, FALSE);
}

/* Keeps the warning messages (the pipeline's bus is flushed when it
 * stops). */
static GstBusSyncReply
keep_warnings (GstBus *bus, GstMessage *msg, gpointer data)
{
  (void) bus;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
    g_ptr_array_add (data, gst_message_ref (msg));
  return GST_BUS_PASS;
}

/* Trains "appsrc ! lstmtrain mode=forecast location=@out @props" on @x,
 * @per frames a buffer; the bus's element messages (warnings too) into
 * @msgs; the error message, if any, into @error_msg. */
static gboolean
train_stream (const float *x, gsize n, guint dim, gsize per,
    const gchar *out, const gchar *props, GPtrArray *msgs,
    GstMessage **error_msg)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train mode=forecast location=\"%s\" %s", out, props);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) src = NULL;
  g_autofree gchar *c = g_strdup_printf ("audio/x-raw,format=F32LE,"
      "layout=interleaved,channels=%u,rate=1", dim);
  g_autoptr (GstCaps) caps = gst_caps_from_string (c);
  gboolean ok;
  gsize off;

  g_assert_no_error (error);
  if (msgs != NULL) {
    GstBus *bus = gst_element_get_bus (pipeline);
    gst_bus_set_sync_handler (bus, keep_warnings, msgs, NULL);
    gst_object_unref (bus);
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  for (off = 0; off < n; off += per) {
    gsize k = MIN (per, n - off);
    gst_app_src_push_buffer (GST_APP_SRC (src), tu_frames_buffer (x + off *
            dim, k, dim, off * GST_SECOND, k * GST_SECOND));
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = tu_run_to_eos (pipeline, TIMEOUT, NULL, error_msg);
  return ok;
}

/* The JSON header of a safetensors file, and its data part. */
static JsonObject *
read_header (const gchar *path, gchar **contents, const guint8 **data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) p = json_parser_new ();
  gsize len;
  guint64 hlen = 0;
  guint k;

  g_assert_true (g_file_get_contents (path, contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, 8);
  for (k = 0; k < 8; k++)
    hlen |= (guint64) (guint8) (*contents)[k] << (8 * k);
  g_assert_cmpuint (hlen, <=, len - 8);
  g_assert_true (json_parser_load_from_data (p, *contents + 8, (gssize) hlen,
          &error));
  g_assert_no_error (error);
  *data = (const guint8 *) *contents + 8 + hlen;
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

/* Every tensor of @a and @b: the same names, dtypes, shapes and bytes;
 * the metadata keys that shape the model: the same values. */
static void
assert_same_model (const gchar *a, const gchar *b)
{
  static const gchar *const keys[] = { "lstm.format", "lstm.architecture",
    "lstm.task", "lstm.residual", "lstm.horizon"
  };
  g_autofree gchar *ca = NULL, *cb = NULL;
  const guint8 *da, *db;
  JsonObject *ha = read_header (a, &ca, &da), *hb = read_header (b, &cb, &db);
  JsonObject *ma = json_object_get_object_member (ha, "__metadata__");
  JsonObject *mb = json_object_get_object_member (hb, "__metadata__");
  GList *names = json_object_get_members (ha), *l;
  guint n_tensors = 0, k;

  g_assert_cmpuint (json_object_get_size (ha), ==, json_object_get_size (hb));
  for (l = names; l != NULL; l = l->next) {
    const gchar *name = l->data;
    JsonObject *ta, *tb;
    JsonArray *oa, *ob, *sa, *sb;
    gint64 a0, a1, b0, b1;
    guint i;

    if (strcmp (name, "__metadata__") == 0)
      continue;
    g_test_message ("tensor %s", name);
    g_assert_true (json_object_has_member (hb, name));
    ta = json_object_get_object_member (ha, name);
    tb = json_object_get_object_member (hb, name);
    g_assert_cmpstr (json_object_get_string_member (ta, "dtype"), ==,
        json_object_get_string_member (tb, "dtype"));
    sa = json_object_get_array_member (ta, "shape");
    sb = json_object_get_array_member (tb, "shape");
    g_assert_cmpuint (json_array_get_length (sa), ==,
        json_array_get_length (sb));
    for (i = 0; i < json_array_get_length (sa); i++)
      g_assert_cmpint (json_array_get_int_element (sa, i), ==,
          json_array_get_int_element (sb, i));
    oa = json_object_get_array_member (ta, "data_offsets");
    ob = json_object_get_array_member (tb, "data_offsets");
    a0 = json_array_get_int_element (oa, 0);
    a1 = json_array_get_int_element (oa, 1);
    b0 = json_array_get_int_element (ob, 0);
    b1 = json_array_get_int_element (ob, 1);
    g_assert_cmpint (a1 - a0, ==, b1 - b0);
    g_assert_true (memcmp (da + a0, db + b0, a1 - a0) == 0);
    n_tensors++;
  }
  g_list_free (names);
  g_assert_cmpuint (n_tensors, >=, 8);
  for (k = 0; k < G_N_ELEMENTS (keys); k++) {
    g_test_message ("metadata %s", keys[k]);
    g_assert_cmpstr (json_object_get_string_member_with_default (ma, keys[k],
            NULL), ==, json_object_get_string_member_with_default (mb,
            keys[k], NULL));
  }
  json_object_unref (ha);
  json_object_unref (hb);
}

/* Training options given to both front ends (besides their defaults,
 * which are the same: liblstm's training defaults of forecasters). */
#define COMMON_OPTIONS "cell=gru hidden-size=8 epochs=12 sequence-length=16 " \
  "patience=0 learning-rate=0.003 batch-size=2 weight-decay=0.002 " \
  "validation-fraction=0.1 seed=5"

/* Trains on the @n frames of @dim values @x through lstmtrain and on
 * @csv (the same rows, a column each) through `lstm train --series`, each
 * with COMMON_OPTIONS (or only the defaults, @defaults) and its own extra
 * ones; the two models must be the same, a forecaster whose architecture
 * holds @arch_has, residual or not, @horizon rows ahead. */
static void
compare_with_cli (const float *x, gsize n, guint dim, const gchar *csv,
    gboolean defaults, const gchar *extra_props,
    const gchar *const *extra_args, const gchar *arch_has,
    gboolean residual, guint horizon)
{
  static guint run = 0;
  g_autofree gchar *el = g_strdup_printf ("run%u-element.safetensors", run);
  g_autofree gchar *cl = g_strdup_printf ("run%u-cli.safetensors", run++);
  g_autofree gchar *el_path = tu_tmp_path (el), *cl_path = tu_tmp_path (cl);
  g_autofree gchar *props = g_strdup_printf ("%s horizon=%u %s",
      defaults ? "" : COMMON_OPTIONS, horizon, extra_props);
  g_autofree gchar *h = g_strdup_printf ("%u", horizon);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) common = g_strsplit (defaults ? "" : COMMON_OPTIONS, " ",
      -1);
  GstMessage *err = NULL;
  guint i;

  /* buffers of 7 frames: the element sees a stream, not the file */
  if (!train_stream (x, n, dim, 7, el_path, props, NULL, &err)) {
    g_autoptr (GError) gerr = NULL;
    gst_message_parse_error (err, &gerr, NULL);
    g_error ("lstmtrain failed: %s", gerr->message);
  }

  g_ptr_array_add (args, g_strdup ("train"));
  g_ptr_array_add (args, g_strdup ("--series"));
  g_ptr_array_add (args, g_strdup (csv));
  for (i = 0; common[i] != NULL; i++)
    g_ptr_array_add (args, g_strconcat ("--", common[i], NULL));
  g_ptr_array_add (args, g_strdup ("--horizon"));
  g_ptr_array_add (args, g_strdup (h));
  for (i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (extra_args[i]));
  g_ptr_array_add (args, g_strdup ("-q"));
  g_ptr_array_add (args, g_strdup ("-o"));
  g_ptr_array_add (args, g_strdup (cl_path));
  g_ptr_array_add (args, NULL);
  g_free (tu_tool_output ((const gchar * const *) args->pdata));

  assert_same_model (el_path, cl_path);

  /* and it is the forecaster asked for */
  m = lstm_model_load (el_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_FORECAST);
  g_assert_cmpuint (lstm_model_get_input_size (m), ==, dim);
  g_assert_nonnull (strstr (lstm_model_get_metadata (m,
              "lstm.architecture"), arch_has));
  g_assert_cmpint (lstm_model_get_residual (m) != NULL, ==, residual);
  g_assert_cmpstr (lstm_model_get_metadata (m, "lstm.horizon"), ==, h);
}

/* compare_with_cli() on one series of tests/data/series. */
static void
compare_series (const gchar *name, gboolean defaults,
    const gchar *extra_props, const gchar *const *extra_args,
    const gchar *arch_has, gboolean residual)
{
  g_autofree gchar *file = g_strconcat (name, ".csv", NULL);
  g_autofree gchar *csv = g_test_build_filename (G_TEST_DIST, "data",
      "series", file, NULL);
  g_autofree float *x = NULL;
  gsize n;

  x = read_series (name, &n);
  g_assert_cmpuint (n, >, 50);
  compare_with_cli (x, n, 1, csv, defaults, extra_props, extra_args,
      arch_has, residual, 1);
}

/* Every default: the recipe (a residual output, lags by AIC) and the
 * training defaults of forecasters (a GRU of 32, up to 200 epochs with
 * early stopping on the last tenth, scored after the training rows). */
static void
test_same_as_cli_defaults (void)
{
  compare_series ("lynx", TRUE, "", NULL, "\"type\":\"lag\"", TRUE);
  compare_series ("ukgas", TRUE, "", NULL, "\"type\":\"lag\"", TRUE);
}

/* Lags listed, a season, levels. */
static void
test_same_as_cli_options (void)
{
  static const gchar *const args[] = { "--lags", "0,1,9", "--no-residual",
    NULL
  };
  compare_series ("nile", FALSE, "lags=\"0,1,9\" no-residual=true", args,
      "\"lags\":[0,1,9]", FALSE);
}

/* No lag layer at all. */
static void
test_same_as_cli_no_lags (void)
{
  static const gchar *const args[] = { "--lags", "none", "--season", "10",
    NULL
  };
  compare_series ("lynx", FALSE, "lags=none season=10", args,
      "\"type\":\"gru\"", TRUE);
}

/* Two channels (Nile flow, lynx trappings: their first 100 rows), three
 * rows ahead: two residual outputs, the season of the first column. */
static void
test_same_as_cli_two_columns (void)
{
  g_autofree gchar *csv = tu_tmp_path ("two.csv");
  g_autofree float *a = NULL, *b = NULL, *x = NULL;
  GString *text = g_string_new ("nile,lynx\n");
  gsize na, nb, n, t;

  a = read_series ("nile", &na);
  b = read_series ("lynx", &nb);
  n = MIN (na, nb);
  x = g_new (float, 2 * n);
  for (t = 0; t < n; t++) {
    x[2 * t] = a[t];
    x[2 * t + 1] = b[t];
    /* %.9g: the float read back exactly */
    g_string_append_printf (text, "%.9g,%.9g\n", (double) a[t],
        (double) b[t]);
  }
  g_assert_true (g_file_set_contents (csv, text->str, -1, NULL));
  g_string_free (text, TRUE);
  compare_with_cli (x, n, 2, csv, FALSE, "", NULL, "\"type\":\"lag\"", TRUE,
      3);
}

/* Online: listed lags or a season are refused; the defaults train a level
 * forecaster without lags, with a warning, and lags=none no-residual=true
 * (exactly that) without one. */
static void
test_online (void)
{
  g_autofree gchar *out = tu_tmp_path ("online.safetensors");
  g_autofree float *x = NULL;
  static const gchar *const refused[] = { "lags=0,1", "season=4" };
  gsize n;
  guint i;

  x = read_series ("nile", &n);
  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autofree gchar *props = g_strdup_printf ("online=true "
        "sequence-length=10 %s", refused[i]);
    g_autoptr (GError) gerr = NULL;
    GstMessage *err = NULL;
    g_assert_false (train_stream (x, n, 1, 10, out, props, NULL, &err));
    g_assert_nonnull (err);
    gst_message_parse_error (err, &gerr, NULL);
    g_test_message ("%s: %s", refused[i], gerr->message);
    g_assert_error (gerr, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
    g_assert_nonnull (strstr (gerr->message, "online=false"));
    gst_message_unref (err);
  }
  for (i = 0; i < 2; i++) {
    g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func
        ((GDestroyNotify) gst_message_unref);
    g_autoptr (LstmModel) m = NULL;
    g_autoptr (GError) error = NULL;
    GstMessage *err = NULL;
    g_assert_true (train_stream (x, n, 1, 10, out, i == 0 ?
            "online=true sequence-length=10" : "online=true "
            "sequence-length=10 lags=none no-residual=true", warnings, &err));
    g_assert_cmpuint (warnings->len, ==, i == 0 ? 1 : 0);
    m = lstm_model_load (out, &error);
    g_assert_no_error (error);
    g_assert_null (lstm_model_get_residual (m));
    g_assert_null (strstr (lstm_model_get_metadata (m, "lstm.architecture"),
            "\"lag\""));
  }
}

/* lags and season shape new forecasters only: with init-model they are
 * refused, as lstm train refuses --lags with --init. */
static void
test_init_refused (void)
{
  g_autofree gchar *base = tu_tmp_path ("init-base.safetensors");
  g_autofree gchar *out = tu_tmp_path ("init-out.safetensors");
  g_autofree float *x = NULL;
  static const gchar *const refused[] = { "lags=0,1", "season=4" };
  GstMessage *err = NULL;
  gsize n;
  guint i;

  x = read_series ("nile", &n);
  g_assert_true (train_stream (x, n, 1, 10, base, "epochs=2 lags=none",
          NULL, &err));
  g_assert_null (err);
  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autofree gchar *props = g_strdup_printf ("epochs=2 init-model=\"%s\" %s",
        base, refused[i]);
    g_autoptr (GError) gerr = NULL;
    g_assert_false (train_stream (x, n, 1, 10, out, props, NULL, &err));
    g_assert_nonnull (err);
    gst_message_parse_error (err, &gerr, NULL);
    g_test_message ("%s: %s", refused[i], gerr->message);
    g_assert_error (gerr, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
    g_assert_nonnull (strstr (gerr->message, "new forecasters"));
    g_clear_pointer (&err, gst_message_unref);
  }
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lstmtrain-series/same-as-cli/defaults",
      test_same_as_cli_defaults);
  g_test_add_func ("/lstmtrain-series/same-as-cli/options",
      test_same_as_cli_options);
  g_test_add_func ("/lstmtrain-series/same-as-cli/no-lags",
      test_same_as_cli_no_lags);
  g_test_add_func ("/lstmtrain-series/same-as-cli/two-columns",
      test_same_as_cli_two_columns);
  g_test_add_func ("/lstmtrain-series/online", test_online);
  g_test_add_func ("/lstmtrain-series/init-refused", test_init_refused);
  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
