/* liblstm: model files: loading (every tensor checked against the
 * architecture) and saving, copies, copies with other metadata
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-private.h"

/* ---- loading ---- */

static gchar *
shape_to_string (guint n_dims, const guint64 *shape)
{
  GString *s = g_string_new (NULL);
  guint i;

  if (n_dims == 0)
    g_string_append (s, "a scalar");
  for (i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? "x" : "",
        shape[i]);
  return g_string_free (s, FALSE);
}

static gboolean
check_shape (LstmModel *model, const LstmStTensor *st, guint n_dims,
    const guint64 *shape, GError **error)
{
  gboolean ok = st->n_dims == n_dims;
  guint i;

  for (i = 0; ok && i < n_dims; i++)
    ok = st->shape[i] == shape[i];
  if (!ok) {
    g_autofree gchar *got = shape_to_string (st->n_dims, st->shape);
    g_autofree gchar *want = shape_to_string (n_dims, shape);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: tensor '%s' is %s, expected %s", model->name, st->name, got,
        want);
  }
  return ok;
}

static gboolean
load_input_vector (LstmModel *model, LstmStFile *st, const gchar *tname,
    float **dst, GError **error)
{
  LstmStTensor *t = g_hash_table_lookup (st->tensors, tname);
  guint64 shape[1] = { model->input_size };
  guint i;

  if (t == NULL)
    return TRUE;
  if (!check_shape (model, t, 1, shape, error))
    return FALSE;
  *dst = g_new (float, model->input_size);
  if (!lstm_st_tensor_read_f32 (st, t, *dst, error))
    return FALSE;
  if (strcmp (tname, "input.std") == 0)
    for (i = 0; i < model->input_size; i++)
      if ((*dst)[i] == 0.0f) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: tensor 'input.std' is zero at index %u", model->name, i);
        return FALSE;
      }
  return TRUE;
}

/**
 * lstm_model_load_from_bytes:
 * @bytes: the contents of a safetensors model file
 * @name: (nullable): a name for error messages, such as the file name
 * @error: return location for a #GError
 *
 * Validates and loads a model: header, JSON, offsets, dtypes (F32, or F16
 * and BF16 widened), every tensor's shape against the architecture, no
 * missing or unknown tensors (tensors under `optim.`, written in training
 * checkpoints, are ignored), finite weights, metadata.
 *
 * Returns: (transfer full): the model, or %NULL with @error set.
 */
LstmModel *
lstm_model_load_from_bytes (GBytes *bytes, const gchar *name, GError **error)
{
  g_autoptr (LstmStFile) st = NULL;
  g_autoptr (GHashTable) expected = NULL;
  LstmModel *model;
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_return_val_if_fail (bytes != NULL, NULL);
  st = lstm_st_file_parse (bytes, name, error);
  if (st == NULL)
    return NULL;
  model = lstm_model_new_from_architecture (g_hash_table_lookup (st->metadata,
          "lstm.architecture"), st->name, error);
  if (model == NULL)
    return NULL;

  /* Every expected tensor present with its shape, before any allocation
   * sized by the architecture. A model may have 10^5 tensors: look them up
   * by hash, not one by one. */
  expected = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < model->n_tensors; i++) {
    LstmParamTensor *pt = &model->tensors[i];
    LstmStTensor *t = g_hash_table_lookup (st->tensors, pt->name);
    g_hash_table_add (expected, pt->name);
    if (t == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: tensor '%s' is missing", model->name, pt->name);
      goto fail;
    }
    if (!check_shape (model, t, pt->n_dims, pt->shape, error))
      goto fail;
  }
  g_hash_table_iter_init (&iter, st->tensors);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (g_str_has_prefix (key, "optim.") || strcmp (key, "input.mean") == 0
        || strcmp (key, "input.std") == 0 ||
        g_hash_table_contains (expected, key))
      continue;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: unexpected tensor '%s': the architecture has no place for it",
        model->name, (const gchar *) key);
    goto fail;
  }
  if (!lstm_model_alloc_params (model, error))
    goto fail;
  for (i = 0; i < model->n_tensors; i++) {
    LstmParamTensor *pt = &model->tensors[i];
    if (!lstm_st_tensor_read_f32 (st, g_hash_table_lookup (st->tensors,
                pt->name), model->params + pt->offset, error))
      goto fail;
  }
  if (!load_input_vector (model, st, "input.mean", &model->input_mean, error)
      || !load_input_vector (model, st, "input.std", &model->input_std,
          error))
    goto fail;
  if (!lstm_model_set_metadata_from_table (model, st->metadata, error))
    goto fail;
  return model;

fail:
  lstm_model_destroy (model);
  return NULL;
}

/**
 * lstm_get_max_model_size:
 *
 * The size limit lstm_model_load() applies to a file before reading it:
 * the `LSTM_MAX_MODEL_SIZE` environment variable if it is set and valid (a
 * number of bytes, optionally followed by `K`, `M`, `G` or `T`, powers of
 * 1024, e.g. `4G`), else #LSTM_DEFAULT_MAX_MODEL_SIZE. An invalid value is
 * ignored with a warning.
 *
 * Returns: the limit, in bytes.
 */
