/* liblstm: streaming audio features (the LstmFeatures object)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Framing lives here, the numerics of one window in features-fbank.c,
 * features-mfcc.c, features-melspec.c.
 *
 * Samples are appended to one buffer of fixed capacity. Frame t covers
 * the signal positions [t * shift - offset, t * shift - offset + window),
 * where offset is n_fft / 2 for MelSpectrogram's center=True (else 0) and
 * the "signal" is the input preceded and followed by MelSpectrogram's
 * `pad` zeros. A frame is computed as soon as its last sample is in (and,
 * for reflection at the start, sample -start too); positions before 0
 * and, at flush(), after the end are filled by the pad mode (reflect,
 * replicate, constant), as torch.stft pads. Each frame is computed from
 * the same sample values by the same code whatever the chunking, so the
 * output is bitwise identical however the input is split into calls.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "features-private.h"

/* Interleaved input is converted to mono through a block of this size. */
#define MONO_BLOCK 1024u

struct _LstmFeatures {
  LstmFeaturesConfig cfg;
  gchar *config_json;
  guint base_size;              /* values per frame before deltas */
  guint size;                   /* values per output frame */
  guint window;                 /* samples per frame */
  guint shift;
  guint offset;                 /* centre padding: frame 0 starts at -offset */
  guint lead;                   /* MelSpectrogram's `pad` zeros at each end */
  LstmPadMode edge;             /* how positions outside the signal are filled */
  float scale;                  /* waveform_scale */

  /* the sample buffer: signal positions [pos, pos + len) */
  float *buf;
  gsize cap;
  gsize len;
  guint64 pos;
  guint64 n_sig;                /* signal samples so far (pad zeros included) */
  guint64 next;                 /* next frame index */
  gboolean started;             /* a real sample arrived since the reset */
  gboolean nan_burst;           /* the last sample checked was not finite */

  float *frame;                 /* (window) a frame assembled with padding */
  float *base;                  /* (base_size) a frame before deltas */
  float *mono;                  /* (MONO_BLOCK) interleaved -> mono */
  float *norm_mean;             /* (size) or NULL */
  float *norm_std;              /* (size) or NULL */

  LstmKaldiFrame kaldi;
  LstmMelspecFrame melspec;
  LstmDeltas deltas;
};

static LstmFeatures *
features_new (const gchar *config, const gchar *where, GError **error)
{
  g_autoptr (LstmFeatures) f = g_new0 (LstmFeatures, 1);
  LstmFeaturesConfig *cfg = &f->cfg;

  if (!lstm_features_config_parse (config, where, cfg, error))
    return NULL;
  f->scale = (float) cfg->waveform_scale;
  switch (cfg->kind) {
    case LSTM_FEATURES_FBANK:
    case LSTM_FEATURES_MFCC:
      if (cfg->kind == LSTM_FEATURES_MFCC ?
          !lstm_mfcc_init (&f->kaldi, cfg, error) :
          !lstm_kaldi_frame_init (&f->kaldi, cfg, error))
        return NULL;
      f->base_size = lstm_fbank_size (cfg);
      f->window = f->kaldi.window_size;
      f->shift = lstm_kaldi_window_shift (cfg);
      break;
    case LSTM_FEATURES_MELSPEC:
      if (!lstm_melspec_frame_init (&f->melspec, cfg, error))
        return NULL;
      f->base_size = cfg->n_mels;
      f->window = cfg->n_fft;
      f->shift = cfg->hop_length;
      f->offset = cfg->center ? cfg->n_fft / 2 : 0;
      f->lead = cfg->pad;
      f->edge = cfg->pad_mode;
      break;
    case LSTM_FEATURES_RAW:
      f->base_size = cfg->win_length;
      f->window = cfg->win_length;
      f->shift = cfg->hop_length;
      break;
  }
  f->size = f->base_size * (cfg->deltas + 1);
  if (cfg->deltas > 0)
    lstm_deltas_init (&f->deltas, cfg->deltas, cfg->delta_win_length,
        f->base_size);
  f->cap = MAX (f->window, f->offset + 1) + MAX (2 * (gsize) f->shift, 4096);
  f->buf = g_new0 (float, f->cap);
  f->frame = g_new0 (float, f->window);
  f->base = g_new0 (float, f->base_size);
  f->mono = g_new0 (float, MONO_BLOCK);
  f->config_json = lstm_features_config_to_json (cfg);
  return g_steal_pointer (&f);
}

