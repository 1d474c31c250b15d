/* liblstm: losses, forward (value) and backward (gradient) together
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PyTorch's definitions and reductions: the trainer divides by the number
 * of counted elements (MSE, MAE, BCE: frames x outputs, as MSELoss,
 * L1Loss and BCEWithLogitsLoss do with reduction='mean') or of counted
 * frames (cross-entropy, as CrossEntropyLoss does), passing 1/count as
 * @scale.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-private.h"

double
lstm_loss_mse (const float *y, const float *target, const guint8 *mask,
    gsize T, guint n, float scale, float *d)
{
  /* y, target, d: (T, n); mask: (T) or NULL */
  double sum = 0.0;
  gsize t;
  guint j;

  for (t = 0; t < T; t++) {
    const float *yt = y + t * n, *tt = target + t * n;
    float *dt = d + t * n;
    if (mask != NULL && !mask[t]) {
      memset (dt, 0, n * sizeof (float));
      continue;
    }
    for (j = 0; j < n; j++) {
      float e = yt[j] - tt[j];
      sum += (double) e * e;                  /* (y - t)^2 */
      dt[j] = 2.0f * e * scale;               /* 2 (y - t) / N */
    }
  }
  return sum;
}

double
lstm_loss_mae (const float *y, const float *target, const guint8 *mask,
    gsize T, guint n, float scale, float *d)
{
  /* y, target, d: (T, n); mask: (T) or NULL */
  double sum = 0.0;
  gsize t;
  guint j;

  for (t = 0; t < T; t++) {
    const float *yt = y + t * n, *tt = target + t * n;
    float *dt = d + t * n;
    if (mask != NULL && !mask[t]) {
      memset (dt, 0, n * sizeof (float));
      continue;
    }
    for (j = 0; j < n; j++) {
      float e = yt[j] - tt[j];
      sum += fabs ((double) e);               /* |y - t| */
      /* sign(y - t) / N, with sign(0) = 0 as torch.sign */
      dt[j] = e > 0.0f ? scale : e < 0.0f ? -scale : 0.0f;
    }
  }
  return sum;
}

double
lstm_loss_cross_entropy (const float *z, const guint *classes, gsize T,
    guint n, float scale, float *d, guint64 *n_correct)
{
  /* z, d: (T, n) logits and their gradient; classes: (T) */
  double sum = 0.0;
  gsize t;
  guint j;

  for (t = 0; t < T; t++) {
    const float *zt = z + t * n;
    float *dt = d + t * n;
    guint c = classes[t], best = 0;
    float m = zt[0];
    double lse = 0.0;

    if (c == LSTM_TARGET_IGNORE) {
      memset (dt, 0, n * sizeof (float));
      continue;
    }
    for (j = 1; j < n; j++)
      if (zt[j] > m) {
        m = zt[j];
        best = j;
      }
    if (n_correct != NULL && best == c)
      (*n_correct)++;
    /* -log softmax(z)_c = log sum exp (z - m) - (z_c - m) */
    for (j = 0; j < n; j++)
      lse += exp ((double) zt[j] - m);
    sum += log (lse) - ((double) zt[c] - m);
    /* d/dz = softmax(z) - onehot(c) */
    for (j = 0; j < n; j++) {
      float p = (float) (exp ((double) zt[j] - m) / lse);
      dt[j] = (p - (j == c ? 1.0f : 0.0f)) * scale;
    }
  }
  return sum;
}

double
lstm_loss_binary_cross_entropy (const float *z, const float *target,
    const guint8 *mask, gsize T, guint n, float scale, float *d)
{
  /* z, target, d: (T, n) logits, targets, gradient; mask: (T) or NULL */
  double sum = 0.0;
  gsize t;
  guint j;

  for (t = 0; t < T; t++) {
    const float *zt = z + t * n, *tt = target + t * n;
    float *dt = d + t * n;
    if (mask != NULL && !mask[t]) {
      memset (dt, 0, n * sizeof (float));
      continue;
    }
    for (j = 0; j < n; j++) {
      double x = zt[j], y = tt[j];
      /* -(y log s(x) + (1 - y) log(1 - s(x))), written stably as
       * max(x, 0) - x y + log(1 + exp(-|x|)) (BCEWithLogitsLoss) */
      sum += (x > 0 ? x : 0) - x * y + log1p (exp (-fabs (x)));
      /* d/dx = s(x) - y */
      dt[j] = (float) (1.0 / (1.0 + exp (-x)) - y) * scale;
    }
  }
  return sum;
}
