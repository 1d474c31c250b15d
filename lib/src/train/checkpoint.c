/* liblstm: the files a trainer writes: the lstm.training record of its
 * models, and checkpoints (a model file plus the optimizer state under
 * `optim.` and the `lstm.checkpoint` record), written and read back
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "checkpoint.h"

#define CHECKPOINT_VERSION 1

/* ---- metadata ----
 *
 * lstm.training and lstm.checkpoint are written by the library's one JSON
 * writer (json-writer.c): non-finite numbers as null. The running sums and
 * the best loss go as the bits of their doubles, in hex. */

static void
j_hex (LstmJsonWriter *s, const gchar *key, guint64 v)
{
  gchar buf[17];
  g_snprintf (buf, sizeof buf, "%016" G_GINT64_MODIFIER "x", v);
  lstm_json_add_string (s, key, buf);
}

static void
j_hexd (LstmJsonWriter *s, const gchar *key, double d)
{
  guint64 v;
  memcpy (&v, &d, sizeof v);
  j_hex (s, key, v);
}

/* The lstm.training record: how the model was trained. */
gchar *
lstm_trainer_training_json (LstmTrainer *tr)
{
  LstmJsonWriter *s = lstm_json_writer_new ();
  const LstmTrainerOptions *o = &tr->opt;
  const LstmEpochStats *last = tr->history->len ?
      &g_array_index (tr->history, LstmEpochStats, tr->history->len - 1) :
      NULL;

  lstm_json_begin_object (s, NULL);
  lstm_json_add_string (s, "optimizer", lstm_optimizer_to_string (o->optimizer));
  lstm_json_add_double (s, "learning_rate", o->learning_rate);
  if (o->optimizer == LSTM_OPTIMIZER_ADAM) {
    lstm_json_add_double (s, "beta1", o->beta1);
    lstm_json_add_double (s, "beta2", o->beta2);
    lstm_json_add_double (s, "eps", o->eps);
  } else {
    lstm_json_add_double (s, "momentum", o->momentum);
    if (o->nesterov)
      lstm_json_add_bool (s, "nesterov", TRUE);
  }
  lstm_json_add_double (s, "weight_decay", o->weight_decay);
  lstm_json_add_double (s, "clip_norm", o->clip_norm);
  lstm_json_add_string (s, "schedule", lstm_schedule_to_string (o->schedule));
  lstm_json_add_string (s, "loss", lstm_loss_to_string (tr->bound || tr->online ?
          tr->loss : o->loss));
  if (tr->bound && tr->kind == LSTM_TARGET_SEQUENCE_CLASS)
    lstm_json_add_string (s, "clip_loss", lstm_clip_loss_to_string (o->clip_loss));
  /* online: one stream, one window at a time */
  lstm_json_add_int (s, "batch_size", tr->online ? 1 : o->batch_size);
  lstm_json_add_int (s, "sequence_length", o->sequence_length);
  lstm_json_add_int (s, "epochs", tr->epoch);
  lstm_json_add_int (s, "steps", (gint64) tr->step);
  lstm_json_add_int (s, "seed", (gint64) o->seed);
  if (tr->t_mean != NULL)
    lstm_json_add_bool (s, "target_scaling", TRUE);
  if (tr->online) {
    lstm_json_add_bool (s, "online", TRUE);
    lstm_json_add_int (s, "train_frames", (gint64) tr->online_frames);
    if (o->validation_fraction > 0)
      lstm_json_add_double (s, "validation_fraction", o->validation_fraction);
    if (tr->rs_mean != NULL)
      lstm_json_add_bool (s, "running_statistics", TRUE);
  }
  if (tr->bound) {
    lstm_json_add_int (s, "train_sequences", tr->train_idx->len);
    lstm_json_add_int (s, "train_frames", (gint64) tr->train_frames);
    lstm_json_add_int (s, "validation_sequences", tr->val_idx->len);
  }
  if (last != NULL) {
    lstm_json_add_double (s, "final_loss", last->loss);
    lstm_json_add_double (s, "final_val_loss", last->val_loss);
    lstm_json_add_double (s, "final_accuracy", last->accuracy);
    lstm_json_add_double (s, "final_val_accuracy", last->val_accuracy);
  }
  if (tr->early_stopped || tr->best != NULL) {
    lstm_json_add_int (s, "best_epoch", tr->best_epoch);
    lstm_json_add_double (s, "best_val_loss", tr->best_val);
    lstm_json_add_bool (s, "early_stopped", tr->early_stopped);
  }
  if (tr->data_description != NULL)   /* checked: an object */
    lstm_json_add_raw (s, "data", tr->data_description);
  lstm_json_end_object (s);
  return lstm_json_writer_finish (s);
}

