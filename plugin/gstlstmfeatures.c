/* GStreamer lstm plugin: lstmfeatures, audio to feature frames
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-lstmfeatures
 * @title: lstmfeatures
 * @see_also: lstminfer, audioresample, audioconvert
 *
 * Computes, from audio, the feature frames a model was trained on: Kaldi
 * log-mel filterbanks (`fbank`) and MFCCs (`mfcc`), torchaudio's
 * MelSpectrogram (`melspec`) or raw sample windows (`raw`), exactly as
 * liblstm's `LstmFeatures` computes them: the frames are bitwise identical
 * to those of `lstm features CONFIG AUDIO OUTPUT` on the same samples,
 * however the audio is split into buffers.
 *
 * The configuration comes from one of:
 *
 * * #GstLstmFeatures:model: a model file; every setting is its
 *   `lstm.features` (the frames it was trained on);
 * * #GstLstmFeatures:config: a JSON configuration (the `lstm.features`
 *   format: the `kind` and torchaudio's own argument names), inline or in
 *   a file, which the properties below may override;
 * * the properties #GstLstmFeatures:kind, #GstLstmFeatures:sample-rate,
 *   #GstLstmFeatures:num-mel-bins, #GstLstmFeatures:num-ceps,
 *   #GstLstmFeatures:frame-length-ms, #GstLstmFeatures:frame-shift-ms,
 *   #GstLstmFeatures:low-freq and #GstLstmFeatures:high-freq; what none of
 *   them sets takes torchaudio's default for the kind (for instance 16 kHz,
 *   25 ms windows every 10 ms and 23 mel bins for fbank).
 *
 * The configuration is read when the element goes from READY to PAUSED.
 * Nothing is normalised unless #GstLstmFeatures:normalize asks for it
 * (lstminfer applies a model's `input.mean`/`input.std` itself).
 *
 * ## Input
 *
 * `audio/x-raw`, F32LE or S16LE (scaled by 1/32768), interleaved, any number
 * of channels (averaged, unless the configuration names a `channel`), at
 * the configuration's sample rate: audio at another rate is refused with a
 * not-negotiated error that says so; put `audioresample` (and
 * `audioconvert`) before the element. Bitwise equality with `lstm features`
 * holds for mono input at the configuration's rate.
 *
 * ## Output
 *
 * One frame of D float32 values per shift, in either frame caps family,
 * whichever downstream prefers (tensors when both will do):
 *
 * * `other/tensors,format=static,num_tensors=1,types=float32,
 *   dimensions=(string)D:N,framerate=R/N` with N =
 *   #GstLstmFeatures:frames-per-buffer (R being frames per second). The
 *   dimensions are offered in every rank NNStreamer writes (`D:N`, `D:N:1`,
 *   `D:N:1:1`): downstream's spelling is kept. The caps stay fixed for the
 *   whole stream: a buffer with fewer frames (k, at the end of the stream
 *   or before a gap or discontinuity) is padded with frames of zeros up to
 *   N, its duration and offset_end cover the k real frames, and it carries
 *   the `GstLstmPadding` custom meta (`valid-frames`=k; gstlstmmeta.h),
 *   which lstminfer and lstmtrain honour. With
 *   #GstLstmFeatures:pad-buffers set to %FALSE, such a buffer is announced
 *   instead by a CAPS event with `D:k` before it, and `D:N` is sent again
 *   before the next full buffer.
 * * `audio/x-raw,format=F32LE,layout=interleaved,channels=D,rate=R`, one
 *   frame per sample, when R (sample rate / shift) is a whole number.
 *
 * ## Timestamps
 *
 * Times come from sample counts, not from adding up durations: after each
 * (re)start of the framing, the first input buffer's timestamp (or, if it
 * has none, the segment's start) is the time of its first sample, and
 * later timestamps are not looked at. A frame's PTS is the time of the
 * first sample of its window, its duration the shift. A buffer's PTS is
 * that of its first frame and its duration runs to the end of its last
 * frame's shift, so consecutive buffers are contiguous. With melspec's
 * `center=True` (and `pad`) the first windows start before the first
 * sample: their PTS is clamped to that sample and their duration shortened
 * to keep the frames contiguous (the first frame of a 400-sample window
 * with a 160-sample hop lasts 0), as `lstm run` times them.
 *
 * The framing restarts, the next output buffer flagged DISCONT, on a
 * DISCONT buffer, a GAP event or GAP buffer (no frames are made from a
 * gap), a new SEGMENT that is not a mere update (a seek), STREAM_START and
 * FLUSH_STOP. Except after a flush, the frames still waiting for
 * look-ahead are emitted first, as at EOS: melspec's centre padding at the
 * end, the last frames' deltas. The window of samples not yet complete is
 * dropped.
 *
 * A sample holding NaN or Inf follows #GstLstmFeatures:nan-policy: by
 * default one frame of zeros, in a buffer flagged GAP, stands for a burst
 * of them, the framing restarts at the next finite sample, and one WARNING
 * message is posted per burst.
 *
 * ## Latency
 *
 * A frame can leave once its window and the look-ahead of the
 * configuration (the deltas' context, melspec's reflection) are in, and a
 * buffer once its last frame is. Since a frame's PTS is the start of its
 * window, the element adds lstm_features_get_latency() (window - shift,
 * plus that look-ahead) + N x shift samples to the LATENCY query's answer:
 * 25 ms for the default fbank (25 ms windows every 10 ms) and one frame
 * per buffer.
 *
 * ## Its configuration, for trainers
 *
 * Once it has started, the element answers the custom upstream query
 * `lstm-features-config` (a #GstStructure of that name) on its source pad
 * by setting the string field `config` to its configuration as a JSON
 * object, the `lstm.features` format: `lstmtrain` asks for it when its
 * frame caps arrive and records it in the model it trains, so that
 * `lstmfeatures model=` and `lstm run` compute the same frames.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=examples/data/tones.wav ! wavparse ! audioconvert ! audioresample ! lstmfeatures model=examples/data/placeholder-tones.safetensors ! lstminfer model=examples/data/placeholder-tones.safetensors message-interval=50 ! fakesink
 * ]|
 * Tags a WAV file with the placeholder `low`/`high` tone classifier: the
 * model's own features, an `lstm-prediction` message every 50 frames
 * (half a second) and an `lstm-segment` per stretch of one label.
 * |[
 * gst-launch-1.0 filesrc location=examples/data/tones.wav ! wavparse ! lstmfeatures kind=mfcc num-ceps=20 num-mel-bins=40 frames-per-buffer=10 ! filesink location=mfcc.f32
 * ]|
 * Writes 20 MFCCs per 10 ms frame as raw float32, the bytes `lstm features
 * '{"kind":"mfcc","num_ceps":20,"num_mel_bins":40}'
 * examples/data/tones.wav mfcc-cli.f32` writes.
 */

