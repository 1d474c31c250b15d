/* liblstm: models: architecture JSON and its validation, parameter layout,
 * metadata, new models, references (files: model-io.c; queries:
 * model-query.c). About 1200 lines on purpose: the architecture's schema,
 * its validation against hostile files and the parameter layout it implies
 * are read together.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-private.h"

/**
 * lstm_error_quark:
 *
 * Returns: the #GQuark of the %LSTM_ERROR domain.
 */
G_DEFINE_QUARK (lstm-error-quark, lstm_error)

/* ---- enums ---- */

static const gchar *const layer_type_names[] =
    { "lstm", "gru", "linear", "lag" };
static const gchar *const activation_names[] =
    { "none", "softmax", "sigmoid", "tanh", "relu" };
static const gchar *const task_names[] =
    { "auto", "classification", "regression", "forecast" };

/**
 * lstm_layer_type_to_string:
 * @type: a layer type
 *
 * Returns: the name used in architecture JSON ("lstm", "gru", "linear",
 * "lag").
 */
const gchar *
lstm_layer_type_to_string (LstmLayerType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (layer_type_names), NULL);
  return layer_type_names[type];
}

/**
 * lstm_activation_to_string:
 * @activation: an activation
 *
 * Returns: its name in architecture JSON ("none", "softmax", ...).
 */
const gchar *
lstm_activation_to_string (LstmActivation activation)
{
  g_return_val_if_fail ((guint) activation < G_N_ELEMENTS (activation_names),
      NULL);
  return activation_names[activation];
}

/**
 * lstm_activation_from_string:
 * @str: a name
 * @activation: (out): where to store the activation
 *
 * Returns: %TRUE if @str names an activation.
 */
gboolean
lstm_activation_from_string (const gchar *str, LstmActivation *activation)
{
  guint i;
  for (i = 0; str && i < G_N_ELEMENTS (activation_names); i++)
    if (strcmp (str, activation_names[i]) == 0) {
      *activation = (LstmActivation) i;
      return TRUE;
    }
  return FALSE;
}

/**
 * lstm_task_to_string:
 * @task: a task
 *
 * Returns: its name in the `lstm.task` metadata.
 */
const gchar *
lstm_task_to_string (LstmTask task)
{
  g_return_val_if_fail ((guint) task < G_N_ELEMENTS (task_names), NULL);
  return task_names[task];
}

/**
 * lstm_task_from_string:
 * @str: a name: "classification", "regression" or "forecast"
 * @task: (out): where to store the task
 *
 * Returns: %TRUE if @str names a task.
 */
gboolean
lstm_task_from_string (const gchar *str, LstmTask *task)
{
  guint i;
  for (i = 1; str && i < G_N_ELEMENTS (task_names); i++)
    if (strcmp (str, task_names[i]) == 0) {
      *task = (LstmTask) i;
      return TRUE;
    }
  return FALSE;
}

/* ---- aligned buffers ---- */

float *
lstm_aligned_try_alloc0 (gsize n_floats)
{
  void *p = NULL;
  gsize bytes;

  if (n_floats > G_MAXSIZE / sizeof (float) - LSTM_ALIGN_FLOATS)
    return NULL;
  bytes = MAX (n_floats, 1) * sizeof (float);
  if (posix_memalign (&p, LSTM_ALIGN_FLOATS * sizeof (float), bytes) != 0)
    return NULL;
  memset (p, 0, bytes);
  return p;
}

float *
lstm_aligned_alloc (gsize n_floats)
{
  float *p = lstm_aligned_try_alloc0 (n_floats);
  /* Like g_malloc(): running out of memory for a workspace is fatal. */
  if (p == NULL)
    g_error ("liblstm: out of memory allocating %" G_GSIZE_FORMAT " floats",
        n_floats);
  return p;
}

void
lstm_aligned_free (float *p)
{
  free (p);
}

/* ---- architecture ---- */

static void
layer_clear (LstmLayer *layer)
{
  g_free (layer->name);
  g_free (layer->rnn);
  g_free (layer->lags);
}

void
lstm_model_destroy (LstmModel *model)
{
  guint i;

  for (i = 0; i < model->n_layers; i++)
    layer_clear (&model->layers[i]);
  g_free (model->layers);
  for (i = 0; i < model->n_tensors; i++)
    g_free (model->tensors[i].name);
  g_free (model->tensors);
  lstm_aligned_free (model->params);
  lstm_aligned_free (model->packed);
  lstm_aligned_free ((float *) model->packed_bf16);
  g_mutex_clear (&model->pack_lock);
  g_free (model->input_mean);
  g_free (model->input_std);
  g_free (model->residual);
  g_strfreev (model->labels);
  g_free (model->features);
  g_clear_pointer (&model->metadata, g_hash_table_unref);
  g_free (model->name);
  g_free (model->cache_key);
  g_free (model);
}

/* Reads an optional unsigned member; FALSE with @error set when it exists
 * but is not an integer in [min, max]. */
