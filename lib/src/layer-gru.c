/* liblstm: the GRU layer, forward (and backward)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PyTorch's equations, gate rows ordered r, z, n:
 *   r = s(W_ir x + b_ir + W_hr h + b_hr)
 *   z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * With reset_after FALSE (the original GRU: Keras reset_after=False, ONNX
 * linear_before_reset=0) the reset gate comes before the product instead:
 *   n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
 * so the recurrent product is two: rows r, z with h, then rows n with r * h
 * (row ranges of W_hh, which orders its rows r, z, n). On packed weights the
 * two ranges are views of the packing when row 2H starts a group of 8
 * (lstm_gru_packed_split()); otherwise those two products run on the plain
 * weights (bitwise the same for the fp32 tables, fp32 for the bf16 ones).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layers.h"
#include "kernels/train-kernels.h"

gboolean
lstm_gru_packed_split (const LstmPackedMatrix *hh, guint H,
    LstmPackedMatrix *rz, LstmPackedMatrix *n)
{
  gsize skip = 2 * (gsize) H / 8 * hh->group_stride;

  if ((2 * (gsize) H) % 8 != 0)
    return FALSE;
  *rz = *hh;
  rz->n_out = 2 * H;
  *n = *hh;
  n->n_out = H;
  if (hh->data != NULL)
    n->data = hh->data + skip;
  if (hh->bf16 != NULL)
    n->bf16 = hh->bf16 + skip;
  return TRUE;
}

/* The reset-before step (reset_after FALSE) of one frame: gt: (3H) in:
 * W_ih x + b_ih, out: activated r, z, n; gh: (3H) scratch; hn: NULL or
 * (H), receives r * h(t-1). rz, pn: the packed views of
 * lstm_gru_packed_split() with k->matmul_packed, or NULL: k->matmul on
 * p->w_hh. */
static void
gru_step_reset_before (const LstmRnnParams *p, guint H, const LstmKernels *k,
    const LstmPackedMatrix *rz, const LstmPackedMatrix *pn, float *h,
    float *gt, float *hn, float *gh)
{
  float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
  float *gn = gt + LSTM_GATE_N * H;
  /* gh[0, 2H): W_h{r,z} h + b_h{r,z}; then gh[2H, 3H): r * h, and gh[0, H):
   * W_hn (r * h) + b_hn (rows r, z come first in w_hh, so both products
   * are row ranges of it) */
  float *rh = gh + 2 * (gsize) H, *an = gh;
  gsize j;

  if (rz != NULL)
    k->matmul_packed (rz, p->b_hh, h, H, gh, 3 * H, 1);
  else
    k->matmul (p->w_hh, p->b_hh, h, H, gh, 3 * H, 2 * H, H, 1);
  for (j = 0; j < H; j++) {
    gr[j] = lstm_sigmoidf (gr[j] + gh[LSTM_GATE_R * H + j]);  /* reset gate */
    gz[j] = lstm_sigmoidf (gz[j] + gh[LSTM_GATE_Z * H + j]);  /* update gate */
    rh[j] = gr[j] * h[j];                                      /* r * h */
  }
  if (pn != NULL)
    k->matmul_packed (pn, p->b_hh ? p->b_hh + 2 * H : NULL, rh, H, an, H, 1);
  else
    k->matmul (p->w_hh + 2 * (gsize) H * H, p->b_hh ? p->b_hh + 2 * H : NULL,
        rh, H, an, H, H, H, 1);
  for (j = 0; j < H; j++) {
    float z = gz[j];
    float n = tanhf (gn[j] + an[j]);  /* candidate, reset inside */
    h[j] = (1.0f - z) * n + z * h[j]; /* h' = (1-z)*n + z*h */
    gn[j] = n;
  }
  if (hn != NULL)
    memcpy (hn, rh, H * sizeof (float));
}

