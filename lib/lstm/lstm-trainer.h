/* liblstm: training: datasets, the trainer, its options and progress
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>
#include <lstm/lstm-model.h>

G_BEGIN_DECLS

/**
 * LSTM_TARGET_IGNORE:
 *
 * A frame class meaning "no target here": the frame is run through the
 * model but contributes nothing to the loss or the accuracy.
 */
#define LSTM_TARGET_IGNORE G_MAXUINT

/**
 * LstmTargetKind:
 * @LSTM_TARGET_SEQUENCE_CLASS: one class per sequence (clips): the loss
 *   is taken as #LstmTrainerOptions.clip_loss says (the last frame, as
 *   Keras' `return_sequences=False` classifiers, by default).
 * @LSTM_TARGET_FRAME_CLASS: one class per frame (taggers, next-character
 *   models); %LSTM_TARGET_IGNORE leaves a frame out.
 * @LSTM_TARGET_FRAME_VALUES: target_size values per frame (regression,
 *   forecasting); a per-frame mask leaves frames out.
 *
 * What a #LstmDataset's targets are.
 */
typedef enum {
  LSTM_TARGET_SEQUENCE_CLASS,
  LSTM_TARGET_FRAME_CLASS,
  LSTM_TARGET_FRAME_VALUES,
} LstmTargetKind;

/**
 * LstmDataset:
 *
 * Training or validation data: sequences of frames (input_size values
 * each) with their targets. Sequences may have any length; a mini-batch
 * runs sequences of different lengths side by side and frames past a
 * sequence's end contribute nothing. The dataset copies what it is given.
 */
typedef struct _LstmDataset LstmDataset;

LSTM_API LstmDataset *lstm_dataset_new (guint input_size,
    LstmTargetKind kind, guint target_size, GError **error);
LSTM_API void lstm_dataset_free (LstmDataset *dataset);
LSTM_API gboolean lstm_dataset_add_with_class (LstmDataset *dataset,
    const float *frames, gsize n_frames, guint target_class, GError **error);
LSTM_API gboolean lstm_dataset_add_with_frame_classes (LstmDataset *dataset,
    const float *frames, gsize n_frames, const guint *classes,
    GError **error);
LSTM_API gboolean lstm_dataset_add_with_values (LstmDataset *dataset,
    const float *frames, gsize n_frames, const float *values,
    const guint8 *mask, GError **error);
LSTM_API guint lstm_dataset_get_n_sequences (LstmDataset *dataset);
LSTM_API guint64 lstm_dataset_get_n_frames (LstmDataset *dataset);
LSTM_API guint lstm_dataset_get_input_size (LstmDataset *dataset);
LSTM_API LstmTargetKind lstm_dataset_get_target_kind (LstmDataset *dataset);
LSTM_API guint lstm_dataset_get_target_size (LstmDataset *dataset);

/**
 * LstmLoss:
 * @LSTM_LOSS_AUTO: cross-entropy for class targets, MSE for values.
 * @LSTM_LOSS_MSE: mean squared error over frames x outputs (`nn.MSELoss`).
 * @LSTM_LOSS_MAE: mean absolute error (`nn.L1Loss`).
 * @LSTM_LOSS_CROSS_ENTROPY: softmax cross-entropy per counted frame
 *   (`nn.CrossEntropyLoss` on the logits of a softmax head, or on the
 *   outputs of a head without activation).
 * @LSTM_LOSS_BINARY_CROSS_ENTROPY: per output, on the logits of a sigmoid
 *   head (`nn.BCEWithLogitsLoss`); targets in [0, 1].
 *
 * The training loss.
 */
typedef enum {
  LSTM_LOSS_AUTO,
  LSTM_LOSS_MSE,
  LSTM_LOSS_MAE,
  LSTM_LOSS_CROSS_ENTROPY,
  LSTM_LOSS_BINARY_CROSS_ENTROPY,
} LstmLoss;

