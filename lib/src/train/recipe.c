/* liblstm: what the training front ends share: the recipe of a new model
 * and the table of training options
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `lstm train` builds its command-line options and the lstmtrain element
 * its properties from the table below, and both fill one
 * LstmTrainSettings: an option added here appears in both, with one name,
 * one range and one default. "Forecasters" in the help texts: `lstm train
 * --series` forecasts and lstmtrain mode=forecast training at EOS, which
 * take lstm_train_settings_apply_series_defaults() (series.c).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lstm-private.h"

/* ---- the recipe of a new model ---- */

/**
 * lstm_model_recipe_init:
 * @recipe: (out caller-allocates): the recipe to fill
 *
 * Sets the defaults: an LSTM of one layer of 64 units, forget bias 1, seed
 * 0, no labels, features or input normalisation. The sizes (@input_size,
 * @output_size) and the task are left for the caller (0 and
 * %LSTM_TASK_AUTO).
 */
void
lstm_model_recipe_init (LstmModelRecipe *recipe)
{
  g_return_if_fail (recipe != NULL);
  memset (recipe, 0, sizeof *recipe);
  recipe->cell = LSTM_LAYER_LSTM;
  recipe->hidden_size = 64;
  recipe->num_layers = 1;
  recipe->forget_bias = 1.0;
  recipe->task = LSTM_TASK_AUTO;
}

/**
 * lstm_model_new_from_recipe:
 * @recipe: what the model is made of
 * @error: return location for a #GError
 *
 * Creates a freshly initialised model for training: the recurrent layers
 * (`rnn`: @recipe's cell, input, hidden size and layers) under a linear head
 * (`head`: output_size outputs; softmax for classification, no activation
 * for regression and forecasting), preceded by a lag layer (`lag`) whose
 * output the head also sees when @recipe has lags, with the labels,
 * features, description
 * and input normalisation given, and, for LSTM cells, the forget-gate bias
 * (lstm_model_with_forget_bias()). %LSTM_TASK_AUTO means classification
 * when labels are given, regression otherwise.
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 * (%LSTM_ERROR_ARGUMENT) for a size of 0, a cell that is not LSTM or GRU,
 * labels that are not one per output, or a non-finite forget bias.
 */
LstmModel *
lstm_model_new_from_recipe (const LstmModelRecipe *recipe, GError **error)
{
  const LstmModelRecipe *r = recipe;
  g_autoptr (LstmModel) m = NULL;
  g_autofree gchar *arch = NULL;
  LstmModelOptions mo = { 0 };
  LstmTask task;

  g_return_val_if_fail (recipe != NULL, NULL);
  if (r->cell != LSTM_LAYER_LSTM && r->cell != LSTM_LAYER_GRU) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "model recipe: the cell must be lstm or gru");
    return NULL;
  }
  if (r->input_size == 0 || r->hidden_size == 0 || r->num_layers == 0 ||
      r->output_size == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "model recipe: input size %u, hidden size %u, %u layers, output "
        "size %u: every size must be positive", r->input_size,
        r->hidden_size, r->num_layers, r->output_size);
    return NULL;
  }
  if (r->labels != NULL && g_strv_length ((gchar **) r->labels) !=
      r->output_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "model recipe: %u labels for %u outputs",
        g_strv_length ((gchar **) r->labels), r->output_size);
    return NULL;
  }
  task = r->task;
  if (task == LSTM_TASK_AUTO)
    task = r->labels ? LSTM_TASK_CLASSIFICATION : LSTM_TASK_REGRESSION;
  if (r->n_lags > 0 && r->lags == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "model recipe: %u lags but no list of them", r->n_lags);
    return NULL;
  }
  {
    LstmJsonWriter *w = lstm_json_writer_new ();
    guint k;

    lstm_json_begin_array (w, NULL);
    if (r->n_lags > 0) {
      /* the input at the chosen lags, which the head also reads (skip) */
      lstm_json_begin_object (w, NULL);
      lstm_json_add_string (w, "type", "lag");
      lstm_json_add_string (w, "name", "lag");
      lstm_json_add_int (w, "input_size", r->input_size);
      lstm_json_begin_array (w, "lags");
      for (k = 0; k < r->n_lags; k++)
        lstm_json_add_int (w, NULL, r->lags[k]);
      lstm_json_end_array (w);
      lstm_json_end_object (w);
    }
    lstm_json_begin_object (w, NULL);
    lstm_json_add_string (w, "type", lstm_layer_type_to_string (r->cell));
    lstm_json_add_string (w, "name", "rnn");
    if (r->n_lags == 0)
      lstm_json_add_int (w, "input_size", r->input_size);
    lstm_json_add_int (w, "hidden_size", r->hidden_size);
    lstm_json_add_int (w, "num_layers", r->num_layers);
    lstm_json_end_object (w);
    lstm_json_begin_object (w, NULL);
    lstm_json_add_string (w, "type", "linear");
    lstm_json_add_string (w, "name", "head");
    lstm_json_add_int (w, "out_features", r->output_size);
    lstm_json_add_string (w, "activation",
        task == LSTM_TASK_CLASSIFICATION ? "softmax" : "none");
    if (r->n_lags > 0)
      lstm_json_add_string (w, "skip", "lag");
    lstm_json_end_object (w);
    lstm_json_end_array (w);
    arch = lstm_json_writer_finish (w);
  }
  mo.seed = r->seed;
  mo.task = task;
  mo.labels = r->labels;
  mo.features = r->features;
  mo.description = r->description;
  mo.input_mean = r->input_mean;
  mo.input_std = r->input_std;
  m = lstm_model_new (arch, &mo, error);
  if (m == NULL)
    return NULL;
  if (r->cell == LSTM_LAYER_LSTM && !isnan (r->forget_bias))
    return lstm_model_with_forget_bias (m, (float) r->forget_bias, error);
  return g_steal_pointer (&m);
}

