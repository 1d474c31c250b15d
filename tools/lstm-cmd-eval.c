/* lstm eval: measure a model on a time series, labelled frames or text
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-train-tool.h"

typedef struct {
  gchar *series, *text, *manifest;
  gchar *columns, *targets, *label_column, *sequence_column;
  gint horizon, skip;
  gint smoothing;                       /* --manifest: segments */
  gdouble threshold, min_duration;
  gchar *background;
} Args;

/* The "data" record of lstm.training, if any. */
static JsonObject *
training_data (LstmModel *model, JsonParser *parser)
{
  const gchar *t = lstm_model_get_metadata (model, "lstm.training");
  JsonNode *root;
  JsonObject *o;

  if (t == NULL || !json_parser_load_from_data (parser, t, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  if (!json_object_has_member (o, "data") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "data")))
    return NULL;
  return json_object_get_object_member (o, "data");
}

/* A comma-separated list of the strings in member @name. */
static gchar *
names_member (JsonObject *o, const gchar *name)
{
  JsonArray *arr;
  GString *s;
  guint i;

  if (o == NULL || !json_object_has_member (o, name) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, name)))
    return NULL;
  arr = json_object_get_array_member (o, name);
  s = g_string_new (NULL);
  for (i = 0; i < json_array_get_length (arr); i++) {
    const gchar *v = json_array_get_string_element (arr, i);
    if (v == NULL)
      continue;
    g_string_append_printf (s, "%s%s", i ? "," : "", v);
  }
  return g_string_free (s, FALSE);
}

/* Runs @model over @n frames from a zero state. */
static float *
run_model (LstmModel *model, const float *x, gsize n, GError **error)
{
  g_autofree float *out = g_try_new (float, MAX (n, 1) *
      lstm_model_get_output_size (model));

  if (out == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "not enough memory for %" G_GSIZE_FORMAT " frames of output", n);
    return NULL;
  }
  if (!lstm_model_forward_sequence (model, x, n, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

static int
eval_forecast (LstmModel *model, Args *a, LstmToolTable *t, GError **error)
{
  g_autofree gint *in_cols = NULL, *tg_cols = NULL;
  g_autofree float *x = NULL, *y = NULL, *out = NULL;
  g_autofree double *se = NULL, *ae = NULL, *pse = NULL, *pae = NULL;
  guint I = lstm_model_get_input_size (model);
  guint O = lstm_model_get_output_size (model);
  guint n_in, n_tg, j, width = 8;
  gsize N = t->n_rows, r, scored = 0;
  gint h = a->horizon;
  double tse = 0, tae = 0, tpse = 0, tpae = 0;

  in_cols = lstm_tool_table_columns (t, a->columns, NULL, 0, &n_in, error);
  if (in_cols == NULL)
    return 1;
  tg_cols = lstm_tool_table_columns (t, a->targets ? a->targets : a->columns,
      NULL, 0, &n_tg, error);
  if (tg_cols == NULL)
    return 1;
  if (n_in != I || n_tg != O) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: %u input and %u target columns, but the model takes %u values "
        "and gives %u (choose them with --columns and --targets)", t->path,
        n_in, n_tg, I, O);
    return 1;
  }
  if (N <= (gsize) h + (gsize) a->skip) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: %" G_GSIZE_FORMAT " rows, nothing to score %d "
        "rows ahead after skipping %d", t->path, N, h, a->skip);
    return 1;
  }
  x = g_new (float, N * I);
  y = g_new (float, N * O);
  if (!lstm_tool_table_numbers (t, in_cols, n_in, x, error) ||
      !lstm_tool_table_numbers (t, tg_cols, n_tg, y, error))
    return 1;
  out = run_model (model, x, N, error);
  if (out == NULL)
    return 1;

  /* frame r forecasts row r + h; persistence forecasts row r's values */
  se = g_new0 (double, O);
  ae = g_new0 (double, O);
  pse = g_new0 (double, O);
  pae = g_new0 (double, O);
  for (r = a->skip; r + h < N; r++, scored++)
    for (j = 0; j < O; j++) {
      double truth = y[(r + h) * O + j];
      double e = out[r * O + j] - truth, p = y[r * O + j] - truth;
      se[j] += e * e;
      ae[j] += fabs (e);
      pse[j] += p * p;
      pae[j] += fabs (p);
    }
  for (j = 0; j < O; j++)
    width = MAX (width, (guint) strlen (t->names[tg_cols[j]]));
  printf ("%" G_GSIZE_FORMAT " frames scored, forecasting %d row%s ahead\n\n",
      scored, h, h == 1 ? "" : "s");
  printf ("%-*s  %12s %12s %16s %16s %10s\n", width, "target", "rmse", "mae",
      "persistence_rmse", "persistence_mae", "rmse_ratio");
  for (j = 0; j < O; j++) {
    double rmse = sqrt (se[j] / scored), prmse = sqrt (pse[j] / scored);
    printf ("%-*s  %12.6g %12.6g %16.6g %16.6g %10.4f\n", width,
        t->names[tg_cols[j]], rmse, ae[j] / scored, prmse, pae[j] / scored,
        prmse > 0 ? rmse / prmse : NAN);
    tse += se[j];
    tae += ae[j];
    tpse += pse[j];
    tpae += pae[j];
  }
  if (O > 1) {
    double rmse = sqrt (tse / scored / O), prmse = sqrt (tpse / scored / O);
    printf ("%-*s  %12.6g %12.6g %16.6g %16.6g %10.4f\n", width, "all",
        rmse, tae / scored / O, prmse, tpae / scored / O,
        prmse > 0 ? rmse / prmse : NAN);
  }
  return 0;
}

