/* GStreamer lstm plugin: what lstmtrain's aggregator trains: new models
 * from liblstm's recipe, trainers, online steps and save-interval saves,
 * training at EOS, saving the model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "gstlstmfeatures.h"
#include "gstlstmmessages.h"
#include "gstlstmtrainagg-private.h"

#define GST_CAT_DEFAULT gst_lstm_train_agg_debug

/* ---- models and trainers ---- */

static gboolean
on_progress (const LstmTrainProgress *p, gpointer data)
{
  GstLstmTrainAgg *self = data;

  if (p->epoch_done || (self->s.online && self->s.progress_interval > 0 &&
          p->step % self->s.progress_interval == 0))
    gst_element_post_message (self->train,
        gst_lstm_message_new_train_progress (GST_OBJECT (self->train),
            p->epoch, p->step, p->epoch_done, p->loss, p->val_loss,
            p->accuracy, p->val_accuracy, p->frames_per_second));
  return !g_atomic_int_get (&self->cancel);
}

static LstmTask
task_of (GstLstmTrainAgg *self)
{
  if (self->classify)
    return LSTM_TASK_CLASSIFICATION;
  return self->source == SOURCE_FORECAST ? LSTM_TASK_FORECAST :
      LSTM_TASK_REGRESSION;
}

/* The feature configuration to record: the features property, else an
 * upstream lstmfeatures' (NULL when neither). */
static gchar *
features_config (GstLstmTrainAgg *self)
{
  gchar *f;

  if (self->s.features != NULL)
    return g_strdup (self->s.features);
  GST_OBJECT_LOCK (self);
  f = g_strdup (self->upstream_features);
  GST_OBJECT_UNLOCK (self);
  return f;
}

/* The model to train: init-model (given an upstream lstmfeatures'
 * configuration when it records none), or a new model for frames of in_dim
 * values and out_dim outputs, made by liblstm's recipe with the settings'
 * cell, sizes, forget bias and seed. */
static LstmModel *
new_model (GstLstmTrainAgg *self, const float *in_mean, const float *in_std,
    GError **error)
{
  g_autofree gchar *features = features_config (self);
  LstmModelRecipe r = self->s.train.model;

  if (self->init != NULL) {
    if (features != NULL && lstm_model_get_features (self->init) == NULL)
      return lstm_model_with_metadata (self->init, "lstm.features", features,
          error);
    return lstm_model_ref (self->init);
  }
  r.input_size = self->in_dim;
  r.output_size = self->out_dim;
  r.task = task_of (self);
  r.labels = self->classify ? (const gchar * const *) self->classes : NULL;
  r.features = features;
  r.description = "trained by the lstmtrain GStreamer element";
  r.input_mean = in_mean;
  r.input_std = in_std;
  return lstm_model_new_from_recipe (&r, error);
}

/* A new forecaster trained at EOS: liblstm's recipe of forecasters, as
 * `lstm train --series` makes it from the same rows (every collected frame,
 * stretches end to end; the first n_train train): input statistics, a
 * residual output (the targets are the inputs ahead), lags and their
 * least-squares start, lstm.horizon; @fit gets the target scaling. */
static LstmModel *
new_forecaster (GstLstmTrainAgg *self, gsize n_train, LstmSeriesFit *fit,
    GError **error)
{
  g_autofree gchar *features = features_config (self);
  g_autofree guint *residual = g_new (guint, self->out_dim);
  LstmModelRecipe r = self->s.train.model;
  LstmSeriesRows rows = { 0 };
  guint j;

  for (j = 0; j < self->out_dim; j++)
    residual[j] = j;
  r.input_size = self->in_dim;
  r.output_size = self->out_dim;
  r.features = features;
  r.description = "trained by the lstmtrain GStreamer element";
  rows.inputs = (const float *) self->c_frames->data;
  rows.targets = (const float *) self->c_values->data;
  rows.n_rows = self->c_frames->len / self->in_dim;
  rows.n_train = n_train;
  rows.residual = self->in_dim == self->out_dim ? residual : NULL;
  rows.horizon = self->s.horizon;
  return lstm_model_new_for_series (&r, &self->s.train.series, &rows, fit,
      error);
}

/* The "data" record of lstm.training. */
static gchar *
data_description (GstLstmTrainAgg *self, guint64 n_val)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

#define MEMBER_STR(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
    json_builder_add_string_value (b, v); } G_STMT_END