/* ---- the table of training options ---- */

static const gchar *const cell_choices[] = { "lstm", "gru", NULL };
static const gchar *const optimizer_choices[] = { "adam", "sgd", NULL };
static const gchar *const schedule_choices[] =
    { "constant", "step", "cosine", NULL };
static const gchar *const loss_choices[] =
    { "auto", "mse", "mae", "cross-entropy", "binary-cross-entropy", NULL };
static const gchar *const clip_loss_choices[] =
    { "last", "every-frame", "mean", NULL };

G_STATIC_ASSERT (LSTM_LAYER_LSTM == 0 && LSTM_LAYER_GRU == 1);
G_STATIC_ASSERT (LSTM_OPTIMIZER_SGD == 1 && LSTM_SCHEDULE_COSINE == 2);
G_STATIC_ASSERT (LSTM_LOSS_BINARY_CROSS_ENTROPY == 4);
G_STATIC_ASSERT (LSTM_CLIP_LOSS_MEAN == 2);
G_STATIC_ASSERT (sizeof (LstmLayerType) == sizeof (gint));

#define T(field) G_STRUCT_OFFSET (LstmTrainSettings, trainer.field)
#define M(field) G_STRUCT_OFFSET (LstmTrainSettings, model.field)
#define S(field) G_STRUCT_OFFSET (LstmTrainSettings, series.field)
#define NO_OFFSET G_MAXSIZE

