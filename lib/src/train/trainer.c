/* liblstm: the trainer: mini-batches, truncated BPTT, validation,
 * early stopping, online training (checkpoint files: checkpoint.c)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Above 1200 lines on purpose: the epoch loop, the window step, evaluation
 * and the online steps all work on the trainer's private state through the
 * same static helpers (the tape, the loss of a window, the optimizer
 * update, the epoch's sums); split, they would need those helpers exported
 * across files. What can stand alone is apart: the files a trainer writes
 * (checkpoint.c), datasets, losses, the optimizer and the tape.
 *
 * An epoch shuffles the training sequences (seeded) and cuts them into
 * mini-batches of batch_size sequences. The sequences of a batch run side
 * by side ("lanes"), window by window (sequence_length frames, or whole
 * sequences), each lane carrying its own recurrent state from window to
 * window; one optimizer step follows each window, with the loss averaged
 * over every target counted in that window across the lanes. A lane whose
 * sequence has ended simply runs no more frames, so padding never enters
 * a loss or a gradient.
 *
 * Everything that decides the result is in the checkpoint: weights,
 * optimizer moments and step, the RNG state at the start of the epoch (the
 * epoch's permutation is drawn from it again), the cursor (epoch, batch,
 * window), the lanes' recurrent state inside a batch, the epoch's running
 * sums and the early-stopping state. So a resumed run ends bitwise equal
 * to an uninterrupted one.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "checkpoint.h"

/* ---- enums ---- */

static const gchar *const loss_names[] =
    { "auto", "mse", "mae", "cross-entropy", "binary-cross-entropy" };
static const gchar *const optimizer_names[] = { "adam", "sgd" };
static const gchar *const schedule_names[] = { "constant", "step", "cosine" };
static const gchar *const clip_loss_names[] = { "last", "every-frame", "mean" };

static gboolean
name_lookup (const gchar *const *names, guint n, const gchar *str, guint *out)
{
  guint i;
  for (i = 0; str != NULL && i < n; i++)
    if (strcmp (str, names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  return FALSE;
}

/**
 * lstm_loss_to_string:
 * @loss: a loss
 *
 * Returns: its name: "auto", "mse", "mae", "cross-entropy",
 * "binary-cross-entropy".
 */
const gchar *
lstm_loss_to_string (LstmLoss loss)
{
  g_return_val_if_fail ((guint) loss < G_N_ELEMENTS (loss_names), NULL);
  return loss_names[loss];
}

/**
 * lstm_loss_from_string:
 * @str: a name
 * @loss: (out): where to store the loss
 *
 * Returns: %TRUE if @str names a loss.
 */
gboolean
lstm_loss_from_string (const gchar *str, LstmLoss *loss)
{
  guint i;
  if (!name_lookup (loss_names, G_N_ELEMENTS (loss_names), str, &i))
    return FALSE;
  *loss = (LstmLoss) i;
  return TRUE;
}

/**
 * lstm_optimizer_to_string:
 * @optimizer: an optimizer
 *
 * Returns: its name: "adam" or "sgd".
 */
const gchar *
lstm_optimizer_to_string (LstmOptimizer optimizer)
{
  g_return_val_if_fail ((guint) optimizer < G_N_ELEMENTS (optimizer_names),
      NULL);
  return optimizer_names[optimizer];
}

/**
 * lstm_optimizer_from_string:
 * @str: a name
 * @optimizer: (out): where to store the optimizer
 *
 * Returns: %TRUE if @str names an optimizer.
 */
gboolean
lstm_optimizer_from_string (const gchar *str, LstmOptimizer *optimizer)
{
  guint i;
  if (!name_lookup (optimizer_names, G_N_ELEMENTS (optimizer_names), str, &i))
    return FALSE;
  *optimizer = (LstmOptimizer) i;
  return TRUE;
}

/**
 * lstm_schedule_to_string:
 * @schedule: a schedule
 *
 * Returns: its name: "constant", "step" or "cosine".
 */
const gchar *
lstm_schedule_to_string (LstmSchedule schedule)
{
  g_return_val_if_fail ((guint) schedule < G_N_ELEMENTS (schedule_names),
      NULL);
  return schedule_names[schedule];
}

/**
 * lstm_schedule_from_string:
 * @str: a name
 * @schedule: (out): where to store the schedule
 *
 * Returns: %TRUE if @str names a schedule.
 */
gboolean
lstm_schedule_from_string (const gchar *str, LstmSchedule *schedule)
{
  guint i;
  if (!name_lookup (schedule_names, G_N_ELEMENTS (schedule_names), str, &i))
    return FALSE;
  *schedule = (LstmSchedule) i;
  return TRUE;
}

/**
 * lstm_clip_loss_to_string:
 * @clip_loss: how clips are scored
 *
 * Returns: its name: "last", "every-frame" or "mean".
 */
const gchar *
lstm_clip_loss_to_string (LstmClipLoss clip_loss)
{
  g_return_val_if_fail ((guint) clip_loss < G_N_ELEMENTS (clip_loss_names),
      NULL);
  return clip_loss_names[clip_loss];
}

/**
 * lstm_clip_loss_from_string:
 * @str: a name
 * @clip_loss: (out): where to store it
 *
 * Returns: %TRUE if @str names a clip loss.
 */
gboolean
lstm_clip_loss_from_string (const gchar *str, LstmClipLoss *clip_loss)
{
  guint i;
  if (!name_lookup (clip_loss_names, G_N_ELEMENTS (clip_loss_names), str,
          &i))
    return FALSE;
  *clip_loss = (LstmClipLoss) i;
  return TRUE;
}

/* ---- initialisation ---- */

/**
 * lstm_model_with_forget_bias:
 * @model: a model with at least one LSTM layer with biases
 * @forget_bias: the forget gates' bias
 * @error: return location for a #GError
 *
 * Keras' `unit_forget_bias`: returns a copy of @model whose LSTM layers
 * have the forget-gate rows of `bias_ih` set to @forget_bias and those of
 * `bias_hh` to 0, so each forget gate starts at sigmoid(@forget_bias)
 * (0.73 for Keras' 1) instead of about 0.5. Memories then fade slowly
 * enough at the start of training for long lags to be learned.
 *
 * Returns: (transfer full): the new model, or %NULL with @error set when
 * @model has no LSTM layer with biases.
 */
LstmModel *
lstm_model_with_forget_bias (LstmModel *model, float forget_bias,
    GError **error)
{
  LstmModel *copy;
  guint i, k, found = 0;

  g_return_val_if_fail (model != NULL, NULL);
  if (!isfinite (forget_bias)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: forget bias %g is not finite", model->name,
        (double) forget_bias);
    return NULL;
  }
  copy = lstm_model_copy (model);
  for (i = 0; i < copy->n_layers; i++) {
    LstmLayer *L = &copy->layers[i];
    guint H = L->hidden_size;
    if (L->type != LSTM_LAYER_LSTM || !L->bias)
      continue;
    for (k = 0; k < L->num_layers * L->num_dirs; k++) {
      guint j;
      for (j = 0; j < H; j++) {
        L->rnn[k].b_ih[LSTM_GATE_F * H + j] = forget_bias;
        L->rnn[k].b_hh[LSTM_GATE_F * H + j] = 0.0f;
      }
    }
    found++;
  }
  if (found == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: no LSTM layer with biases to set a forget bias in",
        model->name);
    lstm_model_unref (copy);
    return NULL;
  }
  return copy;
}

/* ---- options ---- */

/**
 * lstm_trainer_options_init:
 * @options: (out caller-allocates): options to fill
 *
 * Sets every option to its default: Adam with PyTorch's defaults (lr
 * 1e-3, betas 0.9 and 0.999, eps 1e-8), no weight decay, no clipping,
 * constant learning rate, automatic loss, 10 epochs, batches of 32 whole
 * sequences, shuffled, no validation, no early stopping, seed 0.
 */
void
lstm_trainer_options_init (LstmTrainerOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->optimizer = LSTM_OPTIMIZER_ADAM;
  options->learning_rate = 1e-3;
  options->beta1 = 0.9;
  options->beta2 = 0.999;
  options->eps = 1e-8;
  options->schedule = LSTM_SCHEDULE_CONSTANT;
  options->step_size = 10;
  options->gamma = 0.1;
  options->loss = LSTM_LOSS_AUTO;
  options->epochs = 10;
  options->batch_size = 32;
  options->shuffle = TRUE;
  options->restore_best = TRUE;
}