static gboolean
get_uint_member (JsonObject *obj, const gchar *member, const gchar *where,
    guint min, guint max, guint def, guint *out, gboolean required,
    GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  gint64 v;

  if (node == NULL) {
    if (required) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: '%s' is required", where, member);
      return FALSE;
    }
    *out = def;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be an integer", where, member);
    return FALSE;
  }
  v = json_node_get_int (node);
  if (v < (gint64) min || v > (gint64) max) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' is %" G_GINT64_FORMAT ", out of range (%u..%u)", where,
        member, v, min, max);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_bool_member (JsonObject *obj, const gchar *member, const gchar *where,
    gboolean def, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL) {
    *out = def;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be true or false", where, member);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
check_known_members (JsonObject *obj, const gchar *const *known,
    const gchar *where, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);
  GList *l;

  for (l = members; l; l = l->next)
    if (!g_strv_contains (known, l->data)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: unknown key '%s'", where, (const gchar *) l->data);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_layer (LstmModel *model, guint index, JsonNode *node, guint prev_out,
    LstmLayer *layer, GError **error)
{
  static const gchar *const rnn_keys[] = { "type", "name", "input_size",
    "hidden_size", "num_layers", "bidirectional", "peephole", "bias",
    "reset_after", "proj_size", "dropout", "batch_first", NULL
  };
  static const gchar *const linear_keys[] = { "type", "name", "in_features",
    "out_features", "activation", "bias", "skip", NULL
  };
  static const gchar *const lag_keys[] = { "type", "name", "input_size",
    "lags", NULL
  };
  guint expect_in = prev_out;
  g_autofree gchar *where = NULL;
  JsonObject *obj;
  JsonNode *type_node, *name_node, *proj_node;
  const gchar *type;
  gboolean bidir;
  guint i;

  where = g_strdup_printf ("%s: architecture layer %u", model->name, index);
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s is not a JSON object", where);
    return FALSE;
  }
  obj = json_node_get_object (node);
  type_node = json_object_get_member (obj, "type");
  name_node = json_object_get_member (obj, "name");
  if (type_node == NULL || json_node_get_value_type (type_node) !=
      G_TYPE_STRING) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: 'type' (a string) is required", where);
    return FALSE;
  }
  if (name_node == NULL || json_node_get_value_type (name_node) !=
      G_TYPE_STRING || *json_node_get_string (name_node) == '\0') {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: 'name' (a non-empty string) is required", where);
    return FALSE;
  }
  type = json_node_get_string (type_node);
  layer->name = g_strdup (json_node_get_string (name_node));
  layer->skip = -1;
  g_free (where);
  where = g_strdup_printf ("%s: layer '%s'", model->name, layer->name);
  for (i = 0; i < index; i++)
    if (strcmp (model->layers[i].name, layer->name) == 0) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: two layers have this name", where);
      return FALSE;
    }

  if (strcmp (type, "lstm") == 0 || strcmp (type, "gru") == 0) {
    layer->type = strcmp (type, "lstm") == 0 ? LSTM_LAYER_LSTM :
        LSTM_LAYER_GRU;
    if (!check_known_members (obj, rnn_keys, where, error))
      return FALSE;
    proj_node = json_object_get_member (obj, "proj_size");
    if (proj_node != NULL && !(JSON_NODE_HOLDS_VALUE (proj_node) &&
            json_node_get_value_type (proj_node) == G_TYPE_INT64 &&
            json_node_get_int (proj_node) == 0)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "%s: proj_size (LSTM with projections) is not supported", where);
      return FALSE;
    }
    if (!get_uint_member (obj, "input_size", where, 1, LSTM_MAX_SIZE,
            prev_out, &layer->input_size, index == 0, error) ||
        !get_uint_member (obj, "hidden_size", where, 1, LSTM_MAX_SIZE, 0,
            &layer->hidden_size, TRUE, error) ||
        !get_uint_member (obj, "num_layers", where, 1, LSTM_MAX_NUM_LAYERS,
            1, &layer->num_layers, FALSE, error) ||
        !get_bool_member (obj, "bidirectional", where, FALSE, &bidir, error)
        || !get_bool_member (obj, "peephole", where, FALSE, &layer->peephole,
            error) ||
        !get_bool_member (obj, "bias", where, TRUE, &layer->bias, error) ||
        !get_bool_member (obj, "reset_after", where, TRUE,
            &layer->reset_after, error))
      return FALSE;
    if (layer->peephole && layer->type != LSTM_LAYER_LSTM) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "%s: peephole connections exist only for LSTM layers", where);
      return FALSE;
    }
    if (!layer->reset_after && layer->type != LSTM_LAYER_GRU) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "%s: reset_after=false (the reset gate before the recurrent "
          "product) exists only for GRU layers", where);
      return FALSE;
    }
    layer->num_dirs = bidir ? 2 : 1;
    layer->output_size = layer->hidden_size * layer->num_dirs;
  } else if (strcmp (type, "linear") == 0) {
    JsonNode *act_node, *skip_node;
    layer->type = LSTM_LAYER_LINEAR;
    if (!check_known_members (obj, linear_keys, where, error))
      return FALSE;
    skip_node = json_object_get_member (obj, "skip");
    if (skip_node != NULL) {
      const gchar *skip;
      if (!JSON_NODE_HOLDS_VALUE (skip_node) ||
          json_node_get_value_type (skip_node) != G_TYPE_STRING) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: 'skip' must be a layer name", where);
        return FALSE;
      }
      skip = json_node_get_string (skip_node);
      if (index == 0 || strcmp (model->layers[0].name, skip) != 0 ||
          model->layers[0].type != LSTM_LAYER_LAG) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
            "%s: 'skip' must name the first layer, a lag layer ('%s' does "
            "not)", where, skip);
        return FALSE;
      }
      layer->skip = 0;
      expect_in = prev_out + model->layers[0].output_size;
    }
    if (!get_uint_member (obj, "in_features", where, 1, LSTM_MAX_SIZE,
            expect_in, &layer->input_size, index == 0, error) ||
        !get_uint_member (obj, "out_features", where, 1, LSTM_MAX_SIZE, 0,
            &layer->output_size, TRUE, error) ||
        !get_bool_member (obj, "bias", where, TRUE, &layer->bias, error))
      return FALSE;
    act_node = json_object_get_member (obj, "activation");
    layer->activation = LSTM_ACTIVATION_NONE;
    if (act_node != NULL) {
      if (json_node_get_value_type (act_node) != G_TYPE_STRING) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: 'activation' must be a string", where);
        return FALSE;
      }
      if (!lstm_activation_from_string (json_node_get_string (act_node),
              &layer->activation)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
            "%s: unknown activation '%s' (none, softmax, sigmoid, tanh, "
            "relu)", where, json_node_get_string (act_node));
        return FALSE;
      }
    }
    layer->num_dirs = 1;
  } else if (strcmp (type, "lag") == 0) {
    JsonNode *lags_node;
    JsonArray *lags;
    guint n;
    layer->type = LSTM_LAYER_LAG;
    layer->num_dirs = 1;
    if (!check_known_members (obj, lag_keys, where, error))
      return FALSE;
    if (index != 0) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
          "%s: a lag layer must be the first layer", where);
      return FALSE;
    }
    if (!get_uint_member (obj, "input_size", where, 1, LSTM_MAX_SIZE, 0,
            &layer->input_size, TRUE, error))
      return FALSE;
    lags_node = json_object_get_member (obj, "lags");
    if (lags_node == NULL || !JSON_NODE_HOLDS_ARRAY (lags_node)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: 'lags' (a list of integers) is required", where);
      return FALSE;
    }
    lags = json_node_get_array (lags_node);
    n = json_array_get_length (lags);
    if (n == 0 || n > LSTM_MAX_N_LAGS ||
        (guint64) n * layer->input_size > LSTM_MAX_SIZE) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: %u lags of %u inputs (1 to %u lags, at most %u outputs)",
          where, n, layer->input_size, LSTM_MAX_N_LAGS, LSTM_MAX_SIZE);
      return FALSE;
    }
    layer->lags = g_new0 (guint, n);
    layer->n_lags = n;
    for (i = 0; i < n; i++) {
      JsonNode *e = json_array_get_element (lags, i);
      gint64 v;
      if (!JSON_NODE_HOLDS_VALUE (e) ||
          json_node_get_value_type (e) != G_TYPE_INT64) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: lag %u is not an integer", where, i);
        return FALSE;
      }
      v = json_node_get_int (e);
      if (v < 0 || v > LSTM_MAX_LAG) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "%s: lag %u is %" G_GINT64_FORMAT ", out of range (0..%u)",
            where, i, v, LSTM_MAX_LAG);
        return FALSE;
      }
      layer->lags[i] = (guint) v;
      layer->max_lag = MAX (layer->max_lag, (guint) v);
    }
    layer->output_size = n * layer->input_size;
  } else {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: unknown layer type '%s' (lstm, gru, linear, lag)", where, type);
    return FALSE;
  }

  if (index > 0 && layer->input_size != expect_in) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: input size %u does not match the previous layer's output %u%s",
        where, layer->input_size, prev_out, layer->skip >= 0 ?
        " plus the skip layer's" : "");
    return FALSE;
  }
  return TRUE;
}

