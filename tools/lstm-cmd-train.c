/* lstm train: train a model from a time series, labelled frames or text
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * About 1500 lines: one reader per kind of data (series, labelled series,
 * text, clips, label tracks) and the training defaults of each kind (the
 * series' sizes and schedule, the clips' augmented balancing) beside the
 * command itself; the model recipes (lstm_model_new_from_recipe(), and for
 * forecasters lstm_model_new_for_series(): residual output, lags and their
 * least-squares start), the training options and the statistics are
 * liblstm's.
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "lstm-train-tool.h"

/* --series forecasts (without --label-column) take liblstm's training
 * defaults of forecasters (lstm_train_settings_apply_series_defaults(): a
 * GRU of 32, 200 epochs, windows of 32, patience 10, Adam 3e-3, lanes and
 * weight decay by the number of rows) and its recipe of new forecasters
 * (lstm_model_new_for_series()), as lstmtrain mode=forecast does. */
/* --augment not given: 1 augmented copy per clip on average */
#define AUGMENT_DEFAULT G_MININT
/* clips: at most 100 epochs, stopping after 20 without a better validation
 * loss. Chosen with tests/data/clips/cross_split.py over six by-source
 * splits: with a validation set of a few clips per class, a shorter
 * patience stops on noise (60 epochs and patience 10 lost to the linear
 * baseline on one split of four) */
#define CLIP_EPOCHS 100
#define CLIP_PATIENCE 20

typedef struct {
  gchar *series, *text, *manifest;
  gchar *columns, *targets, *label_column, *sequence_column;
  gint horizon, chunk;
  /* the model and training options, shared with lstmtrain (the table of
   * lstm_train_options_list()); the names given on the command line */
  LstmTrainSettings st;
  GHashTable *given;
  /* copies of st's, for the data readers */
  gint batch_size;
  gdouble val_fraction;
  gint64 seed;
  gchar *init, *output, *plot, *curve, *checkpoint;
  gboolean resume, quiet;
  gchar *features, *background;         /* --manifest */
  gboolean every_frame;
  gchar *mix_with;                      /* --manifest clips */
  gchar *val_manifest;                  /* clips: the validation clips */
  gint augment;                         /* copies per clip, on average */
  gboolean no_augment, no_balance;
} Args;

/* What the data became. */
typedef struct {
  LstmDataset *train;
  LstmDataset *val;                     /* or NULL */
  guint input_size;
  guint output_size;
  LstmTask task;
  gchar **labels;                       /* classification: class names */
  float *input_mean, *input_std;        /* (input_size) or NULL */
  float *target_mean, *target_std;      /* (output_size) or NULL */
  JsonBuilder *desc;                    /* the "data" record, open object */
  guint64 train_frames, val_frames;
  gchar *features;                      /* audio: the features config */
  gboolean clips;                       /* clips: validation set made here */
  guint n_extra;                        /* clips: augmented or copied */
  LstmModel *model;                     /* new forecasters: made with the
                                         * data (lstm_model_new_for_series) */
  gchar *horizon;                       /* fine-tuned forecasters:
                                         * lstm.horizon */
  gboolean residual;                    /* forecasters: residual output */
} Data;

static void
data_clear (Data *d)
{
  g_clear_pointer (&d->train, lstm_dataset_free);
  g_clear_pointer (&d->val, lstm_dataset_free);
  g_clear_pointer (&d->labels, g_strfreev);
  g_clear_pointer (&d->input_mean, g_free);
  g_clear_pointer (&d->input_std, g_free);
  g_clear_pointer (&d->target_mean, g_free);
  g_clear_pointer (&d->target_std, g_free);
  g_clear_pointer (&d->features, g_free);
  g_clear_pointer (&d->model, lstm_model_unref);
  g_clear_pointer (&d->horizon, g_free);
  g_clear_object (&d->desc);
}

/* ---- SIGINT: stop after the current step, save, exit 130 ---- */

static volatile sig_atomic_t interrupted = 0;

static void
on_sigint (int sig)
{
  (void) sig;
  interrupted = 1;
  signal (SIGINT, SIG_DFL);             /* a second Ctrl-C kills */
}

/* ---- progress ---- */

typedef struct {
  gboolean tty;
  gboolean quiet;
  gint64 last_draw;
  gboolean line_open;
} Progress;

static void
format_acc (gchar *buf, gsize n, const gchar *name, double v)
{
  if (isfinite (v))
    g_snprintf (buf, n, "  %s %.2f%%", name, 100 * v);
  else
    buf[0] = '\0';
}