static gboolean
check_options (const LstmTrainerOptions *o, GError **error)
{
  const gchar *bad = NULL;
  double value = 0;

#define CHECK(cond, name, val) \
  if (bad == NULL && !(cond)) { bad = name; value = (double) (val); }
  CHECK ((guint) o->optimizer <= LSTM_OPTIMIZER_SGD, "optimizer",
      o->optimizer);
  CHECK (isfinite (o->learning_rate) && o->learning_rate > 0,
      "learning_rate", o->learning_rate);
  CHECK (o->beta1 >= 0 && o->beta1 < 1, "beta1", o->beta1);
  CHECK (o->beta2 >= 0 && o->beta2 < 1, "beta2", o->beta2);
  CHECK (isfinite (o->eps) && o->eps > 0, "eps", o->eps);
  CHECK (isfinite (o->momentum) && o->momentum >= 0, "momentum",
      o->momentum);
  CHECK (o->dampening >= 0 && o->dampening <= 1, "dampening", o->dampening);
  CHECK (!o->nesterov || (o->momentum > 0 && o->dampening == 0),
      "nesterov (needs momentum > 0 and no dampening)", o->nesterov);
  CHECK (isfinite (o->weight_decay) && o->weight_decay >= 0, "weight_decay",
      o->weight_decay);
  CHECK (isfinite (o->clip_norm) && o->clip_norm >= 0, "clip_norm",
      o->clip_norm);
  CHECK ((guint) o->schedule <= LSTM_SCHEDULE_COSINE, "schedule",
      o->schedule);
  CHECK (o->schedule != LSTM_SCHEDULE_STEP || o->step_size > 0, "step_size",
      o->step_size);
  CHECK (isfinite (o->gamma) && o->gamma > 0, "gamma", o->gamma);
  CHECK (isfinite (o->min_lr) && o->min_lr >= 0, "min_lr", o->min_lr);
  CHECK ((guint) o->loss <= LSTM_LOSS_BINARY_CROSS_ENTROPY, "loss", o->loss);
  CHECK ((guint) o->clip_loss <= LSTM_CLIP_LOSS_MEAN, "clip_loss",
      o->clip_loss);
  CHECK (o->epochs > 0, "epochs", o->epochs);
  CHECK (o->batch_size > 0 && o->batch_size <= 1u << 20, "batch_size",
      o->batch_size);
  CHECK (o->sequence_length <= 1u << 24, "sequence_length",
      o->sequence_length);
  CHECK (o->validation_fraction >= 0 && o->validation_fraction < 1,
      "validation_fraction", o->validation_fraction);
#undef CHECK
  if (bad != NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: option %s is out of range (%g)", bad, value);
    return FALSE;
  }
  if (o->data_description != NULL) {
    g_autoptr (JsonParser) parser = json_parser_new_immutable ();
    JsonNode *root;
    if (!json_parser_load_from_data (parser, o->data_description, -1, NULL)
        || (root = json_parser_get_root (parser)) == NULL
        || !JSON_NODE_HOLDS_OBJECT (root)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "trainer: data_description is not a JSON object");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_target_scaling (LstmModel *m, const LstmTrainerOptions *o,
    GError **error)
{
  const LstmLayer *last = &m->layers[m->n_layers - 1];
  guint j;

  if (o->target_mean == NULL && o->target_std == NULL)
    return TRUE;
  if (o->target_mean == NULL || o->target_std == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: target_mean and target_std go together");
    return FALSE;
  }
  if (last->type != LSTM_LAYER_LINEAR || last->activation !=
      LSTM_ACTIVATION_NONE || last->bias_v == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: target scaling needs a last linear layer with a bias and "
        "no activation");
    return FALSE;
  }
  for (j = 0; j < m->output_size; j++)
    if (!isfinite (o->target_mean[j]) || !isfinite (o->target_std[j]) ||
        o->target_std[j] == 0.0f) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "trainer: target scaling %u: mean %g, std %g (finite, std "
          "non-zero)", j, (double) o->target_mean[j],
          (double) o->target_std[j]);
      return FALSE;
    }
  return TRUE;
}

/* ---- life cycle ---- */

/**
 * lstm_trainer_new:
 * @model: the model to start from (freshly initialised by lstm_model_new(),
 *   or trained, to fine-tune); it is not changed: the trainer works on a
 *   copy
 * @options: (nullable): how to train; %NULL for the defaults
 * @error: return location for a #GError
 *
 * Creates a trainer. Train it with lstm_trainer_train() and take the
 * result with lstm_trainer_get_model().
 *
 * Returns: (transfer full): the trainer, or %NULL with @error set when an
 * option is out of range.
 */
LstmTrainer *
lstm_trainer_new (LstmModel *model, const LstmTrainerOptions *options,
    GError **error)
{
  LstmTrainerOptions defaults;
  LstmTrainer *tr;

  g_return_val_if_fail (model != NULL, NULL);
  if (options == NULL) {
    lstm_trainer_options_init (&defaults);
    options = &defaults;
  }
  if (!check_options (options, error) ||
      !check_target_scaling (model, options, error))
    return NULL;
  tr = g_new0 (LstmTrainer, 1);
  tr->model = lstm_model_copy (model);
  g_hash_table_remove (tr->model->metadata, "lstm.checkpoint");
  tr->opt = *options;
  if (tr->opt.every_frame)
    tr->opt.clip_loss = LSTM_CLIP_LOSS_EVERY_FRAME;
  tr->opt.every_frame = tr->opt.clip_loss == LSTM_CLIP_LOSS_EVERY_FRAME;
  tr->checkpoint_path = g_strdup (options->checkpoint_path);
  tr->data_description = g_strdup (options->data_description);
  tr->opt.checkpoint_path = tr->checkpoint_path;
  tr->opt.data_description = tr->data_description;
  if (options->target_mean != NULL) {
    tr->t_mean = g_memdup2 (options->target_mean, model->output_size *
        sizeof (float));
    tr->t_std = g_memdup2 (options->target_std, model->output_size *
        sizeof (float));
  }
  tr->opt.target_mean = tr->t_mean;
  tr->opt.target_std = tr->t_std;
  tr->k = lstm_kernels_get (NULL);
  if (tr->k == NULL)
    tr->k = lstm_kernels_get ("");
  tr->n = model->n_params;
  tr->history = g_array_new (FALSE, FALSE, sizeof (LstmEpochStats));
  tr->train_idx = g_array_new (FALSE, FALSE, sizeof (guint));
  tr->val_idx = g_array_new (FALSE, FALSE, sizeof (guint));
  /* the largest buffers: refused with an error, not an abort */
  tr->grads = lstm_aligned_try_alloc0 (tr->n);
  tr->m = lstm_aligned_try_alloc0 (tr->n);
  tr->prev = lstm_aligned_try_alloc0 (tr->n);
  if (options->optimizer == LSTM_OPTIMIZER_ADAM)
    tr->v = lstm_aligned_try_alloc0 (tr->n);
  if (tr->grads == NULL || tr->m == NULL || tr->prev == NULL ||
      (options->optimizer == LSTM_OPTIMIZER_ADAM && tr->v == NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: not enough memory for the optimizer's buffers (%"
        G_GSIZE_FORMAT " parameters)", tr->n);
    lstm_trainer_free (tr);
    return NULL;
  }
  lstm_rng_seed (&tr->rng, options->seed);
  tr->best_val = INFINITY;
  return tr;
}

/**
 * lstm_trainer_free:
 * @trainer: (transfer full) (nullable): a trainer
 *
 * Frees the trainer.
 */
void
lstm_trainer_free (LstmTrainer *trainer)
{
  if (trainer == NULL)
    return;
  if (trainer->progress_destroy)
    trainer->progress_destroy (trainer->progress_data);
  lstm_model_unref (trainer->model);
  g_free (trainer->checkpoint_path);
  g_free (trainer->data_description);
  g_free (trainer->t_mean);
  g_free (trainer->t_std);
  lstm_aligned_free (trainer->scaled);
  lstm_aligned_free (trainer->grads);
  lstm_aligned_free (trainer->m);
  lstm_aligned_free (trainer->v);
  lstm_aligned_free (trainer->prev);
  lstm_aligned_free (trainer->best);
  lstm_aligned_free (trainer->lanes);
  lstm_aligned_free (trainer->online_hc);
  g_free (trainer->rs_mean);
  g_free (trainer->rs_m2);
  g_free (trainer->rs_buf);
  g_free (trainer->rt_mean);
  g_free (trainer->rt_m2);
  lstm_aligned_free (trainer->dout);
  g_free (trainer->cls_buf);
  g_free (trainer->perm);
  lstm_tape_free (trainer->tape);
  g_array_unref (trainer->history);
  g_array_unref (trainer->train_idx);
  g_array_unref (trainer->val_idx);
  g_free (trainer);
}

