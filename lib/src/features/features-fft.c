/* liblstm: the features' real-input FFT
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sizes whose factors are 2, 3 and 5 (every window the recipes use: 512
 * points for Kaldi's 400-sample windows, n_fft 400, 1024, ...) run our own
 * FFT: a real FFT of n points as a complex FFT of n / 2 points plus a
 * split, the complex FFT a Stockham autosort FFT (radix 4, 2, 3 and 5
 * stages, features-fft-stages.h) with precomputed twiddles. When n / 2 is
 * a multiple of 8, the complex FFT is computed in the four-step form on
 * 8-float vectors (features-fft-simd.c, built for the baseline, AVX2 and
 * AVX-512 and chosen at run time; LSTM_FFT_KERNELS forces a variant:
 * scalar, generic, avx2, avx512). The vector variants give identical bits
 * (the same operations on each lane); the scalar path differs from them
 * within float rounding.
 *
 * Other sizes (a prime factor above 5) use Bluestein's algorithm over
 * kissfft's power-of-2 FFTs: O(n log n) for any size.
 *
 * No planner, no allocation per transform: the plan holds every twiddle
 * and scratch buffer, so a frame's bits never depend on what ran before.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features-private.h"

#define FFT_T float
#define FFT_SUFFIX scalar
#include "features-fft-stages.h"

guint
lstm_fft_largest_prime_factor (guint n)
{
  guint p = 1, f;

  for (f = 2; (guint64) f * f <= n; f++)
    while (n % f == 0) {
      p = f;
      n /= f;
    }
  return n > 1 ? MAX (p, n) : p;
}

/* ---- variants ---- */

static gboolean
cpu_has (const gchar *variant)
{
  if (strcmp (variant, "scalar") == 0 || strcmp (variant, "generic") == 0)
    return TRUE;
#ifdef LSTM_HAVE_AVX2
  __builtin_cpu_init ();
  if (strcmp (variant, "avx2") == 0)
    return __builtin_cpu_supports ("avx2");
#endif
#ifdef LSTM_HAVE_AVX512
  if (strcmp (variant, "avx512") == 0)
    return __builtin_cpu_supports ("avx512f") &&
        __builtin_cpu_supports ("avx512vl") &&
        __builtin_cpu_supports ("avx512dq");
#endif
  return FALSE;
}

const gchar *const *
lstm_fft_variants (void)
{
  static const gchar *names[5];
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    static const gchar *const all[] = { "scalar", "generic", "avx2",
      "avx512"
    };
    guint i, k = 0;
    for (i = 0; i < G_N_ELEMENTS (all); i++)
      if (cpu_has (all[i]))
        names[k++] = all[i];
    names[k] = NULL;
    g_once_init_leave (&once, 1);
  }
  return names;
}

static LstmFftRunFunc
vector_run (const gchar *variant)
{
  if (strcmp (variant, "generic") == 0)
    return lstm_fft_run_generic;
#ifdef LSTM_HAVE_AVX2
  if (strcmp (variant, "avx2") == 0)
    return lstm_fft_run_avx2;
#endif
#ifdef LSTM_HAVE_AVX512
  if (strcmp (variant, "avx512") == 0)
    return lstm_fft_run_avx512;
#endif
  return NULL;
}

/* The variant to use when none is named: the environment's, else the
 * widest this CPU runs. Without AVX2, scalar: the baseline build of the
 * vector code ("generic", two SSE registers per vector, its shuffles
 * split up) measured slower than the scalar code; it stays available to
 * force (LSTM_FFT_KERNELS=generic) and is tested. */
static const gchar *
default_variant (void)
{
  const gchar *env = g_getenv ("LSTM_FFT_KERNELS");
  const gchar *const *v;
  const gchar *best = "scalar";

  if (env != NULL && *env != '\0')
    return env;
  for (v = lstm_fft_variants (); *v; v++)
    if (strcmp (*v, "avx2") == 0 || strcmp (*v, "avx512") == 0)
      best = *v;
  return best;
}

/* ---- the scalar path ---- */

/* The real split: with A = Z[k], B = conj Z[m - k] (Z[m] = Z[0]),
 * X[k] = (A + B) / 2 + (-i W_n^k / 2) (A - B), k = 0..m. */