static void
add_tensor (GArray *tensors, gsize *offset, gchar *name, guint n_dims,
    guint64 d0, guint64 d1)
{
  LstmParamTensor t = { 0 };
  t.name = name;
  t.n_dims = n_dims;
  t.shape[0] = d0;
  t.shape[1] = d1;
  t.size = n_dims == 1 ? d0 : d0 * d1;
  t.offset = *offset;
  *offset += t.size;
  g_array_append_val (tensors, t);
}

/* Lays out every parameter tensor, in state_dict order, and the state. */
static gboolean
layout_params (LstmModel *model, GError **error)
{
  GArray *tensors = g_array_new (FALSE, TRUE, sizeof (LstmParamTensor));
  gsize offset = 0, state = 0;
  guint i, l, d;

  model->max_width = model->input_size;
  model->max_gates = 0;
  model->streamable = TRUE;
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    guint64 layer_params = 0;

    model->max_width = MAX (model->max_width, L->output_size);
    model->max_width = MAX (model->max_width, L->input_size);
    if (L->type == LSTM_LAYER_LAG) {
      layer_params = 0;
    } else if (L->type == LSTM_LAYER_LINEAR) {
      layer_params = (guint64) L->output_size * L->input_size +
          (L->bias ? L->output_size : 0);
    } else {
      guint G = L->type == LSTM_LAYER_LSTM ? 4 : 3;
      guint H = L->hidden_size;
      for (l = 0; l < L->num_layers; l++) {
        guint in = l == 0 ? L->input_size : L->output_size;
        layer_params += L->num_dirs * ((guint64) G * H * in +
            (guint64) G * H * H + (L->bias ? 2ull * G * H : 0) +
            (L->peephole ? 3ull * H : 0));
      }
      model->max_gates = MAX (model->max_gates, G * H);
      if (L->num_dirs > 1)
        model->streamable = FALSE;
    }
    if (layer_params > LSTM_MAX_PARAMS - offset) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: layer '%s' makes the model larger than %" G_GUINT64_FORMAT
          " parameters", model->name, L->name, LSTM_MAX_PARAMS);
      g_array_free (tensors, TRUE);
      return FALSE;
    }
    offset += layer_params;
  }

  /* Sizes are bounded now; record the tensors. */
  offset = 0;
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];

    if (L->type == LSTM_LAYER_LAG) {
      L->state_offset = state;
      state += lstm_layer_state_floats (L);
      continue;
    }
    if (L->type == LSTM_LAYER_LINEAR) {
      add_tensor (tensors, &offset, g_strdup_printf ("%s.weight", L->name), 2,
          L->output_size, L->input_size);
      if (L->bias)
        add_tensor (tensors, &offset, g_strdup_printf ("%s.bias", L->name),
            1, L->output_size, 0);
      continue;
    }
    {
      guint G = L->type == LSTM_LAYER_LSTM ? 4 : 3;
      guint H = L->hidden_size;
      L->state_offset = state;
      state += lstm_layer_state_floats (L);
      for (l = 0; l < L->num_layers; l++)
        for (d = 0; d < L->num_dirs; d++) {
          guint in = l == 0 ? L->input_size : L->output_size;
          const gchar *sfx = d ? "_reverse" : "";
          add_tensor (tensors, &offset, g_strdup_printf ("%s.weight_ih_l%u%s",
                  L->name, l, sfx), 2, (guint64) G * H, in);
          add_tensor (tensors, &offset, g_strdup_printf ("%s.weight_hh_l%u%s",
                  L->name, l, sfx), 2, (guint64) G * H, H);
          if (L->bias) {
            add_tensor (tensors, &offset,
                g_strdup_printf ("%s.bias_ih_l%u%s", L->name, l, sfx), 1,
                (guint64) G * H, 0);
            add_tensor (tensors, &offset,
                g_strdup_printf ("%s.bias_hh_l%u%s", L->name, l, sfx), 1,
                (guint64) G * H, 0);
          }
          if (L->peephole)
            add_tensor (tensors, &offset,
                g_strdup_printf ("%s.weight_ch_l%u%s", L->name, l, sfx), 1,
                3ull * H, 0);
        }
    }
  }
  model->n_params = offset;
  model->state_size = state;
  model->n_tensors = tensors->len;
  model->tensors = (LstmParamTensor *) g_array_free (tensors, FALSE);
  return TRUE;
}

