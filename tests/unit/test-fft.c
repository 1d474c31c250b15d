/* The feature extractors' FFT: our own for sizes whose prime factors are
 * 2, 3 and 5 (every variant: scalar, and the vector ones this CPU runs),
 * Bluestein's algorithm for the others (O(n log n) whatever the size, no
 * allocation per call). Checked against a DFT in double precision
 * computed here.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "alloc-counter.h"
#include "features-private.h"

static float *
random_input (guint n, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  float *x = g_new (float, n);
  guint i;

  for (i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (r, -1.0, 1.0);
  return x;
}

/* Bins 0..n/2 of the DFT of @x, in double, with exact twiddles. */
static double *
reference_dft (const float *x, guint n)
{
  double *ref = g_new0 (double, 2 * (n / 2 + 1));
  g_autofree double *c = g_new (double, n);
  g_autofree double *s = g_new (double, n);
  guint j, k;

  for (j = 0; j < n; j++) {
    c[j] = cos (2 * G_PI * j / n);
    s[j] = sin (2 * G_PI * j / n);
  }
  for (k = 0; k <= n / 2; k++) {
    double re = 0, im = 0;
    guint64 idx = 0;
    for (j = 0; j < n; j++) {
      re += x[j] * c[idx];
      im -= x[j] * s[idx];
      idx += k;
      if (idx >= n)
        idx -= n;
    }
    ref[2 * k] = re;
    ref[2 * k + 1] = im;
  }
  return ref;
}

typedef struct {
  guint n;
  const gchar *variant;
} Case;

/* Every bin within a float32 error budget of the reference, whatever the
 * variant: the worst bin within 1e-6 of the input's L1 norm (the bound of
 * any bin's magnitude) times log2(n), and the RMS error within 2.5e-7
 * log2(n) of the spectrum's RMS (a float32 FFT's error grows as
 * eps log2(n); a wrong twiddle or index gives errors of the order of the
 * spectrum itself). */
static void
test_accuracy (gconstpointer data)
{
  const Case *c = data;
  const guint n = c->n;
  g_autofree float *x = random_input (n, n);
  g_autofree double *ref = reference_dft (x, n);
  g_autoptr (GError) error = NULL;
  LstmFeaturesFft fft;
  double l1 = 0, worst = 0, err2 = 0, ref2 = 0, budget;
  guint j;

  g_assert_true (lstm_features_fft_init_variant (&fft, n, c->variant,
          &error));
  g_assert_no_error (error);
  lstm_features_fft_run (&fft, x);
  for (j = 0; j < n; j++)
    l1 += fabs (x[j]);
  for (j = 0; j <= n / 2; j++) {
    double dr = fft.re[j] - ref[2 * j];
    double di = fft.im[j] - ref[2 * j + 1];
    worst = MAX (worst, sqrt (dr * dr + di * di));
    err2 += dr * dr + di * di;
    ref2 += ref[2 * j] * ref[2 * j] + ref[2 * j + 1] * ref[2 * j + 1];
  }
  budget = log2 (MAX (n, 2));
  g_test_message ("n %u (largest prime factor %u, %s, %s): worst error "
      "%.3g (L1 %.1f), relative RMS error %.3g", n,
      lstm_fft_largest_prime_factor (n), fft.m ? "Bluestein" : "ours",
      fft.plan ? fft.plan->variant : "-", worst, l1, sqrt (err2 / ref2));
  g_assert_cmpfloat (worst, <=, 1e-6 * l1 * budget);
  g_assert_cmpfloat (sqrt (err2 / ref2), <=, 2.5e-7 * budget);
  /* the method is the one documented for the size */
  g_assert_cmpint (fft.m > 0, ==, lstm_fft_largest_prime_factor (n % 2 ?
          n : n / 2) > LSTM_FFT_MAX_DIRECT_FACTOR);
  g_assert_cmpint (fft.plan != NULL, ==, fft.m == 0 && n > 1);
  if (fft.plan) {
    gboolean vector = strcmp (c->variant, "scalar") != 0 && n % 2 == 0 &&
        (n / 2) % LSTM_FFT_LANES == 0;
    g_assert_cmpuint (fft.plan->lanes, ==, vector ? LSTM_FFT_LANES : 1);
    g_assert_cmpstr (fft.plan->variant, ==, vector ? c->variant : "scalar");
  }
  lstm_features_fft_clear (&fft);
}

/* The vector variants run the same operations on each lane: their
 * spectra are bitwise equal. Each transform allocates nothing, and a
 * second run on the same input gives the same bits. */
static void
test_variants_agree (gconstpointer data)
{
  const guint n = GPOINTER_TO_UINT (data);
  const gchar *const *v;
  g_autofree float *x = random_input (n, 3 * n);
  g_autofree float *re0 = g_new (float, n / 2 + 1);
  g_autofree float *im0 = g_new (float, n / 2 + 1);
  guint compared = 0;

  for (v = lstm_fft_variants (); *v; v++) {
    LstmFeaturesFft fft;
    if (strcmp (*v, "scalar") == 0)
      continue;
    g_assert_true (lstm_features_fft_init_variant (&fft, n, *v, NULL));
    g_assert_cmpuint (fft.plan->lanes, ==, LSTM_FFT_LANES);
    lstm_features_fft_run (&fft, x);
    if (alloc_counter_available ()) {
      alloc_counter_start ();
      lstm_features_fft_run (&fft, x);
      g_assert_cmpuint (alloc_counter_stop (NULL), ==, 0);
    }
    if (compared == 0) {
      memcpy (re0, fft.re, (n / 2 + 1) * sizeof (float));
      memcpy (im0, fft.im, (n / 2 + 1) * sizeof (float));
    } else {
      g_assert_cmpmem (re0, (n / 2 + 1) * sizeof (float), fft.re,
          (n / 2 + 1) * sizeof (float));
      g_assert_cmpmem (im0, (n / 2 + 1) * sizeof (float), fft.im,
          (n / 2 + 1) * sizeof (float));
    }
    compared++;
    lstm_features_fft_clear (&fft);
  }
  g_test_message ("%u vector variants compared", compared);
  g_assert_cmpuint (compared, >=, 1);
}