/**
 * LstmClipLoss:
 * @LSTM_CLIP_LOSS_LAST: cross-entropy of the last frame's scores (Keras'
 *   `return_sequences=False` sequence classifiers).
 * @LSTM_CLIP_LOSS_EVERY_FRAME: cross-entropy on every frame, each frame
 *   one target.
 * @LSTM_CLIP_LOSS_MEAN: cross-entropy of the clip's mean scores: the
 *   softmax outputs of its frames averaged over the whole clip (what
 *   lstminfer's `lstm-prediction` messages report over an interval), one
 *   target per clip. A model trained so stays a per-frame streaming tagger
 *   whose averaged scores name the clip's class; it needs whole sequences
 *   per window (#LstmTrainerOptions.sequence_length 0).
 *
 * How a sequence-class target (#LSTM_TARGET_SEQUENCE_CLASS) is scored.
 */
typedef enum {
  LSTM_CLIP_LOSS_LAST,
  LSTM_CLIP_LOSS_EVERY_FRAME,
  LSTM_CLIP_LOSS_MEAN,
} LstmClipLoss;

/**
 * LstmOptimizer:
 * @LSTM_OPTIMIZER_ADAM: `torch.optim.Adam` (L2 weight decay as Adam's).
 * @LSTM_OPTIMIZER_SGD: `torch.optim.SGD`, with optional momentum and
 *   Nesterov momentum.
 *
 * The optimizer.
 */
typedef enum {
  LSTM_OPTIMIZER_ADAM,
  LSTM_OPTIMIZER_SGD,
} LstmOptimizer;

/**
 * LstmSchedule:
 * @LSTM_SCHEDULE_CONSTANT: the learning rate stays as given.
 * @LSTM_SCHEDULE_STEP: multiplied by gamma every step_size epochs
 *   (`StepLR`).
 * @LSTM_SCHEDULE_COSINE: cosine from the learning rate at epoch 0 down to
 *   min_lr at the last epoch (`CosineAnnealingLR` with T_max = epochs).
 *
 * How the learning rate changes from epoch to epoch.
 */
typedef enum {
  LSTM_SCHEDULE_CONSTANT,
  LSTM_SCHEDULE_STEP,
  LSTM_SCHEDULE_COSINE,
} LstmSchedule;

/**
 * LstmTrainerOptions:
 * @optimizer: Adam (default) or SGD.
 * @learning_rate: default 1e-3.
 * @beta1: Adam, default 0.9.
 * @beta2: Adam, default 0.999.
 * @eps: Adam, default 1e-8.
 * @momentum: SGD, default 0.
 * @dampening: SGD, default 0.
 * @nesterov: SGD: Nesterov momentum.
 * @weight_decay: L2 penalty added to the gradient, default 0.
 * @clip_norm: clip the global gradient norm to this; 0 (default) = off.
 * @schedule: learning-rate schedule, default constant.
 * @step_size: %LSTM_SCHEDULE_STEP: epochs between decays (default 10).
 * @gamma: %LSTM_SCHEDULE_STEP: decay factor (default 0.1).
 * @min_lr: %LSTM_SCHEDULE_COSINE: final learning rate (default 0).
 * @loss: the loss, default %LSTM_LOSS_AUTO.
 * @every_frame: %LSTM_TARGET_SEQUENCE_CLASS: take the loss on every frame
 *   (a streaming tagger) instead of the last one; the same as @clip_loss
 *   %LSTM_CLIP_LOSS_EVERY_FRAME, which it overrides.
 * @epochs: passes over the training data, default 10.
 * @batch_size: sequences per mini-batch, default 32.
 * @sequence_length: truncated BPTT window in frames: each sequence is cut
 *   into windows of this many frames, one optimizer step per window of a
 *   mini-batch, the recurrent state carried from window to window (no
 *   gradient flows back across windows). 0 (default): whole sequences.
 * @shuffle: shuffle the sequences each epoch (default %TRUE), seeded.
 * @validation_fraction: when lstm_trainer_train() gets no validation set,
 *   hold out this fraction of the sequences (randomly, seeded); default 0.
 * @patience: early stopping: stop after this many epochs without a lower
 *   validation loss; 0 (default) = off.
 * @restore_best: with @patience: end with the weights of the best
 *   validation loss (default %TRUE).
 * @seed: seeds shuffling and the validation split (initial weights are
 *   seeded by lstm_model_new()).
 * @checkpoint_path: (nullable): where checkpoints are written (atomically):
 *   every @checkpoint_interval epochs, when training ends, and when the
 *   progress function stops it.
 * @checkpoint_interval: epochs between checkpoints; 0 = only at the end
 *   and on stops.
 * @data_description: (nullable): a JSON object describing the data,
 *   recorded under "data" in the trained model's `lstm.training`.
 * @target_mean: (nullable) (array): value targets only, with @target_std:
 *   one value per output. The model's outputs are fitted as
 *   `y = head * target_std + target_mean`, so a last linear layer without
 *   activation works on standardised values whatever the targets' units;
 *   the models the trainer returns (and its checkpoints) have the scaling
 *   folded into that layer's weights and bias.
 * @target_std: (nullable) (array): see @target_mean; non-zero.
 * @clip_loss: %LSTM_TARGET_SEQUENCE_CLASS: how a clip's class is scored,
 *   default %LSTM_CLIP_LOSS_LAST.
 * @running_statistics: online training (lstm_trainer_begin_online()) of a
 *   model without input normalisation: standardise the frames with running
 *   means and standard deviations (Welford's algorithm, updated with each
 *   window before it is used), frozen into the models the trainer returns
 *   as their `input.mean` and `input.std`. Default %FALSE.
 *
 * How to train. Initialise with lstm_trainer_options_init(), then change
 * what you need.
 */