static int
eval_labels (LstmModel *model, Args *a, LstmToolTable *t, GError **error)
{
  const gchar *const *labels = lstm_model_get_labels (model);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (LstmToolConfusion) conf = NULL;
  g_autofree gint *in_cols = NULL;
  g_autofree float *x = NULL;
  guint O = lstm_model_get_output_size (model);
  guint I = lstm_model_get_input_size (model), n_in, k, n_excl = 0;
  gint lc, sc = -1, excl[2];
  gsize N = t->n_rows, start, r;

  if (labels == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the model has no labels to compare with column '%s'",
        lstm_model_get_name (model), a->label_column);
    return 1;
  }
  lc = lstm_tool_table_column (t, a->label_column, error);
  if (lc < 0)
    return 1;
  excl[n_excl++] = lc;
  if (a->sequence_column) {
    sc = lstm_tool_table_column (t, a->sequence_column, error);
    if (sc < 0)
      return 1;
    excl[n_excl++] = sc;
  }
  in_cols = lstm_tool_table_columns (t, a->columns, excl, n_excl, &n_in, error);
  if (in_cols == NULL)
    return 1;
  if (n_in != I) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: %u input columns, but the model takes %u values", t->path, n_in,
        I);
    return 1;
  }
  if (N == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: no rows", t->path);
    return 1;
  }
  for (k = 0; k < O; k++)
    g_hash_table_insert (index, (gpointer) labels[k], GUINT_TO_POINTER (k + 1));
  x = g_new (float, N * I);
  if (!lstm_tool_table_numbers (t, in_cols, n_in, x, error))
    return 1;
  /* check every label before running anything */
  for (r = 0; r < N; r++) {
    const gchar *c = t->cells[r * t->n_cols + lc];
    if (*c && !g_hash_table_contains (index, c)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u: unknown label '%s' (not one of the model's labels)",
          t->path, t->lines[r], c);
      return 1;
    }
  }
  conf = lstm_tool_confusion_new (O);
  for (start = 0, r = 1; r <= N; r++) {
    g_autofree float *out = NULL;
    gsize i;
    if (r < N && (sc < 0 || strcmp (t->cells[r * t->n_cols + sc],
                t->cells[start * t->n_cols + sc]) == 0))
      continue;
    out = run_model (model, x + start * I, r - start, error);
    if (out == NULL)
      return 1;
    for (i = start; i < r; i++) {
      const gchar *c = t->cells[i * t->n_cols + lc];
      if (*c)
        lstm_tool_confusion_add (conf, GPOINTER_TO_UINT (g_hash_table_lookup
                (index, c)) - 1, lstm_tool_argmax (out + (i - start) * O, O));
    }
    start = r;
  }
  lstm_tool_confusion_print (conf, labels, stdout);
  return 0;
}