static const LstmTrainOption options[] = {
  {"cell", NULL, LSTM_TRAIN_OPTION_CHOICE,
        "Recurrent layers of a new model: lstm (default) or gru "
        "(forecasters: gru)", "CELL",
      0, 1, 0, cell_choices, M (cell), NO_OFFSET},
  {"hidden-size", "hidden", LSTM_TRAIN_OPTION_UINT,
        "Hidden units per recurrent layer of a new model (default 64; "
        "forecasters 32)", "N",
      1, 65536, 64, NULL, M (hidden_size), NO_OFFSET},
  {"num-layers", "layers", LSTM_TRAIN_OPTION_UINT,
        "Stacked recurrent layers of a new model (default 1)", "N",
      1, 64, 1, NULL, M (num_layers), NO_OFFSET},
  {"forget-bias", NULL, LSTM_TRAIN_OPTION_DOUBLE_OR_NONE,
        "New LSTM models: initial forget-gate bias (default 1, as Keras; "
        "'none': PyTorch's random init)", "X",
      -100, 100, 1, NULL, M (forget_bias), NO_OFFSET},
  {"epochs", NULL, LSTM_TRAIN_OPTION_UINT,
        "Passes over the data (default 20; lstm train's clips 100, "
        "forecasters 200; online training makes one)", "N",
      1, 1000000, 20, NULL, T (epochs), NO_OFFSET},
  {"batch-size", NULL, LSTM_TRAIN_OPTION_UINT,
        "Sequences per mini-batch, trained side by side (default 32; "
        "forecasters: one lane per 512 rows; online training: 1)", "N",
      1, 65536, 32, NULL, T (batch_size), NO_OFFSET},
  {"sequence-length", "window", LSTM_TRAIN_OPTION_UINT,
        "Truncated BPTT window in frames, the state carried between windows "
        "(default 64, lstm train's clips 0, forecasters 32; 0: whole "
        "sequences)", "N",
      0, 1 << 20, 64, NULL, T (sequence_length), NO_OFFSET},
  {"learning-rate", "lr", LSTM_TRAIN_OPTION_DOUBLE,
        "Learning rate (default 0: the optimizer's, 1e-3 for adam "
        "(forecasters 3e-3), 1e-2 for sgd)", "X",
      0, 1e9, 0, NULL, T (learning_rate), NO_OFFSET},
  {"optimizer", NULL, LSTM_TRAIN_OPTION_CHOICE,
        "adam (torch.optim.Adam, default) or sgd (torch.optim.SGD)", "NAME",
      0, 1, 0, optimizer_choices, T (optimizer), NO_OFFSET},
  {"momentum", NULL, LSTM_TRAIN_OPTION_DOUBLE,
        "SGD momentum (default 0)", "X",
      0, 1000, 0, NULL, T (momentum), NO_OFFSET},
  {"weight-decay", NULL, LSTM_TRAIN_OPTION_DOUBLE,
        "L2 weight decay added to the gradient (default 0; forecasters "
        "0.2 / training rows)", "X",
      0, 1000, 0, NULL, T (weight_decay), NO_OFFSET},
  {"clip-norm", "clip", LSTM_TRAIN_OPTION_DOUBLE,
        "Clip the global gradient norm to X (default 0: off)", "X",
      0, G_MAXDOUBLE, 0, NULL, T (clip_norm), NO_OFFSET},
  {"schedule", NULL, LSTM_TRAIN_OPTION_CHOICE,
        "Learning rate per epoch: constant (default), step (times gamma "
        "every step-size epochs) or cosine (down to min-lr)", "NAME",
      0, 2, 0, schedule_choices, T (schedule), NO_OFFSET},
  {"step-size", NULL, LSTM_TRAIN_OPTION_UINT,
        "Schedule step: epochs between decays (default 10)", "N",
      1, 1000000, 10, NULL, T (step_size), NO_OFFSET},
  {"gamma", NULL, LSTM_TRAIN_OPTION_DOUBLE,
        "Schedule step: decay factor (default 0.1)", "X",
      1e-9, 1000, 0.1, NULL, T (gamma), NO_OFFSET},
  {"min-lr", NULL, LSTM_TRAIN_OPTION_DOUBLE,
        "Schedule cosine: the final learning rate (default 0)", "X",
      0, 100, 0, NULL, T (min_lr), NO_OFFSET},
  {"loss", NULL, LSTM_TRAIN_OPTION_CHOICE,
        "auto (default: cross-entropy for classes, mse for values), mse, mae, "
        "cross-entropy or binary-cross-entropy", "NAME",
      0, 4, 0, loss_choices, T (loss), NO_OFFSET},
  {"clip-loss", NULL, LSTM_TRAIN_OPTION_CHOICE,
        "Clips (one class per sequence): score the clip's mean scores (mean, "
        "default), its last frame (last) or every frame (every-frame)",
        "HOW",
      0, 2, 2, clip_loss_choices, T (clip_loss), NO_OFFSET},
  {"validation-fraction", "val-fraction", LSTM_TRAIN_OPTION_DOUBLE,
        "Hold out this fraction for validation (default 0.1; series, text "
        "and collected streams: the end; clips, recordings and online "
        "windows: drawn at random)", "X",
      0, 0.95, 0.1, NULL, T (validation_fraction), NO_OFFSET},
  {"patience", NULL, LSTM_TRAIN_OPTION_UINT,
        "Stop after N epochs without a better validation loss, keeping the "
        "best weights (default 0: off; lstm train's clips 20, forecasters "
        "10)", "N",
      0, 1000000, 0, NULL, T (patience), NO_OFFSET},
  {"checkpoint-interval", NULL, LSTM_TRAIN_OPTION_UINT,
        "Epochs between checkpoints (default 1; 0: only at the end)", "N",
      0, G_MAXUINT, 1, NULL, T (checkpoint_interval), NO_OFFSET},
  {"seed", NULL, LSTM_TRAIN_OPTION_UINT64,
        "Seed of the initial weights and of the training's random choices "
        "(default 0)", "N",
      0, (double) G_MAXUINT64, 0, NULL, T (seed), M (seed)},
  /* new forecasters (lstm_model_new_for_series()) */
  {"no-residual", NULL, LSTM_TRAIN_OPTION_BOOLEAN,
        "New forecasters: predict levels, not the change from the last "
        "value (lstmtrain online=true: always levels)", NULL,
      0, 1, 0, NULL, S (no_residual), NO_OFFSET},
  {"lags", NULL, LSTM_TRAIN_OPTION_LAGS,
        "New forecasters: the lag layer's lags in rows, 0 the current one "
        "(e.g. 0,1,2,11), 'none', or 'auto' (default: 0..p-1, p by AIC of a "
        "least-squares autoregression; lstmtrain online=true: none, a list "
        "is refused)",
      "L,L|auto|none",
      0, 0, 0, NULL, S (lags_mode), NO_OFFSET},
  {"season", NULL, LSTM_TRAIN_OPTION_UINT,
        "New forecasters: the season in rows, which bounds the lags tried "
        "(default 0: found by autocorrelation; lstmtrain online=true: "
        "only 0)",
      "N",
      0, 65536, 0, NULL, S (season), NO_OFFSET},
};

