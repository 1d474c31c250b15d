/* liblstm: Kaldi MFCC (torchaudio.compliance.kaldi.mfcc) and deltas
 * (torchaudio.functional.compute_deltas) over a stream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "features-private.h"

/* The DCT matrix and lifter, in torch's float32 arithmetic:
 *   dct[m][j] = cos(pi / M * (m + 0.5) * j) * sqrt(2 / M), column 0 =
 *   sqrt(1 / M) (create_dct(M, M, "ortho") with Kaldi's first column);
 *   lifter[j] = 1 + L / 2 * sin(pi * j / L). */
gboolean
lstm_mfcc_init (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    GError **error)
{
  const guint nm = cfg->num_mel_bins, nc = cfg->num_ceps;
  const float step = (float) (G_PI / (double) nm);
  const float ortho = (float) sqrt (2.0 / (double) nm);
  const float first = (float) sqrt (1.0 / (double) nm);
  guint m, j;

  if (!lstm_kaldi_frame_init (kf, cfg, error))
    return FALSE;
  kf->dct = g_new (float, (gsize) nm * nc);
  kf->lifter = g_new (float, nc);
  for (m = 0; m < nm; m++)
    for (j = 0; j < nc; j++)
      kf->dct[(gsize) m * nc + j] = j == 0 ? first :
          cosf (step * ((float) m + 0.5f) * (float) j) * ortho;
  for (j = 0; j < nc; j++) {
    const float lf = (float) cfg->cepstral_lifter;
    kf->lifter[j] = lf == 0.0f ? 1.0f : 1.0f + (float) (0.5 *
        cfg->cepstral_lifter) * sinf ((float) G_PI * (float) j / lf);
  }
  return TRUE;
}

void
lstm_mfcc_compute (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, float *out)
{
  const guint nm = cfg->num_mel_bins, nc = cfg->num_ceps;
  float energy = lstm_kaldi_log_mel (kf, cfg, samples, TRUE);
  float c0;
  guint m, j;

  for (j = 0; j < nc; j++) {
    double acc = 0.0;
    for (m = 0; m < nm; m++)
      acc += (double) kf->mel[m] * (double) kf->dct[(gsize) m * nc + j];
    out[j] = (float) acc;
    if (cfg->cepstral_lifter != 0.0)
      out[j] = out[j] * kf->lifter[j];
  }
  if (cfg->use_energy)
    out[0] = energy;
  if (cfg->htk_compat) {
    /* C0 (or the energy) goes last */
    c0 = out[0];
    if (!cfg->use_energy)
      c0 = c0 * (float) G_SQRT2;
    memmove (out, out + 1, (nc - 1) * sizeof (float));
    out[nc - 1] = c0;
  }
}

/* ---- deltas ----
 *
 * compute_deltas(x, win_length, mode="replicate") along time:
 *   d[t] = sum_{k=-n..n} k * x[clamp(t + k, 0, T - 1)] / denom,
 *   n = (win_length - 1) / 2, denom = n (n + 1) (2n + 1) / 3,
 * and delta-deltas apply the same to d (its own edges replicated), so a
 * row needs n frames of look-ahead per order. Streaming keeps the last
 * 2n + 1 base frames and deltas in rings; flush() replicates the last
 * frame as torchaudio's padding does at the end of the signal. */

void
lstm_deltas_init (LstmDeltas *dl, guint order, guint win_length, guint dim)
{
  const guint n = (win_length - 1) / 2;

  memset (dl, 0, sizeof *dl);
  dl->order = order;
  dl->half = n;
  dl->denom = (float) (n * (n + 1) * (2 * n + 1) / 3.0);
  dl->dim = dim;
  dl->ring = 2 * n + 1;
  dl->c = g_new0 (float, (gsize) dl->ring * dim);
  if (order == 2)
    dl->d = g_new0 (float, (gsize) dl->ring * dim);
}

void
lstm_deltas_clear (LstmDeltas *dl)
{
  g_free (dl->c);
  g_free (dl->d);
  memset (dl, 0, sizeof *dl);
}

void
lstm_deltas_reset (LstmDeltas *dl)
{
  dl->n_c = 0;
  dl->n_d = 0;
}

static const float *
ring_row (const float *ring, guint ring_size, guint dim, guint64 index)
{
  return ring + (gsize) (index % ring_size) * dim;
}

/* Delta of frame @t of the sequence in @ring whose frames are known up to
 * @last (inclusive); indices are clamped to [0, last]. */
static void
delta_at (const LstmDeltas *dl, const float *ring, guint64 t, guint64 last,
    float *out)
{
  const gint64 n = dl->half;
  guint j;

  for (j = 0; j < dl->dim; j++) {
    double acc = 0.0;
    gint64 k;
    for (k = -n; k <= n; k++) {
      gint64 idx = (gint64) t + k;
      idx = CLAMP (idx, 0, (gint64) last);
      acc += (double) k * (double) ring_row (ring, dl->ring, dl->dim,
          (guint64) idx)[j];
    }
    out[j] = (float) acc / dl->denom;
  }
}

/* Writes row @t: the base frame, its delta, and (order 2) its delta-delta
 * computed from deltas known up to @last_d. */
static void
emit_row (LstmDeltas *dl, guint64 t, guint64 last_d, float *out)
{
  const guint dim = dl->dim;

  memcpy (out, ring_row (dl->c, dl->ring, dim, t), dim * sizeof (float));
  if (dl->order == 1) {
    delta_at (dl, dl->c, t, dl->n_c - 1, out + dim);
    return;
  }
  memcpy (out + dim, ring_row (dl->d, dl->ring, dim, t),
      dim * sizeof (float));
  delta_at (dl, dl->d, t, last_d, out + 2 * dim);
}

/* Order 2: computes delta @j (base frames known up to @last_c) into the
 * ring; then, when j >= n, row j - n is complete. */
static guint
push_delta (LstmDeltas *dl, guint64 j, guint64 last_c, float *out)
{
  float *slot = dl->d + (gsize) (j % dl->ring) * dl->dim;

  delta_at (dl, dl->c, j, last_c, slot);
  dl->n_d = j + 1;
  if (j >= dl->half) {
    emit_row (dl, j - dl->half, j, out);
    return 1;
  }
  return 0;
}

guint
lstm_deltas_push (LstmDeltas *dl, const float *frame, float *out)
{
  const guint64 i = dl->n_c;

  memcpy (dl->c + (gsize) (i % dl->ring) * dl->dim, frame,
      dl->dim * sizeof (float));
  dl->n_c = i + 1;
  if (i < dl->half)
    return 0;
  if (dl->order == 1) {
    emit_row (dl, i - dl->half, 0, out);
    return 1;
  }
  return push_delta (dl, i - dl->half, i, out);
}

guint
lstm_deltas_flush (LstmDeltas *dl, float *out)
{
  const guint row = dl->dim * (dl->order + 1);
  const guint64 total = dl->n_c;
  guint n_out = 0;
  guint64 t;

  if (total == 0)
    return 0;
  if (dl->order == 1) {
    for (t = total > dl->half ? total - dl->half : 0; t < total; t++)
      emit_row (dl, t, 0, out + (gsize) n_out++ * row);
  } else {
    guint64 first_row;
    for (t = dl->n_d; t < total; t++)
      n_out += push_delta (dl, t, total - 1, out + (gsize) n_out * row);
    first_row = total > dl->half ? total - dl->half : 0;
    for (t = first_row; t < total; t++)
      emit_row (dl, t, total - 1, out + (gsize) n_out++ * row);
  }
  lstm_deltas_reset (dl);
  return n_out;
}