guint64
lstm_get_max_model_size (void)
{
  const gchar *env = g_getenv ("LSTM_MAX_MODEL_SIZE");
  guint64 v, mult = 1;
  gchar *end = NULL;

  if (env == NULL || *env == '\0')
    return LSTM_DEFAULT_MAX_MODEL_SIZE;
  errno = 0;
  v = g_ascii_strtoull (env, &end, 10);
  if (end != env && errno == 0 && *end != '\0' && end[1] == '\0') {
    switch (g_ascii_toupper (*end)) {
      case 'K': mult = G_GUINT64_CONSTANT (1) << 10; end++; break;
      case 'M': mult = G_GUINT64_CONSTANT (1) << 20; end++; break;
      case 'G': mult = G_GUINT64_CONSTANT (1) << 30; end++; break;
      case 'T': mult = G_GUINT64_CONSTANT (1) << 40; end++; break;
      default: break;
    }
  }
  if (end == env || errno != 0 || *end != '\0' || v == 0 ||
      v > G_MAXUINT64 / mult) {
    g_warning ("LSTM_MAX_MODEL_SIZE='%s' is not a size in bytes (e.g. "
        "2147483648 or 2G); using %" G_GUINT64_FORMAT, env,
        LSTM_DEFAULT_MAX_MODEL_SIZE);
    return LSTM_DEFAULT_MAX_MODEL_SIZE;
  }
  return v * mult;
}

/**
 * lstm_model_load:
 * @path: a safetensors model file
 * @error: return location for a #GError
 *
 * Loads and validates a model file, refusing files larger than
 * lstm_get_max_model_size(); see lstm_model_load_with_limit().
 *
 * Returns: (transfer full): the model, or %NULL with @error set.
 */
LstmModel *
lstm_model_load (const gchar *path, GError **error)
{
  return lstm_model_load_with_limit (path, 0, error);
}

/**
 * lstm_model_load_with_limit:
 * @path: a safetensors model file
 * @max_size: the largest file accepted, in bytes; 0: lstm_get_max_model_size()
 * @error: return location for a #GError
 *
 * Loads and validates a model file; see lstm_model_load_from_bytes(). The
 * file's size is checked against @max_size on the open file before any of
 * it is read: a larger one fails with %LSTM_ERROR_ARGUMENT naming both
 * sizes. The file is mapped, not copied; its weights are copied once into
 * the model, whose architecture is validated before that allocation.
 *
 * Returns: (transfer full): the model, or %NULL with @error set.
 */
LstmModel *
lstm_model_load_with_limit (const gchar *path, guint64 max_size,
    GError **error)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  bytes = lstm_map_file (path, max_size, error);
  if (bytes == NULL)
    return NULL;
  return lstm_model_load_from_bytes (bytes, path, error);
}

/* ---- saving ---- */

/**
 * lstm_model_save_to_bytes:
 * @model: a model
 * @error: return location for a #GError
 *
 * Serialises @model as a safetensors file: F32 tensors named as PyTorch's
 * `state_dict` names them, plus `input.mean`/`input.std` when present, and
 * every metadata string.
 *
 * Returns: (transfer full): the bytes, or %NULL with @error set.
 */
GBytes *
lstm_model_save_to_bytes (LstmModel *model, GError **error)
{
  g_autofree LstmStWriteTensor *wt = NULL;
  guint i, n = 0;

  g_return_val_if_fail (model != NULL, NULL);
  (void) error;
  wt = g_new0 (LstmStWriteTensor, model->n_tensors + 2);
  for (i = 0; i < model->n_tensors; i++, n++) {
    wt[n].name = model->tensors[i].name;
    wt[n].dtype = LSTM_DTYPE_F32;
    wt[n].data = model->params + model->tensors[i].offset;
    wt[n].n_dims = model->tensors[i].n_dims;
    wt[n].shape[0] = model->tensors[i].shape[0];
    wt[n].shape[1] = model->tensors[i].shape[1];
  }
  if (model->input_mean) {
    wt[n] = (LstmStWriteTensor) { "input.mean", LSTM_DTYPE_F32,
      model->input_mean, 1, { model->input_size } };
    n++;
  }
  if (model->input_std) {
    wt[n] = (LstmStWriteTensor) { "input.std", LSTM_DTYPE_F32,
      model->input_std, 1, { model->input_size } };
    n++;
  }
  /* The metadata is written as it is held (lstm.labels was validated when
   * it was set); the model itself never changes, so strings it handed out
   * stay valid and other threads may use it meanwhile. */
  return lstm_st_serialize (wt, n, model->metadata);
}

/**
 * lstm_model_save:
 * @model: a model
 * @path: where to write it
 * @error: return location for a #GError
 *
 * Writes @model atomically: to a temporary file in the same folder, synced
 * to disk, then renamed over @path. A crash never leaves a half-written
 * model where a good one stood.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_model_save (LstmModel *model, const gchar *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (model != NULL && path != NULL, FALSE);
  bytes = lstm_model_save_to_bytes (model, error);
  if (bytes == NULL)
    return FALSE;
  return lstm_write_file_atomic (path, bytes, error);
}

/* ---- copies, refcounting ---- */

