/* liblstm: streaming audio features (fbank, mfcc, melspec, raw)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Implemented in lib/src/features/.
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>
#include <lstm/lstm-model.h>
#include <lstm/lstm-nan-policy.h>

G_BEGIN_DECLS

/**
 * LstmFeatures:
 *
 * A streaming feature extractor for one mono audio stream, configured by
 * the JSON object a model stores in its `lstm.features` metadata (design.md
 * section 5): `kind` ("fbank", "mfcc", "melspec", "raw") plus torchaudio's
 * own argument names for that kind. Output is bitwise identical however the
 * samples are split into calls.
 */
typedef struct _LstmFeatures LstmFeatures;

/**
 * LstmSampleFormat:
 * @LSTM_SAMPLE_F32: native-endian float32 samples.
 * @LSTM_SAMPLE_S16: native-endian signed 16-bit samples, scaled by 1/32768.
 */
typedef enum {
  LSTM_SAMPLE_F32,
  LSTM_SAMPLE_S16,
} LstmSampleFormat;

LSTM_API LstmFeatures *lstm_features_new (const gchar *config,
    GError **error);
LSTM_API LstmFeatures *lstm_features_new_for_model (LstmModel *model,
    GError **error);

/**
 * LstmFeaturesOptions:
 * @source: a JSON configuration inline (`{...}`) or in a file, a model
 *   file (its `lstm.features`), a kind name, or %NULL
 * @kind: the kind ("fbank", "mfcc", "melspec", "raw") over the source's;
 *   %NULL: the source's, or fbank
 * @sample_rate: Hz; 0: the source's, or 16000
 * @num_mel_bins: mel bands (`num_mel_bins`, melspec's `n_mels`); 0: unset
 * @num_ceps: cepstra, mfcc only; 0: unset
 * @frame_length_ms: window length (melspec: `n_fft` = `win_length` in
 *   samples); 0: unset
 * @frame_shift_ms: time between frames (melspec: `hop_length` in samples);
 *   0: unset
 * @low_freq: lower mel edge in Hz (`low_freq`, melspec's `f_min`); below
 *   0: unset
 * @high_freq: upper mel edge in Hz (`high_freq`, melspec's `f_max`); 0:
 *   unset
 *
 * What a front end was given for its features: the lstmfeatures element's
 * `config` (or `model`) and individual properties, `lstm features`'s
 * CONFIG and options of the same names. Initialise with
 * lstm_features_options_init(); see lstm_features_new_from_options().
 */
typedef struct {
  const gchar *source;
  const gchar *kind;
  guint sample_rate;
  guint num_mel_bins;
  guint num_ceps;
  double frame_length_ms;
  double frame_shift_ms;
  double low_freq;
  double high_freq;
} LstmFeaturesOptions;

LSTM_API void lstm_features_options_init (LstmFeaturesOptions *options);
LSTM_API LstmFeatures *lstm_features_new_from_options (
    const LstmFeaturesOptions *options, LstmModel **model, GError **error);
LSTM_API gchar *lstm_features_options_to_config (
    const LstmFeaturesOptions *options, GError **error);
LSTM_API void lstm_features_free (LstmFeatures *features);
LSTM_API void lstm_features_reset (LstmFeatures *features);

/* The canonical configuration: every parameter, defaults filled in. */
LSTM_API gchar *lstm_features_get_config (LstmFeatures *features);
/* Values per output frame. */
LSTM_API guint lstm_features_get_size (LstmFeatures *features);
/* Sample rate the configuration expects, in Hz. */
LSTM_API guint lstm_features_get_sample_rate (LstmFeatures *features);
/* Samples between consecutive frames (the shift / hop). */
LSTM_API guint lstm_features_get_shift (LstmFeatures *features);
/* Samples a frame's window covers. */
LSTM_API guint lstm_features_get_window (LstmFeatures *features);
/* Samples of look-ahead: how far past (frame start + shift) the input must
 * reach before the frame is produced: window - shift, plus delta context
 * (n frames per delta order), plus 1 for melspec's reflection at the start.
 * With center=True a frame starts n_fft/2 before its centre, so the n_fft/2
 * look-ahead relative to the centre is included. */
