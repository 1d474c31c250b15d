/* liblstm: what a model is: sizes, layers, task, labels, metadata,
 * parameter and arithmetic counts
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lstm-private.h"

/* ---- queries ---- */

guint
lstm_model_find_tensor (LstmModel *model, const gchar *name)
{
  guint i;
  for (i = 0; i < model->n_tensors; i++)
    if (strcmp (model->tensors[i].name, name) == 0)
      return i;
  return G_MAXUINT;
}

/**
 * lstm_model_get_name:
 * @model: a model
 *
 * Returns: the file name it was loaded from, or a placeholder.
 */
const gchar *
lstm_model_get_name (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->name;
}

/**
 * lstm_model_get_input_size:
 * @model: a model
 *
 * Returns: the number of values in one input frame.
 */
guint
lstm_model_get_input_size (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->input_size;
}

/**
 * lstm_model_get_output_size:
 * @model: a model
 *
 * Returns: the number of values in one output frame.
 */
guint
lstm_model_get_output_size (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->output_size;
}

/**
 * lstm_model_get_n_layers:
 * @model: a model
 *
 * Returns: the number of entries in the architecture list.
 */
guint
lstm_model_get_n_layers (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->n_layers;
}

/**
 * lstm_model_get_layer_info:
 * @model: a model
 * @index: a layer index, below lstm_model_get_n_layers()
 * @info: (out caller-allocates): filled with the layer's description; the
 *   name belongs to the model
 *
 * Returns: %FALSE if @index is out of range.
 */
gboolean
lstm_model_get_layer_info (LstmModel *model, guint index, LstmLayerInfo *info)
{
  LstmLayer *L;

  g_return_val_if_fail (model != NULL && info != NULL, FALSE);
  if (index >= model->n_layers)
    return FALSE;
  L = &model->layers[index];
  memset (info, 0, sizeof *info);
  info->type = L->type;
  info->name = L->name;
  info->input_size = L->input_size;
  info->output_size = L->output_size;
  info->hidden_size = L->hidden_size;
  info->num_layers = L->num_layers;
  info->bidirectional = L->num_dirs == 2;
  info->peephole = L->peephole;
  info->bias = L->bias;
  info->activation = L->activation;
  info->lags = L->lags;
  info->n_lags = L->n_lags;
  info->skip = L->skip >= 0 ? model->layers[L->skip].name : NULL;
  info->reset_after = L->reset_after;
  return TRUE;
}

/**
 * lstm_model_is_streamable:
 * @model: a model
 *
 * Returns: %TRUE unless a layer is bidirectional (which needs the whole
 * sequence: use lstm_model_forward_sequence()).
 */
gboolean
lstm_model_is_streamable (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->streamable;
}

/**
 * lstm_model_get_task:
 * @model: a model
 *
 * Returns: the task (never %LSTM_TASK_AUTO).
 */
LstmTask
lstm_model_get_task (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, LSTM_TASK_REGRESSION);
  return model->task;
}

/**
 * lstm_model_get_labels:
 * @model: a model
 *
 * Returns: (nullable): the %NULL-terminated labels, one per output, or
 * %NULL when the model has none.
 */
const gchar *const *
lstm_model_get_labels (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return (const gchar * const *) model->labels;
}

/**
 * lstm_model_get_label:
 * @model: a model
 * @index: an output index
 *
 * Returns: (nullable): the label of output @index, or %NULL.
 */
const gchar *
lstm_model_get_label (LstmModel *model, guint index)
{
  g_return_val_if_fail (model != NULL, NULL);
  if (model->labels == NULL || index >= model->output_size)
    return NULL;
  return model->labels[index];
}

/**
 * lstm_model_get_label_name:
 * @model: a model
 * @index: an output index, or %LSTM_LABEL_UNKNOWN
 *
 * The name every front end shows for output @index: its label, `classN`
 * for an output without one, `unknown` for %LSTM_LABEL_UNKNOWN (see
 * lstm_label_name()).
 *
 * Returns: (transfer none): the name, valid as long as the model (the
 *   `classN` and `unknown` names for the life of the process).
 */
const gchar *
lstm_model_get_label_name (LstmModel *model, guint index)
{
  g_return_val_if_fail (model != NULL, NULL);
  return lstm_label_name (lstm_model_get_label (model, index), index);
}