typedef struct {
  LstmOptimizer optimizer;
  double learning_rate;
  double beta1;
  double beta2;
  double eps;
  double momentum;
  double dampening;
  gboolean nesterov;
  double weight_decay;
  double clip_norm;
  LstmSchedule schedule;
  guint step_size;
  double gamma;
  double min_lr;
  LstmLoss loss;
  gboolean every_frame;
  guint epochs;
  guint batch_size;
  guint sequence_length;
  gboolean shuffle;
  double validation_fraction;
  guint patience;
  gboolean restore_best;
  guint64 seed;
  const gchar *checkpoint_path;
  guint checkpoint_interval;
  const gchar *data_description;
  const float *target_mean;
  const float *target_std;
  LstmClipLoss clip_loss;
  gboolean running_statistics;
  /*< private >*/
  gint reserved_int;
  gpointer reserved[6];
} LstmTrainerOptions;

/**
 * LstmTrainProgress:
 * @epoch: the epoch in progress, from 1.
 * @n_epochs: how many epochs were asked for.
 * @step: optimizer steps taken so far.
 * @epoch_fraction: how much of this epoch's frames are done, 0 to 1.
 * @epoch_done: %TRUE on the call that closes an epoch; the validation
 *   fields are set only then.
 * @loss: mean training loss of this epoch so far (before each update).
 * @accuracy: class targets: accuracy of this epoch so far; else NAN.
 * @step_loss: loss of the last optimizer step's window.
 * @val_loss: mean validation loss, or NAN.
 * @val_accuracy: validation accuracy, or NAN.
 * @learning_rate: the learning rate of this epoch.
 * @frames_per_second: training throughput of this epoch so far.
 *
 * What the progress function sees after every optimizer step and at the
 * end of every epoch.
 */
typedef struct {
  guint epoch;
  guint n_epochs;
  guint64 step;
  double epoch_fraction;
  gboolean epoch_done;
  double loss;
  double accuracy;
  double step_loss;
  double val_loss;
  double val_accuracy;
  double learning_rate;
  double frames_per_second;
} LstmTrainProgress;

/**
 * LstmTrainProgressFunc:
 * @progress: where training is
 * @user_data: the data given with the function
 *
 * Returns: %TRUE to go on, %FALSE to stop cleanly (after a checkpoint, when
 * a checkpoint path is set); lstm_trainer_train() can continue later.
 */
typedef gboolean (*LstmTrainProgressFunc) (const LstmTrainProgress *progress,
    gpointer user_data);

