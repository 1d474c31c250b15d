/* liblstm: the lag layer (past inputs as features) and skip inputs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A lag layer has no parameters: output k * I + j of frame t is input j of
 * frame t - lags[k]. The last max_lag frames live in the stream's state,
 * newest first, after a flag that is 0 until the stream's first frame:
 * that frame then fills the whole history (the series is taken to have
 * stood at its first value before it started), so a reset state and a
 * fresh one behave alike. Everything is a copy: the outputs are bitwise
 * the same however the frames are split into calls.
 */
#include "config.h"

#include <string.h>

#include "lstm-private.h"

void
lstm_lag_layer_forward (const LstmLayer *L, const float *x, gsize T,
    float *y, float *state)
{
  guint I = L->input_size, P = L->max_lag, k, j;
  float *hist = state + 1;
  gsize t;

  for (t = 0; t < T; t++) {
    const float *xt = x + t * I;
    float *yt = y + t * L->output_size;

    if (P > 0 && state[0] == 0.0f) {
      for (k = 0; k < P; k++)
        memcpy (hist + (gsize) k * I, xt, I * sizeof (float));
      state[0] = 1.0f;
    }
    for (k = 0; k < L->n_lags; k++) {
      guint lag = L->lags[k];
      const float *src = lag == 0 ? xt : hist + (gsize) (lag - 1) * I;
      for (j = 0; j < I; j++)
        yt[k * I + j] = src[j];
    }
    if (P > 0) {
      memmove (hist + I, hist, (gsize) (P - 1) * I * sizeof (float));
      memcpy (hist, xt, I * sizeof (float));
    }
  }
}

void
lstm_skip_concat (const LstmLayer *L, const float *prev, guint prev_w,
    const float *skip, gsize T, float *cat)
{
  guint in = L->input_size, skip_w = in - prev_w;
  gsize t;

  for (t = 0; t < T; t++) {
    memcpy (cat + t * in, prev + t * prev_w, prev_w * sizeof (float));
    memcpy (cat + t * in + prev_w, skip + t * skip_w,
        skip_w * sizeof (float));
  }
}
