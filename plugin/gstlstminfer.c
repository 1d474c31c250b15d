/* GStreamer lstm plugin: lstminfer, a recurrent model over a frame stream
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Above 1200 lines on purpose: its first 700 are the element's doc block
 * and its properties, and the rest (chain, events, queries, messages)
 * shares one streaming state under one lock, with no seam that would not
 * export it; the numerics (forward, segmenter, labels) are liblstm's.
 */

/**
 * SECTION:element-lstminfer
 * @title: lstminfer
 * @see_also: level, rawaudioparse
 *
 * Runs an LSTM or GRU model (a safetensors file written by liblstm, the
 * `lstm` tool or `export_pytorch.py`) over a stream of frames, one frame at
 * a time, carrying the recurrent state from buffer to buffer. The outputs
 * are bitwise identical to `lstm run MODEL INPUT OUTPUT` on the same frames,
 * however the stream is split into buffers.
 *
 * Frames arrive in either of two caps families: `other/tensors` with
 * `dimensions=(string)D:N` (NNStreamer's convention: N frames of D values
 * per buffer), or `audio/x-raw,format=F32LE,layout=interleaved,channels=D`
 * (one frame per sample; any channel-mask), which is how raw float files
 * (`filesrc ! queue ! rawaudioparse`) and `appsrc` enter a pipeline. D must
 * be the model's input size: otherwise negotiation fails with an error
 * naming both sizes.
 *
 * With #GstLstmInfer:output-mode=scores (the default) the element outputs one
 * frame of the model's C outputs per input frame, in the input's caps family
 * with D replaced by C (`channel-mask=(bitmask)0` when C > 1), with the
 * input buffer's timestamps and duration. With `passthrough` the input
 * buffers go through untouched (same memory, same timestamps) and carry the
 * results as a #GstLstmMeta.
 *
 * The recurrent state is reset on FLUSH_STOP, STREAM_START, a new SEGMENT
 * (one that is not a mere update of the stop position), the `reset` action
 * signal, a model change and, while #GstLstmInfer:reset-on-discont is
 * %TRUE, on a DISCONT buffer, a GAP event or a GAP buffer (whose output is
 * zeros flagged GAP). #GstLstmInfer:reset-interval resets it every so many
 * frames for models trained on fixed-length clips. Before a reset (and at
 * EOS) the pending prediction and the open segment are posted.
 *
 * A frame holding NaN or Inf follows #GstLstmInfer:nan-policy: by default
 * (`reset`) its output is zeros and the state is reset, so that one bad
 * value does not poison the rest of the stream; one WARNING message per
 * burst of such frames; a buffer of them only comes out flagged GAP.
 *
 * The model may change while PLAYING: the new file is loaded by the thread
 * that sets the property, outside the streaming lock, and swapped in at the
 * next buffer with a fresh state. A file that fails to load, a bidirectional
 * model, or a model whose input size differs from the stream's frames is
 * refused with a WARNING message and the old model is kept. A model with
 * another output size renegotiates the output caps before the next buffer.
 *
 * ## Messages
 *
 * Every #GstLstmInfer:message-interval frames (and for the frames left at a
 * reset or EOS) an element message named `lstm-prediction` is posted:
 *
 * * #GstClockTime `timestamp`: the buffer timestamp of the first frame
 *   covered.
 * * #GstClockTime `stream-time`: its stream time.
 * * #GstClockTime `running-time`: its running time.
 * * #GstClockTime `duration`: the time the message covers.
 *
 * then, for classifiers (the model's task is `classification`), with the
 * model outputs averaged over the frames covered:
 *
 * * #gchararray `label`: the best label, or `unknown` when its averaged
 *   score is below #GstLstmInfer:threshold.
 * * #gint `index`: its index, -1 for `unknown`.
 * * #gdouble `confidence`: its averaged score.
 * * #GstValueArray of #gdouble `scores`: every averaged score.
 * * #GstValueArray of #gchararray `labels`: only for sigmoid (multi-label)
 *   heads: every label whose averaged score reaches the threshold.
 *
 * and for regression and forecast models instead:
 *
 * * #GstValueArray of #gdouble `values`: the averaged outputs.
 *
 * Classifiers also post `lstm-segment` messages, one per stretch of frames
 * with a stable label (after #GstLstmInfer:smoothing, #GstLstmInfer:threshold
 * and #GstLstmInfer:min-segment-duration), when the stretch ends; the last
 * one at EOS or at a reset. The segments are those `lstm run MODEL INPUT`
 * prints, computed by the same code:
 *
 * * #gchararray `label`: the label, or `unknown`.
 * * #gint `index`: its index, -1 for `unknown`.
 * * #GstClockTime `start`: the stream time where the segment starts.
 * * #GstClockTime `end`: the stream time where it ends.
 * * #gdouble `confidence`: the mean smoothed score of the label over it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=examples/data/balance.f32 ! queue ! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le num-channels=2 sample-rate=100 ! lstminfer model=examples/data/placeholder-balance.safetensors message-interval=100 ! fakesink
 * ]|
 * Tags a two-channel numeric stream (100 frames per second) with the
 * placeholder `left`/`right` classifier and prints an `lstm-prediction`
 * message per second and an `lstm-segment` message per stretch of one label.
 * |[
 * gst-launch-1.0 filesrc location=examples/data/sine.f32 ! queue ! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le num-channels=1 sample-rate=100 ! lstminfer model=examples/data/placeholder-sine.safetensors message-interval=0 ! filesink location=forecast.f32
 * ]|
 * Forecasts the next value of a raw float32 series with the placeholder
 * forecaster, writing one float32 forecast per input value to
 * `forecast.f32`; `lstm run examples/data/placeholder-sine.safetensors
 * examples/data/sine.f32 forecast.f32` writes the same bytes.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <lstm/lstm.h>

#include "gstlstmenums.h"
#include "gstlstmframes.h"
#include "gstlstminfer.h"
#include "gstlstmmessages.h"
#include "gstlstmmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_lstm_infer_debug);
#define GST_CAT_DEFAULT gst_lstm_infer_debug

#define ALLOWED_CAPS GST_LSTM_FRAMES_CAPS

#define DEFAULT_MODEL NULL
#define DEFAULT_RESET_ON_DISCONT TRUE
#define DEFAULT_RESET_INTERVAL 0
#define DEFAULT_MESSAGE_INTERVAL 10
#define DEFAULT_SMOOTHING 0           /* the model's default */
#define MAX_SMOOTHING 10000
#define DEFAULT_THRESHOLD 0.0
#define DEFAULT_MIN_SEGMENT_DURATION GST_CLOCK_TIME_NONE /* the model's */
#define DEFAULT_OUTPUT_MODE GST_LSTM_OUTPUT_MODE_SCORES
#define DEFAULT_NAN_POLICY GST_LSTM_NAN_POLICY_RESET
#define DEFAULT_PRECISION GST_LSTM_PRECISION_FP32
#define DEFAULT_MAX_MESSAGE_RATE 50
#define DEFAULT_MAX_MODEL_SIZE LSTM_DEFAULT_MAX_MODEL_SIZE

/* the property's values are liblstm's */
G_STATIC_ASSERT ((gint) GST_LSTM_NAN_POLICY_RESET ==
    (gint) LSTM_NAN_POLICY_RESET);
G_STATIC_ASSERT ((gint) GST_LSTM_NAN_POLICY_ERROR ==
    (gint) LSTM_NAN_POLICY_ERROR);
G_STATIC_ASSERT ((gint) GST_LSTM_NAN_POLICY_PASS ==
    (gint) LSTM_NAN_POLICY_PASS);
G_STATIC_ASSERT ((gint) GST_LSTM_PRECISION_FP32 ==
    (gint) LSTM_PRECISION_FP32);
G_STATIC_ASSERT ((gint) GST_LSTM_PRECISION_BF16 ==
    (gint) LSTM_PRECISION_BF16);

/* Frames are F32LE and go to liblstm as they are mapped. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

/* Output buffer pools hold buffers of at least this many frames. */
#define MIN_POOL_FRAMES 64

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_RESET_ON_DISCONT,
  PROP_RESET_INTERVAL,
  PROP_MESSAGE_INTERVAL,
  PROP_SMOOTHING,
  PROP_THRESHOLD,
  PROP_MIN_SEGMENT_DURATION,
  PROP_OUTPUT_MODE,
  PROP_NAN_POLICY,
  PROP_MAX_MESSAGE_RATE,
  PROP_MAX_MODEL_SIZE,
  PROP_PRECISION,
};

enum
{
  SIGNAL_RESET,
  LAST_SIGNAL
};

static guint gst_lstm_infer_signals[LAST_SIGNAL];

/* The settings and what the application's threads hand over to the
 * streaming thread (a model loaded by set_property, the caps sizes that
 * follow it, the negotiated frame size) are under the element's own
 * GRWLock, not the object lock: the streaming thread reads them at every
 * buffer, other threads write them rarely. A GRWLock is a POSIX rwlock in
 * GLib, whose ordering ThreadSanitizer sees; a GMutex (the object lock) is
 * a bare futex on Linux, invisible to it, so with the object lock .ci/tsan
 * could not check a model swap while streaming (every field the lock
 * guards, and every weight of the new model, reported as racing). */