static gboolean
on_progress (const LstmTrainProgress *p, gpointer data)
{
  Progress *pr = data;

  if (interrupted)
    return FALSE;
  if (pr->quiet)
    return TRUE;
  if (p->epoch_done) {
    gchar vl[48] = "", acc[48], vacc[48];
    if (isfinite (p->val_loss))
      g_snprintf (vl, sizeof vl, "  val_loss %.5f", p->val_loss);
    format_acc (acc, sizeof acc, "accuracy", p->accuracy);
    format_acc (vacc, sizeof vacc, "val_accuracy", p->val_accuracy);
    if (pr->line_open)
      fprintf (stderr, "\r\033[K");
    fprintf (stderr, "epoch %u/%u  loss %.5f%s%s%s  %.0f frames/s  lr %.3g\n",
        p->epoch, p->n_epochs, p->loss, vl, acc, vacc, p->frames_per_second,
        p->learning_rate);
    pr->line_open = FALSE;
    return TRUE;
  }
  if (pr->tty) {
    gint64 now = g_get_monotonic_time ();
    if (now - pr->last_draw >= 100000) {
      gchar bar[31];
      guint filled = (guint) (p->epoch_fraction * 30 + 0.5), i;
      for (i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '-';
      bar[30] = '\0';
      fprintf (stderr, "\r\033[Kepoch %u/%u [%s] %3.0f%%  loss %.5f  %.0f "
          "frames/s", p->epoch, p->n_epochs, bar, 100 * p->epoch_fraction,
          p->loss, p->frames_per_second);
      pr->last_draw = now;
      pr->line_open = TRUE;
    }
  }
  return TRUE;
}

/* ---- data ---- */

static void
desc_str (JsonBuilder *b, const gchar *k, const gchar *v)
{
  json_builder_set_member_name (b, k);
  json_builder_add_string_value (b, v);
}

static void
desc_int (JsonBuilder *b, const gchar *k, gint64 v)
{
  json_builder_set_member_name (b, k);
  json_builder_add_int_value (b, v);
}

static void
desc_names (JsonBuilder *b, const gchar *k, LstmToolTable *t, const gint *cols,
    guint n)
{
  guint i;
  json_builder_set_member_name (b, k);
  json_builder_begin_array (b);
  for (i = 0; i < n; i++)
    json_builder_add_string_value (b, t->names[cols[i]]);
  json_builder_end_array (b);
}

/* Mean and standard deviation of @n frames of @dim values, as liblstm
 * computes them for every front end, into new arrays. */
static void
column_stats (const float *x, gsize n, guint dim, float **mean_out,
    float **std_out)
{
  *mean_out = g_new0 (float, dim);
  *std_out = g_new0 (float, dim);
  lstm_compute_statistics (x, n, dim, NULL, *mean_out, *std_out);
}

/* Frames [0, n) are cut into training sequences: of @chunk frames, or
 * (chunk 0) into @lanes contiguous pieces, one per mini-batch lane. */
static gsize
piece_length (gsize n, gint chunk, gint lanes)
{
  if (chunk > 0)
    return (gsize) chunk;
  return MAX ((n + lanes - 1) / MAX (lanes, 1), 1);
}

static gboolean
add_values (LstmDataset *ds, const float *x, const float *y, gsize n,
    guint I, guint O, gsize piece, GError **error)
{
  gsize off;
  for (off = 0; off < n; off += piece) {
    gsize len = MIN (piece, n - off);
    if (!lstm_dataset_add_with_values (ds, x + off * I, len, y + off * O,
            NULL, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
add_classes (LstmDataset *ds, const float *x, const guint *c, gsize n,
    guint I, gsize piece, GError **error)
{
  gsize off;
  for (off = 0; off < n; off += piece) {
    gsize len = MIN (piece, n - off);
    if (!lstm_dataset_add_with_frame_classes (ds, x + off * I, len, c + off,
            error))
      return FALSE;
  }
  return TRUE;
}

static gsize
val_count (gsize n, double fraction)
{
  return fraction > 0 ? (gsize) floor (n * fraction) : 0;
}

/* The residual of a new forecast model: @res ((O)) gets the input index of
 * every target column; FALSE when a target is not an input column. */
static gboolean
series_residual (const gint *in_cols, guint n_in, const gint *tg_cols,
    guint n_tg, guint *res)
{
  guint i, j;

  for (j = 0; j < n_tg; j++) {
    i = 0;
    while (i < n_in && in_cols[i] != tg_cols[j])
      i++;
    if (i == n_in)
      return FALSE;
    res[j] = i;
  }
  return TRUE;
}

/* A new forecaster, by liblstm's recipe of forecasters (residual output,
 * lags, their least-squares start) from the frames x ((M, I)) and their
 * targets yt ((M, O)), of which the first n_train are training rows. */
static gboolean
series_model (Args *a, Data *d, const float *x, const float *yt, gsize M,
    gsize n_train, const guint *res, GError **error)
{
  LstmModelRecipe r = a->st.model;
  LstmSeriesRows rows = { 0 };
  LstmSeriesFit fit = { 0 };
  guint q;

  r.input_size = d->input_size;
  r.output_size = d->output_size;
  r.labels = (const gchar * const *) d->labels;
  rows.inputs = x;
  rows.targets = yt;
  rows.n_rows = M;
  rows.n_train = n_train;
  rows.residual = res;
  rows.horizon = (guint) a->horizon;
  d->model = lstm_model_new_for_series (&r, &a->st.series, &rows, &fit,
      error);
  if (d->model == NULL)
    return FALSE;
  d->target_mean = g_steal_pointer (&fit.target_mean);
  d->target_std = g_steal_pointer (&fit.target_std);
  if (fit.n_lags > 0) {
    desc_int (d->desc, "season", fit.season);
    json_builder_set_member_name (d->desc, "lags");
    json_builder_begin_array (d->desc);
    for (q = 0; q < fit.n_lags; q++)
      json_builder_add_int_value (d->desc, fit.lags[q]);
    json_builder_end_array (d->desc);
  }
  d->residual = fit.residual;
  lstm_series_fit_clear (&fit);
  return TRUE;
}

/* --series without --label-column: forecast the target columns --horizon
 * frames ahead. A new model predicts the change from each target's input
 * value (lstm.residual) unless --no-residual or a target is not an input:
 * its target scaling is then that of the differences. */
static gboolean
series_forecast (Args *a, LstmToolTable *t, LstmModel *init, Data *d,
    GError **error)
{
  g_autofree gint *in_cols = NULL, *tg_cols = NULL;
  g_autofree float *x = NULL, *y = NULL, *yt = NULL;
  g_autofree guint *res = NULL;
  guint I, O, n_in, n_tg;
  gsize N, M, n_val, n_train, t_, piece;
  gint h = a->horizon;

  in_cols = lstm_tool_table_columns (t, a->columns, NULL, 0, &n_in, error);
  if (in_cols == NULL)
    return FALSE;
  tg_cols = a->targets ? lstm_tool_table_columns (t, a->targets, NULL, 0, &n_tg,
      error) : g_memdup2 (in_cols, n_in * sizeof (gint));
  if (tg_cols == NULL)
    return FALSE;
  if (!a->targets)
    n_tg = n_in;
  I = n_in;
  O = n_tg;
  N = t->n_rows;
  if (N <= (gsize) h + 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: %" G_GSIZE_FORMAT " rows leave no frame with a "
        "target %d rows ahead", t->path, N, h);
    return FALSE;
  }
  x = g_new (float, N * I);
  y = g_new (float, N * O);
  if (!lstm_tool_table_numbers (t, in_cols, n_in, x, error) ||
      !lstm_tool_table_numbers (t, tg_cols, n_tg, y, error))
    return FALSE;
  /* frame t predicts the targets of row t + h */
  M = N - h;
  yt = g_new (float, M * O);
  for (t_ = 0; t_ < M; t_++)
    memcpy (yt + t_ * O, y + (t_ + h) * O, O * sizeof (float));
  n_val = val_count (M, a->val_fraction);
  n_train = M - n_val;
  if (n_train < 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: %" G_GSIZE_FORMAT " training frames", t->path,
        n_train);
    return FALSE;
  }
  if (init != NULL && (lstm_model_get_input_size (init) != I ||
          lstm_model_get_output_size (init) != O)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: takes %u inputs and gives %u outputs; the data have %u input "
        "and %u target columns", a->init, lstm_model_get_input_size (init),
        lstm_model_get_output_size (init), I, O);
    return FALSE;
  }
  d->input_size = I;
  d->output_size = O;
  d->task = LSTM_TASK_FORECAST;
  d->labels = g_new0 (gchar *, O + 1);
  for (t_ = 0; t_ < O; t_++)
    d->labels[t_] = g_strdup (t->names[tg_cols[t_]]);
  /* liblstm's training defaults of forecasters, where not given */
  {
    g_autofree const gchar **given = (const gchar **)
        g_hash_table_get_keys_as_array (a->given, NULL);
    lstm_train_settings_apply_series_defaults (&a->st, n_train, given);
    a->batch_size = (gint) a->st.trainer.batch_size;
  }
  if (init == NULL) {
    res = g_new0 (guint, O);
    if (!series_residual (in_cols, n_in, tg_cols, n_tg, res))
      g_clear_pointer (&res, g_free);
    if (!series_model (a, d, x, yt, M, n_train, res, error))
      return FALSE;
  } else {
    d->horizon = g_strdup_printf ("%d", h);
  }
  d->train = lstm_dataset_new (I, LSTM_TARGET_FRAME_VALUES, O, error);
  if (d->train == NULL)
    return FALSE;
  piece = piece_length (n_train, a->chunk, a->batch_size);
  if (!add_values (d->train, x, yt, n_train, I, O, piece, error))
    return FALSE;
  if (n_val > 0) {
    /* the validation rows are scored after the training rows have run
     * through the model (its state then holds what it would in use),
     * not from a cold start */
    g_autofree guint8 *mask = g_new0 (guint8, M);
    memset (mask + n_train, 1, n_val);
    d->val = lstm_dataset_new (I, LSTM_TARGET_FRAME_VALUES, O, error);
    if (!lstm_dataset_add_with_values (d->val, x, M, yt, mask, error))
      return FALSE;
  }
  d->train_frames = n_train;
  d->val_frames = n_val;
  desc_str (d->desc, "kind", "series");
  desc_names (d->desc, "columns", t, in_cols, n_in);
  desc_names (d->desc, "targets", t, tg_cols, n_tg);
  desc_int (d->desc, "horizon", h);
  desc_str (d->desc, "output", d->residual ? "residual" : "level");
  desc_int (d->desc, "rows", (gint64) N);
  return TRUE;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* --series with --label-column: a class per frame (an empty cell: none). */
static gboolean
series_labels (Args *a, LstmToolTable *t, LstmModel *init, Data *d,
    GError **error)
{
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree gint *in_cols = NULL;
  g_autofree float *x = NULL;
  g_autofree guint *cls = NULL;
  gint excl[2], lc, sc = -1;
  guint I, n_in, n_excl = 0, k;
  gsize N, r, n_val, n_train, piece;

  lc = lstm_tool_table_column (t, a->label_column, error);
  if (lc < 0)
    return FALSE;
  excl[n_excl++] = lc;
  if (a->sequence_column) {
    sc = lstm_tool_table_column (t, a->sequence_column, error);
    if (sc < 0)
      return FALSE;
    excl[n_excl++] = sc;
  }
  in_cols = lstm_tool_table_columns (t, a->columns, excl, n_excl, &n_in, error);
  if (in_cols == NULL)
    return FALSE;
  I = n_in;
  N = t->n_rows;
  if (N == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: no rows", t->path);
    return FALSE;
  }
  x = g_new (float, N * I);
  if (!lstm_tool_table_numbers (t, in_cols, n_in, x, error))
    return FALSE;

  /* the classes: the model's labels, or the sorted distinct cells */
  if (init != NULL) {
    const gchar *const *ml = lstm_model_get_labels (init);
    if (ml == NULL || lstm_model_get_input_size (init) != I) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: needs labels and %u inputs to fine-tune on %s", a->init, I,
          t->path);
      return FALSE;
    }
    d->labels = g_strdupv ((gchar **) ml);
  } else {
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    for (r = 0; r < N; r++) {
      gchar *c = t->cells[r * t->n_cols + lc];
      if (*c && !g_hash_table_contains (index, c)) {
        g_hash_table_add (index, c);
        g_ptr_array_add (names, c);
      }
    }
    if (names->len < 2) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: column '%s' holds %u distinct labels; classification needs "
          "at least 2", t->path, a->label_column, names->len);
      return FALSE;
    }
    qsort (names->pdata, names->len, sizeof (gpointer), cmp_str);
    d->labels = g_new0 (gchar *, names->len + 1);
    for (k = 0; k < names->len; k++)
      d->labels[k] = g_strdup (names->pdata[k]);
    g_hash_table_remove_all (index);
  }
  for (k = 0; d->labels[k]; k++)
    g_hash_table_insert (index, d->labels[k], GUINT_TO_POINTER (k + 1));
  cls = g_new (guint, N);
  for (r = 0; r < N; r++) {
    gchar *c = t->cells[r * t->n_cols + lc];
    guint v = GPOINTER_TO_UINT (g_hash_table_lookup (index, c));
    if (*c == '\0')
      cls[r] = LSTM_TARGET_IGNORE;
    else if (v == 0) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u: unknown label '%s' (the model's labels do not include it)",
          t->path, t->lines[r], c);
      return FALSE;
    } else
      cls[r] = v - 1;
  }
  d->input_size = I;
  d->output_size = g_strv_length (d->labels);
  d->task = LSTM_TASK_CLASSIFICATION;
  d->train = lstm_dataset_new (I, LSTM_TARGET_FRAME_CLASS, d->output_size,
      error);
  if (d->train == NULL)
    return FALSE;

  if (sc >= 0) {
    /* one sequence per run of equal ids; the trainer holds out a random
     * fraction of the sequences for validation */
    gsize start = 0;
    for (r = 1; r <= N; r++)
      if (r == N || strcmp (t->cells[r * t->n_cols + sc],
              t->cells[start * t->n_cols + sc]) != 0) {
        if (!lstm_dataset_add_with_frame_classes (d->train, x + start * I,
                r - start, cls + start, error))
          return FALSE;
        start = r;
      }
    d->train_frames = N;
  } else {
    n_val = val_count (N, a->val_fraction);
    n_train = N - n_val;
    if (n_train < 1) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: empty dataset: no training frame", t->path);
      return FALSE;
    }
    piece = piece_length (n_train, a->chunk, a->batch_size);
    if (!add_classes (d->train, x, cls, n_train, I, piece, error))
      return FALSE;
    if (n_val > 0) {
      d->val = lstm_dataset_new (I, LSTM_TARGET_FRAME_CLASS, d->output_size,
          error);
      if (!lstm_dataset_add_with_frame_classes (d->val, x + n_train * I,
              n_val, cls + n_train, error))
        return FALSE;
    }
    d->train_frames = n_train;
    d->val_frames = n_val;
  }
  if (init == NULL)
    column_stats (x, d->train_frames, I, &d->input_mean, &d->input_std);
  desc_str (d->desc, "kind", "labelled-series");
  desc_names (d->desc, "columns", t, in_cols, n_in);
  desc_str (d->desc, "label_column", a->label_column);
  if (a->sequence_column)
    desc_str (d->desc, "sequence_column", a->sequence_column);
  desc_int (d->desc, "rows", (gint64) N);
  return TRUE;
}