/**
 * lstm_features_new:
 * @config: a feature configuration: a JSON object naming the `kind`
 *   ("fbank", "mfcc", "melspec", "raw") and, with torchaudio's argument
 *   names for that kind, any parameters that differ from torchaudio's
 *   defaults (design.md section 5). Every kind also takes `waveform_scale`
 *   (default 1) and `channel` (-1, the default, averages the channels);
 *   fbank, mfcc and melspec take `deltas` (0, 1 or 2: append deltas, and
 *   delta-deltas, as torchaudio.functional.compute_deltas computes them
 *   along time) and `delta_win_length` (default 5).
 * @error: return location for a #GError
 *
 * Creates a feature extractor for one stream. Unknown keys, values of the
 * wrong type and impossible values (a zero frame shift, more mel bins than
 * frequency bins, a cut-off above the Nyquist frequency, a sample rate of
 * 0) fail with a message naming the key. Options that only make sense for
 * a whole signal (`top_db`, `subtract_mean`, `snip_edges=false`,
 * `min_duration`) or add randomness (`dither`) fail with
 * %LSTM_ERROR_UNSUPPORTED. The kinds and keys are listed in
 * features-config.c and the README.
 *
 * Returns: (transfer full) (nullable): the extractor, or %NULL with @error
 *   set.
 */
LstmFeatures *
lstm_features_new (const gchar *config, GError **error)
{
  g_return_val_if_fail (config != NULL, NULL);
  return features_new (config, "features config", error);
}

/**
 * lstm_features_new_for_model:
 * @model: a model whose `lstm.features` metadata describes its input
 * @error: return location for a #GError
 *
 * Creates the extractor that produces @model's input. Fails when the model
 * has no feature configuration, when it is invalid, or when its frames do
 * not have the model's input size (%LSTM_ERROR_SHAPE). The model's input
 * normalisation is not applied: lstm_model_forward() applies it.
 *
 * Returns: (transfer full) (nullable): the extractor, or %NULL with @error
 *   set.
 */
LstmFeatures *
lstm_features_new_for_model (LstmModel *model, GError **error)
{
  const gchar *config;
  g_autofree gchar *where = NULL;
  g_autoptr (LstmFeatures) f = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  config = lstm_model_get_features (model);
  if (config == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the model has no feature configuration (lstm.features)",
        lstm_model_get_name (model));
    return NULL;
  }
  where = g_strdup_printf ("%s: lstm.features", lstm_model_get_name (model));
  f = features_new (config, where, error);
  if (f == NULL)
    return NULL;
  if (f->size != lstm_model_get_input_size (model)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s gives %u values per frame, the model takes %u", where, f->size,
        lstm_model_get_input_size (model));
    return NULL;
  }
  return g_steal_pointer (&f);
}

/**
 * lstm_features_free:
 * @features: (transfer full) (nullable): an extractor
 */
void
lstm_features_free (LstmFeatures *features)
{
  if (features == NULL)
    return;
  lstm_kaldi_frame_clear (&features->kaldi);
  lstm_melspec_frame_clear (&features->melspec);
  lstm_deltas_clear (&features->deltas);
  g_free (features->config_json);
  g_free (features->buf);
  g_free (features->frame);
  g_free (features->base);
  g_free (features->mono);
  g_free (features->norm_mean);
  g_free (features->norm_std);
  g_free (features);
}

/**
 * lstm_features_reset:
 * @features: an extractor
 *
 * Drops buffered samples and pending frames: the next sample is the start
 * of a new stream (frame 0, centre padding and deltas start afresh).
 */