/* ---- checkpoints ---- */

static gchar *
checkpoint_json (LstmTrainer *tr)
{
  LstmJsonWriter *s = lstm_json_writer_new ();
  const LstmRng *rng = tr->perm_valid ? &tr->rng_epoch : &tr->rng;
  guint i;

  lstm_json_begin_object (s, NULL);
  lstm_json_add_int (s, "version", CHECKPOINT_VERSION);
  lstm_json_add_string (s, "optimizer", lstm_optimizer_to_string (tr->opt.optimizer));
  lstm_json_add_int (s, "step", (gint64) tr->step);
  lstm_json_add_int (s, "epoch", tr->epoch);
  lstm_json_add_int (s, "batch", tr->batch);
  lstm_json_add_int (s, "window", tr->window);
  lstm_json_add_int (s, "batch_size", tr->opt.batch_size);
  lstm_json_add_int (s, "sequence_length", tr->opt.sequence_length);
  lstm_json_add_bool (s, "finished", tr->finished);
  lstm_json_add_bool (s, "early_stopped", tr->early_stopped);
  lstm_json_begin_array (s, "rng");
  for (i = 0; i < 4; i++)
    j_hex (s, NULL, rng->s[i]);
  lstm_json_end_array (s);
  if (tr->bound)
    j_hex (s, "data_fingerprint", tr->fingerprint);
  /* running sums and the best loss as the bits of their doubles */
  j_hexd (s, "epoch_loss", tr->ep_loss);
  j_hexd (s, "epoch_count", tr->ep_count);
  lstm_json_add_int (s, "epoch_correct", (gint64) tr->ep_correct);
  lstm_json_add_int (s, "epoch_frames", (gint64) tr->ep_frames);
  j_hexd (s, "best_val_loss", tr->best_val);
  lstm_json_add_int (s, "best_epoch", tr->best_epoch);
  lstm_json_add_int (s, "bad_epochs", tr->bad_epochs);
  lstm_json_begin_array (s, "history");
  for (i = 0; i < tr->history->len; i++) {
    const LstmEpochStats *e = &g_array_index (tr->history, LstmEpochStats, i);
    lstm_json_begin_object (s, NULL);
    lstm_json_add_int (s, "epoch", e->epoch);
    lstm_json_add_double (s, "loss", e->loss);
    lstm_json_add_double (s, "accuracy", e->accuracy);
    lstm_json_add_double (s, "val_loss", e->val_loss);
    lstm_json_add_double (s, "val_accuracy", e->val_accuracy);
    lstm_json_add_double (s, "learning_rate", e->learning_rate);
    lstm_json_add_double (s, "frames_per_second", e->frames_per_second);
    lstm_json_end_object (s);
  }
  lstm_json_end_array (s);
  lstm_json_end_object (s);
  return lstm_json_writer_finish (s);
}

