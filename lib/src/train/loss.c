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
    guint c = classes[t], best;
    double top;
    float m;
    double lse = 0.0;

    if (c == LSTM_TARGET_IGNORE) {
      memset (dt, 0, n * sizeof (float));
      continue;
    }
    /* the front ends' decision; its score is the max the softmax shifts by */
    best = lstm_best_label_float (zt, n, -INFINITY, &top);
    m = (float) top;
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

/* log softmax(z)[c] of one frame of @n logits, in double. */
static double
log_softmax_at (const float *z, guint n, guint c, float *max_out,
    double *lse_out)
{
  float m = z[0];
  double lse = 0.0;
  guint j;

  for (j = 1; j < n; j++)
    m = MAX (m, z[j]);
  for (j = 0; j < n; j++)
    lse += exp ((double) z[j] - m);
  *max_out = m;
  *lse_out = lse;
  return ((double) z[c] - m) - log (lse);
}

/* One clip of @T frames with class @c: -log P, P the mean over the frames
 * of p_t[c], p_t = softmax(z_t). Then
 *   dL/dz_t = (p_t[c] / (T P)) (p_t - onehot(c)),
 * each frame's cross-entropy gradient weighted by its share of the mean.
 * The weights are a softmax over t of log p_t[c], accumulated in logs so
 * that no score underflows. The clip counts as correct when the arg-max of
 * the mean scores is @c (summed into row 0 of @d before the gradients
 * overwrite it). */
double
lstm_loss_mean_cross_entropy (const float *z, guint c, gsize T, guint n,
    float scale, float *d, guint64 *n_correct)
{
  double lmax = -G_MAXDOUBLE, wsum = 0.0, lse;
  gsize t;
  guint j, best;
  float m;

  memset (d, 0, n * sizeof (float));
  for (t = 0; t < T; t++) {
    const float *zt = z + t * n;
    double lp = log_softmax_at (zt, n, c, &m, &lse);
    if (lp > lmax) {
      wsum = wsum * exp (lmax - lp) + 1.0;
      lmax = lp;
    } else {
      wsum += exp (lp - lmax);
    }
    for (j = 0; j < n; j++)
      d[j] += (float) (exp ((double) zt[j] - m) / lse);
  }
  best = lstm_best_label_float (d, n, -INFINITY, NULL);
  if (n_correct != NULL && best == c)
    (*n_correct)++;

  for (t = 0; t < T; t++) {
    const float *zt = z + t * n;
    float *dt = d + t * n;
    double lp = log_softmax_at (zt, n, c, &m, &lse);
    double w = exp (lp - lmax) / wsum;          /* p_t[c] / (T P) */
    for (j = 0; j < n; j++) {
      double p = exp ((double) zt[j] - m) / lse;
      dt[j] = (float) (w * (p - (j == c ? 1.0 : 0.0)) * scale);
    }
  }
  /* log P = log sum_t p_t[c] - log T */
  return -(lmax + log (wsum) - log ((double) T));
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
