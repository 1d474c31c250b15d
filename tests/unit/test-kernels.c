/* Unit tests: every kernel variant against lstm_matmul_ref.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Non-fused variants must be bitwise equal to the reference (the canonical
 * summation order of kernels.h); "fma" rounds once per multiply-add and is
 * held to the usual dot-product error bound instead. Every result is also
 * checked against a double-precision dot product. The packed kernels must
 * equal their variant's unpacked product bitwise, the fused LSTM step the
 * unfused equations, and the vectorised activations have their largest
 * error measured over the whole float range. The training products of
 * each variant must give the plain loops' bits (within the rounding bound
 * for "fma").
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "lstm-private.h"
#include "kernels/train-kernels.h"

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

/* matmul_packed (and its AVX-512 pairs of groups) equals the variant's
 * matmul, bitwise, over shapes straddling the 8-row groups and 8-column
 * blocks, with strides, with and without bias, 1 to 9 frames. */
static void
test_matmul_packed (gconstpointer data)
{
  const LstmKernels *k = lstm_kernels_get (data);
  static const gsize outs[] = { 1, 7, 8, 9, 15, 16, 17, 24, 33, 40 };
  static const gsize ks[] = { 1, 3, 7, 8, 9, 16, 17, 40, 64, 67 };
  g_autoptr (GRand) r = g_rand_new_with_seed (99);
  gsize o, c, n;

  if (k->matmul_packed == NULL) {
    g_test_skip ("this variant has no packed kernels");
    return;
  }
  for (o = 0; o < G_N_ELEMENTS (outs); o++)
    for (c = 0; c < G_N_ELEMENTS (ks); c++)
      for (n = 1; n <= 9; n += 4) {
        gsize n_out = outs[o], kk = ks[c], ldx = kk + n % 3, ldy = n_out + 1;
        g_autofree float *w = g_new (float, n_out * kk);
        g_autofree float *b = g_new (float, n_out);
        g_autofree float *x = g_new (float, n * ldx);
        g_autofree float *y1 = g_new0 (float, n * ldy);
        g_autofree float *y2 = g_new0 (float, n * ldy);
        g_autofree float *pk = g_malloc (lstm_packed_size (n_out, kk) *
            sizeof (float));
        LstmPackedMatrix pm;
        const float *bias = (o + c) % 2 ? b : NULL;

        fill (r, w, n_out * kk);
        fill (r, b, n_out);
        fill (r, x, n * ldx);
        lstm_pack_matrix (w, n_out, kk, pk, &pm);
        k->matmul (w, bias, x, ldx, y1, ldy, n_out, kk, n);
        k->matmul_packed (&pm, bias, x, ldx, y2, ldy, n);
        if (memcmp (y1, y2, n * ldy * sizeof (float)) != 0)
          g_error ("%s: packed product differs (n_out %" G_GSIZE_FORMAT
              " k %" G_GSIZE_FORMAT " frames %" G_GSIZE_FORMAT ")", k->name,
              n_out, kk, n);
      }
}

/* The fused step equals the unfused equations computed from the variant's
 * own product and activations, bitwise, with and without peepholes. */
static void
test_lstm_step (gconstpointer data)
{
  const LstmKernels *k = lstm_kernels_get (data);
  static const guint Hs[] = { 8, 16, 24, 40 };
  g_autoptr (GRand) r = g_rand_new_with_seed (5);
  guint hi, peep;

  if (k->lstm_step == NULL) {
    g_test_skip ("this variant has no fused step");
    return;
  }
  for (hi = 0; hi < G_N_ELEMENTS (Hs); hi++)
    for (peep = 0; peep < 2; peep++) {
      guint H = Hs[hi], j;
      g_autofree float *w = g_new (float, 4 * H * H);
      g_autofree float *b = g_new (float, 4 * H);
      g_autofree float *pc = g_new (float, 3 * H);
      g_autofree float *h = g_new (float, H);
      g_autofree float *c1 = g_new (float, H), *c2 = g_new (float, H);
      g_autofree float *g1 = g_new (float, 4 * H), *g2 = g_new (float, 4 * H);
      g_autofree float *gh = g_new (float, 4 * H);
      g_autofree float *h1 = g_new (float, H), *h2 = g_new (float, H);
      g_autofree float *pk = g_malloc (lstm_packed_size (4 * H, H) *
          sizeof (float));
      const float *p = peep ? pc : NULL;
      LstmPackedMatrix pm;

      fill (r, w, 4 * H * H);
      fill (r, b, 4 * H);
      fill (r, pc, 3 * H);
      fill (r, h, H);
      fill (r, c1, H);
      fill (r, g1, 4 * H);
      memcpy (c2, c1, H * sizeof (float));
      memcpy (g2, g1, 4 * H * sizeof (float));
      lstm_pack_matrix (w, 4 * H, H, pk, &pm);
      k->lstm_step (&pm, b, p, h, c1, h1, g1, H);

      k->matmul (w, b, h, H, gh, 4 * H, 4 * H, H, 1);
      for (j = 0; j < 4 * H; j++)
        g2[j] = g2[j] + gh[j];
      if (p)
        for (j = 0; j < H; j++) {
          g2[j] = g2[j] + p[j] * c2[j];
          g2[H + j] = g2[H + j] + p[H + j] * c2[j];
        }
      k->sigmoid (g2, 2 * H);
      k->tanh (g2 + 2 * H, H);
      for (j = 0; j < H; j++) {
        c2[j] = g2[H + j] * c2[j] + g2[j] * g2[2 * H + j];
        if (p)
          g2[3 * H + j] = g2[3 * H + j] + p[2 * H + j] * c2[j];
        h2[j] = c2[j];
      }
      k->sigmoid (g2 + 3 * H, H);
      k->tanh (h2, H);
      for (j = 0; j < H; j++)
        h2[j] = g2[3 * H + j] * h2[j];
      g_assert_cmpmem (c1, H * sizeof (float), c2, H * sizeof (float));
      g_assert_cmpmem (g1, 4 * H * sizeof (float), g2, 4 * H * sizeof (float));
      g_assert_cmpmem (h1, H * sizeof (float), h2, H * sizeof (float));
    }
}