#define SETTINGS_READ_LOCK(s) g_rw_lock_reader_lock (&(s)->settings_lock)
#define SETTINGS_READ_UNLOCK(s) g_rw_lock_reader_unlock (&(s)->settings_lock)
#define SETTINGS_WRITE_LOCK(s) g_rw_lock_writer_lock (&(s)->settings_lock)
#define SETTINGS_WRITE_UNLOCK(s) g_rw_lock_writer_unlock (&(s)->settings_lock)

struct _GstLstmInfer
{
  GstBaseTransform parent;

  /* properties and what other threads hand over: under settings_lock */
  GRWLock settings_lock;
  gchar *model_location;
  gboolean reset_on_discont;
  guint64 reset_interval;
  guint message_interval;
  guint smoothing;
  gdouble threshold;
  GstClockTime min_segment_duration;
  GstLstmOutputMode output_mode;
  GstLstmNanPolicy nan_policy;
  GstLstmPrecision precision;
  guint max_message_rate;
  guint64 max_model_size;
  gboolean started;             /* between start() and stop() */
  LstmModel *pending_model;     /* loaded by set_property, not yet in use */
  guint model_gen;              /* counts model= settings: the last one wins */
  guint caps_in_size;           /* model sizes for transform_caps, 0: none */
  guint caps_out_size;
  guint negotiated_dim;         /* frame size of the input caps, 0: none */
  gboolean segmenter_dirty;     /* smoothing/threshold/min changed */
  gint reset_pending;           /* atomic: the reset signal was emitted */

  /* streaming state: under lock */
  GMutex lock;
  LstmModel *model;
  LstmState *state;
  guint n_in;
  guint n_out;
  GstLstmResultKind kind;
  const gchar **labels;         /* n_out interned names */
  GstLstmFramesInfo in_info;
  gboolean have_caps;
  gboolean in_place;            /* passthrough mode is active */
  GstClockTime caps_frame_dur;  /* from the caps, or NONE */
  guint64 frames_since_reset;   /* for reset-interval */
  GstClockTime next_ts;         /* expected start of the next frame */

  /* lstm-prediction accumulation */
  gdouble *acc;                 /* n_out sums */
  gdouble *mean;                /* n_out scratch */
  guint acc_frames;
  GstClockTime acc_start;
  GstClockTime acc_end;

  /* max-message-rate: when the last message of each kind was posted (its
   * end, in stream time), and the flickering segments merged since */
  GstClockTime pred_last;
  GstClockTime seg_last;
  gboolean merged_open;
  GstClockTime merged_start;
  GstClockTime merged_end;

  /* lstm-segment: liblstm's segmenter, frame times kept in a ring */
  LstmSegmenter *seg;
  guint64 seg_frames;           /* frames pushed since the segmenter reset */
  GstClockTime *ring;           /* start times of the last ring_size frames */
  guint ring_size;
  GstClockTime seg_open_start;  /* start time of the open segment */
  GstClockTime last_end;        /* end time of the last frame pushed */
  gint last_index;              /* last frame's label, -1: unknown/none */

  /* buffers, reused: nothing is allocated per buffer in steady state */
  GstBufferPool *pool;
  gsize pool_size;
  GstAllocator *allocator;
  GstAllocationParams params;
  gfloat *scratch_in;           /* an aligned copy of unaligned input */
  gsize scratch_in_size;
  gfloat *scratch_out;          /* passthrough: the outputs */
  gsize scratch_out_size;
  guint8 *frame_flags;          /* LstmFrameFlags of a buffer's frames */
  gsize frame_flags_size;
};

G_DEFINE_TYPE (GstLstmInfer, gst_lstm_infer, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (lstminfer, "lstminfer", GST_RANK_NONE,
    GST_TYPE_LSTM_INFER);

static GstStaticPadTemplate sink_template_factory =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ALLOWED_CAPS));

static GstStaticPadTemplate src_template_factory =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ALLOWED_CAPS));

static void gst_lstm_infer_finalize (GObject *object);
static void gst_lstm_infer_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec);
static void gst_lstm_infer_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec);

static gboolean gst_lstm_infer_start (GstBaseTransform *trans);
static gboolean gst_lstm_infer_stop (GstBaseTransform *trans);
static GstCaps *gst_lstm_infer_transform_caps (GstBaseTransform *trans,
    GstPadDirection direction, GstCaps *caps, GstCaps *filter);
static gboolean gst_lstm_infer_set_caps (GstBaseTransform *trans,
    GstCaps *incaps, GstCaps *outcaps);
static gboolean gst_lstm_infer_transform_size (GstBaseTransform *trans,
    GstPadDirection direction, GstCaps *caps, gsize size, GstCaps *othercaps,
    gsize *othersize);
static gboolean gst_lstm_infer_sink_event (GstBaseTransform *trans,
    GstEvent *event);
static gboolean gst_lstm_infer_decide_allocation (GstBaseTransform *trans,
    GstQuery *query);
static GstFlowReturn gst_lstm_infer_submit_input_buffer (GstBaseTransform *
    trans, gboolean is_discont, GstBuffer *input);
static GstFlowReturn gst_lstm_infer_prepare_output_buffer (GstBaseTransform *
    trans, GstBuffer *input, GstBuffer **outbuf);
static GstFlowReturn gst_lstm_infer_transform (GstBaseTransform *trans,
    GstBuffer *inbuf, GstBuffer *outbuf);
static GstFlowReturn gst_lstm_infer_transform_ip (GstBaseTransform *trans,
    GstBuffer *buf);
static void gst_lstm_infer_reset_signal (GstLstmInfer *self);

static void gst_lstm_infer_attach_results (GstLstmInfer *self,
    GstBuffer *buf, guint n_frames, const gfloat *scores);
static void gst_lstm_infer_flush_results (GstLstmInfer *self,
    GPtrArray **msgs);
static void post_messages (GstLstmInfer *self, GPtrArray *msgs);

