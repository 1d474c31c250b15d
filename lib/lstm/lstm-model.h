/* liblstm: models
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>

G_BEGIN_DECLS

/**
 * LstmModel:
 *
 * A network: a stack of layers applied per frame, with its weights and
 * metadata (task, labels, feature configuration, input normalisation).
 *
 * Residual output: the metadata `lstm.residual`, a JSON list of input
 * indices with one entry per output (e.g. `[0]`), makes output j the last
 * layer's output plus the frame's raw (un-normalised) input value at index
 * residual[j]: y_j(t) = head_j(t) + x_{residual[j]}(t). Forecast models
 * trained on trending series use it to predict the change from the last
 * value, which extrapolates where a level cannot. It is valid only when
 * the last layer is `linear` with activation `none`; loading checks the
 * list's length (the output size), every index (below the input size) and
 * that activation. lstm_model_forward() applies it, so the model's outputs
 * are levels and need no post-processing. In PyTorch:
 * `y = head(h) + x[..., residual]`.
 *
 * Forecast horizon: `lstm.horizon` (a positive integer, as a string) is how
 * many rows ahead a forecast model predicts; lstm_model_forecast() needs 1.
 * A model is reference-counted and never changes after it is created, so
 * one model may serve any number of #LstmState streams in any threads.
 */
typedef struct _LstmModel LstmModel;
typedef struct _LstmState LstmState;

/**
 * LstmLayerType:
 * @LSTM_LAYER_LSTM: stacked LSTM (PyTorch `nn.LSTM`), optionally peephole.
 * @LSTM_LAYER_GRU: stacked GRU (PyTorch `nn.GRU`).
 * @LSTM_LAYER_LINEAR: dense layer (PyTorch `nn.Linear`) plus an activation.
 * @LSTM_LAYER_LAG: no parameters: the frame's input at chosen lags, the
 *   past inputs kept in the stream's state (first layer only).
 */
typedef enum {
  LSTM_LAYER_LSTM,
  LSTM_LAYER_GRU,
  LSTM_LAYER_LINEAR,
  LSTM_LAYER_LAG,
} LstmLayerType;

/**
 * LstmActivation:
 * @LSTM_ACTIVATION_NONE: identity.
 * @LSTM_ACTIVATION_SOFTMAX: softmax over the layer's outputs.
 * @LSTM_ACTIVATION_SIGMOID: logistic sigmoid per output (multi-label).
 * @LSTM_ACTIVATION_TANH: hyperbolic tangent per output.
 * @LSTM_ACTIVATION_RELU: max(0, x) per output.
 */
typedef enum {
  LSTM_ACTIVATION_NONE,
  LSTM_ACTIVATION_SOFTMAX,
  LSTM_ACTIVATION_SIGMOID,
  LSTM_ACTIVATION_TANH,
  LSTM_ACTIVATION_RELU,
} LstmActivation;

/**
 * LstmTask:
 * @LSTM_TASK_AUTO: only in #LstmModelOptions: classification when the last
 *   layer is a softmax or sigmoid linear layer, regression otherwise.
 * @LSTM_TASK_CLASSIFICATION: outputs are class scores; labels name them.
 * @LSTM_TASK_REGRESSION: outputs are values.
 * @LSTM_TASK_FORECAST: outputs are future values of the input series.
 */
typedef enum {
  LSTM_TASK_AUTO,
  LSTM_TASK_CLASSIFICATION,
  LSTM_TASK_REGRESSION,
  LSTM_TASK_FORECAST,
} LstmTask;

/**
 * LstmLayerInfo:
 * @type: the kind of layer.
 * @name: the layer's name; its tensors are named `NAME.weight_ih_l0` etc.
 * @input_size: values per frame going in.
 * @output_size: values per frame coming out (hidden size times directions
 *   for recurrent layers, @out_features for linear ones).
 * @hidden_size: recurrent layers: H.
 * @num_layers: recurrent layers: how many are stacked.
 * @bidirectional: recurrent layers: a second, time-reversed direction.
 * @peephole: LSTM only: Gers peephole connections.
 * @bias: whether the layer has bias tensors (PyTorch's `bias=`).
 * @activation: linear only: the activation applied after the product.
 * @lags: lag only: the @n_lags lags, in frames (0: the current frame).
 * @n_lags: lag only: how many lags; @output_size is @input_size times it.
 * @skip: linear only: the name of the layer whose output is appended to
 *   the previous layer's as this layer's input (`skip`), or %NULL.
 * @reset_after: GRU only: %TRUE (PyTorch's cell, Keras' default
 *   `reset_after=True`, ONNX `linear_before_reset=1`) when the reset gate
 *   multiplies the recurrent product, n = tanh(W_in x + b_in + r * (W_hn h +
 *   b_hn)); %FALSE (the original GRU: Keras `reset_after=False`, ONNX
 *   `linear_before_reset=0`) when it multiplies h before it, n = tanh(W_in x
 *   + b_in + W_hn (r * h) + b_hn). The architecture key `reset_after`.
 *
 * A description of one layer of a model, as its architecture JSON says.
 */
typedef struct {
  LstmLayerType type;
  const gchar *name;
  guint input_size;
  guint output_size;
  guint hidden_size;
  guint num_layers;
  gboolean bidirectional;
  gboolean peephole;
  gboolean bias;
  LstmActivation activation;
  const guint *lags;
  guint n_lags;
  const gchar *skip;
  gboolean reset_after;
} LstmLayerInfo;