#undef T
#undef M
#undef S

/**
 * lstm_train_options_list:
 * @n_options: (out): how many options there are
 *
 * The training options every front end offers: `lstm train --NAME` and the
 * lstmtrain element's property NAME, with one range and one default.
 *
 * Returns: (array length=n_options) (transfer none): the table.
 */
const LstmTrainOption *
lstm_train_options_list (guint *n_options)
{
  g_return_val_if_fail (n_options != NULL, NULL);
  *n_options = G_N_ELEMENTS (options);
  return options;
}

/**
 * lstm_train_option_find:
 * @name: an option's name or alias
 *
 * Returns: (nullable) (transfer none): the option, or %NULL.
 */
const LstmTrainOption *
lstm_train_option_find (const gchar *name)
{
  guint i;

  g_return_val_if_fail (name != NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (options); i++)
    if (strcmp (options[i].name, name) == 0 ||
        g_strcmp0 (options[i].alias, name) == 0)
      return &options[i];
  return NULL;
}

static void
store (const LstmTrainOption *o, LstmTrainSettings *s, gsize offset,
    double v)
{
  gpointer p = G_STRUCT_MEMBER_P (s, offset);

  switch (o->type) {
    case LSTM_TRAIN_OPTION_UINT:
      *(guint *) p = (guint) v;
      break;
    case LSTM_TRAIN_OPTION_UINT64:
      *(guint64 *) p = (guint64) v;
      break;
    case LSTM_TRAIN_OPTION_CHOICE:
      *(gint *) p = (gint) v;
      break;
    case LSTM_TRAIN_OPTION_BOOLEAN:
      *(gboolean *) p = v != 0;
      break;
    case LSTM_TRAIN_OPTION_DOUBLE:
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:
      *(double *) p = v;
      break;
    case LSTM_TRAIN_OPTION_LAGS:
      /* its default, auto; other values only as text */
      lstm_series_options_parse_lags (&s->series, "auto", NULL);
      break;
  }
}

static gboolean
check_range (const LstmTrainOption *o, double v, GError **error)
{
  if (o->type == LSTM_TRAIN_OPTION_DOUBLE_OR_NONE && isnan (v))
    return TRUE;
  if (o->type == LSTM_TRAIN_OPTION_LAGS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s is a list of lags, 'auto' or 'none': set it as text", o->name);
    return FALSE;
  }
  if (!(v >= o->minimum && v <= o->maximum) ||
      (o->type != LSTM_TRAIN_OPTION_DOUBLE &&
          o->type != LSTM_TRAIN_OPTION_DOUBLE_OR_NONE && v != floor (v))) {
    if (o->type == LSTM_TRAIN_OPTION_CHOICE)
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: choice %g does not exist", o->name, v);
    else
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s must be %s from %g to %g, not %g", o->name,
          o->type == LSTM_TRAIN_OPTION_DOUBLE ? "a number" : "an integer",
          o->minimum, o->maximum, v);
    return FALSE;
  }
  return TRUE;
}