static void
gst_lstm_infer_class_init (GstLstmInferClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_lstm_infer_set_property;
  gobject_class->get_property = gst_lstm_infer_get_property;
  gobject_class->finalize = gst_lstm_infer_finalize;

  /**
   * GstLstmInfer:model:
   *
   * The model file (safetensors). May be changed while PLAYING: the new
   * model is loaded by the thread setting the property and used from the
   * next buffer on, with a fresh state. A model that fails to load, is
   * bidirectional, or takes frames of another size is refused with a
   * WARNING message; the property then still names the model in use.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (safetensors) to run; may change while PLAYING "
          "(swapped at the next buffer, state reset; a model that fails to "
          "load or takes another frame size is refused with a warning)",
          DEFAULT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:reset-on-discont:
   *
   * Whether a DISCONT buffer, a GAP event or a GAP buffer resets the
   * recurrent state (and closes the open segment).
   */
  g_object_class_install_property (gobject_class, PROP_RESET_ON_DISCONT,
      g_param_spec_boolean ("reset-on-discont", "Reset on discont",
          "Reset the recurrent state on a DISCONT buffer, a GAP event or a "
          "GAP buffer", DEFAULT_RESET_ON_DISCONT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:reset-interval:
   *
   * Resets the recurrent state every this many frames (counted from the
   * last reset), for models trained on clips of a fixed length. Messages
   * and segments continue across these resets. 0 never resets.
   */
  g_object_class_install_property (gobject_class, PROP_RESET_INTERVAL,
      g_param_spec_uint64 ("reset-interval", "Reset interval",
          "Reset the recurrent state every this many frames (0 = never)",
          0, G_MAXUINT64, DEFAULT_RESET_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:message-interval:
   *
   * Frames per `lstm-prediction` message; the outputs are averaged over
   * them. 0 posts none.
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE_INTERVAL,
      g_param_spec_uint ("message-interval", "Message interval",
          "Frames per lstm-prediction message, outputs averaged over them "
          "(0 = no lstm-prediction messages)", 0, G_MAXUINT,
          DEFAULT_MESSAGE_INTERVAL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:smoothing:
   *
   * Frames of causal moving average applied to the class scores before
   * each frame's label is decided (for segments and #GstLstmMeta). 1 means
   * no smoothing; 0 (the default) the model's default,
   * lstm_segmenter_get_defaults(): 0.1 s of frames for models that tag
   * audio (they carry a feature configuration), none for others.
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_uint ("smoothing", "Smoothing",
          "Frames of causal moving average of the scores before the label "
          "decision (1 = none; 0 = the model's default: 0.1 s of frames for "
          "audio models, none for others)", 0, MAX_SMOOTHING,
          DEFAULT_SMOOTHING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:threshold:
   *
   * Below this (smoothed or averaged) best score the label is `unknown`.
   * Sigmoid (multi-label) heads report in `labels` every label at or above
   * it: set it (0.5 is usual) for such models.
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Below this best score the label is 'unknown'; sigmoid heads list "
          "every label at or above it", 0.0, 1.0, DEFAULT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:min-segment-duration:
   *
   * A new label must hold this long before it opens a segment (which then
   * starts where the label began), so that no segment but the first and the
   * last is shorter. Converted to frames with the stream's frame rate
   * (rounded up). The default, %GST_CLOCK_TIME_NONE, is the model's
   * (lstm_segmenter_get_defaults()): 0.2 s for models that tag audio, none
   * for others.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_SEGMENT_DURATION,
      g_param_spec_uint64 ("min-segment-duration", "Minimum segment duration",
          "Time in nanoseconds a new label must hold before it opens a "
          "segment (0 = at once; 18446744073709551615, the default = the "
          "model's: 0.2 s for audio models, none for others)", 0, G_MAXUINT64,
          DEFAULT_MIN_SEGMENT_DURATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:output-mode:
   *
   * `scores`: one output frame of model outputs per input frame.
   * `passthrough`: the input buffers go through untouched, with the results
   * as #GstLstmMeta and on the bus.
   */
  g_object_class_install_property (gobject_class, PROP_OUTPUT_MODE,
      g_param_spec_enum ("output-mode", "Output mode",
          "What to push downstream: the model outputs, or the input passed "
          "through untouched with the results as GstLstmMeta",
          GST_TYPE_LSTM_OUTPUT_MODE, DEFAULT_OUTPUT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:nan-policy:
   *
   * What a frame holding NaN or Inf does. `reset` (the default): its
   * output frame is zeros and the recurrent state is reset, so the outputs
   * from the next finite frame on equal a fresh run started there; the
   * pending prediction and the open segment are posted first, the frames
   * of the burst are left out of messages and segments, and one WARNING
   * message is posted per burst of consecutive non-finite frames (not per
   * frame). An output buffer whose frames are all non-finite is flagged
   * GAP; a buffer mixing finite and non-finite frames is not (its
   * non-finite frames are zeros). `error`: a stream error. `pass`: the
   * values go to the model unchecked (one NaN then poisons every later
   * output until a reset). `lstm run --nan-policy` takes the same values
   * and gives the same outputs.
   */
  g_object_class_install_property (gobject_class, PROP_NAN_POLICY,
      g_param_spec_enum ("nan-policy", "NaN policy",
          "What a frame holding NaN or Inf does: zeros out and a state "
          "reset with one warning per burst, a stream error, or nothing",
          GST_TYPE_LSTM_NAN_POLICY, DEFAULT_NAN_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:max-message-rate:
   *
   * At most this many `lstm-prediction` messages, and at most this many
   * `lstm-segment` messages, per second of stream time (not wall-clock
   * time, so a file decoded faster than real time is limited the same
   * way): two messages of a kind are at least 1/max-message-rate seconds
   * apart. Over the cap, a prediction keeps averaging frames until the next
   * one it may post (its `duration` says over how long), and segments are merged:
   * labels that change faster than the cap allows are posted as one
   * segment labelled `unknown` (index -1, confidence 0) spanning them, so
   * that the segments still tile the stream. Messages that end the
   * stream, a reset or a NaN burst are always posted. 0: no cap.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_RATE,
      g_param_spec_uint ("max-message-rate", "Maximum message rate",
          "At most this many lstm-prediction and this many lstm-segment "
          "messages per second of stream time; over it predictions average "
          "longer and flickering segments merge into one 'unknown' segment "
          "(0 = no cap)", 0, G_MAXUINT, DEFAULT_MAX_MESSAGE_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:max-model-size:
   *
   * The largest model file loaded, in bytes, checked before it is read; a
   * larger one is refused like an unreadable file. The default is
   * liblstm's, 2 GiB.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_MODEL_SIZE,
      g_param_spec_uint64 ("max-model-size", "Maximum model size",
          "The largest model file loaded, in bytes", 1, G_MAXUINT64,
          DEFAULT_MAX_MODEL_SIZE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmInfer:precision:
   *
   * `fp32` (the default): float32 throughout. `bf16`: the model's weight
   * matrices are used as bfloat16 (rounded to nearest even), half the
   * bytes read per frame, the products summed in float32 (on CPUs with
   * AVX512-BF16 the products' inputs are rounded to bfloat16 as well);
   * the scores differ from fp32's by that rounding. Taken when the model
   * is loaded (at start or when `model` changes). `lstm run --precision`
   * takes the same values and gives the same outputs.
   */
  g_object_class_install_property (gobject_class, PROP_PRECISION,
      g_param_spec_enum ("precision", "Precision",
          "Precision of the weights: fp32, or bf16 (half the bytes, "
          "float32 sums)", GST_TYPE_LSTM_PRECISION, DEFAULT_PRECISION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstLstmInfer::reset:
   * @lstminfer: the element
   *
   * Resets the recurrent state before the next buffer, posting the pending
   * prediction and the open segment first, as a DISCONT does.
   */
  gst_lstm_infer_signals[SIGNAL_RESET] =
      g_signal_new_class_handler ("reset", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_lstm_infer_reset_signal), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class,
      &sink_template_factory);
  gst_element_class_add_static_pad_template (element_class,
      &src_template_factory);
  gst_element_class_set_static_metadata (element_class,
      "LSTM/GRU inference", "Filter/Analyzer/Audio",
      "Runs an LSTM or GRU model over a stream of frames (numeric audio or "
      "tensors), keeping the recurrent state across buffers; outputs the "
      "model's scores or passes the input through, and posts predictions "
      "and label segments on the bus",
      "gst-lstm developers");

  GST_DEBUG_CATEGORY_INIT (gst_lstm_infer_debug, "lstminfer", 0,
      "LSTM/GRU inference");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_lstm_infer_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_lstm_infer_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_lstm_infer_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_lstm_infer_set_caps);
  trans_class->transform_size =
      GST_DEBUG_FUNCPTR (gst_lstm_infer_transform_size);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_lstm_infer_sink_event);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_lstm_infer_decide_allocation);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_lstm_infer_submit_input_buffer);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_lstm_infer_prepare_output_buffer);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_lstm_infer_transform);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_lstm_infer_transform_ip);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_OUTPUT_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_NAN_POLICY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_PRECISION, 0);
}

static void
gst_lstm_infer_init (GstLstmInfer *self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  self->model_location = g_strdup (DEFAULT_MODEL);
  self->reset_on_discont = DEFAULT_RESET_ON_DISCONT;
  self->reset_interval = DEFAULT_RESET_INTERVAL;
  self->message_interval = DEFAULT_MESSAGE_INTERVAL;
  self->smoothing = DEFAULT_SMOOTHING;
  self->threshold = DEFAULT_THRESHOLD;
  self->min_segment_duration = DEFAULT_MIN_SEGMENT_DURATION;
  self->output_mode = DEFAULT_OUTPUT_MODE;
  self->nan_policy = DEFAULT_NAN_POLICY;
  self->precision = DEFAULT_PRECISION;
  self->max_message_rate = DEFAULT_MAX_MESSAGE_RATE;
  self->max_model_size = DEFAULT_MAX_MODEL_SIZE;
  self->pred_last = GST_CLOCK_TIME_NONE;
  self->seg_last = GST_CLOCK_TIME_NONE;
  g_rw_lock_init (&self->settings_lock);
  g_mutex_init (&self->lock);
  gst_allocation_params_init (&self->params);
  self->caps_frame_dur = GST_CLOCK_TIME_NONE;
  self->next_ts = GST_CLOCK_TIME_NONE;
  self->last_index = -1;

  gst_base_transform_set_gap_aware (trans, TRUE);
  gst_base_transform_set_qos_enabled (trans, FALSE);
}

/* Frees the model and everything sized by it. Called with the lock held
 * (or from finalize). */
static void
clear_model (GstLstmInfer *self)
{
  g_clear_pointer (&self->state, lstm_state_free);
  g_clear_pointer (&self->model, lstm_model_unref);
  g_clear_pointer (&self->seg, lstm_segmenter_free);
  g_clear_pointer (&self->labels, g_free);
  g_clear_pointer (&self->acc, g_free);
  g_clear_pointer (&self->mean, g_free);
  g_clear_pointer (&self->ring, g_free);
  self->ring_size = 0;
  self->n_in = self->n_out = 0;
}

static void
clear_buffers (GstLstmInfer *self)
{
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  self->pool_size = 0;
  gst_clear_object (&self->allocator);
  gst_allocation_params_init (&self->params);
  g_clear_pointer (&self->scratch_in, g_free);
  g_clear_pointer (&self->scratch_out, g_free);
  g_clear_pointer (&self->frame_flags, g_free);
  self->scratch_in_size = self->scratch_out_size = 0;
  self->frame_flags_size = 0;
}

static void
gst_lstm_infer_finalize (GObject *object)
{
  GstLstmInfer *self = GST_LSTM_INFER (object);

  clear_model (self);
  clear_buffers (self);
  g_clear_pointer (&self->pending_model, lstm_model_unref);
  g_free (self->model_location);
  g_mutex_clear (&self->lock);
  g_rw_lock_clear (&self->settings_lock);

  G_OBJECT_CLASS (gst_lstm_infer_parent_class)->finalize (object);
}

/* Loads and checks a model for streaming; on failure @error is set with a
 * GStreamer resource error code. */
static LstmModel *
load_model (const gchar *location, guint64 max_size, GError **error)
{
  g_autoptr (GError) lerr = NULL;
  g_autoptr (LstmModel) model = NULL;

  if (location == NULL || *location == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "No model file given: set the 'model' property");
    return NULL;
  }
  /* instances on one file share its weights (read-only here) */
  model = lstm_model_load_shared (location, max_size, &lerr);
  if (model == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "%s", lerr->message);
    return NULL;
  }
  if (!lstm_model_is_streamable (model)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s: the model has a bidirectional layer, which needs the whole "
        "sequence at once; lstminfer runs models frame by frame (use "
        "'lstm run' for offline bidirectional models)", location);
    return NULL;
  }
  return g_steal_pointer (&model);
}

static void
set_model_location (GstLstmInfer *self, const gchar *location)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  gboolean started;
  guint64 max_size;
  guint dim, gen;

  SETTINGS_WRITE_LOCK (self);
  gen = ++self->model_gen;
  started = self->started;
  max_size = self->max_model_size;
  if (!started) {
    g_free (self->model_location);
    self->model_location = g_strdup (location);
    SETTINGS_WRITE_UNLOCK (self);
    return;
  }
  SETTINGS_WRITE_UNLOCK (self);

  /* Running: load here, in the thread setting the property, with no lock
   * held; the streaming thread swaps it in at the next buffer. */
  model = load_model (location, max_size, &error);
  if (model == NULL) {
    if (error->code == GST_RESOURCE_ERROR_SETTINGS)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Model \"%s\" cannot run on a stream; keeping the current model.",
              location), ("%s", error->message));
    else if (error->code == GST_RESOURCE_ERROR_NOT_FOUND)
      GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
          ("No model file given; keeping the current model."),
          ("%s", error->message));
    else
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
          ("Could not read model file \"%s\"; keeping the current model.",
              location), ("%s", error->message));
    return;
  }
  SETTINGS_WRITE_LOCK (self);
  if (self->model_gen != gen || !self->started) {
    /* a later model= overtook this one, or the element stopped while this
     * one loaded: then the next start loads it */
    if (self->model_gen == gen) {
      g_free (self->model_location);
      self->model_location = g_strdup (location);
    }
    SETTINGS_WRITE_UNLOCK (self);
    return;
  }
  dim = self->negotiated_dim;
  if (dim != 0 && lstm_model_get_input_size (model) != dim) {
    SETTINGS_WRITE_UNLOCK (self);
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Model \"%s\" takes frames of %u values but the stream has %u; "
            "keeping the current model", location,
            lstm_model_get_input_size (model), dim), (NULL));
    return;
  }
  g_clear_pointer (&self->pending_model, lstm_model_unref);
  self->pending_model = g_steal_pointer (&model);
  g_free (self->model_location);
  self->model_location = g_strdup (location);
  /* caps negotiated from now on are for the new model */
  self->caps_in_size = lstm_model_get_input_size (self->pending_model);
  self->caps_out_size = lstm_model_get_output_size (self->pending_model);
  SETTINGS_WRITE_UNLOCK (self);
  GST_INFO_OBJECT (self, "model %s loaded, used from the next buffer",
      location);
}

