/* Unit tests: losses, optimizers and clipping against hand computations
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * (The golden suite checks the same code against PyTorch over whole
 * training runs; these pin the definitions down one value at a time.)
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-private.h"

static void
test_mse_mae_mask (void)
{
  const float y[6] = { 1, 2, 3, 4, 5, 6 };
  const float t[6] = { 0, 2, 5, 4, 9, 9 };
  const guint8 mask[3] = { 1, 0, 1 };
  float d[6];
  double s;

  /* frames 0 and 2 count: errors 1, 0 and 4, -3 */
  s = lstm_loss_mse (y, t, mask, 3, 2, 0.25f, d);
  g_assert_cmpfloat (s, ==, 1 + 0 + 16 + 9);
  g_assert_cmpfloat (d[0], ==, 2 * 1 * 0.25f);
  g_assert_cmpfloat (d[1], ==, 0);
  g_assert_cmpfloat (d[2], ==, 0);               /* masked frame */
  g_assert_cmpfloat (d[3], ==, 0);
  g_assert_cmpfloat (d[4], ==, 2 * -4 * 0.25f);
  g_assert_cmpfloat (d[5], ==, 2 * -3 * 0.25f);
  s = lstm_loss_mae (y, t, mask, 3, 2, 0.25f, d);
  g_assert_cmpfloat (s, ==, 1 + 0 + 4 + 3);
  g_assert_cmpfloat (d[0], ==, 0.25f);
  g_assert_cmpfloat (d[1], ==, 0.0f);             /* sign(0) = 0 */
  g_assert_cmpfloat (d[4], ==, -0.25f);
}

static void
test_cross_entropy (void)
{
  /* logits far apart: a naive softmax would overflow */
  const float z[6] = { 1000, 1001, 999, 0, 0, 0 };
  const guint cls[2] = { 1, LSTM_TARGET_IGNORE };
  float d[6];
  guint64 correct = 0;
  double s, lse = log (exp (-1.0) + 1 + exp (-2.0));

  s = lstm_loss_cross_entropy (z, cls, 2, 3, 1.0f, d, &correct);
  g_assert_cmpfloat (fabs (s - lse), <, 1e-12);
  g_assert_cmpuint (correct, ==, 1);
  g_assert_cmpfloat (fabs (d[0] - exp (-1.0) / exp (lse)), <, 1e-7);
  g_assert_cmpfloat (fabs (d[1] - (1 / exp (lse) - 1)), <, 1e-7);
  g_assert_cmpfloat (d[3], ==, 0);
  g_assert_cmpfloat (d[5], ==, 0);
}

static void
test_bce (void)
{
  const float z[4] = { 0, 50, -50, 2 };
  const float t[4] = { 1, 1, 1, 0 };
  float d[4];
  double s = lstm_loss_binary_cross_entropy (z, t, NULL, 1, 4, 1.0f, d);
  double want = log (2.0) + log1p (exp (-50.0)) + 50 + log1p (exp (-50.0))
      + 2 + log1p (exp (-2.0));

  g_assert_cmpfloat (fabs (s - want), <, 1e-9);
  g_assert_cmpfloat (d[0], ==, -0.5f);
  g_assert_cmpfloat (fabs (d[2] + 1.0f), <, 1e-6);
  g_assert_cmpfloat (fabs (d[3] - 1 / (1 + exp (-2.0))), <, 1e-7);
}

/* Adam's first step moves every weight by lr against its gradient's sign
 * (bias correction: m / sqrt(v) = g / |g|), whatever the gradient's size. */