#define MEMBER_INT(k, v) G_STMT_START { json_builder_set_member_name (b, k); \
    json_builder_add_int_value (b, (gint64) (v)); } G_STMT_END
  json_builder_begin_object (b);
  MEMBER_STR ("kind", "stream");
  MEMBER_STR ("element", "lstmtrain");
  MEMBER_STR ("targets", gst_lstm_train_agg_source_names[self->source]);
  if (self->source == SOURCE_FORECAST)
    MEMBER_INT ("horizon", self->s.horizon);
  if (self->source == SOURCE_LABEL)
    MEMBER_STR ("label", self->s.label);
  if (self->source == SOURCE_LABEL_FILE) {
    g_autofree gchar *base = g_path_get_basename (self->s.label_file);
    MEMBER_STR ("label_file", base);
  }
  if (self->init != NULL) {
    g_autofree gchar *base = g_path_get_basename (self->s.init_model);
    MEMBER_STR ("init", base);
  }
  json_builder_set_member_name (b, "online");
  json_builder_add_boolean_value (b, self->s.online);
  if (!self->s.online) {
    MEMBER_INT ("frames", self->n_frames);
    MEMBER_INT ("frames_with_targets", self->n_targets);
    MEMBER_INT ("validation_frames", n_val);
    MEMBER_INT ("stretches", self->n_stretches);
  }
  json_builder_end_object (b);
#undef MEMBER_STR
#undef MEMBER_INT
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static LstmTrainer *
new_trainer (GstLstmTrainAgg *self, LstmModel *model, const gchar *desc,
    const float *t_mean, const float *t_std, GError **error)
{
  LstmTrainerOptions o = self->s.train.trainer;
  LstmTrainer *tr;

  /* online: one pass, one stream (batch_size does not apply) */
  if (self->s.online)
    o.epochs = 1;
  /* collected: the validation set is given; online: windows held out */
  if (!self->s.online)
    o.validation_fraction = 0;
  /* online, a new model: running input statistics, frozen when saved */
  o.running_statistics = self->s.online && self->init == NULL;
  o.checkpoint_path = o.checkpoint_interval > 0 ? self->s.location : NULL;
  o.data_description = desc;
  o.target_mean = t_mean;
  o.target_std = t_std;
  tr = lstm_trainer_new (model, &o, error);
  if (tr != NULL)
    lstm_trainer_set_progress_func (tr, on_progress, self, NULL);
  return tr;
}

/* Saves the trainer's model to the location; posts the error. */
static gboolean
save_model (GstLstmTrainAgg *self, LstmTrainer *tr)
{
  g_autoptr (LstmModel) m = lstm_trainer_get_model (tr);
  g_autoptr (GError) error = NULL;

  if (!lstm_model_save (m, self->s.location, &error)) {
    TRAIN_ERROR (self, RESOURCE, WRITE,
        ("Could not save the model to \"%s\".", self->s.location),
        ("%s", error->message));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "saved %s", self->s.location);
  return TRUE;
}

static void
post_training_error (GstLstmTrainAgg *self, const GError *error)
{
  if (error->domain == LSTM_ERROR && error->code == LSTM_ERROR_IO)
    TRAIN_ERROR (self, RESOURCE, WRITE,
        ("Could not save a checkpoint to \"%s\".", self->s.location),
        ("%s", error->message));
  else
    TRAIN_ERROR (self, STREAM, FAILED, ("Training failed: %s",
            error->message), (NULL));
}

/* ---- online ---- */

gboolean
gst_lstm_train_agg_ensure_online_trainer (GstLstmTrainAgg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autofree gchar *desc = NULL;
  guint W = self->s.train.trainer.sequence_length;

  if (self->trainer != NULL)
    return TRUE;
  if (self->out_dim == 0) {
    TRAIN_ERROR (self, STREAM, FORMAT,
        ("The target pad gave no caps: its frame size is unknown."), (NULL));
    return FALSE;
  }
  model = new_model (self, NULL, NULL, &error);
  if (model == NULL) {
    TRAIN_ERROR (self, LIBRARY, SETTINGS, ("Could not create the model."),
        ("%s", error->message));
    return FALSE;
  }
  desc = data_description (self, 0);
  self->trainer = new_trainer (self, model, desc, NULL, NULL, &error);
  if (self->trainer == NULL ||
      !lstm_trainer_begin_online (self->trainer, self->classify ?
          LSTM_TARGET_FRAME_CLASS : LSTM_TARGET_FRAME_VALUES, &error)) {
    TRAIN_ERROR (self, LIBRARY, SETTINGS, ("Could not set up training."),
        ("%s", error->message));
    return FALSE;
  }
  self->w_frames = g_new (float, (gsize) W * self->in_dim);
  if (self->classify) {
    self->w_classes = g_new (guint, W);
  } else {
    self->w_values = g_new0 (float, (gsize) W * self->out_dim);
    self->w_mask = g_new (guint8, W);
  }
  self->w_len = 0;
  return TRUE;
}

