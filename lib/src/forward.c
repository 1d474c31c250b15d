/* liblstm: the layer-stack driver behind lstm_model_forward()
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "layers.h"

/* One stacked sub-layer @l of a recurrent layer over @T frames, both
 * directions. hc: the layer's state (h then c per (l, d)). */
static void
run_rnn_sublayer (const LstmLayer *L, guint l, const LstmKernels *k,
    const float *x, gsize T, float *y, float *hc, float *gx, float *gh)
{
  guint H = L->hidden_size, d;
  gsize per = L->type == LSTM_LAYER_LSTM ? 2 * H : H;

  for (d = 0; d < L->num_dirs; d++) {
    const LstmRnnParams *p = &L->rnn[l * L->num_dirs + d];
    float *h = hc + (l * L->num_dirs + d) * per;

    if (L->type == LSTM_LAYER_LSTM)
      lstm_layer_forward (p, H, L->peephole, k, x, p->in, T, h, h + H,
          y + d * H, L->output_size, d == 1, gx, NULL, gh);
    else
      lstm_gru_layer_forward (p, H, k, x, p->in, T, h, y + d * H,
          L->output_size, d == 1, gx, NULL, gh);
  }
}

/* Runs every layer over @T frames (a block in streaming, the whole
 * sequence offline). act0/act1: (T, max_width); gx: (T, max_gates). */
static void
run_stack (LstmModel *m, const LstmKernels *k, const float *in, gsize T,
    float *out, float *values, float *act0, float *act1, float *gx,
    float *gh)
{
  const float *src = in;
  guint i, l;

  if (m->input_mean || m->input_std) {
    gsize t;
    guint j, I = m->input_size;
    for (t = 0; t < T; t++)
      for (j = 0; j < I; j++) {
        float v = in[t * I + j];
        if (m->input_mean)
          v = v - m->input_mean[j];
        if (m->input_std)
          v = v / m->input_std[j];
        act0[t * I + j] = v;
      }
    src = act0;
  }

  for (i = 0; i < m->n_layers; i++) {
    const LstmLayer *L = &m->layers[i];
    guint n_stages = L->type == LSTM_LAYER_LINEAR ? 1 : L->num_layers;

    for (l = 0; l < n_stages; l++) {
      gboolean last = i == m->n_layers - 1 && l == n_stages - 1;
      float *dst = last ? out : (src == act0 ? act1 : act0);

      if (L->type == LSTM_LAYER_LINEAR)
        lstm_linear_layer_forward (L->weight, L->bias_v, L->activation,
            L->input_size, L->output_size, k, src, T, dst);
      else
        run_rnn_sublayer (L, l, k, src, T, dst, values + L->state_offset, gx,
            gh);
      src = dst;
    }
  }
}

/**
 * lstm_model_forward:
 * @model: a streamable model (no bidirectional layer)
 * @state: the stream's state, created for @model; updated
 * @in: (array): @n_frames x input-size values
 * @n_frames: how many frames; 0 is allowed
 * @out: (array) (out caller-allocates): @n_frames x output-size values;
 *   must not overlap @in
 * @error: return location for a #GError
 *
 * Runs the model over consecutive frames of one stream, carrying the
 * recurrent state from call to call. Input normalisation stored in the
 * model is applied here, once.
 *
 * Chunking invariance: the outputs are bitwise identical however a stream's
 * frames are split into calls (one at a time, or all at once), for a given
 * kernel variant. No memory is allocated.
 *
 * Returns: %TRUE on success; %FALSE with @error set if the state belongs to
 * another model or the model is bidirectional.
 */
gboolean
lstm_model_forward (LstmModel *model, LstmState *state, const float *in,
    gsize n_frames, float *out, GError **error)
{
  gsize done;

  g_return_val_if_fail (model != NULL && state != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (in != NULL && out != NULL), FALSE);
  if (state->model != model) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the state was created for another model (%s)", model->name,
        state->model->name);
    return FALSE;
  }
  if (!model->streamable) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: the model has a bidirectional layer, which needs the whole "
        "sequence: it cannot run on a stream (use the offline "
        "lstm_model_forward_sequence)", model->name);
    return FALSE;
  }
  for (done = 0; done < n_frames; done += LSTM_BLOCK_FRAMES) {
    gsize T = MIN (LSTM_BLOCK_FRAMES, n_frames - done);
    run_stack (model, state->kernels, in + done * model->input_size, T,
        out + done * model->output_size, state->values, state->act[0],
        state->act[1], state->gx, state->gh);
  }
  return TRUE;
}

/**
 * lstm_model_forward_sequence:
 * @model: a model, bidirectional layers allowed
 * @in: (array): @n_frames x input-size values, one whole sequence
 * @n_frames: how many frames
 * @out: (array) (out caller-allocates): @n_frames x output-size values
 * @error: return location for a #GError
 *
 * Runs the model over one whole sequence from a zero state, as PyTorch does
 * for a module called without `(h_0, c_0)`. This is the offline entry point:
 * it allocates buffers for the whole sequence. For a unidirectional model
 * the result equals lstm_model_forward() on a fresh state.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_model_forward_sequence (LstmModel *model, const float *in,
    gsize n_frames, float *out, GError **error)
{
  const LstmKernels *k;
  float *values, *act0, *act1, *gx, *gh;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (in != NULL && out != NULL), FALSE);
  if (n_frames == 0)
    return TRUE;
  if (n_frames > G_MAXSIZE / sizeof (float) / MAX (model->max_width,
          model->max_gates) / 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: %" G_GSIZE_FORMAT " frames is too long a sequence", model->name,
        n_frames);
    return FALSE;
  }
  k = lstm_kernels_get (NULL);
  if (k == NULL)
    k = lstm_kernels_get ("");
  values = lstm_aligned_try_alloc0 (model->state_size);
  act0 = lstm_aligned_try_alloc0 (n_frames * model->max_width);
  act1 = lstm_aligned_try_alloc0 (n_frames * model->max_width);
  gx = lstm_aligned_try_alloc0 (n_frames * model->max_gates);
  gh = lstm_aligned_try_alloc0 (model->max_gates);
  if (values && act0 && act1 && gx && gh)
    run_stack (model, k, in, n_frames, out, values, act0, act1, gx, gh);
  else
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not enough memory for a sequence of %" G_GSIZE_FORMAT " frames",
        model->name, n_frames);
  lstm_aligned_free (values);
  lstm_aligned_free (act0);
  lstm_aligned_free (act1);
  lstm_aligned_free (gx);
  lstm_aligned_free (gh);
  return values && act0 && act1 && gx && gh;
}