gboolean
lstm_trainer_write_checkpoint (LstmTrainer *tr, const gchar *path,
    GError **error)
{
  LstmModel *m = tr->model;
  g_autoptr (GArray) wt = g_array_new (FALSE, TRUE,
      sizeof (LstmStWriteTensor));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) md = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree float *folded = NULL;
  g_autoptr (LstmModel) frozen = NULL;
  const float *model_params = m->params;
  const float *in_mean = m->input_mean, *in_std = m->input_std;
  const gchar *prefixes[4];
  float *bufs[4];
  guint n_bufs = 0, i, j;
  GHashTableIter iter;
  gpointer key, value;

  /* the model's own tensors, as lstm_model_save() writes them (with the
   * target scaling folded in: a checkpoint is a working model) */
  if (tr->t_mean != NULL) {
    folded = g_memdup2 (m->params, tr->n * sizeof (float));
    lstm_trainer_fold_scaling (tr, folded);
    model_params = folded;
    prefixes[n_bufs] = "optim.params.";
    bufs[n_bufs++] = m->params;
  }
  for (i = 0; i < m->n_tensors; i++) {
    LstmStWriteTensor t = { 0 };
    t.name = m->tensors[i].name;
    t.dtype = LSTM_DTYPE_F32;
    t.data = model_params + m->tensors[i].offset;
    t.n_dims = m->tensors[i].n_dims;
    t.shape[0] = m->tensors[i].shape[0];
    t.shape[1] = m->tensors[i].shape[1];
    g_array_append_val (wt, t);
  }
  if (tr->rs_mean != NULL) {
    /* online with running statistics: frozen as the model has them */
    frozen = lstm_model_copy (m);
    lstm_trainer_freeze_statistics (tr, frozen);
    in_mean = frozen->input_mean;
    in_std = frozen->input_std;
  }
  if (in_mean) {
    LstmStWriteTensor t = { "input.mean", LSTM_DTYPE_F32, in_mean, 1,
      { m->input_size } };
    g_array_append_val (wt, t);
  }
  if (in_std) {
    LstmStWriteTensor t = { "input.std", LSTM_DTYPE_F32, in_std, 1,
      { m->input_size } };
    g_array_append_val (wt, t);
  }

  /* optimizer state under optim.: PyTorch's state names per tensor */
  if (tr->opt.optimizer == LSTM_OPTIMIZER_ADAM) {
    prefixes[n_bufs] = "optim.exp_avg.";
    bufs[n_bufs++] = tr->m;
    prefixes[n_bufs] = "optim.exp_avg_sq.";
    bufs[n_bufs++] = tr->v;
  } else if (tr->opt.momentum != 0) {
    prefixes[n_bufs] = "optim.momentum_buffer.";
    bufs[n_bufs++] = tr->m;
  }
  if (tr->best != NULL) {
    prefixes[n_bufs] = "optim.best.";
    bufs[n_bufs++] = tr->best;
  }
  for (j = 0; j < n_bufs; j++)
    for (i = 0; i < m->n_tensors; i++) {
      LstmStWriteTensor t = { 0 };
      gchar *name = g_strconcat (prefixes[j], m->tensors[i].name, NULL);
      g_ptr_array_add (names, name);
      t.name = name;
      t.dtype = LSTM_DTYPE_F32;
      t.data = bufs[j] + m->tensors[i].offset;
      t.n_dims = m->tensors[i].n_dims;
      t.shape[0] = m->tensors[i].shape[0];
      t.shape[1] = m->tensors[i].shape[1];
      g_array_append_val (wt, t);
    }
  if (tr->window > 0 && m->state_size > 0) {
    /* the lanes' recurrent state inside a batch */
    LstmStWriteTensor t = { "optim.lane_state", LSTM_DTYPE_F32, tr->lanes, 2,
      { tr->opt.batch_size, m->state_size } };
    g_array_append_val (wt, t);
  }

  g_hash_table_iter_init (&iter, m->metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_replace (md, g_strdup (key), g_strdup (value));
  g_hash_table_replace (md, g_strdup ("lstm.training"),
      lstm_trainer_training_json (tr));
  g_hash_table_replace (md, g_strdup ("lstm.checkpoint"),
      checkpoint_json (tr));
  bytes = lstm_st_serialize ((const LstmStWriteTensor *) (gpointer) wt->data,
      wt->len, md);
  return lstm_write_file_atomic (path, bytes, error);
}