/**
 * lstm_model_get_features:
 * @model: a model
 *
 * Returns: (nullable): the feature configuration (JSON object text) that
 * produced the model's training input, or %NULL.
 */
const gchar *
lstm_model_get_features (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->features;
}

/**
 * lstm_model_get_metadata:
 * @model: a model
 * @key: a metadata key
 *
 * Returns: (nullable): the metadata string under @key.
 */
const gchar *
lstm_model_get_metadata (LstmModel *model, const gchar *key)
{
  g_return_val_if_fail (model != NULL && key != NULL, NULL);
  return g_hash_table_lookup (model->metadata, key);
}

static int
compare_strv_entries (const void *a, const void *b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/**
 * lstm_model_list_metadata:
 * @model: a model
 *
 * Returns: (transfer full): the sorted metadata keys; free with g_strfreev().
 */
gchar **
lstm_model_list_metadata (LstmModel *model)
{
  guint n;
  gchar **keys;

  g_return_val_if_fail (model != NULL, NULL);
  keys = (gchar **) g_hash_table_get_keys_as_array (model->metadata, &n);
  for (guint i = 0; i < n; i++)
    keys[i] = g_strdup (keys[i]);
  qsort (keys, n, sizeof (gchar *), compare_strv_entries);
  return keys;
}

/**
 * lstm_model_get_input_mean:
 * @model: a model
 *
 * Returns: (nullable): the input normalisation mean (input size values).
 */
const float *
lstm_model_get_input_mean (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->input_mean;
}

/**
 * lstm_model_get_residual:
 * @model: a model
 *
 * The residual output (`lstm.residual`): output j adds the raw input value
 * at index residual[j] to the last layer's output.
 *
 * Returns: (nullable) (array): output-size input indices, or %NULL when the
 * model has no residual output.
 */
const guint *
lstm_model_get_residual (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->residual;
}

/**
 * lstm_model_get_input_std:
 * @model: a model
 *
 * Returns: (nullable): the input normalisation divisor (input size values).
 */
const float *
lstm_model_get_input_std (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->input_std;
}

/**
 * lstm_model_get_n_params:
 * @model: a model
 *
 * Returns: the number of trainable parameters.
 */
guint64
lstm_model_get_n_params (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->n_params;
}

/**
 * lstm_model_get_flops_per_frame:
 * @model: a model
 *
 * Counts a multiply-add as two operations, plus one per bias, activation
 * function and element-wise product.
 *
 * Returns: the approximate floating-point operations to process one frame.
 */
guint64
lstm_model_get_flops_per_frame (LstmModel *model)
{
  guint64 flops = 0;
  guint i, l;

  g_return_val_if_fail (model != NULL, 0);
  if (model->input_mean || model->input_std)
    flops += 2ull * model->input_size;
  if (model->residual)
    flops += model->output_size;
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    if (L->type == LSTM_LAYER_LAG)
      continue;                 /* copies only */
    if (L->type == LSTM_LAYER_LINEAR) {
      flops += 2ull * L->input_size * L->output_size +
          (L->bias ? L->output_size : 0) + (L->activation ==
          LSTM_ACTIVATION_NONE ? 0 : 3ull * L->output_size);
      continue;
    }
    for (l = 0; l < L->num_layers; l++) {
      guint in = l == 0 ? L->input_size : L->output_size;
      guint G = L->type == LSTM_LAYER_LSTM ? 4 : 3;
      guint64 H = L->hidden_size;
      guint64 per = 2ull * G * H * (in + H) + G * H + (L->bias ? 2ull * G *
          H : 0);
      /* pointwise: LSTM 4 activations + 3 for c' + tanh + product;
       * GRU 3 activations + reset product + 4 for the update. */
      per += L->type == LSTM_LAYER_LSTM ? 9 * H + (L->peephole ? 6 * H : 0) :
          8 * H;
      flops += per * L->num_dirs;
    }
  }
  return flops;
}

/**
 * lstm_model_get_architecture:
 * @model: a model
 *
 * Returns: (transfer full): the canonical architecture JSON.
 */
gchar *
lstm_model_get_architecture (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return g_strdup (g_hash_table_lookup (model->metadata,
          "lstm.architecture"));
}