/* --text: a character model predicting the next character. */
static gboolean
text_data (Args *a, LstmModel *init, Data *d, GError **error)
{
  g_autoptr (LstmToolText) text = lstm_tool_text_read (a->text, error);
  g_autofree guint *codes = NULL, *next = NULL;
  g_autofree float *x = NULL;
  gsize M, n_val, n_train, t, piece;
  guint V;

  if (text == NULL)
    return FALSE;
  if (text->n < 3) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: %" G_GSIZE_FORMAT " characters", a->text,
        text->n);
    return FALSE;
  }
  if (init != NULL) {
    if (!lstm_tool_is_char_model (init, error))
      return FALSE;
    d->labels = g_strdupv ((gchar **) lstm_model_get_labels (init));
  } else {
    d->labels = lstm_tool_text_vocabulary (text);
  }
  V = g_strv_length (d->labels);
  codes = lstm_tool_text_encode (text, (const gchar * const *) d->labels,
      a->text, error);
  if (codes == NULL)
    return FALSE;
  /* frame t: one-hot character t; target: character t + 1 */
  M = text->n - 1;
  if (M > G_MAXSIZE / sizeof (float) / V) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: too large for one-hot frames", a->text);
    return FALSE;
  }
  x = g_try_new0 (float, M * V);
  if (x == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not enough memory for %" G_GSIZE_FORMAT " one-hot frames of %u "
        "characters", a->text, M, V);
    return FALSE;
  }
  next = g_new (guint, M);
  for (t = 0; t < M; t++) {
    x[t * V + codes[t]] = 1.0f;
    next[t] = codes[t + 1];
  }
  n_val = val_count (M, a->val_fraction);
  n_train = M - n_val;
  d->input_size = V;
  d->output_size = V;
  d->task = LSTM_TASK_CLASSIFICATION;
  d->train = lstm_dataset_new (V, LSTM_TARGET_FRAME_CLASS, V, error);
  if (d->train == NULL)
    return FALSE;
  piece = piece_length (n_train, a->chunk, a->batch_size);
  if (!add_classes (d->train, x, next, n_train, V, piece, error))
    return FALSE;
  if (n_val > 0) {
    d->val = lstm_dataset_new (V, LSTM_TARGET_FRAME_CLASS, V, error);
    if (!lstm_dataset_add_with_frame_classes (d->val, x + n_train * V, n_val,
            next + n_train, error))
      return FALSE;
  }
  d->train_frames = n_train;
  d->val_frames = n_val;
  desc_str (d->desc, "kind", "text");
  desc_int (d->desc, "characters", (gint64) text->n);
  desc_int (d->desc, "vocabulary", V);
  /* the validation part is the last validation_frames + 1 characters */
  desc_int (d->desc, "validation_from_character", (gint64) n_train);
  return TRUE;
}