gboolean
lstm_model_normalize_input (const LstmModel *model, const float *in,
    gsize n_frames, float *out)
{
  const float *mean = model->input_mean, *std = model->input_std;
  guint j, I = model->input_size;
  gsize t;

  if (mean == NULL && std == NULL)
    return FALSE;
  for (t = 0; t < n_frames; t++)
    for (j = 0; j < I; j++) {
      float v = in[t * I + j];
      if (mean)
        v = v - mean[j];
      if (std)
        v = v / std[j];
      out[t * I + j] = v;
    }
  return TRUE;
}

gsize
lstm_layer_state_floats (const LstmLayer *layer)
{
  if (layer->type == LSTM_LAYER_LINEAR)
    return 0;
  if (layer->type == LSTM_LAYER_LAG)
    return 1 + (gsize) layer->max_lag * layer->input_size;
  return (gsize) layer->num_layers * layer->num_dirs * layer->hidden_size *
      (layer->type == LSTM_LAYER_LSTM ? 2 : 1);
}

/* Points every layer's views into model->params. */
void
lstm_model_point_params (LstmModel *model)
{
  guint i, l, d, n = 0;

  g_atomic_int_set (&model->packed_ready, 0);
  g_atomic_int_set (&model->packed_bf16_ready, 0);

  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];

    if (L->type == LSTM_LAYER_LAG)
      continue;
    if (L->type == LSTM_LAYER_LINEAR) {
      L->weight = model->params + model->tensors[n++].offset;
      L->bias_v = L->bias ? model->params + model->tensors[n++].offset : NULL;
      continue;
    }
    g_free (L->rnn);
    L->rnn = g_new0 (LstmRnnParams, L->num_layers * L->num_dirs);
    for (l = 0; l < L->num_layers; l++)
      for (d = 0; d < L->num_dirs; d++) {
        LstmRnnParams *p = &L->rnn[l * L->num_dirs + d];
        p->in = l == 0 ? L->input_size : L->output_size;
        p->w_ih = model->params + model->tensors[n++].offset;
        p->w_hh = model->params + model->tensors[n++].offset;
        if (L->bias) {
          p->b_ih = model->params + model->tensors[n++].offset;
          p->b_hh = model->params + model->tensors[n++].offset;
        }
        if (L->peephole)
          p->w_ch = model->params + model->tensors[n++].offset;
      }
  }
  g_assert (n == model->n_tensors);
}