LSTM_API guint lstm_features_get_latency (LstmFeatures *features);
/* Position, in samples from the stream start (or the last reset), of frame
 * @index's window start; negative for center=True's first frames. */
LSTM_API gint64 lstm_features_get_frame_start (LstmFeatures *features,
    guint64 index);

/* Most frames one process call of @n_samples can produce. */
LSTM_API gsize lstm_features_max_frames (LstmFeatures *features,
    gsize n_samples);
/* Feeds mono float samples (multiplied by the configuration's
 * `waveform_scale`, like every input path); writes the frames they complete
 * to @out (at least lstm_features_max_frames(n_samples) x size floats) and
 * returns how many. Never allocates in steady state. FFTs of any size
 * (n_fft, or the padded window) cost O(n log n): sizes with a prime factor
 * above 5 go through Bluestein's algorithm. */
LSTM_API gsize lstm_features_process (LstmFeatures *features,
    const float *samples, gsize n_samples, float *out);
/* Interleaved input of any channel count: downmixed by averaging, or the
 * configuration's `channel` taken; S16 scaled by 1/32768; then multiplied by
 * the configuration's `waveform_scale`. */
LSTM_API gsize lstm_features_process_interleaved (LstmFeatures *features,
    const void *samples, LstmSampleFormat format, guint channels,
    gsize n_frames, float *out);
/* Most frames lstm_features_flush() can produce. */
LSTM_API gsize lstm_features_max_flush_frames (LstmFeatures *features);
/* End of stream: emits the frames that needed look-ahead (reflection
 * padding for center=True, delta context), then resets. */
LSTM_API gsize lstm_features_flush (LstmFeatures *features, float *out);

/* The channel the configuration takes from interleaved input, or -1 when
 * the channels are averaged. Interleaved input must have more channels. */
LSTM_API gint lstm_features_get_channel (LstmFeatures *features);
/* Opt-in output normalisation, (x - mean) / std per value (size values
 * each, either may be NULL; both NULL turns it off). Never implicit: a
 * model's input.mean/std are applied by lstm_model_forward(). */
LSTM_API gboolean lstm_features_set_normalization (LstmFeatures *features,
    const float *mean, const float *std, GError **error);

/**
 * LstmFeaturesReport:
 * @n_frames: frames written to @out
 * @consumed: sample frames consumed (all of them, or with
 *   %LSTM_NAN_POLICY_RESET up to the end of a burst's samples in the call)
 * @burst_frame: index in @out of the frame of zeros standing for a burst of
 *   non-finite samples that began in this call (then the last frame
 *   written, and the framing was reset), or -1
 * @burst_sample: the burst's first non-finite sample frame, counted from
 *   the start of the call's input (when @burst_frame >= 0)
 * @run_start: the sample frame, counted from the start of the call's
 *   input, where the framing restarted after a burst that began before
 *   (the run's first sample; lstm_features_get_frame_start() counts from
 *   there), or -1
 *
 * What lstm_features_process_checked() did.
 */
typedef struct {
  gsize n_frames;
  gsize consumed;
  gssize burst_frame;
  gsize burst_sample;
  gssize run_start;
} LstmFeaturesReport;

/* Interleaved input with a policy for non-finite samples (see the doc
 * comment in features.c); @out needs room for max_frames(n) + 1 frames. */
LSTM_API gboolean lstm_features_process_checked (LstmFeatures *features,
    LstmNanPolicy policy, const void *samples, LstmSampleFormat format,
    guint channels, gsize n_frames, float *out, LstmFeaturesReport *report,
    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmFeatures, lstm_features_free)

G_END_DECLS