/* Clips: a validation set drawn from the originals of each class (seeded,
 * stratified, so that no copy of a validation clip is trained on), then a
 * training set in which every class has as many clips: the originals plus
 * augmented copies (or, with --no-augment, exact copies) of the smaller
 * classes' clips, (1 + --augment) x the mean class size per class. */
typedef struct {
  guint *order;                 /* clips of one class, shuffled */
  guint n;
} ClassClips;

static gboolean
clip_add (LstmDataset *ds, const float *frames, gsize n, guint target,
    guint64 *frames_total, GError **error)
{
  *frames_total += n;
  return lstm_dataset_add_with_class (ds, frames, n, target, error);
}

static gboolean
clips_data (Args *a, LstmToolManifest *m, LstmToolManifestItem *items,
    LstmFeatures *f, LstmModel *init, Data *d, GError **error)
{
  const guint C = d->output_size, I = d->input_size;
  g_autoptr (GRand) rng = g_rand_new_with_seed ((guint32) (a->seed ^
          0x636c6970));
  g_autofree ClassClips *cls = g_new0 (ClassClips, C);
  g_autofree gboolean *is_val = g_new0 (gboolean, m->n_rows);
  g_autofree float **bg = NULL;
  g_autofree gsize *n_bg = NULL;
  g_auto (GStrv) mix = NULL;
  LstmToolAugment aug;
  guint i, c, k, n_train = 0, n_mix = 0, target, copies;
  guint64 n_aug = 0, n_dup = 0;
  gsize min_n = lstm_features_get_window (f);
  gboolean ok = FALSE, augment = !a->no_augment;

  lstm_tool_augment_init (&aug);
  for (i = 0; i < m->n_rows; i++)
    cls[items[i].target].n++;
  for (c = 0; c < C; c++) {
    cls[c].order = g_new (guint, MAX (cls[c].n, 1));
    cls[c].n = 0;
  }
  for (i = 0; i < m->n_rows; i++) {
    ClassClips *cc = &cls[items[i].target];
    cc->order[cc->n++] = i;
  }

  /* validation: round(fraction x n) clips of each class of 2 or more */
  for (c = 0; c < C; c++) {
    ClassClips *cc = &cls[c];
    guint n_val = cc->n >= 2 && a->val_manifest == NULL ?
        (guint) floor (a->val_fraction * cc->n + 0.5) : 0;
    for (k = cc->n; k > 1; k--) {
      guint j = (guint) g_rand_int_range (rng, 0, (gint32) k), t;
      t = cc->order[k - 1];
      cc->order[k - 1] = cc->order[j];
      cc->order[j] = t;
    }
    n_val = MIN (n_val, cc->n - 1);
    for (k = 0; k < n_val; k++)
      is_val[cc->order[k]] = TRUE;
    memmove (cc->order, cc->order + n_val, (cc->n - n_val) * sizeof (guint));
    cc->n -= n_val;
    n_train += cc->n;
    if (n_val > 0 && d->val == NULL) {
      d->val = lstm_dataset_new (I, LSTM_TARGET_SEQUENCE_CLASS, C, error);
      if (d->val == NULL)
        goto out;
    }
  }

  /* or the clips of --val-manifest (other sources, say) */
  if (a->val_manifest != NULL) {
    g_autoptr (LstmToolManifest) vm = lstm_tool_manifest_read (a->val_manifest,
        error);
    if (vm == NULL)
      goto out;
    if (vm->kind != LSTM_TOOL_MANIFEST_CLIPS) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--val-manifest %s: holds label tracks; the training manifest "
          "holds clips", a->val_manifest);
      goto out;
    }
    d->val = lstm_dataset_new (I, LSTM_TARGET_SEQUENCE_CLASS, C, error);
    if (d->val == NULL)
      goto out;
    for (i = 0; i < vm->n_rows; i++) {
      LstmToolManifestItem it;
      gboolean added = lstm_tool_manifest_load_item (vm, i, f,
          (const gchar * const *) d->labels, LSTM_TARGET_IGNORE, &it,
          error) && clip_add (d->val, it.frames, it.n_frames, it.target,
          &d->val_frames, error);
      lstm_tool_manifest_item_clear (&it);
      if (!added)
        goto out;
    }
  }

  /* input normalisation from the training originals */
  if (init == NULL) {
    guint64 total = 0, off = 0;
    g_autofree float *x = NULL;
    for (i = 0; i < m->n_rows; i++)
      if (!is_val[i])
        total += items[i].n_frames;
    x = g_try_new (float, total * I);
    if (x == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: not enough memory for %" G_GUINT64_FORMAT " frames",
          a->manifest, total);
      goto out;
    }
    for (i = 0; i < m->n_rows; i++)
      if (!is_val[i]) {
        memcpy (x + off * I, items[i].frames, items[i].n_frames * I *
            sizeof (float));
        off += items[i].n_frames;
      }
    column_stats (x, total, I, &d->input_mean, &d->input_std);
  }

  d->train = lstm_dataset_new (I, LSTM_TARGET_SEQUENCE_CLASS, C, error);
  if (d->train == NULL)
    goto out;
  for (i = 0; i < m->n_rows; i++)
    if (!clip_add (is_val[i] ? d->val : d->train, items[i].frames,
            items[i].n_frames, items[i].target, is_val[i] ? &d->val_frames :
            &d->train_frames, error))
      goto out;

  /* backgrounds to mix in: the training clips of the --mix-with labels */
  if (augment && a->mix_with != NULL) {
    mix = g_strsplit (a->mix_with, ",", -1);
    for (k = 0; mix[k]; k++)
      if (!g_strv_contains ((const gchar * const *) d->labels, mix[k])) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--mix-with: '%s' is not a label of %s", mix[k], a->manifest);
        goto out;
      }
    bg = g_new0 (float *, m->n_rows);
    n_bg = g_new0 (gsize, m->n_rows);
    for (i = 0; i < m->n_rows; i++)
      if (!is_val[i] && g_strv_contains ((const gchar * const *) mix,
              d->labels[items[i].target])) {
        bg[n_mix] = lstm_tool_audio_read_mono (m->rows[i].audio, f,
            &n_bg[n_mix], error);
        if (bg[n_mix] == NULL)
          goto out;
        n_mix++;
      }
  }

  /* balance: every class up to (1 + augment) x the mean class size */
  copies = a->augment == AUGMENT_DEFAULT ? 1 : (guint) a->augment;
  target = a->no_balance ? 0 : (guint) ceil ((1.0 + (augment ? copies : 0)) *
      n_train / C);
  for (c = 0; c < C; c++) {
    ClassClips *cc = &cls[c];
    guint extra = a->no_balance ? (augment ? cc->n * copies : 0)
        : target > cc->n ? target - cc->n : 0;
    if (cc->n == 0 || extra == 0)
      continue;
    /* clip order[k % n] gets copy k: each source is read once */
    for (k = 0; k < cc->n; k++) {
      const LstmToolManifestItem *it = &items[cc->order[k]];
      guint n_copies = extra / cc->n + (k < extra % cc->n), j;
      g_autofree float *x = NULL;
      gsize n_x = 0;

      if (n_copies == 0)
        continue;
      if (!augment) {
        for (j = 0; j < n_copies; j++, n_dup++)
          if (!clip_add (d->train, it->frames, it->n_frames, it->target,
                  &d->train_frames, error))
            goto out;
        continue;
      }
      x = lstm_tool_audio_read_mono (m->rows[cc->order[k]].audio, f, &n_x,
          error);
      if (x == NULL)
        goto out;
      for (j = 0; j < n_copies; j++, n_aug++) {
        guint b = n_mix ? (guint) g_rand_int_range (rng, 0, (gint32) n_mix)
            : 0;
        gsize n_y, n_fr;
        g_autofree float *y = lstm_tool_augment_waveform (&aug, rng, x, n_x,
            min_n, n_mix ? bg[b] : NULL, n_mix ? n_bg[b] : 0, &n_y);
        g_autofree float *fr = g_new (float, (lstm_features_max_frames (f,
                    n_y) + lstm_features_max_flush_frames (f) + 1) * I);
        lstm_features_reset (f);
        n_fr = lstm_features_process (f, y, n_y, fr);
        n_fr += lstm_features_flush (f, fr + n_fr * I);
        lstm_features_reset (f);
        if (n_fr == 0)
          continue;
        if (d->input_mean != NULL)    /* masks: to the mean, 0 normalised */
          lstm_tool_augment_mask (&aug, rng, fr, n_fr, I, d->input_mean);
        if (!clip_add (d->train, fr, n_fr, it->target, &d->train_frames,
                error))
          goto out;
      }
    }
  }
  d->clips = TRUE;
  d->n_extra = (guint) (n_aug + n_dup);
  desc_int (d->desc, "validation_clips", d->val ?
      lstm_dataset_get_n_sequences (d->val) : 0);
  desc_int (d->desc, "augmented_clips", (gint64) n_aug);
  desc_int (d->desc, "duplicated_clips", (gint64) n_dup);
  if (n_mix > 0)
    desc_str (d->desc, "mix_with", a->mix_with);
  ok = TRUE;