/* Calls @f on every weight matrix of @model, in one fixed order: a linear
 * layer's weight, then each recurrent sub-layer's W_ih and W_hh, with the
 * fp32 and bf16 packed views that belong to it. The one walk behind both
 * packings (this file's and model-bf16.c's). */
void
lstm_model_foreach_matrix (LstmModel *model, LstmMatrixFunc f, gpointer data)
{
  guint i, r;

  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    if (L->type == LSTM_LAYER_LAG)
      continue;                 /* no weights */
    if (L->type == LSTM_LAYER_LINEAR) {
      f (L->weight, L->output_size, L->input_size, &L->pk_weight,
          &L->pk16_weight, data);
      continue;
    }
    for (r = 0; r < L->num_layers * L->num_dirs; r++) {
      LstmRnnParams *p = &L->rnn[r];
      guint G = (L->type == LSTM_LAYER_LSTM ? 4 : 3) * L->hidden_size;
      f (p->w_ih, G, p->in, &p->pk_ih, &p->pk16_ih, data);
      f (p->w_hh, G, L->hidden_size, &p->pk_hh, &p->pk16_hh, data);
    }
  }
}

typedef struct {
  float *dst;
  gsize size;
} PackWalk;

static void
add_packed_size (const float *w, guint n_out, guint k, LstmPackedMatrix *pk,
    LstmPackedMatrix *pk16, gpointer data)
{
  (void) w;
  (void) pk;
  (void) pk16;
  ((PackWalk *) data)->size += lstm_packed_size (n_out, k);
}

static void
pack_one (const float *w, guint n_out, guint k, LstmPackedMatrix *pk,
    LstmPackedMatrix *pk16, gpointer data)
{
  PackWalk *pw = data;

  (void) pk16;
  lstm_pack_matrix (w, n_out, k, pw->dst + pw->size, pk);
  pw->size += lstm_packed_size (n_out, k);
}

gboolean
lstm_model_ensure_packed (LstmModel *model)
{
  PackWalk pw = { NULL, 0 };

  if (g_atomic_int_get (&model->packed_ready))
    return TRUE;
  g_mutex_lock (&model->pack_lock);
  if (g_atomic_int_get (&model->packed_ready)) {
    g_mutex_unlock (&model->pack_lock);
    return TRUE;
  }
  lstm_model_foreach_matrix (model, add_packed_size, &pw);
  lstm_aligned_free (model->packed);
  model->packed = lstm_aligned_try_alloc0 (MAX (pw.size, 1));
  if (model->packed == NULL) {
    g_mutex_unlock (&model->pack_lock);
    return FALSE;
  }
  pw.dst = model->packed;
  pw.size = 0;
  lstm_model_foreach_matrix (model, pack_one, &pw);
  g_atomic_int_set (&model->packed_ready, 1);
  g_mutex_unlock (&model->pack_lock);
  return TRUE;
}

void
lstm_model_invalidate_packed (LstmModel *model)
{
  g_mutex_lock (&model->pack_lock);
  g_atomic_int_set (&model->packed_ready, 0);
  g_atomic_int_set (&model->packed_bf16_ready, 0);
  g_mutex_unlock (&model->pack_lock);
}

