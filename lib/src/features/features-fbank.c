/* liblstm: Kaldi filterbank features (torchaudio.compliance.kaldi.fbank)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One window of samples at a time, in torchaudio's order: DC removal, raw
 * log energy, pre-emphasis, window, zero padding to the FFT size, power
 * (or magnitude) spectrum, mel filters, log. snip_edges=true and dither=0
 * are the only framing and dithering supported (see features-config.c).
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "features-private.h"

/* ---- the FFT: kissfft, no planner, one plan per configuration ---- */

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

gboolean
lstm_features_fft_init (LstmFeaturesFft *fft, guint n, GError **error)
{
  memset (fft, 0, sizeof *fft);
  fft->n = n;
  fft->cout = g_new0 (kiss_fft_cpx, n / 2 + 1 + (n % 2 ? n : 0));
  /* kiss_fftr runs a complex FFT of n / 2 points */
  if (lstm_fft_largest_prime_factor (n % 2 == 0 ? n / 2 : n) >
      LSTM_FFT_MAX_DIRECT_FACTOR) {
    if (!bluestein_init (fft, n, error)) {
      lstm_features_fft_clear (fft);
      return FALSE;
    }
    return TRUE;
  }
  if (n % 2 == 0)
    fft->real = kiss_fftr_alloc ((int) n, 0, NULL, NULL);
  else
    fft->complex = kiss_fft_alloc ((int) n, 0, NULL, NULL);
  if (fft->real == NULL && fft->complex == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "cannot create a %u-point FFT", n);
    lstm_features_fft_clear (fft);
    return FALSE;
  }
  if (fft->complex)
    fft->cin = g_new0 (kiss_fft_cpx, n);
  return TRUE;
}

void
lstm_features_fft_clear (LstmFeaturesFft *fft)
{
  if (fft->real)
    kiss_fftr_free (fft->real);
  if (fft->complex)
    kiss_fft_free (fft->complex);
  if (fft->bs_fwd)
    kiss_fft_free (fft->bs_fwd);
  if (fft->bs_inv)
    kiss_fft_free (fft->bs_inv);
  g_free (fft->cin);
  g_free (fft->cout);
  g_free (fft->bs_chirp);
  g_free (fft->bs_filter);
  g_free (fft->bs_a);
  g_free (fft->bs_b);
  memset (fft, 0, sizeof *fft);
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
    fft->cout[j].r = a[j].r * w[j].r - a[j].i * w[j].i;
    fft->cout[j].i = a[j].r * w[j].i + a[j].i * w[j].r;
  }
}

void
lstm_features_fft_run (LstmFeaturesFft *fft, const float *in)
{
  guint i;

  if (fft->m > 0) {
    bluestein_run (fft, in);
    return;
  }
  if (fft->real) {
    kiss_fftr (fft->real, in, fft->cout);
    return;
  }
  for (i = 0; i < fft->n; i++) {
    fft->cin[i].r = in[i];
    fft->cin[i].i = 0.0f;
  }
  kiss_fft (fft->complex, fft->cin, fft->cout);
}

/* ---- the Kaldi frame ---- */

gboolean
lstm_kaldi_frame_init (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    GError **error)
{
  memset (kf, 0, sizeof *kf);
  kf->window_size = lstm_kaldi_window_size (cfg);
  kf->padded_size = lstm_kaldi_padded_size (cfg);
  kf->window = g_new (float, kf->window_size);
  kf->work = g_new0 (float, kf->padded_size);
  kf->spec = g_new0 (float, kf->padded_size / 2 + 1);
  kf->mel = g_new0 (float, cfg->num_mel_bins);
  lstm_kaldi_window_fill (cfg->window_type, cfg->blackman_coeff,
      kf->window_size, kf->window);
  kf->log_energy_floor = cfg->energy_floor == 0.0 ? -INFINITY :
      (float) log (cfg->energy_floor);
  if (!lstm_features_fft_init (&kf->fft, kf->padded_size, error) ||
      !lstm_mel_bank_init_kaldi (&kf->bank, cfg, kf->padded_size, error)) {
    lstm_kaldi_frame_clear (kf);
    return FALSE;
  }
  return TRUE;
}

