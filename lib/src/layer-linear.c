/* liblstm: the linear layer and its activations, forward (and backward)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   y = act(W x + b),  act in none, softmax, sigmoid, tanh, relu
 */
#include "config.h"

#include "layers.h"

void
lstm_linear_layer_forward (const float *w, const float *b,
    LstmActivation activation, guint in, guint out, const LstmKernels *k,
    const float *x, gsize T, float *y)
{
  /* w: (out, in), b: (out) or NULL, x: (T, in), y: (T, out) */
  gsize t;

  k->matmul (w, b, x, in, y, out, out, in, T);
  for (t = 0; t < T; t++)
    lstm_activation_apply (activation, y + t * out, out);
}