static gchar *
architecture_to_json (LstmModel *model)
{
  LstmJsonWriter *b = lstm_json_writer_new ();
  guint i;

  lstm_json_begin_array (b, NULL);
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    lstm_json_begin_object (b, NULL);
    lstm_json_add_string (b, "type", lstm_layer_type_to_string (L->type));
    lstm_json_add_string (b, "name", L->name);
    if (L->type == LSTM_LAYER_LAG) {
      guint k;
      lstm_json_add_int (b, "input_size", L->input_size);
      lstm_json_begin_array (b, "lags");
      for (k = 0; k < L->n_lags; k++)
        lstm_json_add_int (b, NULL, L->lags[k]);
      lstm_json_end_array (b);
      lstm_json_end_object (b);
      continue;
    } else if (L->type == LSTM_LAYER_LINEAR) {
      lstm_json_add_int (b, "in_features", L->input_size);
      lstm_json_add_int (b, "out_features", L->output_size);
      lstm_json_add_string (b, "activation",
          lstm_activation_to_string (L->activation));
      if (L->skip >= 0)
        lstm_json_add_string (b, "skip", model->layers[L->skip].name);
    } else {
      lstm_json_add_int (b, "input_size", L->input_size);
      lstm_json_add_int (b, "hidden_size", L->hidden_size);
      lstm_json_add_int (b, "num_layers", L->num_layers);
      if (L->num_dirs == 2)
        lstm_json_add_bool (b, "bidirectional", TRUE);
      if (L->peephole)
        lstm_json_add_bool (b, "peephole", TRUE);
      if (L->type == LSTM_LAYER_GRU && !L->reset_after)
        lstm_json_add_bool (b, "reset_after", FALSE);
    }
    if (!L->bias)
      lstm_json_add_bool (b, "bias", FALSE);
    lstm_json_end_object (b);
  }
  lstm_json_end_array (b);
  return lstm_json_writer_finish (b);
}

/* A model with layers and tensor layout but no parameter storage. */
LstmModel *
lstm_model_new_from_architecture (const gchar *architecture,
    const gchar *name, GError **error)
{
  LstmModel *model = g_new0 (LstmModel, 1);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;
  JsonArray *arr;
  guint i, n, prev_out = 0;

  g_mutex_init (&model->pack_lock);
  model->ref_count = 1;
  model->name = g_strdup (name ? name : "(model)");
  model->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  if (architecture == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: no lstm.architecture metadata: not a gst-lstm model "
        "(tools/export_pytorch.py writes one)", model->name);
    goto fail;
  }
  if (!lstm_json_parser_load (parser, architecture, -1, &json_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: lstm.architecture is not valid JSON: %s", model->name,
        json_error->message);
    goto fail;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root) ||
      json_array_get_length (json_node_get_array (root)) == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: lstm.architecture must be a non-empty JSON list of layers",
        model->name);
    goto fail;
  }
  arr = json_node_get_array (root);
  n = json_array_get_length (arr);
  if (n > 1024) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: lstm.architecture has %u layers (at most 1024)", model->name, n);
    goto fail;
  }
  model->layers = g_new0 (LstmLayer, n);
  for (i = 0; i < n; i++) {
    model->n_layers = i + 1;
    if (!parse_layer (model, i, json_array_get_element (arr, i), prev_out,
            &model->layers[i], error))
      goto fail;
    prev_out = model->layers[i].output_size;
  }
  model->input_size = model->layers[0].input_size;
  model->output_size = prev_out;
  if (!layout_params (model, error))
    goto fail;
  g_hash_table_insert (model->metadata, g_strdup ("lstm.format"),
      g_strdup ("1"));
  g_hash_table_insert (model->metadata, g_strdup ("lstm.architecture"),
      architecture_to_json (model));
  return model;

fail:
  lstm_model_destroy (model);
  return NULL;
}

gboolean
lstm_model_alloc_params (LstmModel *model, GError **error)
{
  model->params = lstm_aligned_try_alloc0 (model->n_params);
  if (model->params == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: cannot allocate %" G_GSIZE_FORMAT " parameters", model->name,
        model->n_params);
    return FALSE;
  }
  lstm_model_point_params (model);
  return TRUE;
}

static LstmTask
derive_task (LstmModel *model)
{
  LstmLayer *last = &model->layers[model->n_layers - 1];
  if (last->type == LSTM_LAYER_LINEAR &&
      (last->activation == LSTM_ACTIVATION_SOFTMAX ||
          last->activation == LSTM_ACTIVATION_SIGMOID))
    return LSTM_TASK_CLASSIFICATION;
  return LSTM_TASK_REGRESSION;
}

/* lstm.residual: a JSON list of input indices, one per output, for a model
 * whose last layer is linear without activation. Returns the indices in
 * *out (NULL when @text is NULL). */
static gboolean
parse_residual (LstmModel *model, const gchar *text, guint **out,
    GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autofree guint *idx = NULL;
  const LstmLayer *last = &model->layers[model->n_layers - 1];
  JsonNode *root;
  JsonArray *arr;
  guint i, n;

  *out = NULL;
  if (text == NULL)
    return TRUE;
  if (last->type != LSTM_LAYER_LINEAR ||
      last->activation != LSTM_ACTIVATION_NONE) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: lstm.residual needs a last linear layer with activation "
        "'none'; '%s' is %s%s%s", model->name, last->name,
        lstm_layer_type_to_string (last->type),
        last->type == LSTM_LAYER_LINEAR ? " with activation " : "",
        last->type == LSTM_LAYER_LINEAR ?
        lstm_activation_to_string (last->activation) : "");
    return FALSE;
  }
  if (!lstm_json_parser_load (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (root)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: lstm.residual is not a JSON list", model->name);
    return FALSE;
  }
  arr = json_node_get_array (root);
  n = json_array_get_length (arr);
  if (n != model->output_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: lstm.residual has %u entries for %u outputs", model->name, n,
        model->output_size);
    return FALSE;
  }
  idx = g_new0 (guint, MAX (n, 1));
  for (i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (arr, i);
    gint64 v;
    if (!JSON_NODE_HOLDS_VALUE (e) ||
        json_node_get_value_type (e) != G_TYPE_INT64) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: lstm.residual entry %u is not an integer", model->name, i);
      return FALSE;
    }
    v = json_node_get_int (e);
    if (v < 0 || v >= model->input_size) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: lstm.residual entry %u is input %" G_GINT64_FORMAT
          ", outside the %u inputs", model->name, i, v, model->input_size);
      return FALSE;
    }
    idx[i] = (guint) v;
  }
  *out = g_steal_pointer (&idx);
  return TRUE;
}

