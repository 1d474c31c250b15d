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
