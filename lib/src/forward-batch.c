/* liblstm: one step of many streams, and many sequences, through one model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lstm_model_forward_batch() runs the next frame of N independent streams,
 * each with its own LstmState, through one model. Its contract is the
 * per-stream one: stream i's output equals, bit for bit, what
 * lstm_model_forward_checked() gives for that frame on states[i] alone, so a
 * stream's outputs never depend on which other streams share its batches.
 *
 * How: the N current frames are the rows of one matrix, and every product
 * of the stack is one multi-row product on the packed weights
 * (k->matmul_packed with N rows: the weights are read once per tile of
 * streams instead of once per stream). Each output row of matmul_packed is
 * summed in the canonical order whatever the number of rows, so it holds
 * the bits of the one-stream product; the gate arithmetic after it is the
 * per-element arithmetic of the one-stream kernels (when H % 8 == 0,
 * LstmBatchKernels.lstm_gates: the code of k->lstm_step after its product,
 * with the variant's own sigmoid and tanh; libm's otherwise, as
 * lstm_layer_forward_packed does). The recurrent
 * state is gathered from each LstmState into a (N, H) matrix and scattered
 * back after the step.
 *
 * lstm_model_forward_sequences() runs B whole sequences of a streamable
 * model the same way: at time step t, the sequences still running are the
 * rows of the batch.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* Streams per tile: the activations of a tile stay in L2 while the
 * weights are read once per tile. */
#define BATCH_TILE 64u

typedef struct {
  gsize cap;            /* floats in buf */
  float *buf;
} BatchScratch;

typedef struct {
  float *x, *y;         /* (TILE, max(I, O)) gathered input / output rows */
  float *act[2], *lag, *cat;    /* (TILE, max_width) */
  float *gx, *gh;       /* (TILE, max_gates) */
  float *h, *c;         /* (TILE, max_width) gathered recurrent state */
} BatchBuffers;

static gsize
round_up (gsize n)
{
  return (n + LSTM_ALIGN_FLOATS - 1) / LSTM_ALIGN_FLOATS * LSTM_ALIGN_FLOATS;
}

static void
scratch_free (gpointer p)
{
  BatchScratch *s = p;

  lstm_aligned_free (s->buf);
  g_free (s);
}

/* The calling thread's buffers for tiles of @m (grown when a model needs
 * more; so steady-state calls do not allocate). NULL when out of memory. */
static gboolean
buffers_get (const LstmModel *m, BatchScratch *own, BatchBuffers *b)
{
  static GPrivate key = G_PRIVATE_INIT (scratch_free);
  BatchScratch *s = own;
  gsize io = round_up ((gsize) BATCH_TILE * MAX (m->input_size,
          m->output_size));
  gsize act = round_up ((gsize) BATCH_TILE * m->max_width);
  gsize gates = round_up ((gsize) BATCH_TILE * m->max_gates);
  gsize need = 2 * io + 6 * act + 2 * gates;
  float *p;

  if (s == NULL) {
    s = g_private_get (&key);
    if (s == NULL) {
      s = g_new0 (BatchScratch, 1);
      g_private_set (&key, s);
    }
  }
  if (s->cap < need) {
    float *buf = lstm_aligned_try_alloc0 (need);
    if (buf == NULL)
      return FALSE;
    lstm_aligned_free (s->buf);
    s->buf = buf;
    s->cap = need;
  }
  p = s->buf;
  b->x = p;
  b->y = p += io;
  b->act[0] = p += io;
  b->act[1] = p += act;
  b->lag = p += act;
  b->cat = p += act;
  b->h = p += act;
  b->c = p += act;
  b->gx = p += act;
  b->gh = p + gates;
  return TRUE;
}

/* The gate arithmetic of k->lstm_step (H % 8 == 0) or of
 * lstm_layer_forward_packed (otherwise) for one stream: gx: W_ih x + b_ih,
 * gh: W_hh h + b_hh (4H each); c: (H) in/out; y: h(t). */