void
lstm_features_reset (LstmFeatures *features)
{
  g_return_if_fail (features != NULL);
  features->len = 0;
  features->pos = 0;
  features->n_sig = 0;
  features->next = 0;
  features->started = FALSE;
  features->nan_burst = FALSE;
  if (features->cfg.deltas > 0)
    lstm_deltas_reset (&features->deltas);
}

/**
 * lstm_features_get_config:
 * @features: an extractor
 *
 * Returns: (transfer full): the canonical configuration: a JSON object
 *   with every parameter of the kind, defaults filled in. Creating an
 *   extractor from it gives the same features.
 */
gchar *
lstm_features_get_config (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, NULL);
  return g_strdup (features->config_json);
}

/**
 * lstm_features_get_size:
 * @features: an extractor
 *
 * Returns: values per output frame (deltas included).
 */
guint
lstm_features_get_size (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, 0);
  return features->size;
}

/**
 * lstm_features_get_sample_rate:
 * @features: an extractor
 *
 * Returns: the sample rate the configuration expects, in Hz.
 */
guint
lstm_features_get_sample_rate (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, 0);
  return features->cfg.rate;
}

/**
 * lstm_features_get_shift:
 * @features: an extractor
 *
 * Returns: samples between the starts of consecutive frames.
 */
guint
lstm_features_get_shift (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, 0);
  return features->shift;
}

/**
 * lstm_features_get_window:
 * @features: an extractor
 *
 * Returns: samples one frame covers (for melspec, n_fft: the win_length
 *   window sits in its middle).
 */
guint
lstm_features_get_window (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, 0);
  return features->window;
}

/**
 * lstm_features_get_channel:
 * @features: an extractor
 *
 * Returns: the input channel the configuration takes, or -1 when the
 *   channels are averaged.
 */
gint
lstm_features_get_channel (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, -1);
  return features->cfg.channel;
}

/**
 * lstm_features_get_latency:
 * @features: an extractor
 *
 * The look-ahead, in samples: how far the input must reach past the end of
 * a frame's first shift (lstm_features_get_frame_start() + shift) before
 * the frame is produced. That is window - shift, plus one sample for
 * melspec's reflection at the start (frame 0 also needs sample n_fft / 2),
 * plus the frames of context deltas wait for (n per order, n =
 * (delta_win_length - 1) / 2) times the shift. For melspec with
 * center=True the frame start is n_fft / 2 before the frame's centre, so
 * this already includes the n_fft / 2 look-ahead relative to the centre.
 *
 * Returns: the latency in samples (0 when frames do not overlap).
 */
guint
lstm_features_get_latency (LstmFeatures *features)
{
  guint64 need, lat;

  g_return_val_if_fail (features != NULL, 0);
  need = features->window;
  if (features->offset > 0 && features->edge == LSTM_PAD_REFLECT)
    need = MAX (need, 2 * (guint64) features->offset + 1);
  lat = need > features->shift ? need - features->shift : 0;
  lat += (guint64) features->cfg.deltas * features->deltas.half *
      features->shift;
  return (guint) MIN (lat, G_MAXUINT);
}

/**
 * lstm_features_get_frame_start:
 * @features: an extractor
 * @index: a frame index, counted from the stream start or the last reset
 *
 * Returns: the position, in input samples from the stream start, of the
 *   first sample of frame @index's window: index * shift, less n_fft / 2
 *   and `pad` for melspec (so negative for the first frames with
 *   center=True).
 */
gint64
lstm_features_get_frame_start (LstmFeatures *features, guint64 index)
{
  g_return_val_if_fail (features != NULL, 0);
  return (gint64) (index * features->shift) - (gint64) features->offset -
      (gint64) features->lead;
}

/**
 * lstm_features_max_frames:
 * @features: an extractor
 * @n_samples: samples (mono) or sample frames (interleaved) in one call
 *
 * Returns: the most frames one lstm_features_process() or
 *   lstm_features_process_interleaved() call with @n_samples can produce.
 */