/**
 * LstmEpochStats:
 * @epoch: the epoch, from 1.
 * @loss: mean training loss.
 * @accuracy: training accuracy, or NAN.
 * @val_loss: validation loss, or NAN.
 * @val_accuracy: validation accuracy, or NAN.
 * @learning_rate: the epoch's learning rate.
 * @frames_per_second: training throughput (0 when unknown, as for epochs
 *   restored from a checkpoint).
 *
 * One row of the loss curve.
 */
typedef struct {
  guint epoch;
  double loss;
  double accuracy;
  double val_loss;
  double val_accuracy;
  double learning_rate;
  double frames_per_second;
} LstmEpochStats;

/**
 * LstmTrainer:
 *
 * Trains a copy of a model with mini-batch truncated backpropagation
 * through time. Deterministic: the same model, data, options and seed give
 * bitwise the same weights, and a run resumed from a checkpoint ends
 * exactly as an uninterrupted one.
 */
typedef struct _LstmTrainer LstmTrainer;

LSTM_API void lstm_trainer_options_init (LstmTrainerOptions *options);
LSTM_API LstmTrainer *lstm_trainer_new (LstmModel *model,
    const LstmTrainerOptions *options, GError **error);
LSTM_API void lstm_trainer_free (LstmTrainer *trainer);
LSTM_API void lstm_trainer_set_progress_func (LstmTrainer *trainer,
    LstmTrainProgressFunc func, gpointer user_data, GDestroyNotify destroy);
LSTM_API gboolean lstm_trainer_train (LstmTrainer *trainer,
    LstmDataset *train, LstmDataset *validation, GError **error);
LSTM_API gboolean lstm_trainer_is_finished (LstmTrainer *trainer);
LSTM_API gboolean lstm_trainer_evaluate (LstmTrainer *trainer,
    LstmDataset *dataset, double *loss, double *accuracy, GError **error);
LSTM_API LstmModel *lstm_trainer_get_model (LstmTrainer *trainer);
LSTM_API const LstmEpochStats *lstm_trainer_get_history (LstmTrainer *trainer,
    guint *n_epochs);
LSTM_API guint64 lstm_trainer_get_step (LstmTrainer *trainer);
LSTM_API gboolean lstm_trainer_save_checkpoint (LstmTrainer *trainer,
    const gchar *path, GError **error);
LSTM_API gboolean lstm_trainer_resume (LstmTrainer *trainer,
    const gchar *checkpoint, GError **error);

LSTM_API LstmModel *lstm_model_with_forget_bias (LstmModel *model,
    float forget_bias, GError **error);

LSTM_API const gchar *lstm_loss_to_string (LstmLoss loss);
LSTM_API gboolean lstm_loss_from_string (const gchar *str, LstmLoss *loss);
LSTM_API const gchar *lstm_clip_loss_to_string (LstmClipLoss clip_loss);
LSTM_API gboolean lstm_clip_loss_from_string (const gchar *str,
    LstmClipLoss *clip_loss);
LSTM_API const gchar *lstm_optimizer_to_string (LstmOptimizer optimizer);
LSTM_API gboolean lstm_optimizer_from_string (const gchar *str,
    LstmOptimizer *optimizer);
LSTM_API const gchar *lstm_schedule_to_string (LstmSchedule schedule);
LSTM_API gboolean lstm_schedule_from_string (const gchar *str,
    LstmSchedule *schedule);