static void
lstm_gates_one (const LstmBatchKernels *bk, guint H, const float *peep,
    const float *gx, const float *gh, float *c, float *y)
{
  const float *gi = gx + LSTM_GATE_I * H, *gf = gx + LSTM_GATE_F * H;
  const float *gg = gx + LSTM_GATE_G * H, *go = gx + LSTM_GATE_O * H;
  const float *pi = peep ? peep + LSTM_PEEP_I * H : NULL;
  const float *pf = peep ? peep + LSTM_PEEP_F * H : NULL;
  const float *po = peep ? peep + LSTM_PEEP_O * H : NULL;
  guint j;

  if (H % 8 != 0) {
    for (j = 0; j < H; j++) {
      float ai = gi[j] + gh[LSTM_GATE_I * H + j];
      float af = gf[j] + gh[LSTM_GATE_F * H + j];
      float ag = gg[j] + gh[LSTM_GATE_G * H + j];
      float ao = go[j] + gh[LSTM_GATE_O * H + j];
      float i_, f_, g_, o_, c_;

      if (peep) {
        ai = ai + pi[j] * c[j];
        af = af + pf[j] * c[j];
      }
      i_ = lstm_sigmoidf (ai);
      f_ = lstm_sigmoidf (af);
      g_ = tanhf (ag);
      c_ = f_ * c[j] + i_ * g_;
      if (peep)
        ao = ao + po[j] * c_;
      o_ = lstm_sigmoidf (ao);
      c[j] = c_;
      y[j] = o_ * tanhf (c_);
    }
    return;
  }
  /* k->lstm_step's arithmetic after its product, vectorised alike */
  bk->lstm_gates (gx, gh, peep, c, y, H);
}

/* The reset-before GRU (reset_after FALSE) for the n streams, as
 * lstm_gru_layer_forward_packed() computes it for one: b->gx holds W_ih x +
 * b_ih and b->h the streams' h(t-1), both n rows; y (n, output_size) gets
 * h(t). The two recurrent products are multi-row products on the views of
 * lstm_gru_packed_split(), or k->matmul per stream where there are none. */
static void
batch_gru_reset_before (const LstmRnnParams *p, guint H, const LstmKernels *k,
    const LstmBatchKernels *bk, guint n, float *y, gsize ldy,
    const BatchBuffers *b)
{
  gsize G = 3 * (gsize) H;
  const float *b_hn = p->b_hh ? p->b_hh + 2 * H : NULL;
  LstmPackedMatrix rz, pn;
  gboolean split = lstm_gru_packed_split (&p->pk_hh, H, &rz, &pn);
  guint i, j;

  /* gh[i][0, 2H) = W_h{r,z} h_i + b_h{r,z} */
  if (split)
    bk->matmul_packed_multi (&rz, p->b_hh, b->h, H, b->gh, G, n);
  else
    for (i = 0; i < n; i++)
      k->matmul (p->w_hh, p->b_hh, b->h + (gsize) i * H, H, b->gh + i * G,
          G, 2 * H, H, 1);
  /* r, z into gx; r * h into gh[i][2H, 3H) */
  for (i = 0; i < n; i++) {
    float *gx = b->gx + i * G, *gh = b->gh + i * G;
    const float *h = b->h + (gsize) i * H;
    for (j = 0; j < H; j++) {
      gx[LSTM_GATE_R * H + j] = lstm_sigmoidf (gx[LSTM_GATE_R * H + j] +
          gh[LSTM_GATE_R * H + j]);
      gx[LSTM_GATE_Z * H + j] = lstm_sigmoidf (gx[LSTM_GATE_Z * H + j] +
          gh[LSTM_GATE_Z * H + j]);
      gh[2 * H + j] = gx[LSTM_GATE_R * H + j] * h[j];
    }
  }
  /* gh[i][0, H) = W_hn (r * h_i) + b_hn */
  if (split)
    bk->matmul_packed_multi (&pn, b_hn, b->gh + 2 * H, G, b->gh, G, n);
  else
    for (i = 0; i < n; i++)
      k->matmul (p->w_hh + 2 * (gsize) H * H, b_hn, b->gh + i * G + 2 * H, H,
          b->gh + i * G, H, H, H, 1);
  for (i = 0; i < n; i++) {
    const float *gx = b->gx + i * G, *gh = b->gh + i * G;
    const float *h = b->h + (gsize) i * H;
    float *yi = y + (gsize) i * ldy;
    for (j = 0; j < H; j++) {
      float z = gx[LSTM_GATE_Z * H + j];
      float nn = tanhf (gx[LSTM_GATE_N * H + j] + gh[j]);
      yi[j] = (1.0f - z) * nn + z * h[j];
    }
  }
}

/* One recurrent sub-layer @l (unidirectional) for the n streams' current
 * frames: x (n, p->in) -> y (n, H); the streams' h and c live in
 * values[i] + L->state_offset. */