/**
 * lstm_trainer_set_progress_func:
 * @trainer: a trainer
 * @func: (nullable): called after every optimizer step and every epoch
 * @user_data: passed to @func
 * @destroy: (nullable): frees @user_data with the trainer
 *
 * Sets the function that sees the progress and may stop training.
 */
void
lstm_trainer_set_progress_func (LstmTrainer *trainer,
    LstmTrainProgressFunc func, gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (trainer != NULL);
  if (trainer->progress_destroy)
    trainer->progress_destroy (trainer->progress_data);
  trainer->progress = func;
  trainer->progress_data = user_data;
  trainer->progress_destroy = destroy;
}

/* ---- binding the data ---- */

static const LstmLayer *
last_layer (LstmTrainer *tr)
{
  return &tr->model->layers[tr->model->n_layers - 1];
}

static LstmActivation
head_activation (LstmTrainer *tr)
{
  const LstmLayer *L = last_layer (tr);
  return L->type == LSTM_LAYER_LINEAR ? L->activation : LSTM_ACTIVATION_NONE;
}

static gboolean
check_dataset (LstmTrainer *tr, LstmDataset *ds, const gchar *what,
    GError **error)
{
  LstmModel *m = tr->model;

  if (ds->seqs->len == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the %s set is empty", what);
    return FALSE;
  }
  if (ds->input_size != m->input_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "trainer: the %s set has %u values per frame; the model takes %u",
        what, ds->input_size, m->input_size);
    return FALSE;
  }
  if (ds->target_size != m->output_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "trainer: the %s set has %u %s; the model has %u outputs", what,
        ds->target_size, ds->kind == LSTM_TARGET_FRAME_VALUES ?
        "target values per frame" : "classes", m->output_size);
    return FALSE;
  }
  return TRUE;
}

static gboolean
resolve_loss (LstmTrainer *tr, LstmTargetKind kind, GError **error)
{
  gboolean classes = kind != LSTM_TARGET_FRAME_VALUES;
  LstmLoss loss = tr->opt.loss;
  LstmActivation act = head_activation (tr);

  if (loss == LSTM_LOSS_AUTO)
    loss = classes ? LSTM_LOSS_CROSS_ENTROPY : LSTM_LOSS_MSE;
  if (classes != (loss == LSTM_LOSS_CROSS_ENTROPY)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the %s loss does not fit %s targets",
        lstm_loss_to_string (loss), classes ? "class" : "value");
    return FALSE;
  }
  if ((loss == LSTM_LOSS_CROSS_ENTROPY && act != LSTM_ACTIVATION_SOFTMAX &&
          act != LSTM_ACTIVATION_NONE) ||
      (loss == LSTM_LOSS_BINARY_CROSS_ENTROPY &&
          act != LSTM_ACTIVATION_SIGMOID && act != LSTM_ACTIVATION_NONE)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the %s loss needs a %s output layer (or one without "
        "activation, whose outputs are then logits), not %s",
        lstm_loss_to_string (loss), loss == LSTM_LOSS_CROSS_ENTROPY ?
        "softmax" : "sigmoid", lstm_activation_to_string (act));
    return FALSE;
  }
  if (tr->t_mean != NULL && loss != LSTM_LOSS_MSE && loss != LSTM_LOSS_MAE) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: target scaling applies to the mse and mae losses, not %s",
        lstm_loss_to_string (loss));
    return FALSE;
  }
  tr->loss = loss;
  tr->wrt_logits = loss == LSTM_LOSS_CROSS_ENTROPY ||
      loss == LSTM_LOSS_BINARY_CROSS_ENTROPY;
  return TRUE;
}

static gsize
max_len (LstmDataset *ds, GArray *idx)
{
  gsize n = 1;
  guint i;
  for (i = 0; i < idx->len; i++)
    n = MAX (n, g_array_index (ds->seqs, LstmSeq, g_array_index (idx, guint,
                i)).n);
  return n;
}

static void
ensure_tape (LstmTrainer *tr, gsize T)
{
  if (tr->tape != NULL && tr->tape_T >= T)
    return;
  lstm_tape_free (tr->tape);
  lstm_aligned_free (tr->dout);
  lstm_aligned_free (tr->scaled);
  g_free (tr->cls_buf);
  tr->tape_T = T;
  tr->tape = lstm_tape_new (tr->model, tr->k, T);
  tr->dout = lstm_aligned_alloc (T * tr->model->output_size);
  tr->scaled = lstm_aligned_alloc (T * tr->model->output_size);
  tr->cls_buf = g_new (guint, T);
}

static void
all_indices (GArray *idx, guint n)
{
  guint i;
  g_array_set_size (idx, 0);
  for (i = 0; i < n; i++)
    g_array_append_val (idx, i);
}

static int
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

static const LstmSeq *seq_at (LstmDataset *ds, guint index);

static gboolean
bind_data (LstmTrainer *tr, LstmDataset *train, LstmDataset *val,
    GError **error)
{
  LstmModel *m = tr->model;
  guint64 fp;
  gsize T;
  guint i;

  if (!check_dataset (tr, train, "training", error) ||
      (val != NULL && !check_dataset (tr, val, "validation", error)))
    return FALSE;
  if (val != NULL && val->kind != train->kind) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the validation set's targets are not of the training "
        "set's kind");
    return FALSE;
  }
  if (!resolve_loss (tr, train->kind, error))
    return FALSE;

  fp = lstm_dataset_fingerprint (train, G_GUINT64_CONSTANT
      (0xcbf29ce484222325));
  if (val != NULL)
    fp = lstm_dataset_fingerprint (val, fp ^ 0x76616c);
  if (tr->t_mean != NULL) {
    /* the scaling decides the result as much as the data */
    gsize j;
    for (j = 0; j < m->output_size; j++) {
      guint32 a, b;
      memcpy (&a, &tr->t_mean[j], 4);
      memcpy (&b, &tr->t_std[j], 4);
      fp = (fp ^ ((guint64) a << 32 | b)) * G_GUINT64_CONSTANT (0x100000001b3);
    }
  }
  if (tr->bound && fp != tr->fingerprint) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the data differ from the data this trainer was trained on");
    return FALSE;
  }
  if (tr->have_resume_fingerprint && fp != tr->resume_fingerprint) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the data differ from the data of the checkpoint being "
        "resumed (fingerprint %016" G_GINT64_MODIFIER "x, checkpoint %016"
        G_GINT64_MODIFIER "x)", fp, tr->resume_fingerprint);
    return FALSE;
  }
  tr->train_ds = train;
  tr->val_ds = val;
  if (tr->bound)
    return TRUE;

  /* training and validation indices */
  all_indices (tr->train_idx, train->seqs->len);
  g_array_set_size (tr->val_idx, 0);
  if (val != NULL) {
    all_indices (tr->val_idx, val->seqs->len);
    tr->val_ds = val;
  } else if (tr->opt.validation_fraction > 0) {
    guint n = train->seqs->len, k;
    LstmRng split;

    k = (guint) floor (tr->opt.validation_fraction * n + 0.5);
    if (n < 2) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "trainer: a validation fraction of %g needs at least 2 sequences "
          "(the training set has %u)", tr->opt.validation_fraction, n);
      return FALSE;
    }
    k = CLAMP (k, 1, n - 1);
    /* a seeded partial Fisher-Yates shuffle, apart from the epochs' RNG */
    lstm_rng_seed (&split, tr->opt.seed ^ G_GUINT64_CONSTANT
        (0x76616c6964617465));
    for (i = 0; i < k; i++) {
      guint j = i + (guint) lstm_rng_below (&split, n - i);
      guint t = g_array_index (tr->train_idx, guint, i);
      g_array_index (tr->train_idx, guint, i) =
          g_array_index (tr->train_idx, guint, j);
      g_array_index (tr->train_idx, guint, j) = t;
    }
    g_array_append_vals (tr->val_idx, tr->train_idx->data, k);
    g_array_remove_range (tr->train_idx, 0, k);
    g_array_sort (tr->val_idx, cmp_uint);
    g_array_sort (tr->train_idx, cmp_uint);
    tr->val_ds = train;
  }

  /* windows */
  T = tr->opt.sequence_length ? tr->opt.sequence_length :
      max_len (train, tr->train_idx);
  if (train->kind == LSTM_TARGET_SEQUENCE_CLASS &&
      tr->opt.clip_loss == LSTM_CLIP_LOSS_MEAN) {
    /* each clip's loss needs all its frames in one window */
    gsize longest = max_len (train, tr->train_idx);
    if (tr->val_ds != NULL)
      longest = MAX (longest, max_len (tr->val_ds, tr->val_idx));
    if (tr->opt.sequence_length != 0 && tr->opt.sequence_length < longest) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "trainer: the mean clip loss scores whole clips: sequence_length "
          "%u is shorter than the longest clip (%" G_GSIZE_FORMAT " frames);"
          " use 0", tr->opt.sequence_length, longest);
      return FALSE;
    }
    T = longest;
  }
  if (!m->streamable) {
    gsize longest = max_len (train, tr->train_idx);
    if (tr->val_ds != NULL)
      longest = MAX (longest, max_len (tr->val_ds, tr->val_idx));
    if (tr->opt.sequence_length != 0 && tr->opt.sequence_length < longest) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "trainer: %s has a bidirectional layer, which needs whole "
          "sequences: sequence_length %u is shorter than the longest "
          "sequence (%" G_GSIZE_FORMAT " frames); use 0", m->name,
          tr->opt.sequence_length, longest);
      return FALSE;
    }
    T = longest;
  }
  ensure_tape (tr, T);
  tr->train_frames = 0;
  for (i = 0; i < tr->train_idx->len; i++)
    tr->train_frames += seq_at (train, g_array_index (tr->train_idx, guint,
            i))->n;
  tr->perm = g_new (guint, MAX (tr->train_idx->len, 1));
  if (tr->lanes == NULL)
    tr->lanes = lstm_aligned_alloc ((gsize) tr->opt.batch_size *
        MAX (m->state_size, 1));
  tr->fingerprint = fp;
  tr->kind = train->kind;
  tr->bound = TRUE;
  return TRUE;
}