static void
gst_lstm_infer_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstLstmInfer *self = GST_LSTM_INFER (object);

  if (prop_id == PROP_MODEL) {
    set_model_location (self, g_value_get_string (value));
    return;
  }

  SETTINGS_WRITE_LOCK (self);
  switch (prop_id) {
    case PROP_RESET_ON_DISCONT:
      self->reset_on_discont = g_value_get_boolean (value);
      break;
    case PROP_RESET_INTERVAL:
      self->reset_interval = g_value_get_uint64 (value);
      break;
    case PROP_MESSAGE_INTERVAL:
      self->message_interval = g_value_get_uint (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_uint (value);
      self->segmenter_dirty = TRUE;
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      self->segmenter_dirty = TRUE;
      break;
    case PROP_MIN_SEGMENT_DURATION:
      self->min_segment_duration = g_value_get_uint64 (value);
      self->segmenter_dirty = TRUE;
      break;
    case PROP_MAX_MESSAGE_RATE:
      self->max_message_rate = g_value_get_uint (value);
      break;
    case PROP_MAX_MODEL_SIZE:
      self->max_model_size = g_value_get_uint64 (value);
      break;
    case PROP_PRECISION:
      self->precision = g_value_get_enum (value);
      break;
    case PROP_NAN_POLICY:
      self->nan_policy = g_value_get_enum (value);
      break;
    case PROP_OUTPUT_MODE:
      self->output_mode = g_value_get_enum (value);
      SETTINGS_WRITE_UNLOCK (self);
      /* renegotiate: the output caps follow the mode */
      gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
      return;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  SETTINGS_WRITE_UNLOCK (self);
}

static void
gst_lstm_infer_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstLstmInfer *self = GST_LSTM_INFER (object);

  SETTINGS_READ_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_RESET_ON_DISCONT:
      g_value_set_boolean (value, self->reset_on_discont);
      break;
    case PROP_RESET_INTERVAL:
      g_value_set_uint64 (value, self->reset_interval);
      break;
    case PROP_MESSAGE_INTERVAL:
      g_value_set_uint (value, self->message_interval);
      break;
    case PROP_SMOOTHING:
      g_value_set_uint (value, self->smoothing);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_MIN_SEGMENT_DURATION:
      g_value_set_uint64 (value, self->min_segment_duration);
      break;
    case PROP_OUTPUT_MODE:
      g_value_set_enum (value, self->output_mode);
      break;
    case PROP_MAX_MESSAGE_RATE:
      g_value_set_uint (value, self->max_message_rate);
      break;
    case PROP_MAX_MODEL_SIZE:
      g_value_set_uint64 (value, self->max_model_size);
      break;
    case PROP_PRECISION:
      g_value_set_enum (value, self->precision);
      break;
    case PROP_NAN_POLICY:
      g_value_set_enum (value, self->nan_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  SETTINGS_READ_UNLOCK (self);
}

/* ---- streaming state (all with self->lock held) ---- */

static void
queue_message (GPtrArray **msgs, GstMessage *msg)
{
  if (*msgs == NULL)
    *msgs = g_ptr_array_new ();
  g_ptr_array_add (*msgs, msg);
}

/* An error or warning found with the lock held, posted with the others
 * once it is released. Takes @text and @debug. */
static void
queue_problem (GstLstmInfer *self, GPtrArray **msgs, GstMessageType type,
    GQuark domain, gint code, gchar *text, gchar *debug)
{
  GError *err = g_error_new_literal (domain, code, text);

  GST_WARNING_OBJECT (self, "%s (%s)", text, debug ? debug : "");
  queue_message (msgs, type == GST_MESSAGE_ERROR ?
      gst_message_new_error (GST_OBJECT (self), err, debug) :
      gst_message_new_warning (GST_OBJECT (self), err, debug));
  g_error_free (err);
  g_free (text);
  g_free (debug);
}

/* Posts the queued messages with no lock held. */
static void
post_messages (GstLstmInfer *self, GPtrArray *msgs)
{
  guint i;

  if (msgs == NULL)
    return;
  for (i = 0; i < msgs->len; i++)
    gst_element_post_message (GST_ELEMENT (self), msgs->pdata[i]);
  g_ptr_array_free (msgs, TRUE);
}

/* Makes @model the one in use, with a fresh state. */
static void
use_model (GstLstmInfer *self, LstmModel *model)
{
  g_autoptr (GError) error = NULL;
  LstmLayerInfo last;
  LstmPrecision precision;
  guint i;

  SETTINGS_READ_LOCK (self);
  precision = (LstmPrecision) self->precision;
  SETTINGS_READ_UNLOCK (self);
  clear_model (self);
  self->model = model;
  self->state = lstm_state_new_with_precision (model, precision, &error);
  if (self->state == NULL) {
    GST_WARNING_OBJECT (self, "precision %s: %s; running in fp32",
        lstm_precision_to_string (precision), error->message);
    self->state = lstm_state_new (model);
  }
  self->n_in = lstm_model_get_input_size (model);
  self->n_out = lstm_model_get_output_size (model);
  self->kind = GST_LSTM_RESULT_VALUES;
  if (lstm_model_get_task (model) == LSTM_TASK_CLASSIFICATION) {
    self->kind = GST_LSTM_RESULT_CLASSES;
    if (lstm_model_get_layer_info (model, lstm_model_get_n_layers (model) - 1,
            &last) && last.type == LSTM_LAYER_LINEAR &&
        last.activation == LSTM_ACTIVATION_SIGMOID)
      self->kind = GST_LSTM_RESULT_MULTI_LABEL;
  }
  self->labels = g_new0 (const gchar *, self->n_out + 1);
  for (i = 0; i < self->n_out; i++)
    self->labels[i] =
        g_intern_string (lstm_model_get_label_name (model, i));
  self->acc = g_new0 (gdouble, self->n_out);
  self->mean = g_new0 (gdouble, self->n_out);
  self->acc_frames = 0;
  self->frames_since_reset = 0;
  self->seg_frames = 0;
  self->last_index = -1;

  SETTINGS_WRITE_LOCK (self);
  self->caps_in_size = self->n_in;
  self->caps_out_size = self->n_out;
  self->segmenter_dirty = TRUE;
  SETTINGS_WRITE_UNLOCK (self);
}

/* Posts the pending prediction (frames averaged so far). */
static void
flush_prediction (GstLstmInfer *self, GPtrArray **msgs, gdouble threshold)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime dur = GST_CLOCK_TIME_NONE;
  guint j;

  if (self->acc_frames == 0)
    return;
  for (j = 0; j < self->n_out; j++) {
    self->mean[j] = self->acc[j] / self->acc_frames;
    self->acc[j] = 0.0;
  }
  if (GST_CLOCK_TIME_IS_VALID (self->acc_start) &&
      GST_CLOCK_TIME_IS_VALID (self->acc_end) &&
      self->acc_end >= self->acc_start)
    dur = self->acc_end - self->acc_start;
  queue_message (msgs, gst_lstm_message_new_prediction (GST_OBJECT (self),
          &trans->segment, self->acc_start, dur, self->kind, self->mean,
          self->n_out, self->labels, threshold));
  self->acc_frames = 0;
}