static void
batch_rnn_sublayer (const LstmLayer *L, guint l, const LstmKernels *k,
    float *const *values, guint n, const float *x, float *y,
    const BatchBuffers *b)
{
  const LstmRnnParams *p = &L->rnn[l];
  const LstmBatchKernels *bk = lstm_batch_kernels_get (k);
  guint H = L->hidden_size, i, j;
  gboolean lstm = L->type == LSTM_LAYER_LSTM;
  gsize per = lstm ? 2 * (gsize) H : H, G = (lstm ? 4 : 3) * (gsize) H;
  gsize off = L->state_offset + l * per;

  for (i = 0; i < n; i++)
    memcpy (b->h + (gsize) i * H, values[i] + off, H * sizeof (float));
  bk->matmul_packed_multi (&p->pk_ih, p->b_ih, x, p->in, b->gx, G, n);
  if (!lstm && !L->reset_after) {
    batch_gru_reset_before (p, H, k, bk, n, y, L->output_size, b);
    for (i = 0; i < n; i++)
      memcpy (values[i] + off, y + (gsize) i * L->output_size,
          H * sizeof (float));
    return;
  }
  bk->matmul_packed_multi (&p->pk_hh, p->b_hh, b->h, H, b->gh, G, n);
  for (i = 0; i < n; i++) {
    float *gx = b->gx + i * G, *yi = y + (gsize) i * L->output_size;
    const float *gh = b->gh + i * G;
    float *h = values[i] + off;

    if (lstm) {
      lstm_gates_one (bk, H, L->peephole ? p->w_ch : NULL, gx, gh, h + H,
          yi);
    } else {
      for (j = 0; j < H; j++) {
        float r = lstm_sigmoidf (gx[LSTM_GATE_R * H + j] +
            gh[LSTM_GATE_R * H + j]);
        float z = lstm_sigmoidf (gx[LSTM_GATE_Z * H + j] +
            gh[LSTM_GATE_Z * H + j]);
        float nn = tanhf (gx[LSTM_GATE_N * H + j] + r *
            gh[LSTM_GATE_N * H + j]);
        yi[j] = (1.0f - z) * nn + z * h[j];
      }
    }
    memcpy (h, yi, H * sizeof (float));
  }
}

/* The layer stack for one frame of each of n <= BATCH_TILE streams, as
 * forward.c's run_stack does for one stream: in (n, I) -> out (n, O). */
static void
batch_stack (LstmModel *m, const LstmKernels *k, float *const *values,
    guint n, const float *in, float *out, const BatchBuffers *b)
{
  const float *src = in;
  float *act0 = b->act[0], *act1 = b->act[1];
  guint i, l, s, src_w = m->input_size;

  if (lstm_model_normalize_input (m, in, n, act0))
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
        dst = last ? out : b->lag;
        for (s = 0; s < n; s++)
          lstm_lag_layer_forward (L, src + (gsize) s * src_w, 1,
              dst + (gsize) s * L->output_size, values[s] + L->state_offset);
      } else if (L->type == LSTM_LAYER_LINEAR) {
        if (L->skip >= 0) {
          lstm_skip_concat (L, src, src_w, b->lag, n, b->cat);
          src = b->cat;
        }
        lstm_linear_layer_forward_packed (&L->pk_weight, L->bias_v,
            L->activation, k, src, n, dst);
      } else {
        batch_rnn_sublayer (L, l, k, values, n, src, dst, b);
      }
      src = dst;
      src_w = L->output_size;
    }
  }

  if (m->residual) {
    guint j, I = m->input_size, O = m->output_size;
    for (s = 0; s < n; s++)
      for (j = 0; j < O; j++)
        out[(gsize) s * O + j] += in[(gsize) s * I + m->residual[j]];
  }
}

/* Whether the batched kernels can run @m with @k (else each stream runs
 * alone, which gives the same bits more slowly). */
static gboolean
batch_supported (LstmModel *m, const LstmKernels *k)
{
  return m->streamable && k->matmul_packed != NULL &&
      lstm_batch_kernels_get (k) != NULL && lstm_model_ensure_packed (m);
}

