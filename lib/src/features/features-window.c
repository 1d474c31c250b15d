/* liblstm: analysis windows (Kaldi's and torch's)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Computed in double and rounded once to float32. torch computes them in
 * float32; the two differ by at most an ulp, far inside the features'
 * tolerance against torchaudio.
 */
#include "config.h"

#include <math.h>

#include "features-private.h"

/* torchaudio.compliance.kaldi._feature_window_function: symmetric windows
 * (torch's periodic=False), size >= 2. */
void
lstm_kaldi_window_fill (LstmKaldiWindow type, double blackman_coeff,
    guint size, float *out)
{
  const double a = 2.0 * G_PI / (double) (size - 1);
  guint i;

  for (i = 0; i < size; i++) {
    double w;
    switch (type) {
      case LSTM_KALDI_WINDOW_HAMMING:
        /* torch.hamming_window(periodic=False, alpha=0.54, beta=0.46) */
        w = 0.54 - 0.46 * cos (a * i);
        break;
      case LSTM_KALDI_WINDOW_HANNING:
        w = 0.5 - 0.5 * cos (a * i);
        break;
      case LSTM_KALDI_WINDOW_POVEY:
        /* hann ** 0.85 */
        w = pow (0.5 - 0.5 * cos (a * i), 0.85);
        break;
      case LSTM_KALDI_WINDOW_BLACKMAN:
        w = blackman_coeff - 0.5 * cos (a * i) +
            (0.5 - blackman_coeff) * cos (2.0 * a * i);
        break;
      case LSTM_KALDI_WINDOW_RECTANGULAR:
      default:
        w = 1.0;
        break;
    }
    out[i] = (float) w;
  }
}

/* torch.hann_window / hamming_window / blackman_window / bartlett_window
 * with their default parameters. A periodic window of size N is the first
 * N points of the symmetric window of size N + 1. */
void
lstm_torch_window_fill (LstmTorchWindow type, gboolean periodic, guint size,
    float *out)
{
  const guint n = periodic ? size + 1 : size;
  guint i;

  if (size == 1) {
    out[0] = 1.0f;
    return;
  }
  for (i = 0; i < size; i++) {
    double x = (double) i / (double) (n - 1);
    double w;
    switch (type) {
      case LSTM_TORCH_WINDOW_HAMMING:
        w = 0.54 - 0.46 * cos (2.0 * G_PI * x);
        break;
      case LSTM_TORCH_WINDOW_BLACKMAN:
        w = 0.42 - 0.5 * cos (2.0 * G_PI * x) + 0.08 * cos (4.0 * G_PI * x);
        break;
      case LSTM_TORCH_WINDOW_BARTLETT:
        /* rises 0 -> 1 over the first ((n - 1) >> 1) + 1 points */
        w = i < ((n - 1) >> 1) + 1 ? 2.0 * x : 2.0 - 2.0 * x;
        break;
      case LSTM_TORCH_WINDOW_HANN:
      default:
        w = 0.5 - 0.5 * cos (2.0 * G_PI * x);
        break;
    }
    out[i] = (float) w;
  }
}