gsize
lstm_features_max_frames (LstmFeatures *features, gsize n_samples)
{
  g_return_val_if_fail (features != NULL, 0);
  return (n_samples + features->lead) / features->shift + 2;
}

/**
 * lstm_features_max_flush_frames:
 * @features: an extractor
 *
 * Returns: the most frames lstm_features_flush() can produce.
 */
gsize
lstm_features_max_flush_frames (LstmFeatures *features)
{
  g_return_val_if_fail (features != NULL, 0);
  return ((gsize) features->lead + features->offset) / features->shift + 4 +
      (gsize) features->cfg.deltas * features->deltas.half;
}

/**
 * lstm_features_set_normalization:
 * @features: an extractor
 * @mean: (nullable) (array): lstm_features_get_size() values subtracted
 *   from each output frame, or %NULL
 * @std: (nullable) (array): lstm_features_get_size() divisors applied
 *   after the mean, or %NULL
 * @error: return location for a #GError
 *
 * Opt-in normalisation of the output, (x - mean) / std per value, for
 * applications that want normalised features themselves (the model's own
 * `input.mean` / `input.std` are applied by lstm_model_forward(), so do not
 * apply them twice). Off by default; %NULL for both turns it off.
 *
 * Returns: %TRUE, or %FALSE (with %LSTM_ERROR_ARGUMENT) when a value is
 *   not finite or a divisor is zero.
 */
gboolean
lstm_features_set_normalization (LstmFeatures *features, const float *mean,
    const float *std, GError **error)
{
  guint i;

  g_return_val_if_fail (features != NULL, FALSE);
  for (i = 0; mean && i < features->size; i++)
    if (!isfinite (mean[i])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "normalisation mean %u is not finite", i);
      return FALSE;
    }
  for (i = 0; std && i < features->size; i++)
    if (!isfinite (std[i]) || std[i] == 0.0f) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "normalisation std %u is %g (must be finite and non-zero)", i,
          (double) std[i]);
      return FALSE;
    }
  g_clear_pointer (&features->norm_mean, g_free);
  g_clear_pointer (&features->norm_std, g_free);
  if (mean)
    features->norm_mean = g_memdup2 (mean, features->size * sizeof (float));
  if (std)
    features->norm_std = g_memdup2 (std, features->size * sizeof (float));
  return TRUE;
}

/* ---- framing ---- */

/* The value at signal position @j; positions before 0, and at or after
 * @end (known only at flush), are filled as torch.stft's padding does. */
static float
sample_at (const LstmFeatures *f, gint64 j, gint64 end)
{
  if (j < 0) {
    if (f->edge == LSTM_PAD_CONSTANT)
      return 0.0f;
    j = f->edge == LSTM_PAD_REFLECT ? -j : 0;
  } else if (j >= end) {
    if (f->edge == LSTM_PAD_CONSTANT)
      return 0.0f;
    j = f->edge == LSTM_PAD_REFLECT ? 2 * end - 2 - j : end - 1;
  }
  g_assert (j >= (gint64) f->pos && j < (gint64) (f->pos + f->len));
  return f->buf[j - (gint64) f->pos];
}

static void
normalize_row (const LstmFeatures *f, float *row)
{
  guint j;

  if (f->norm_mean == NULL && f->norm_std == NULL)
    return;
  for (j = 0; j < f->size; j++) {
    float v = row[j];
    if (f->norm_mean)
      v = v - f->norm_mean[j];
    if (f->norm_std)
      v = v / f->norm_std[j];
    row[j] = v;
  }
}

/* Computes frame @start's features into @out (one row); returns the rows
 * written (deltas hold rows back until their look-ahead arrives). */