/**
 * lstm_model_forward_batch:
 * @model: a streamable model
 * @states: (array length=n_states): one state per stream, each created for
 *   @model and each a different state
 * @n_states: streams in the batch; 0 is allowed
 * @policy: what a frame holding a NaN or an infinity does, per stream, as in
 *   lstm_model_forward_checked()
 * @in: (array): @n_states frames of input-size values, stream after stream
 * @out: (array) (out caller-allocates): @n_states frames of output-size
 *   values, stream after stream; must not overlap @in
 * @flags: (nullable) (array) (out caller-allocates): @n_states
 *   #LstmFrameFlags, one per stream
 * @error: return location for a #GError
 *
 * Runs one frame of each of @n_states streams: frame i of @in goes through
 * `states[i]` into frame i of @out. Each stream's output equals, bit for
 * bit, that of lstm_model_forward_checked() on its state alone with the same
 * @policy (a non-finite frame gives zeros and resets that stream only under
 * %LSTM_NAN_POLICY_RESET). With %LSTM_NAN_POLICY_ERROR, a non-finite value
 * in any frame fails the call before any state changes. Streams of one
 * model may be batched from any threads as long as no two calls share a
 * state.
 *
 * With the packed kernels (all variants but "ref") the frames of up to 64
 * streams at a time run as one batch: each product of the stack is one
 * multi-row product, the recurrent state gathered from the states. The
 * first call on a thread allocates that thread's buffers (grown once when
 * a larger model comes), later calls allocate nothing.
 *
 * Returns: %TRUE on success; %FALSE with @error set when a state is not
 * @model's, the model is not streamable, or under %LSTM_NAN_POLICY_ERROR.
 */
gboolean
lstm_model_forward_batch (LstmModel *model, LstmState *const *states,
    guint n_states, LstmNanPolicy policy, const float *in, float *out,
    guint8 *flags, GError **error)
{
  const LstmKernels *k;
  BatchBuffers b;
  gboolean batched = TRUE;
  gsize I, O;
  guint i;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_states == 0 || (states != NULL && in != NULL &&
          out != NULL), FALSE);
  g_return_val_if_fail ((guint) policy <= LSTM_NAN_POLICY_PASS, FALSE);

  I = model->input_size;
  O = model->output_size;
  for (i = 0; i < n_states; i++) {
    if (states[i] == NULL || states[i]->model != model) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: stream %u of the batch has a state of another model",
          model->name ? model->name : "model", i);
      return FALSE;
    }
  }
  if (policy == LSTM_NAN_POLICY_ERROR) {
    /* nothing runs unless every frame is finite */
    for (i = 0; i < n_states; i++)
      if (!lstm_values_are_finite (in + i * I, I)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: the frame of stream %u of the batch holds NaN or Inf "
            "(policy error)", model->name ? model->name : "model", i);
        return FALSE;
      }
  }
  if (n_states == 0)
    return TRUE;
  k = states[0]->kernels;
  for (i = 1; i < n_states && batched; i++)
    batched = states[i]->kernels == k;
  batched = batched && batch_supported (model, k) &&
      buffers_get (model, NULL, &b);
  if (!batched) {
    /* each stream alone: the same bits */
    for (i = 0; i < n_states; i++)
      if (!lstm_model_forward_checked (model, states[i], policy, in + i * I,
              1, out + i * O, flags ? flags + i : NULL, NULL, error))
        return FALSE;
    return TRUE;
  }
  for (i = 0; i < n_states; i += BATCH_TILE) {
    guint n = MIN (BATCH_TILE, n_states - i), m = 0, q;
    float *values[BATCH_TILE];
    guint idx[BATCH_TILE];

    /* the tile's finite frames (all of them unless under the reset
     * policy) run together; a non-finite one gives zeros and resets its
     * stream, exactly as lstm_model_forward_checked() does */
    for (q = 0; q < n; q++) {
      guint s = i + q;
      if (policy == LSTM_NAN_POLICY_RESET &&
          !lstm_values_are_finite (in + s * I, I)) {
        if (!lstm_model_forward_checked (model, states[s], policy,
                in + s * I, 1, out + s * O, flags ? flags + s : NULL, NULL,
                error))
          return FALSE;
        continue;
      }
      if (policy == LSTM_NAN_POLICY_RESET)
        states[s]->nonfinite_tail = FALSE;
      if (flags)
        flags[s] = LSTM_FRAME_FINITE;
      values[m] = states[s]->values;
      idx[m++] = s;
    }
    if (m == n) {
      batch_stack (model, k, values, m, in + i * I, out + i * O, &b);
    } else if (m > 0) {
      for (q = 0; q < m; q++)
        memcpy (b.x + (gsize) q * I, in + idx[q] * I, I * sizeof (float));
      batch_stack (model, k, values, m, b.x, b.y, &b);
      for (q = 0; q < m; q++)
        memcpy (out + idx[q] * O, b.y + (gsize) q * O, O * sizeof (float));
    }
  }
  return TRUE;
}

