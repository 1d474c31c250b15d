/* liblstm: per-stream recurrent state and its workspace
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lstm-private.h"

static gsize
round_up (gsize n)
{
  return (n + LSTM_ALIGN_FLOATS - 1) / LSTM_ALIGN_FLOATS * LSTM_ALIGN_FLOATS;
}

static void
state_alloc (LstmState *state)
{
  LstmModel *m = state->model;
  gsize act = round_up ((gsize) LSTM_BLOCK_FRAMES * m->max_width);
  gsize gx = round_up ((gsize) LSTM_BLOCK_FRAMES * m->max_gates);
  gsize gh = round_up (m->max_gates);

  state->values = lstm_aligned_alloc (m->state_size);
  state->workspace = lstm_aligned_alloc (4 * act + gx + gh);
  state->act[0] = state->workspace;
  state->act[1] = state->act[0] + act;
  state->lag = state->act[1] + act;
  state->cat = state->lag + act;
  state->gx = state->cat + act;
  state->gh = state->gx + gx;
}

/**
 * lstm_state_new:
 * @model: the model the state will run
 *
 * Creates the recurrent state of one stream: h (and c) of every recurrent
 * layer, zeroed, plus a workspace sized once so that lstm_model_forward()
 * never allocates (the model's packed weights are made here too, the
 * first time a state is created for it). The state holds a reference on @model. The kernel
 * variant is chosen here: the one named by the `LSTM_KERNELS` environment
 * variable ("ref", "generic", "avx2", "fma", "avx512") if set, else the
 * fastest exact one the CPU supports (chosen at run time: "avx512" where
 * AVX-512F/VL/DQ exist, else "avx2", else "generic").
 *
 * Returns: (transfer full): the state; free with lstm_state_free().
 */
LstmState *
lstm_state_new (LstmModel *model)
{
  LstmState *state;

  g_return_val_if_fail (model != NULL, NULL);
  state = g_new0 (LstmState, 1);
  state->model = lstm_model_ref (model);
  state->kernels = lstm_kernels_get (NULL);
  if (state->kernels == NULL) {
    g_warning ("LSTM_KERNELS='%s' is unknown or not supported by this CPU; "
        "using the default kernels", g_getenv ("LSTM_KERNELS"));
    state->kernels = lstm_kernels_get ("");
  }
  /* the packed weights now, so that not even the first forward allocates
   * (on failure the forward runs on the plain weights) */
  if (state->kernels->matmul_packed != NULL)
    lstm_model_ensure_packed (model);
  state_alloc (state);
  return state;
}

/**
 * lstm_state_new_with_precision:
 * @model: the model the state will run
 * @precision: the precision of the state's forward computation
 * @error: return location for a #GError
 *
 * lstm_state_new() with a chosen precision. With %LSTM_PRECISION_FP32 this
 * is lstm_state_new(), bit for bit. With %LSTM_PRECISION_BF16 the model's
 * weight matrices (input, recurrent and linear) are packed once more, as
 * bfloat16, the first time a bf16 state is created for the model, and the
 * state computes with the bf16 kernels: the one named by the
 * `LSTM_KERNELS_BF16` environment variable ("bf16-generic", "bf16-avx2",
 * "bf16-avx512", "bf16-avx512bf16") if set, else the fastest the CPU
 * supports (chosen at run time: "bf16-avx512bf16" where AVX512-BF16
 * exists, which rounds the products' inputs to bfloat16 as well, else
 * "bf16-avx512", "bf16-avx2" or "bf16-generic", which widen the weights and
 * give the bits of the fp32 kernels run on the rounded weights).
 * Chunking invariance holds for a bf16 state as for an fp32 one (per
 * kernel table); the outputs differ from fp32 by the weights' rounding
 * (relative at most 2^-8 per weight, and per input as well with
 * AVX512-BF16).
 *
 * Returns: (transfer full) (nullable): the state, or %NULL with @error set
 * when @precision is unknown or `LSTM_KERNELS_BF16` names kernels this
 * build or CPU does not have.
 */