out:
  for (c = 0; c < C; c++)
    g_free (cls[c].order);
  for (i = 0; i < n_mix; i++)
    g_free (bg[i]);
  return ok;
}

/* --manifest: audio clips with a class each, or recordings with a label
 * track each. Features as lstm features / lstm run compute them. */
static gboolean
manifest_data (Args *a, LstmModel *init, Data *d, GError **error)
{
  g_autoptr (LstmToolManifest) m = lstm_tool_manifest_read (a->manifest, error);
  g_autoptr (LstmFeatures) f = NULL;
  g_autofree LstmToolManifestItem *items = NULL;
  g_autofree float *x = NULL;
  guint I, k, i, background = LSTM_TARGET_IGNORE;
  gsize total = 0, labelled = 0, off;
  gboolean tty = !a->quiet && isatty (fileno (stderr)), ok = FALSE;

  if (m == NULL)
    return FALSE;
  if (a->background && m->kind != LSTM_TOOL_MANIFEST_TRACKS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: --background applies to recordings with label tracks, not to "
        "clips", a->manifest);
    return FALSE;
  }
  if ((a->every_frame || g_hash_table_contains (a->given, "clip-loss") ||
          a->mix_with || a->augment != AUGMENT_DEFAULT || a->val_manifest ||
          a->no_augment || a->no_balance) &&
      m->kind != LSTM_TOOL_MANIFEST_CLIPS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: --clip-loss, --every-frame, --augment, --no-augment, "
        "--mix-with, --val-manifest and --no-balance apply to clips; label "
        "tracks give every frame its own class already", a->manifest);
    return FALSE;
  }

  /* the features: the fine-tuned model's, or --features */
  if (init != NULL) {
    f = lstm_features_new_for_model (init, error);
    if (f == NULL)
      return FALSE;
    if (a->features) {
      g_autoptr (LstmFeatures) other = lstm_tool_manifest_features_open
          (a->features, error);
      g_autofree gchar *c1 = NULL, *c2 = NULL;
      if (other == NULL)
        return FALSE;
      c1 = lstm_features_get_config (f);
      c2 = lstm_features_get_config (other);
      if (strcmp (c1, c2) != 0) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--features %s differs from the features %s was trained on (%s);"
            " fine-tuning keeps the model's", a->features, a->init, c1);
        return FALSE;
      }
    }
  } else {
    if (a->features == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--manifest needs --features KIND|CONFIG (fbank, mfcc, melspec, "
          "raw, or a JSON configuration inline or in a file)");
      return FALSE;
    }
    f = lstm_tool_manifest_features_open (a->features, error);
    if (f == NULL)
      return FALSE;
  }
  I = lstm_features_get_size (f);
  d->features = lstm_features_get_config (f);

  /* the classes: the model's, or the sorted distinct labels */
  if (init != NULL) {
    const gchar *const *ml = lstm_model_get_labels (init);
    if (ml == NULL || lstm_model_get_task (init) != LSTM_TASK_CLASSIFICATION
        || lstm_model_get_input_size (init) != I) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: needs to be a classifier with labels and %u inputs to "
          "fine-tune on %s", a->init, I, a->manifest);
      return FALSE;
    }
    if (a->background && !g_strv_contains (ml, a->background)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--background '%s' is not one of %s's labels", a->background,
          a->init);
      return FALSE;
    }
    if (!lstm_tool_manifest_check_labels (m, ml, error))
      return FALSE;
    d->labels = g_strdupv ((gchar **) ml);
  } else {
    d->labels = lstm_tool_manifest_labels (m, a->background);
    if (g_strv_length (d->labels) < 2) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: %u distinct label%s; classification needs at least 2%s",
          a->manifest, g_strv_length (d->labels),
          g_strv_length (d->labels) == 1 ? "" : "s",
          m->kind == LSTM_TOOL_MANIFEST_TRACKS && !a->background ?
          " (--background LABEL names the frames outside the stretches)" :
          "");
      return FALSE;
    }
  }
  for (k = 0; d->labels[k]; k++)
    if (a->background && strcmp (d->labels[k], a->background) == 0)
      background = k;
  d->output_size = g_strv_length (d->labels);
  d->input_size = I;
  d->task = LSTM_TASK_CLASSIFICATION;

  /* the frames, file by file */
  items = g_new0 (LstmToolManifestItem, m->n_rows);
  for (i = 0; i < m->n_rows; i++) {
    if (tty)
      fprintf (stderr, "\r\033[Kfeatures: %u/%u files", i + 1, m->n_rows);
    if (!lstm_tool_manifest_load_item (m, i, f,
            (const gchar * const *) d->labels, background, &items[i], error))
      goto out;
    total += items[i].n_frames;
    if (items[i].classes == NULL)
      labelled += 1;
    else
      for (off = 0; off < items[i].n_frames; off++)
        labelled += items[i].classes[off] != LSTM_TARGET_IGNORE;
  }
  if (tty)
    fprintf (stderr, "\r\033[K");
  if (labelled == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: no frame falls inside a labelled stretch",
        a->manifest);
    goto out;
  }
  if (m->kind == LSTM_TOOL_MANIFEST_CLIPS) {
    if (!clips_data (a, m, items, f, init, d, error))
      goto out;
  } else if (init == NULL) {
    /* input normalisation from every frame */
    x = g_try_new (float, total * I);
    if (x == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: not enough memory for %" G_GSIZE_FORMAT " frames", a->manifest,
          total);
      goto out;
    }
    for (i = 0, off = 0; i < m->n_rows; i++) {
      memcpy (x + off * I, items[i].frames, items[i].n_frames * I *
          sizeof (float));
      off += items[i].n_frames;
    }
    column_stats (x, total, I, &d->input_mean, &d->input_std);
    g_clear_pointer (&x, g_free);
  }

  if (m->kind != LSTM_TOOL_MANIFEST_CLIPS) {
    /* recordings cut into pieces as series are (--chunk, or about one per
     * batch lane); pieces without a labelled frame are left out */
    gsize piece = piece_length (total, a->chunk, a->batch_size);
    d->train = lstm_dataset_new (I, LSTM_TARGET_FRAME_CLASS, d->output_size,
        error);
    if (d->train == NULL)
      goto out;
    for (i = 0; i < m->n_rows; i++)
      for (off = 0; off < items[i].n_frames; off += piece) {
        gsize len = MIN (piece, items[i].n_frames - off), t;
        for (t = 0; t < len; t++)
          if (items[i].classes[off + t] != LSTM_TARGET_IGNORE)
            break;
        if (t == len)
          continue;
        if (!lstm_dataset_add_with_frame_classes (d->train,
                items[i].frames + off * I, len, items[i].classes + off,
                error))
          goto out;
      }
  }
  if (m->kind != LSTM_TOOL_MANIFEST_CLIPS)
    d->train_frames = lstm_dataset_get_n_frames (d->train);
  desc_str (d->desc, "kind", m->kind == LSTM_TOOL_MANIFEST_CLIPS ? "clips" :
      "label-tracks");
  desc_int (d->desc, "rows", m->n_rows);
  if (m->kind != LSTM_TOOL_MANIFEST_CLIPS)
    desc_int (d->desc, "labelled_frames", (gint64) labelled);
  if (a->background)
    desc_str (d->desc, "background", a->background);
  ok = TRUE;