LstmModel *
lstm_model_copy (LstmModel *model)
{
  LstmModel *copy = lstm_model_new_from_architecture (g_hash_table_lookup
      (model->metadata, "lstm.architecture"), model->name, NULL);
  GHashTableIter iter;
  gpointer k, v;

  g_assert (copy != NULL);
  copy->params = lstm_aligned_alloc (model->n_params);
  memcpy (copy->params, model->params, model->n_params * sizeof (float));
  lstm_model_point_params (copy);
  if (model->input_mean)
    copy->input_mean = g_memdup2 (model->input_mean,
        model->input_size * sizeof (float));
  if (model->input_std)
    copy->input_std = g_memdup2 (model->input_std,
        model->input_size * sizeof (float));
  if (model->residual)
    copy->residual = g_memdup2 (model->residual,
        model->output_size * sizeof (guint));
  copy->task = model->task;
  copy->labels = g_strdupv (model->labels);
  copy->features = g_strdup (model->features);
  g_hash_table_iter_init (&iter, model->metadata);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_replace (copy->metadata, g_strdup (k), g_strdup (v));
  return copy;
}

/**
 * lstm_model_with_tensor:
 * @model: a model
 * @name: a parameter tensor's name, e.g. "head.weight"
 * @values: (array length=n_values): the tensor's new values, row-major
 * @n_values: how many values; the tensor's element count
 * @error: return location for a #GError
 *
 * Models never change; this returns a copy of @model with the values of
 * one parameter tensor replaced (to start training from chosen weights,
 * such as a least-squares fit).
 *
 * Returns: (transfer full): the new model, or %NULL with @error set
 * (%LSTM_ERROR_ARGUMENT) if there is no such tensor, @n_values is not its
 * size or a value is not finite.
 */
LstmModel *
lstm_model_with_tensor (LstmModel *model, const gchar *name,
    const float *values, gsize n_values, GError **error)
{
  LstmModel *copy;
  guint t;
  gsize i;

  g_return_val_if_fail (model != NULL && name != NULL, NULL);
  g_return_val_if_fail (n_values == 0 || values != NULL, NULL);
  t = lstm_model_find_tensor (model, name);
  if (t == G_MAXUINT) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: no parameter tensor '%s'", model->name, name);
    return NULL;
  }
  if (model->tensors[t].size != n_values) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: tensor '%s' has %" G_GSIZE_FORMAT " values, not %"
        G_GSIZE_FORMAT, model->name, name, model->tensors[t].size, n_values);
    return NULL;
  }
  for (i = 0; i < n_values; i++)
    if (!isfinite (values[i])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: value %" G_GSIZE_FORMAT " for tensor '%s' is not finite",
          model->name, i, name);
      return NULL;
    }
  copy = lstm_model_copy (model);
  memcpy (copy->params + copy->tensors[t].offset, values,
      n_values * sizeof (float));
  return copy;
}

/**
 * lstm_model_with_metadata:
 * @model: a model
 * @key: a metadata key, e.g. "lstm.labels", "lstm.description"
 * @value: (nullable): the new value; %NULL removes the key
 * @error: return location for a #GError
 *
 * Models never change; this returns a copy of @model with one metadata
 * string changed, validated as loading would validate it. The architecture
 * and format keys cannot be changed this way.
 *
 * Returns: (transfer full): the new model, or %NULL with @error set.
 */
LstmModel *
lstm_model_with_metadata (LstmModel *model, const gchar *key,
    const gchar *value, GError **error)
{
  g_autoptr (LstmModel) copy = NULL;
  g_autoptr (GHashTable) md = NULL;

  g_return_val_if_fail (model != NULL && key != NULL, NULL);
  if (strcmp (key, "lstm.architecture") == 0 ||
      strcmp (key, "lstm.format") == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: metadata '%s' describes the weights and cannot be replaced",
        model->name, key);
    return NULL;
  }
  copy = lstm_model_copy (model);
  md = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    GHashTableIter iter;
    gpointer k, v;
    g_hash_table_iter_init (&iter, model->metadata);
    while (g_hash_table_iter_next (&iter, &k, &v))
      g_hash_table_insert (md, g_strdup (k), g_strdup (v));
  }
  if (value)
    g_hash_table_replace (md, g_strdup (key), g_strdup (value));
  else
    g_hash_table_remove (md, key);
  g_hash_table_remove (copy->metadata, key);
  if (strcmp (key, "lstm.labels") == 0 && value == NULL)
    g_clear_pointer (&copy->labels, g_strfreev);
  if (strcmp (key, "lstm.features") == 0 && value == NULL)
    g_clear_pointer (&copy->features, g_free);
  if (strcmp (key, "lstm.task") == 0 && value == NULL)
    g_hash_table_remove (md, "lstm.task");
  if (!lstm_model_set_metadata_from_table (copy, md, error))
    return NULL;
  return g_steal_pointer (&copy);
}