gboolean
gst_lstm_train_agg_step_window (GstLstmTrainAgg *self)
{
  g_autoptr (GError) error = NULL;
  guint n = self->w_len;

  if (n == 0 || self->trainer == NULL)
    return TRUE;
  self->w_len = 0;
  if (!lstm_trainer_step (self->trainer, self->w_frames, n,
          self->w_classes, self->w_values, self->w_mask, NULL, NULL,
          &error)) {
    post_training_error (self, error);
    return FALSE;
  }
  return TRUE;
}

/* Online: saves the model every save-interval frames. */
gboolean
gst_lstm_train_agg_maybe_save (GstLstmTrainAgg *self)
{
  guint64 every = self->s.save_interval;

  if (every == 0 || self->n_frames - self->saved_at < every)
    return TRUE;
  self->saved_at = self->n_frames;
  return save_model (self, self->trainer);
}

/* ---- the end: train (or finish online training) and save ---- */

static gboolean
add_range (GstLstmTrainAgg *self, LstmDataset *ds, gsize a, gsize b,
    GError **error)
{
  guint I = self->in_dim, O = self->out_dim;
  const float *x = &g_array_index (self->c_frames, float, a * I);

  if (b <= a)
    return TRUE;
  if (self->classify)
    return lstm_dataset_add_with_frame_classes (ds, x, b - a,
        &g_array_index (self->c_classes, guint, a), error);
  return lstm_dataset_add_with_values (ds, x, b - a,
      &g_array_index (self->c_values, float, a * O),
      &g_array_index (self->c_mask, guint8, a), error);
}

/* Value targets: frames [a, b) as one sequence in which only the targets
 * of frames @from and later count. */
static gboolean
add_warm_range (GstLstmTrainAgg *self, LstmDataset *ds, gsize a, gsize b,
    gsize from, GError **error)
{
  guint I = self->in_dim, O = self->out_dim;
  g_autofree guint8 *mask = g_memdup2 (&g_array_index (self->c_mask, guint8,
          a), b - a);

  if (from > a)
    memset (mask, 0, MIN (from, b) - a);
  return lstm_dataset_add_with_values (ds,
      &g_array_index (self->c_frames, float, a * I), b - a,
      &g_array_index (self->c_values, float, a * O), mask, error);
}

static gboolean
no_targets_error (GstLstmTrainAgg *self, const gchar *where)
{
  if (self->n_frames == 0)
    TRAIN_ERROR (self, STREAM, FAILED,
        ("No frames came: there is nothing to train on."), (NULL));
  else
    TRAIN_ERROR (self, STREAM, FAILED,
        ("None of the %" G_GUINT64_FORMAT " frames%s has a target (targets "
            "from %s): there is nothing to train on.", self->n_frames, where,
            gst_lstm_train_agg_source_names[self->source]), (NULL));
  return FALSE;
}

