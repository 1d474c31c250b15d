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

/* The sum of @x[i]^2 in double, in four interleaved partial sums (written
 * as vectors; a float32 input squared is exact in double, and the order of
 * the additions moves the result by far less than a float ulp). */
static double
sum_squares (const float *x, guint n)
{
  /* s_j over i = j mod 4, as two vectors; the tail into s_0 */
  LstmV2df s01 = { 0.0, 0.0 }, s23 = { 0.0, 0.0 };
  double s0;
  guint i;

  for (i = 0; i + 4 <= n; i += 4) {
    const LstmV2df lo = lstm_v2df_load (x + i), hi = lstm_v2df_load (x + i + 2);
    s01 += lo * lo;
    s23 += hi * hi;
  }
  s0 = s01[0];
  for (; i < n; i++)
    s0 += (double) x[i] * (double) x[i];
  return (s0 + s01[1]) + (s23[0] + s23[1]);
}

/* The sum of @x in double, the same way. */
static double
sum_values (const float *x, guint n)
{
  LstmV2df s01 = { 0.0, 0.0 }, s23 = { 0.0, 0.0 };
  double s0;
  guint i;

  for (i = 0; i + 4 <= n; i += 4) {
    s01 += lstm_v2df_load (x + i);
    s23 += lstm_v2df_load (x + i + 2);
  }
  s0 = s01[0];
  for (; i < n; i++)
    s0 += x[i];
  return (s0 + s01[1]) + (s23[0] + s23[1]);
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
    const float *re = kf->fft.re, *im = kf->fft.im;
    if (log_power || cfg->use_power) {
      for (i = 0; i <= n / 2; i++)
        kf->spec[i] = re[i] * re[i] + im[i] * im[i];
    } else {
      for (i = 0; i <= n / 2; i++)
        kf->spec[i] = sqrtf (re[i] * re[i] + im[i] * im[i]);
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
