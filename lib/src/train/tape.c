/* liblstm: the layer stack for training: forward with caches, backward
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A "stage" is one linear layer or one stacked sub-layer of a recurrent
 * layer (both directions). The forward pass computes what
 * lstm_model_forward() computes with the same kernels: recurrent layers run
 * on weights packed at each forward (the optimizer changes them between
 * windows) with the inference's fused LSTM step, its sigmoid and tanh (the
 * "ref" kernels, and LSTM sizes not a multiple of 8, take the plain layer
 * functions, as inference does), so a trained model computes at inference
 * what the trainer saw. It also keeps each stage's outputs, gate caches and
 * initial state for the backward pass. Nothing is allocated per window:
 * the workspaces are sized once in lstm_tape_new().
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layers.h"

typedef struct {
  const LstmLayer *layer;
  guint l;                      /* sub-layer of a recurrent layer */
  guint in, out;                /* values per frame in and out */
  float *y;                     /* (max_T, out) outputs */
  float *z;                     /* last linear stage: (max_T, out) logits */
  float *cat;                   /* skip layer: (max_T, in) its input */
  float *gates[2];              /* per direction (max_T, G*H) */
  float *aux[2];                /* per direction (max_T, H): c(t) or hn */
  float *h0[2];                 /* per direction (2H): h, c before the window */
  gsize state_off[2];           /* per direction: h's offset in the state */
  float *pk_buf[2];             /* per direction: room for w_ih, w_hh packed */
} Stage;

struct _LstmTape {
  LstmModel *model;
  const LstmKernels *k;
  gsize max_T;
  gsize T;
  guint n_stages;
  Stage *stages;
  const float *input;           /* the last forward's stage-0 input */
  const float *raw;             /* the last forward's frames as given */
  float *x0;                    /* (max_T, I) normalised input, or NULL */
  float *gh;                    /* (max_gates) */
  float *dbuf[2];               /* (max_T, max_width) output gradients */
  float *dz;                    /* (max_T, max_width) */
  float *dg;                    /* (max_T, 6 max_H) */
  float *dh, *dc, *tmp;         /* (max_H) each */
  float *tcs;                   /* (max_T, max_H): tanh(c(t)) */
  GPtrArray *allocs;
};

static float *
tape_alloc (LstmTape *tape, gsize n)
{
  float *p = lstm_aligned_alloc (n);
  g_ptr_array_add (tape->allocs, p);
  return p;
}

LstmTape *
lstm_tape_new (LstmModel *m, const LstmKernels *k, gsize max_frames)
{
  LstmTape *tape = g_new0 (LstmTape, 1);
  guint i, l, d, s = 0, max_h = 1;
  gsize T = MAX (max_frames, 1);

  tape->model = lstm_model_ref (m);
  tape->k = k;
  tape->max_T = T;
  tape->allocs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      lstm_aligned_free);
  for (i = 0; i < m->n_layers; i++)
    tape->n_stages += m->layers[i].type == LSTM_LAYER_LINEAR ||
        m->layers[i].type == LSTM_LAYER_LAG ? 1 : m->layers[i].num_layers;
  tape->stages = g_new0 (Stage, tape->n_stages);
  for (i = 0; i < m->n_layers; i++) {
    const LstmLayer *L = &m->layers[i];
    guint n_sub = L->type == LSTM_LAYER_LINEAR ||
        L->type == LSTM_LAYER_LAG ? 1 : L->num_layers;

    for (l = 0; l < n_sub; l++, s++) {
      Stage *st = &tape->stages[s];
      st->layer = L;
      st->l = l;
      st->in = l == 0 ? L->input_size : L->output_size;
      st->out = L->output_size;
      st->y = tape_alloc (tape, T * st->out);
      if (L->type == LSTM_LAYER_LAG)
        continue;
      if (L->type == LSTM_LAYER_LINEAR) {
        if (s == tape->n_stages - 1)
          st->z = tape_alloc (tape, T * st->out);
        if (L->skip >= 0)
          st->cat = tape_alloc (tape, T * st->in);
        continue;
      }
      max_h = MAX (max_h, L->hidden_size);
      for (d = 0; d < L->num_dirs; d++) {
        guint H = L->hidden_size;
        guint G = L->type == LSTM_LAYER_LSTM ? 4 : 3;
        gsize per = L->type == LSTM_LAYER_LSTM ? 2 * H : H;
        st->gates[d] = tape_alloc (tape, T * G * H);
        st->aux[d] = tape_alloc (tape, T * H);
        st->h0[d] = tape_alloc (tape, 2 * (gsize) H);
        st->state_off[d] = L->state_offset + (l * L->num_dirs + d) * per;
        if (k->matmul_packed != NULL)
          st->pk_buf[d] = tape_alloc (tape, lstm_packed_size (G * H,
                  st->in) + lstm_packed_size (G * H, H));
      }
    }
  }
  if (m->input_mean || m->input_std)
    tape->x0 = tape_alloc (tape, T * m->input_size);
  tape->gh = tape_alloc (tape, MAX (m->max_gates, 1));
  tape->dbuf[0] = tape_alloc (tape, T * m->max_width);
  tape->dbuf[1] = tape_alloc (tape, T * m->max_width);
  tape->dz = tape_alloc (tape, T * m->max_width);
  tape->dg = tape_alloc (tape, T * 6 * max_h);
  tape->dh = tape_alloc (tape, max_h);
  tape->dc = tape_alloc (tape, max_h);
  tape->tmp = tape_alloc (tape, max_h);
  tape->tcs = tape_alloc (tape, T * max_h);
  return tape;
}