static guint
emit_frame (LstmFeatures *f, gint64 start, gint64 end, float *out)
{
  const float *x;
  float *dst = f->cfg.deltas > 0 ? f->base : out;
  guint rows = 1;

  if (start >= (gint64) f->pos &&
      (guint64) start + f->window <= f->pos + f->len) {
    x = f->buf + (start - (gint64) f->pos);
  } else {
    guint i;
    for (i = 0; i < f->window; i++)
      f->frame[i] = sample_at (f, start + i, end);
    x = f->frame;
  }
  switch (f->cfg.kind) {
    case LSTM_FEATURES_FBANK:
      lstm_fbank_compute (&f->kaldi, &f->cfg, x, dst);
      break;
    case LSTM_FEATURES_MFCC:
      lstm_mfcc_compute (&f->kaldi, &f->cfg, x, dst);
      break;
    case LSTM_FEATURES_MELSPEC:
      lstm_melspec_compute (&f->melspec, &f->cfg, x, dst);
      break;
    case LSTM_FEATURES_RAW:
      memcpy (dst, x, f->window * sizeof (float));
      break;
  }
  if (f->cfg.deltas > 0)
    rows = lstm_deltas_push (&f->deltas, f->base, out);
  if (rows)
    normalize_row (f, out);
  return rows;
}

static gint64
frame_start (const LstmFeatures *f, guint64 index)
{
  return (gint64) (index * f->shift) - (gint64) f->offset;
}

/* Emits every frame whose samples have all arrived. */
static gsize
emit_ready (LstmFeatures *f, float *out)
{
  gsize n = 0;

  while (TRUE) {
    gint64 s = frame_start (f, f->next);
    if (s + (gint64) f->window > (gint64) f->n_sig)
      break;
    if (s < 0 && f->edge == LSTM_PAD_REFLECT && -s > (gint64) f->n_sig - 1)
      break;
    n += emit_frame (f, s, G_MAXINT64, out + n * f->size);
    f->next++;
  }
  return n;
}

/* Drops the samples no future frame needs. */
static void
compact (LstmFeatures *f)
{
  gint64 keep = MAX (frame_start (f, f->next), 0);
  guint64 drop;

  if (f->offset > 0) {
    /* the end padding at flush reads the last offset + 1 samples */
    gint64 tail = (gint64) f->n_sig - (gint64) f->offset - 1;
    keep = MIN (keep, MAX (tail, 0));
  }
  if ((guint64) keep <= f->pos)
    return;
  if ((guint64) keep >= f->n_sig) {
    /* frames skip samples (shift > window): drop them as they come */
    f->pos = (guint64) keep;
    f->len = 0;
    return;
  }
  drop = (guint64) keep - f->pos;
  memmove (f->buf, f->buf + drop, (f->len - drop) * sizeof (float));
  f->len -= drop;
  f->pos = (guint64) keep;
}

/* Appends @n samples (scaled by waveform_scale; zeros when @x is NULL)
 * and emits the frames they complete. */
static gsize
feed (LstmFeatures *f, const float *x, gsize n, float *out)
{
  gsize produced = 0;

  while (n > 0) {
    gsize take, i;
    float *dst;

    if (f->n_sig < f->pos) {
      take = (gsize) MIN ((guint64) n, f->pos - f->n_sig);
      f->n_sig += take;
      n -= take;
      if (x)
        x += take;
      continue;
    }
    if (f->len == f->cap)
      compact (f);
    if (f->n_sig < f->pos)
      continue;
    take = MIN (n, f->cap - f->len);
    dst = f->buf + f->len;
    if (x) {
      for (i = 0; i < take; i++)
        dst[i] = x[i] * f->scale;
      x += take;
    } else {
      memset (dst, 0, take * sizeof (float));
    }
    f->len += take;
    f->n_sig += take;
    n -= take;
    produced += emit_ready (f, out + produced * f->size);
  }
  return produced;
}

/**
 * lstm_features_process:
 * @features: an extractor
 * @samples: (array length=n_samples): mono float samples
 * @n_samples: how many; any number, 0 included
 * @out: (out caller-allocates): room for lstm_features_max_frames()
 *   frames of lstm_features_get_size() floats
 *
 * Feeds samples (multiplied by the configuration's `waveform_scale`) and
 * writes the frames they complete. Frames straddling calls are buffered:
 * the output is bitwise identical however a stream is split into calls.
 * Never allocates: every FFT size (Kaldi's padded window, or n_fft) has its
 * plan and scratch buffers made by lstm_features_new().
 *
 * Returns: the number of frames written to @out.
 */