#include "config.h"

#include <string.h>

#include <gst/audio/audio.h>
#include <json-glib/json-glib.h>
#include <lstm/lstm.h>

#include "gstlstmenums.h"
#include "gstlstmfeatures-private.h"

GST_DEBUG_CATEGORY (gst_lstm_features_debug);
#define GST_CAT_DEFAULT gst_lstm_features_debug

#define SINK_CAPS \
  "audio/x-raw, " \
  "format = (string) { F32LE, S16LE }, " \
  "layout = (string) interleaved, " \
  "rate = (int) [ 1, MAX ], " \
  "channels = (int) [ 1, MAX ]"

#define SRC_CAPS GST_LSTM_FRAMES_CAPS

#define DEFAULT_MODEL NULL
#define DEFAULT_CONFIG NULL
#define DEFAULT_KIND GST_LSTM_FEATURES_KIND_FBANK
#define DEFAULT_SAMPLE_RATE 0
#define DEFAULT_NUM_MEL_BINS 0
#define DEFAULT_NUM_CEPS 0
#define DEFAULT_FRAME_LENGTH_MS 0.0
#define DEFAULT_FRAME_SHIFT_MS 0.0
#define DEFAULT_LOW_FREQ -1.0
#define DEFAULT_HIGH_FREQ 0.0
#define DEFAULT_FRAMES_PER_BUFFER 1
#define DEFAULT_PAD_BUFFERS TRUE
#define MAX_FRAMES_PER_BUFFER 65536
#define DEFAULT_NORMALIZE FALSE
#define DEFAULT_NAN_POLICY GST_LSTM_NAN_POLICY_RESET

/* Input is handed to liblstm in blocks of this many sample frames, so that
 * the frame scratch is sized once. */
#define CHUNK_SAMPLES 4096