static void
test_bad_variant (void)
{
  g_autoptr (GError) error = NULL;
  LstmFeaturesFft fft;

  guint i;

  /* a vector size, a scalar one, a Bluestein one */
  for (i = 0; i < 3; i++) {
    static const guint n[] = { 512, 30, 401 };
    g_assert_false (lstm_features_fft_init_variant (&fft, n[i], "sse9",
            &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "sse9"));
    g_assert_null (fft.plan);
    g_assert_null (fft.re);
    g_clear_error (&error);
  }
}

/* Large prime sizes (kissfft alone: O(n^2), seconds to hours per frame):
 * plan and one transform in well under a second each, and the transform
 * allocates nothing. Bin 1 is checked against its double-precision sum. */
static void
test_large_prime (gconstpointer data)
{
  const guint n = GPOINTER_TO_UINT (data);
  g_autofree float *x = random_input (n, 7);
  LstmFeaturesFft fft;
  double re = 0, im = 0, l1 = 0, t;
  gint64 t0;
  guint j;

  g_assert_cmpuint (lstm_fft_largest_prime_factor (n), ==, n);
  t0 = g_get_monotonic_time ();
  g_assert_true (lstm_features_fft_init (&fft, n, NULL));
  lstm_features_fft_run (&fft, x);
  t = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("%u-point FFT: plan and one run in %.3f s", n, t);
  g_assert_cmpfloat (t, <, 10.0);
  if (alloc_counter_available ()) {
    alloc_counter_start ();
    lstm_features_fft_run (&fft, x);
    g_assert_cmpuint (alloc_counter_stop (NULL), ==, 0);
  }
  for (j = 0; j < n; j++) {
    double a = 2 * G_PI * (double) j / n;
    re += x[j] * cos (a);
    im -= x[j] * sin (a);
    l1 += fabs (x[j]);
  }
  g_assert_cmpfloat (fabs (fft.re[1] - re), <=, 1e-6 * l1 * log2 (n));
  g_assert_cmpfloat (fabs (fft.im[1] - im), <=, 1e-6 * l1 * log2 (n));
  lstm_features_fft_clear (&fft);
}

static void
test_prime_factor (void)
{
  g_assert_cmpuint (lstm_fft_largest_prime_factor (1), ==, 1);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (2), ==, 2);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (400), ==, 5);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (1102), ==, 29);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (4096), ==, 2);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (4099), ==, 4099);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (65521 * 2), ==, 65521);
  g_assert_cmpuint (lstm_fft_largest_prime_factor (49), ==, 7);
}

int
main (int argc, char **argv)
{
  /* small, smooth (factors 2, 3, 5: ours, vector or scalar), odd, prime
   * and other sizes with a large prime factor (Bluestein) */
  static const guint sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    15, 16, 18, 20, 24, 25, 27, 30, 32, 40, 45, 48, 50, 60, 64, 75, 80, 96,
    97, 100, 120, 125, 128, 144, 160, 192, 200, 240, 250, 256, 320, 384,
    400, 401, 480, 500, 512, 600, 640, 720, 750, 768, 800, 960, 1000, 1001,
    1024, 1102, 1200, 1536, 2000, 2048, 2187, 3125, 4096, 4099, 6000, 8000,
    8198
  };
  static const guint agree[] = { 16, 48, 80, 160, 400, 512, 1024, 6000 };
  static const guint primes[] = { 65521, 1048573 };
  const gchar *const *v;
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fft/largest-prime-factor", test_prime_factor);
  g_test_add_func ("/fft/bad-variant", test_bad_variant);
  for (v = lstm_fft_variants (); *v; v++)
    for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
      g_autofree gchar *p = g_strdup_printf ("/fft/accuracy/%s/%u", *v,
          sizes[i]);
      Case *c = g_new (Case, 1);
      c->n = sizes[i];
      c->variant = *v;
      g_test_add_data_func_full (p, c, test_accuracy, g_free);
    }
  for (i = 0; i < G_N_ELEMENTS (agree); i++) {
    g_autofree gchar *p = g_strdup_printf ("/fft/variants-agree/%u",
        agree[i]);
    g_test_add_data_func (p, GUINT_TO_POINTER (agree[i]),
        test_variants_agree);
  }
  for (i = 0; i < G_N_ELEMENTS (primes); i++) {
    g_autofree gchar *p = g_strdup_printf ("/fft/large-prime/%u", primes[i]);
    g_test_add_data_func (p, GUINT_TO_POINTER (primes[i]), test_large_prime);
  }
  return g_test_run ();
}