out:
  if (tty && !ok)
    fprintf (stderr, "\r\033[K");
  for (i = 0; i < m->n_rows; i++)
    lstm_tool_manifest_item_clear (&items[i]);
  return ok;
}

/* ---- the command ---- */

static gboolean
check_args (Args *a, GError **error)
{
  guint sources = (a->series != NULL) + (a->text != NULL) +
      (a->manifest != NULL);

#define BAD(...) do { g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, \
      __VA_ARGS__); return FALSE; } while (0)
  if (sources != 1)
    BAD ("give exactly one of --series CSV, --text FILE or --manifest CSV");
  if (a->output == NULL)
    BAD ("-o MODEL is required");
  if (a->horizon < 1)
    BAD ("--horizon must be at least 1");
  if (a->chunk < 0)
    BAD ("--chunk cannot be negative");
  if ((g_hash_table_contains (a->given, "lags") ||
          g_hash_table_contains (a->given, "season")) && (a->series == NULL ||
          a->label_column != NULL || a->init != NULL))
    BAD ("--lags and --season apply to new --series forecasters");
  if (a->resume && a->checkpoint == NULL)
    BAD ("--resume needs --checkpoint FILE");
  if (a->text && (a->columns || a->targets || a->label_column))
    BAD ("--columns, --targets and --label-column apply to --series");
  if (a->sequence_column && !a->label_column)
    BAD ("--sequence-column needs --label-column");
  if (a->manifest && (a->columns || a->targets || a->label_column))
    BAD ("--columns, --targets and --label-column apply to --series");
  if (!a->manifest && (a->features || a->background || a->every_frame ||
          g_hash_table_contains (a->given, "clip-loss") || a->mix_with ||
          a->augment != AUGMENT_DEFAULT || a->no_augment || a->no_balance ||
          a->val_manifest))
    BAD ("--features, --background, --clip-loss, --every-frame, --augment, "
        "--no-augment, --mix-with, --val-manifest and --no-balance apply to "
        "--manifest");
  if (a->every_frame && g_hash_table_contains (a->given, "clip-loss"))
    BAD ("--every-frame is --clip-loss every-frame: give one of them");
  if (a->augment != AUGMENT_DEFAULT && a->augment < 0)
    BAD ("--augment cannot be negative");
  if (a->no_augment && (a->augment != AUGMENT_DEFAULT || a->mix_with))
    BAD ("--no-augment contradicts --augment and --mix-with");
#undef BAD
  return TRUE;
}

/* A training option of the table: --NAME VALUE. */
static gboolean
on_train_option (const gchar *option_name, const gchar *value, gpointer data,
    GError **error)
{
  Args *a = data;
  const gchar *name = g_str_has_prefix (option_name, "--") ?
      option_name + 2 : option_name;
  const LstmTrainOption *opt = lstm_train_option_find (name);
  g_autoptr (GError) local = NULL;

  g_assert (opt != NULL);
  if (!lstm_train_option_parse (opt, &a->st, value ? value : "true",
          &local)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s",
        local->message);
    return FALSE;
  }
  g_hash_table_add (a->given, (gpointer) opt->name);
  return TRUE;
}

/* The command-line entries of the training options' table (and hidden
 * ones for the older spellings, named in the help); @texts keeps the help
 * texts made here. */
static GArray *
train_option_entries (GPtrArray *texts)
{
  GArray *e = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  const LstmTrainOption *opts;
  guint n, i;

  opts = lstm_train_options_list (&n);
  for (i = 0; i < n; i++) {
    /* switches take no value: --NAME sets them */
    GOptionEntry entry = { opts[i].name, 0,
      opts[i].type == LSTM_TRAIN_OPTION_BOOLEAN ? G_OPTION_FLAG_NO_ARG : 0,
      G_OPTION_ARG_CALLBACK, (gpointer) on_train_option, opts[i].blurb,
      opts[i].arg_description };
    g_array_append_val (e, entry);
    if (opts[i].alias != NULL) {
      gchar *help = g_strdup_printf ("%s (also --%s)", opts[i].blurb,
          opts[i].alias);
      g_ptr_array_add (texts, help);
      g_array_index (e, GOptionEntry, e->len - 1).description = help;
      entry.long_name = opts[i].alias;
      entry.flags |= G_OPTION_FLAG_HIDDEN;
      g_array_append_val (e, entry);
    }
  }
  return e;
}