/**
 * lstm_trainer_save_checkpoint:
 * @trainer: a trainer
 * @path: where to write
 * @error: return location for a #GError
 *
 * Writes a checkpoint atomically: the model file (loadable for inference
 * as it is) plus the optimizer state under `optim.` and the
 * `lstm.checkpoint` metadata (step, RNG state, data cursor, running sums).
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_trainer_save_checkpoint (LstmTrainer *trainer, const gchar *path,
    GError **error)
{
  g_return_val_if_fail (trainer != NULL && path != NULL, FALSE);
  return lstm_trainer_write_checkpoint (trainer, path, error);
}

static gboolean
parse_hex (JsonObject *o, const gchar *member, guint64 *out)
{
  const gchar *s;
  gchar *end;

  if (!json_object_has_member (o, member))
    return FALSE;
  s = json_object_get_string_member_with_default (o, member, NULL);
  if (s == NULL || *s == '\0')
    return FALSE;
  *out = g_ascii_strtoull (s, &end, 16);
  return *end == '\0';
}

static gboolean
parse_hexd (JsonObject *o, const gchar *member, double *out)
{
  guint64 v;
  if (!parse_hex (o, member, &v))
    return FALSE;
  memcpy (out, &v, sizeof v);
  return TRUE;
}

static gboolean
read_state_tensor (LstmStFile *st, const gchar *name, guint n_dims,
    const guint64 *shape, float *dst, gboolean required, gboolean *found,
    GError **error)
{
  LstmStTensor *t = g_hash_table_lookup (st->tensors, name);
  guint i;

  if (found)
    *found = t != NULL;
  if (t == NULL) {
    if (required)
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: checkpoint tensor '%s' is missing", st->name, name);
    return !required;
  }
  for (i = 0; i < n_dims; i++)
    if (t->n_dims != n_dims || t->shape[i] != shape[i]) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: checkpoint tensor '%s' does not have the shape the model "
          "needs", st->name, name);
      return FALSE;
    }
  return lstm_st_tensor_read_f32 (st, t, dst, error);
}

/* Reads the optimizer buffer whose tensors are @prefix + each parameter
 * tensor's name; when not @required, a buffer whose first tensor is absent
 * is absent (*found = FALSE), but a partial one is an error. */
static gboolean
read_buffer (LstmTrainer *tr, LstmStFile *st, const gchar *prefix,
    float *dst, gboolean required, gboolean *found, GError **error)
{
  LstmModel *m = tr->model;
  guint i;

  for (i = 0; i < m->n_tensors; i++) {
    g_autofree gchar *name = g_strconcat (prefix, m->tensors[i].name, NULL);
    gboolean here = FALSE;
    if (!read_state_tensor (st, name, m->tensors[i].n_dims,
            m->tensors[i].shape, dst + m->tensors[i].offset, required || i > 0,
            &here, error))
      return FALSE;
    if (found)
      *found = here;
    if (!here)
      return TRUE;
  }
  return TRUE;
}

static gboolean
ck_fail (const gchar *path, const gchar *what, GError **error)
{
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
      "%s: lstm.checkpoint: %s", path, what);
  return FALSE;
}