/* The largest absolute error of @f over float inputs spread over the whole
 * range (every 509th bit pattern, both signs, and the special values),
 * against double precision; NaN must give NaN. */
static double
activation_error (void (*f) (float *, gsize), gboolean is_tanh, float *worst)
{
  enum { N = 4096 };
  float in[N], out[N];
  double max_err = 0;
  guint64 bits = 0;

  while (bits <= G_MAXUINT32) {
    gsize n = 0, i;
    for (; n < N && bits <= G_MAXUINT32; bits += 509) {
      guint32 u = (guint32) bits;
      memcpy (&in[n++], &u, sizeof u);
    }
    if (bits > G_MAXUINT32 && n + 4 <= N) {
      in[n++] = INFINITY;
      in[n++] = -INFINITY;
      in[n++] = 0.0f;
      in[n++] = -0.0f;
    }
    memcpy (out, in, n * sizeof (float));
    f (out, n);
    for (i = 0; i < n; i++) {
      double x = in[i], want, err;
      if (isnan (in[i])) {
        g_assert_true (isnan (out[i]));
        continue;
      }
      want = is_tanh ? tanh (x) : 1.0 / (1.0 + exp (-x));
      err = fabs ((double) out[i] - want);
      g_assert_false (isnan (out[i]));
      if (err > max_err) {
        max_err = err;
        *worst = in[i];
      }
    }
  }
  return max_err;
}