/* lstm.horizon: how many rows ahead a forecast model predicts, a positive
 * integer. */
static gboolean
check_horizon (LstmModel *model, const gchar *text, GError **error)
{
  guint64 v;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &v, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: lstm.horizon '%s' is not a positive integer", model->name,
        text);
    return FALSE;
  }
  return TRUE;
}

/* Parses task, labels and features from @metadata (which the model keeps)
 * and writes their canonical forms back into it. */
gboolean
lstm_model_set_metadata_from_table (LstmModel *model, GHashTable *metadata,
    GError **error)
{
  const gchar *task = g_hash_table_lookup (metadata, "lstm.task");
  const gchar *labels = g_hash_table_lookup (metadata, "lstm.labels");
  const gchar *features = g_hash_table_lookup (metadata, "lstm.features");
  const gchar *format = g_hash_table_lookup (metadata, "lstm.format");
  const gchar *residual = g_hash_table_lookup (metadata, "lstm.residual");
  g_auto (GStrv) label_v = NULL;
  g_autofree guint *residual_v = NULL;
  LstmTask t = LSTM_TASK_AUTO;
  GHashTableIter iter;
  gpointer k, v;

  if (format != NULL && strcmp (format, "1") != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: lstm.format '%s' is not supported (this liblstm reads '1')",
        model->name, format);
    return FALSE;
  }
  if (task != NULL && !lstm_task_from_string (task, &t)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: lstm.task '%s' is not classification, regression or forecast",
        model->name, task);
    return FALSE;
  }
  if (labels != NULL) {
    g_autoptr (JsonParser) parser = json_parser_new_immutable ();
    JsonNode *root;
    JsonArray *arr;
    guint i, n;

    if (!lstm_json_parser_load (parser, labels, -1, NULL) ||
        (root = json_parser_get_root (parser)) == NULL ||
        !JSON_NODE_HOLDS_ARRAY (root)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: lstm.labels is not a JSON list", model->name);
      return FALSE;
    }
    arr = json_node_get_array (root);
    n = json_array_get_length (arr);
    if (n != model->output_size) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: lstm.labels has %u labels for %u outputs", model->name, n,
          model->output_size);
      return FALSE;
    }
    label_v = g_new0 (gchar *, n + 1);
    for (i = 0; i < n; i++) {
      JsonNode *e = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_VALUE (e) ||
          json_node_get_value_type (e) != G_TYPE_STRING) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: lstm.labels entry %u is not a string", model->name, i);
        return FALSE;
      }
      label_v[i] = g_strdup (json_node_get_string (e));
    }
  }
  if (features != NULL) {
    g_autoptr (JsonParser) parser = json_parser_new_immutable ();
    JsonNode *root;
    if (!lstm_json_parser_load (parser, features, -1, NULL) ||
        (root = json_parser_get_root (parser)) == NULL ||
        !JSON_NODE_HOLDS_OBJECT (root)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: lstm.features is not a JSON object", model->name);
      return FALSE;
    }
  }

  if (!parse_residual (model, residual, &residual_v, error) ||
      !check_horizon (model, g_hash_table_lookup (metadata, "lstm.horizon"),
          error))
    return FALSE;

  /* Everything parsed: commit. */
  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &k, &v)) {
    if (strcmp (k, "lstm.architecture") == 0 || strcmp (k, "lstm.format") ==
        0)
      continue;
    g_hash_table_replace (model->metadata, g_strdup (k), g_strdup (v));
  }
  model->task = t == LSTM_TASK_AUTO ? derive_task (model) : t;
  g_hash_table_replace (model->metadata, g_strdup ("lstm.task"),
      g_strdup (lstm_task_to_string (model->task)));
  g_strfreev (model->labels);
  model->labels = g_steal_pointer (&label_v);
  g_free (model->features);
  model->features = g_strdup (features);
  g_free (model->residual);
  model->residual = g_steal_pointer (&residual_v);
  return TRUE;
}

