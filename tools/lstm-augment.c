/* lstm train --manifest: seeded augmentation of audio clips (gain, mixing
 * with noise or other clips, crops, time and frequency masks)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Augmented clips are made once, before training, from the training clips'
 * samples at the features' rate; their features are then computed by the
 * same extractor as the originals' (lstm_features_process), so a model
 * never sees anything the elements could not compute from some audio.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-train-tool.h"

/**
 * lstm_tool_augment_init:
 * @a: (out caller-allocates): the settings
 *
 * The defaults: gain within +-20 dB (never across @level_db, -50 dBFS, the
 * level below which a clip counts as silence), half the clips mixed with
 * noise or a background clip at 5-25 dB SNR, crops keeping 60-100% of the
 * clip, two time masks of up to 10% of the frames and two frequency masks
 * of up to 15% of the values.
 */
void
lstm_tool_augment_init (LstmToolAugment *a)
{
  memset (a, 0, sizeof *a);
  a->gain_db = 20.0;
  a->level_db = -50.0;
  a->mix_probability = 0.5;
  a->snr_min_db = 5.0;
  a->snr_max_db = 25.0;
  a->crop_min = 0.6;
  a->time_masks = 2;
  a->time_mask_fraction = 0.10;
  a->freq_masks = 2;
  a->freq_mask_fraction = 0.15;
}

static gboolean
collect_samples (const float *frames, gsize n, gpointer data, GError **error)
{
  (void) error;
  g_array_append_vals (data, frames, n);
  return TRUE;
}

/**
 * lstm_tool_audio_read_mono:
 * @path: an audio file
 * @f: the features whose rate and channel choice apply
 * @n_out: (out): the number of samples
 *
 * The samples @f computes its features from: the configuration's channel
 * or the average of the channels, resampled to its rate as
 * lstm_tool_audio_features() does (the same code: a one-sample `raw`
 * extractor stands in for @f).
 *
 * Returns: (transfer full): the samples, or %NULL with @error set.
 */
float *
lstm_tool_audio_read_mono (const gchar *path, LstmFeatures *f, gsize *n_out,
    GError **error)
{
  g_autofree gchar *cfg = g_strdup_printf ("{\"kind\":\"raw\","
      "\"sample_rate\":%u,\"win_length\":1,\"hop_length\":1,\"channel\":%d}",
      lstm_features_get_sample_rate (f), lstm_features_get_channel (f));
  g_autoptr (LstmFeatures) raw = lstm_features_new (cfg, error);
  GArray *all;
  guint64 n = 0;

  if (raw == NULL)
    return NULL;
  all = g_array_new (FALSE, FALSE, sizeof (float));
  if (!lstm_tool_audio_features (path, raw, collect_samples, all, &n,
          error)) {
    g_array_free (all, TRUE);
    return NULL;
  }
  *n_out = all->len;
  return (float *) (gpointer) g_array_free (all, FALSE);
}

static double
rms_of (const float *x, gsize n)
{
  double s = 0.0;
  gsize i;
  for (i = 0; i < n; i++)
    s += (double) x[i] * x[i];
  return n ? sqrt (s / n) : 0.0;
}

static double
peak_of (const float *x, gsize n)
{
  double p = 0.0;
  gsize i;
  for (i = 0; i < n; i++)
    p = MAX (p, fabs ((double) x[i]));
  return p;
}

static double
uniform (GRand *rng, double lo, double hi)
{
  return hi > lo ? g_rand_double_range (rng, lo, hi) : lo;
}

/* Gaussian noise, white or (one pole at 0.98) brown-ish, of unit RMS. */
static void
make_noise (GRand *rng, float *out, gsize n)
{
  gboolean coloured = g_rand_boolean (rng);
  double state = 0.0, r;
  gsize i;

  for (i = 0; i < n; i++) {
    /* Box-Muller */
    double u1 = g_rand_double_range (rng, 1e-12, 1.0);
    double u2 = g_rand_double (rng);
    double v = sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
    state = coloured ? 0.98 * state + v : v;
    out[i] = (float) state;
  }
  r = rms_of (out, n);
  for (i = 0; r > 0 && i < n; i++)
    out[i] = (float) (out[i] / r);
}

/**
 * lstm_tool_augment_waveform:
 * @a: the settings
 * @rng: the seeded generator (drawn from in a fixed order)
 * @x: the clip's samples
 * @n: how many
 * @min_n: the shortest crop (at least one feature window)
 * @bg: (nullable): a background clip to mix in, or %NULL for noise
 * @n_bg: its length
 * @n_out: (out): the new clip's length
 *
 * One augmented copy of a clip: a random crop, a random gain that never
 * moves the clip across @a->level_db (a clip at or below it stays there:
 * silence stays silence; one above stays at least 3 dB above) nor past
 * full scale, and, with probability @a->mix_probability, for clips above
 * the level, @bg (from a random offset, looped) or noise added at a random
 * SNR.
 *
 * Returns: (transfer full): the samples.
 */
