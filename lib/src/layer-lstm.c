/* liblstm: the LSTM layer, forward (and backward)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PyTorch's equations, gate rows ordered i, f, g, o:
 *   i = s(W_ii x + b_ii + W_hi h + b_hi (+ p_i * c))
 *   f = s(W_if x + b_if + W_hf h + b_hf (+ p_f * c))
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)
 *   c' = f * c + i * g
 *   o = s(W_io x + b_io + W_ho h + b_ho (+ p_o * c'))
 *   h' = o * tanh(c')
 * The bracketed peephole terms (Gers) exist only with weight_ch (i, f, o).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layers.h"
#include "kernels/train-kernels.h"

void
lstm_layer_forward (const LstmRnnParams *p, guint H, gboolean peephole,
    const LstmKernels *k, const float *x, gsize ldx, gsize T, float *h,
    float *c, float *y, gsize ldy, gboolean reverse, float *gates, float *cs,
    float *gh)
{
  /* p->w_ih: (4H, in), p->w_hh: (4H, H), p->b_*: (4H), p->w_ch: (3H) */
  const float *pi = peephole ? p->w_ch + LSTM_PEEP_I * H : NULL;
  const float *pf = peephole ? p->w_ch + LSTM_PEEP_F * H : NULL;
  const float *po = peephole ? p->w_ch + LSTM_PEEP_O * H : NULL;
  gsize s, j;

  /* input projections of every frame at once: gates[t] = W_ih x(t) + b_ih */
  k->matmul (p->w_ih, p->b_ih, x, ldx, gates, 4 * H, 4 * H, p->in, T);

  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *gt = gates + t * 4 * H;
    float *gi = gt + LSTM_GATE_I * H, *gf = gt + LSTM_GATE_F * H;
    float *gg = gt + LSTM_GATE_G * H, *go = gt + LSTM_GATE_O * H;
    const float *hi = gh + LSTM_GATE_I * H, *hf = gh + LSTM_GATE_F * H;
    const float *hg = gh + LSTM_GATE_G * H, *ho = gh + LSTM_GATE_O * H;

    /* gh = W_hh h(t-1) + b_hh */
    k->matmul (p->w_hh, p->b_hh, h, H, gh, 4 * H, 4 * H, H, 1);
    for (j = 0; j < H; j++) {
      float ai = gi[j] + hi[j], af = gf[j] + hf[j];
      float ag = gg[j] + hg[j], ao = go[j] + ho[j];
      float i_, f_, g_, o_, c_;

      if (peephole) {
        ai = ai + pi[j] * c[j];
        af = af + pf[j] * c[j];
      }
      i_ = lstm_sigmoidf (ai);  /* input gate */
      f_ = lstm_sigmoidf (af);  /* forget gate */
      g_ = tanhf (ag);          /* cell candidate */
      c_ = f_ * c[j] + i_ * g_; /* c' = f*c + i*g */
      if (peephole)
        ao = ao + po[j] * c_;
      o_ = lstm_sigmoidf (ao);  /* output gate (peephole sees c') */
      c[j] = c_;
      h[j] = o_ * tanhf (c_);   /* h' = o * tanh(c') */
      gi[j] = i_;
      gf[j] = f_;
      gg[j] = g_;
      go[j] = o_;
    }
    memcpy (y + t * ldy, h, H * sizeof (float));
    if (cs != NULL)
      memcpy (cs + t * H, c, H * sizeof (float));
  }
}

void
lstm_layer_forward_packed (const LstmRnnParams *p, guint H,
    gboolean peephole, const LstmKernels *k, const float *x, gsize ldx,
    gsize T, float *h, float *c, float *y, gsize ldy, gboolean reverse,
    float *gates, float *gh)
{
  const float *pi = peephole ? p->w_ch + LSTM_PEEP_I * H : NULL;
  const float *pf = peephole ? p->w_ch + LSTM_PEEP_F * H : NULL;
  const float *po = peephole ? p->w_ch + LSTM_PEEP_O * H : NULL;
  gsize s, j;

  /* the input projections of the T frames: one product (a frame's bits do
   * not depend on T) */
  k->matmul_packed (&p->pk_ih, p->b_ih, x, ldx, gates, 4 * H, T);

  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *gt = gates + t * 4 * H, *yt = y + t * ldy;

    if (H % 8 == 0) {
      /* fused: recurrent product, gates, c and h(t) straight into y */
      k->lstm_step (&p->pk_hh, p->b_hh, p->w_ch, h, c, yt, gt, H);
      memcpy (h, yt, H * sizeof (float));
      continue;
    }
    k->matmul_packed (&p->pk_hh, p->b_hh, h, H, gh, 4 * H, 1);
    for (j = 0; j < H; j++) {
      float ai = gt[LSTM_GATE_I * H + j] + gh[LSTM_GATE_I * H + j];
      float af = gt[LSTM_GATE_F * H + j] + gh[LSTM_GATE_F * H + j];
      float ag = gt[LSTM_GATE_G * H + j] + gh[LSTM_GATE_G * H + j];
      float ao = gt[LSTM_GATE_O * H + j] + gh[LSTM_GATE_O * H + j];
      float i_, f_, g_, o_, c_;

      if (peephole) {
        ai = ai + pi[j] * c[j];
        af = af + pf[j] * c[j];
      }
      i_ = lstm_sigmoidf (ai);
      f_ = lstm_sigmoidf (af);
      g_ = tanhf (ag);
      c_ = f_ * c[j] + i_ * g_;
      if (peephole)
        ao = ao + po[j] * c_;
      o_ = lstm_sigmoidf (ao);
      c[j] = c_;
      h[j] = o_ * tanhf (c_);
    }
    memcpy (yt, h, H * sizeof (float));
  }
}

