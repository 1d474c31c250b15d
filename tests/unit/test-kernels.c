/* Unit tests: every kernel variant against lstm_matmul_ref.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Non-fused variants must be bitwise equal to the reference (the canonical
 * summation order of kernels.h); "fma" rounds once per multiply-add and is
 * held to the usual dot-product error bound instead. Every result is also
 * checked against a double-precision dot product.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "lstm-private.h"

#define SENTINEL 12345.5f
#define MAX_K 70u

static const gsize n_outs[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17 };

/* Values of both signs over a wide range of magnitudes, so that a change
 * of summation order changes the rounding. */
static float
rand_value (GRand *r)
{
  double m = g_rand_double_range (r, -1.0, 1.0);
  return (float) ldexp (m, g_rand_int_range (r, -6, 7));
}

static void
fill (GRand *r, float *v, gsize n)
{
  gsize i;
  for (i = 0; i < n; i++)
    v[i] = rand_value (r);
}

typedef struct {
  guint64 n_checked;
  guint64 n_differ;             /* fma: results not bitwise equal to ref */
  double worst_ratio;           /* largest error / bound */
} Stats;

/* One shape: @variant's result against the reference and against double
 * precision. @off shifts every pointer by one float (unaligned rows). */
static void
check_shape (const LstmKernels *k, gboolean fused, GRand *r, gsize n_out,
    gsize kk, gsize n_frames, gboolean with_bias, gsize x_pad, gsize y_pad,
    gsize off, Stats *st)
{
  gsize ldx = kk + x_pad, ldy = n_out + y_pad;
  g_autofree float *wbuf = g_new (float, n_out * kk + off + 1);
  g_autofree float *bbuf = g_new (float, n_out + off);
  g_autofree float *xbuf = g_new (float, n_frames * ldx + off + 1);
  g_autofree float *ybuf = g_new (float, n_frames * ldy + off);
  g_autofree float *yref = g_new (float, n_frames * ldy);
  float *w = wbuf + off, *b = with_bias ? bbuf + off : NULL, *x = xbuf + off;
  float *y = ybuf + off;
  gsize t, j, i;

  fill (r, wbuf, n_out * kk + off + 1);
  fill (r, bbuf, n_out + off);
  fill (r, xbuf, n_frames * ldx + off + 1);
  for (i = 0; i < n_frames * ldy + off; i++)
    ybuf[i] = SENTINEL;
  for (i = 0; i < n_frames * ldy; i++)
    yref[i] = SENTINEL;

  lstm_matmul_ref (w, b, x, ldx, yref, ldy, n_out, kk, n_frames);
  k->matmul (w, b, x, ldx, y, ldy, n_out, kk, n_frames);

  for (i = 0; i < off; i++)
    g_assert_cmpfloat (ybuf[i], ==, SENTINEL);
  for (t = 0; t < n_frames; t++) {
    for (j = n_out; j < ldy; j++)
      if (y[t * ldy + j] != SENTINEL)
        g_error ("%s: n_out %" G_GSIZE_FORMAT " k %" G_GSIZE_FORMAT
            ": wrote into the row padding at frame %" G_GSIZE_FORMAT,
            k->name, n_out, kk, t);
    for (j = 0; j < n_out; j++) {
      float got = y[t * ldy + j], ref = yref[t * ldy + j];
      double exact = b ? b[j] : 0.0, mag = b ? fabs (b[j]) : 0.0, bound;

      for (i = 0; i < kk; i++) {
        exact += (double) w[j * kk + i] * x[t * ldx + i];
        mag += fabs ((double) w[j * kk + i] * x[t * ldx + i]);
      }
      /* |computed - exact| <= gamma_(k+1) * sum |terms| for any order */
      bound = (double) (kk + 1) * FLT_EPSILON * mag;
      if (!(fabs ((double) ref - exact) <= bound))
        g_error ("ref: n_out %" G_GSIZE_FORMAT " k %" G_GSIZE_FORMAT
            " frame %" G_GSIZE_FORMAT " out %" G_GSIZE_FORMAT
            ": %.9g, exact %.17g, bound %.3g", n_out, kk, t, j,
            (double) ref, exact, bound);
      if (fused) {
        if (!(fabs ((double) got - exact) <= bound))
          g_error ("%s: n_out %" G_GSIZE_FORMAT " k %" G_GSIZE_FORMAT
              " frame %" G_GSIZE_FORMAT " out %" G_GSIZE_FORMAT
              ": %.9g, exact %.17g, bound %.3g", k->name, n_out, kk, t, j,
              (double) got, exact, bound);
        if (bound > 0)
          st->worst_ratio = MAX (st->worst_ratio, fabs (got - exact) / bound);
        if (memcmp (&got, &ref, sizeof got) != 0)
          st->n_differ++;
      } else if (memcmp (&got, &ref, sizeof got) != 0) {
        g_error ("%s: n_out %" G_GSIZE_FORMAT " k %" G_GSIZE_FORMAT
            " frames %" G_GSIZE_FORMAT " (ldx %" G_GSIZE_FORMAT ", ldy %"
            G_GSIZE_FORMAT ", bias %d, offset %" G_GSIZE_FORMAT
            "): frame %" G_GSIZE_FORMAT " out %" G_GSIZE_FORMAT
            " is %.9g, the reference %.9g", k->name, n_out, kk, n_frames,
            ldx, ldy, with_bias, off, t, j, (double) got, (double) ref);
      }
      st->n_checked++;
    }
  }
}