void
lstm_gru_layer_forward (const LstmRnnParams *p, guint H, gboolean reset_after,
    const LstmKernels *k, const float *x, gsize ldx, gsize T, float *h,
    float *y, gsize ldy, gboolean reverse, float *gates, float *hn, float *gh)
{
  /* p->w_ih: (3H, in), p->w_hh: (3H, H), p->b_*: (3H) */
  gsize s, j;

  /* gates[t] = W_ih x(t) + b_ih for every frame at once */
  k->matmul (p->w_ih, p->b_ih, x, ldx, gates, 3 * H, 3 * H, p->in, T);

  if (!reset_after) {
    for (s = 0; s < T; s++) {
      gsize t = reverse ? T - 1 - s : s;
      gru_step_reset_before (p, H, k, NULL, NULL, h, gates + t * 3 * H,
          hn ? hn + t * H : NULL, gh);
      memcpy (y + t * ldy, h, H * sizeof (float));
    }
    return;
  }

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

void
lstm_gru_layer_forward_packed (const LstmRnnParams *p, guint H,
    gboolean reset_after, const LstmKernels *k, const float *x, gsize ldx,
    gsize T, float *h, float *y, gsize ldy, gboolean reverse, float *gates,
    float *gh)
{
  gsize s, j;

  /* the input projections of the T frames: one product */
  k->matmul_packed (&p->pk_ih, p->b_ih, x, ldx, gates, 3 * H, T);

  if (!reset_after) {
    LstmPackedMatrix rz, pn;
    gboolean split = lstm_gru_packed_split (&p->pk_hh, H, &rz, &pn);

    for (s = 0; s < T; s++) {
      gsize t = reverse ? T - 1 - s : s;
      gru_step_reset_before (p, H, k, split ? &rz : NULL, split ? &pn : NULL,
          h, gates + t * 3 * H, NULL, gh);
      memcpy (y + t * ldy, h, H * sizeof (float));
    }
    return;
  }

  for (s = 0; s < T; s++) {
    gsize t = reverse ? T - 1 - s : s;
    float *gt = gates + t * 3 * H;
    float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
    float *gn = gt + LSTM_GATE_N * H;
    const float *hr = gh + LSTM_GATE_R * H, *hz = gh + LSTM_GATE_Z * H;
    const float *hnn = gh + LSTM_GATE_N * H;

    k->matmul_packed (&p->pk_hh, p->b_hh, h, H, gh, 3 * H, 1);
    for (j = 0; j < H; j++) {
      float r = lstm_sigmoidf (gr[j] + hr[j]);
      float z = lstm_sigmoidf (gz[j] + hz[j]);
      float n = tanhf (gn[j] + r * hnn[j]);
      h[j] = (1.0f - z) * n + z * h[j];
    }
    memcpy (y + t * ldy, h, H * sizeof (float));
  }
}

/* Backward of the reset-before variant (reset_after FALSE), with
 * hn = r * h(t-1) from the forward:
 *   dh = dy(t) + dh(t+1 -> t)
 *   an' = dh * (1 - z) * (1 - n^2)
 *   az' = dh * (h(t-1) - n) * z * (1 - z)
 *   d(r*h) = W_hn^T an'
 *   ar' = d(r*h) * h(t-1) * r * (1 - r)
 *   G'x = G'h = [ar', az', an']
 *   dh(t -> t-1) = dh * z + d(r*h) * r + W_h{r,z}^T [ar', az']
 * then dW_h{r,z} += [ar', az']^T h(t-1), dW_hn += an'^T (r * h(t-1)), the
 * biases and the input side as in the other variant. */
static void
gru_backward_reset_before (const LstmRnnParams *p, const LstmRnnParams *dp,
    guint H, const float *x, gsize ldx, gsize T, const float *h0,
    const float *y, gsize ldy, gboolean reverse, const float *gates,
    const float *hn, const float *dy, gsize lddy, float *dh, float *dx,
    gsize lddx, float *dg, float *tmp)
{
  gsize G = 3 * (gsize) H, s, j;
  const float *w_hn = p->w_hh + 2 * (gsize) H * H;

  for (s = T; s-- > 0;) {
    gsize t = reverse ? T - 1 - s : s;
    gsize tp = reverse ? t + 1 : t - 1;
    const float *gt = gates + t * G;
    const float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
    const float *gn = gt + LSTM_GATE_N * H;
    const float *hp = s > 0 ? y + tp * ldy : h0;
    float *dgx = dg + t * 2 * G, *dgh = dgx + G;

    for (j = 0; j < H; j++) {
      float dhj = dh[j] + dy[t * lddy + j];
      float z = gz[j], n = gn[j];
      float an = dhj * (1.0f - z) * (1.0f - n * n);     /* d/d(a_n) */
      float az = dhj * (hp[j] - n) * z * (1.0f - z);    /* d/d(a_z) */

      dgx[LSTM_GATE_Z * H + j] = az;
      dgx[LSTM_GATE_N * H + j] = an;
      dgh[LSTM_GATE_Z * H + j] = az;
      dgh[LSTM_GATE_N * H + j] = an;
      tmp[j] = dhj;
    }
    /* dh now holds d(r*h) = W_hn^T an' */
    memset (dh, 0, H * sizeof (float));
    lstm_train_gemv_t_acc (dh, w_hn, dgh + LSTM_GATE_N * H, H, H);
    for (j = 0; j < H; j++) {
      float r = gr[j];
      float ar = dh[j] * hp[j] * r * (1.0f - r);        /* d/d(a_r) */

      dgx[LSTM_GATE_R * H + j] = ar;
      dgh[LSTM_GATE_R * H + j] = ar;
      tmp[j] = tmp[j] * gz[j] + dh[j] * r;      /* through z h and r * h */
    }
    lstm_train_gemv_t_acc (tmp, p->w_hh, dgh, 2 * H, H);
    memcpy (dh, tmp, H * sizeof (float));
  }

  lstm_train_gemm_tn_acc (dp->w_ih, p->in, dg, 2 * G, x, ldx, G, p->in, T);
  /* rows r, z of dW_hh against h(t-1); rows n against r * h(t-1) */
  if (reverse) {
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + G, 2 * G, y + ldy, ldy, 2 * H,
        H, T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + (T - 1) * 2 * G + G, 2 * G,
        h0, H, 2 * H, H, 1);
  } else {
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + 2 * G + G, 2 * G, y, ldy,
        2 * H, H, T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + G, 2 * G, h0, H, 2 * H, H, 1);
  }
  lstm_train_gemm_tn_acc (dp->w_hh + 2 * (gsize) H * H, H,
      dg + G + LSTM_GATE_N * H, 2 * G, hn, H, H, H, T);
  if (dp->b_ih != NULL) {
    lstm_train_colsum_acc (dp->b_ih, dg, 2 * G, G, T);
    lstm_train_colsum_acc (dp->b_hh, dg + G, 2 * G, G, T);
  }
  if (dx != NULL)
    lstm_train_gemm_nn_acc (dx, lddx, dg, 2 * G, p->w_ih, G, p->in, T);
}

