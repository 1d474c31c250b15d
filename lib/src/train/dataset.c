/* liblstm: training datasets
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "trainer-private.h"

/**
 * lstm_dataset_new:
 * @input_size: values per frame
 * @kind: what the targets are
 * @target_size: the number of classes (class targets) or of values per
 *   frame; the model's output size must equal it
 * @error: return location for a #GError
 *
 * Creates an empty dataset.
 *
 * Returns: (transfer full): the dataset, or %NULL with @error set when a
 * size is zero or absurd.
 */
LstmDataset *
lstm_dataset_new (guint input_size, LstmTargetKind kind, guint target_size,
    GError **error)
{
  LstmDataset *ds;

  if (input_size == 0 || input_size > LSTM_MAX_SIZE || target_size == 0 ||
      target_size > LSTM_MAX_SIZE) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: input size %u and target size %u must be within 1..%u",
        input_size, target_size, LSTM_MAX_SIZE);
    return NULL;
  }
  if ((guint) kind > LSTM_TARGET_FRAME_VALUES) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: unknown target kind %d", (int) kind);
    return NULL;
  }
  ds = g_new0 (LstmDataset, 1);
  ds->input_size = input_size;
  ds->kind = kind;
  ds->target_size = target_size;
  ds->seqs = g_array_new (FALSE, FALSE, sizeof (LstmSeq));
  ds->frames = g_array_new (FALSE, FALSE, sizeof (float));
  ds->classes = g_array_new (FALSE, FALSE, sizeof (guint));
  ds->values = g_array_new (FALSE, FALSE, sizeof (float));
  ds->mask = g_array_new (FALSE, FALSE, sizeof (guint8));
  return ds;
}

/**
 * lstm_dataset_free:
 * @dataset: (transfer full) (nullable): a dataset
 *
 * Frees the dataset.
 */
void
lstm_dataset_free (LstmDataset *dataset)
{
  if (dataset == NULL)
    return;
  g_array_unref (dataset->seqs);
  g_array_unref (dataset->frames);
  g_array_unref (dataset->classes);
  g_array_unref (dataset->values);
  g_array_unref (dataset->mask);
  g_free (dataset);
}

static gboolean
check_common (LstmDataset *ds, LstmTargetKind kind, const float *frames,
    gsize n_frames, GError **error)
{
  static const gchar *const kinds[] =
      { "one class per sequence", "classes per frame", "values per frame" };
  guint seq = ds->seqs->len;
  gsize i;

  if (ds->kind != kind) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: sequence %u: the dataset holds %s, not %s", seq,
        kinds[ds->kind], kinds[kind]);
    return FALSE;
  }
  if (n_frames == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: sequence %u has no frames", seq);
    return FALSE;
  }
  /* GArray lengths are guint: keep every array below that */
  if (n_frames >= G_MAXUINT || (ds->n_frames + n_frames) *
      MAX (ds->input_size, ds->target_size) >= G_MAXUINT) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: sequence %u (%" G_GSIZE_FORMAT " frames) makes the dataset "
        "too large", seq, n_frames);
    return FALSE;
  }
  for (i = 0; i < n_frames * ds->input_size; i++)
    if (!isfinite (frames[i])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "dataset: sequence %u, frame %" G_GSIZE_FORMAT ", value %"
          G_GSIZE_FORMAT " is %g (must be finite)", seq,
          i / ds->input_size, i % ds->input_size, (double) frames[i]);
      return FALSE;
    }
  return TRUE;
}

static void
append_frames (LstmDataset *ds, const float *frames, gsize n_frames,
    guint cls)
{
  LstmSeq s;

  s.start = ds->n_frames;
  s.n = n_frames;
  s.cls = cls;
  g_array_append_val (ds->seqs, s);
  g_array_append_vals (ds->frames, frames, n_frames * ds->input_size);
  ds->n_frames += n_frames;
}

/**
 * lstm_dataset_add_with_class:
 * @dataset: a dataset of %LSTM_TARGET_SEQUENCE_CLASS targets
 * @frames: (array): @n_frames x input_size values
 * @n_frames: how many frames (at least one)
 * @target_class: the sequence's class, below the target size
 * @error: return location for a #GError
 *
 * Adds a sequence labelled with one class.
 *
 * Returns: %TRUE on success; %FALSE with @error set for a non-finite value
 * (naming the sequence and frame), an empty sequence or a class out of
 * range.
 */
gboolean
lstm_dataset_add_with_class (LstmDataset *dataset, const float *frames,
    gsize n_frames, guint target_class, GError **error)
{
  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (frames != NULL || n_frames == 0, FALSE);
  if (!check_common (dataset, LSTM_TARGET_SEQUENCE_CLASS, frames, n_frames,
          error))
    return FALSE;
  if (target_class >= dataset->target_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "dataset: sequence %u: class %u is out of range (%u classes)",
        dataset->seqs->len, target_class, dataset->target_size);
    return FALSE;
  }
  append_frames (dataset, frames, n_frames, target_class);
  return TRUE;
}