LstmState *
lstm_state_new_with_precision (LstmModel *model, LstmPrecision precision,
    GError **error)
{
  LstmState *state;
  const LstmKernels *k;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (precision == LSTM_PRECISION_FP32)
    return lstm_state_new (model);
  if (precision != LSTM_PRECISION_BF16) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "unknown precision %d", (int) precision);
    return NULL;
  }
  k = lstm_kernels_get_bf16 (NULL);
  if (k == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "LSTM_KERNELS_BF16='%s' is unknown or not supported by this CPU",
        g_getenv ("LSTM_KERNELS_BF16"));
    return NULL;
  }
  state = g_new0 (LstmState, 1);
  state->model = lstm_model_ref (model);
  state->kernels = k;
  state->precision = LSTM_PRECISION_BF16;
  /* packed now so that the forward never allocates (on failure it runs on
   * the plain fp32 weights) */
  lstm_model_ensure_packed_bf16 (model);
  state_alloc (state);
  return state;
}

/**
 * lstm_state_get_precision:
 * @state: a state
 *
 * Returns: the precision the state computes with.
 */
LstmPrecision
lstm_state_get_precision (const LstmState *state)
{
  g_return_val_if_fail (state != NULL, LSTM_PRECISION_FP32);
  return state->precision;
}

/**
 * lstm_precision_from_string:
 * @str: "fp32" (or "float32") or "bf16" (or "bfloat16")
 * @precision: (out): the precision
 * @error: return location for a #GError
 *
 * Parses a precision name, as the `lstm` tool and the plugin spell it.
 *
 * Returns: %TRUE on success; %FALSE with @error set for an unknown name.
 */
gboolean
lstm_precision_from_string (const gchar *str, LstmPrecision *precision,
    GError **error)
{
  g_return_val_if_fail (str != NULL && precision != NULL, FALSE);
  if (g_ascii_strcasecmp (str, "fp32") == 0 ||
      g_ascii_strcasecmp (str, "float32") == 0) {
    *precision = LSTM_PRECISION_FP32;
    return TRUE;
  }
  if (g_ascii_strcasecmp (str, "bf16") == 0 ||
      g_ascii_strcasecmp (str, "bfloat16") == 0) {
    *precision = LSTM_PRECISION_BF16;
    return TRUE;
  }
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
      "unknown precision '%s' (expected fp32 or bf16)", str);
  return FALSE;
}

/**
 * lstm_precision_to_string:
 * @precision: a precision
 *
 * Returns: "fp32" or "bf16" (or "unknown").
 */
const gchar *
lstm_precision_to_string (LstmPrecision precision)
{
  switch (precision) {
    case LSTM_PRECISION_FP32:
      return "fp32";
    case LSTM_PRECISION_BF16:
      return "bf16";
    default:
      return "unknown";
  }
}

/**
 * lstm_state_copy:
 * @state: a state
 *
 * Returns: (transfer full): a new state of the same model holding the same
 * h and c values.
 */
LstmState *
lstm_state_copy (const LstmState *state)
{
  LstmState *copy;

  g_return_val_if_fail (state != NULL, NULL);
  copy = g_new0 (LstmState, 1);
  copy->model = lstm_model_ref (state->model);
  copy->kernels = state->kernels;
  copy->precision = state->precision;
  state_alloc (copy);
  memcpy (copy->values, state->values,
      state->model->state_size * sizeof (float));
  copy->nonfinite_tail = state->nonfinite_tail;
  return copy;
}

/**
 * lstm_state_reset:
 * @state: a state
 *
 * Zeroes h and c (and forgets a lag layer's past frames), as at the start
 * of a stream.
 */
void
lstm_state_reset (LstmState *state)
{
  g_return_if_fail (state != NULL);
  memset (state->values, 0, state->model->state_size * sizeof (float));
}

/**
 * lstm_state_free:
 * @state: (transfer full) (nullable): a state
 *
 * Frees the state and drops its model reference.
 */
void
lstm_state_free (LstmState *state)
{
  if (state == NULL)
    return;
  lstm_aligned_free (state->values);
  lstm_aligned_free (state->workspace);
  lstm_model_unref (state->model);
  g_free (state);
}

