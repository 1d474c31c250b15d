/* liblstm: optimizers and gradient clipping over the flat buffers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parameters, gradients and optimizer moments all share the layout of
 * LstmModel.params, so each update is one loop over n floats.
 */
#include "config.h"

#include <math.h>

#include "lstm-private.h"

/* torch.optim.Adam (PyTorch 1.13, single-tensor path, amsgrad=False),
 * step counted from 1:
 *   g = grad + weight_decay * p                  (L2, coupled, as Adam's)
 *   m = beta1 m + (1 - beta1) g                  first moment
 *   v = beta2 v + (1 - beta2) g^2                second moment
 *   bias correction: m and v start at zero, so early averages are too
 *   small by the factors bc1 = 1 - beta1^step and bc2 = 1 - beta2^step;
 *   PyTorch folds them into the step size and the denominator:
 *   p = p - (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
 * The scalar factors are computed in double and applied in float, as the
 * Python scalars reach PyTorch's float kernels. */
void
lstm_optim_adam_step (float *params, const float *grads, float *m, float *v,
    gsize n, guint64 step, double lr, double beta1, double beta2, double eps,
    double weight_decay)
{
  /* params, grads, m, v: (n) in the parameter layout */
  double bc1 = 1.0 - pow (beta1, (double) step);
  double bc2 = 1.0 - pow (beta2, (double) step);
  float step_size = (float) (lr / bc1);
  float bc2_sqrt = (float) sqrt (bc2);
  float b1 = (float) beta1, b2 = (float) beta2;
  float a1 = (float) (1.0 - beta1), a2 = (float) (1.0 - beta2);
  float wd = (float) weight_decay, e = (float) eps;
  gsize i;

  for (i = 0; i < n; i++) {
    float g = grads[i];
    float denom;

    if (weight_decay != 0.0)
      g = g + wd * params[i];
    m[i] = m[i] * b1 + a1 * g;
    v[i] = v[i] * b2 + a2 * g * g;
    denom = sqrtf (v[i]) / bc2_sqrt + e;
    params[i] = params[i] + (-step_size) * (m[i] / denom);
  }
}

/* torch.optim.SGD: d = grad + weight_decay * p; with momentum, the buffer
 * is d at the first step, then momentum * buf + (1 - dampening) d; the step
 * uses d + momentum * buf (Nesterov) or buf. */
void
lstm_optim_sgd_step (float *params, const float *grads, float *buf, gsize n,
    guint64 step, double lr, double momentum, double dampening,
    gboolean nesterov, double weight_decay)
{
  /* params, grads, buf: (n) in the parameter layout */
  float mu = (float) momentum, damp = (float) (1.0 - dampening);
  float wd = (float) weight_decay, rate = (float) lr;
  gsize i;

  for (i = 0; i < n; i++) {
    float d = grads[i];

    if (weight_decay != 0.0)
      d = d + wd * params[i];
    if (momentum != 0.0) {
      buf[i] = step <= 1 ? d : buf[i] * mu + damp * d;
      d = nesterov ? d + mu * buf[i] : buf[i];
    }
    params[i] = params[i] + (-rate) * d;
  }
}

double
lstm_grad_norm (const float *g, gsize n)
{
  double sum = 0.0;
  gsize i;

  for (i = 0; i < n; i++)
    sum += (double) g[i] * g[i];
  return sqrt (sum);
}

double
lstm_clip_grad_norm (float *g, gsize n, double max_norm)
{
  double norm = lstm_grad_norm (g, n);
  double coef;
  gsize i;

  if (max_norm <= 0.0 || !isfinite (norm))
    return norm;
  coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    float c = (float) coef;
    for (i = 0; i < n; i++)
      g[i] = g[i] * c;
  }
  return norm;
}