static const gchar *
label_name (GstLstmInfer *self, guint label, gint *index)
{
  if (label == LSTM_LABEL_UNKNOWN || label >= self->n_out) {
    *index = -1;
    return GST_LSTM_LABEL_UNKNOWN;
  }
  *index = (gint) label;
  return self->labels[label];
}

static void
queue_segment (GstLstmInfer *self, GPtrArray **msgs, const LstmSegment *s,
    GstClockTime start, GstClockTime end)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  const gchar *label;
  gint index;

  label = label_name (self, s->label, &index);
  queue_message (msgs, gst_lstm_message_new_segment (GST_OBJECT (self),
          &trans->segment, start, end, label, index, s->confidence));
}

/* max-message-rate: whether a message may be posted at stream time @ts,
 * at least 1/max_rate s after the last one (@last), which it becomes. So
 * no second of the stream holds more than max_rate of them, without
 * bursts. */
static gboolean
rate_allows (guint max_rate, GstClockTime ts, GstClockTime *last)
{
  if (max_rate == 0 || !GST_CLOCK_TIME_IS_VALID (ts))
    return TRUE;
  if (GST_CLOCK_TIME_IS_VALID (*last) && ts >= *last &&
      ts - *last < gst_util_uint64_scale_int_ceil (GST_SECOND, 1, max_rate))
    return FALSE;
  *last = ts;
  return TRUE;
}

/* Posts the merged (over the rate) segments as one `unknown` segment. */
static void
post_merged (GstLstmInfer *self, GPtrArray **msgs)
{
  LstmSegment u = { 0 };

  if (!self->merged_open)
    return;
  u.label = LSTM_LABEL_UNKNOWN;
  u.confidence = 0.0;
  queue_segment (self, msgs, &u, self->merged_start, self->merged_end);
  self->merged_open = FALSE;
}

/* A segment ended while streaming: posted, or merged while the rate is
 * over max-message-rate. */
static void
rate_segment (GstLstmInfer *self, GPtrArray **msgs, guint max_rate,
    const LstmSegment *s, GstClockTime start, GstClockTime end)
{
  if (self->merged_open) {
    self->merged_end = end;
    if (rate_allows (max_rate, end, &self->seg_last))
      post_merged (self, msgs);
    return;
  }
  if (rate_allows (max_rate, end, &self->seg_last)) {
    queue_segment (self, msgs, s, start, end);
    return;
  }
  self->merged_open = TRUE;
  self->merged_start = start;
  self->merged_end = end;
}

/* Closes the open segment (posting it, after the merged ones) and forgets
 * the smoothing history. */
static void
flush_segment (GstLstmInfer *self, GPtrArray **msgs)
{
  LstmSegment s;

  post_merged (self, msgs);
  if (self->seg == NULL)
    return;
  if (lstm_segmenter_flush (self->seg, &s))
    queue_segment (self, msgs, &s, self->seg_open_start, self->last_end);
  lstm_segmenter_reset (self->seg);
  self->seg_frames = 0;
  self->last_index = -1;
}

/* Posts what is pending: the partial prediction and the open segment. */
static void
gst_lstm_infer_flush_results (GstLstmInfer *self, GPtrArray **msgs)
{
  gdouble threshold;

  SETTINGS_READ_LOCK (self);
  threshold = self->threshold;
  SETTINGS_READ_UNLOCK (self);
  flush_prediction (self, msgs, threshold);
  flush_segment (self, msgs);
}

/* A reset of the stream: results so far are posted, the state starts
 * afresh. */
static void
reset_stream (GstLstmInfer *self, GPtrArray **msgs, const gchar *why)
{
  GST_DEBUG_OBJECT (self, "resetting the state: %s", why);
  gst_lstm_infer_flush_results (self, msgs);
  if (self->state)
    lstm_state_reset (self->state);
  self->frames_since_reset = 0;
  self->next_ts = GST_CLOCK_TIME_NONE;
}

/* (Re)creates the segmenter for the current settings and frame rate. */
static void
make_segmenter (GstLstmInfer *self, GstClockTime frame_dur)
{
  guint smoothing;
  gdouble threshold;
  GstClockTime min_dur;
  guint64 min_frames = 1;

  SETTINGS_WRITE_LOCK (self);
  smoothing = self->smoothing;
  threshold = self->threshold;
  min_dur = self->min_segment_duration;
  self->segmenter_dirty = FALSE;
  SETTINGS_WRITE_UNLOCK (self);

  g_clear_pointer (&self->seg, lstm_segmenter_free);
  g_clear_pointer (&self->ring, g_free);
  if (self->kind == GST_LSTM_RESULT_VALUES || self->n_out == 0)
    return;
  if (smoothing == 0 || !GST_CLOCK_TIME_IS_VALID (min_dur)) {
    /* the model's defaults, in seconds, turned into frames */
    double def_smooth = 0, def_min = 0;
    if (self->model != NULL)
      lstm_segmenter_get_defaults (self->model, &def_smooth, &def_min);
    if (smoothing == 0) {
      smoothing = 1;
      if (def_smooth > 0 && GST_CLOCK_TIME_IS_VALID (frame_dur) &&
          frame_dur > 0)
        smoothing = (guint) CLAMP (llround (def_smooth * GST_SECOND /
                (double) frame_dur), 1, MAX_SMOOTHING);
    }
    if (!GST_CLOCK_TIME_IS_VALID (min_dur))
      min_dur = (GstClockTime) llround (def_min * GST_SECOND);
  }
  if (min_dur > 0 && GST_CLOCK_TIME_IS_VALID (frame_dur) && frame_dur > 0)
    min_frames = MAX ((min_dur + frame_dur - 1) / frame_dur, 1);
  /* the ring holds the start times of the frames a new segment may have
   * begun at: at most min_frames back */
  min_frames = MIN (min_frames, G_MAXUINT / 2);
  self->ring_size = (guint) min_frames + 1;
  self->ring = g_new (GstClockTime, self->ring_size);
  self->seg = lstm_segmenter_new (self->n_out, smoothing, threshold,
      min_frames);
  self->seg_frames = 0;
  GST_DEBUG_OBJECT (self, "segmenter: smoothing %u, threshold %g, "
      "min %" G_GUINT64_FORMAT " frames", smoothing, threshold, min_frames);
}

/* Runs the model over @n frames and does the bookkeeping of messages and
 * segments. Frame times: the buffer's PTS and duration split evenly, or
 * the caps' frame rate. */
/* The LstmFrameFlags of @n frames, in a buffer grown once. Lock held. */
static guint8 *
frame_flags (GstLstmInfer *self, gsize n)
{
  if (self->frame_flags_size < MAX (n, 1)) {
    g_free (self->frame_flags);
    self->frame_flags_size = MAX (n, 1);
    self->frame_flags = g_new (guint8, self->frame_flags_size);
  }
  return self->frame_flags;
}

/* The WARNING of a burst of non-finite frames starting at @start. */
static void
queue_nan_warning (GstLstmInfer *self, GPtrArray **msgs, GstClockTime start,
    guint64 frame)
{
  queue_problem (self, msgs, GST_MESSAGE_WARNING, GST_STREAM_ERROR,
      GST_STREAM_ERROR_DECODE, g_strdup ("The input holds NaN or Inf: the "
          "output is zeros and the recurrent state is reset until the next "
          "finite frame (nan-policy=reset)."), g_strdup_printf ("a burst of "
          "non-finite frames starts at %" GST_TIME_FORMAT " (frame %"
          G_GUINT64_FORMAT " of the buffer)", GST_TIME_ARGS (start), frame));
}