/**
 * lstm_state_get_model:
 * @state: a state
 *
 * Returns: (transfer none): the model the state belongs to.
 */
LstmModel *
lstm_state_get_model (const LstmState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->model;
}

/**
 * lstm_state_get_kernels:
 * @state: a state
 *
 * Returns: the name of the kernel variant the state computes with.
 */
const gchar *
lstm_state_get_kernels (const LstmState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  return state->kernels->name;
}

static LstmLayer *
rnn_layer (const LstmState *state, guint layer, GError **error)
{
  LstmModel *m = state->model;

  if (layer >= m->n_layers || m->layers[layer].type == LSTM_LAYER_LINEAR ||
      m->layers[layer].type == LSTM_LAYER_LAG) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: layer %u is not a recurrent layer", m->name, layer);
    return NULL;
  }
  return &m->layers[layer];
}

/* h and c are (num_layers * num_dirs, H), PyTorch's h_0/c_0 for batch 1;
 * the state keeps h then c per (l, d). */
static void
copy_hidden (LstmLayer *L, float *values, float *h, float *c, gboolean set)
{
  guint H = L->hidden_size, n = L->num_layers * L->num_dirs, e;
  guint per = L->type == LSTM_LAYER_LSTM ? 2 * H : H;

  for (e = 0; e < n; e++) {
    float *sh = values + L->state_offset + (gsize) e * per;
    float *sc = sh + H;
    if (set) {
      if (h)
        memcpy (sh, h + (gsize) e * H, H * sizeof (float));
      if (L->type == LSTM_LAYER_LSTM) {
        if (c)
          memcpy (sc, c + (gsize) e * H, H * sizeof (float));
        else
          memset (sc, 0, H * sizeof (float));
      }
    } else {
      if (h)
        memcpy (h + (gsize) e * H, sh, H * sizeof (float));
      if (c && L->type == LSTM_LAYER_LSTM)
        memcpy (c + (gsize) e * H, sc, H * sizeof (float));
    }
  }
}

/**
 * lstm_state_set_hidden:
 * @state: a state
 * @layer: index of a recurrent layer in the model's architecture
 * @h: (array): num_layers x num_directions x hidden_size values, PyTorch's
 *   `h_0` for one sequence
 * @c: (nullable) (array): LSTM only: the same shape, PyTorch's `c_0`;
 *   %NULL sets c to zero
 * @error: return location for a #GError
 *
 * Sets the recurrent state of one layer, as passing `(h_0, c_0)` to a
 * PyTorch module does.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_state_set_hidden (LstmState *state, guint layer, const float *h,
    const float *c, GError **error)
{
  LstmLayer *L;

  g_return_val_if_fail (state != NULL && h != NULL, FALSE);
  if ((L = rnn_layer (state, layer, error)) == NULL)
    return FALSE;
  if (c != NULL && L->type != LSTM_LAYER_LSTM) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: layer '%s' is a GRU: it has no cell state", state->model->name,
        L->name);
    return FALSE;
  }
  copy_hidden (L, state->values, (float *) h, (float *) c, TRUE);
  return TRUE;
}

/**
 * lstm_state_get_hidden:
 * @state: a state
 * @layer: index of a recurrent layer in the model's architecture
 * @h: (nullable) (out caller-allocates): num_layers x num_directions x
 *   hidden_size values, PyTorch's `h_n`
 * @c: (nullable) (out caller-allocates): LSTM only: PyTorch's `c_n`
 * @error: return location for a #GError
 *
 * Reads the recurrent state of one layer.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_state_get_hidden (const LstmState *state, guint layer, float *h,
    float *c, GError **error)
{
  LstmLayer *L;

  g_return_val_if_fail (state != NULL, FALSE);
  if ((L = rnn_layer (state, layer, error)) == NULL)
    return FALSE;
  if (c != NULL && L->type != LSTM_LAYER_LSTM) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: layer '%s' is a GRU: it has no cell state", state->model->name,
        L->name);
    return FALSE;
  }
  copy_hidden (L, state->values, h, c, FALSE);
  return TRUE;
}