/**
 * LstmModelRecipe:
 * @cell: the recurrent layers: %LSTM_LAYER_LSTM (default) or
 *   %LSTM_LAYER_GRU.
 * @input_size: values per frame.
 * @hidden_size: hidden units per recurrent layer (default 64).
 * @num_layers: stacked recurrent layers (default 1).
 * @output_size: outputs of the linear head.
 * @task: classification (a softmax head), regression or forecast (a head
 *   without activation).
 * @labels: (nullable): classification: %NULL-terminated class labels, one
 *   per output.
 * @features: (nullable): the feature configuration (a JSON object) the
 *   frames come from, recorded as `lstm.features`.
 * @description: (nullable): free-form text, recorded as
 *   `lstm.description`.
 * @input_mean: (nullable) (array): @input_size means: input normalisation.
 * @input_std: (nullable) (array): @input_size standard deviations.
 * @forget_bias: LSTM cells: the forget gates' initial bias (Keras'
 *   `unit_forget_bias`, default 1, see lstm_model_with_forget_bias()); NAN
 *   keeps PyTorch's random initialisation. GRU cells ignore it.
 * @seed: seeds the initial weights (PyTorch's initialisation scheme).
 * @lags: (nullable) (array length=n_lags): lags in frames (0: the current
 *   frame); when given, the model starts with a lag layer named `lag` and
 *   its head also sees the lag layer's output (`skip`): a linear
 *   autoregression over those lags beside the recurrent part.
 * @n_lags: how many @lags; 0: none.
 *
 * What a new model for training is made of: the one recipe of `lstm train`
 * and the lstmtrain element, a recurrent stack named `rnn` under a linear
 * head named `head` (the tensor names PyTorch modules with attributes `rnn`
 * and `head` have). Initialise with lstm_model_recipe_init(), set the
 * sizes, then lstm_model_new_from_recipe().
 */
typedef struct {
  LstmLayerType cell;
  guint input_size;
  guint hidden_size;
  guint num_layers;
  guint output_size;
  LstmTask task;
  const gchar *const *labels;
  const gchar *features;
  const gchar *description;
  const float *input_mean;
  const float *input_std;
  double forget_bias;
  guint64 seed;
  const guint *lags;
  guint n_lags;
  /*< private >*/
  gpointer reserved[3];
} LstmModelRecipe;

LSTM_API void lstm_model_recipe_init (LstmModelRecipe *recipe);
LSTM_API LstmModel *lstm_model_new_from_recipe (const LstmModelRecipe *recipe,
    GError **error);

/**
 * LSTM_SERIES_MAX_LAGS:
 *
 * The most lags #LstmSeriesOptions lists.
 */
#define LSTM_SERIES_MAX_LAGS 64

/**
 * LstmLagsMode:
 * @LSTM_LAGS_AUTO: the lags 0..p-1, p chosen by AIC among least-squares
 *   autoregressions of the training rows (at most the larger of 12 and two
 *   seasons and one, and a quarter of the rows).
 * @LSTM_LAGS_NONE: no lag layer: the recurrent layers see the frames.
 * @LSTM_LAGS_LIST: the lags of #LstmSeriesOptions.lags.
 *
 * Which lags a new forecaster's lag layer has.
 */
typedef enum {
  LSTM_LAGS_AUTO,
  LSTM_LAGS_NONE,
  LSTM_LAGS_LIST,
} LstmLagsMode;

/**
 * LstmSeriesOptions:
 * @no_residual: predict the targets' levels, not their change from the
 *   frame's own value of each target (default %FALSE: a residual output,
 *   where every target is an input).
 * @season: the season in frames, which bounds the lags
 *   %LSTM_LAGS_AUTO tries; 0 (default): found by autocorrelation of the
 *   first differences of one input column: the first residual column of
 *   a residual model, input column 0 otherwise.
 * @lags_mode: the lag layer's lags, default %LSTM_LAGS_AUTO: 0..p-1 with p
 *   by AIC among orders up to MAX (12, 2 x season + 1), at most
 *   %LSTM_SERIES_MAX_LAGS, a quarter of the rows and 512 / inputs (the
 *   least-squares fits use at most the last 50000 rows and 512
 *   coefficients per target; a listed lag set with more coefficients gets
 *   no least-squares start).
 * @n_lags: %LSTM_LAGS_LIST: how many @lags (1 to %LSTM_SERIES_MAX_LAGS).
 * @lags: %LSTM_LAGS_LIST: the lags in frames, 0 the current frame.
 *
 * The forecasting recipe's choices (the table's options `no-residual`,
 * `season` and `lags`), which lstm_model_new_for_series() applies.
 */
typedef struct {
  gboolean no_residual;
  guint season;
  LstmLagsMode lags_mode;
  guint n_lags;
  guint lags[LSTM_SERIES_MAX_LAGS];
} LstmSeriesOptions;