/* ---- one window ---- */

static const LstmSeq *
seq_at (LstmDataset *ds, guint index)
{
  return &g_array_index (ds->seqs, LstmSeq, index);
}

/* Targets counted in frames [off, off + T) of @s. */
static double
count_targets (LstmTrainer *tr, LstmDataset *ds, const LstmSeq *s, gsize off,
    gsize T)
{
  gsize t, c = 0;

  switch (ds->kind) {
    case LSTM_TARGET_SEQUENCE_CLASS:
      switch (tr->opt.clip_loss) {
        case LSTM_CLIP_LOSS_EVERY_FRAME:
          return (double) T;
        case LSTM_CLIP_LOSS_MEAN:     /* the whole clip in one window */
          return off == 0 && T == s->n ? 1.0 : 0.0;
        case LSTM_CLIP_LOSS_LAST:
          break;
      }
      return off + T == s->n ? 1.0 : 0.0;
    case LSTM_TARGET_FRAME_CLASS:
      for (t = 0; t < T; t++)
        c += g_array_index (ds->classes, guint, s->start + off + t) !=
            LSTM_TARGET_IGNORE;
      return (double) c;
    case LSTM_TARGET_FRAME_VALUES:
      for (t = 0; t < T; t++)
        c += g_array_index (ds->mask, guint8, s->start + off + t) != 0;
      return (double) c * ds->target_size;
  }
  return 0.0;
}

/* The loss of the tape's last forward (@T frames, outputs @out) against
 * value targets @tgt ((T, output_size), counted where @mask is non-zero)
 * or frame classes @classes ((T)), its gradient (times @scale) into
 * tr->dout. */
static double
frames_loss (LstmTrainer *tr, LstmTargetKind kind, const guint *classes,
    const float *tgt, const guint8 *mask, gsize T, const float *out,
    float scale, guint64 *correct)
{
  guint n = tr->model->output_size;
  const float *z = lstm_tape_logits (tr->tape);
  gsize t;

  if (kind == LSTM_TARGET_FRAME_VALUES) {
    double sum;
    guint j;

    if (tr->t_mean != NULL || tr->model->residual != NULL) {
      /* y = head * std + mean (+ x_raw[residual[j]] for a residual model:
       * no parameter, so the gradient reaches the head times std) */
      const guint *res = tr->model->residual;
      const float *x = lstm_tape_raw_input (tr->tape);
      guint I = tr->model->input_size;
      for (t = 0; t < T; t++)
        for (j = 0; j < n; j++) {
          float v = out[t * n + j];
          if (tr->t_mean != NULL)
            v = v * tr->t_std[j] + tr->t_mean[j];
          if (res != NULL)
            v += x[t * I + res[j]];
          tr->scaled[t * n + j] = v;
        }
      out = tr->scaled;
    }
    switch (tr->loss) {
      case LSTM_LOSS_MAE:
        sum = lstm_loss_mae (out, tgt, mask, T, n, scale, tr->dout);
        break;
      case LSTM_LOSS_BINARY_CROSS_ENTROPY:
        sum = lstm_loss_binary_cross_entropy (z, tgt, mask, T, n, scale,
            tr->dout);
        break;
      default:
        sum = lstm_loss_mse (out, tgt, mask, T, n, scale, tr->dout);
        break;
    }
    if (tr->t_mean != NULL)
      for (t = 0; t < T; t++)
        for (j = 0; j < n; j++)
          tr->dout[t * n + j] = tr->dout[t * n + j] * tr->t_std[j];
    return sum;
  }
  return lstm_loss_cross_entropy (z, classes, T, n, scale, tr->dout,
      correct);
}

/* The loss of the tape's last forward (frames [off, off + T) of @s), its
 * gradient (times @scale) into tr->dout. */
static double
window_loss (LstmTrainer *tr, LstmDataset *ds, const LstmSeq *s, gsize off,
    gsize T, const float *out, float scale, guint64 *correct)
{
  guint n = tr->model->output_size;
  gsize t;

  if (ds->kind == LSTM_TARGET_FRAME_VALUES)
    return frames_loss (tr, ds->kind, NULL, &g_array_index (ds->values,
            float, (s->start + off) * n), &g_array_index (ds->mask, guint8,
            s->start + off), T, out, scale, correct);
  if (ds->kind == LSTM_TARGET_FRAME_CLASS)
    return frames_loss (tr, ds->kind, &g_array_index (ds->classes, guint,
            s->start + off), NULL, NULL, T, out, scale, correct);
  if (tr->opt.clip_loss == LSTM_CLIP_LOSS_MEAN)
    return lstm_loss_mean_cross_entropy (lstm_tape_logits (tr->tape), s->cls,
        T, n, scale, tr->dout, correct);
  for (t = 0; t < T; t++)
    tr->cls_buf[t] = tr->opt.every_frame || off + t == s->n - 1 ? s->cls :
        LSTM_TARGET_IGNORE;
  return lstm_loss_cross_entropy (lstm_tape_logits (tr->tape), tr->cls_buf,
      T, n, scale, tr->dout, correct);
}

static double
learning_rate_at (LstmTrainer *tr, guint epoch)
{
  const LstmTrainerOptions *o = &tr->opt;

  switch (o->schedule) {
    case LSTM_SCHEDULE_STEP:
      return o->learning_rate * pow (o->gamma, (double) (epoch /
              o->step_size));
    case LSTM_SCHEDULE_COSINE:
      return o->min_lr + (o->learning_rate - o->min_lr) *
          (1.0 + cos (G_PI * (double) epoch / (double) o->epochs)) / 2.0;
    case LSTM_SCHEDULE_CONSTANT:
      break;
  }
  return o->learning_rate;
}

static gboolean
diverged (LstmTrainer *tr, const gchar *what, double value, GError **error)
{
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_DIVERGED,
      "training diverged at epoch %u, step %" G_GUINT64_FORMAT ": the %s is "
      "%g; the weights are those before this step%s%s", tr->epoch + 1,
      tr->step + 1, what, value, tr->checkpoint_path ?
      ", the last good checkpoint is " : "",
      tr->checkpoint_path ? tr->checkpoint_path : "");
  return FALSE;
}