/* Samples and frames are handed to liblstm and downstream as they are. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_CONFIG,
  PROP_KIND,
  PROP_SAMPLE_RATE,
  PROP_NUM_MEL_BINS,
  PROP_NUM_CEPS,
  PROP_FRAME_LENGTH_MS,
  PROP_FRAME_SHIFT_MS,
  PROP_LOW_FREQ,
  PROP_HIGH_FREQ,
  PROP_FRAMES_PER_BUFFER,
  PROP_PAD_BUFFERS,
  PROP_NORMALIZE,
  PROP_NAN_POLICY,
};

G_DEFINE_TYPE (GstLstmFeatures, gst_lstm_features, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (lstmfeatures, "lstmfeatures", GST_RANK_NONE,
    GST_TYPE_LSTM_FEATURES);

static GstStaticPadTemplate sink_template_factory =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (SINK_CAPS));

static GstStaticPadTemplate src_template_factory =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (SRC_CAPS));

static void gst_lstm_features_finalize (GObject *object);
static void gst_lstm_features_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec);
static void gst_lstm_features_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec);

static GstStateChangeReturn gst_lstm_features_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_lstm_features_chain (GstPad *pad, GstObject *parent,
    GstBuffer *buffer);
static gboolean gst_lstm_features_sink_event (GstPad *pad, GstObject *parent,
    GstEvent *event);
static gboolean gst_lstm_features_sink_query (GstPad *pad, GstObject *parent,
    GstQuery *query);
static gboolean gst_lstm_features_src_query (GstPad *pad, GstObject *parent,
    GstQuery *query);

static void
gst_lstm_features_class_init (GstLstmFeaturesClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_lstm_features_set_property;
  gobject_class->get_property = gst_lstm_features_get_property;
  gobject_class->finalize = gst_lstm_features_finalize;

  /**
   * GstLstmFeatures:model:
   *
   * A model file (safetensors) whose `lstm.features` gives every setting:
   * the frames are those the model takes. Cannot be combined with
   * #GstLstmFeatures:config or the individual feature properties.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (safetensors) whose feature configuration "
          "(lstm.features) gives every setting", DEFAULT_MODEL, flags));

  /**
   * GstLstmFeatures:config:
   *
   * A feature configuration: a JSON object (the `lstm.features` format:
   * `kind` plus torchaudio's argument names for it, e.g.
   * `{"kind":"melspec","n_fft":512,"n_mels":64,"log":"natural"}`), or the
   * name of a file holding one. The individual feature properties that are
   * set override its keys.
   */
  g_object_class_install_property (gobject_class, PROP_CONFIG,
      g_param_spec_string ("config", "Configuration",
          "Feature configuration: a JSON object (lstm.features format) or "
          "a file holding one", DEFAULT_CONFIG, flags));

  /**
   * GstLstmFeatures:kind:
   *
   * What to compute. Unless set, the kind of #GstLstmFeatures:config, or
   * `fbank`.
   */
  g_object_class_install_property (gobject_class, PROP_KIND,
      g_param_spec_enum ("kind", "Kind",
          "What to compute (unless set, the configuration's kind, or fbank)",
          GST_TYPE_LSTM_FEATURES_KIND, DEFAULT_KIND, flags));

  /**
   * GstLstmFeatures:sample-rate:
   *
   * The sample rate the features are computed at, in Hz (input at another
   * rate is refused). 0: the configuration's, or 16000.
   */
  g_object_class_install_property (gobject_class, PROP_SAMPLE_RATE,
      g_param_spec_uint ("sample-rate", "Sample rate",
          "Sample rate of the features in Hz (0 = the configuration's, or "
          "16000)", 0, 1000000, DEFAULT_SAMPLE_RATE, flags));

  /**
   * GstLstmFeatures:num-mel-bins:
   *
   * Mel bands: `num_mel_bins` for fbank and mfcc, `n_mels` for melspec.
   * 0: the configuration's, or the kind's default (23 for fbank and mfcc,
   * 128 for melspec).
   */
  g_object_class_install_property (gobject_class, PROP_NUM_MEL_BINS,
      g_param_spec_uint ("num-mel-bins", "Mel bins",
          "Mel bands (fbank, mfcc: num_mel_bins; melspec: n_mels; 0 = the "
          "kind's default)", 0, 4096, DEFAULT_NUM_MEL_BINS, flags));

  /**
   * GstLstmFeatures:num-ceps:
   *
   * Cepstral coefficients per frame (mfcc only). 0: the configuration's,
   * or 13.
   */
  g_object_class_install_property (gobject_class, PROP_NUM_CEPS,
      g_param_spec_uint ("num-ceps", "Cepstra",
          "Cepstral coefficients per frame, mfcc only (0 = the kind's "
          "default, 13)", 0, 4096, DEFAULT_NUM_CEPS, flags));

  /**
   * GstLstmFeatures:frame-length-ms:
   *
   * Window length in milliseconds: `frame_length` for fbank, mfcc and raw;
   * for melspec, `n_fft` and `win_length` in samples (truncated, as Kaldi
   * counts them). 0: the configuration's, or the kind's default (25 ms;
   * 400 samples for melspec).
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_LENGTH_MS,
      g_param_spec_double ("frame-length-ms", "Frame length",
          "Window length in ms (melspec: n_fft = win_length in samples; 0 = "
          "the kind's default)", 0.0, 60000.0, DEFAULT_FRAME_LENGTH_MS,
          flags));

  /**
   * GstLstmFeatures:frame-shift-ms:
   *
   * Time between frames in milliseconds: `frame_shift` for fbank, mfcc and
   * raw, `hop_length` in samples for melspec. 0: the configuration's, or the
   * kind's default (10 ms; half the window for melspec).
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_SHIFT_MS,
      g_param_spec_double ("frame-shift-ms", "Frame shift",
          "Time between frames in ms (melspec: hop_length in samples; 0 = "
          "the kind's default)", 0.0, 60000.0, DEFAULT_FRAME_SHIFT_MS,
          flags));

  /**
   * GstLstmFeatures:low-freq:
   *
   * Lower edge of the mel filters in Hz: `low_freq` for fbank and mfcc,
   * `f_min` for melspec. -1: the configuration's, or the kind's default
   * (20 Hz for fbank and mfcc, 0 for melspec).
   */
  g_object_class_install_property (gobject_class, PROP_LOW_FREQ,
      g_param_spec_double ("low-freq", "Low frequency",
          "Lower edge of the mel filters in Hz (fbank, mfcc: low_freq; "
          "melspec: f_min; -1 = the kind's default)", -1.0, 500000.0,
          DEFAULT_LOW_FREQ, flags));

  /**
   * GstLstmFeatures:high-freq:
   *
   * Upper edge of the mel filters in Hz: `high_freq` for fbank and mfcc,
   * `f_max` for melspec. 0: the configuration's, or the Nyquist frequency.
   * (Kaldi's negative offsets from the Nyquist frequency can be given in
   * #GstLstmFeatures:config.)
   */
  g_object_class_install_property (gobject_class, PROP_HIGH_FREQ,
      g_param_spec_double ("high-freq", "High frequency",
          "Upper edge of the mel filters in Hz (fbank, mfcc: high_freq; "
          "melspec: f_max; 0 = the kind's default, Nyquist)", 0.0, 500000.0,
          DEFAULT_HIGH_FREQ, flags));

  /**
   * GstLstmFeatures:frames-per-buffer:
   *
   * Frames per output buffer: N of `dimensions=D:N` for tensors, buffers
   * of N samples for audio. A buffer waits for its last frame, which adds
   * to the latency.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PER_BUFFER,
      g_param_spec_uint ("frames-per-buffer", "Frames per buffer",
          "Frames per output buffer (N of dimensions=D:N)", 1,
          MAX_FRAMES_PER_BUFFER, DEFAULT_FRAMES_PER_BUFFER, flags));

  /**
   * GstLstmFeatures:pad-buffers:
   *
   * Tensors: keeps the caps fixed for the whole stream by padding a buffer
   * of fewer than #GstLstmFeatures:frames-per-buffer frames with frames of
   * zeros, marked with the `GstLstmPadding` custom meta, as NNStreamer
   * elements expect. %FALSE announces the short buffer with caps of its own
   * frame count instead.
   */
  g_object_class_install_property (gobject_class, PROP_PAD_BUFFERS,
      g_param_spec_boolean ("pad-buffers", "Pad buffers",
          "Tensors: pad a short buffer (end of stream, gap, discontinuity) "
          "with frames of zeros marked by a GstLstmPadding meta, keeping the "
          "caps fixed (false: announce its frame count with new caps)",
          DEFAULT_PAD_BUFFERS, flags));

  /**
   * GstLstmFeatures:normalize:
   *
   * Applies the model's `input.mean` and `input.std` to the frames, for
   * consumers other than lstminfer (which applies them itself: do not set
   * this in front of lstminfer). Needs #GstLstmFeatures:model; a model
   * without them leaves the frames as they are.
   */
  g_object_class_install_property (gobject_class, PROP_NORMALIZE,
      g_param_spec_boolean ("normalize", "Normalize",
          "Apply the model's input.mean / input.std to the frames (not "
          "before lstminfer, which applies them itself)", DEFAULT_NORMALIZE,
          flags));

  /**
   * GstLstmFeatures:nan-policy:
   *
   * What a sample holding NaN or Inf (after the downmix) does. `reset`
   * (the default): the frames whose windows would hold it are replaced by
   * one frame of zeros, pushed as a one-frame buffer flagged GAP and
   * DISCONT and timed at the first bad sample; the framing restarts at the
   * next finite sample (the next buffer DISCONT), and one WARNING message
   * is posted per burst of such samples. lstminfer downstream resets its
   * state on that GAP buffer. `error`: a stream error. `pass`: the samples
   * go through unchecked.
   */
  g_object_class_install_property (gobject_class, PROP_NAN_POLICY,
      g_param_spec_enum ("nan-policy", "NaN policy",
          "What a sample holding NaN or Inf does: a frame of zeros (GAP) and "
          "a restart of the framing with one warning per burst, a stream "
          "error, or nothing", GST_TYPE_LSTM_NAN_POLICY, DEFAULT_NAN_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class,
      &sink_template_factory);
  gst_element_class_add_static_pad_template (element_class,
      &src_template_factory);
  gst_element_class_set_static_metadata (element_class,
      "LSTM audio features", "Filter/Analyzer/Audio",
      "Computes feature frames from audio (Kaldi filterbanks and MFCCs, mel "
      "spectrograms, sample windows) exactly as torchaudio and liblstm do, "
      "from a model's configuration or the properties",
      "gst-lstm developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_lstm_features_change_state);

  GST_DEBUG_CATEGORY_INIT (gst_lstm_features_debug, "lstmfeatures", 0,
      "LSTM audio features");

  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_FEATURES_KIND, 0);
}