static gint
cmp_longer_first (gconstpointer a, gconstpointer b, gpointer data)
{
  const gsize *len = data;
  gsize la = len[*(const guint *) a], lb = len[*(const guint *) b];

  if (la != lb)
    return la > lb ? -1 : 1;
  return *(const guint *) a < *(const guint *) b ? -1 : 1;
}

/**
 * lstm_model_forward_sequences:
 * @model: a model, bidirectional layers allowed
 * @n_seqs: how many sequences; 0 is allowed
 * @in: (array length=n_seqs): per sequence, its @n_frames[i] x input-size
 *   values
 * @n_frames: (array length=n_seqs): per sequence, its number of frames (0
 *   allowed; the lengths may differ)
 * @out: (array length=n_seqs): per sequence, @n_frames[i] x output-size
 *   values (out caller-allocates); must not overlap any input
 * @error: return location for a #GError
 *
 * Runs @n_seqs independent sequences through @model, each from a zero
 * state, as lstm_model_forward_sequence() runs one; sequence i's outputs
 * equal, bit for bit, those of lstm_model_forward_sequence() on it alone.
 * For a streamable model the sequences run together: at each time step
 * the frames of the sequences still running are the rows of one batch,
 * and every product of the stack is one multi-row product (a GEMM) on the
 * packed weights. Bidirectional models, and the "ref" kernels, run the
 * sequences one after the other. Allocates the sequences' states and
 * buffers for the call.
 *
 * Returns: %TRUE on success; %FALSE with @error set when out of memory
 * or a sequence is too long.
 */
gboolean
lstm_model_forward_sequences (LstmModel *model, guint n_seqs,
    const float *const *in, const gsize *n_frames, float *const *out,
    GError **error)
{
  const LstmKernels *k;
  BatchScratch own = { 0 };
  BatchBuffers b;
  gsize I, O, S, max_len = 0, t;
  float *values = NULL;
  guint *order, i;
  gboolean ok = TRUE;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_seqs == 0 || (in != NULL && n_frames != NULL &&
          out != NULL), FALSE);

  for (i = 0; i < n_seqs; i++) {
    g_return_val_if_fail (n_frames[i] == 0 || (in[i] != NULL &&
            out[i] != NULL), FALSE);
    max_len = MAX (max_len, n_frames[i]);
  }
  if (max_len == 0)
    return TRUE;
  k = lstm_kernels_get (NULL);
  if (k == NULL)
    k = lstm_kernels_get ("");
  if (n_seqs == 1 || !batch_supported (model, k)) {
    for (i = 0; i < n_seqs; i++)
      if (!lstm_model_forward_sequence (model, in[i], n_frames[i], out[i],
              error))
        return FALSE;
    return TRUE;
  }

  I = model->input_size;
  O = model->output_size;
  S = round_up (model->state_size);
  order = g_new (guint, n_seqs);
  for (i = 0; i < n_seqs; i++)
    order[i] = i;
  /* longest first: the sequences running at step t are a prefix */
  g_qsort_with_data (order, n_seqs, sizeof (guint), cmp_longer_first,
      (gpointer) n_frames);
  values = lstm_aligned_try_alloc0 (S * n_seqs);
  if (values == NULL || !buffers_get (model, &own, &b)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
        "%s: not enough memory for a batch of %u sequences",
        model->name ? model->name : "model", n_seqs);
    ok = FALSE;
  }

  for (t = 0; ok && t < max_len; t++) {
    guint active = 0, i0;

    while (active < n_seqs && n_frames[order[active]] > t)
      active++;
    for (i0 = 0; i0 < active; i0 += BATCH_TILE) {
      guint n = MIN (BATCH_TILE, active - i0), q;
      float *v[BATCH_TILE];

      for (q = 0; q < n; q++) {
        guint s = order[i0 + q];
        v[q] = values + (gsize) s * S;
        memcpy (b.x + (gsize) q * I, in[s] + t * I, I * sizeof (float));
      }
      batch_stack (model, k, v, n, b.x, b.y, &b);
      for (q = 0; q < n; q++)
        memcpy (out[order[i0 + q]] + t * O, b.y + (gsize) q * O,
            O * sizeof (float));
    }
  }
  lstm_aligned_free (values);
  lstm_aligned_free (own.buf);
  g_free (order);
  return ok;
}