/**
 * lstm_trainer_resume:
 * @trainer: a trainer that has not trained yet, created with the options
 *   of the run being resumed
 * @checkpoint: a checkpoint written by a trainer
 * @error: return location for a #GError
 *
 * Restores weights, optimizer state, RNG state, data cursor and history
 * from @checkpoint. The next lstm_trainer_train() call must get the same
 * data as the checkpointed run (checked by a fingerprint); it then ends
 * with bitwise the weights an uninterrupted run would have. A run that
 * ended after its last epoch continues when the trainer's options ask for
 * more epochs (from its final weights).
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_trainer_resume (LstmTrainer *trainer, const gchar *checkpoint,
    GError **error)
{
  LstmTrainer *tr = trainer;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LstmModel) ck = NULL;
  g_autoptr (LstmStFile) st = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autofree float *m_buf = NULL, *v_buf = NULL, *best = NULL;
  g_autofree float *raw = NULL;
  g_autofree float *lanes = NULL;
  LstmRng rng;
  const gchar *text;
  JsonNode *root;
  JsonObject *o;
  JsonArray *arr;
  GArray *history;
  gboolean found = FALSE;
  guint64 fp = 0;
  gint64 batch_size, seq_len;
  guint i;

  g_return_val_if_fail (trainer != NULL && checkpoint != NULL, FALSE);
  if (tr->bound || tr->online) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: a trainer can resume a checkpoint only before it trains",
        checkpoint);
    return FALSE;
  }
  bytes = lstm_map_file (checkpoint, 0, error);
  if (bytes == NULL)
    return FALSE;
  ck = lstm_model_load_from_bytes (bytes, checkpoint, error);
  if (ck == NULL)
    return FALSE;
  st = lstm_st_file_parse (bytes, checkpoint, error);
  if (st == NULL)
    return FALSE;
  if (g_strcmp0 (g_hash_table_lookup (ck->metadata, "lstm.architecture"),
          g_hash_table_lookup (tr->model->metadata, "lstm.architecture"))
      != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: the checkpoint's architecture differs from the trainer's model",
        checkpoint);
    return FALSE;
  }
  text = g_hash_table_lookup (st->metadata, "lstm.checkpoint");
  if (text == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not a checkpoint (no lstm.checkpoint metadata)", checkpoint);
    return FALSE;
  }
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return ck_fail (checkpoint, "not a JSON object", error);
  o = json_node_get_object (root);
  if (json_object_get_int_member_with_default (o, "version", 0) !=
      CHECKPOINT_VERSION)
    return ck_fail (checkpoint, "unsupported version", error);
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "optimizer",
              NULL), lstm_optimizer_to_string (tr->opt.optimizer)) != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the checkpoint was trained with another optimizer (%s)",
        checkpoint, json_object_get_string_member_with_default (o,
            "optimizer", "?"));
    return FALSE;
  }
  arr = json_object_has_member (o, "rng") ?
      json_object_get_array_member (o, "rng") : NULL;
  if (arr == NULL || json_array_get_length (arr) != 4)
    return ck_fail (checkpoint, "'rng' must hold 4 words", error);
  for (i = 0; i < 4; i++) {
    const gchar *w = json_array_get_string_element (arr, i);
    gchar *end;
    if (w == NULL || *w == '\0')
      return ck_fail (checkpoint, "bad 'rng' word", error);
    rng.s[i] = g_ascii_strtoull (w, &end, 16);
    if (*end != '\0')
      return ck_fail (checkpoint, "bad 'rng' word", error);
  }
  batch_size = json_object_get_int_member_with_default (o, "batch_size", 0);
  seq_len = json_object_get_int_member_with_default (o, "sequence_length",
      -1);

  /* read everything into temporaries, then commit */
  m_buf = g_new0 (float, MAX (tr->n, 1));
  if (tr->opt.optimizer == LSTM_OPTIMIZER_ADAM) {
    v_buf = g_new0 (float, MAX (tr->n, 1));
    if (!read_buffer (tr, st, "optim.exp_avg.", m_buf, TRUE, NULL, error) ||
        !read_buffer (tr, st, "optim.exp_avg_sq.", v_buf, TRUE, NULL, error))
      return FALSE;
  } else if (!read_buffer (tr, st, "optim.momentum_buffer.", m_buf, FALSE,
          &found, error)) {
    return FALSE;
  }
  if (tr->t_mean != NULL) {
    raw = g_new0 (float, MAX (tr->n, 1));
    if (!read_buffer (tr, st, "optim.params.", raw, TRUE, NULL, error))
      return FALSE;
  }
  best = g_new0 (float, MAX (tr->n, 1));
  if (!read_buffer (tr, st, "optim.best.", best, FALSE, &found, error))
    return FALSE;
  if (!found)
    g_clear_pointer (&best, g_free);
  if (json_object_get_int_member_with_default (o, "window", 0) > 0 &&
      ck->state_size > 0) {
    guint64 shape[2] = { tr->opt.batch_size, ck->state_size };
    if (batch_size != tr->opt.batch_size || seq_len !=
        tr->opt.sequence_length) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: the checkpoint stopped inside a batch of %" G_GINT64_FORMAT
          " sequences with sequence_length %" G_GINT64_FORMAT "; resume with "
          "the same batch_size and sequence_length", checkpoint, batch_size,
          seq_len);
      return FALSE;
    }
    lanes = g_new0 (float, shape[0] * shape[1]);
    if (!read_state_tensor (st, "optim.lane_state", 2, shape, lanes, TRUE,
            NULL, error))
      return FALSE;
  }
  if (!parse_hexd (o, "epoch_loss", &tr->ep_loss) ||
      !parse_hexd (o, "epoch_count", &tr->ep_count) ||
      !parse_hexd (o, "best_val_loss", &tr->best_val))
    return ck_fail (checkpoint, "bad running sums", error);
  tr->have_resume_fingerprint = parse_hex (o, "data_fingerprint", &fp);
  tr->resume_fingerprint = fp;
  history = g_array_new (FALSE, FALSE, sizeof (LstmEpochStats));
  arr = json_object_has_member (o, "history") ?
      json_object_get_array_member (o, "history") : NULL;
  for (i = 0; arr != NULL && i < json_array_get_length (arr); i++) {
    JsonObject *h = json_array_get_object_element (arr, i);
    LstmEpochStats s;
#define GETD(f) (json_object_has_member (h, f) && \
    !json_object_get_null_member (h, f) ? \
    json_object_get_double_member (h, f) : NAN)
    if (h == NULL)
      continue;
    s.epoch = (guint) json_object_get_int_member_with_default (h, "epoch",
        i + 1);
    s.loss = GETD ("loss");
    s.accuracy = GETD ("accuracy");
    s.val_loss = GETD ("val_loss");
    s.val_accuracy = GETD ("val_accuracy");
    s.learning_rate = GETD ("learning_rate");
    s.frames_per_second = GETD ("frames_per_second");