static int
eval_text (LstmModel *model, Args *a, GError **error)
{
  g_autoptr (LstmToolText) text = lstm_tool_text_read (a->text, error);
  g_autofree guint *codes = NULL;
  g_autofree float *x = NULL, *out = NULL;
  guint V = lstm_model_get_output_size (model);
  double ce = 0;
  guint64 right = 0;
  gsize n, t;

  if (text == NULL || !lstm_tool_is_char_model (model, error))
    return 1;
  codes = lstm_tool_text_encode (text, lstm_model_get_labels (model), a->text,
      error);
  if (codes == NULL)
    return 1;
  if (text->n < 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: %" G_GSIZE_FORMAT " character", a->text,
        text->n);
    return 1;
  }
  n = text->n - 1;
  x = g_try_new0 (float, n * V);
  if (x == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not enough memory for one-hot frames", a->text);
    return 1;
  }
  for (t = 0; t < n; t++)
    x[t * V + codes[t]] = 1.0f;
  out = run_model (model, x, n, error);
  if (out == NULL)
    return 1;
  for (t = 0; t < n; t++) {
    double p = out[t * V + codes[t + 1]];
    ce += -log (MAX (p, 1e-30));
    right += lstm_tool_argmax (out + t * V, V) == codes[t + 1];
  }
  ce /= n;
  printf ("%" G_GSIZE_FORMAT " characters predicted\n", n);
  printf ("cross_entropy %.6f nats/char (%.4f bits/char, perplexity %.3f)\n",
      ce, ce / log (2), exp (ce));
  printf ("accuracy %.4f\n", (double) right / n);
  return 0;
}

