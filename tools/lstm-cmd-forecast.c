/* lstm forecast: closed-loop forecasting from a history of a series
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-train-tool.h"

/* The input columns `lstm train --series` read, as a comma-separated list
 * (from the "data" record of lstm.training), or NULL when not recorded. */
static gchar *
trained_columns (LstmModel *model)
{
  const gchar *t = lstm_model_get_metadata (model, "lstm.training");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *o;
  JsonArray *arr;
  GString *s;
  guint i;

  if (t == NULL || !json_parser_load_from_data (parser, t, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  if (!json_object_has_member (o, "data") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "data")))
    return NULL;
  o = json_object_get_object_member (o, "data");
  if (!json_object_has_member (o, "columns") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "columns")))
    return NULL;
  arr = json_object_get_array_member (o, "columns");
  s = g_string_new (NULL);
  for (i = 0; i < json_array_get_length (arr); i++) {
    const gchar *v = json_array_get_string_element (arr, i);
    if (v != NULL)
      g_string_append_printf (s, "%s%s", s->len ? "," : "", v);
  }
  return g_string_free (s, FALSE);
}

/* Reads the history: a CSV table (columns by name) or raw frames. */
static float *
read_history (LstmModel *model, const gchar *path, const gchar *columns,
    gsize *n_out, GError **error)
{
  guint I = lstm_model_get_input_size (model);
  LstmToolFramesFormat format;

  if (!lstm_tool_frames_format_from_path (path, &format) || strcmp (path,
          "-") == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: unknown history type (expected .csv or .f32)", path);
    return NULL;
  }
  if (format == LSTM_TOOL_FRAMES_CSV) {
    g_autoptr (LstmToolTable) t = lstm_tool_table_read (path, error);
    g_autofree gchar *trained = NULL;
    g_autofree gint *cols = NULL;
    g_autofree float *x = NULL;
    guint n_cols;

    if (t == NULL)
      return NULL;
    if (columns == NULL)
      columns = trained = trained_columns (model);
    cols = lstm_tool_table_columns (t, columns, NULL, 0, &n_cols, error);
    if (cols == NULL)
      return NULL;
    if (n_cols != I) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: %u input columns, but the model takes %u values (choose "
          "them with --columns)", path, n_cols, I);
      return NULL;
    }
    x = g_new (float, MAX ((gsize) t->n_rows * I, 1));
    if (!lstm_tool_table_numbers (t, cols, n_cols, x, error))
      return NULL;
    *n_out = t->n_rows;
    return g_steal_pointer (&x);
  } else {
    g_autoptr (LstmToolFrameReader) r =
        lstm_tool_frame_reader_open (path, I, error);
    g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (float));
    float buf[4096];
    gsize max = MAX (G_N_ELEMENTS (buf) / I, 1);
    gssize n;

    if (r == NULL)
      return NULL;
    if (I > G_N_ELEMENTS (buf)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "%s: frames of %u values are too wide for lstm forecast", path, I);
      return NULL;
    }
    while ((n = lstm_tool_frame_reader_read (r, buf, max, error)) > 0)
      g_array_append_vals (all, buf, (guint) (n * I));
    if (n < 0)
      return NULL;
    *n_out = all->len / I;
    return (float *) g_array_free (g_steal_pointer (&all), FALSE);
  }
}

/* CSV with a header row of the model's output names, like the series
 * `lstm train --series` reads. */
