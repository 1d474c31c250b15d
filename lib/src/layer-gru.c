/* liblstm: the GRU layer, forward (and backward)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PyTorch's equations, gate rows ordered r, z, n:
 *   r = s(W_ir x + b_ir + W_hr h + b_hr)
 *   z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layers.h"

void
lstm_gru_layer_forward (const LstmRnnParams *p, guint H, const LstmKernels *k,
    const float *x, gsize ldx, gsize T, float *h, float *y, gsize ldy,
    gboolean reverse, float *gates, float *hn, float *gh)
{
  /* p->w_ih: (3H, in), p->w_hh: (3H, H), p->b_*: (3H) */
  gsize s, j;

  /* gates[t] = W_ih x(t) + b_ih for every frame at once */
  k->matmul (p->w_ih, p->b_ih, x, ldx, gates, 3 * H, 3 * H, p->in, T);

  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *gt = gates + t * 3 * H;
    float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
    float *gn = gt + LSTM_GATE_N * H;
    const float *hr = gh + LSTM_GATE_R * H, *hz = gh + LSTM_GATE_Z * H;
    const float *hnn = gh + LSTM_GATE_N * H;

    /* gh = W_hh h(t-1) + b_hh */
    k->matmul (p->w_hh, p->b_hh, h, H, gh, 3 * H, 3 * H, H, 1);
    for (j = 0; j < H; j++) {
      float r = lstm_sigmoidf (gr[j] + hr[j]);  /* reset gate */
      float z = lstm_sigmoidf (gz[j] + hz[j]);  /* update gate */
      float n = tanhf (gn[j] + r * hnn[j]);     /* candidate */
      h[j] = (1.0f - z) * n + z * h[j];         /* h' = (1-z)*n + z*h */
      gr[j] = r;
      gz[j] = z;
      gn[j] = n;
    }
    if (hn != NULL)
      memcpy (hn + t * H, hnn, H * sizeof (float));
    memcpy (y + t * ldy, h, H * sizeof (float));
  }
}