void
lstm_tape_free (LstmTape *tape)
{
  if (tape == NULL)
    return;
  g_ptr_array_unref (tape->allocs);
  g_free (tape->stages);
  lstm_model_unref (tape->model);
  g_free (tape);
}

/* Whether direction @d of recurrent stage @st runs the fused LSTM step. */
static gboolean
uses_fused_step (const LstmKernels *k, const Stage *st, guint d, guint H)
{
  return st->pk_buf[d] != NULL && k->lstm_step != NULL && H % 8 == 0;
}

/* Packs @p's weights into @buf (the current values: the optimizer changes
 * them between windows). */
static void
pack_rnn (const LstmRnnParams *p, guint G, guint H, float *buf,
    LstmPackedMatrix *ih, LstmPackedMatrix *hh)
{
  lstm_pack_matrix (p->w_ih, G, p->in, buf, ih);
  lstm_pack_matrix (p->w_hh, G, H, buf + lstm_packed_size (G, p->in), hh);
}

/* lstm_layer_forward() on packed weights with the fused step the inference
 * runs (lstm_layer_forward_packed(): the same products, this variant's
 * sigmoid and tanh), keeping the activated gates and c(t) per frame. Needs
 * k->lstm_step and H % 8 == 0. */
static void
lstm_forward_fused (const LstmKernels *k, const LstmRnnParams *p, guint H,
    float *pk, const float *x, gsize ldx, gsize T, float *h, float *c,
    float *y, gsize ldy, gboolean reverse, float *gates, float *cs)
{
  LstmPackedMatrix ih, hh;
  gsize s;

  pack_rnn (p, 4 * H, H, pk, &ih, &hh);
  k->matmul_packed (&ih, p->b_ih, x, ldx, gates, 4 * H, T);
  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *yt = y + t * ldy;

    k->lstm_step (&hh, p->b_hh, p->w_ch, h, c, yt, gates + t * 4 * H, H);
    memcpy (h, yt, H * sizeof (float));
    memcpy (cs + t * H, c, H * sizeof (float));
  }
}

/* lstm_gru_layer_forward() on packed weights: bitwise the same results
 * (packed products equal unpacked ones), faster recurrent products. For
 * reset_after layers only. */