/**
 * LstmSeriesRows:
 * @inputs: (array): @n_rows frames of input_size raw values, in time order.
 * @targets: (array): @n_rows x output_size targets: row t's is what frame t
 *   forecasts (the target columns @horizon rows ahead).
 * @n_rows: how many rows (frames with a target).
 * @n_train: the first @n_train rows are the training rows, whose
 *   statistics standardise the inputs and scale the targets; the lags and
 *   their autoregression are fitted on every row.
 * @residual: (nullable) (array): output_size input indices: target j is
 *   input residual[j] ahead; %NULL when a target is not an input (the
 *   output is then a level).
 * @horizon: how many rows ahead the targets are (at least 1), recorded as
 *   `lstm.horizon`.
 *
 * The rows a new forecaster is fitted to (see lstm_model_new_for_series()).
 */
typedef struct {
  const float *inputs;
  const float *targets;
  gsize n_rows;
  gsize n_train;
  const guint *residual;
  guint horizon;
} LstmSeriesRows;

/**
 * LstmSeriesFit:
 * @target_mean: (array): output_size means of the training targets (of
 *   their changes, for a residual output): #LstmTrainerOptions.target_mean.
 * @target_std: (array): their standard deviations:
 *   #LstmTrainerOptions.target_std.
 * @residual: %TRUE when the model's output is residual (`lstm.residual`).
 * @season: the season found or given (1: none), 0 without lags.
 * @n_lags: the lag layer's lags; 0: no lag layer.
 * @lags: (array length=n_lags): the lags.
 * @ar_start: %TRUE when the head's skip weights start at the least-squares
 *   autoregression (%FALSE when too few rows or a singular fit left them
 *   at the recipe's initialisation).
 *
 * What lstm_model_new_for_series() chose and fitted; free the arrays with
 * lstm_series_fit_clear().
 */
typedef struct {
  float *target_mean;
  float *target_std;
  gboolean residual;
  guint season;
  guint n_lags;
  guint *lags;
  gboolean ar_start;
} LstmSeriesFit;

LSTM_API LstmModel *lstm_model_new_for_series (const LstmModelRecipe *recipe,
    const LstmSeriesOptions *options, const LstmSeriesRows *rows,
    LstmSeriesFit *fit, GError **error);
LSTM_API void lstm_series_fit_clear (LstmSeriesFit *fit);
LSTM_API gboolean lstm_series_options_parse_lags (LstmSeriesOptions *options,
    const gchar *text, GError **error);
LSTM_API gchar *lstm_series_options_lags_to_string (
    const LstmSeriesOptions *options);

/**
 * LstmTrainSettings:
 * @trainer: how to train.
 * @model: the recipe of a new model (sizes and labels are the data's, set
 *   by the front end).
 * @series: forecasters: the choices of lstm_model_new_for_series().
 *
 * Everything a training front end lets its user choose, as one structure:
 * `lstm train` fills it from its command line and the lstmtrain element
 * from its properties, both through the table of lstm_train_options_list().
 * lstm_train_settings_init() sets the front ends' defaults, which differ
 * from lstm_trainer_options_init()'s where noted in the table (20 epochs,
 * windows of 64 frames, 10% held out for validation, the clip loss over
 * the mean scores).
 */
typedef struct {
  LstmTrainerOptions trainer;
  LstmModelRecipe model;
  LstmSeriesOptions series;
} LstmTrainSettings;

/**
 * LstmTrainOptionType:
 * @LSTM_TRAIN_OPTION_UINT: an unsigned integer (#guint).
 * @LSTM_TRAIN_OPTION_UINT64: an unsigned 64-bit integer (#guint64).
 * @LSTM_TRAIN_OPTION_DOUBLE: a number.
 * @LSTM_TRAIN_OPTION_CHOICE: one of the names in
 *   #LstmTrainOption.choices; its value is the name's index.
 * @LSTM_TRAIN_OPTION_DOUBLE_OR_NONE: a number, or `none` (NAN).
 * @LSTM_TRAIN_OPTION_BOOLEAN: a switch (#gboolean), off by default: `lstm
 *   train --NAME` without a value, a boolean property; as text `true` or
 *   `false`, as a number 1 or 0.
 * @LSTM_TRAIN_OPTION_LAGS: a list of lags as text (`auto`, `none` or
 *   frames separated by commas, see lstm_series_options_parse_lags()): set
 *   and read only as text (lstm_train_option_parse(),
 *   lstm_train_option_to_string()).
 *
 * The type of a training option's value.
 */