/* One optimizer step on tr->grads, which hold the gradient of the mean
 * loss over @count targets whose summed loss is @loss. */
static gboolean
update_weights (LstmTrainer *tr, double loss, double count, GError **error)
{
  LstmModel *m = tr->model;
  double norm, lr;

  if (!isfinite (loss))
    return diverged (tr, "loss", loss / count, error);
  norm = lstm_clip_grad_norm (tr->grads, tr->n, tr->opt.clip_norm);
  if (!isfinite (norm))
    return diverged (tr, "gradient norm", norm, error);
  lr = learning_rate_at (tr, tr->epoch);
  memcpy (tr->prev, m->params, tr->n * sizeof (float));
  tr->step++;
  if (tr->opt.optimizer == LSTM_OPTIMIZER_ADAM)
    lstm_optim_adam_step (m->params, tr->grads, tr->m, tr->v, tr->n,
        tr->step, lr, tr->opt.beta1, tr->opt.beta2, tr->opt.eps,
        tr->opt.weight_decay);
  else
    lstm_optim_sgd_step (m->params, tr->grads, tr->m, tr->n, tr->step, lr,
        tr->opt.momentum, tr->opt.dampening, tr->opt.nesterov,
        tr->opt.weight_decay);
  lstm_model_invalidate_packed (m);
  norm = lstm_grad_norm (m->params, tr->n);
  if (!isfinite (norm)) {
    /* back to the last good weights */
    memcpy (m->params, tr->prev, tr->n * sizeof (float));
    tr->step--;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_DIVERGED,
        "training diverged at epoch %u, step %" G_GUINT64_FORMAT ": the "
        "update made weights non-finite; the weights are those before this "
        "step%s%s", tr->epoch + 1, tr->step + 1,
        tr->checkpoint_path ? "; the last good checkpoint is " : "",
        tr->checkpoint_path ? tr->checkpoint_path : "");
    return FALSE;
  }
  return TRUE;
}

/* Runs window @w (frames [w W, (w + 1) W)) of the lanes @lanes and takes
 * one optimizer step on it. */
static gboolean
train_window (LstmTrainer *tr, const guint *lanes, guint n_lanes, gsize W,
    guint w, double *step_loss, GError **error)
{
  LstmModel *m = tr->model;
  LstmDataset *ds = tr->train_ds;
  gsize off = (gsize) w * W, S = MAX (m->state_size, 1);
  double count = 0, loss = 0;
  guint64 correct = 0, frames = 0;
  gint64 t0 = g_get_monotonic_time ();
  guint b;

  for (b = 0; b < n_lanes; b++) {
    const LstmSeq *s = seq_at (ds, lanes[b]);
    if (off < s->n)
      count += count_targets (tr, ds, s, off, MIN (W, s->n - off));
  }
  if (count > 0)
    memset (tr->grads, 0, tr->n * sizeof (float));
  for (b = 0; b < n_lanes; b++) {
    const LstmSeq *s = seq_at (ds, lanes[b]);
    const float *out;
    gsize T;

    if (off >= s->n)
      continue;                 /* this lane's sequence has ended */
    T = MIN (W, s->n - off);
    out = lstm_tape_forward (tr->tape, &g_array_index (ds->frames, float,
            (s->start + off) * m->input_size), T, tr->lanes + b * S);
    frames += T;
    if (count == 0 || count_targets (tr, ds, s, off, T) == 0)
      continue;
    loss += window_loss (tr, ds, s, off, T, out, (float) (1.0 / count),
        &correct);
    lstm_tape_backward (tr->tape, tr->dout, tr->wrt_logits, tr->grads);
  }
  *step_loss = count > 0 ? loss / count : NAN;
  if (count > 0 && !update_weights (tr, loss, count, error))
    return FALSE;
  tr->ep_loss += loss;
  tr->ep_count += count;
  tr->ep_correct += correct;
  tr->ep_frames += frames;
  tr->ep_time_us += g_get_monotonic_time () - t0;
  return TRUE;
}

/* ---- evaluation ---- */

static void
evaluate_indices (LstmTrainer *tr, LstmDataset *ds, GArray *idx,
    double *loss_out, double *acc_out)
{
  LstmModel *m = tr->model;
  g_autofree float *hc = g_new0 (float, MAX (m->state_size, 1));
  double loss = 0, count = 0;
  guint64 correct = 0;
  guint i;

  for (i = 0; i < idx->len; i++) {
    const LstmSeq *s = seq_at (ds, g_array_index (idx, guint, i));
    gsize off;

    if (!m->streamable)
      ensure_tape (tr, s->n);
    memset (hc, 0, m->state_size * sizeof (float));
    for (off = 0; off < s->n; off += tr->tape_T) {
      gsize T = MIN (tr->tape_T, s->n - off);
      const float *out = lstm_tape_forward (tr->tape,
          &g_array_index (ds->frames, float, (s->start + off) *
              m->input_size), T, hc);
      double c = count_targets (tr, ds, s, off, T);
      if (c == 0)
        continue;
      count += c;
      loss += window_loss (tr, ds, s, off, T, out, 1.0f, &correct);
    }
  }
  *loss_out = count > 0 ? loss / count : NAN;
  *acc_out = ds->kind != LSTM_TARGET_FRAME_VALUES && count > 0 ?
      (double) correct / count : NAN;
}

/**
 * lstm_trainer_evaluate:
 * @trainer: a trainer
 * @dataset: data with targets of the kind the trainer trains on
 * @loss: (out) (optional): the mean loss over @dataset's targets
 * @accuracy: (out) (optional): class targets: the fraction of counted
 *   frames whose highest output is the target class; else NAN
 * @error: return location for a #GError
 *
 * Runs the trainer's current weights over every sequence of @dataset
 * (each from a zero state) and measures the loss the trainer minimises.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_trainer_evaluate (LstmTrainer *trainer, LstmDataset *dataset,
    double *loss, double *accuracy, GError **error)
{
  g_autoptr (GArray) idx = g_array_new (FALSE, FALSE, sizeof (guint));
  double l, a;

  g_return_val_if_fail (trainer != NULL && dataset != NULL, FALSE);
  if ((trainer->bound || trainer->online) && dataset->kind != trainer->kind) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the evaluation set's targets are not of the training "
        "set's kind");
    return FALSE;
  }
  if (!check_dataset (trainer, dataset, "evaluation", error) ||
      !resolve_loss (trainer, dataset->kind, error))
    return FALSE;
  all_indices (idx, dataset->seqs->len);
  ensure_tape (trainer, trainer->opt.sequence_length ?
      trainer->opt.sequence_length : max_len (dataset, idx));
  evaluate_indices (trainer, dataset, idx, &l, &a);
  if (loss)
    *loss = l;
  if (accuracy)
    *accuracy = a;
  return TRUE;
}

/* ---- the loop ---- */

static gboolean
report (LstmTrainer *tr, gboolean epoch_done, double step_loss,
    const LstmEpochStats *stats)
{
  LstmTrainProgress p = { 0 };
  guint64 total = tr->train_frames;

  if (tr->progress == NULL)
    return TRUE;
  p.n_epochs = tr->opt.epochs;
  p.step = tr->step;
  p.step_loss = step_loss;
  p.epoch_done = epoch_done;
  if (epoch_done) {
    p.epoch = stats->epoch;
    p.epoch_fraction = 1.0;
    p.loss = stats->loss;
    p.accuracy = stats->accuracy;
    p.val_loss = stats->val_loss;
    p.val_accuracy = stats->val_accuracy;
    p.learning_rate = stats->learning_rate;
    p.frames_per_second = stats->frames_per_second;
  } else {
    p.epoch = tr->epoch + 1;
    p.epoch_fraction = total ? (double) tr->ep_frames / total : 0;
    p.loss = tr->ep_count > 0 ? tr->ep_loss / tr->ep_count : NAN;
    p.accuracy = tr->kind != LSTM_TARGET_FRAME_VALUES &&
        tr->ep_count > 0 ? tr->ep_correct / tr->ep_count : NAN;
    p.val_loss = NAN;
    p.val_accuracy = NAN;
    p.learning_rate = learning_rate_at (tr, tr->epoch);
    p.frames_per_second = tr->ep_time_us > 0 ?
        tr->ep_frames * 1e6 / tr->ep_time_us : 0;
  }
  return tr->progress (&p, tr->progress_data);
}

