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
    gboolean packed, const float *x, gsize T, float *y, float *hc, float *gx,
    float *gh)
{
  guint H = L->hidden_size, d;
  gsize per = L->type == LSTM_LAYER_LSTM ? 2 * H : H;

  for (d = 0; d < L->num_dirs; d++) {
    const LstmRnnParams *p = &L->rnn[l * L->num_dirs + d];
    float *h = hc + (l * L->num_dirs + d) * per;
    LstmRnnParams p16;

    if (packed && k->bf16) {
      /* the bf16 tables read the bf16 packing */
      p16 = *p;
      p16.pk_ih = p->pk16_ih;
      p16.pk_hh = p->pk16_hh;
      p = &p16;
    }

    if (packed && L->type == LSTM_LAYER_LSTM)
      lstm_layer_forward_packed (p, H, L->peephole, k, x, p->in, T, h, h + H,
          y + d * H, L->output_size, d == 1, gx, gh);
    else if (packed)
      lstm_gru_layer_forward_packed (p, H, L->reset_after, k, x, p->in, T, h,
          y + d * H, L->output_size, d == 1, gx, gh);
    else if (L->type == LSTM_LAYER_LSTM)
      lstm_layer_forward (p, H, L->peephole, k, x, p->in, T, h, h + H,
          y + d * H, L->output_size, d == 1, gx, NULL, gh);
    else
      lstm_gru_layer_forward (p, H, L->reset_after, k, x, p->in, T, h,
          y + d * H, L->output_size, d == 1, gx, NULL, gh);
  }
}

/* Runs every layer over @T frames (a block in streaming, the whole
 * sequence offline). act0/act1, lag, cat: (T, max_width); gx: (T,
 * max_gates). The lag layer (always the first) writes into @lag, which
 * stays intact for a later skip layer, whose input is built in @cat.
 * The packed kernels run when the variant has them and the model's packed
 * weights exist (the "ref" variant always runs on the plain weights); a
 * bf16 table runs on the bf16 packing, or on the plain fp32 weights with
 * its fp32 matmul when that packing could not be allocated. */
static void
run_stack (LstmModel *m, const LstmKernels *k, const float *in, gsize T,
    float *out, float *values, float *act0, float *act1, float *lag,
    float *cat, float *gx, float *gh)
{
  const float *src = in;
  gboolean packed = k->matmul_packed != NULL && (k->bf16 ?
      lstm_model_ensure_packed_bf16 (m) : lstm_model_ensure_packed (m));
  guint i, l, src_w = m->input_size;

  if (lstm_model_normalize_input (m, in, T, act0))
    src = act0;

  for (i = 0; i < m->n_layers; i++) {
    const LstmLayer *L = &m->layers[i];
    guint n_stages = L->type == LSTM_LAYER_LINEAR ? 1 : L->num_layers;

    if (L->type == LSTM_LAYER_LAG)
      n_stages = 1;
    for (l = 0; l < n_stages; l++) {
      gboolean last = i == m->n_layers - 1 && l == n_stages - 1;
      float *dst = last ? out : (src == act0 ? act1 : act0);

      if (L->type == LSTM_LAYER_LAG) {
        dst = last ? out : lag;
        lstm_lag_layer_forward (L, src, T, dst, values + L->state_offset);
      } else if (L->type == LSTM_LAYER_LINEAR) {
        if (L->skip >= 0) {
          lstm_skip_concat (L, src, src_w, lag, T, cat);
          src = cat;
        }
        if (packed)
          lstm_linear_layer_forward_packed (k->bf16 ? &L->pk16_weight :
              &L->pk_weight, L->bias_v,
              L->activation, k, src, T, dst);
        else
          lstm_linear_layer_forward (L->weight, L->bias_v, L->activation,
              L->input_size, L->output_size, k, src, T, dst);
      } else {
        run_rnn_sublayer (L, l, k, packed, src, T, dst,
            values + L->state_offset, gx, gh);
      }
      src = dst;
      src_w = L->output_size;
    }
  }

  if (m->residual) {
    /* residual output: the head predicts the change from the frame's own
     * (raw, un-normalised) input value */
    gsize t;
    guint j, I = m->input_size, O = m->output_size;
    for (t = 0; t < T; t++)
      for (j = 0; j < O; j++)
        out[t * O + j] += in[t * I + m->residual[j]];
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
 * model is applied here, once, and so is a residual output
 * (`lstm.residual`: output j is the head's plus the frame's raw input
 * value at index residual[j]).
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
        state->act[1], state->lag, state->cat, state->gx, state->gh);
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
  float *values, *act0, *act1, *lag, *cat, *gx, *gh;

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
  lag = lstm_aligned_try_alloc0 (n_frames * model->max_width);
  cat = lstm_aligned_try_alloc0 (n_frames * model->max_width);
  gx = lstm_aligned_try_alloc0 (n_frames * model->max_gates);
  gh = lstm_aligned_try_alloc0 (model->max_gates);
  if (values && act0 && act1 && lag && cat && gx && gh)
    run_stack (model, k, in, n_frames, out, values, act0, act1, lag, cat, gx,
        gh);
  else
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not enough memory for a sequence of %" G_GSIZE_FORMAT " frames",
        model->name, n_frames);
  lstm_aligned_free (values);
  lstm_aligned_free (act0);
  lstm_aligned_free (act1);
  lstm_aligned_free (lag);
  lstm_aligned_free (cat);
  lstm_aligned_free (gx);
  lstm_aligned_free (gh);
  return values && act0 && act1 && lag && cat && gx && gh;
}