static void
gst_lstm_features_init (GstLstmFeatures *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template_factory,
      "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_features_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_features_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_features_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template_factory,
      "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_lstm_features_src_query));
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->model_location = g_strdup (DEFAULT_MODEL);
  self->config = g_strdup (DEFAULT_CONFIG);
  self->kind = DEFAULT_KIND;
  self->sample_rate = DEFAULT_SAMPLE_RATE;
  self->num_mel_bins = DEFAULT_NUM_MEL_BINS;
  self->num_ceps = DEFAULT_NUM_CEPS;
  self->frame_length_ms = DEFAULT_FRAME_LENGTH_MS;
  self->frame_shift_ms = DEFAULT_FRAME_SHIFT_MS;
  self->low_freq = DEFAULT_LOW_FREQ;
  self->high_freq = DEFAULT_HIGH_FREQ;
  self->frames_per_buffer = DEFAULT_FRAMES_PER_BUFFER;
  self->pad_buffers = DEFAULT_PAD_BUFFERS;
  self->normalize = DEFAULT_NORMALIZE;
  self->nan_policy = DEFAULT_NAN_POLICY;
  self->gap_ts = GST_CLOCK_TIME_NONE;
  self->settings_changed = TRUE;
  g_mutex_init (&self->lock);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->base_ts = GST_CLOCK_TIME_NONE;
}