static void
split_scalar (const LstmFftPlan *plan, const float *zr, const float *zi,
    float *re, float *im)
{
  const guint m = plan->m;
  guint k;

  for (k = 0; k <= m; k++) {
    const guint j = k == 0 ? 0 : (k == m ? 0 : m - k);
    const guint kk = k == m ? 0 : k;
    const float ar = zr[kk], ai = zi[kk], br = zr[j], bi = -zi[j];
    const float er = (ar + br) * 0.5f, ei = (ai + bi) * 0.5f;
    const float dr = ar - br, di = ai - bi;
    const float wr = plan->split_twr[k], wi = plan->split_twi[k];
    re[k] = er + (dr * wr - di * wi);
    im[k] = ei + (dr * wi + di * wr);
  }
}

static void
run_scalar (const LstmFftPlan *plan, const float *in, float *re, float *im)
{
  const guint m = plan->m;
  float *xr = plan->work, *xi = xr + m, *yr = xi + m, *yi = yr + m;
  gboolean in_y;
  guint j;

  if (plan->n % 2 == 0) {
    for (j = 0; j < m; j++) {
      xr[j] = in[2 * j];
      xi[j] = in[2 * j + 1];
    }
  } else {
    memcpy (xr, in, m * sizeof (float));
    memset (xi, 0, m * sizeof (float));
  }
  in_y = fft_stages_scalar (plan, xr, xi, yr, yi);
  if (in_y) {
    xr = yr;
    xi = yi;
  }
  if (plan->n % 2 == 0) {
    split_scalar (plan, xr, xi, re, im);
  } else {
    memcpy (re, xr, (m / 2 + 1) * sizeof (float));
    memcpy (im, xi, (m / 2 + 1) * sizeof (float));
  }
}

/* ---- plans ---- */

/* exp(-2 pi i k / n), in double, rounded */
static void
twiddle (guint64 k, guint64 n, float *re, float *im)
{
  const double a = 2.0 * G_PI * (double) (k % n) / (double) n;

  *re = (float) cos (a);
  *im = (float) -sin (a);
}

static float *
aligned_floats (gsize n)
{
  void *p = NULL;

  if (posix_memalign (&p, 64, MAX (n, 1) * sizeof (float)) != 0)
    g_error ("out of memory (%" G_GSIZE_FORMAT " floats)", n);
  memset (p, 0, MAX (n, 1) * sizeof (float));
  return p;
}

/* Stockham stages for @len points: radix 4 while it divides, then 2, 3
 * and 5. FALSE if another factor is left. */
static gboolean
plan_stages (LstmFftPlan *plan, guint len)
{
  static const guint radices[] = { 4, 2, 3, 5 };
  guint n = len, s = 1, i;

  plan->n_stages = 0;
  for (i = 0; i < G_N_ELEMENTS (radices); i++) {
    const guint p = radices[i];
    while (n > 1 && n % p == 0 && !(p == 2 && n % 4 == 0)) {
      LstmFftStage *st = &plan->stages[plan->n_stages++];
      const guint m = n / p;
      guint q, j;
      g_assert (plan->n_stages <= LSTM_FFT_MAX_STAGES);
      st->p = p;
      st->n = n;
      st->s = s;
      st->twr = g_new (float, (gsize) m * (p - 1));
      st->twi = g_new (float, (gsize) m * (p - 1));
      for (q = 0; q < m; q++)
        for (j = 1; j < p; j++)
          twiddle ((guint64) j * q, n, &st->twr[q * (p - 1) + j - 1],
              &st->twi[q * (p - 1) + j - 1]);
      n = m;
      s *= p;
    }
  }
  return n == 1;
}

/* @variant, or the default one if NULL, when this CPU runs it; else NULL
 * with @error set. */
static const gchar *
check_variant (const gchar *variant, GError **error)
{
  const gchar *const *v;

  if (variant == NULL)
    variant = default_variant ();
  for (v = lstm_fft_variants (); *v; v++)
    if (strcmp (*v, variant) == 0)
      return *v;
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
      "FFT variant '%s' is unknown or not supported by this CPU "
      "(scalar, generic, avx2, avx512)", variant);
  return NULL;
}