int
lstm_tool_eval (int argc, char **argv, GError **error)
{
  Args a = { 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) opt_error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *data;
  int ret = 1;
  GOptionEntry entries[] = {
    {"series", 0, 0, G_OPTION_ARG_FILENAME, &a.series,
        "Time series CSV: RMSE and MAE against persistence, or with "
        "--label-column classification metrics", "CSV"},
    {"columns", 0, 0, G_OPTION_ARG_STRING, &a.columns,
        "Input columns (default: as trained)", "A,B"},
    {"targets", 0, 0, G_OPTION_ARG_STRING, &a.targets,
        "Forecast columns (default: as trained)", "A,B"},
    {"horizon", 0, 0, G_OPTION_ARG_INT, &a.horizon,
        "Rows ahead (default: as trained)", "N"},
    {"skip", 0, 0, G_OPTION_ARG_INT, &a.skip,
        "Run but do not score the first N frames (warm-up)", "N"},
    {"label-column", 0, 0, G_OPTION_ARG_STRING, &a.label_column,
        "Column of per-row labels (default: as trained)", "NAME"},
    {"sequence-column", 0, 0, G_OPTION_ARG_STRING, &a.sequence_column,
        "Rows with one id form one sequence (default: as trained)", "NAME"},
    {"text", 0, 0, G_OPTION_ARG_FILENAME, &a.text,
        "Text: cross-entropy and accuracy of a character model", "FILE"},
    {"manifest", 0, 0, G_OPTION_ARG_FILENAME, &a.manifest,
        "Audio: clips (audio,label) or recordings with label tracks "
        "(audio,labels.txt)", "CSV"},
    {"smoothing", 0, 0, G_OPTION_ARG_INT, &a.smoothing,
        "Label tracks: frames of moving average before the label decision "
        "(default 1: none)", "N"},
    {"threshold", 0, 0, G_OPTION_ARG_DOUBLE, &a.threshold,
        "Label tracks: below this best score a frame is 'unknown' "
        "(default 0)", "X"},
    {"min-duration", 0, 0, G_OPTION_ARG_DOUBLE, &a.min_duration,
        "Label tracks: seconds a new label must hold before it opens a "
        "segment (default 0)", "S"},
    {"background", 0, 0, G_OPTION_ARG_STRING, &a.background,
        "Label tracks: the class of frames outside the stretches "
        "(default: as trained)", "LABEL"},
    {NULL}
  };

  ctx = g_option_context_new ("MODEL");
  g_option_context_set_summary (ctx, "Measures a trained model:\n"
      "  --series CSV      forecast RMSE and MAE, against persistence\n"
      "  --series CSV --label-column NAME   accuracy, precision, recall, "
      "F1, confusion\n"
      "  --text FILE       cross-entropy of a character model\n"
      "  --manifest CSV    clips: accuracy, precision, recall, F1, "
      "confusion;\n"
      "                    label tracks: frame accuracy and segment scores");
  g_option_context_add_main_entries (ctx, entries, NULL);
  a.horizon = -1;
  a.smoothing = 1;
  if (!g_option_context_parse (ctx, &argc, &argv, &opt_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s",
        opt_error->message);
    goto out;
  }
  if (argc != 2 || (a.series != NULL) + (a.text != NULL) +
      (a.manifest != NULL) != 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "usage: lstm eval MODEL --series CSV | --text FILE | --manifest CSV");
    goto out;
  }
  if (a.smoothing < 1 || !(a.threshold >= 0 && a.threshold <= 1) ||
      !(a.min_duration >= 0 && isfinite (a.min_duration))) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--smoothing must be at least 1, --threshold in [0, 1] and "
        "--min-duration a non-negative number of seconds");
    goto out;
  }
  if (a.skip < 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--skip cannot be negative");
    goto out;
  }
  model = lstm_model_load (argv[1], error);
  if (model == NULL)
    goto out;
  data = training_data (model, parser);

  if (a.manifest) {
    LstmToolSegmentScoring sc = { 0 };
    sc.smoothing = (guint) a.smoothing;
    sc.threshold = a.threshold;
    sc.min_duration = a.min_duration;
    sc.background = a.background;
    if (sc.background == NULL && data != NULL) {
      sc.background = json_object_get_string_member_with_default (data,
          "background", NULL);
      sc.background_from_training = sc.background != NULL;
    }
    ret = lstm_tool_eval_manifest (model, a.manifest, &sc, error);
  } else if (a.text) {
    ret = eval_text (model, &a, error);
  } else {
    g_autoptr (LstmToolTable) t = lstm_tool_table_read (a.series, error);
    if (t == NULL)
      goto out;
    if (a.label_column == NULL && data != NULL)
      a.label_column = g_strdup (json_object_get_string_member_with_default
          (data, "label_column", NULL));
    if (a.sequence_column == NULL && data != NULL && a.label_column)
      a.sequence_column = g_strdup
          (json_object_get_string_member_with_default (data,
              "sequence_column", NULL));
    if (a.columns == NULL)
      a.columns = names_member (data, "columns");
    if (a.label_column) {
      ret = eval_labels (model, &a, t, error);
    } else {
      if (a.targets == NULL)
        a.targets = names_member (data, "targets");
      if (a.horizon < 0)
        a.horizon = data ? (gint) json_object_get_int_member_with_default
            (data, "horizon", 1) : 1;
      if (a.horizon < 1) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--horizon must be at least 1");
        goto out;
      }
      ret = eval_forecast (model, &a, t, error);
    }
  }

out:
  g_free (a.series);
  g_free (a.text);
  g_free (a.manifest);
  g_free (a.columns);
  g_free (a.targets);
  g_free (a.label_column);
  g_free (a.sequence_column);
  g_free (a.background);
  return ret;
}