gsize
lstm_features_process (LstmFeatures *features, const float *samples,
    gsize n_samples, float *out)
{
  gsize produced = 0;

  g_return_val_if_fail (features != NULL, 0);
  g_return_val_if_fail (samples != NULL || n_samples == 0, 0);
  if (n_samples == 0)
    return 0;
  if (!features->started) {
    features->started = TRUE;
    if (features->lead)
      produced = feed (features, NULL, features->lead, out);
  }
  return produced + feed (features, samples, n_samples,
      out + produced * features->size);
}

/* Sample frames [@done, @done + @n) of interleaved @samples as mono, into
 * features->mono (n <= MONO_BLOCK): the configuration's channel, or the
 * average; S16 scaled by 1/32768. One channel is taken as it is (mono,
 * e.g. resampled from the configuration's channel). */
static void
to_mono (LstmFeatures *features, const void *samples, LstmSampleFormat format,
    guint channels, gsize done, gsize n)
{
  const gint ch = channels == 1 ? 0 : features->cfg.channel;
  const float s16 = 1.0f / 32768.0f;
  float *m = features->mono;
  gsize i;
  guint c;

  /* the branches outside the loops, which then vectorise */
  if (format == LSTM_SAMPLE_S16) {
    const gint16 *s = (const gint16 *) samples + done * channels;
    if (ch >= 0 || channels == 1) {
      const gint16 *fr = s + (ch >= 0 ? ch : 0);
      for (i = 0; i < n; i++)
        m[i] = (float) fr[i * channels] * s16;
    } else if (channels == 2) {
      for (i = 0; i < n; i++)
        m[i] = ((float) s[2 * i] * s16 + (float) s[2 * i + 1] * s16) / 2.0f;
    } else {
      for (i = 0; i < n; i++) {
        const gint16 *fr = s + i * channels;
        float sum = 0.0f;
        for (c = 0; c < channels; c++)
          sum += (float) fr[c] * s16;
        m[i] = sum / (float) channels;
      }
    }
  } else {
    const float *s = (const float *) samples + done * channels;
    if (ch >= 0 || channels == 1) {
      const float *fr = s + (ch >= 0 ? ch : 0);
      for (i = 0; i < n; i++)
        m[i] = fr[i * channels];
    } else if (channels == 2) {
      for (i = 0; i < n; i++)
        m[i] = ((0.0f + s[2 * i]) + s[2 * i + 1]) / 2.0f;  /* as below */
    } else {
      for (i = 0; i < n; i++) {
        const float *fr = s + i * channels;
        float sum = 0.0f;
        for (c = 0; c < channels; c++)
          sum += fr[c];
        m[i] = sum / (float) channels;
      }
    }
  }
}

/* lstm_features_process_interleaved() without its checks: one channel is
 * mono samples whatever the configuration's channel. */
static gsize
process_any (LstmFeatures *features, const void *samples,
    LstmSampleFormat format, guint channels, gsize n_frames, float *out)
{
  gsize produced = 0, done = 0;

  while (done < n_frames) {
    const gsize n = MIN (n_frames - done, (gsize) MONO_BLOCK);

    to_mono (features, samples, format, channels, done, n);
    produced += lstm_features_process (features, features->mono, n,
        out + produced * features->size);
    done += n;
  }
  return produced;
}

/**
 * lstm_features_process_interleaved:
 * @features: an extractor
 * @samples: interleaved samples, @n_frames x @channels
 * @format: %LSTM_SAMPLE_F32 or %LSTM_SAMPLE_S16 (native endian)
 * @channels: channels per sample frame, at least 1 and more than the
 *   configuration's `channel` when it names one
 * @n_frames: sample frames
 * @out: (out caller-allocates): room for lstm_features_max_frames
 *   (@n_frames) frames
 *
 * As lstm_features_process(), for interleaved input: S16 is scaled by
 * 1/32768; the configuration's `channel` is taken, or the channels are
 * averaged; then samples are multiplied by `waveform_scale`. Mono input
 * gives the same bytes as lstm_features_process() on the same values.
 *
 * Returns: the number of frames written to @out.
 */