static gboolean
write_csv (LstmModel *model, FILE *fp, const gchar *path, const float *y,
    guint steps, GError **error)
{
  guint O = lstm_model_get_output_size (model), j, s;
  gboolean ok = TRUE;

  for (j = 0; j < O; j++) {
    const gchar *name = lstm_model_get_label (model, j);
    g_autofree gchar *fallback = g_strdup_printf ("y%u", j);
    ok = ok && fputs (name ? name : fallback, fp) >= 0 &&
        fputc (j + 1 < O ? ',' : '\n', fp) >= 0;
  }
  for (s = 0; ok && s < steps; s++)
    for (j = 0; ok && j < O; j++) {
      gchar num[G_ASCII_DTOSTR_BUF_SIZE];
      /* %.9g round-trips every float32 */
      g_ascii_formatd (num, sizeof num, "%.9g", y[(gsize) s * O + j]);
      ok = fputs (num, fp) >= 0 && fputc (j + 1 < O ? ',' : '\n', fp) >= 0;
    }
  if (!ok)
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: write error: %s",
        path, g_strerror (errno));
  return ok;
}

static gboolean
write_output (LstmModel *model, const gchar *path, const float *y,
    guint steps, GError **error)
{
  LstmToolFramesFormat format;
  FILE *fp;

  if (path == NULL || strcmp (path, "-") == 0)
    return write_csv (model, stdout, "(standard output)", y, steps, error)
        && fflush (stdout) == 0;
  if (!lstm_tool_frames_format_from_path (path, &format)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: unknown output type (expected .f32 or .csv)", path);
    return FALSE;
  }
  if (format == LSTM_TOOL_FRAMES_F32) {
    LstmToolFrameWriter *w = lstm_tool_frame_writer_open (path,
        lstm_model_get_output_size (model), error);
    gboolean ok;
    if (w == NULL)
      return FALSE;
    ok = lstm_tool_frame_writer_write (w, y, steps, error);
    return lstm_tool_frame_writer_close (w, ok ? error : NULL) && ok;
  }
  fp = fopen (path, "w");
  if (fp == NULL) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot create: %s",
        path, g_strerror (saved));
    return FALSE;
  }
  if (!write_csv (model, fp, path, y, steps, error)) {
    fclose (fp);
    return FALSE;
  }
  if (fclose (fp) != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: write error: %s",
        path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

int
lstm_tool_forecast (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) opt_error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree float *history = NULL, *out = NULL;
  g_autofree gchar *columns = NULL;
  gint steps = 0;
  gsize n_history = 0;
  int ret = 1;
  GOptionEntry entries[] = {
    {"steps", 0, 0, G_OPTION_ARG_INT, &steps,
        "How many rows to forecast (required)", "N"},
    {"columns", 0, 0, G_OPTION_ARG_STRING, &columns,
        "CSV history: the input columns (default: as trained)", "A,B"},
    {NULL}
  };

  ctx = g_option_context_new ("MODEL HISTORY.csv|.f32 --steps N "
      "[OUTPUT.csv|.f32]");
  g_option_context_set_summary (ctx, "Forecasts a series in closed loop: "
      "runs the history through the\nmodel, then feeds each predicted row "
      "back as the next input. The model must\npredict its own input "
      "columns one row ahead (lstm train --series, horizon 1).\n"
      "Without OUTPUT the forecast is printed as CSV.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &opt_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s",
        opt_error->message);
    return 2;
  }
  if (argc < 3 || argc > 4) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "usage: lstm forecast MODEL HISTORY.csv|.f32 --steps N "
        "[OUTPUT.csv|.f32]");
    return 2;
  }
  if (steps < 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--steps N (at least 1) is required");
    return 2;
  }
  model = lstm_model_load (argv[1], error);
  if (model == NULL)
    return 1;
  history = read_history (model, argv[2], columns, &n_history, error);
  if (history == NULL)
    return 1;
  if (n_history == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: no rows of history", argv[2]);
    return 1;
  }
  state = lstm_state_new (model);
  out = g_try_new (float, (gsize) steps * MAX (lstm_model_get_output_size
          (model), 1));
  if (out == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "not enough memory for %d steps", steps);
    return 1;
  }
  if (lstm_model_forecast (model, state, history, n_history, (guint) steps,
          out, error) &&
      write_output (model, argc == 4 ? argv[3] : NULL, out, (guint) steps,
          error))
    ret = 0;
  return ret;
}