/**
 * lstm_dataset_add_with_frame_classes:
 * @dataset: a dataset of %LSTM_TARGET_FRAME_CLASS targets
 * @frames: (array): @n_frames x input_size values
 * @n_frames: how many frames (at least one)
 * @classes: (array): @n_frames classes, each below the target size or
 *   %LSTM_TARGET_IGNORE
 * @error: return location for a #GError
 *
 * Adds a sequence with a class per frame.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_dataset_add_with_frame_classes (LstmDataset *dataset,
    const float *frames, gsize n_frames, const guint *classes,
    GError **error)
{
  gsize i;

  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (frames != NULL || n_frames == 0, FALSE);
  g_return_val_if_fail (classes != NULL || n_frames == 0, FALSE);
  if (!check_common (dataset, LSTM_TARGET_FRAME_CLASS, frames, n_frames,
          error))
    return FALSE;
  for (i = 0; i < n_frames; i++)
    if (classes[i] >= dataset->target_size &&
        classes[i] != LSTM_TARGET_IGNORE) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "dataset: sequence %u, frame %" G_GSIZE_FORMAT ": class %u is out "
          "of range (%u classes)", dataset->seqs->len, i, classes[i],
          dataset->target_size);
      return FALSE;
    }
  g_array_append_vals (dataset->classes, classes, n_frames);
  append_frames (dataset, frames, n_frames, 0);
  return TRUE;
}

/**
 * lstm_dataset_add_with_values:
 * @dataset: a dataset of %LSTM_TARGET_FRAME_VALUES targets
 * @frames: (array): @n_frames x input_size values
 * @n_frames: how many frames (at least one)
 * @values: (array): @n_frames x target_size target values
 * @mask: (nullable) (array): @n_frames flags, non-zero where the frame has
 *   a target; %NULL: every frame has one
 * @error: return location for a #GError
 *
 * Adds a sequence with target values per frame. Targets of masked-out
 * frames are not read.
 *
 * Returns: %TRUE on success; %FALSE with @error set for a non-finite frame
 * or target value, naming the sequence and frame.
 */
gboolean
lstm_dataset_add_with_values (LstmDataset *dataset, const float *frames,
    gsize n_frames, const float *values, const guint8 *mask, GError **error)
{
  guint n;
  gsize i, j;

  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (frames != NULL || n_frames == 0, FALSE);
  g_return_val_if_fail (values != NULL || n_frames == 0, FALSE);
  if (!check_common (dataset, LSTM_TARGET_FRAME_VALUES, frames, n_frames,
          error))
    return FALSE;
  n = dataset->target_size;
  for (i = 0; i < n_frames; i++) {
    if (mask != NULL && !mask[i])
      continue;
    for (j = 0; j < n; j++)
      if (!isfinite (values[i * n + j])) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "dataset: sequence %u, frame %" G_GSIZE_FORMAT ": target %"
            G_GSIZE_FORMAT " is %g (must be finite)", dataset->seqs->len, i,
            j, (double) values[i * n + j]);
        return FALSE;
      }
  }
  for (i = 0; i < n_frames; i++) {
    guint8 keep = mask == NULL || mask[i] ? 1 : 0;
    g_array_append_val (dataset->mask, keep);
    if (keep)
      g_array_append_vals (dataset->values, values + i * n, n);
    else
      g_array_set_size (dataset->values, dataset->values->len + n);
  }
  append_frames (dataset, frames, n_frames, 0);
  return TRUE;
}

/**
 * lstm_dataset_get_n_sequences:
 * @dataset: a dataset
 *
 * Returns: how many sequences it holds.
 */
guint
lstm_dataset_get_n_sequences (LstmDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, 0);
  return dataset->seqs->len;
}

/**
 * lstm_dataset_get_n_frames:
 * @dataset: a dataset
 *
 * Returns: how many frames its sequences hold in all.
 */
guint64
lstm_dataset_get_n_frames (LstmDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, 0);
  return dataset->n_frames;
}

/**
 * lstm_dataset_get_input_size:
 * @dataset: a dataset
 *
 * Returns: values per frame.
 */
guint
lstm_dataset_get_input_size (LstmDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, 0);
  return dataset->input_size;
}

/**
 * lstm_dataset_get_target_kind:
 * @dataset: a dataset
 *
 * Returns: what its targets are.
 */
LstmTargetKind
lstm_dataset_get_target_kind (LstmDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, LSTM_TARGET_FRAME_VALUES);
  return dataset->kind;
}

/**
 * lstm_dataset_get_target_size:
 * @dataset: a dataset
 *
 * Returns: the number of classes or of target values per frame.
 */
guint
lstm_dataset_get_target_size (LstmDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, 0);
  return dataset->target_size;
}

/* FNV-1a over everything that defines the data. */
static guint64
fnv (guint64 h, const void *data, gsize n)
{
  const guint8 *p = data;
  gsize i;

  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= G_GUINT64_CONSTANT (0x100000001b3);
  }
  return h;
}