typedef enum {
  LSTM_TRAIN_OPTION_UINT,
  LSTM_TRAIN_OPTION_UINT64,
  LSTM_TRAIN_OPTION_DOUBLE,
  LSTM_TRAIN_OPTION_CHOICE,
  LSTM_TRAIN_OPTION_DOUBLE_OR_NONE,
  LSTM_TRAIN_OPTION_BOOLEAN,
  LSTM_TRAIN_OPTION_LAGS,
} LstmTrainOptionType;

/**
 * LstmTrainOption:
 * @name: the option's name: `lstm train --NAME` and the lstmtrain property.
 * @alias: (nullable): an older command-line spelling still accepted.
 * @type: the value's type.
 * @blurb: one line of help.
 * @arg_description: the placeholder of the value in help texts (`N`, `X`).
 * @minimum: the smallest value (numbers).
 * @maximum: the largest value (numbers).
 * @default_value: the default (numbers; a choice's index; NAN for `none`;
 *   0 for switches; 0 for lags, whose default is `auto`).
 * @choices: (nullable) (array zero-terminated=1): %LSTM_TRAIN_OPTION_CHOICE:
 *   the names, in the order of the enum they stand for.
 *
 * One training option of the table every training front end is built from
 * (see lstm_train_options_list()).
 */
typedef struct {
  const gchar *name;
  const gchar *alias;
  LstmTrainOptionType type;
  const gchar *blurb;
  const gchar *arg_description;
  double minimum;
  double maximum;
  double default_value;
  const gchar *const *choices;
  /*< private >*/
  gsize offset;
  gsize offset2;
} LstmTrainOption;

LSTM_API void lstm_train_settings_init (LstmTrainSettings *settings);
LSTM_API void lstm_train_settings_resolve (LstmTrainSettings *settings);
LSTM_API void lstm_train_settings_apply_series_defaults (
    LstmTrainSettings *settings, gsize n_train, const gchar *const *given);
LSTM_API const LstmTrainOption *lstm_train_options_list (guint *n_options);
LSTM_API const LstmTrainOption *lstm_train_option_find (const gchar *name);
LSTM_API gboolean lstm_train_option_parse (const LstmTrainOption *option,
    LstmTrainSettings *settings, const gchar *value, GError **error);
LSTM_API gboolean lstm_train_option_set_value (const LstmTrainOption *option,
    LstmTrainSettings *settings, double value, GError **error);
LSTM_API double lstm_train_option_get_value (const LstmTrainOption *option,
    const LstmTrainSettings *settings);
LSTM_API gchar *lstm_train_option_to_string (const LstmTrainOption *option,
    const LstmTrainSettings *settings);

LSTM_API void lstm_compute_statistics (const float *frames, gsize n_frames,
    guint size, const guint8 *mask, float *mean, float *std);

/* ---- Streams: online training, window by window, and data statistics
 * (what the lstmtrain element needs; see the functions' documentation) ---- */

LSTM_API gboolean lstm_trainer_begin_online (LstmTrainer *trainer,
    LstmTargetKind kind, GError **error);
LSTM_API gboolean lstm_trainer_step (LstmTrainer *trainer,
    const float *frames, gsize n_frames, const guint *classes,
    const float *values, const guint8 *mask, double *loss,
    gboolean *held_out, GError **error);
LSTM_API void lstm_trainer_reset_online_state (LstmTrainer *trainer);
LSTM_API gboolean lstm_trainer_end_online_epoch (LstmTrainer *trainer,
    GError **error);
LSTM_API gboolean lstm_dataset_get_statistics (LstmDataset *dataset,
    float *input_mean, float *input_std, float *target_mean,
    float *target_std);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmDataset, lstm_dataset_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmTrainer, lstm_trainer_free)

G_END_DECLS