static void
shuffle_epoch (LstmTrainer *tr)
{
  guint n = tr->train_idx->len, i;

  tr->rng_epoch = tr->rng;
  memcpy (tr->perm, tr->train_idx->data, n * sizeof (guint));
  if (tr->opt.shuffle)
    for (i = n; i > 1; i--) {
      guint j = (guint) lstm_rng_below (&tr->rng, i);
      guint t = tr->perm[i - 1];
      tr->perm[i - 1] = tr->perm[j];
      tr->perm[j] = t;
    }
  tr->perm_valid = TRUE;
}

static void
end_epoch (LstmTrainer *tr, LstmEpochStats *st)
{
  gboolean classes = tr->kind != LSTM_TARGET_FRAME_VALUES;

  st->epoch = tr->epoch + 1;
  st->loss = tr->ep_count > 0 ? tr->ep_loss / tr->ep_count : NAN;
  st->accuracy = classes && tr->ep_count > 0 ?
      tr->ep_correct / tr->ep_count : NAN;
  st->val_loss = NAN;
  st->val_accuracy = NAN;
  if (tr->online) {
    /* the windows lstm_trainer_step() held out */
    if (tr->val_count > 0) {
      st->val_loss = tr->val_loss_sum / tr->val_count;
      if (classes)
        st->val_accuracy = tr->val_correct / tr->val_count;
    }
    tr->val_loss_sum = tr->val_count = 0;
    tr->val_correct = 0;
  } else if (tr->val_ds != NULL && tr->val_idx->len > 0) {
    evaluate_indices (tr, tr->val_ds, tr->val_idx, &st->val_loss,
        &st->val_accuracy);
  }
  st->learning_rate = learning_rate_at (tr, tr->epoch);
  st->frames_per_second = tr->ep_time_us > 0 ?
      tr->ep_frames * 1e6 / tr->ep_time_us : 0;
  g_array_append_val (tr->history, *st);

  if (tr->opt.patience > 0 && isfinite (st->val_loss)) {
    if (st->val_loss < tr->best_val) {
      tr->best_val = st->val_loss;
      tr->best_epoch = st->epoch;
      tr->bad_epochs = 0;
      if (tr->opt.restore_best) {
        if (tr->best == NULL)
          tr->best = lstm_aligned_alloc (tr->n);
        memcpy (tr->best, tr->model->params, tr->n * sizeof (float));
      }
    } else if (++tr->bad_epochs >= tr->opt.patience) {
      tr->early_stopped = TRUE;
    }
  }
  tr->epoch++;
  tr->batch = 0;
  tr->window = 0;
  tr->perm_valid = FALSE;
  tr->ep_loss = tr->ep_count = 0;
  tr->ep_correct = tr->ep_frames = 0;
  tr->ep_time_us = 0;
}

static gboolean
maybe_checkpoint (LstmTrainer *tr, gboolean force, GError **error)
{
  if (tr->checkpoint_path == NULL)
    return TRUE;
  if (!force && (tr->opt.checkpoint_interval == 0 ||
          tr->epoch % tr->opt.checkpoint_interval != 0))
    return TRUE;
  return lstm_trainer_write_checkpoint (tr, tr->checkpoint_path, error);
}

/**
 * lstm_trainer_train:
 * @trainer: a trainer
 * @train: the training set
 * @validation: (nullable): the validation set; %NULL: none, or a random
 *   validation_fraction of @train
 * @error: return location for a #GError
 *
 * Trains until the last epoch, an early stop, or until the progress
 * function returns %FALSE. Calling it again (with the same data) continues
 * where it stopped; after lstm_trainer_resume(), it continues the
 * checkpoint's run. Checkpoints are written as the options say.
 *
 * A non-finite loss or gradient stops training with
 * %LSTM_ERROR_DIVERGED: the weights stay those of the last good step and
 * the checkpoint file, if any, is left as it was.
 *
 * Returns: %TRUE when training ended or was stopped cleanly (see
 * lstm_trainer_is_finished()); %FALSE with @error set otherwise.
 */
gboolean
lstm_trainer_train (LstmTrainer *trainer, LstmDataset *train,
    LstmDataset *validation, GError **error)
{
  LstmTrainer *tr = trainer;
  LstmModel *m;
  gsize S;

  g_return_val_if_fail (trainer != NULL && train != NULL, FALSE);
  if (tr->online) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: trains online (lstm_trainer_begin_online()); it cannot "
        "also train on datasets");
    return FALSE;
  }
  if (!bind_data (tr, train, validation, error))
    return FALSE;
  m = tr->model;
  S = MAX (m->state_size, 1);
  tr->stop = FALSE;

  while (!tr->finished) {
    guint n_seq = tr->train_idx->len, B = tr->opt.batch_size;
    guint n_batches = (n_seq + B - 1) / B;
    LstmEpochStats stats;

    if (tr->epoch >= tr->opt.epochs || tr->early_stopped) {
      tr->finished = TRUE;
      if (tr->best != NULL)
        memcpy (m->params, tr->best, tr->n * sizeof (float));
      lstm_model_invalidate_packed (m);
      return maybe_checkpoint (tr, TRUE, error);
    }
    if (!tr->perm_valid)
      shuffle_epoch (tr);

    while (tr->batch < n_batches) {
      const guint *lanes = tr->perm + (gsize) tr->batch * B;
      guint n_lanes = MIN (B, n_seq - tr->batch * B), b;
      gsize L = 1, W;
      guint n_win;

      for (b = 0; b < n_lanes; b++)
        L = MAX (L, seq_at (tr->train_ds, lanes[b])->n);
      W = m->streamable && tr->opt.sequence_length ?
          tr->opt.sequence_length : L;
      n_win = (guint) ((L + W - 1) / W);
      if (tr->window == 0 && !tr->lanes_loaded)
        memset (tr->lanes, 0, (gsize) n_lanes * S * sizeof (float));
      tr->lanes_loaded = FALSE;

      while (tr->window < n_win) {
        double step_loss;
        if (!train_window (tr, lanes, n_lanes, W, tr->window, &step_loss,
                error))
          return FALSE;
        if (++tr->window == n_win) {
          tr->window = 0;
          tr->batch++;
        }
        if (!report (tr, FALSE, step_loss, NULL))
          tr->stop = TRUE;
        if (tr->stop)
          return maybe_checkpoint (tr, TRUE, error);
        if (tr->window == 0)
          break;
      }
    }

    end_epoch (tr, &stats);
    if (!maybe_checkpoint (tr, FALSE, error))
      return FALSE;
    if (!report (tr, TRUE, NAN, &stats))
      return maybe_checkpoint (tr, TRUE, error);
  }
  return TRUE;
}

/**
 * lstm_trainer_is_finished:
 * @trainer: a trainer
 *
 * Returns: %TRUE once every epoch ran or early stopping ended training;
 * %FALSE before, or after the progress function stopped it.
 */
gboolean
lstm_trainer_is_finished (LstmTrainer *trainer)
{
  g_return_val_if_fail (trainer != NULL, FALSE);
  return trainer->finished;
}

/**
 * lstm_trainer_get_step:
 * @trainer: a trainer
 *
 * Returns: optimizer steps taken so far.
 */
guint64
lstm_trainer_get_step (LstmTrainer *trainer)
{
  g_return_val_if_fail (trainer != NULL, 0);
  return trainer->step;
}

/**
 * lstm_trainer_get_history:
 * @trainer: a trainer
 * @n_epochs: (out): how many epochs are recorded
 *
 * Returns: (array length=n_epochs) (transfer none): one row per completed
 * epoch: the loss curve.
 */
const LstmEpochStats *
lstm_trainer_get_history (LstmTrainer *trainer, guint *n_epochs)
{
  g_return_val_if_fail (trainer != NULL && n_epochs != NULL, NULL);
  *n_epochs = trainer->history->len;
  return (const LstmEpochStats *) (gpointer) trainer->history->data;
}

/* Folds the target scaling into the last linear layer of @params (laid out
 * as tr->model->params). */
