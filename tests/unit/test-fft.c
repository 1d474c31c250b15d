/* The feature extractors' FFT: kissfft for sizes whose prime factors are
 * small, Bluestein's algorithm for the others (O(n log n) whatever the
 * size, no allocation per call). Checked against a DFT in double
 * precision computed here.
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

/* Every bin within a float32 error budget of the reference: 1e-6 of the
 * input's L1 norm (the bound of any bin's magnitude) times log2(n). */
static void
test_accuracy (gconstpointer data)
{
  const guint n = GPOINTER_TO_UINT (data);
  g_autofree float *x = random_input (n, n);
  g_autofree double *ref = reference_dft (x, n);
  g_autoptr (GError) error = NULL;
  LstmFeaturesFft fft;
  double l1 = 0, worst = 0;
  guint j;

  g_assert_true (lstm_features_fft_init (&fft, n, &error));
  g_assert_no_error (error);
  lstm_features_fft_run (&fft, x);
  for (j = 0; j < n; j++)
    l1 += fabs (x[j]);
  for (j = 0; j <= n / 2; j++) {
    double dr = fft.cout[j].r - ref[2 * j];
    double di = fft.cout[j].i - ref[2 * j + 1];
    worst = MAX (worst, sqrt (dr * dr + di * di));
  }
  g_test_message ("n %u (largest prime factor %u, %s): worst error %.3g, "
      "L1 %.1f", n, lstm_fft_largest_prime_factor (n), fft.m ? "Bluestein" :
      "kissfft", worst, l1);
  g_assert_cmpfloat (worst, <=, 1e-6 * l1 * log2 (n));
  /* the method is the one documented for the size */
  g_assert_cmpint (fft.m > 0, ==, lstm_fft_largest_prime_factor (n % 2 ?
          n : n / 2) > LSTM_FFT_MAX_DIRECT_FACTOR);
  lstm_features_fft_clear (&fft);
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
  g_assert_cmpfloat (fabs (fft.cout[1].r - re), <=, 1e-6 * l1 * log2 (n));
  g_assert_cmpfloat (fabs (fft.cout[1].i - im), <=, 1e-6 * l1 * log2 (n));
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
  static const guint sizes[] = { 2, 3, 400, 401, 512, 1001, 1102, 2187,
    4096, 4099, 8198
  };
  static const guint primes[] = { 65521, 1048573 };
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fft/largest-prime-factor", test_prime_factor);
  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree gchar *p = g_strdup_printf ("/fft/accuracy/%u", sizes[i]);
    g_test_add_data_func (p, GUINT_TO_POINTER (sizes[i]), test_accuracy);
  }
  for (i = 0; i < G_N_ELEMENTS (primes); i++) {
    g_autofree gchar *p = g_strdup_printf ("/fft/large-prime/%u", primes[i]);
    g_test_add_data_func (p, GUINT_TO_POINTER (primes[i]), test_large_prime);
  }
  return g_test_run ();
}
