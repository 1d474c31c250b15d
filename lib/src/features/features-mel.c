/* liblstm: triangular mel filter banks (Kaldi's and torchaudio's)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both banks are computed with torch's float32 arithmetic, operation by
 * operation, so the weights equal torchaudio's to within an ulp of its
 * vectorised log/exp. They are stored sparsely (each filter's range of
 * bins) and applied with a double accumulator in bin order, which fixes
 * the summation order whatever the input chunking.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "features-private.h"

/* Keeps, per filter, the bins from its first to its last non-zero weight. */
static void
bank_from_dense (LstmMelBank *bank, const float *dense, guint n_filters,
    guint n_bins)
{
  gsize total = 0, off = 0;
  guint m, k;

  bank->n_filters = n_filters;
  bank->first = g_new0 (guint, n_filters);
  bank->count = g_new0 (guint, n_filters);
  bank->offset = g_new0 (gsize, n_filters);
  for (m = 0; m < n_filters; m++) {
    const float *row = dense + (gsize) m * n_bins;
    guint first = n_bins, last = 0;
    for (k = 0; k < n_bins; k++)
      if (row[k] != 0.0f) {
        first = MIN (first, k);
        last = k;
      }
    if (first < n_bins) {
      bank->first[m] = first;
      bank->count[m] = last - first + 1;
      total += bank->count[m];
    }
  }
  bank->weights = g_new (float, MAX (total, 1));
  for (m = 0; m < n_filters; m++) {
    bank->offset[m] = off;
    memcpy (bank->weights + off, dense + (gsize) m * n_bins + bank->first[m],
        bank->count[m] * sizeof (float));
    off += bank->count[m];
  }
}

void
lstm_mel_bank_clear (LstmMelBank *bank)
{
  g_clear_pointer (&bank->first, g_free);
  g_clear_pointer (&bank->count, g_free);
  g_clear_pointer (&bank->offset, g_free);
  g_clear_pointer (&bank->weights, g_free);
  bank->n_filters = 0;
}

void
lstm_mel_bank_apply (const LstmMelBank *bank, const float *spec, float *out)
{
  guint m, k;

  for (m = 0; m < bank->n_filters; m++) {
    const float *w = bank->weights + bank->offset[m];
    const float *s = spec + bank->first[m];
    const guint c = bank->count[m];
    /* four interleaved partial sums in double, a_j over k = j mod 4 (as
     * vectors: the compiler does not vectorise the four scalars), the
     * k mod 4 trailing bins added to a_0; the order of the additions moves
     * the result far less than a float ulp */
    LstmV2df a01 = { 0.0, 0.0 }, a23 = { 0.0, 0.0 };
    double a0;
    for (k = 0; k + 4 <= c; k += 4) {
      a01 += lstm_v2df_load (s + k) * lstm_v2df_load (w + k);
      a23 += lstm_v2df_load (s + k + 2) * lstm_v2df_load (w + k + 2);
    }
    a0 = a01[0];
    for (; k < c; k++)
      a0 += (double) s[k] * (double) w[k];
    out[m] = (float) ((a0 + a01[1]) + (a23[0] + a23[1]));
  }
}

/* ---- Kaldi (torchaudio.compliance.kaldi.get_mel_banks) ---- */

static float
kaldi_mel (float f)
{
  return 1127.0f * logf (1.0f + f / 700.0f);
}

static float
kaldi_inverse_mel (float m)
{
  return 700.0f * (expf (m / 1127.0f) - 1.0f);
}

typedef struct {
  float low, high, l, h, scale, scale_left, scale_right;
} Vtln;

/* vtln_warp_freq, element-wise, with the masks applied in torchaudio's
 * order (later assignments win). */
static float
vtln_warp_freq (const Vtln *v, float f)
{
  float r = 0.0f;
  if (f >= v->h)
    r = v->high + v->scale_right * (f - v->high);
  if (f < v->h)
    r = v->scale * f;
  if (f < v->l)
    r = v->low + v->scale_left * (f - v->low);
  if (f < v->low || f > v->high)
    r = f;
  return r;
}

static float
vtln_warp_mel (const Vtln *v, float mel)
{
  return kaldi_mel (vtln_warp_freq (v, kaldi_inverse_mel (mel)));
}