static gboolean
process_frames (GstLstmInfer *self, const gfloat *in, gsize n, gfloat *out,
    GstClockTime pts, GstClockTime dur, gsize *n_nonfinite, GPtrArray **msgs,
    GError **error)
{
  guint64 reset_interval;
  guint message_interval, max_rate;
  gdouble threshold;
  gboolean dirty;
  GstLstmNanPolicy policy;
  GstClockTime frame_dur = self->caps_frame_dur;
  guint8 *flags = frame_flags (self, n);
  gsize done, i;
  guint j;

  SETTINGS_READ_LOCK (self);
  reset_interval = self->reset_interval;
  message_interval = self->message_interval;
  max_rate = self->max_message_rate;
  threshold = self->threshold;
  dirty = self->segmenter_dirty;
  policy = self->nan_policy;
  SETTINGS_READ_UNLOCK (self);

  /* The model, with resets every reset-interval frames (counted from the
   * last non-finite frame too, which resets the state). */
  *n_nonfinite = 0;
  for (done = 0; done < n;) {
    gsize chunk = n - done, k;
    if (reset_interval > 0) {
      if (self->frames_since_reset >= reset_interval) {
        lstm_state_reset (self->state);
        self->frames_since_reset = 0;
      }
      chunk = MIN (chunk, reset_interval - self->frames_since_reset);
    }
    if (!lstm_model_forward_checked (self->model, self->state,
            (LstmNanPolicy) policy, in + done * self->n_in, chunk,
            out + done * self->n_out, flags + done, NULL, error))
      return FALSE;
    self->frames_since_reset += chunk;
    for (k = 0; k < chunk; k++)
      if (flags[done + k] & LSTM_FRAME_NONFINITE) {
        self->frames_since_reset = chunk - k - 1;
        (*n_nonfinite)++;
      }
    done += chunk;
  }

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    pts = self->next_ts;
  if (GST_CLOCK_TIME_IS_VALID (dur) && n > 0)
    frame_dur = GST_CLOCK_TIME_NONE;    /* split the buffer duration */
  else if (!GST_CLOCK_TIME_IS_VALID (frame_dur))
    pts = GST_CLOCK_TIME_NONE;

  if (dirty || (self->seg == NULL && self->kind != GST_LSTM_RESULT_VALUES)) {
    GstClockTime fd = self->caps_frame_dur;
    if (!GST_CLOCK_TIME_IS_VALID (fd) && GST_CLOCK_TIME_IS_VALID (dur) &&
        n > 0)
      fd = dur / n;
    if (dirty)
      flush_segment (self, msgs);
    make_segmenter (self, fd);
  }

  for (i = 0; i < n; i++) {
    const gfloat *o = out + i * self->n_out;
    GstClockTime start = GST_CLOCK_TIME_NONE, end = GST_CLOCK_TIME_NONE;

    if (GST_CLOCK_TIME_IS_VALID (pts)) {
      if (!GST_CLOCK_TIME_IS_VALID (frame_dur)) {
        start = pts + gst_util_uint64_scale (dur, i, n);
        end = pts + gst_util_uint64_scale (dur, i + 1, n);
      } else {
        /* from the caps' frame rate, without accumulating rounding */
        start = pts + gst_util_uint64_scale (i,
            GST_SECOND * (guint64) self->in_info.fps_d, self->in_info.fps_n);
        end = pts + gst_util_uint64_scale (i + 1,
            GST_SECOND * (guint64) self->in_info.fps_d, self->in_info.fps_n);
      }
    }

    if (flags[i] & LSTM_FRAME_NONFINITE) {
      /* like a GAP: what is pending is posted, the frame is left out */
      if (flags[i] & LSTM_FRAME_BURST_START) {
        flush_prediction (self, msgs, threshold);
        flush_segment (self, msgs);
        queue_nan_warning (self, msgs, start, i);
      }
      self->last_end = end;
      continue;
    }

    if (message_interval > 0) {
      if (self->acc_frames == 0)
        self->acc_start = start;
      for (j = 0; j < self->n_out; j++)
        self->acc[j] += o[j];
      self->acc_frames++;
      self->acc_end = end;
      if (self->acc_frames >= message_interval &&
          rate_allows (max_rate, self->acc_end, &self->pred_last))
        flush_prediction (self, msgs, threshold);
    }

    if (self->seg != NULL) {
      LstmSegment s;
      guint label;

      if (self->seg_frames == 0)
        self->seg_open_start = start;
      self->ring[self->seg_frames % self->ring_size] = start;
      label = lstm_segmenter_push (self->seg, o, NULL, &s);
      if (s.end > 0) {
        GstClockTime boundary = self->ring[s.end % self->ring_size];
        rate_segment (self, msgs, max_rate, &s, self->seg_open_start,
            boundary);
        self->seg_open_start = boundary;
      }
      self->seg_frames++;
      self->last_index = label == LSTM_LABEL_UNKNOWN ? -1 : (gint) label;
    }
    self->last_end = end;
  }
  if (n > 0)
    self->next_ts = self->last_end;
  return TRUE;
}

/* ---- virtual methods ---- */

static gboolean
gst_lstm_infer_start (GstBaseTransform *trans)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *location = NULL;
  LstmModel *model = NULL;
  guint64 max_size;
  guint gen;

again:
  SETTINGS_READ_LOCK (self);
  g_free (location);
  location = g_strdup (self->model_location);
  max_size = self->max_model_size;
  gen = self->model_gen;
  SETTINGS_READ_UNLOCK (self);

  /* Without a model the element starts, and refuses caps until one is
   * set; a model that is named must load. */
  if (location != NULL && *location != '\0') {
    model = load_model (location, max_size, &error);
    if (model == NULL) {
      if (error->code == GST_RESOURCE_ERROR_SETTINGS)
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
            ("Model \"%s\" cannot run on a stream.", location),
            ("%s", error->message));
      else
        GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
            ("Could not read model file \"%s\".", location),
            ("%s", error->message));
      return FALSE;
    }
  }

  g_mutex_lock (&self->lock);
  clear_model (self);
  if (model != NULL)
    use_model (self, model);
  self->have_caps = FALSE;
  self->in_place = FALSE;
  self->caps_frame_dur = GST_CLOCK_TIME_NONE;
  self->next_ts = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->lock);

  SETTINGS_WRITE_LOCK (self);
  if (self->model_gen != gen) {
    /* model= set while this one loaded: load that one instead */
    SETTINGS_WRITE_UNLOCK (self);
    model = NULL;
    goto again;
  }
  self->started = TRUE;
  self->negotiated_dim = 0;
  g_atomic_int_set (&self->reset_pending, 0);
  SETTINGS_WRITE_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_lstm_infer_stop (GstBaseTransform *trans)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);

  SETTINGS_WRITE_LOCK (self);
  self->started = FALSE;
  self->negotiated_dim = 0;
  self->caps_in_size = self->caps_out_size = 0;
  g_clear_pointer (&self->pending_model, lstm_model_unref);
  SETTINGS_WRITE_UNLOCK (self);

  g_mutex_lock (&self->lock);
  clear_model (self);
  clear_buffers (self);
  self->have_caps = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static GstCaps *
gst_lstm_infer_transform_caps (GstBaseTransform *trans,
    GstPadDirection direction, GstCaps *caps, GstCaps *filter)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GstLstmOutputMode mode;
  guint in_size, out_size;
  GstCaps *res;

  SETTINGS_READ_LOCK (self);
  mode = self->output_mode;
  in_size = self->caps_in_size;
  out_size = self->caps_out_size;
  SETTINGS_READ_UNLOCK (self);

  if (mode == GST_LSTM_OUTPUT_MODE_PASSTHROUGH)
    res = gst_caps_copy (caps);
  else if (direction == GST_PAD_SINK)
    /* any input frame size maps to the model's outputs: a wrong size is
     * reported by set_caps with both numbers */
    res = gst_lstm_frames_caps_with_dim (caps, out_size, TRUE);
  else
    res = gst_lstm_frames_caps_with_dim (caps, in_size, FALSE);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  GST_DEBUG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

/* Takes a model set while running, and honours a pending reset signal or
 * changed segment settings. Returns TRUE when the output caps must be
 * renegotiated. Lock held. */
static gboolean
apply_pending (GstLstmInfer *self, GPtrArray **msgs)
{
  LstmModel *model;
  gboolean renegotiate = FALSE;

  SETTINGS_WRITE_LOCK (self);
  model = g_steal_pointer (&self->pending_model);
  SETTINGS_WRITE_UNLOCK (self);

  if (model != NULL) {
    if (self->have_caps && lstm_model_get_input_size (model) !=
        self->in_info.dim) {
      queue_problem (self, msgs, GST_MESSAGE_WARNING, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT, g_strdup_printf ("Model \"%s\" takes "
              "frames of %u values but the stream has %u; keeping the "
              "current model", lstm_model_get_name (model),
              lstm_model_get_input_size (model), self->in_info.dim), NULL);
      lstm_model_unref (model);
    } else {
      guint old_out = self->n_out;
      gboolean had_model = self->model != NULL;

      gst_lstm_infer_flush_results (self, msgs);
      use_model (self, model);
      GST_INFO_OBJECT (self, "now running model %s",
          lstm_model_get_name (model));
      renegotiate = self->have_caps && (!had_model || old_out != self->n_out);
    }
  }
  if (g_atomic_int_compare_and_exchange (&self->reset_pending, 1, 0))
    reset_stream (self, msgs, "reset signal");
  return renegotiate;
}