/**
 * lstm_train_settings_init:
 * @settings: (out caller-allocates): the settings to fill
 *
 * Sets the trainer options (lstm_trainer_options_init()), the model
 * recipe (lstm_model_recipe_init()) and the forecasting choices (a
 * residual output, lags `auto`, the season found), then every option of
 * the table to its default.
 */
void
lstm_train_settings_init (LstmTrainSettings *settings)
{
  guint i;

  g_return_if_fail (settings != NULL);
  lstm_trainer_options_init (&settings->trainer);
  lstm_model_recipe_init (&settings->model);
  memset (&settings->series, 0, sizeof settings->series);
  for (i = 0; i < G_N_ELEMENTS (options); i++) {
    store (&options[i], settings, options[i].offset,
        options[i].default_value);
    if (options[i].offset2 != NO_OFFSET)
      store (&options[i], settings, options[i].offset2,
          options[i].default_value);
  }
}

/**
 * lstm_train_settings_resolve:
 * @settings: settings filled from a front end's options
 *
 * Turns the table's "by the other options" values into values the trainer
 * takes: a learning rate of 0 becomes the optimizer's usual one (1e-3 for
 * Adam, 1e-2 for SGD). Call it once the options are set, before
 * lstm_trainer_new() gets @settings' trainer options.
 */
void
lstm_train_settings_resolve (LstmTrainSettings *settings)
{
  g_return_if_fail (settings != NULL);
  if (settings->trainer.learning_rate == 0)
    settings->trainer.learning_rate = settings->trainer.optimizer ==
        LSTM_OPTIMIZER_SGD ? 1e-2 : 1e-3;
}

/**
 * lstm_train_option_set_value:
 * @option: an option of lstm_train_options_list()
 * @settings: the settings to change
 * @value: the value: a number, a choice's index, or NAN for `none`
 * @error: return location for a #GError
 *
 * Sets one option (a switch: 1 on, 0 off). Lags
 * (%LSTM_TRAIN_OPTION_LAGS) are set as text only, with
 * lstm_train_option_parse().
 *
 * Returns: %TRUE; %FALSE with @error set (%LSTM_ERROR_ARGUMENT, naming the
 * option and its range) when @value is out of range or the option takes
 * text, and then @settings is unchanged.
 */
gboolean
lstm_train_option_set_value (const LstmTrainOption *option,
    LstmTrainSettings *settings, double value, GError **error)
{
  g_return_val_if_fail (option != NULL && settings != NULL, FALSE);
  if (!check_range (option, value, error))
    return FALSE;
  store (option, settings, option->offset, value);
  if (option->offset2 != NO_OFFSET)
    store (option, settings, option->offset2, value);
  return TRUE;
}

/**
 * lstm_train_option_get_value:
 * @option: an option of lstm_train_options_list()
 * @settings: the settings to read
 *
 * Returns: the option's value: a number, a choice's index, NAN for
 * `none`, 1 or 0 for a switch; for lags, their #LstmLagsMode (the list
 * itself: lstm_train_option_to_string()).
 */
double
lstm_train_option_get_value (const LstmTrainOption *option,
    const LstmTrainSettings *settings)
{
  gconstpointer p;

  g_return_val_if_fail (option != NULL && settings != NULL, 0);
  p = G_STRUCT_MEMBER_P (settings, option->offset);
  switch (option->type) {
    case LSTM_TRAIN_OPTION_UINT:
      return *(const guint *) p;
    case LSTM_TRAIN_OPTION_UINT64:
      return (double) *(const guint64 *) p;
    case LSTM_TRAIN_OPTION_CHOICE:
      return *(const gint *) p;
    case LSTM_TRAIN_OPTION_BOOLEAN:
      return *(const gboolean *) p ? 1 : 0;
    case LSTM_TRAIN_OPTION_DOUBLE:
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:
      return *(const double *) p;
    case LSTM_TRAIN_OPTION_LAGS:
      /* the mode (auto 0, none 1, a list 2); the lags themselves as text */
      return *(const gint *) p;
  }
  return 0;
}

/* "a, b or c", the default first */
static gchar *
choice_list (const LstmTrainOption *o)
{
  GString *s = g_string_new (o->choices[(guint) o->default_value]);
  guint i, k = 1, n = g_strv_length ((gchar **) o->choices);

  for (i = 0; i < n; i++)
    if (i != (guint) o->default_value) {
      g_string_append (s, ++k == n ? " or " : ", ");
      g_string_append (s, o->choices[i]);
    }
  return g_string_free (s, FALSE);
}