gboolean
lstm_mel_bank_init_kaldi (LstmMelBank *bank, const LstmFeaturesConfig *cfg,
    guint padded_size, GError **error)
{
  const guint n_bins = padded_size / 2;      /* the Nyquist bin gets 0 */
  const guint nf = cfg->num_mel_bins;
  const double nyquist = 0.5 * cfg->rate;
  const double high_freq = cfg->high_freq <= 0.0 ?
      cfg->high_freq + nyquist : cfg->high_freq;
  const double fft_bin_width = (double) cfg->rate / padded_size;
  const double mel_low = 1127.0 * log (1.0 + cfg->low_freq / 700.0);
  const double mel_high = 1127.0 * log (1.0 + high_freq / 700.0);
  const double mel_delta = (mel_high - mel_low) / (nf + 1);
  const gboolean warp = cfg->vtln_warp != 1.0;
  g_autofree float *dense = g_new0 (float, (gsize) nf * n_bins);
  g_autofree float *mel = g_new (float, n_bins);
  Vtln v = { 0 };
  guint b, k;

  (void) error;
  if (warp) {
    double vh = cfg->vtln_high < 0 ? cfg->vtln_high + nyquist :
        cfg->vtln_high;
    double l = cfg->vtln_low * MAX (1.0, cfg->vtln_warp);
    double h = vh * MIN (1.0, cfg->vtln_warp);
    double scale = 1.0 / cfg->vtln_warp;
    double fl = scale * l, fh = scale * h;
    v.low = (float) cfg->low_freq;
    v.high = (float) high_freq;
    v.l = (float) l;
    v.h = (float) h;
    v.scale = (float) scale;
    v.scale_left = (float) ((fl - cfg->low_freq) / (l - cfg->low_freq));
    v.scale_right = (float) ((high_freq - fh) / (high_freq - h));
  }
  for (k = 0; k < n_bins; k++)
    mel[k] = kaldi_mel ((float) fft_bin_width * (float) k);
  for (b = 0; b < nf; b++) {
    float *row = dense + (gsize) b * n_bins;
    float left = (float) mel_low + (float) b * (float) mel_delta;
    float center = (float) mel_low + ((float) b + 1.0f) * (float) mel_delta;
    float right = (float) mel_low + ((float) b + 2.0f) * (float) mel_delta;
    if (warp) {
      left = vtln_warp_mel (&v, left);
      center = vtln_warp_mel (&v, center);
      right = vtln_warp_mel (&v, right);
    }
    for (k = 0; k < n_bins; k++) {
      float up = (mel[k] - left) / (center - left);
      float down = (right - mel[k]) / (right - center);
      float w;
      if (!warp)
        w = MAX (0.0f, MIN (up, down));
      else if (mel[k] > left && mel[k] <= center)
        w = up;
      else if (mel[k] > center && mel[k] < right)
        w = down;
      else
        w = 0.0f;
      row[k] = w;
    }
  }
  bank_from_dense (bank, dense, nf, n_bins);
  return TRUE;
}

/* ---- torchaudio.functional.melscale_fbanks ---- */

static double
hz_to_mel (double f, gboolean slaney)
{
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0;
  const double min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (!slaney)
    return 2595.0 * log10 (1.0 + f / 700.0);
  if (f >= min_log_hz)
    return min_log_mel + log (f / min_log_hz) / logstep;
  return f / f_sp;
}

static float
mel_to_hz (float m, gboolean slaney)
{
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0;
  const double min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (!slaney)
    return 700.0f * (powf (10.0f, m / 2595.0f) - 1.0f);
  if (m >= (float) min_log_mel)
    return (float) min_log_hz * expf ((float) logstep * (m -
            (float) min_log_mel));
  return 0.0f + (float) f_sp * m;
}

/* torch.linspace in float32: the first half counts up from start, the
 * second half down from end. */
static float
linspace_at (float start, float end, guint steps, guint i)
{
  float step;

  if (steps == 1)
    return start;
  step = (end - start) / (float) (steps - 1);
  if (i < steps / 2)
    return start + step * (float) i;
  return end - step * (float) (steps - i - 1);
}

gboolean
lstm_mel_bank_init_torch (LstmMelBank *bank, const LstmFeaturesConfig *cfg,
    GError **error)
{
  const guint n_freqs = cfg->n_fft / 2 + 1;
  const guint n_mels = cfg->n_mels;
  const gboolean slaney = cfg->mel_scale_slaney;
  const float m_min = (float) hz_to_mel (cfg->f_min, slaney);
  const float m_max = (float) hz_to_mel (cfg->f_max, slaney);
  g_autofree float *dense = g_new0 (float, (gsize) n_mels * n_freqs);
  g_autofree float *f_pts = g_new (float, n_mels + 2);
  g_autofree float *all_freqs = g_new (float, n_freqs);
  guint j, k;

  (void) error;
  for (k = 0; k < n_freqs; k++)
    all_freqs[k] = linspace_at (0.0f, (float) (cfg->rate / 2), n_freqs, k);
  for (j = 0; j < n_mels + 2; j++)
    f_pts[j] = mel_to_hz (linspace_at (m_min, m_max, n_mels + 2, j), slaney);
  for (j = 0; j < n_mels; j++) {
    const float diff_lo = f_pts[j + 1] - f_pts[j];
    const float diff_hi = f_pts[j + 2] - f_pts[j + 1];
    const float enorm = 2.0f / (f_pts[j + 2] - f_pts[j]);
    float *row = dense + (gsize) j * n_freqs;
    for (k = 0; k < n_freqs; k++) {
      float down = (-1.0f * (f_pts[j] - all_freqs[k])) / diff_lo;
      float up = (f_pts[j + 2] - all_freqs[k]) / diff_hi;
      float w = MAX (0.0f, MIN (down, up));
      if (cfg->norm_slaney)
        w *= enorm;
      row[k] = w;
    }
  }
  bank_from_dense (bank, dense, n_mels, n_freqs);
  return TRUE;
}