static gchar *
default_curve_path (const gchar *output)
{
  g_autofree gchar *base = g_str_has_suffix (output, ".safetensors") ?
      g_strndup (output, strlen (output) - strlen (".safetensors")) :
      g_strdup (output);
  return g_strconcat (base, ".loss.csv", NULL);
}

int
lstm_tool_train (int argc, char **argv, GError **error)
{
  Args a = { 0 };
  Data d = { 0 };
  Progress pr = { 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) opt_error = NULL;
  g_autoptr (LstmModel) init = NULL, model = NULL, trained = NULL;
  g_autoptr (LstmTrainer) tr = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) desc_root = NULL;
  g_autofree gchar *desc = NULL, *curve = NULL;
  g_autoptr (GPtrArray) help_texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) train_entries = train_option_entries (help_texts);
  GOptionGroup *group;
  LstmTrainerOptions o;
  const LstmEpochStats *hist;
  gboolean ok = FALSE, clips;
  guint n_hist;
  int ret = 1;
  GOptionEntry data_entries[] = {
    {"series", 0, 0, G_OPTION_ARG_FILENAME, &a.series,
        "Time series: CSV with a header row", "CSV"},
    {"columns", 0, 0, G_OPTION_ARG_STRING, &a.columns,
        "Input columns, by name (default: all others)", "A,B"},
    {"targets", 0, 0, G_OPTION_ARG_STRING, &a.targets,
        "Columns to forecast (default: the input columns)", "A,B"},
    {"horizon", 0, 0, G_OPTION_ARG_INT, &a.horizon,
        "Forecast this many rows ahead (default 1)", "N"},
    {"label-column", 0, 0, G_OPTION_ARG_STRING, &a.label_column,
        "Classify frames: the column holding each row's label", "NAME"},
    {"sequence-column", 0, 0, G_OPTION_ARG_STRING, &a.sequence_column,
        "With --label-column: rows with one id form one sequence", "NAME"},
    {"text", 0, 0, G_OPTION_ARG_FILENAME, &a.text,
        "Character-level model of a UTF-8 text", "FILE"},
    {"manifest", 0, 0, G_OPTION_ARG_FILENAME, &a.manifest,
        "Audio: rows of 'audio,label' (clips) or 'audio,labels.txt' "
        "(recordings with a label track)", "CSV"},
    {"features", 0, 0, G_OPTION_ARG_STRING, &a.features,
        "--manifest: fbank, mfcc, melspec, raw, a JSON configuration "
        "(inline or a file), or a model file", "KIND|CONFIG"},
    {"background", 0, 0, G_OPTION_ARG_STRING, &a.background,
        "Label tracks: the class of frames outside every stretch (default: "
        "those frames are not trained on)", "LABEL"},
    {"every-frame", 0, 0, G_OPTION_ARG_NONE, &a.every_frame,
        "Clips: --clip-loss every-frame", NULL},
    {"augment", 0, 0, G_OPTION_ARG_INT, &a.augment,
        "Clips: augmented copies per clip, on average (default 1): gain, "
        "noise or --mix-with backgrounds, crops, time/frequency masks",
        "N"},
    {"val-manifest", 0, 0, G_OPTION_ARG_FILENAME, &a.val_manifest,
        "Clips: validate on these clips (e.g. of other sources) instead of "
        "holding out --val-fraction of the training clips", "CSV"},
    {"mix-with", 0, 0, G_OPTION_ARG_STRING, &a.mix_with,
        "Clips: mix the clips of these labels in as backgrounds (default: "
        "generated noise)", "A,B"},
    {"no-augment", 0, 0, G_OPTION_ARG_NONE, &a.no_augment,
        "Clips: no augmentation (classes are balanced with exact copies)",
        NULL},
    {"no-balance", 0, 0, G_OPTION_ARG_NONE, &a.no_balance,
        "Clips: do not balance the classes", NULL},
    {"chunk", 0, 0, G_OPTION_ARG_INT, &a.chunk,
        "Cut series, text and recordings into sequences of N frames "
        "(default 0: one contiguous piece per batch lane)", "N"},
    {NULL}
  };
  GOptionEntry out_entries[] = {
    {"init", 0, 0, G_OPTION_ARG_FILENAME, &a.init,
        "Fine-tune this model instead of starting afresh", "MODEL"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output,
        "Where to save the trained model", "MODEL"},
    {"curve", 0, 0, G_OPTION_ARG_FILENAME, &a.curve,
        "Loss curve CSV (default: MODEL without .safetensors + .loss.csv)",
        "CSV"},
    {"plot", 0, 0, G_OPTION_ARG_FILENAME, &a.plot,
        "Draw the loss curve into a .png or .svg file", "FILE"},
    {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &a.checkpoint,
        "Write resumable checkpoints here", "FILE"},
    {"resume", 0, 0, G_OPTION_ARG_NONE, &a.resume,
        "Continue the run saved in --checkpoint", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet,
        "No progress output", NULL},
    {NULL}
  };

  a.horizon = 1;
  a.augment = AUGMENT_DEFAULT;
  lstm_train_settings_init (&a.st);
  a.given = g_hash_table_new (g_str_hash, g_str_equal);

  ctx = g_option_context_new ("-o MODEL");
  g_option_context_set_summary (ctx, "Trains an LSTM/GRU model:\n"
      "  --series CSV               forecast columns --horizon rows ahead\n"
      "  --series CSV --label-column NAME   classify every row\n"
      "  --text FILE                a character model (lstm generate)\n"
      "  --manifest CSV --features KIND   audio clips (audio,label) or "
      "recordings\n"
      "                             with label tracks (audio,labels.txt)\n"
      "Clips' defaults (hidden 64, --augment 1, 100 epochs, patience 20) were "
      "measured\non six by-source splits of 100-150 real clips of 5 classes: "
      "66.2% held-out\naccuracy on average (56-72%), against 58.9% (54-63%) "
      "for a linear classifier\non clip feature means and deviations (README: "
      "tests/data/clips/cross_split.py).\n"
      "Forecasts (--series without --label-column) take liblstm's defaults "
      "and\nrecipe of forecasters, as lstmtrain mode=forecast does: a GRU of "
      "32 whose head\nstarts at the least-squares autoregression on lags "
      "chosen by AIC, predicting\nthe change from the last value.\n"
      "Ctrl-C stops after the current step, saves the model (and the "
      "checkpoint) and exits with status 130.");
  group = g_option_group_new (NULL, NULL, NULL, &a, NULL);
  g_option_group_add_entries (group, data_entries);
  g_option_group_add_entries (group, (GOptionEntry *) (gpointer)
      train_entries->data);
  g_option_group_add_entries (group, out_entries);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &opt_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s",
        opt_error->message);
    goto out;
  }
  if (argc > 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "unexpected argument '%s'", argv[1]);
    goto out;
  }
  /* clips train whole clips, longer, with early stopping, unless told */
  clips = a.manifest && !a.series && !a.text;
  if (clips && !g_hash_table_contains (a.given, "sequence-length"))
    a.st.trainer.sequence_length = 0;
  if (clips && !g_hash_table_contains (a.given, "epochs"))
    a.st.trainer.epochs = CLIP_EPOCHS;
  if (clips && !g_hash_table_contains (a.given, "patience"))
    a.st.trainer.patience = CLIP_PATIENCE;
  if (a.every_frame)
    a.st.trainer.clip_loss = LSTM_CLIP_LOSS_EVERY_FRAME;
  a.batch_size = (gint) a.st.trainer.batch_size;
  a.val_fraction = a.st.trainer.validation_fraction;
  a.seed = (gint64) a.st.trainer.seed;
  if (!check_args (&a, error))
    goto out;
  lstm_train_settings_resolve (&a.st);

  if (a.init) {
    init = lstm_model_load (a.init, error);
    if (init == NULL)
      goto out;
  }

  /* the data */
  d.desc = json_builder_new ();
  json_builder_begin_object (d.desc);
  if (a.series) {
    g_autoptr (LstmToolTable) table = lstm_tool_table_read (a.series, error);
    g_autofree gchar *base = g_path_get_basename (a.series);
    if (table == NULL)
      goto out;
    desc_str (d.desc, "file", base);
    ok = a.label_column ? series_labels (&a, table, init, &d, error) :
        series_forecast (&a, table, init, &d, error);
  } else if (a.manifest) {
    g_autofree gchar *base = g_path_get_basename (a.manifest);
    desc_str (d.desc, "file", base);
    ok = manifest_data (&a, init, &d, error);
  } else {
    g_autofree gchar *base = g_path_get_basename (a.text);
    desc_str (d.desc, "file", base);
    ok = text_data (&a, init, &d, error);
  }
  if (!ok)
    goto out;
  desc_int (d.desc, "train_frames", (gint64) d.train_frames);
  desc_int (d.desc, "validation_frames", (gint64) d.val_frames);
  if (a.init) {
    g_autofree gchar *base = g_path_get_basename (a.init);
    desc_str (d.desc, "init", base);
  }
  json_builder_end_object (d.desc);
  desc_root = json_builder_get_root (d.desc);
  json_generator_set_root (gen, desc_root);
  desc = json_generator_to_data (gen, NULL);

  /* the options, as the data may have set some (series forecasts) */
  o = a.st.trainer;

  /* the model */
  if (init != NULL) {
    if (lstm_model_get_input_size (init) != d.input_size ||
        lstm_model_get_output_size (init) != d.output_size) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: takes %u values and gives %u; the data need %u and %u",
          a.init, lstm_model_get_input_size (init),
          lstm_model_get_output_size (init), d.input_size, d.output_size);
      goto out;
    }
    model = lstm_model_ref (init);
  } else if (d.model != NULL) {
    model = g_steal_pointer (&d.model);   /* a new forecaster */
  } else {
    LstmModelRecipe r = a.st.model;
    r.input_size = d.input_size;
    r.output_size = d.output_size;
    r.task = d.task;
    r.labels = (const gchar * const *) d.labels;
    r.input_mean = d.input_mean;
    r.input_std = d.input_std;
    r.features = d.features;
    model = lstm_model_new_from_recipe (&r, error);
    if (model == NULL)
      goto out;
  }
  if (d.horizon != NULL) {
    LstmModel *md = lstm_model_with_metadata (model, "lstm.horizon",
        d.horizon, error);
    if (md == NULL)
      goto out;
    lstm_model_unref (model);
    model = md;
  }

  /* the trainer: validation sets made above, except for random sequences
   * (the trainer draws them) */
  o.checkpoint_path = a.checkpoint;
  o.data_description = desc;
  o.validation_fraction = 0;
  if (a.sequence_column || (a.manifest && !d.clips))
    o.validation_fraction = a.val_fraction;
  if (init == NULL && d.target_mean != NULL) {
    o.target_mean = d.target_mean;
    o.target_std = d.target_std;
  }
  tr = lstm_trainer_new (model, &o, error);
  if (tr == NULL)
    goto out;
  if (a.resume && !lstm_trainer_resume (tr, a.checkpoint, error))
    goto out;
  pr.tty = isatty (fileno (stderr));
  pr.quiet = a.quiet;
  lstm_trainer_set_progress_func (tr, on_progress, &pr, NULL);
  if (!a.quiet && d.clips)
    fprintf (stderr, "training on %u clips (%u augmented or copied to "
        "balance the classes), %" G_GUINT64_FORMAT " frames; validation: %u "
        "clips %s; %" G_GUINT64_FORMAT " parameters\n",
        lstm_dataset_get_n_sequences (d.train), d.n_extra,
        lstm_dataset_get_n_frames (d.train),
        d.val ? lstm_dataset_get_n_sequences (d.val) : 0, a.val_manifest ?
        "from --val-manifest" : "held out by class",
        lstm_model_get_n_params (model));
  else if (!a.quiet && o.validation_fraction > 0)
    fprintf (stderr, "training on %" G_GUINT64_FORMAT " frames in %u "
        "sequences (validation: %g%% of the sequences, drawn at random), %"
        G_GUINT64_FORMAT " parameters\n",
        lstm_dataset_get_n_frames (d.train),
        lstm_dataset_get_n_sequences (d.train), 100 * o.validation_fraction,
        lstm_model_get_n_params (model));
  else if (!a.quiet)
    fprintf (stderr, "training on %" G_GUINT64_FORMAT " frames in %u "
        "sequences (validation: %" G_GUINT64_FORMAT " frames), %"
        G_GUINT64_FORMAT " parameters\n",
        lstm_dataset_get_n_frames (d.train),
        lstm_dataset_get_n_sequences (d.train),
        d.val_frames, lstm_model_get_n_params (model));

  signal (SIGINT, on_sigint);
  ok = lstm_trainer_train (tr, d.train, d.val, error);
  signal (SIGINT, SIG_DFL);
  if (pr.line_open)
    fprintf (stderr, "\n");
  if (!ok)
    goto out;                   /* diverged: keep the checkpoint, no model */

  trained = lstm_trainer_get_model (tr);
  if (!lstm_model_save (trained, a.output, error))
    goto out;
  hist = lstm_trainer_get_history (tr, &n_hist);
  curve = a.curve ? g_strdup (a.curve) : default_curve_path (a.output);
  if (!lstm_tool_curve_write_csv (curve, hist, n_hist, error))
    goto out;
  if (a.plot) {
    g_autofree gchar *base = g_path_get_basename (a.output);
    if (!lstm_tool_curve_plot (a.plot, hist, n_hist, base, error))
      goto out;
  }
  if (interrupted) {
    fprintf (stderr, "interrupted at epoch %u: saved %s%s%s\n", n_hist + 1,
        a.output, a.checkpoint ? " and " : "",
        a.checkpoint ? a.checkpoint : "");
    ret = 130;
  } else {
    if (!a.quiet)
      fprintf (stderr, "saved %s (loss curve: %s)\n", a.output, curve);
    ret = 0;
  }

out:
  data_clear (&d);
  g_free (a.series);
  g_free (a.text);
  g_free (a.manifest);
  g_free (a.columns);
  g_free (a.targets);
  g_free (a.label_column);
  g_free (a.sequence_column);
  g_clear_pointer (&a.given, g_hash_table_unref);
  g_free (a.init);
  g_free (a.output);
  g_free (a.plot);
  g_free (a.curve);
  g_free (a.checkpoint);
  g_free (a.features);
  g_free (a.background);
  g_free (a.mix_with);
  g_free (a.val_manifest);
  return ret;
}