void
lstm_kaldi_frame_clear (LstmKaldiFrame *kf)
{
  g_free (kf->window);
  g_free (kf->work);
  g_free (kf->spec);
  g_free (kf->mel);
  g_free (kf->dct);
  g_free (kf->lifter);
  lstm_features_fft_clear (&kf->fft);
  lstm_mel_bank_clear (&kf->bank);
  memset (kf, 0, sizeof *kf);
}

guint
lstm_fbank_size (const LstmFeaturesConfig *cfg)
{
  if (cfg->kind == LSTM_FEATURES_MFCC)
    return cfg->num_ceps;
  return cfg->num_mel_bins + (cfg->use_energy ? 1 : 0);
}

/* The sum of @x[i]^2 in double, in four interleaved partial sums (they
 * vectorise; a float32 input squared is exact in double, and the order of
 * the additions moves the result by far less than a float ulp). */
static double
sum_squares (const float *x, guint n)
{
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  guint i;

  for (i = 0; i + 4 <= n; i += 4) {
    s0 += (double) x[i] * (double) x[i];
    s1 += (double) x[i + 1] * (double) x[i + 1];
    s2 += (double) x[i + 2] * (double) x[i + 2];
    s3 += (double) x[i + 3] * (double) x[i + 3];
  }
  for (; i < n; i++)
    s0 += (double) x[i] * (double) x[i];
  return (s0 + s1) + (s2 + s3);
}

/* The sum of @x in double, the same way. */
static double
sum_values (const float *x, guint n)
{
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  guint i;

  for (i = 0; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; i++)
    s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

/* _get_log_energy: log(max(sum x^2, eps)), floored at log(energy_floor) */
static float
log_energy (const LstmKaldiFrame *kf, const float *x, guint n)
{
  float e = logf (MAX ((float) sum_squares (x, n), FLT_EPSILON));

  return MAX (e, kf->log_energy_floor);
}

float
lstm_kaldi_log_mel (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, gboolean log_power)
{
  const guint w = kf->window_size, n = kf->padded_size;
  float *x = kf->work;
  float energy = 0.0f;
  guint i, m;

  if (cfg->remove_dc_offset) {
    const float mean = (float) (sum_values (samples, w) / w);
    for (i = 0; i < w; i++)
      x[i] = samples[i] - mean;
  } else {
    memcpy (x, samples, w * sizeof (float));
  }
  if (cfg->raw_energy)
    energy = log_energy (kf, x, w);
  if (cfg->preemphasis_coefficient != 0.0) {
    /* x[i] - c * x[i - 1], with x[-1] = x[0] (replicate padding), and the
     * window, in one pass from the end */
    const float c = (float) cfg->preemphasis_coefficient;
    const float *win = kf->window;
    for (i = w - 1; i > 0; i--)
      x[i] = (x[i] - c * x[i - 1]) * win[i];
    x[0] = (x[0] - c * x[0]) * win[0];
  } else {
    for (i = 0; i < w; i++)
      x[i] = x[i] * kf->window[i];
  }
  memset (x + w, 0, (n - w) * sizeof (float));
  if (!cfg->raw_energy)
    energy = log_energy (kf, x, n);

  lstm_features_fft_run (&kf->fft, x);
  {
    const kiss_fft_cpx *X = kf->fft.cout;
    if (log_power || cfg->use_power) {
      for (i = 0; i <= n / 2; i++)
        kf->spec[i] = X[i].r * X[i].r + X[i].i * X[i].i;
    } else {
      for (i = 0; i <= n / 2; i++)
        kf->spec[i] = sqrtf (X[i].r * X[i].r + X[i].i * X[i].i);
    }
  }
  lstm_mel_bank_apply (&kf->bank, kf->spec, kf->mel);
  if (log_power || cfg->use_log_fbank)
    for (m = 0; m < cfg->num_mel_bins; m++)
      kf->mel[m] = logf (MAX (kf->mel[m], FLT_EPSILON));
  return energy;
}

void
lstm_fbank_compute (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, float *out)
{
  const guint nb = cfg->num_mel_bins;
  float energy = lstm_kaldi_log_mel (kf, cfg, samples, FALSE);

  if (!cfg->use_energy) {
    memcpy (out, kf->mel, nb * sizeof (float));
  } else if (cfg->htk_compat) {
    memcpy (out, kf->mel, nb * sizeof (float));
    out[nb] = energy;
  } else {
    out[0] = energy;
    memcpy (out + 1, kf->mel, nb * sizeof (float));
  }
}