#undef GETD
    g_array_append_val (history, s);
  }

  /* commit */
  lstm_model_unref (tr->model);
  tr->model = lstm_model_copy (ck);
  g_hash_table_remove (tr->model->metadata, "lstm.checkpoint");
  if (raw != NULL)
    memcpy (tr->model->params, raw, tr->n * sizeof (float));
  lstm_model_invalidate_packed (tr->model);
  memcpy (tr->m, m_buf, tr->n * sizeof (float));
  if (tr->v)
    memcpy (tr->v, v_buf, tr->n * sizeof (float));
  lstm_aligned_free (tr->best);
  tr->best = NULL;
  if (best != NULL) {
    tr->best = lstm_aligned_alloc (tr->n);
    memcpy (tr->best, best, tr->n * sizeof (float));
  }
  if (lanes != NULL) {
    gsize sz = (gsize) tr->opt.batch_size * ck->state_size;
    if (tr->lanes == NULL)
      tr->lanes = lstm_aligned_alloc (sz);
    memcpy (tr->lanes, lanes, sz * sizeof (float));
    tr->lanes_loaded = TRUE;
  }
  tr->rng = rng;
  tr->perm_valid = FALSE;
  tr->step = (guint64) json_object_get_int_member_with_default (o, "step", 0);
  tr->epoch = (guint) json_object_get_int_member_with_default (o, "epoch", 0);
  tr->batch = (guint) json_object_get_int_member_with_default (o, "batch", 0);
  tr->window = (guint) json_object_get_int_member_with_default (o, "window",
      0);
  tr->early_stopped = json_object_get_boolean_member_with_default (o,
      "early_stopped", FALSE);
  /* a run that ended after its last epoch goes on when more are asked */
  tr->finished = json_object_get_boolean_member_with_default (o, "finished",
      FALSE) && (tr->early_stopped || tr->epoch >= tr->opt.epochs);
  tr->ep_correct = (guint64) json_object_get_int_member_with_default (o,
      "epoch_correct", 0);
  tr->ep_frames = (guint64) json_object_get_int_member_with_default (o,
      "epoch_frames", 0);
  tr->best_epoch = (guint) json_object_get_int_member_with_default (o,
      "best_epoch", 0);
  tr->bad_epochs = (guint) json_object_get_int_member_with_default (o,
      "bad_epochs", 0);
  g_array_unref (tr->history);
  tr->history = history;
  return TRUE;
}