/**
 * lstm_model_forecast:
 * @model: a streamable model whose outputs are its next input frame:
 *   as many outputs as inputs, not a classifier, and predicting one row
 *   ahead (`lstm.horizon` absent or 1)
 * @state: the stream's state, created for @model; updated
 * @history: (array): @n_history x input-size values, the frames observed
 *   so far (after whatever @state has already seen)
 * @n_history: how many frames of history; at least 1
 * @steps: how many frames to forecast; at least 1
 * @out: (array) (out caller-allocates): @steps x output-size values; must
 *   not overlap @history
 * @error: return location for a #GError
 *
 * Closed-loop forecasting: runs @history through @state, takes the
 * prediction made at its last frame as the first forecast frame, then feeds
 * each forecast frame back as the next input for the remaining @steps - 1
 * frames. Output j is fed back as input j, so the model must have been
 * trained to predict its own input columns one row ahead (`lstm train
 * --series` with its default --horizon 1 and no --columns/--targets
 * splitting the two): the horizon cannot be checked from the weights, so
 * models that store `lstm.horizon` must store 1, and models without it are
 * assumed to predict one row ahead.
 *
 * Afterwards @state has seen the history and the first @steps - 1 forecast
 * frames. The results equal those of lstm_model_forward() called frame by
 * frame with the same feedback (chunking invariance). No memory is
 * allocated: @out serves as the scratch buffer of the history pass.
 *
 * Returns: %TRUE on success; %FALSE with @error set if the model's outputs
 * do not map onto its inputs, its horizon is not 1, the state belongs to
 * another model or an argument is out of range.
 */
gboolean
lstm_model_forecast (LstmModel *model, LstmState *state,
    const float *history, gsize n_history, guint steps, float *out,
    GError **error)
{
  const gchar *horizon;
  guint I, s;
  gsize off, len = 0;

  g_return_val_if_fail (model != NULL && state != NULL, FALSE);
  g_return_val_if_fail (n_history == 0 || history != NULL, FALSE);
  g_return_val_if_fail (steps == 0 || out != NULL, FALSE);
  I = model->input_size;
  if (model->task == LSTM_TASK_CLASSIFICATION) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: a classifier's outputs are class scores, not the next input "
        "frame: it cannot forecast", model->name);
    return FALSE;
  }
  if (model->output_size != I) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: %u outputs cannot be fed back as %u inputs: closed-loop "
        "forecasting needs a model predicting every input column",
        model->name, model->output_size, I);
    return FALSE;
  }
  horizon = g_hash_table_lookup (model->metadata, "lstm.horizon");
  if (horizon != NULL && strcmp (horizon, "1") != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: the model predicts %s rows ahead; closed-loop forecasting "
        "feeds each prediction back as the next row, so it needs a "
        "horizon of 1", model->name, horizon);
    return FALSE;
  }
  if (n_history == 0 || steps == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: forecasting needs at least one frame of history and one step "
        "(%" G_GSIZE_FORMAT " frames, %u steps)", model->name, n_history,
        steps);
    return FALSE;
  }

  /* the history, in calls of at most @steps frames through @out: only
   * the last frame's prediction is kept */
  for (off = 0; off < n_history; off += len) {
    len = MIN ((gsize) steps, n_history - off);
    if (!lstm_model_forward (model, state, history + off * I, len, out,
            error))
      return FALSE;
  }
  if (len > 1)
    memmove (out, out + (len - 1) * I, I * sizeof (float));
  /* then each forecast frame is the next input */
  for (s = 1; s < steps; s++)
    if (!lstm_model_forward (model, state, out + (gsize) (s - 1) * I, 1,
            out + (gsize) s * I, error))
      return FALSE;
  return TRUE;
}