static void
test_matmul (gconstpointer data)
{
  const gchar *name = data;
  const LstmKernels *k = lstm_kernels_get (name);
  gboolean fused = strcmp (name, "fma") == 0;
  g_autoptr (GRand) r = g_rand_new_with_seed (20240601);
  Stats st = { 0 };
  gsize kk, o, n_frames;

  g_assert_nonnull (k);
  g_assert_cmpstr (k->name, ==, name);
  for (kk = 0; kk <= MAX_K; kk++)
    for (o = 0; o < G_N_ELEMENTS (n_outs); o++)
      for (n_frames = 1; n_frames <= 9; n_frames++) {
        guint shape = (guint) (kk * 131 + o * 17 + n_frames);
        /* bias on/off, tight or padded strides, aligned or not: each
         * combination on a spread of the shapes */
        check_shape (k, fused, r, n_outs[o], kk, n_frames, TRUE, 0, 0, 0, &st);
        check_shape (k, fused, r, n_outs[o], kk, n_frames, FALSE,
            shape % 5, shape % 3, shape % 2, &st);
      }
  g_test_message ("%s: %" G_GUINT64_FORMAT " outputs checked", name,
      st.n_checked);
  if (fused)
    g_test_message ("%s: %" G_GUINT64_FORMAT " differ from ref in the last "
        "bits; worst error %.3f of the bound", name, st.n_differ,
        st.worst_ratio);
}

/* Results do not depend on how many frames are processed together: one
 * call over n frames equals n calls of one frame, bitwise, per variant. */
static void
test_matmul_frames_invariance (gconstpointer data)
{
  const LstmKernels *k = lstm_kernels_get (data);
  g_autoptr (GRand) r = g_rand_new_with_seed (7);
  gsize n_out = 13, kk = 37, n = 23, t;
  g_autofree float *w = g_new (float, n_out * kk);
  g_autofree float *b = g_new (float, n_out);
  g_autofree float *x = g_new (float, n * kk);
  g_autofree float *y1 = g_new (float, n * n_out);
  g_autofree float *y2 = g_new (float, n * n_out);

  fill (r, w, n_out * kk);
  fill (r, b, n_out);
  fill (r, x, n * kk);
  k->matmul (w, b, x, kk, y1, n_out, n_out, kk, n);
  for (t = 0; t < n; t++)
    k->matmul (w, b, x + t * kk, kk, y2 + t * n_out, n_out, n_out, kk, 1);
  g_assert_cmpmem (y1, n * n_out * sizeof (float), y2,
      n * n_out * sizeof (float));
}

static void
test_dispatch (void)
{
  const gchar *const *names = lstm_kernels_list ();
  const gchar *saved_env = g_getenv ("LSTM_KERNELS");
  g_autofree gchar *saved = g_strdup (saved_env);
  guint i;

  g_assert_cmpstr (names[0], ==, "ref");
  g_assert_cmpstr (names[1], ==, "generic");
  for (i = 0; names[i]; i++) {
    g_assert_nonnull (lstm_kernels_get (names[i]));
    g_setenv ("LSTM_KERNELS", names[i], TRUE);
    g_assert_cmpstr (lstm_kernels_get (NULL)->name, ==, names[i]);
  }
  g_assert_null (lstm_kernels_get ("sse9"));
  g_unsetenv ("LSTM_KERNELS");
  /* the default is an exact (non-fused) variant */
  g_assert_cmpstr (lstm_kernels_get (NULL)->name, !=, "fma");
  g_assert_cmpstr (lstm_kernels_get (NULL)->name, !=, "ref");
  if (saved)
    g_setenv ("LSTM_KERNELS", saved, TRUE);
}

static void
test_activations (void)
{
  float y[5] = { 1000.0f, 999.0f, -1000.0f, 0.0f, 998.0f };
  float s[6] = { -100.0f, -20.0f, -0.5f, 0.0f, 20.0f, 100.0f };
  float u[6];
  double sum = 0;
  guint i;

  /* softmax subtracts the maximum: no overflow, sums to 1 */
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_SOFTMAX, y, 5);
  for (i = 0; i < 5; i++) {
    g_assert_true (isfinite (y[i]));
    sum += y[i];
  }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (y[0], 1.0 / (1.0 + exp (-1.0) +
          exp (-2.0)), 1e-7);
  g_assert_cmpfloat (y[2], ==, 0.0f);

  memcpy (u, s, sizeof s);
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_SIGMOID, u, 6);
  for (i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (u[i], 1.0 / (1.0 + exp (-(double) s[i])),
        1e-7);
  memcpy (u, s, sizeof s);
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_TANH, u, 6);
  for (i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (u[i], tanh ((double) s[i]), 1e-7);
  memcpy (u, s, sizeof s);
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_RELU, u, 6);
  for (i = 0; i < 6; i++)
    g_assert_cmpfloat (u[i], ==, s[i] > 0 ? s[i] : 0.0f);
  memcpy (u, s, sizeof s);
  lstm_kernel_act_apply (LSTM_KERNEL_ACT_NONE, u, 6);
  g_assert_cmpmem (u, sizeof u, s, sizeof s);
}

int
main (int argc, char **argv)
{
  const gchar *const *names;
  guint i;

  g_test_init (&argc, &argv, NULL);
  names = lstm_kernels_list ();
  for (i = 0; names[i]; i++) {
    g_autofree gchar *p1 = g_strdup_printf ("/kernels/matmul/%s", names[i]);
    g_autofree gchar *p2 = g_strdup_printf ("/kernels/matmul-frames/%s",
        names[i]);
    g_test_add_data_func (p1, names[i], test_matmul);
    g_test_add_data_func (p2, names[i], test_matmul_frames_invariance);
  }
  g_test_add_func ("/kernels/dispatch", test_dispatch);
  g_test_add_func ("/kernels/activations", test_activations);
  return g_test_run ();
}
