/* liblstm: mel spectrogram (torchaudio.transforms.MelSpectrogram) + log
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One n_fft window of the (padded) signal at a time, as torch.stft takes
 * it: the win_length window centred in n_fft points, the one-sided FFT,
 * optional normalisation, |X| ** power, the mel filters (MelScale), then
 * `log`: none, natural log, or dB (AmplitudeToDB: 10 log10 for
 * stype="power", 20 log10 for "magnitude") of max(x, log_floor). The
 * centre padding and the framing live in features.c.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "features-private.h"

gboolean
lstm_melspec_frame_init (LstmMelspecFrame *mf, const LstmFeaturesConfig *cfg,
    GError **error)
{
  const guint n = cfg->n_fft, wl = cfg->win_length;
  const guint left = (n - wl) / 2;
  double sum_sq = 0.0;
  guint i;

  memset (mf, 0, sizeof *mf);
  mf->window = g_new0 (float, n);
  mf->work = g_new0 (float, n);
  mf->spec = g_new0 (float, n / 2 + 1);
  lstm_torch_window_fill (cfg->window_fn, cfg->periodic, wl,
      mf->window + left);
  for (i = 0; i < wl; i++)
    sum_sq += (double) mf->window[left + i] * mf->window[left + i];
  mf->scale = 1.0f;
  if (cfg->normalized == LSTM_SPEC_NORM_FRAME_LENGTH)
    mf->scale = (float) (1.0 / sqrt ((double) n));
  else if (cfg->normalized == LSTM_SPEC_NORM_WINDOW)
    mf->scale = (float) sqrt (sum_sq);  /* a divisor, see below */
  if (!lstm_features_fft_init (&mf->fft, n, error) ||
      !lstm_mel_bank_init_torch (&mf->bank, cfg, error)) {
    lstm_melspec_frame_clear (mf);
    return FALSE;
  }
  return TRUE;
}

void
lstm_melspec_frame_clear (LstmMelspecFrame *mf)
{
  g_free (mf->window);
  g_free (mf->work);
  g_free (mf->spec);
  lstm_features_fft_clear (&mf->fft);
  lstm_mel_bank_clear (&mf->bank);
  memset (mf, 0, sizeof *mf);
}

void
lstm_melspec_compute (LstmMelspecFrame *mf, const LstmFeaturesConfig *cfg,
    const float *samples, float *out)
{
  const guint n = cfg->n_fft;
  const float power = (float) cfg->power;
  const float floor_v = (float) cfg->log_floor;
  const float mult = cfg->stype_magnitude ? 20.0f : 10.0f;
  guint i, m;

  for (i = 0; i < n; i++)
    mf->work[i] = samples[i] * mf->window[i];
  lstm_features_fft_run (&mf->fft, mf->work);
  for (i = 0; i <= n / 2; i++) {
    float re = mf->fft.re[i], im = mf->fft.im[i];
    float p;
    if (cfg->normalized == LSTM_SPEC_NORM_FRAME_LENGTH) {
      re = re * mf->scale;
      im = im * mf->scale;
    } else if (cfg->normalized == LSTM_SPEC_NORM_WINDOW) {
      re = re / mf->scale;
      im = im / mf->scale;
    }
    p = re * re + im * im;
    if (power == 2.0f)
      mf->spec[i] = p;
    else if (power == 1.0f)
      mf->spec[i] = sqrtf (p);
    else
      mf->spec[i] = powf (sqrtf (p), power);
  }
  lstm_mel_bank_apply (&mf->bank, mf->spec, out);
  switch (cfg->log) {
    case LSTM_LOG_NATURAL:
      for (m = 0; m < cfg->n_mels; m++)
        out[m] = logf (MAX (out[m], floor_v));
      break;
    case LSTM_LOG_DB:
      for (m = 0; m < cfg->n_mels; m++)
        out[m] = mult * log10f (MAX (out[m], floor_v));
      break;
    case LSTM_LOG_NONE:
    default:
      break;
  }
}