/* Backward through time, from the last processed frame to the first:
 *   dh = dy(t) + dh(t+1 -> t)         dc = dc(t+1 -> t)
 *   do = dh * tanh(c(t))              ao' = do * o * (1 - o)
 *   dc += dh * o * (1 - tanh^2 c(t)) (+ ao' * p_o)
 *   ai' = dc * g * i * (1 - i)        ag' = dc * i * (1 - g^2)
 *   af' = dc * c(t-1) * f * (1 - f)
 *   dc(t -> t-1) = dc * f (+ ai' * p_i + af' * p_f)
 *   dh(t -> t-1) = W_hh^T [ai', af', ag', ao']
 * then, over all frames at once, dW_ih += G'^T x, dW_hh += G'^T h(t-1),
 * db_ih = db_hh += sum G', dx += G' W_ih. */
void
lstm_layer_backward (const LstmRnnParams *p, const LstmRnnParams *dp,
    guint H, gboolean peephole, const float *x, gsize ldx, gsize T,
    const float *h0, const float *c0, const float *y, gsize ldy,
    gboolean reverse, const float *gates, const float *cs, const float *dy,
    gsize lddy, float *dh, float *dc, float *dx, gsize lddx, float *dg,
    float *tmp, const float *tcs)
{
  /* p->w_ih, dp->w_ih: (4H, in); p->w_hh, dp->w_hh: (4H, H);
   * p->b_*, dp->b_*: (4H) or NULL; p->w_ch, dp->w_ch: (3H) or NULL */
  const float *pi = peephole ? p->w_ch + LSTM_PEEP_I * H : NULL;
  const float *pf = peephole ? p->w_ch + LSTM_PEEP_F * H : NULL;
  const float *po = peephole ? p->w_ch + LSTM_PEEP_O * H : NULL;
  float *dpi = peephole ? dp->w_ch + LSTM_PEEP_I * H : NULL;
  float *dpf = peephole ? dp->w_ch + LSTM_PEEP_F * H : NULL;
  float *dpo = peephole ? dp->w_ch + LSTM_PEEP_O * H : NULL;
  gsize G = 4 * (gsize) H, s, j;

  if (T == 0)
    return;
  for (s = T; s-- > 0;) {
    gsize t = reverse ? T - 1 - s : s;
    gsize tp = reverse ? t + 1 : t - 1;        /* previous frame, if s > 0 */
    const float *gt = gates + t * G;
    const float *gi = gt + LSTM_GATE_I * H, *gf = gt + LSTM_GATE_F * H;
    const float *gg = gt + LSTM_GATE_G * H, *go = gt + LSTM_GATE_O * H;
    const float *ct = cs + t * H;
    const float *cp = s > 0 ? cs + tp * H : c0;
    float *dgt = dg + t * G;
    float *dai = dgt + LSTM_GATE_I * H, *daf = dgt + LSTM_GATE_F * H;
    float *dag = dgt + LSTM_GATE_G * H, *dao = dgt + LSTM_GATE_O * H;

    for (j = 0; j < H; j++) {
      float dhj = dh[j] + dy[t * lddy + j];
      float tc = tcs != NULL ? tcs[t * H + j] : tanhf (ct[j]);
      float i_ = gi[j], f_ = gf[j], g_ = gg[j], o_ = go[j];
      float ao = dhj * tc * o_ * (1.0f - o_);           /* d/d(a_o) */
      float dcj = dc[j] + dhj * o_ * (1.0f - tc * tc);
      float ai, af, ag;

      if (peephole)
        dcj = dcj + ao * po[j];                         /* o sees c(t) */
      ai = dcj * g_ * i_ * (1.0f - i_);                 /* d/d(a_i) */
      ag = dcj * i_ * (1.0f - g_ * g_);                 /* d/d(a_g) */
      af = dcj * cp[j] * f_ * (1.0f - f_);              /* d/d(a_f) */
      dcj = dcj * f_;                                   /* to c(t-1) */
      if (peephole) {
        dcj = dcj + ai * pi[j] + af * pf[j];            /* i, f see c(t-1) */
        dpi[j] = dpi[j] + ai * cp[j];
        dpf[j] = dpf[j] + af * cp[j];
        dpo[j] = dpo[j] + ao * ct[j];
      }
      dc[j] = dcj;
      dai[j] = ai;
      daf[j] = af;
      dag[j] = ag;
      dao[j] = ao;
    }
    /* dh(t -> t-1) = W_hh^T G'(t) */
    memset (tmp, 0, H * sizeof (float));
    lstm_train_gemv_t_acc (tmp, p->w_hh, dgt, G, H);
    memcpy (dh, tmp, H * sizeof (float));
  }

  /* weight gradients over all frames */
  lstm_train_gemm_tn_acc (dp->w_ih, p->in, dg, G, x, ldx, G, p->in, T);
  if (reverse) {
    /* frame t saw h(t+1); the last frame saw h0 */
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg, G, y + ldy, ldy, G, H, T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + (T - 1) * G, G, h0, H, G, H,
        1);
  } else {
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + G, G, y, ldy, G, H, T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg, G, h0, H, G, H, 1);
  }
  if (dp->b_ih != NULL) {
    lstm_train_colsum_acc (dp->b_ih, dg, G, G, T);
    lstm_train_colsum_acc (dp->b_hh, dg, G, G, T);
  }
  if (dx != NULL)
    lstm_train_gemm_nn_acc (dx, lddx, dg, G, p->w_ih, G, p->in, T);
}