guint64
lstm_dataset_fingerprint (LstmDataset *ds, guint64 h)
{
  guint32 head[3] = { ds->input_size, ds->kind, ds->target_size };
  guint i;

  h = fnv (h, head, sizeof head);
  for (i = 0; i < ds->seqs->len; i++) {
    const LstmSeq *s = &g_array_index (ds->seqs, LstmSeq, i);
    guint64 rec[2] = { s->n, s->cls };
    h = fnv (h, rec, sizeof rec);
  }
  h = fnv (h, ds->frames->data, ds->frames->len * sizeof (float));
  h = fnv (h, ds->classes->data, ds->classes->len * sizeof (guint));
  h = fnv (h, ds->mask->data, ds->mask->len);
  for (i = 0; i < ds->mask->len; i++)
    if (g_array_index (ds->mask, guint8, i))
      h = fnv (h, &g_array_index (ds->values, float, (gsize) i *
              ds->target_size), ds->target_size * sizeof (float));
  return h;
}

/* ---- statistics, for input normalisation and target scaling ---- */

/* Mean and sample standard deviation of column @j of the @dim-wide rows
 * of @x whose @keep flag is set (all when NULL); std 1 for a constant
 * column or fewer than two rows. */
static void
column_stats (const float *x, gsize n, guint dim, guint j,
    const guint8 *keep, float *mean, float *std)
{
  double s = 0, s2 = 0, m, v;
  gsize t, k = 0;

  for (t = 0; t < n; t++)
    if (keep == NULL || keep[t]) {
      s += x[t * dim + j];
      k++;
    }
  m = s / MAX (k, 1);
  for (t = 0; t < n; t++)
    if (keep == NULL || keep[t])
      s2 += (x[t * dim + j] - m) * (x[t * dim + j] - m);
  v = k > 1 ? s2 / (k - 1) : 0;
  *mean = (float) m;
  *std = (float) sqrt (v);
  if (!(*std > 0.0f) || !isfinite (*std))
    *std = 1.0f;
}

/**
 * lstm_compute_statistics:
 * @frames: (array): @n_frames x @size values
 * @n_frames: how many frames
 * @size: values per frame
 * @mask: (nullable) (array): @n_frames flags: only frames whose flag is
 *   non-zero count; %NULL: all do
 * @mean: (out caller-allocates) (array): @size means
 * @std: (out caller-allocates) (array): @size sample standard deviations
 *
 * The statistics of input normalisation and target scaling, the one
 * implementation every front end uses: per value, the mean and the sample
 * standard deviation (divisor n - 1), summed in double in frame order; a
 * standard deviation of 1 where a value is constant or fewer than two
 * frames count.
 */
void
lstm_compute_statistics (const float *frames, gsize n_frames, guint size,
    const guint8 *mask, float *mean, float *std)
{
  guint j;

  g_return_if_fail (frames != NULL || n_frames == 0);
  g_return_if_fail (mean != NULL && std != NULL);
  for (j = 0; j < size; j++)
    column_stats (frames, n_frames, size, j, mask, &mean[j], &std[j]);
}

/**
 * lstm_dataset_get_statistics:
 * @dataset: a dataset
 * @input_mean: (out caller-allocates) (array) (optional): input_size means
 *   of the frames' values
 * @input_std: (out caller-allocates) (array) (optional): their sample
 *   standard deviations
 * @target_mean: (out caller-allocates) (array) (optional):
 *   %LSTM_TARGET_FRAME_VALUES: target_size means of the targets that count
 *   (mask non-zero)
 * @target_std: (out caller-allocates) (array) (optional): their sample
 *   standard deviations
 *
 * The statistics of #LstmModelOptions' input normalisation and of
 * #LstmTrainerOptions' target scaling, as `lstm train` computes them:
 * lstm_compute_statistics() over the dataset's frames (and counted
 * targets). Datasets of class
 * targets have no target statistics: @target_mean and @target_std are then
 * left alone.
 *
 * Returns: %TRUE; %FALSE when @dataset holds no frame (or, for the target
 * statistics, no counted target).
 */
gboolean
lstm_dataset_get_statistics (LstmDataset *dataset, float *input_mean,
    float *input_std, float *target_mean, float *target_std)
{
  LstmDataset *ds = dataset;
  float mean, std;
  gsize i, counted = 0;
  guint j;

  g_return_val_if_fail (dataset != NULL, FALSE);
  if (ds->n_frames == 0)
    return FALSE;
  for (j = 0; j < ds->input_size; j++) {
    column_stats ((const float *) (gpointer) ds->frames->data, ds->n_frames,
        ds->input_size, j, NULL, &mean, &std);
    if (input_mean)
      input_mean[j] = mean;
    if (input_std)
      input_std[j] = std;
  }
  if (ds->kind != LSTM_TARGET_FRAME_VALUES ||
      (target_mean == NULL && target_std == NULL))
    return TRUE;
  for (i = 0; i < ds->n_frames; i++)
    counted += g_array_index (ds->mask, guint8, i) != 0;
  if (counted == 0)
    return FALSE;
  for (j = 0; j < ds->target_size; j++) {
    column_stats ((const float *) (gpointer) ds->values->data, ds->n_frames,
        ds->target_size, j, (const guint8 *) ds->mask->data, &mean, &std);
    if (target_mean)
      target_mean[j] = mean;
    if (target_std)
      target_std[j] = std;
  }
  return TRUE;
}