void
lstm_trainer_fold_scaling (LstmTrainer *tr, float *params)
{
  LstmModel *m = tr->model;
  const LstmLayer *last = &m->layers[m->n_layers - 1];
  float *w = params + (last->weight - m->params);
  float *b = params + (last->bias_v - m->params);
  guint j, i;

  for (j = 0; j < last->output_size; j++) {
    for (i = 0; i < last->input_size; i++)
      w[(gsize) j * last->input_size + i] =
          w[(gsize) j * last->input_size + i] * tr->t_std[j];
    b[j] = b[j] * tr->t_std[j] + tr->t_mean[j];
  }
}

/* Welford's running statistics of @dim-wide rows: adds @T rows of @x
 * (those whose @mask flag is set; all when NULL). */
static void
welford_add (guint64 *n, double *mean, double *m2, const float *x, gsize T,
    guint dim, const guint8 *mask)
{
  gsize t;
  guint j;

  for (t = 0; t < T; t++) {
    if (mask != NULL && !mask[t])
      continue;
    (*n)++;
    for (j = 0; j < dim; j++) {
      double v = x[t * dim + j], d = v - mean[j];
      mean[j] += d / *n;
      m2[j] += d * (v - mean[j]);
    }
  }
}

/* The mean and standard deviation of value @j so far (std 1 for a
 * constant value or fewer than two rows, as lstm_compute_statistics() has
 * it). */
static void
welford_get (guint64 n, const double *mean, const double *m2, guint j,
    float *mean_out, float *std_out)
{
  double v = n > 1 ? m2[j] / (n - 1) : 0;

  *mean_out = (float) mean[j];
  *std_out = (float) sqrt (v);
  if (!(*std_out > 0.0f) || !isfinite (*std_out))
    *std_out = 1.0f;
}

/* Writes the running statistics into @copy as its input normalisation. */
void
lstm_trainer_freeze_statistics (LstmTrainer *tr, LstmModel *copy)
{
  guint j, I = copy->input_size;

  g_free (copy->input_mean);
  g_free (copy->input_std);
  copy->input_mean = g_new (float, I);
  copy->input_std = g_new (float, I);
  for (j = 0; j < I; j++)
    welford_get (tr->rs_n, tr->rs_mean, tr->rs_m2, j, &copy->input_mean[j],
        &copy->input_std[j]);
}

/**
 * lstm_trainer_get_model:
 * @trainer: a trainer
 *
 * Takes the trained weights as a new, immutable model, with the metadata
 * of the model the trainer started from and `lstm.training` recording how
 * it was trained (optimizer, loss, epochs, final losses, the data
 * description). Online training with running statistics gives the model
 * the statistics of the frames seen so far as its input normalisation.
 * Training may go on afterwards without changing it.
 *
 * Returns: (transfer full): the model.
 */
LstmModel *
lstm_trainer_get_model (LstmTrainer *trainer)
{
  LstmModel *copy;

  g_return_val_if_fail (trainer != NULL, NULL);
  copy = lstm_model_copy (trainer->model);
  if (trainer->t_mean != NULL)
    lstm_trainer_fold_scaling (trainer, copy->params);
  lstm_model_invalidate_packed (copy);
  if (trainer->rs_mean != NULL)
    lstm_trainer_freeze_statistics (trainer, copy);
  lstm_model_invalidate_packed (copy);
  g_hash_table_replace (copy->metadata, g_strdup ("lstm.training"),
      lstm_trainer_training_json (trainer));
  return copy;
}

/* ---- online training: windows as a stream delivers them ----
 *
 * The lstmtrain element's online mode: one stream, cut into windows as it
 * arrives. Each window runs from the stream's carried state, takes one
 * optimizer step (truncated BPTT: no gradient flows into the state before
 * the window) and leaves the state at its end for the next window. A
 * seeded fraction of the windows is held out: evaluated, not trained on.
 * The epoch's sums, the progress function, the history and checkpoints
 * work as in lstm_trainer_train(); an epoch ends when the caller says so.
 */

/**
 * lstm_trainer_begin_online:
 * @trainer: a trainer that has not trained on datasets
 * @kind: the targets the windows will carry: %LSTM_TARGET_FRAME_CLASS or
 *   %LSTM_TARGET_FRAME_VALUES
 * @error: return location for a #GError
 *
 * Readies @trainer for lstm_trainer_step(): windows of frames from one
 * stream, in order, with the recurrent state carried from window to
 * window (starting from zeros). Options that concern datasets (batch_size,
 * shuffle, patience) do not apply; validation_fraction is the probability
 * that a window is held out; epochs only sizes the learning-rate schedule.
 * With the running_statistics option, a model without input normalisation
 * learns on frames standardised by the statistics of the stream so far
 * (see #LstmTrainerOptions), and, for value targets without a target
 * scaling and a last linear layer without activation, fits targets
 * standardised the same way (the scaling folded into the models it
 * returns, as #LstmTrainerOptions.target_mean has it).
 * Calling it again with the same @kind does nothing.
 *
 * Returns: %TRUE on success; %FALSE with @error set when @trainer already
 * trained on datasets, @kind is not a per-frame kind or does not fit the
 * model's output layer, or the model is bidirectional.
 */
gboolean
lstm_trainer_begin_online (LstmTrainer *trainer, LstmTargetKind kind,
    GError **error)
{
  LstmTrainer *tr = trainer;
  LstmModel *m;

  g_return_val_if_fail (trainer != NULL, FALSE);
  m = tr->model;
  if (tr->online && tr->kind == kind)
    return TRUE;
  if (tr->bound || tr->online) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: already trains %s; online training needs a fresh trainer",
        tr->bound ? "on datasets" : "online on other targets");
    return FALSE;
  }
  if (kind != LSTM_TARGET_FRAME_CLASS && kind != LSTM_TARGET_FRAME_VALUES) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: online training takes targets per frame (classes or "
        "values), not one class per sequence");
    return FALSE;
  }
  if (!m->streamable) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "trainer: %s has a bidirectional layer, which needs whole "
        "sequences; it cannot train on a stream", m->name);
    return FALSE;
  }
  if (!resolve_loss (tr, kind, error))
    return FALSE;
  ensure_tape (tr, MAX (tr->opt.sequence_length, 1));
  if (tr->opt.running_statistics && m->input_mean == NULL &&
      m->input_std == NULL) {
    tr->rs_mean = g_new0 (double, m->input_size);
    tr->rs_m2 = g_new0 (double, m->input_size);
  }
  if (tr->opt.running_statistics && kind == LSTM_TARGET_FRAME_VALUES &&
      tr->t_mean == NULL && last_layer (tr)->type == LSTM_LAYER_LINEAR &&
      last_layer (tr)->activation == LSTM_ACTIVATION_NONE &&
      last_layer (tr)->bias_v != NULL) {
    /* the targets' running statistics as the target scaling */
    guint j;
    tr->rt_mean = g_new0 (double, m->output_size);
    tr->rt_m2 = g_new0 (double, m->output_size);
    tr->t_mean = g_new0 (float, m->output_size);
    tr->t_std = g_new (float, m->output_size);
    for (j = 0; j < m->output_size; j++)
      tr->t_std[j] = 1.0f;
    tr->opt.target_mean = tr->t_mean;
    tr->opt.target_std = tr->t_std;
  }
  tr->online_hc = lstm_aligned_alloc (MAX (m->state_size, 1));
  memset (tr->online_hc, 0, MAX (m->state_size, 1) * sizeof (float));
  tr->kind = kind;
  tr->online = TRUE;
  return TRUE;
}

/* Checks a window's values; the error names the frame. */
static gboolean
check_window (LstmTrainer *tr, const float *frames, gsize T,
    const guint *classes, const float *values, const guint8 *mask,
    GError **error)
{
  LstmModel *m = tr->model;
  guint n = m->output_size;
  gsize i, j;

  for (i = 0; i < T * m->input_size; i++)
    if (!isfinite (frames[i])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "trainer: window frame %" G_GSIZE_FORMAT ", value %" G_GSIZE_FORMAT
          " is %g (must be finite)", i / m->input_size, i % m->input_size,
          (double) frames[i]);
      return FALSE;
    }
  for (i = 0; i < T; i++) {
    if (tr->kind == LSTM_TARGET_FRAME_CLASS) {
      if (classes[i] >= n && classes[i] != LSTM_TARGET_IGNORE) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "trainer: window frame %" G_GSIZE_FORMAT ": class %u is out of "
            "range (%u classes)", i, classes[i], n);
        return FALSE;
      }
      continue;
    }
    if (mask != NULL && !mask[i])
      continue;
    for (j = 0; j < n; j++)
      if (!isfinite (values[i * n + j])) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "trainer: window frame %" G_GSIZE_FORMAT ": target %"
            G_GSIZE_FORMAT " is %g (must be finite)", i, j,
            (double) values[i * n + j]);
        return FALSE;
      }
  }
  return TRUE;
}