/**
 * LstmModelOptions:
 * @seed: seed of the random initialisation (PyTorch's scheme: uniform in
 *   +-1/sqrt(H) for recurrent layers, +-1/sqrt(in_features) for linear).
 * @task: the task; %LSTM_TASK_AUTO derives it from the last layer.
 * @labels: (nullable): %NULL-terminated class labels, one per output.
 * @features: (nullable): the feature configuration, a JSON object.
 * @description: (nullable): free-form text.
 * @training: (nullable): free-form text on how the model was trained.
 * @input_mean: (nullable): per-input mean subtracted before the first layer.
 * @input_std: (nullable): per-input divisor applied after the mean.
 *
 * What lstm_model_new() needs besides the architecture. Zero-fill it
 * (`LstmModelOptions opts = { 0 };`) and set what you need.
 */
typedef struct {
  guint64 seed;
  LstmTask task;
  const gchar *const *labels;
  const gchar *features;
  const gchar *description;
  const gchar *training;
  const float *input_mean;
  const float *input_std;
} LstmModelOptions;

LSTM_API LstmModel *lstm_model_new (const gchar *architecture,
    const LstmModelOptions *options, GError **error);
/**
 * LSTM_DEFAULT_MAX_MODEL_SIZE:
 *
 * The largest model or checkpoint file lstm_model_load() reads, in bytes,
 * unless the `LSTM_MAX_MODEL_SIZE` environment variable says otherwise:
 * 2 GiB (about 500 million float32 parameters).
 */
#define LSTM_DEFAULT_MAX_MODEL_SIZE (G_GUINT64_CONSTANT (2) << 30)

LSTM_API guint64 lstm_get_max_model_size (void);
LSTM_API LstmModel *lstm_model_load (const gchar *path, GError **error);
LSTM_API LstmModel *lstm_model_load_with_limit (const gchar *path,
    guint64 max_size, GError **error);
LSTM_API LstmModel *lstm_model_load_shared (const gchar *path,
    guint64 max_size, GError **error);
LSTM_API LstmModel *lstm_model_load_from_bytes (GBytes *bytes,
    const gchar *name, GError **error);
LSTM_API gboolean lstm_model_save (LstmModel *model, const gchar *path,
    GError **error);
LSTM_API GBytes *lstm_model_save_to_bytes (LstmModel *model, GError **error);
LSTM_API LstmModel *lstm_model_with_metadata (LstmModel *model,
    const gchar *key, const gchar *value, GError **error);

LSTM_API LstmModel *lstm_model_with_tensor (LstmModel *model,
    const gchar *name, const float *values, gsize n_values, GError **error);
LSTM_API LstmModel *lstm_model_ref (LstmModel *model);
LSTM_API void lstm_model_unref (LstmModel *model);

LSTM_API const gchar *lstm_model_get_name (LstmModel *model);
LSTM_API guint lstm_model_get_input_size (LstmModel *model);
LSTM_API guint lstm_model_get_output_size (LstmModel *model);
LSTM_API guint lstm_model_get_n_layers (LstmModel *model);
LSTM_API gboolean lstm_model_get_layer_info (LstmModel *model, guint index,
    LstmLayerInfo *info);
LSTM_API gboolean lstm_model_is_streamable (LstmModel *model);
LSTM_API LstmTask lstm_model_get_task (LstmModel *model);
LSTM_API const gchar *const *lstm_model_get_labels (LstmModel *model);
LSTM_API const gchar *lstm_model_get_label (LstmModel *model, guint index);
LSTM_API const gchar *lstm_model_get_label_name (LstmModel *model,
    guint index);
LSTM_API const gchar *lstm_model_get_features (LstmModel *model);
LSTM_API const gchar *lstm_model_get_metadata (LstmModel *model,
    const gchar *key);
LSTM_API gchar **lstm_model_list_metadata (LstmModel *model);
LSTM_API const float *lstm_model_get_input_mean (LstmModel *model);
LSTM_API const float *lstm_model_get_input_std (LstmModel *model);
LSTM_API const guint *lstm_model_get_residual (LstmModel *model);
LSTM_API guint64 lstm_model_get_n_params (LstmModel *model);
LSTM_API guint64 lstm_model_get_flops_per_frame (LstmModel *model);
LSTM_API gchar *lstm_model_get_architecture (LstmModel *model);

LSTM_API gboolean lstm_model_forward (LstmModel *model, LstmState *state,
    const float *in, gsize n_frames, float *out, GError **error);
LSTM_API gboolean lstm_model_forward_sequence (LstmModel *model,
    const float *in, gsize n_frames, float *out, GError **error);
LSTM_API gboolean lstm_model_forward_sequences (LstmModel *model,
    guint n_seqs, const float *const *in, const gsize *n_frames,
    float *const *out, GError **error);
LSTM_API gboolean lstm_model_forecast (LstmModel *model, LstmState *state,
    const float *history, gsize n_history, guint steps, float *out,
    GError **error);

LSTM_API const gchar *lstm_layer_type_to_string (LstmLayerType type);
LSTM_API const gchar *lstm_activation_to_string (LstmActivation activation);
LSTM_API gboolean lstm_activation_from_string (const gchar *str,
    LstmActivation *activation);
LSTM_API const gchar *lstm_task_to_string (LstmTask task);
LSTM_API gboolean lstm_task_from_string (const gchar *str, LstmTask *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmModel, lstm_model_unref)

G_END_DECLS