static void
test_adam_first_step (void)
{
  float p[4] = { 1, 1, 1, 1 };
  const float g[4] = { 1e-3f, -5, 1e4f, -1e-2f };
  float m[4] = { 0 }, v[4] = { 0 };
  guint i;

  lstm_optim_adam_step (p, g, m, v, 4, 1, 0.1, 0.9, 0.999, 1e-8, 0);
  for (i = 0; i < 4; i++)
    g_assert_cmpfloat (fabs (p[i] - (g[i] > 0 ? 0.9f : 1.1f)), <, 1e-5);
  /* second step, by hand, with weight decay */
  {
    float q = 2.0f, mq = 0, vq = 0, gq = 0.5f;
    double m1, v1, m2, v2, g2, step;
    lstm_optim_adam_step (&q, &gq, &mq, &vq, 1, 1, 0.01, 0.9, 0.999, 1e-8,
        0.1);
    g2 = 0.5 + 0.1 * 2.0;
    m1 = 0.1 * g2;
    v1 = 0.001 * g2 * g2;
    step = 0.01 / (1 - 0.9) * m1 / (sqrt (v1) / sqrt (1 - 0.999) + 1e-8);
    g_assert_cmpfloat (fabs (q - (2.0 - step)), <, 1e-6);
    g2 = 0.5 + 0.1 * q;
    m2 = 0.9 * m1 + 0.1 * g2;
    v2 = 0.999 * v1 + 0.001 * g2 * g2;
    step = 0.01 / (1 - 0.81) * m2 / (sqrt (v2) / sqrt (1 - 0.999 * 0.999) +
        1e-8);
    {
      double before = q;
      lstm_optim_adam_step (&q, &gq, &mq, &vq, 1, 2, 0.01, 0.9, 0.999, 1e-8,
          0.1);
      g_assert_cmpfloat (fabs (q - (before - step)), <, 1e-6);
    }
  }
}

static void
test_sgd_momentum (void)
{
  float p = 1.0f, buf = 123.0f;         /* buf is ignored at step 1 */
  const float g = 0.5f;

  /* step 1: buf = g; p -= lr * buf */
  lstm_optim_sgd_step (&p, &g, &buf, 1, 1, 0.1, 0.9, 0, FALSE, 0);
  g_assert_cmpfloat (buf, ==, 0.5f);
  g_assert_cmpfloat (fabs (p - 0.95f), <, 1e-7);
  /* step 2: buf = 0.9 * 0.5 + 0.5 = 0.95 */
  lstm_optim_sgd_step (&p, &g, &buf, 1, 2, 0.1, 0.9, 0, FALSE, 0);
  g_assert_cmpfloat (fabs (buf - 0.95f), <, 1e-7);
  g_assert_cmpfloat (fabs (p - 0.855f), <, 1e-6);
  /* Nesterov: p -= lr * (g + 0.9 buf) */
  lstm_optim_sgd_step (&p, &g, &buf, 1, 3, 0.1, 0.9, 0, TRUE, 0);
  g_assert_cmpfloat (fabs (buf - (0.9f * 0.95f + 0.5f)), <, 1e-6);
  g_assert_cmpfloat (fabs (p - (0.855f - 0.1f * (0.5f + 0.9f * buf))), <,
      1e-6);
}

/* The global norm is accumulated in double: a million gradients of 1e-3
 * have norm 1 exactly enough, where a float sum of squares drifts. */
static void
test_clip_norm (void)
{
  const gsize n = 1000000;
  float *g = g_new (float, n);
  double norm;
  gsize i;

  for (i = 0; i < n; i++)
    g[i] = 1e-3f;
  norm = lstm_clip_grad_norm (g, n, 0.5);
  g_assert_cmpfloat (fabs (norm - sqrt (n * (double) 1e-3f * 1e-3f)), <,
      1e-9);
  /* clipped to 0.5 / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_ */
  g_assert_cmpfloat (fabs (lstm_grad_norm (g, n) - 0.5 * norm / (norm +
              1e-6)), <, 1e-6);
  /* below the limit: unchanged */
  for (i = 0; i < n; i++)
    g[i] = 1e-4f;
  lstm_clip_grad_norm (g, n, 1.0);
  g_assert_cmpfloat (g[17], ==, 1e-4f);
  /* not finite: reported, untouched */
  g[3] = NAN;
  g_assert_true (isnan (lstm_clip_grad_norm (g, n, 1.0)));
  g_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss/mse-mae-mask", test_mse_mae_mask);
  g_test_add_func ("/loss/cross-entropy", test_cross_entropy);
  g_test_add_func ("/loss/binary-cross-entropy", test_bce);
  g_test_add_func ("/optim/adam", test_adam_first_step);
  g_test_add_func ("/optim/sgd-momentum", test_sgd_momentum);
  g_test_add_func ("/optim/clip-norm", test_clip_norm);
  return g_test_run ();
}