gsize
lstm_features_process_interleaved (LstmFeatures *features,
    const void *samples, LstmSampleFormat format, guint channels,
    gsize n_frames, float *out)
{
  const gint ch = features ? features->cfg.channel : -1;

  g_return_val_if_fail (features != NULL, 0);
  g_return_val_if_fail (channels > 0, 0);
  g_return_val_if_fail (ch < (gint) channels, 0);
  g_return_val_if_fail (samples != NULL || n_frames == 0, 0);

  return process_any (features, samples, format, channels, n_frames, out);
}

/**
 * lstm_features_flush:
 * @features: an extractor
 * @out: (out caller-allocates): room for lstm_features_max_flush_frames()
 *   frames
 *
 * End of stream: emits the frames that waited for look-ahead (melspec's
 * centre padding, filled by `pad_mode` past the last sample; the last
 * deltas, with the final frame replicated as compute_deltas pads), then
 * resets. A stream too short for one frame gives none (torch would raise
 * an error for it).
 *
 * Returns: the number of frames written to @out.
 */
gsize
lstm_features_flush (LstmFeatures *features, float *out)
{
  LstmFeatures *f = features;
  gsize n = 0;

  g_return_val_if_fail (features != NULL, 0);
  if (!f->started) {
    lstm_features_reset (f);
    return 0;
  }
  if (f->lead)
    n += feed (f, NULL, f->lead, out);
  if (f->offset > 0 && !(f->edge == LSTM_PAD_REFLECT &&
          f->n_sig <= f->offset)) {
    const gint64 end = (gint64) f->n_sig;
    while (TRUE) {
      gint64 s = frame_start (f, f->next);
      if (s + (gint64) f->window > end + (gint64) f->offset)
        break;
      n += emit_frame (f, s, end, out + n * f->size);
      f->next++;
    }
  }
  if (f->cfg.deltas > 0) {
    gsize i, rows = lstm_deltas_flush (&f->deltas, out + n * f->size);
    for (i = 0; i < rows; i++)
      normalize_row (f, out + (n + i) * f->size);
    n += rows;
  }
  lstm_features_reset (f);
  return n;
}

/* ---- the non-finite input policy (LstmNanPolicy) on samples ---- */

/* The first sample frame in [@from, @n) whose mono value (scaled by
 * waveform_scale, as feed() scales it) is finite when @finite, non-finite
 * otherwise; @n if none. */
static gsize
scan_finite (LstmFeatures *f, const void *samples, LstmSampleFormat format,
    guint channels, gsize from, gsize n, gboolean finite)
{
  gsize done = from, i;

  /* S16 samples (their mono value within [-1, 1]) times a finite scale
   * are always finite: no pass over them */
  if (format == LSTM_SAMPLE_S16 && isfinite (f->scale))
    return finite ? MIN (from, n) : n;
  while (done < n) {
    const gsize m = MIN (n - done, (gsize) MONO_BLOCK);

    to_mono (f, samples, format, channels, done, m);
    for (i = 0; i < m; i++) {
      const float v = f->mono[i];
      if ((isfinite (v) && isfinite (v * f->scale)) == finite)
        return done + i;
    }
    done += m;
  }
  return n;
}