static void
gru_forward_packed (const LstmKernels *k, const LstmRnnParams *p, guint H,
    float *pk, const float *x, gsize ldx, gsize T, float *h, float *y,
    gsize ldy, gboolean reverse, float *gates, float *hn, float *gh)
{
  LstmPackedMatrix ih, hh;
  gsize s, j;

  pack_rnn (p, 3 * H, H, pk, &ih, &hh);
  k->matmul_packed (&ih, p->b_ih, x, ldx, gates, 3 * H, T);
  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *gt = gates + t * 3 * H;
    float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
    float *gn = gt + LSTM_GATE_N * H;
    const float *hr = gh + LSTM_GATE_R * H, *hz = gh + LSTM_GATE_Z * H;
    const float *hnn = gh + LSTM_GATE_N * H;

    k->matmul_packed (&hh, p->b_hh, h, H, gh, 3 * H, 1);
    for (j = 0; j < H; j++) {
      float r = lstm_sigmoidf (gr[j] + hr[j]);
      float z = lstm_sigmoidf (gz[j] + hz[j]);
      float n = tanhf (gn[j] + r * hnn[j]);
      h[j] = (1.0f - z) * n + z * h[j];
      gr[j] = r;
      gz[j] = z;
      gn[j] = n;
    }
    memcpy (hn + t * H, hnn, H * sizeof (float));
    memcpy (y + t * ldy, h, H * sizeof (float));
  }
}

const float *
lstm_tape_forward (LstmTape *tape, const float *in, gsize T, float *hc)
{
  LstmModel *m = tape->model;
  const LstmKernels *k = tape->k;
  const float *src = in;
  guint s, d, src_w = m->input_size;

  g_assert (T <= tape->max_T);
  tape->T = T;
  tape->raw = in;
  if (tape->x0 != NULL) {
    /* the inference's own normalisation */
    lstm_model_normalize_input (m, in, T, tape->x0);
    src = tape->x0;
  }
  tape->input = src;

  for (s = 0; s < tape->n_stages; s++) {
    Stage *st = &tape->stages[s];
    const LstmLayer *L = st->layer;

    if (L->type == LSTM_LAYER_LAG) {
      lstm_lag_layer_forward (L, src, T, st->y, hc + L->state_offset);
    } else if (L->type == LSTM_LAYER_LINEAR) {
      if (st->cat != NULL) {
        /* the lag layer is stage 0 */
        lstm_skip_concat (L, src, src_w, tape->stages[0].y, T, st->cat);
        src = st->cat;
      }
      if (st->z != NULL) {
        /* lstm_linear_layer_forward(), keeping the pre-activation */
        LstmKernelAct act = lstm_activation_to_kernel_act (L->activation);
        gsize t;
        k->matmul (L->weight, L->bias_v, src, st->in, st->z, st->out,
            st->out, st->in, T);
        memcpy (st->y, st->z, T * st->out * sizeof (float));
        for (t = 0; t < T; t++)
          lstm_kernel_act_apply (act, st->y + t * st->out, st->out);
      } else {
        lstm_linear_layer_forward (L->weight, L->bias_v, L->activation,
            st->in, st->out, k, src, T, st->y);
      }
    } else {
      guint H = L->hidden_size;
      for (d = 0; d < L->num_dirs; d++) {
        const LstmRnnParams *p = &L->rnn[st->l * L->num_dirs + d];
        float *h = hc + st->state_off[d];

        if (L->type == LSTM_LAYER_LSTM && uses_fused_step (k, st, d, H)) {
          memcpy (st->h0[d], h, 2 * H * sizeof (float));
          lstm_forward_fused (k, p, H, st->pk_buf[d], src, st->in, T, h,
              h + H, st->y + d * H, st->out, d == 1, st->gates[d],
              st->aux[d]);
        } else if (L->type == LSTM_LAYER_LSTM) {
          memcpy (st->h0[d], h, 2 * H * sizeof (float));
          lstm_layer_forward (p, H, L->peephole, k, src, st->in, T, h,
              h + H, st->y + d * H, st->out, d == 1, st->gates[d],
              st->aux[d], tape->gh);
        } else if (st->pk_buf[d] != NULL && L->reset_after) {
          memcpy (st->h0[d], h, H * sizeof (float));
          gru_forward_packed (k, p, H, st->pk_buf[d], src, st->in, T, h,
              st->y + d * H, st->out, d == 1, st->gates[d], st->aux[d],
              tape->gh);
        } else {
          memcpy (st->h0[d], h, H * sizeof (float));
          lstm_gru_layer_forward (p, H, L->reset_after, k, src, st->in, T,
              h, st->y + d * H, st->out, d == 1, st->gates[d], st->aux[d],
              tape->gh);
        }
      }
    }
    src = st->y;
    src_w = st->out;
  }
  return src;
}

