/* liblstm: the linear layer and its activations, forward (and backward)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   y = act(W x + b),  act in none, softmax, sigmoid, tanh, relu
 */
#include "config.h"

#include <string.h>

#include "layers.h"
#include "kernels/train-kernels.h"

LstmKernelAct
lstm_activation_to_kernel_act (LstmActivation activation)
{
  switch (activation) {
    case LSTM_ACTIVATION_NONE:
      return LSTM_KERNEL_ACT_NONE;
    case LSTM_ACTIVATION_SOFTMAX:
      return LSTM_KERNEL_ACT_SOFTMAX;
    case LSTM_ACTIVATION_SIGMOID:
      return LSTM_KERNEL_ACT_SIGMOID;
    case LSTM_ACTIVATION_TANH:
      return LSTM_KERNEL_ACT_TANH;
    case LSTM_ACTIVATION_RELU:
      return LSTM_KERNEL_ACT_RELU;
  }
  g_return_val_if_reached (LSTM_KERNEL_ACT_NONE);
}

void
lstm_linear_layer_forward (const float *w, const float *b,
    LstmActivation activation, guint in, guint out, const LstmKernels *k,
    const float *x, gsize T, float *y)
{
  /* w: (out, in), b: (out) or NULL, x: (T, in), y: (T, out) */
  LstmKernelAct act = lstm_activation_to_kernel_act (activation);
  gsize t;

  k->matmul (w, b, x, in, y, out, out, in, T);
  for (t = 0; t < T; t++)
    lstm_kernel_act_apply (act, y + t * out, out);
}

void
lstm_linear_layer_forward_packed (const LstmPackedMatrix *pw, const float *b,
    LstmActivation activation, const LstmKernels *k, const float *x, gsize T,
    float *y)
{
  LstmKernelAct act = lstm_activation_to_kernel_act (activation);
  gsize t;

  k->matmul_packed (pw, b, x, pw->k, y, pw->n_out, T);
  for (t = 0; t < T; t++)
    lstm_kernel_act_apply (act, y + t * pw->n_out, pw->n_out);
}

/* Backward: z' = dy * act'(z), written with the activated y:
 *   none: z' = dy               sigmoid: z' = dy * y * (1 - y)
 *   tanh: z' = dy * (1 - y^2)   relu:    z' = dy * [y > 0]
 *   softmax: z'_j = y_j * (dy_j - sum_k dy_k y_k)
 * then dW += z'^T x, db += sum z', dx += z' W. */
void
lstm_linear_layer_backward (const float *w, LstmActivation activation,
    guint in, guint out, const float *x, const float *y, const float *dy,
    gsize T, float *dw, float *db, float *dx, float *dz)
{
  /* w, dw: (out, in); db: (out) or NULL; x: (T, in); y, dy, dz: (T, out);
   * dx: (T, in) or NULL */
  const float *g = dz;
  gsize t, j, n = T * out;

  switch (activation) {
    case LSTM_ACTIVATION_NONE:
      g = dy;
      break;
    case LSTM_ACTIVATION_SIGMOID:
      for (j = 0; j < n; j++)
        dz[j] = dy[j] * y[j] * (1.0f - y[j]);
      break;
    case LSTM_ACTIVATION_TANH:
      for (j = 0; j < n; j++)
        dz[j] = dy[j] * (1.0f - y[j] * y[j]);
      break;
    case LSTM_ACTIVATION_RELU:
      for (j = 0; j < n; j++)
        dz[j] = y[j] > 0.0f ? dy[j] : 0.0f;
      break;
    case LSTM_ACTIVATION_SOFTMAX:
      for (t = 0; t < T; t++) {
        const float *yt = y + t * out, *dyt = dy + t * out;
        float *dzt = dz + t * out;
        float dot = 0.0f;
        for (j = 0; j < out; j++)
          dot = dot + dyt[j] * yt[j];
        for (j = 0; j < out; j++)
          dzt[j] = yt[j] * (dyt[j] - dot);
      }
      break;
  }
  lstm_train_gemm_tn_acc (dw, in, g, out, x, in, out, in, T);
  if (db != NULL)
    lstm_train_colsum_acc (db, g, out, out, T);
  if (dx != NULL)
    lstm_train_gemm_nn_acc (dx, in, g, out, w, out, in, T);
}