static void
gst_lstm_features_finalize (GObject *object)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (object);

  g_clear_pointer (&self->config_json, g_free);
  g_clear_pointer (&self->features, lstm_features_free);
  g_free (self->model_location);
  g_free (self->config);
  g_free (self->frames);
  gst_lstm_features_release_out (self);
  g_free (self->stage);
  g_free (self->in_copy);
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_object_unref (self->pool);
  }
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_lstm_features_parent_class)->finalize (object);
}

static void
gst_lstm_features_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (object);

  if (prop_id == PROP_NAN_POLICY) {
    /* read at each buffer: no new extractor */
    GST_OBJECT_LOCK (self);
    self->nan_policy = g_value_get_enum (value);
    GST_OBJECT_UNLOCK (self);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_location);
      self->model_location = g_value_dup_string (value);
      break;
    case PROP_CONFIG:
      g_free (self->config);
      self->config = g_value_dup_string (value);
      break;
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      self->kind_set = TRUE;
      break;
    case PROP_SAMPLE_RATE:
      self->sample_rate = g_value_get_uint (value);
      break;
    case PROP_NUM_MEL_BINS:
      self->num_mel_bins = g_value_get_uint (value);
      break;
    case PROP_NUM_CEPS:
      self->num_ceps = g_value_get_uint (value);
      break;
    case PROP_FRAME_LENGTH_MS:
      self->frame_length_ms = g_value_get_double (value);
      break;
    case PROP_FRAME_SHIFT_MS:
      self->frame_shift_ms = g_value_get_double (value);
      break;
    case PROP_LOW_FREQ:
      self->low_freq = g_value_get_double (value);
      break;
    case PROP_HIGH_FREQ:
      self->high_freq = g_value_get_double (value);
      break;
    case PROP_FRAMES_PER_BUFFER:
      self->frames_per_buffer = g_value_get_uint (value);
      break;
    case PROP_PAD_BUFFERS:
      self->pad_buffers = g_value_get_boolean (value);
      break;
    case PROP_NORMALIZE:
      self->normalize = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      GST_OBJECT_UNLOCK (self);
      return;
  }
  self->settings_changed = TRUE;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (self->started)
    GST_WARNING_OBJECT (self, "'%s' changed while running: it takes effect "
        "when the element next goes from READY to PAUSED", pspec->name);
  g_mutex_unlock (&self->lock);
}