/**
 * lstm_features_process_checked:
 * @features: an extractor
 * @policy: what to do with samples holding a NaN or an infinity
 * @samples: interleaved samples, @n_frames x @channels
 * @format: %LSTM_SAMPLE_F32 or %LSTM_SAMPLE_S16 (native endian)
 * @channels: channels per sample frame, more than the configuration's
 *   `channel` when it names one; or 1: mono samples, taken as they are
 *   (the configuration's channel already picked, as when resampled)
 * @n_frames: sample frames
 * @out: (out caller-allocates): room for lstm_features_max_frames
 *   (@n_frames) + 1 frames
 * @report: (out caller-allocates): what the call did
 * @error: return location for a #GError
 *
 * lstm_features_process_interleaved() with a policy for non-finite
 * samples. A sample frame is non-finite when its mono value (the channel
 * taken or the average, times `waveform_scale`) is a NaN or an infinity.
 *
 * - %LSTM_NAN_POLICY_RESET: the finite samples before the first
 *   non-finite one are processed; the frames whose windows would hold it
 *   are replaced by one frame of zeros (@report->burst_frame, the last
 *   frame written); the extractor is reset, and the non-finite samples
 *   that follow are skipped, in this call and at the start of the next
 *   ones: the framing restarts at the next finite sample
 *   (@report->run_start in the call that reaches it). The call stops after
 *   the burst's samples (@report->consumed): call again with the rest. A
 *   burst spanning calls gives one zeros frame. Input without non-finite
 *   samples gives exactly lstm_features_process_interleaved()'s frames.
 * - %LSTM_NAN_POLICY_ERROR: a non-finite sample fails the call with
 *   %LSTM_ERROR_FORMAT naming it; nothing is processed.
 * - %LSTM_NAN_POLICY_PASS: lstm_features_process_interleaved(), unchecked.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_features_process_checked (LstmFeatures *features, LstmNanPolicy policy,
    const void *samples, LstmSampleFormat format, guint channels,
    gsize n_frames, float *out, LstmFeaturesReport *report, GError **error)
{
  const gsize bps = format == LSTM_SAMPLE_S16 ? 2 : 4;
  gsize first = 0, bad;

  g_return_val_if_fail (features != NULL && report != NULL, FALSE);
  g_return_val_if_fail (channels > 0, FALSE);
  g_return_val_if_fail (channels == 1 ||
      features->cfg.channel < (gint) channels, FALSE);
  g_return_val_if_fail (samples != NULL || n_frames == 0, FALSE);
  g_return_val_if_fail ((guint) policy <= LSTM_NAN_POLICY_PASS, FALSE);

  report->n_frames = 0;
  report->consumed = 0;
  report->burst_frame = -1;
  report->burst_sample = 0;
  report->run_start = -1;

  if (policy == LSTM_NAN_POLICY_PASS) {
    report->n_frames = process_any (features, samples, format, channels,
        n_frames, out);
    report->consumed = n_frames;
    return TRUE;
  }
  if (policy == LSTM_NAN_POLICY_ERROR) {
    bad = scan_finite (features, samples, format, channels, 0, n_frames,
        FALSE);
    if (bad < n_frames) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "sample %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is not finite "
          "(%s)", bad, n_frames, isnan (features->mono[bad % MONO_BLOCK]) ?
          "NaN" : "an infinity");
      return FALSE;
    }
    report->n_frames = process_any (features, samples, format, channels,
        n_frames, out);
    report->consumed = n_frames;
    return TRUE;
  }

  if (features->nan_burst) {
    /* the burst of the previous call goes on */
    first = scan_finite (features, samples, format, channels, 0, n_frames,
        TRUE);
    if (first == n_frames) {
      report->consumed = n_frames;
      return TRUE;
    }
    features->nan_burst = FALSE;
    report->run_start = (gssize) first;
  }
  bad = scan_finite (features, samples, format, channels, first, n_frames,
      FALSE);
  report->n_frames = process_any (features,
      (const guint8 *) samples + first * channels * bps, format, channels,
      bad - first, out);
  if (bad == n_frames) {
    report->consumed = n_frames;
    return TRUE;
  }
  memset (out + report->n_frames * features->size, 0,
      features->size * sizeof (float));
  report->burst_frame = (gssize) report->n_frames;
  report->burst_sample = bad;
  report->n_frames++;
  lstm_features_reset (features);
  features->nan_burst = TRUE;
  report->consumed = scan_finite (features, samples, format, channels, bad,
      n_frames, TRUE);
  return TRUE;
}