LstmFftPlan *
lstm_fft_plan_new (guint n, const gchar *variant, GError **error)
{
  LstmFftPlan *plan;
  guint m, k;

  variant = check_variant (variant, error);
  if (variant == NULL)
    return NULL;
  if (n < 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "cannot create a %u-point FFT", n);
    return NULL;
  }
  m = n % 2 == 0 ? n / 2 : n;
  if (lstm_fft_largest_prime_factor (m) > LSTM_FFT_MAX_DIRECT_FACTOR) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "a %u-point FFT has a prime factor above %d", n,
        LSTM_FFT_MAX_DIRECT_FACTOR);
    return NULL;
  }
  plan = g_new0 (LstmFftPlan, 1);
  plan->n = n;
  plan->m = m;
  plan->lanes = 1;
  plan->run = run_scalar;
  plan->variant = "scalar";
  if (n % 2 == 0 && m % LSTM_FFT_LANES == 0 && vector_run (variant)) {
    plan->lanes = LSTM_FFT_LANES;
    plan->run = vector_run (variant);
    plan->variant = variant;
  }
  plan->n1 = m / plan->lanes;
  if (!plan_stages (plan, plan->n1)) {
    /* unreachable: the factors were checked */
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "cannot create a %u-point FFT", n);
    lstm_fft_plan_free (plan);
    return NULL;
  }
  if (plan->lanes > 1) {
    guint k1, n2;
    plan->row_twr = aligned_floats ((gsize) m);
    plan->row_twi = aligned_floats ((gsize) m);
    for (k1 = 0; k1 < plan->n1; k1++)
      for (n2 = 0; n2 < plan->lanes; n2++)
        twiddle ((guint64) n2 * k1, m, &plan->row_twr[k1 * plan->lanes + n2],
            &plan->row_twi[k1 * plan->lanes + n2]);
  }
  if (n % 2 == 0) {
    plan->split_twr = g_new (float, m + 1);
    plan->split_twi = g_new (float, m + 1);
    for (k = 0; k <= m; k++) {
      float wr, wi;
      twiddle (k, n, &wr, &wi);
      /* -i (wr + i wi) / 2 */
      plan->split_twr[k] = wi * 0.5f;
      plan->split_twi[k] = -wr * 0.5f;
    }
  }
  plan->work = aligned_floats (4 * (gsize) m);
  plan->zr = aligned_floats ((gsize) m + 1);
  plan->zi = aligned_floats ((gsize) m + 1);
  return plan;
}

void
lstm_fft_plan_free (LstmFftPlan *plan)
{
  guint k;

  if (plan == NULL)
    return;
  for (k = 0; k < plan->n_stages; k++) {
    g_free (plan->stages[k].twr);
    g_free (plan->stages[k].twi);
  }
  free (plan->row_twr);
  free (plan->row_twi);
  g_free (plan->split_twr);
  g_free (plan->split_twi);
  free (plan->work);
  free (plan->zr);
  free (plan->zi);
  g_free (plan);
}

/* ---- Bluestein, for sizes with a prime factor above 5 ---- */

/* Bluestein's algorithm (chirp z-transform): with w_j = exp(-i pi j^2/n),
 * X_k = w_k sum_j (x_j w_j) conj(w_{k-j}), a convolution done with two
 * power-of-2 FFTs and a precomputed one. j^2 is reduced modulo 2n in
 * integers before the angle is taken, so the chirp stays accurate for any
 * n. */
static gboolean
bluestein_init (LstmFeaturesFft *fft, guint n, GError **error)
{
  guint m = 1, j;

  while (m < 2 * n - 1)
    m <<= 1;
  fft->m = m;
  fft->bs_fwd = kiss_fft_alloc ((int) m, 0, NULL, NULL);
  fft->bs_inv = kiss_fft_alloc ((int) m, 1, NULL, NULL);
  if (fft->bs_fwd == NULL || fft->bs_inv == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "cannot create a %u-point FFT (Bluestein, %u points)", n, m);
    return FALSE;
  }
  fft->bs_chirp = g_new (kiss_fft_cpx, n);
  fft->bs_filter = g_new0 (kiss_fft_cpx, m);
  fft->bs_a = g_new0 (kiss_fft_cpx, m);
  fft->bs_b = g_new0 (kiss_fft_cpx, m);
  for (j = 0; j < n; j++) {
    guint64 q = (guint64) j * j % (2 * (guint64) n);
    double angle = G_PI * (double) q / n;
    fft->bs_chirp[j].r = (float) cos (angle);
    fft->bs_chirp[j].i = (float) -sin (angle);
  }
  /* the conjugate chirp at lags -(n-1)..(n-1), wrapped, scaled by 1/m for
   * the unnormalised inverse */
  for (j = 0; j < n; j++) {
    kiss_fft_cpx c = { fft->bs_chirp[j].r / m, -fft->bs_chirp[j].i / m };
    fft->bs_a[j] = c;
    if (j > 0)
      fft->bs_a[m - j] = c;
  }
  kiss_fft (fft->bs_fwd, fft->bs_a, fft->bs_filter);
  return TRUE;
}