gboolean
gst_lstm_train_agg_train_collected (GstLstmTrainAgg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmDataset) train = NULL, val = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmTrainer) tr = NULL;
  g_autofree float *in_mean = NULL, *in_std = NULL;
  g_autofree float *t_mean = NULL, *t_std = NULL;
  g_autofree gchar *desc = NULL;
  LstmSeriesFit fit = { 0 };
  LstmTargetKind kind = self->classify ? LSTM_TARGET_FRAME_CLASS :
      LSTM_TARGET_FRAME_VALUES;
  gsize n = self->c_frames->len / MAX (self->in_dim, 1);
  gsize n_val, n_train, piece, end;
  guint k, B;

  if (self->n_targets == 0)
    return no_targets_error (self, "");
  n_val = (gsize) floor (n * self->s.train.trainer.validation_fraction);
  n_train = n - n_val;
  /* forecasters: liblstm's training defaults of forecasters (those of
   * lstm train --series) where no property was set */
  if (self->source == SOURCE_FORECAST)
    lstm_train_settings_apply_series_defaults (&self->s.train, n_train,
        (const gchar * const *) self->s.given);
  B = self->s.train.trainer.batch_size;
  train = lstm_dataset_new (self->in_dim, kind, self->out_dim, &error);
  if (n_val > 0)
    val = lstm_dataset_new (self->in_dim, kind, self->out_dim, &error);
  if (train == NULL || (n_val > 0 && val == NULL))
    goto failed;

  /* every stretch between discontinuities: its training part cut into
   * pieces, one per batch lane; its validation part whole (forecasts: after
   * the stretch's training part has run through the model, as lstm train
   * --series scores them, so that the state holds what it would in use) */
  piece = MAX ((n_train + B - 1) / B, 1);
  for (k = 0; k < self->c_breaks->len; k++) {
    gsize a = g_array_index (self->c_breaks, gsize, k), off;
    end = k + 1 < self->c_breaks->len ?
        g_array_index (self->c_breaks, gsize, k + 1) : n;
    for (off = a; off < MIN (end, n_train); off += piece)
      if (!add_range (self, train, off, MIN (MIN (off + piece, end),
                  n_train), &error))
        goto failed;
    if (val != NULL && self->source == SOURCE_FORECAST && end > n_train) {
      if (!add_warm_range (self, val, a, end, n_train, &error))
        goto failed;
    } else if (val != NULL && !add_range (self, val, MAX (a, n_train), end,
            &error)) {
      goto failed;
    }
  }
  if (lstm_dataset_get_n_sequences (train) == 0)
    return no_targets_error (self, " of the training part");
  if (val != NULL && lstm_dataset_get_n_sequences (val) == 0)
    g_clear_pointer (&val, lstm_dataset_free);

  if (self->init != NULL) {
    model = new_model (self, NULL, NULL, &error);
    if (model == NULL)
      goto failed;
  } else if (self->source == SOURCE_FORECAST) {
    model = new_forecaster (self, n_train, &fit, &error);
    if (model == NULL)
      goto failed;
    t_mean = g_steal_pointer (&fit.target_mean);
    t_std = g_steal_pointer (&fit.target_std);
    GST_INFO_OBJECT (self, "forecaster: %s output, %u lags, season %u, %s",
        fit.residual ? "residual" : "level", fit.n_lags, fit.season,
        fit.ar_start ? "least-squares start" : "no least-squares start");
    lstm_series_fit_clear (&fit);
  } else {
    in_mean = g_new (float, self->in_dim);
    in_std = g_new (float, self->in_dim);
    if (!self->classify) {
      t_mean = g_new (float, self->out_dim);
      t_std = g_new (float, self->out_dim);
    }
    if (!lstm_dataset_get_statistics (train, in_mean, in_std, t_mean, t_std))
      return no_targets_error (self, " of the training part");
    model = new_model (self, in_mean, in_std, &error);
    if (model == NULL)
      goto failed;
  }
  desc = data_description (self, n_val);
  tr = new_trainer (self, model, desc, t_mean, t_std, &error);
  if (tr == NULL)
    goto failed;
  GST_INFO_OBJECT (self, "training on %" G_GSIZE_FORMAT " frames in %u "
      "sequences, validating on %" G_GSIZE_FORMAT, n_train,
      lstm_dataset_get_n_sequences (train), n_val);
  if (!lstm_trainer_train (tr, train, val, &error)) {
    post_training_error (self, error);
    return FALSE;
  }
  if (g_atomic_int_get (&self->cancel)) {
    GST_INFO_OBJECT (self, "stopped while training: the final model is not "
        "saved");
    return TRUE;
  }
  return save_model (self, tr);

failed:
  TRAIN_ERROR (self, STREAM, FAILED, ("Could not set up training: %s",
          error->message), (NULL));
  return FALSE;
}

gboolean
gst_lstm_train_agg_finish_online (GstLstmTrainAgg *self)
{
  g_autoptr (GError) error = NULL;

  if (self->n_targets == 0 || self->trainer == NULL)
    return no_targets_error (self, "");
  if (!gst_lstm_train_agg_step_window (self))
    return FALSE;
  if (!lstm_trainer_end_online_epoch (self->trainer, &error)) {
    post_training_error (self, error);
    return FALSE;
  }
  return save_model (self, self->trainer);
}