static gchar *
labels_to_json (const gchar *const *labels)
{
  LstmJsonWriter *b = lstm_json_writer_new ();

  lstm_json_begin_array (b, NULL);
  for (; *labels; labels++)
    lstm_json_add_string (b, NULL, *labels);
  lstm_json_end_array (b);
  return lstm_json_writer_finish (b);
}

static gboolean
check_options_vector (LstmModel *model, const float *v, const gchar *what,
    gboolean nonzero, GError **error)
{
  guint i;
  for (i = 0; i < model->input_size; i++)
    if (!isfinite (v[i]) || (nonzero && v[i] == 0.0f)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: %s[%u] is %g (must be finite%s)", model->name, what, i,
          (double) v[i], nonzero ? " and non-zero" : "");
      return FALSE;
    }
  return TRUE;
}

/**
 * lstm_model_new:
 * @architecture: the layers, as the JSON list of the `lstm.architecture`
 *   metadata (see design.md section 3), e.g.
 *   `[{"type":"lstm","name":"rnn","input_size":40,"hidden_size":128},
 *   {"type":"linear","name":"head","out_features":4,"activation":"softmax"}]`
 * @options: (nullable): seed and metadata; %NULL for defaults (seed 0)
 * @error: return location for a #GError
 *
 * Creates a model with randomly initialised weights, as PyTorch initialises
 * `nn.LSTM`, `nn.GRU` and `nn.Linear`: every recurrent weight and bias
 * uniform in +-1/sqrt(hidden_size), linear weights and biases uniform in
 * +-1/sqrt(in_features). The same seed gives the same weights.
 *
 * Returns: (transfer full): the new model, or %NULL with @error set.
 */
LstmModel *
lstm_model_new (const gchar *architecture, const LstmModelOptions *options,
    GError **error)
{
  static const LstmModelOptions defaults = { 0 };
  g_autoptr (GHashTable) md = NULL;
  LstmModel *model;
  LstmRng rng;
  guint i, n = 0, l, d;

  g_return_val_if_fail (architecture != NULL, NULL);
  if (options == NULL)
    options = &defaults;
  model = lstm_model_new_from_architecture (architecture, "(new model)",
      error);
  if (model == NULL)
    return NULL;
  if ((options->input_mean && !check_options_vector (model,
              options->input_mean, "input_mean", FALSE, error)) ||
      (options->input_std && !check_options_vector (model,
              options->input_std, "input_std", TRUE, error)) ||
      !lstm_model_alloc_params (model, error))
    goto fail;

  lstm_rng_seed (&rng, options->seed);
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    double bound = 1.0 / sqrt (L->type == LSTM_LAYER_LINEAR ?
        (double) L->input_size : (double) L->hidden_size);
    guint n_t = L->type == LSTM_LAYER_LINEAR ? (L->bias ? 2 : 1) : 0;

    if (L->type == LSTM_LAYER_LSTM || L->type == LSTM_LAYER_GRU)
      for (l = 0; l < L->num_layers; l++)
        for (d = 0; d < L->num_dirs; d++)
          n_t += 2 + (L->bias ? 2 : 0) + (L->peephole ? 1 : 0);
    for (; n_t > 0; n_t--, n++) {
      LstmParamTensor *t = &model->tensors[n];
      gsize e;
      for (e = 0; e < t->size; e++)
        model->params[t->offset + e] =
            (float) ((2.0 * lstm_rng_uniform (&rng) - 1.0) * bound);
    }
  }

  if (options->input_mean)
    model->input_mean = g_memdup2 (options->input_mean,
        model->input_size * sizeof (float));
  if (options->input_std)
    model->input_std = g_memdup2 (options->input_std,
        model->input_size * sizeof (float));

  md = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (options->task != LSTM_TASK_AUTO)
    g_hash_table_insert (md, g_strdup ("lstm.task"),
        g_strdup (lstm_task_to_string (options->task)));
  if (options->labels)
    g_hash_table_insert (md, g_strdup ("lstm.labels"),
        labels_to_json (options->labels));
  if (options->features)
    g_hash_table_insert (md, g_strdup ("lstm.features"),
        g_strdup (options->features));
  if (options->description)
    g_hash_table_insert (md, g_strdup ("lstm.description"),
        g_strdup (options->description));
  if (options->training)
    g_hash_table_insert (md, g_strdup ("lstm.training"),
        g_strdup (options->training));
  if (!lstm_model_set_metadata_from_table (model, md, error))
    goto fail;
  return model;

fail:
  lstm_model_destroy (model);
  return NULL;
}

/**
 * lstm_model_ref:
 * @model: a model
 *
 * Returns: @model, with one more reference.
 */
LstmModel *
lstm_model_ref (LstmModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

/**
 * lstm_model_unref:
 * @model: (transfer full): a model
 *
 * Drops a reference; the last one frees the model.
 */
void
lstm_model_unref (LstmModel *model)
{
  g_return_if_fail (model != NULL);
  if (g_atomic_int_dec_and_test (&model->ref_count)) {
    if (model->cache_key != NULL)
      lstm_model_cache_forget (model);
    lstm_model_destroy (model);
  }
}