/* Running statistics: adds the window's frames (Welford's update, frame by
 * frame), then returns them standardised by the statistics so far. */
static const float *
standardise (LstmTrainer *tr, const float *frames, gsize T)
{
  guint I = tr->model->input_size, j;
  gsize t;

  if (tr->rs_cap < T) {
    g_free (tr->rs_buf);
    tr->rs_buf = g_new (float, T * I);
    tr->rs_cap = T;
  }
  welford_add (&tr->rs_n, tr->rs_mean, tr->rs_m2, frames, T, I, NULL);
  for (j = 0; j < I; j++) {
    float mean, std;
    welford_get (tr->rs_n, tr->rs_mean, tr->rs_m2, j, &mean, &std);
    for (t = 0; t < T; t++)
      tr->rs_buf[t * I + j] = (frames[t * I + j] - mean) / std;
  }
  return tr->rs_buf;
}

/* Running target statistics: adds the window's counted targets, then sets
 * the target scaling to the statistics so far. */
static void
update_target_scaling (LstmTrainer *tr, const float *values,
    const guint8 *mask, gsize T)
{
  guint O = tr->model->output_size, j;

  welford_add (&tr->rt_n, tr->rt_mean, tr->rt_m2, values, T, O, mask);
  for (j = 0; j < O; j++)
    welford_get (tr->rt_n, tr->rt_mean, tr->rt_m2, j, &tr->t_mean[j],
        &tr->t_std[j]);
}

/**
 * lstm_trainer_step:
 * @trainer: a trainer after lstm_trainer_begin_online()
 * @frames: (array): @n_frames x input_size values, the stream's next frames
 * @n_frames: how many (the window; usually the sequence_length option)
 * @classes: (nullable) (array): %LSTM_TARGET_FRAME_CLASS: @n_frames
 *   classes, each below the output size or %LSTM_TARGET_IGNORE
 * @values: (nullable) (array): %LSTM_TARGET_FRAME_VALUES: @n_frames x
 *   output_size target values
 * @mask: (nullable) (array): with @values: @n_frames flags, non-zero where
 *   a frame has a target; %NULL: every frame has one
 * @loss: (out) (optional): the window's mean loss (before the update), or
 *   NAN when no frame of it has a target
 * @held_out: (out) (optional): whether the window was held out for
 *   validation (evaluated, not trained on)
 * @error: return location for a #GError
 *
 * Runs the model over one window of the stream from the carried state
 * (standardised first with running statistics, when the trainer keeps
 * them),
 * which then moves to the window's end, and, unless the window is held out
 * or has no target, takes one optimizer step on the window's mean loss
 * (truncated BPTT). Then the progress function sees the epoch so far
 * (its return value is ignored: the caller decides when to stop).
 * Workspaces grow to the longest window once; nothing is allocated per
 * call after that.
 *
 * Returns: %TRUE on success; %FALSE with @error set for a non-finite value
 * or a class out of range (nothing changes then), or
 * %LSTM_ERROR_DIVERGED as lstm_trainer_train() has it.
 */
gboolean
lstm_trainer_step (LstmTrainer *trainer, const float *frames,
    gsize n_frames, const guint *classes, const float *values,
    const guint8 *mask, double *loss, gboolean *held_out, GError **error)
{
  LstmTrainer *tr = trainer;
  gboolean held = FALSE;
  double count = 0, sum;
  guint64 correct = 0;
  gint64 t0;
  const float *out;
  gsize t;

  g_return_val_if_fail (trainer != NULL, FALSE);
  g_return_val_if_fail (frames != NULL || n_frames == 0, FALSE);
  if (loss)
    *loss = NAN;
  if (held_out)
    *held_out = FALSE;
  if (!tr->online) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: lstm_trainer_step() needs lstm_trainer_begin_online() "
        "first");
    return FALSE;
  }
  if ((tr->kind == LSTM_TARGET_FRAME_CLASS && classes == NULL && n_frames) ||
      (tr->kind == LSTM_TARGET_FRAME_VALUES && values == NULL && n_frames)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: the window has no %s",
        tr->kind == LSTM_TARGET_FRAME_CLASS ? "classes" : "target values");
    return FALSE;
  }
  if (n_frames == 0)
    return TRUE;
  if (!check_window (tr, frames, n_frames, classes, values, mask, error))
    return FALSE;

  t0 = g_get_monotonic_time ();
  ensure_tape (tr, n_frames);
  if (tr->rs_mean != NULL)
    frames = standardise (tr, frames, n_frames);
  if (tr->rt_mean != NULL)
    update_target_scaling (tr, values, mask, n_frames);
  for (t = 0; t < n_frames; t++)
    count += tr->kind == LSTM_TARGET_FRAME_CLASS ?
        classes[t] != LSTM_TARGET_IGNORE : mask == NULL || mask[t];
  if (tr->kind == LSTM_TARGET_FRAME_VALUES)
    count *= tr->model->output_size;
  if (count > 0 && tr->opt.validation_fraction > 0)
    held = lstm_rng_uniform (&tr->rng) < tr->opt.validation_fraction;

  out = lstm_tape_forward (tr->tape, frames, n_frames, tr->online_hc);
  tr->online_frames += n_frames;
  if (count == 0)
    return TRUE;
  if (held) {
    sum = frames_loss (tr, tr->kind, classes, values, mask, n_frames, out,
        1.0f, &correct);
    tr->val_loss_sum += sum;
    tr->val_count += count;
    tr->val_correct += correct;
  } else {
    memset (tr->grads, 0, tr->n * sizeof (float));
    sum = frames_loss (tr, tr->kind, classes, values, mask, n_frames, out,
        (float) (1.0 / count), &correct);
    lstm_tape_backward (tr->tape, tr->dout, tr->wrt_logits, tr->grads);
    if (!update_weights (tr, sum, count, error))
      return FALSE;
    tr->ep_loss += sum;
    tr->ep_count += count;
    tr->ep_correct += correct;
    tr->ep_frames += n_frames;
    tr->ep_time_us += g_get_monotonic_time () - t0;
    (void) report (tr, FALSE, sum / count, NULL);
  }
  if (loss)
    *loss = sum / count;
  if (held_out)
    *held_out = held;
  return TRUE;
}

/**
 * lstm_trainer_reset_online_state:
 * @trainer: a trainer after lstm_trainer_begin_online()
 *
 * Zeroes the carried recurrent state: the next window starts a new stretch
 * of the stream (after a discontinuity, or for another stream).
 */
void
lstm_trainer_reset_online_state (LstmTrainer *trainer)
{
  g_return_if_fail (trainer != NULL);
  if (trainer->online_hc != NULL)
    memset (trainer->online_hc, 0, MAX (trainer->model->state_size, 1) *
        sizeof (float));
}

/**
 * lstm_trainer_end_online_epoch:
 * @trainer: a trainer after lstm_trainer_begin_online()
 * @error: return location for a #GError
 *
 * Closes the epoch of online steps (a pass over the stream, or whatever
 * stretch the caller calls an epoch): appends its row to the history, with
 * the loss and accuracy of the trained windows and the validation loss and
 * accuracy of the held-out ones; writes a checkpoint when the epoch count
 * reaches a multiple of checkpoint_interval (and a checkpoint path is
 * set); then calls the progress function with @epoch_done set. The carried
 * state is kept.
 *
 * Returns: %TRUE on success; %FALSE with @error set when the checkpoint
 * cannot be written.
 */
gboolean
lstm_trainer_end_online_epoch (LstmTrainer *trainer, GError **error)
{
  LstmEpochStats stats;

  g_return_val_if_fail (trainer != NULL, FALSE);
  if (!trainer->online) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "trainer: lstm_trainer_end_online_epoch() needs "
        "lstm_trainer_begin_online() first");
    return FALSE;
  }
  end_epoch (trainer, &stats);
  if (!maybe_checkpoint (trainer, FALSE, error))
    return FALSE;
  (void) report (trainer, TRUE, NAN, &stats);
  return TRUE;
}
