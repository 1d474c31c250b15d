/* liblstm: reference kernels, written for clarity; the others must match
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "kernels.h"

static float
dot_canonical (const float *w, const float *x, gsize k)
{
  float s[8] = { 0 };
  gsize blocks = k / 8, i, l;
  float r;

  for (i = 0; i < blocks; i++)
    for (l = 0; l < 8; l++)
      s[l] = s[l] + w[8 * i + l] * x[8 * i + l];
  r = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
  for (i = blocks * 8; i < k; i++)
    r = r + w[i] * x[i];
  return r;
}

void
lstm_matmul_ref (const float *w, const float *b, const float *x, gsize ldx,
    float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames)
{
  gsize t, j;

  for (t = 0; t < n_frames; t++)
    for (j = 0; j < n_out; j++) {
      float r = dot_canonical (w + j * k, x + t * ldx, k);
      y[t * ldy + j] = b ? r + b[j] : r;
    }
}

void
lstm_kernel_act_apply (LstmKernelAct act, float *y, gsize n)
{
  gsize j;

  switch (act) {
    case LSTM_KERNEL_ACT_NONE:
      break;
    case LSTM_KERNEL_ACT_SOFTMAX:{
      float m = -INFINITY, sum = 0.0f;
      for (j = 0; j < n; j++)
        m = y[j] > m ? y[j] : m;
      for (j = 0; j < n; j++) {
        y[j] = expf (y[j] - m);
        sum += y[j];
      }
      for (j = 0; j < n; j++)
        y[j] = y[j] / sum;
      break;
    }
    case LSTM_KERNEL_ACT_SIGMOID:
      for (j = 0; j < n; j++)
        y[j] = lstm_sigmoidf (y[j]);
      break;
    case LSTM_KERNEL_ACT_TANH:
      for (j = 0; j < n; j++)
        y[j] = tanhf (y[j]);
      break;
    case LSTM_KERNEL_ACT_RELU:
      for (j = 0; j < n; j++)
        y[j] = y[j] > 0.0f ? y[j] : 0.0f;
      break;
  }
}

void
lstm_sigmoid_ref (float *y, gsize n)
{
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_SIGMOID, y, n);
}

void
lstm_tanh_ref (float *y, gsize n)
{
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_TANH, y, n);
}

/* The transposing reduction (kernels-simd.c) leaves the results of
 * positions 0, 2, 4, 6, 1, 3, 5, 7 in lanes 0..7. */
const guint8 LSTM_PACK_ROW[8] = { 0, 4, 1, 5, 2, 6, 3, 7 };

gsize
lstm_packed_size (guint n_out, guint k)
{
  gsize groups = (n_out + 7) / 8;
  return groups * ((gsize) (k / 8) * 64 + (gsize) (k % 8) * 8);
}

void
lstm_pack_matrix (const float *w, guint n_out, guint k, float *dst,
    LstmPackedMatrix *pm)
{
  gsize groups = (n_out + 7) / 8, nb = k / 8, g, b, p, l, t;
  gsize stride = nb * 64 + (gsize) (k % 8) * 8;

  for (g = 0; g < groups; g++) {
    float *d = dst + g * stride;
    for (b = 0; b < nb; b++)
      for (p = 0; p < 8; p++) {
        gsize row = 8 * g + LSTM_PACK_ROW[p];
        for (l = 0; l < 8; l++)
          d[(b * 8 + p) * 8 + l] = row < n_out ? w[row * k + 8 * b + l] : 0;
      }
    for (t = 0; t < k % 8; t++)
      for (p = 0; p < 8; p++) {
        gsize row = 8 * g + p;
        d[nb * 64 + t * 8 + p] = row < n_out ? w[row * k + 8 * nb + t] : 0;
      }
  }
  pm->data = dst;
  pm->bf16 = NULL;
  pm->n_out = n_out;
  pm->k = k;
  pm->group_stride = stride;
}