static void
gst_lstm_features_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_CONFIG:
      g_value_set_string (value, self->config);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_SAMPLE_RATE:
      g_value_set_uint (value, self->sample_rate);
      break;
    case PROP_NUM_MEL_BINS:
      g_value_set_uint (value, self->num_mel_bins);
      break;
    case PROP_NUM_CEPS:
      g_value_set_uint (value, self->num_ceps);
      break;
    case PROP_FRAME_LENGTH_MS:
      g_value_set_double (value, self->frame_length_ms);
      break;
    case PROP_FRAME_SHIFT_MS:
      g_value_set_double (value, self->frame_shift_ms);
      break;
    case PROP_LOW_FREQ:
      g_value_set_double (value, self->low_freq);
      break;
    case PROP_HIGH_FREQ:
      g_value_set_double (value, self->high_freq);
      break;
    case PROP_FRAMES_PER_BUFFER:
      g_value_set_uint (value, self->frames_per_buffer);
      break;
    case PROP_PAD_BUFFERS:
      g_value_set_boolean (value, self->pad_buffers);
      break;
    case PROP_NORMALIZE:
      g_value_set_boolean (value, self->normalize);
      break;
    case PROP_NAN_POLICY:
      g_value_set_enum (value, self->nan_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstFlowReturn
gst_lstm_features_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (parent);
  const LstmSampleFormat fmt = self->in_format == GST_AUDIO_FORMAT_F32LE ?
      LSTM_SAMPLE_F32 : LSTM_SAMPLE_S16;
  GstFlowReturn ret = GST_FLOW_OK;
  const guint8 *data;
  GstMapInfo map;
  GstClockTime buf_ts;
  LstmNanPolicy policy;
  gsize n, done;

  (void) pad;
  if (self->have_in_caps && !self->have_out_caps && !gst_lstm_features_negotiate (self)) {
    /* the caps push was refused by a flush (else negotiate() posted the
     * error) */
    gst_buffer_unref (buffer);
    return gst_lstm_features_src_flushing (self) ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
  }
  if (!self->have_in_caps || !self->have_out_caps) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No caps before data."),
        (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (GST_BUFFER_IS_DISCONT (buffer) ||
      GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP)) {
    GST_DEBUG_OBJECT (self, "%s buffer at %" GST_TIME_FORMAT ": the framing "
        "restarts", GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP) ?
        "GAP" : "DISCONT", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    ret = gst_lstm_features_drain (self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buffer);
      return ret;
    }
    if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP)) {
      /* no frames from a gap: downstream hears of it as a GAP event */
      if (GST_BUFFER_PTS_IS_VALID (buffer))
        gst_pad_push_event (self->srcpad, gst_event_new_gap
            (GST_BUFFER_PTS (buffer), GST_BUFFER_DURATION (buffer)));
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
  }

  if (!self->run_started) {
    self->base_ts = GST_BUFFER_PTS (buffer);
    if (!GST_CLOCK_TIME_IS_VALID (self->base_ts) &&
        self->segment.format == GST_FORMAT_TIME)
      self->base_ts = self->segment.start;
    self->run_started = TRUE;
    GST_DEBUG_OBJECT (self, "framing starts at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->base_ts));
  }

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not map a buffer."),
        (NULL));
    return GST_FLOW_ERROR;
  }
  if (map.size % self->in_bpf != 0) {
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of "
            "sample frames of %u bytes.", map.size, self->in_bpf), (NULL));
    return GST_FLOW_ERROR;
  }
  data = gst_lstm_features_aligned_input (self, &map);
  n = map.size / self->in_bpf;
  /* the time of the buffer's first sample */
  buf_ts = GST_BUFFER_PTS (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (buf_ts) && GST_CLOCK_TIME_IS_VALID
      (self->base_ts))
    buf_ts = gst_lstm_features_sample_time (self, (gint64) self->run_samples);
  GST_OBJECT_LOCK (self);
  policy = (LstmNanPolicy) self->nan_policy;
  GST_OBJECT_UNLOCK (self);
  for (done = 0; done < n && ret == GST_FLOW_OK;) {
    gsize m = MIN (n - done, (gsize) CHUNK_SAMPLES);
    g_autoptr (GError) error = NULL;
    LstmFeaturesReport rep;

    if (!lstm_features_process_checked (self->features, policy,
            data + done * self->in_bpf, fmt, self->in_channels, m,
            self->frames, &rep, &error)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("The audio holds NaN or Inf (nan-policy=error)."),
          ("buffer at %" GST_TIME_FORMAT ", from sample %" G_GSIZE_FORMAT
              ": %s", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), done,
              error->message));
      ret = GST_FLOW_ERROR;
      break;
    }
    if (rep.run_start >= 0) {
      /* the framing restarts after non-finite samples */
      self->base_ts = GST_CLOCK_TIME_IS_VALID (buf_ts) ? buf_ts +
          gst_util_uint64_scale (done + (gsize) rep.run_start, GST_SECOND,
          self->info.rate) : GST_CLOCK_TIME_NONE;
      self->run_started = TRUE;
      self->run_samples = 0;
    }
    if (rep.burst_frame < 0) {
      ret = gst_lstm_features_add_frames (self, self->frames, rep.n_frames);
      self->run_samples += rep.consumed - (rep.run_start >= 0 ?
          (gsize) rep.run_start : 0);
    } else {
      GstClockTime at = GST_CLOCK_TIME_IS_VALID (buf_ts) ? buf_ts +
          gst_util_uint64_scale (done + rep.burst_sample, GST_SECOND,
          self->info.rate) : GST_CLOCK_TIME_NONE;

      /* the run's frames, then one frame of zeros for the burst */
      ret = gst_lstm_features_add_frames (self, self->frames, (gsize) rep.burst_frame);
      if (ret == GST_FLOW_OK)
        ret = gst_lstm_features_push_stage (self);
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("The audio holds NaN or Inf: a frame of zeros (flagged GAP) "
              "stands for it and the framing restarts at the next finite "
              "sample (nan-policy=reset)."),
          ("a burst of non-finite samples starts at %" GST_TIME_FORMAT,
              GST_TIME_ARGS (at)));
      if (ret == GST_FLOW_OK) {
        memcpy (gst_lstm_features_stage_begin (self), self->frames +
            (gsize) rep.burst_frame * self->info.dim,
            self->info.dim * sizeof (gfloat));
        self->stage_n = 1;
        self->stage_gap = TRUE;
        self->gap_ts = at;
        ret = gst_lstm_features_push_stage (self);
      }
      /* liblstm has reset the extractor (and skips the rest of the
       * burst): the run restarts here */
      self->run_started = FALSE;
      self->run_frames = 0;
      self->run_samples = 0;
      self->stage_n = 0;
      self->stage_gap = FALSE;
      self->base_ts = GST_CLOCK_TIME_NONE;
      self->discont = TRUE;
    }
    done += rep.consumed;
  }
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);
  return ret;
}