/* Backward through time, from the last processed frame to the first, with
 * hn = W_hn h(t-1) + b_hn from the forward:
 *   dh = dy(t) + dh(t+1 -> t)
 *   an' = dh * (1 - z) * (1 - n^2)
 *   az' = dh * (h(t-1) - n) * z * (1 - z)
 *   ar' = an' * hn * r * (1 - r)
 *   input side  G'x = [ar', az', an'],  hidden side G'h = [ar', az', an' * r]
 *   dh(t -> t-1) = dh * z + W_hh^T G'h
 * then dW_ih += G'x^T x, dW_hh += G'h^T h(t-1), db_ih += sum G'x,
 * db_hh += sum G'h, dx += G'x W_ih. */
void
lstm_gru_layer_backward (const LstmRnnParams *p, const LstmRnnParams *dp,
    guint H, gboolean reset_after, const float *x, gsize ldx, gsize T,
    const float *h0, const float *y, gsize ldy, gboolean reverse,
    const float *gates, const float *hn, const float *dy, gsize lddy,
    float *dh, float *dx, gsize lddx, float *dg, float *tmp)
{
  /* p->w_ih, dp->w_ih: (3H, in); p->w_hh, dp->w_hh: (3H, H);
   * p->b_*, dp->b_*: (3H) or NULL */
  gsize G = 3 * (gsize) H, s, j;

  if (T == 0)
    return;
  if (!reset_after) {
    gru_backward_reset_before (p, dp, H, x, ldx, T, h0, y, ldy, reverse,
        gates, hn, dy, lddy, dh, dx, lddx, dg, tmp);
    return;
  }
  for (s = T; s-- > 0;) {
    gsize t = reverse ? T - 1 - s : s;
    gsize tp = reverse ? t + 1 : t - 1;
    const float *gt = gates + t * G;
    const float *gr = gt + LSTM_GATE_R * H, *gz = gt + LSTM_GATE_Z * H;
    const float *gn = gt + LSTM_GATE_N * H;
    const float *hp = s > 0 ? y + tp * ldy : h0;
    const float *hnt = hn + t * H;
    float *dgx = dg + t * 2 * G, *dgh = dgx + G;

    for (j = 0; j < H; j++) {
      float dhj = dh[j] + dy[t * lddy + j];
      float r = gr[j], z = gz[j], n = gn[j];
      float an = dhj * (1.0f - z) * (1.0f - n * n);     /* d/d(a_n) */
      float az = dhj * (hp[j] - n) * z * (1.0f - z);    /* d/d(a_z) */
      float ar = an * hnt[j] * r * (1.0f - r);          /* d/d(a_r) */

      dgx[LSTM_GATE_R * H + j] = ar;
      dgx[LSTM_GATE_Z * H + j] = az;
      dgx[LSTM_GATE_N * H + j] = an;
      dgh[LSTM_GATE_R * H + j] = ar;
      dgh[LSTM_GATE_Z * H + j] = az;
      dgh[LSTM_GATE_N * H + j] = an * r;                /* through r * hn */
      tmp[j] = dhj * z;                                 /* h' = ... + z h */
    }
    lstm_train_gemv_t_acc (tmp, p->w_hh, dgh, G, H);
    memcpy (dh, tmp, H * sizeof (float));
  }

  lstm_train_gemm_tn_acc (dp->w_ih, p->in, dg, 2 * G, x, ldx, G, p->in, T);
  if (reverse) {
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + G, 2 * G, y + ldy, ldy, G, H,
        T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + (T - 1) * 2 * G + G, 2 * G,
        h0, H, G, H, 1);
  } else {
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + 2 * G + G, 2 * G, y, ldy, G,
        H, T - 1);
    lstm_train_gemm_tn_acc (dp->w_hh, H, dg + G, 2 * G, h0, H, G, H, 1);
  }
  if (dp->b_ih != NULL) {
    lstm_train_colsum_acc (dp->b_ih, dg, 2 * G, G, T);
    lstm_train_colsum_acc (dp->b_hh, dg + G, 2 * G, G, T);
  }
  if (dx != NULL)
    lstm_train_gemm_nn_acc (dx, lddx, dg, 2 * G, p->w_ih, G, p->in, T);
}