float *
lstm_tool_augment_waveform (const LstmToolAugment *a, GRand *rng,
    const float *x, gsize n, gsize min_n, const float *bg, gsize n_bg,
    gsize *n_out)
{
  gsize len = n, off = 0, i;
  double level, lo, hi, g, peak;
  gboolean quiet, mix;
  float *y;

  /* crop */
  if (a->crop_min < 1.0 && n > min_n) {
    gsize shortest = MAX ((gsize) ceil (a->crop_min * n), min_n);
    len = shortest + (gsize) g_rand_int_range (rng, 0, (gint32) MIN (n -
            shortest + 1, G_MAXINT32));
    off = (gsize) g_rand_int_range (rng, 0, (gint32) MIN (n - len + 1,
            G_MAXINT32));
  }
  y = g_new (float, MAX (len, 1));
  memcpy (y, x + off, len * sizeof (float));

  /* gain, kept on its side of the silence level and below full scale */
  level = 20.0 * log10 (MAX (rms_of (y, len), 1e-10));
  quiet = level <= a->level_db;
  lo = -a->gain_db;
  hi = a->gain_db;
  if (quiet)
    hi = MIN (hi, a->level_db - level);
  else
    lo = MAX (lo, MIN (0.0, a->level_db + 3.0 - level));
  g = uniform (rng, lo, MAX (lo, hi));
  peak = peak_of (y, len) * pow (10.0, g / 20.0);
  if (peak > 1.0)
    g -= 20.0 * log10 (peak);
  for (i = 0; i < len; i++)
    y[i] = (float) (y[i] * pow (10.0, g / 20.0));

  /* a background or noise at a random SNR */
  mix = g_rand_double (rng) < a->mix_probability;
  if (mix && !quiet) {
    double snr = uniform (rng, a->snr_min_db, a->snr_max_db);
    double sig = rms_of (y, len), nr, scale;
    float *noise = g_new (float, MAX (len, 1));
    if (bg != NULL && n_bg > 0) {
      gsize start = (gsize) g_rand_int_range (rng, 0, (gint32) MIN (n_bg,
              G_MAXINT32));
      for (i = 0; i < len; i++)
        noise[i] = bg[(start + i) % n_bg];
    } else {
      make_noise (rng, noise, len);
    }
    nr = rms_of (noise, len);
    scale = nr > 0 ? sig / nr * pow (10.0, -snr / 20.0) : 0.0;
    for (i = 0; i < len; i++)
      y[i] = (float) CLAMP (y[i] + scale * noise[i], -1.0, 1.0);
    g_free (noise);
  }
  *n_out = len;
  return y;
}

/**
 * lstm_tool_augment_mask:
 * @a: the settings
 * @rng: the seeded generator
 * @frames: (inout): @T frames of @D values
 * @fill: (D) the value a masked cell takes (the training mean, which the
 *   model's input normalisation maps to 0)
 *
 * SpecAugment's time and frequency masks: @a->time_masks runs of up to
 * @a->time_mask_fraction of the frames, and @a->freq_masks bands of up to
 * @a->freq_mask_fraction of the values, set to @fill.
 */
void
lstm_tool_augment_mask (const LstmToolAugment *a, GRand *rng, float *frames,
    gsize T, guint D, const float *fill)
{
  guint k, j;
  gsize t;

  for (k = 0; k < a->time_masks && T > 1; k++) {
    gsize w = (gsize) g_rand_int_range (rng, 0,
        (gint32) MAX (1, (gint64) (a->time_mask_fraction * T)) + 1);
    gsize t0 = (gsize) g_rand_int_range (rng, 0, (gint32) (T - MIN (w, T) +
            1));
    for (t = t0; t < MIN (T, t0 + w); t++)
      memcpy (frames + t * D, fill, D * sizeof (float));
  }
  for (k = 0; k < a->freq_masks && D > 1; k++) {
    guint w = (guint) g_rand_int_range (rng, 0,
        (gint32) MAX (1, (gint) (a->freq_mask_fraction * D)) + 1);
    guint j0 = (guint) g_rand_int_range (rng, 0, (gint32) (D - MIN (w, D) +
            1));
    for (t = 0; t < T; t++)
      for (j = j0; j < MIN (D, j0 + w); j++)
        frames[t * D + j] = fill[j];
  }
}