const float *
lstm_tape_raw_input (LstmTape *tape)
{
  return tape->raw;
}

const float *
lstm_tape_logits (LstmTape *tape)
{
  Stage *last = &tape->stages[tape->n_stages - 1];
  return last->z != NULL ? last->z : last->y;
}

/* The gradient views of @p in @grads. */
static LstmRnnParams
grad_view (LstmModel *m, const LstmRnnParams *p, float *grads)
{
  LstmRnnParams dp = { 0 };

#define VIEW(f) dp.f = p->f ? grads + (p->f - m->params) : NULL
  VIEW (w_ih);
  VIEW (w_hh);
  VIEW (b_ih);
  VIEW (b_hh);
  VIEW (w_ch);
#undef VIEW
  dp.in = p->in;
  return dp;
}

void
lstm_tape_backward (LstmTape *tape, const float *dout, gboolean wrt_logits,
    float *grads)
{
  LstmModel *m = tape->model;
  gsize T = tape->T;
  const float *dcur = dout;
  guint s, d, next = 0;

  if (T == 0)
    return;
  for (s = tape->n_stages; s-- > 0;) {
    Stage *st = &tape->stages[s];
    const LstmLayer *L = st->layer;
    const float *x = st->cat != NULL ? st->cat :
        s > 0 ? tape->stages[s - 1].y : tape->input;
    float *dx = NULL;

    if (L->type == LSTM_LAYER_LAG)
      break;                    /* no parameters, and the first layer */
    /* a lag layer (stage 0) needs no input gradient */
    if (s > 0 && tape->stages[s - 1].layer->type != LSTM_LAYER_LAG) {
      dx = tape->dbuf[next];
      next ^= 1;
      memset (dx, 0, T * st->in * sizeof (float));
    }
    if (L->type == LSTM_LAYER_LINEAR) {
      LstmActivation act = L->activation;
      if (wrt_logits && s == tape->n_stages - 1)
        act = LSTM_ACTIVATION_NONE;
      lstm_linear_layer_backward (L->weight, act, st->in, st->out, x, st->y,
          dcur, T, grads + (L->weight - m->params),
          L->bias_v ? grads + (L->bias_v - m->params) : NULL, dx, tape->dz);
      if (dx != NULL && st->cat != NULL) {
        /* the previous layer's part of the input gradient; the skip part
         * would flow into the lag layer, which has none to take */
        guint pw = tape->stages[s - 1].out;
        float *dprev = tape->dbuf[next];
        gsize t;
        next ^= 1;
        for (t = 0; t < T; t++)
          memcpy (dprev + t * pw, dx + t * st->in, pw * sizeof (float));
        dx = dprev;
      }
    } else {
      guint H = L->hidden_size;
      for (d = 0; d < L->num_dirs; d++) {
        const LstmRnnParams *p = &L->rnn[st->l * L->num_dirs + d];
        LstmRnnParams dp = grad_view (m, p, grads);

        /* truncated BPTT: nothing flows in from after the window */
        memset (tape->dh, 0, H * sizeof (float));
        memset (tape->dc, 0, H * sizeof (float));
        if (L->type == LSTM_LAYER_LSTM) {
          const float *tcs = NULL;
          if (uses_fused_step (tape->k, st, d, H)) {
            /* tanh(c(t)) of the whole window in one vector pass, with the
             * tanh the fused forward used */
            memcpy (tape->tcs, st->aux[d], T * H * sizeof (float));
            tape->k->tanh (tape->tcs, T * H);
            tcs = tape->tcs;
          }
          lstm_layer_backward (p, &dp, H, L->peephole, x, st->in, T,
              st->h0[d], st->h0[d] + H, st->y + d * H, st->out, d == 1,
              st->gates[d], st->aux[d], dcur + d * H, st->out, tape->dh,
              tape->dc, dx, st->in, tape->dg, tape->tmp, tcs);
        } else {
          lstm_gru_layer_backward (p, &dp, H, L->reset_after, x, st->in, T,
              st->h0[d], st->y + d * H, st->out, d == 1, st->gates[d],
              st->aux[d], dcur + d * H, st->out, tape->dh, dx, st->in,
              tape->dg, tape->tmp);
        }
      }
    }
    dcur = dx;
  }
}