static void
test_vector_activations (gconstpointer data)
{
  const LstmKernels *k = lstm_kernels_get (data);
  const LstmKernels *ref = lstm_kernels_get ("ref");
  float ws, wt, rs, rt;
  double es = activation_error (k->sigmoid, FALSE, &ws);
  double et = activation_error (k->tanh, TRUE, &wt);
  double bs = activation_error (ref->sigmoid, FALSE, &rs);
  double bt = activation_error (ref->tanh, TRUE, &rt);

  g_test_message ("%s: sigmoid max abs error %.3g (at %.9g), libm's %.3g; "
      "tanh %.3g (at %.9g), libm's %.3g", k->name, es, (double) ws, bs, et,
      (double) wt, bt);
  /* within a few float32 roundings of outputs of at most 1, and never
   * more than 4 times the error of libm's expf/tanhf-based functions */
  g_assert_cmpfloat (es, <=, MAX (4 * bs, 4 * FLT_EPSILON));
  g_assert_cmpfloat (et, <=, MAX (4 * bt, 4 * FLT_EPSILON));
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

/* |a| + |b| + ... bound of an accumulated sum, for the fused variant */
static void
check_train_close (const float *got, const float *want, const double *mag,
    gsize n, gsize terms, gboolean exact)
{
  gsize i;

  for (i = 0; i < n; i++) {
    if (exact) {
      if (memcmp (&got[i], &want[i], sizeof (float)) != 0)
        g_error ("element %" G_GSIZE_FORMAT ": %.9g, plain loops %.9g", i,
            got[i], want[i]);
    } else {
      double tol = 2.0 * (terms + 1) * FLT_EPSILON * mag[i];
      if (!(fabs ((double) got[i] - want[i]) <= tol))
        g_error ("element %" G_GSIZE_FORMAT ": %.9g, plain loops %.9g "
            "(tolerance %g)", i, got[i], want[i], tol);
    }
  }
}

/* The training products of one variant against the plain loops: bitwise
 * for the non-fused variants (same order per element), within the
 * rounding bound for "fma"; over odd shapes (every tail), rows of zeros
 * (the skipped products) and one-hot rows (the sparse path). */
static void
test_train_products (gconstpointer data)
{
  const gchar *name = data;
  const LstmTrainKernels *tk = lstm_train_kernels_get (name);
  gboolean exact = strcmp (name, "fma") != 0;
  static const gsize Ms[] = { 1, 3, 4, 5, 9, 17 };
  static const gsize Ns[] = { 1, 5, 8, 16, 33, 64, 70, 130 };
  static const gsize Ts[] = { 1, 3, 8, 21 };
  GRand *r = g_rand_new_with_seed (11);
  guint im, in, it, onehot;

  if (strcmp (name, "ref") == 0) {
    g_assert_null (tk);
    g_test_skip ("ref is the plain loops");
    g_rand_free (r);
    return;
  }
  g_assert_nonnull (tk);
  g_assert_cmpstr (tk->name, ==, name);
  for (im = 0; im < G_N_ELEMENTS (Ms); im++)
    for (in = 0; in < G_N_ELEMENTS (Ns); in++)
      for (it = 0; it < G_N_ELEMENTS (Ts); it++)
        for (onehot = 0; onehot < 2; onehot++) {
          gsize M = Ms[im], N = Ns[in], T = Ts[it], lda = M + 2,
              ldb = N + 3, ldc = N + 1, i, t, m, n;
          g_autofree float *a = g_new (float, T * lda);
          g_autofree float *b = g_new (float, T * ldb);
          g_autofree float *c0 = g_new (float, M * ldc);
          g_autofree float *c1 = g_new (float, M * ldc);
          g_autofree float *y0 = g_new (float, T * ldb);
          g_autofree float *y1 = g_new (float, T * ldb);
          g_autofree double *mag = g_new0 (double, MAX (M * ldc, T * ldb));

          fill (r, a, T * lda);
          fill (r, b, T * ldb);
          fill (r, c0, M * ldc);
          for (t = 0; t < T; t++) {
            a[t * lda + g_rand_int_range (r, 0, M)] = 0.0f;
            if (onehot) {
              memset (b + t * ldb, 0, N * sizeof (float));
              b[t * ldb + g_rand_int_range (r, 0, N)] = 1.0f;
            }
          }
          memcpy (c1, c0, M * ldc * sizeof (float));

          /* C += A^T B */
          lstm_train_gemm_tn_acc_with (NULL, c0, ldc, a, lda, b, ldb, M, N,
              T);
          lstm_train_gemm_tn_acc_with (tk, c1, ldc, a, lda, b, ldb, M, N, T);
          for (m = 0; m < M; m++)
            for (n = 0; n < N; n++) {
              double s = fabs (c1[m * ldc + n]);
              for (t = 0; t < T; t++)
                s += fabs ((double) a[t * lda + m] * b[t * ldb + n]);
              mag[m * ldc + n] = s + fabs (c0[m * ldc + n]);
            }
          for (m = 0; m < M; m++)
            check_train_close (c1 + m * ldc, c0 + m * ldc, mag + m * ldc, N,
                T, exact);

          /* Y += A W with W (M, N) = the first rows of b, packed */
          if (T >= M) {
            g_autofree float *w = g_new (float, M * N);
            for (m = 0; m < M; m++)
              memcpy (w + m * N, b + m * ldb, N * sizeof (float));
            fill (r, y0, T * ldb);
            memcpy (y1, y0, T * ldb * sizeof (float));
            lstm_train_gemm_nn_acc_with (NULL, y0, ldb, a, lda, w, M, N, T);
            lstm_train_gemm_nn_acc_with (tk, y1, ldb, a, lda, w, M, N, T);
            for (t = 0; t < T; t++)
              for (n = 0; n < N; n++) {
                double s = fabs (y1[t * ldb + n]) + fabs (y0[t * ldb + n]);
                for (m = 0; m < M; m++)
                  s += fabs ((double) a[t * lda + m] * w[m * N + n]);
                mag[t * ldb + n] = s;
              }
            for (t = 0; t < T; t++)
              check_train_close (y1 + t * ldb, y0 + t * ldb, mag + t * ldb,
                  N, M, exact);
            /* y += W^T x: the first frame alone */
            lstm_train_gemv_t_acc_with (NULL, y0, w, a, M, N);
            lstm_train_gemv_t_acc_with (tk, y1, w, a, M, N);
            for (i = 0; i < N; i++)
              mag[i] = mag[i] * 2;
            check_train_close (y1, y0, mag, N, 2 * M, exact);
          }
        }
  g_rand_free (r);
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
    {
      g_autofree gchar *p3 = g_strdup_printf ("/kernels/matmul-packed/%s",
          names[i]);
      g_autofree gchar *p4 = g_strdup_printf ("/kernels/lstm-step/%s",
          names[i]);
      g_autofree gchar *p5 = g_strdup_printf ("/kernels/activations-range/%s",
          names[i]);
      g_test_add_data_func (p3, names[i], test_matmul_packed);
      g_test_add_data_func (p4, names[i], test_lstm_step);
      g_test_add_data_func (p5, names[i], test_vector_activations);
    }
    {
      g_autofree gchar *p6 = g_strdup_printf ("/kernels/train-products/%s",
          names[i]);
      g_test_add_data_func (p6, names[i], test_train_products);
    }
  }
  g_test_add_func ("/kernels/dispatch", test_dispatch);
  g_test_add_func ("/kernels/activations", test_activations);
  return g_test_run ();
}