static gboolean
gst_lstm_infer_set_caps (GstBaseTransform *trans, GstCaps *incaps,
    GstCaps *outcaps)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  g_autoptr (GError) error = NULL;
  GstLstmFramesInfo in_info, out_info;
  GstLstmOutputMode mode;
  GPtrArray *msgs = NULL;
  guint expected;

  if (!gst_lstm_frames_info_from_caps (&in_info, incaps, &error)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Input caps are not frames lstminfer can take: %s", error->message),
        ("caps: %" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  if (!gst_lstm_frames_info_from_caps (&out_info, outcaps, &error)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Could not negotiate output frames: %s", error->message),
        ("caps: %" GST_PTR_FORMAT, outcaps));
    return FALSE;
  }

  SETTINGS_READ_LOCK (self);
  mode = self->output_mode;
  SETTINGS_READ_UNLOCK (self);

  g_mutex_lock (&self->lock);
  /* a model set before the first caps; later swaps happen in
   * submit_input_buffer, between buffers */
  if (self->model == NULL)
    apply_pending (self, &msgs);
  if (self->model == NULL) {
    g_mutex_unlock (&self->lock);
    post_messages (self, msgs);
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model: set the 'model' property to a model file."), (NULL));
    return FALSE;
  }
  if (in_info.dim != self->n_in) {
    guint n_in = self->n_in;
    g_autofree gchar *name = g_strdup (lstm_model_get_name (self->model));
    g_mutex_unlock (&self->lock);
    post_messages (self, msgs);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Frames have %u values but model \"%s\" takes %u per frame.",
            in_info.dim, name, n_in),
        ("input caps: %" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  expected = mode == GST_LSTM_OUTPUT_MODE_PASSTHROUGH ? in_info.dim :
      self->n_out;
  if (out_info.dim != expected || out_info.family != in_info.family) {
    g_mutex_unlock (&self->lock);
    post_messages (self, msgs);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Output frames of %u values offered where %u are produced.",
            out_info.dim, expected), ("output caps: %" GST_PTR_FORMAT,
            outcaps));
    return FALSE;
  }
  if (self->have_caps && gst_lstm_frames_info_frame_duration (&in_info) !=
      self->caps_frame_dur) {
    SETTINGS_WRITE_LOCK (self);
    self->segmenter_dirty = TRUE;       /* min-segment-duration in frames */
    SETTINGS_WRITE_UNLOCK (self);
  }
  self->in_info = in_info;
  self->caps_frame_dur = gst_lstm_frames_info_frame_duration (&in_info);
  self->have_caps = TRUE;
  self->in_place = mode == GST_LSTM_OUTPUT_MODE_PASSTHROUGH;
  g_mutex_unlock (&self->lock);

  SETTINGS_WRITE_LOCK (self);
  self->negotiated_dim = in_info.dim;
  SETTINGS_WRITE_UNLOCK (self);

  gst_base_transform_set_in_place (trans,
      mode == GST_LSTM_OUTPUT_MODE_PASSTHROUGH);
  post_messages (self, msgs);
  GST_INFO_OBJECT (self, "frames of %u values in, %u out (%s)", in_info.dim,
      out_info.dim, gst_lstm_frames_family_name (in_info.family));
  return TRUE;
}

static gboolean
gst_lstm_infer_transform_size (GstBaseTransform *trans,
    GstPadDirection direction, GstCaps *caps, gsize size, GstCaps *othercaps,
    gsize *othersize)
{
  GstLstmFramesInfo a, b;

  (void) trans;
  if (!gst_lstm_frames_info_from_caps (&a, caps, NULL) ||
      !gst_lstm_frames_info_from_caps (&b, othercaps, NULL))
    return FALSE;
  if (size % ((gsize) a.dim * sizeof (gfloat)) != 0) {
    GST_DEBUG_OBJECT (trans, "%" G_GSIZE_FORMAT " bytes is not a whole "
        "number of frames of %u values (%s)", size, a.dim,
        direction == GST_PAD_SINK ? "input" : "output");
    return FALSE;
  }
  *othersize = size / a.dim * b.dim;
  return TRUE;
}

static gboolean
gst_lstm_infer_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GPtrArray *msgs = NULL;
  const gchar *reset = NULL;
  gboolean eos = FALSE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      reset = "FLUSH_STOP";
      break;
    case GST_EVENT_STREAM_START:
      reset = "STREAM_START";
      break;
    case GST_EVENT_SEGMENT:{
      const GstSegment *s;
      gst_event_parse_segment (event, &s);
      if (!trans->have_segment || !gst_lstm_segment_is_update (&trans->segment, s))
        reset = "SEGMENT";
      break;
    }
    case GST_EVENT_GAP:{
      gboolean on_discont;
      SETTINGS_READ_LOCK (self);
      on_discont = self->reset_on_discont;
      SETTINGS_READ_UNLOCK (self);
      if (on_discont)
        reset = "GAP";
      break;
    }
    case GST_EVENT_EOS:
      eos = TRUE;
      break;
    default:
      break;
  }

  if (reset != NULL || eos) {
    g_mutex_lock (&self->lock);
    if (eos)
      gst_lstm_infer_flush_results (self, &msgs);
    else
      reset_stream (self, &msgs, reset);
    g_mutex_unlock (&self->lock);
    post_messages (self, msgs);
  }

  return GST_BASE_TRANSFORM_CLASS (gst_lstm_infer_parent_class)->sink_event
      (trans, event);
}

/* Output sizes follow the input buffers (audio buffers hold any number of
 * frames), which fixed-size pools from downstream cannot serve: buffers come
 * from our own pool, grown when a larger buffer arrives, with downstream's
 * allocator. */
static gboolean
gst_lstm_infer_decide_allocation (GstBaseTransform *trans, GstQuery *query)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GstAllocator *allocator = NULL;
  GstAllocationParams params;

  while (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_remove_nth_allocation_pool (query, 0);
  if (!GST_BASE_TRANSFORM_CLASS (gst_lstm_infer_parent_class)->
      decide_allocation (trans, query))
    return FALSE;

  gst_allocation_params_init (&params);
  if (gst_query_get_n_allocation_params (query) > 0)
    gst_query_parse_nth_allocation_param (query, 0, &allocator, &params);

  g_mutex_lock (&self->lock);
  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  self->pool_size = 0;
  gst_clear_object (&self->allocator);
  self->allocator = allocator;
  self->params = params;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static GstFlowReturn
gst_lstm_infer_submit_input_buffer (GstBaseTransform *trans,
    gboolean is_discont, GstBuffer *input)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GPtrArray *msgs = NULL;
  gboolean renegotiate, on_discont;
  GstLstmOutputMode mode;

  SETTINGS_READ_LOCK (self);
  on_discont = self->reset_on_discont;
  mode = self->output_mode;
  SETTINGS_READ_UNLOCK (self);

  /* A buffer boundary: swap a new model in, apply resets. */
  g_mutex_lock (&self->lock);
  renegotiate = apply_pending (self, &msgs);
  if (on_discont && GST_BUFFER_IS_DISCONT (input))
    reset_stream (self, &msgs, "DISCONT buffer");
  if (self->have_caps &&
      self->in_place != (mode == GST_LSTM_OUTPUT_MODE_PASSTHROUGH))
    renegotiate = TRUE;
  g_mutex_unlock (&self->lock);
  post_messages (self, msgs);

  /* the parent's submit renegotiates before taking the buffer */
  if (renegotiate)
    gst_base_transform_reconfigure_src (trans);
  return GST_BASE_TRANSFORM_CLASS (gst_lstm_infer_parent_class)->
      submit_input_buffer (trans, is_discont, input);
}