static void
bluestein_run (LstmFeaturesFft *fft, const float *in)
{
  const kiss_fft_cpx *w = fft->bs_chirp;
  kiss_fft_cpx *a = fft->bs_a, *b = fft->bs_b;
  const guint n = fft->n, m = fft->m;
  guint j;

  /* a = x w, zero-padded to m */
  for (j = 0; j < n; j++) {
    a[j].r = in[j] * w[j].r;
    a[j].i = in[j] * w[j].i;
  }
  memset (a + n, 0, (m - n) * sizeof *a);
  kiss_fft (fft->bs_fwd, a, b);
  for (j = 0; j < m; j++) {
    const kiss_fft_cpx x = b[j], f = fft->bs_filter[j];
    b[j].r = x.r * f.r - x.i * f.i;
    b[j].i = x.r * f.i + x.i * f.r;
  }
  kiss_fft (fft->bs_inv, b, a);
  /* X_k = w_k (a * conj w)_k */
  for (j = 0; j <= n / 2; j++) {
    fft->re[j] = a[j].r * w[j].r - a[j].i * w[j].i;
    fft->im[j] = a[j].r * w[j].i + a[j].i * w[j].r;
  }
}

/* ---- the frame's FFT ---- */

gboolean
lstm_features_fft_init_variant (LstmFeaturesFft *fft, guint n,
    const gchar *variant, GError **error)
{
  memset (fft, 0, sizeof *fft);
  fft->n = n;
  /* a variant this CPU cannot run is refused whatever the size */
  if (check_variant (variant, error) == NULL)
    return FALSE;
  if (n == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "cannot create a 0-point FFT");
    return FALSE;
  }
  fft->re = aligned_floats (n / 2 + 1);
  fft->im = aligned_floats (n / 2 + 1);
  if (n >= 2 && lstm_fft_largest_prime_factor (n % 2 == 0 ? n / 2 : n) <=
      LSTM_FFT_MAX_DIRECT_FACTOR) {
    fft->plan = lstm_fft_plan_new (n, variant, error);
    if (fft->plan == NULL) {
      lstm_features_fft_clear (fft);
      return FALSE;
    }
    return TRUE;
  }
  if (n == 1)
    return TRUE;                /* X_0 = x_0 */
  if (!bluestein_init (fft, n, error)) {
    lstm_features_fft_clear (fft);
    return FALSE;
  }
  return TRUE;
}

gboolean
lstm_features_fft_init (LstmFeaturesFft *fft, guint n, GError **error)
{
  return lstm_features_fft_init_variant (fft, n, NULL, error);
}

void
lstm_features_fft_clear (LstmFeaturesFft *fft)
{
  lstm_fft_plan_free (fft->plan);
  if (fft->bs_fwd)
    kiss_fft_free (fft->bs_fwd);
  if (fft->bs_inv)
    kiss_fft_free (fft->bs_inv);
  free (fft->re);
  free (fft->im);
  g_free (fft->bs_chirp);
  g_free (fft->bs_filter);
  g_free (fft->bs_a);
  g_free (fft->bs_b);
  memset (fft, 0, sizeof *fft);
}

void
lstm_features_fft_run (LstmFeaturesFft *fft, const float *in)
{
  if (fft->plan != NULL) {
    fft->plan->run (fft->plan, in, fft->re, fft->im);
    return;
  }
  if (fft->m > 0) {
    bluestein_run (fft, in);
    return;
  }
  fft->re[0] = in[0];           /* n = 1 */
  fft->im[0] = 0.0f;
}