/* ---- events and queries ---- */

static gboolean
gst_lstm_features_sink_event (GstPad *pad, GstObject *parent,
    GstEvent *event)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_lstm_features_set_input_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *s;

      gst_event_parse_segment (event, &s);
      if (!gst_lstm_segment_is_update (&self->segment, s)) {
        GST_DEBUG_OBJECT (self, "new segment: the framing restarts");
        gst_lstm_features_drain (self);
      }
      gst_segment_copy_into (s, &self->segment);
      break;
    }
    case GST_EVENT_STREAM_START:
      gst_lstm_features_drain (self);
      break;
    case GST_EVENT_GAP:{
      gst_lstm_features_drain (self);
      /* GAP events need caps downstream */
      if (!self->have_out_caps) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_EOS:
      gst_lstm_features_drain (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_lstm_features_restart_framing (self);
      self->out_offset = 0;
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_lstm_features_sink_query (GstPad *pad, GstObject *parent,
    GstQuery *query)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = gst_lstm_features_sink_caps (self, filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *tmpl;
      gboolean ok;

      /* any rate and channel count of the template: set_input_caps
       * refuses what the configuration cannot take, with a message */
      gst_query_parse_accept_caps (query, &caps);
      tmpl = gst_pad_get_pad_template_caps (pad);
      ok = gst_caps_is_fixed (caps) && gst_caps_is_subset (caps, tmpl);
      gst_caps_unref (tmpl);
      gst_query_set_accept_caps_result (query, ok);
      return TRUE;
    }
    case GST_QUERY_ALLOCATION:
      /* our own buffers are not the input's */
      return FALSE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
gst_lstm_features_src_query (GstPad *pad, GstObject *parent,
    GstQuery *query)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = gst_lstm_features_src_caps (self, filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_LATENCY:{
      GstClockTime min, max, ours = 0;
      gboolean live;
      FeaturesInfo info;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      if (gst_lstm_features_get_info (self, &info))
        ours = gst_util_uint64_scale ((guint64) info.lookahead +
            (guint64) info.frames_per_buffer * info.shift, GST_SECOND,
            info.rate);
      GST_DEBUG_OBJECT (self, "latency: upstream %" GST_TIME_FORMAT
          ", ours %" GST_TIME_FORMAT, GST_TIME_ARGS (min),
          GST_TIME_ARGS (ours));
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += ours;
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    case GST_QUERY_CUSTOM:{
      g_autofree gchar *json = NULL;
      const GstStructure *qs = gst_query_get_structure (query);
      if (qs == NULL || !gst_structure_has_name (qs,
              GST_LSTM_FEATURES_CONFIG_QUERY))
        return gst_pad_query_default (pad, parent, query);
      GST_OBJECT_LOCK (self);
      json = g_strdup (self->config_json);
      GST_OBJECT_UNLOCK (self);
      if (json == NULL)
        return FALSE;           /* not configured yet */
      gst_structure_set (gst_query_writable_structure (query), "config",
          G_TYPE_STRING, json, NULL);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/**
 * gst_lstm_features_query_config:
 * @pad: a pad downstream of an lstmfeatures (a sink pad)
 *
 * Asks upstream of @pad for the configuration of the lstmfeatures that
 * makes its frames (the query #GST_LSTM_FEATURES_CONFIG_QUERY), as a
 * trainer records it in the model's `lstm.features`.
 *
 * Returns: (transfer full) (nullable): the JSON object, or %NULL when no
 * lstmfeatures answers.
 */
gchar *
gst_lstm_features_query_config (GstPad *pad)
{
  GstQuery *q = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new_empty (GST_LSTM_FEATURES_CONFIG_QUERY));
  gchar *config = NULL;

  if (gst_pad_peer_query (pad, q))
    config = g_strdup (gst_structure_get_string (gst_query_get_structure (q),
            "config"));
  gst_query_unref (q);
  return config;
}

/* ---- state changes ---- */

static gboolean
gst_lstm_features_start (GstLstmFeatures *self)
{
  g_autoptr (GError) error = NULL;
  gsize frames_cap;
  gboolean ok;

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  ok = gst_lstm_features_ensure_features_locked (self, &error);
  if (ok) {
    LstmFeatures *f = self->features;
    self->started = TRUE;
    lstm_features_reset (f);
    /* + 1: the frame of zeros for non-finite samples */
    frames_cap = MAX (lstm_features_max_frames (f, CHUNK_SAMPLES) + 1,
        lstm_features_max_flush_frames (f));
    g_free (self->frames);
    self->frames = g_new (gfloat, frames_cap * self->info.dim);
    self->frames_cap = frames_cap;
    gst_lstm_features_release_out (self);
    g_free (self->stage);
    self->stage_dst = NULL;
    self->stage = g_new (gfloat, (gsize) self->info.frames_per_buffer *
        self->info.dim);
  }
  g_mutex_unlock (&self->lock);

  if (!ok) {
    if (error == NULL)
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not set up the features."), (NULL));
    else if (error->code == GST_RESOURCE_ERROR_OPEN_READ)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read the feature configuration: %s", error->message),
          (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid feature configuration: %s", error->message), (NULL));
    return FALSE;
  }

  self->have_in_caps = FALSE;
  self->caps_refused = FALSE;
  self->have_out_caps = FALSE;
  self->caps_frames = 0;
  self->out_offset = 0;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  gst_lstm_features_restart_framing (self);
  return TRUE;
}

static void
gst_lstm_features_stop (GstLstmFeatures *self)
{
  g_mutex_lock (&self->lock);
  self->started = FALSE;
  g_mutex_unlock (&self->lock);

  gst_lstm_features_release_out (self);
  self->stage_dst = NULL;
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  g_clear_pointer (&self->frames, g_free);
  g_clear_pointer (&self->stage, g_free);
  g_clear_pointer (&self->in_copy, g_free);
  self->frames_cap = 0;
  self->in_copy_size = 0;
  self->have_in_caps = FALSE;
  self->have_out_caps = FALSE;
  self->stage_n = 0;
}

static GstStateChangeReturn
gst_lstm_features_change_state (GstElement *element,
    GstStateChange transition)
{
  GstLstmFeatures *self = GST_LSTM_FEATURES (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      !gst_lstm_features_start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (gst_lstm_features_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
          ret == GST_STATE_CHANGE_FAILURE))
    gst_lstm_features_stop (self);
  return ret;
}