static gboolean
ensure_pool (GstLstmInfer *self, gsize size)
{
  GstStructure *config;
  GstCaps *caps;
  gsize pool_size = MAX ((gsize) MIN_POOL_FRAMES * self->n_out *
      sizeof (gfloat), 4096);

  if (self->pool != NULL && self->pool_size >= size)
    return TRUE;
  while (pool_size < size)
    pool_size *= 2;
  if (self->pool) {
    /* buffers still downstream return to the old pool and are freed */
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  caps = gst_pad_get_current_caps (GST_BASE_TRANSFORM_SRC_PAD (self));
  self->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (self->pool);
  gst_buffer_pool_config_set_params (config, caps, (guint) pool_size, 0, 0);
  gst_buffer_pool_config_set_allocator (config, self->allocator,
      &self->params);
  if (caps)
    gst_caps_unref (caps);
  if (!gst_buffer_pool_set_config (self->pool, config) ||
      !gst_buffer_pool_set_active (self->pool, TRUE)) {
    gst_clear_object (&self->pool);
    return FALSE;
  }
  self->pool_size = pool_size;
  GST_DEBUG_OBJECT (self, "output pool of %" G_GSIZE_FORMAT "-byte buffers",
      pool_size);
  return TRUE;
}

static GstFlowReturn
gst_lstm_infer_prepare_output_buffer (GstBaseTransform *trans,
    GstBuffer *input, GstBuffer **outbuf)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GstBaseTransformClass *klass = GST_BASE_TRANSFORM_GET_CLASS (trans);
  GstFlowReturn ret;
  gsize in_size, out_size;
  guint n_in, n_out;

  if (gst_base_transform_is_in_place (trans))
    return GST_BASE_TRANSFORM_CLASS (gst_lstm_infer_parent_class)->
        prepare_output_buffer (trans, input, outbuf);

  g_mutex_lock (&self->lock);
  n_in = self->n_in;
  n_out = self->n_out;
  if (self->model == NULL) {
    g_mutex_unlock (&self->lock);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  in_size = gst_buffer_get_size (input);
  if (in_size % ((gsize) n_in * sizeof (gfloat)) != 0) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of "
            "frames of %u float32 values (%u bytes each).", in_size, n_in,
            n_in * 4), (NULL));
    return GST_FLOW_ERROR;
  }
  out_size = in_size / n_in * n_out;
  if (!ensure_pool (self, out_size)) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not set up a buffer pool for the output."), (NULL));
    return GST_FLOW_ERROR;
  }
  ret = gst_buffer_pool_acquire_buffer (self->pool, outbuf, NULL);
  g_mutex_unlock (&self->lock);
  if (ret != GST_FLOW_OK)
    return ret;
  gst_buffer_resize (*outbuf, 0, out_size);

  if (klass->copy_metadata && !klass->copy_metadata (trans, input, *outbuf))
    GST_ELEMENT_WARNING (self, STREAM, NOT_IMPLEMENTED,
        ("could not copy metadata"), (NULL));
  return GST_FLOW_OK;
}

/* The input as aligned floats: the mapped memory itself, or a copy when a
 * parser handed us a sub-buffer at an odd byte offset. Lock held. */
static const gfloat *
aligned_input (GstLstmInfer *self, const GstMapInfo *map)
{
  if (((guintptr) map->data) % G_ALIGNOF (gfloat) == 0)
    return (const gfloat *) map->data;
  if (self->scratch_in_size < map->size) {
    g_free (self->scratch_in);
    self->scratch_in = g_malloc (map->size);
    self->scratch_in_size = map->size;
  }
  memcpy (self->scratch_in, map->data, map->size);
  return self->scratch_in;
}

/* The outputs of passthrough mode, which has no output buffer. Lock held. */
static gfloat *
scratch_out (GstLstmInfer *self, gsize n)
{
  gsize need = MAX (n * self->n_out, 1);

  if (self->scratch_out_size < need) {
    g_free (self->scratch_out);
    self->scratch_out = g_new (gfloat, need);
    self->scratch_out_size = need;
  }
  return self->scratch_out;
}

/* Shared by both modes: checks the input, resets on a GAP buffer or runs
 * the model into @out (n x n_out values; NULL: the passthrough scratch).
 * Lock held. */
static GstFlowReturn
run_buffer (GstLstmInfer *self, GstBuffer *inbuf, const GstMapInfo *in_map,
    gfloat *out, gsize *n_frames, gboolean *gap, gboolean *all_nonfinite,
    GPtrArray **msgs)
{
  gsize n_nonfinite = 0;
  g_autoptr (GError) error = NULL;
  gboolean on_discont;
  gsize frame_bytes = (gsize) self->n_in * sizeof (gfloat);
  gsize n;

  SETTINGS_READ_LOCK (self);
  on_discont = self->reset_on_discont;
  SETTINGS_READ_UNLOCK (self);

  if (self->model == NULL)
    return GST_FLOW_NOT_NEGOTIATED;
  if (in_map->size % frame_bytes != 0) {
    queue_problem (self, msgs, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
        GST_STREAM_ERROR_FORMAT, g_strdup_printf ("A buffer of %"
            G_GSIZE_FORMAT " bytes is not a whole number of frames of %u "
            "float32 values (%" G_GSIZE_FORMAT " bytes each).", in_map->size,
            self->n_in, frame_bytes), NULL);
    return GST_FLOW_ERROR;
  }
  /* a padded buffer (GstLstmPadding): its real frames only */
  n = gst_buffer_get_lstm_valid_frames (inbuf,
      (guint) MIN (in_map->size / frame_bytes, (gsize) G_MAXUINT));
  *n_frames = n;
  *gap = on_discont && GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_GAP);
  if (*gap) {
    /* no data: nothing to run, the state restarts after the gap */
    reset_stream (self, msgs, "GAP buffer");
    return GST_FLOW_OK;
  }
  if (out == NULL)
    out = scratch_out (self, n);
  if (!process_frames (self, aligned_input (self, in_map), n, out,
          GST_BUFFER_PTS (inbuf), GST_BUFFER_DURATION (inbuf), &n_nonfinite,
          msgs, &error)) {
    if (g_error_matches (error, LSTM_ERROR, LSTM_ERROR_FORMAT))
      queue_problem (self, msgs, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT, g_strdup_printf ("The buffer at %"
              GST_TIME_FORMAT " holds NaN or Inf (nan-policy=error).",
              GST_TIME_ARGS (GST_BUFFER_PTS (inbuf))),
          g_strdup (error->message));
    else
      queue_problem (self, msgs, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED, g_strdup ("The model failed to run."),
          g_strdup (error->message));
    return GST_FLOW_ERROR;
  }
  *all_nonfinite = n > 0 && n_nonfinite == n;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_lstm_infer_transform (GstBaseTransform *trans, GstBuffer *inbuf,
    GstBuffer *outbuf)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GstMapInfo in_map, out_map;
  GPtrArray *msgs = NULL;
  GstFlowReturn ret;
  gsize n = 0;
  gboolean gap = FALSE, nonfinite = FALSE;

  if (!gst_buffer_map (inbuf, &in_map, GST_MAP_READ))
    goto map_failed;
  if (!gst_buffer_map (outbuf, &out_map, GST_MAP_WRITE)) {
    gst_buffer_unmap (inbuf, &in_map);
    goto map_failed;
  }

  g_mutex_lock (&self->lock);
  ret = run_buffer (self, inbuf, &in_map, (gfloat *) out_map.data, &n, &gap,
      &nonfinite, &msgs);
  g_mutex_unlock (&self->lock);

  if (ret == GST_FLOW_OK && gap)
    memset (out_map.data, 0, out_map.size);
  else if (ret == GST_FLOW_OK && n * self->n_out * sizeof (gfloat) <
      out_map.size) {
    /* the padding of a padded input stays padding, marked the same way */
    gsize used = n * self->n_out * sizeof (gfloat);
    memset (out_map.data + used, 0, out_map.size - used);
    gst_buffer_mark_lstm_padding (outbuf, (guint) n);
  }
  gst_buffer_unmap (outbuf, &out_map);
  gst_buffer_unmap (inbuf, &in_map);
  /* a buffer of non-finite frames only: zeros, flagged GAP */
  if (gap || (ret == GST_FLOW_OK && nonfinite))
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_GAP);
  else
    GST_BUFFER_FLAG_UNSET (outbuf, GST_BUFFER_FLAG_GAP);
  post_messages (self, msgs);
  return ret;

map_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not map a buffer."),
      (NULL));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_lstm_infer_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstLstmInfer *self = GST_LSTM_INFER (trans);
  GstMapInfo map;
  GPtrArray *msgs = NULL;
  GstFlowReturn ret;
  gsize n = 0;
  gboolean gap = FALSE, nonfinite = FALSE;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not map a buffer."),
        (NULL));
    return GST_FLOW_ERROR;
  }
  g_mutex_lock (&self->lock);
  ret = run_buffer (self, buf, &map, NULL, &n, &gap, &nonfinite, &msgs);
  gst_buffer_unmap (buf, &map);
  if (ret == GST_FLOW_OK && !gap && n > 0)
    gst_lstm_infer_attach_results (self, buf, (guint) n, self->scratch_out);
  g_mutex_unlock (&self->lock);
  post_messages (self, msgs);
  return ret;
}

static void
gst_lstm_infer_reset_signal (GstLstmInfer *self)
{
  GST_DEBUG_OBJECT (self, "reset requested");
  g_atomic_int_set (&self->reset_pending, 1);
}

/* ---- results on buffers ---- */

/* Attaches the results of @buf's frames (passthrough mode). GStreamer 1.24
 * brings GstTensorMeta and analytics classification metas: attaching them
 * as well is an addition here, under GST_CHECK_VERSION (1, 24, 0). Lock
 * held. */
static void
gst_lstm_infer_attach_results (GstLstmInfer *self, GstBuffer *buf,
    guint n_frames, const gfloat *scores)
{
  const gchar *label = NULL;
  gint index = -1;

  if (self->kind != GST_LSTM_RESULT_VALUES) {
    label = self->last_index >= 0 ? self->labels[self->last_index] :
        GST_LSTM_LABEL_UNKNOWN;
    index = self->last_index;
  }
  gst_buffer_add_lstm_meta (buf, n_frames, self->n_out, scores, index, label);
  /* the same results in a GstStructure, for PyGObject and other bindings */
  gst_buffer_add_lstm_results_meta (buf, n_frames, self->n_out, scores,
      index, label);
}