/**
 * lstm_train_option_parse:
 * @option: an option of lstm_train_options_list()
 * @settings: the settings to change
 * @value: the value as text: a number (integers in decimal), a choice's
 *   name, `none` where the option takes it, `true` or `false` for a
 *   switch, or lags (lstm_series_options_parse_lags())
 * @error: return location for a #GError
 *
 * Sets one option from text, as a command line gives it. 64-bit integers
 * are parsed exactly.
 *
 * Returns: %TRUE; %FALSE with @error set (%LSTM_ERROR_ARGUMENT, starting
 * with the option's name) for text that is not a value of the option, and
 * then @settings is unchanged.
 */
gboolean
lstm_train_option_parse (const LstmTrainOption *option,
    LstmTrainSettings *settings, const gchar *value, GError **error)
{
  const LstmTrainOption *o = option;
  gchar *end = NULL;
  double v;
  guint i;

  g_return_val_if_fail (option != NULL && settings != NULL && value != NULL,
      FALSE);
  switch (o->type) {
    case LSTM_TRAIN_OPTION_CHOICE:
      for (i = 0; o->choices[i]; i++)
        if (strcmp (o->choices[i], value) == 0)
          return lstm_train_option_set_value (o, settings, i, error);
      {
        g_autofree gchar *all = choice_list (o);
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "%s must be %s, not '%s'", o->name, all, value);
      }
      return FALSE;
    case LSTM_TRAIN_OPTION_UINT64:{
      guint64 u;
      if (*value == '\0' || *value == '-' || *value == '+' ||
          g_ascii_isspace (*value))
        break;
      errno = 0;
      u = g_ascii_strtoull (value, &end, 10);
      if (errno != 0 || *end != '\0')
        break;
      *(guint64 *) G_STRUCT_MEMBER_P (settings, o->offset) = u;
      if (o->offset2 != NO_OFFSET)
        *(guint64 *) G_STRUCT_MEMBER_P (settings, o->offset2) = u;
      return TRUE;
    }
    case LSTM_TRAIN_OPTION_BOOLEAN:
      if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
        return lstm_train_option_set_value (o, settings, value[0] == 't',
            error);
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s must be true or false, not '%s'", o->name, value);
      return FALSE;
    case LSTM_TRAIN_OPTION_LAGS:
      return lstm_series_options_parse_lags (&settings->series, value,
          error);
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:
      if (strcmp (value, "none") == 0)
        return lstm_train_option_set_value (o, settings, NAN, error);
      /* fall through */
    case LSTM_TRAIN_OPTION_UINT:
    case LSTM_TRAIN_OPTION_DOUBLE:
      v = g_ascii_strtod (value, &end);
      if (end == value || *end != '\0' || !isfinite (v))
        break;
      return lstm_train_option_set_value (o, settings, v, error);
  }
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
      "%s must be %s, not '%s'", o->name,
      o->type == LSTM_TRAIN_OPTION_DOUBLE ? "a number" :
      o->type == LSTM_TRAIN_OPTION_DOUBLE_OR_NONE ? "a number or 'none'" :
      "a non-negative integer", value);
  return FALSE;
}

/**
 * lstm_train_option_to_string:
 * @option: an option of lstm_train_options_list()
 * @settings: the settings to read
 *
 * Returns: (transfer full): the option's value as lstm_train_option_parse()
 * reads it back.
 */
gchar *
lstm_train_option_to_string (const LstmTrainOption *option,
    const LstmTrainSettings *settings)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  double v;

  g_return_val_if_fail (option != NULL && settings != NULL, NULL);
  if (option->type == LSTM_TRAIN_OPTION_UINT64)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, *(const guint64 *)
        G_STRUCT_MEMBER_P (settings, option->offset));
  v = lstm_train_option_get_value (option, settings);
  if (option->type == LSTM_TRAIN_OPTION_CHOICE)
    return g_strdup (option->choices[(gint) v]);
  if (option->type == LSTM_TRAIN_OPTION_BOOLEAN)
    return g_strdup (v != 0 ? "true" : "false");
  if (option->type == LSTM_TRAIN_OPTION_LAGS)
    return lstm_series_options_lags_to_string (&settings->series);
  if (isnan (v))
    return g_strdup ("none");
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}
