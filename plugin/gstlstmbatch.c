/* GStreamer lstm plugin: lstmbatch, many streams through one model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-lstmbatch
 * @title: lstmbatch
 *
 * Runs many frame streams through one model, each with its own recurrent
 * state, in batches: one step takes the next frame of every stream that
 * has one. Each `sink_%u` pad (requested) comes with its `src_%u` pad,
 * which carries that stream's outputs: the model's scores, frame for
 * frame, as lstminfer's default output mode gives them, and bit for bit
 * equal to that stream run alone (lstminfer, `lstm run`), whatever the
 * other streams do.
 *
 * Frames arrive as lstminfer takes them (`other/tensors` with
 * `dimensions=D:N` in any rank, or `audio/x-raw,format=F32LE` with D
 * channels); padded tensor buffers (GstLstmPadding) are honoured. Streams
 * join (request a pad) and leave (EOS, or release the pads) while
 * PLAYING. A stream's state is reset by a flush, a new segment, a DISCONT or
 * GAP buffer; a frame holding NaN or Inf follows #GstLstmBatch:nan-policy
 * for that stream alone.
 *
 * A batch step waits until every active stream has a frame. A stream that
 * has none within #GstLstmBatch:batch-timeout of the first frame waiting
 * is left out of the step, and out of the following ones until its next
 * buffer arrives, so a stalled stream costs the others at most one timeout.
 * Each stream's buffers are pushed by its own streaming thread; the step is
 * run by whichever thread completes it. As after a `tee`, put a `queue`
 * after each src pad: a sink blocks its stream's thread on its first buffer
 * until every sink of the pipeline has one (preroll), which would hold the
 * batch for a timeout at the start. A bounded queue can fill the same way
 * when one stream runs ahead before the others' caps arrive; at the cost
 * of one #GstLstmBatch:batch-timeout, so keep that short (the default
 * 10 ms) or the queues unbounded (`max-size-time=0 max-size-buffers=0
 * max-size-bytes=0`).
 *
 * The model is loaded with lstm_model_load_shared(): lstminfer and
 * lstmbatch elements on the same file share its weights.
 *
 * |[
 * gst-launch-1.0 lstmbatch name=b model=tagger.safetensors \
 *   filesrc location=a.wav ! wavparse ! audioconvert ! audioresample ! \
 *     lstmfeatures model=tagger.safetensors ! b.sink_0 \
 *   b.src_0 ! queue ! filesink location=a.f32 \
 *   filesrc location=b.wav ! wavparse ! audioconvert ! audioresample ! \
 *     lstmfeatures model=tagger.safetensors ! b.sink_1 \
 *   b.src_1 ! queue ! filesink location=b.f32
 * ]|
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <lstm/lstm.h>

#include "gstlstmbatch.h"
#include "gstlstmenums.h"
#include "gstlstmframes.h"
#include "gstlstmmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_lstm_batch_debug);
#define GST_CAT_DEFAULT gst_lstm_batch_debug

#define DEFAULT_BATCH_TIMEOUT (10 * GST_MSECOND)
#define DEFAULT_NAN_POLICY LSTM_NAN_POLICY_RESET

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_BATCH_TIMEOUT,
  PROP_NAN_POLICY,
  PROP_STEPS,
  PROP_FRAMES,
};

/* One stream: a sink pad and its src pad. Fields marked (lock) are read
 * and written under the element's lock; the rest belong to the stream's
 * own streaming thread. */
typedef struct {
  guint index;
  GstPad *sinkpad;
  GstPad *srcpad;
  LstmState *state;             /* (lock) from the first caps */
  GstLstmFramesInfo info;
  gboolean have_caps;           /* (lock) */
  gboolean eos;                 /* (lock) */
  gboolean flushing;            /* (lock) */
  gboolean late;                /* (lock) missed a step: not waited for */
  gboolean waiting;             /* (lock) its chain is in a batch */
  /* the buffer in the batch (lock) */
  const float *in;
  float *out;
  gsize n;                      /* real frames */
  gsize next;                   /* frames done */
  guint8 *flags;                /* per frame */
  gsize flags_size;
  gboolean failed;              /* nan-policy=error tripped */
  float *aligned;               /* input copy for unaligned buffers */
  gsize aligned_size;
  gboolean in_burst;
} Stream;

struct _GstLstmBatch
{
  GstElement parent;

  GMutex lock;
  GCond cond;
  GPtrArray *streams;           /* (lock) Stream, one per requested pad */
  guint next_index;             /* (lock) */
  LstmModel *model;             /* (lock) from READY to PAUSED */
  /* properties (object lock) */
  gchar *model_location;
  GstClockTime batch_timeout;
  LstmNanPolicy nan_policy;
  /* one step's scratch (lock) */
  float *step_in, *step_out;
  guint8 *step_flags;
  LstmState **step_states;
  Stream **step_who;
  guint step_cap;
  guint64 steps, step_streams;  /* (lock) statistics */
};

#define gst_lstm_batch_parent_class parent_class
G_DEFINE_TYPE (GstLstmBatch, gst_lstm_batch, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (lstmbatch, "lstmbatch", GST_RANK_NONE,
    GST_TYPE_LSTM_BATCH);

static GstStaticPadTemplate sink_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_LSTM_FRAMES_CAPS));
static GstStaticPadTemplate src_template =
GST_STATIC_PAD_TEMPLATE ("src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (GST_LSTM_FRAMES_CAPS));

/* ---- properties ---- */

static void
gst_lstm_batch_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstLstmBatch *self = GST_LSTM_BATCH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_location);
      self->model_location = g_value_dup_string (value);
      break;
    case PROP_BATCH_TIMEOUT:
      self->batch_timeout = g_value_get_uint64 (value);
      break;
    case PROP_NAN_POLICY:
      self->nan_policy = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_lstm_batch_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstLstmBatch *self = GST_LSTM_BATCH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_BATCH_TIMEOUT:
      g_value_set_uint64 (value, self->batch_timeout);
      break;
    case PROP_NAN_POLICY:
      g_value_set_enum (value, self->nan_policy);
      break;
    case PROP_STEPS:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->steps);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_FRAMES:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->step_streams);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- batching ---- */

static gboolean
stream_active (const Stream *s)
{
  return s->have_caps && !s->eos && !s->flushing && !s->late;
}

/* Whether every active stream waits with a frame to run. Lock held. */
static gboolean
all_ready (GstLstmBatch *self)
{
  guint i, n = 0;

  for (i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    if (!stream_active (s))
      continue;
    if (!s->waiting || s->next >= s->n)
      return FALSE;
    n++;
  }
  return n > 0;
}

static void
ensure_step_scratch (GstLstmBatch *self, guint n)
{
  guint I, O;

  if (n <= self->step_cap)
    return;
  I = lstm_model_get_input_size (self->model);
  O = lstm_model_get_output_size (self->model);
  n = MAX (n, 2 * self->step_cap);
  self->step_in = g_renew (float, self->step_in, (gsize) n * I);
  self->step_out = g_renew (float, self->step_out, (gsize) n * O);
  self->step_flags = g_renew (guint8, self->step_flags, n);
  self->step_states = g_renew (LstmState *, self->step_states, n);
  self->step_who = g_renew (Stream *, self->step_who, n);
  self->step_cap = n;
}

/* One step: the next frame of every waiting stream, in one batch. Wakes
 * the streams whose buffers are done. Lock held. */
static void
run_step (GstLstmBatch *self, LstmNanPolicy policy)
{
  g_autoptr (GError) error = NULL;
  guint I = lstm_model_get_input_size (self->model);
  guint O = lstm_model_get_output_size (self->model);
  guint i, k, n = 0;

  ensure_step_scratch (self, self->streams->len);
  for (i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    const float *x;
    if (!s->waiting || s->flushing || s->next >= s->n)
      continue;
    x = s->in + s->next * I;
    if (policy == LSTM_NAN_POLICY_ERROR && !lstm_values_are_finite (x, I)) {
      /* this stream's error; the others go on */
      s->failed = TRUE;
      s->next = s->n;
      continue;
    }
    memcpy (self->step_in + (gsize) n * I, x, I * sizeof (float));
    self->step_states[n] = s->state;
    self->step_who[n] = s;
    n++;
  }
  if (n > 0) {
    /* policy error was checked above: run the frames as reset does */
    if (!lstm_model_forward_batch (self->model, self->step_states, n,
            policy == LSTM_NAN_POLICY_PASS ? LSTM_NAN_POLICY_PASS :
            LSTM_NAN_POLICY_RESET, self->step_in, self->step_out,
            self->step_flags, &error)) {
      /* cannot happen with states of this model: fail every stream */
      GST_ERROR_OBJECT (self, "batch step failed: %s", error->message);
      for (k = 0; k < n; k++) {
        self->step_who[k]->failed = TRUE;
        self->step_who[k]->next = self->step_who[k]->n;
      }
    } else {
      for (k = 0; k < n; k++) {
        Stream *s = self->step_who[k];
        memcpy (s->out + s->next * O, self->step_out + (gsize) k * O,
            O * sizeof (float));
        s->flags[s->next] = self->step_flags[k];
        s->next++;
      }
    }
    self->steps++;
    self->step_streams += n;
    if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_LOG) {
      GString *st = g_string_new (NULL);
      for (i = 0; i < self->streams->len; i++) {
        Stream *x = g_ptr_array_index (self->streams, i);
        g_string_append_printf (st, " [%u c%d e%d l%d w%d %zu/%zu]", x->index,
            x->have_caps, x->eos, x->late, x->waiting, x->next, x->n);
      }
      GST_LOG_OBJECT (self, "step of %u streams:%s", n, st->str);
      g_string_free (st, TRUE);
    }
  }
  g_cond_broadcast (&self->cond);
}

/* Streams active but not waiting when a step times out: left out until
 * their next buffer. Lock held. */
static void
mark_late (GstLstmBatch *self)
{
  guint i;

  for (i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    if (stream_active (s) && !(s->waiting && s->next < s->n)) {
      GST_LOG_OBJECT (self, "stream %u is late", s->index);
      s->late = TRUE;
    }
  }
}

/* ---- data ---- */

static const float *
aligned_input (Stream *s, const GstMapInfo *map)
{
  if (((guintptr) map->data) % G_ALIGNOF (float) == 0)
    return (const float *) map->data;
  if (s->aligned_size < map->size) {
    g_free (s->aligned);
    s->aligned = g_malloc (map->size);
    s->aligned_size = map->size;
  }
  memcpy (s->aligned, map->data, map->size);
  return s->aligned;
}

static GstFlowReturn
gst_lstm_batch_chain (GstPad *pad, GstObject *parent, GstBuffer *inbuf)
{
  GstLstmBatch *self = GST_LSTM_BATCH (parent);
  Stream *s = gst_pad_get_element_private (pad);
  GstMapInfo in_map, out_map;
  GstBuffer *outbuf;
  LstmNanPolicy policy;
  GstClockTime timeout;
  gsize frame_bytes, total, n, t, bursts = 0, nonfinite = 0;
  guint O;
  gboolean failed, gap;
  gint64 deadline;

  GST_OBJECT_LOCK (self);
  policy = self->nan_policy;
  timeout = self->batch_timeout;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (!s->have_caps || self->model == NULL) {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (inbuf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Frames on %s before caps.", GST_PAD_NAME (pad)), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  O = lstm_model_get_output_size (self->model);
  g_mutex_unlock (&self->lock);

  frame_bytes = (gsize) s->info.dim * sizeof (float);
  if (!gst_buffer_map (inbuf, &in_map, GST_MAP_READ)) {
    gst_buffer_unref (inbuf);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not map a buffer."),
        (NULL));
    return GST_FLOW_ERROR;
  }
  if (in_map.size % frame_bytes != 0) {
    gsize size = in_map.size;
    gst_buffer_unmap (inbuf, &in_map);
    gst_buffer_unref (inbuf);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("A buffer of %" G_GSIZE_FORMAT " bytes on %s is not a whole number "
            "of frames of %u float32 values.", size, GST_PAD_NAME (pad),
            s->info.dim), (NULL));
    return GST_FLOW_ERROR;
  }
  total = in_map.size / frame_bytes;
  n = gst_buffer_get_lstm_valid_frames (inbuf, (guint) MIN (total,
          (gsize) G_MAXUINT));
  gap = GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_GAP);

  outbuf = total <= G_MAXSIZE / sizeof (float) / O ?
      gst_buffer_new_allocate (NULL, MAX (total * O * sizeof (float), 1),
      NULL) : NULL;
  if (outbuf == NULL || !gst_buffer_map (outbuf, &out_map, GST_MAP_WRITE)) {
    if (outbuf != NULL)
      gst_buffer_unref (outbuf);
    gst_buffer_unmap (inbuf, &in_map);
    gst_buffer_unref (inbuf);
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("No memory for the outputs of %" G_GSIZE_FORMAT " frames on %s.",
            total, GST_PAD_NAME (pad)), (NULL));
    return GST_FLOW_ERROR;
  }
  gst_buffer_unmap (outbuf, &out_map);
  gst_buffer_set_size (outbuf, (gssize) (total * O * sizeof (float)));
  gst_buffer_copy_into (outbuf, inbuf, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_buffer_map (outbuf, &out_map, GST_MAP_WRITE);
  memset (out_map.data, 0, out_map.size);

  g_mutex_lock (&self->lock);
  if (GST_BUFFER_FLAG_IS_SET (inbuf, GST_BUFFER_FLAG_DISCONT) || gap)
    lstm_state_reset (s->state);
  if (gap)
    n = 0;                      /* no data: zeros, the state restarts */
  if (s->flags_size < n) {
    g_free (s->flags);
    s->flags = g_new (guint8, n);
    s->flags_size = n;
  }
  if (n > 0)
    memset (s->flags, LSTM_FRAME_FINITE, n);
  s->in = aligned_input (s, &in_map);
  s->out = (float *) out_map.data;
  s->n = n;
  s->next = 0;
  s->failed = FALSE;
  s->late = FALSE;
  s->waiting = TRUE;
  g_cond_broadcast (&self->cond);
  /* the timeout runs from the first frame waiting: other streams' arrivals
   * wake this one without extending it; a step with this stream renews it */
  deadline = g_get_monotonic_time () + (gint64) (timeout / GST_USECOND);
  while (s->next < s->n && !s->flushing) {
    gsize before = s->next;

    if (all_ready (self)) {
      run_step (self, policy);
      deadline = g_get_monotonic_time () + (gint64) (timeout / GST_USECOND);
      continue;
    }
    if (g_cond_wait_until (&self->cond, &self->lock, deadline)) {
      if (s->next > before)
        deadline = g_get_monotonic_time () + (gint64) (timeout /
            GST_USECOND);
    } else if (s->next < s->n && !s->flushing) {
      /* the others did not come in time: run without them */
      mark_late (self);
      run_step (self, policy);
      deadline = g_get_monotonic_time () + (gint64) (timeout / GST_USECOND);
    }
  }
  s->waiting = FALSE;
  failed = s->failed;
  if (s->flushing) {
    g_mutex_unlock (&self->lock);
    gst_buffer_unmap (outbuf, &out_map);
    gst_buffer_unref (outbuf);
    gst_buffer_unmap (inbuf, &in_map);
    gst_buffer_unref (inbuf);
    return GST_FLOW_FLUSHING;
  }
  /* bursts of non-finite frames, as lstminfer reports them */
  for (t = 0; t < n; t++) {
    if (s->flags[t] & LSTM_FRAME_NONFINITE) {
      nonfinite++;
      if (!s->in_burst)
        bursts++;
      s->in_burst = TRUE;
    } else {
      s->in_burst = FALSE;
    }
  }
  g_mutex_unlock (&self->lock);

  gst_buffer_unmap (outbuf, &out_map);
  gst_buffer_unmap (inbuf, &in_map);
  if (failed) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The buffer at %" GST_TIME_FORMAT " on %s holds NaN or Inf "
            "(nan-policy=error).", GST_TIME_ARGS (GST_BUFFER_PTS (inbuf)),
            GST_PAD_NAME (pad)), (NULL));
    gst_buffer_unref (inbuf);
    gst_buffer_unref (outbuf);
    return GST_FLOW_ERROR;
  }
  if (bursts > 0)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Non-finite input on %s at %" GST_TIME_FORMAT ": frames of zeros, "
            "the state reset (nan-policy=reset).", GST_PAD_NAME (pad),
            GST_TIME_ARGS (GST_BUFFER_PTS (inbuf))), (NULL));
  if (gap || (n > 0 && nonfinite == n))
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_GAP);
  else
    GST_BUFFER_FLAG_UNSET (outbuf, GST_BUFFER_FLAG_GAP);
  if (total > n && !gap)
    gst_buffer_mark_lstm_padding (outbuf, (guint) n);
  gst_buffer_unref (inbuf);
  return gst_pad_push (s->srcpad, outbuf);
}

/* ---- events and queries ---- */

static gboolean
set_caps (GstLstmBatch *self, Stream *s, GstCaps *caps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstCaps) out_caps = NULL;
  GstLstmFramesInfo info, out;
  guint I, O;

  if (!gst_lstm_frames_info_from_caps (&info, caps, &error)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", error->message),
        ("caps on %s: %" GST_PTR_FORMAT, GST_PAD_NAME (s->sinkpad), caps));
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  if (self->model == NULL) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No model loaded."),
        (NULL));
    return FALSE;
  }
  I = lstm_model_get_input_size (self->model);
  O = lstm_model_get_output_size (self->model);
  if (info.dim != I) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("%s carries frames of %u values; the model takes %u.",
            GST_PAD_NAME (s->sinkpad), info.dim, I), (NULL));
    return FALSE;
  }
  if (s->state == NULL)
    s->state = lstm_state_new (self->model);
  s->info = info;
  s->have_caps = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  out = info;
  out.dim = O;
  out_caps = gst_lstm_frames_info_to_caps (&out);
  return gst_pad_push_event (s->srcpad, gst_event_new_caps (out_caps));
}

static gboolean
gst_lstm_batch_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstLstmBatch *self = GST_LSTM_BATCH (parent);
  Stream *s = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;
      gst_event_parse_caps (event, &caps);
      ok = set_caps (self, s, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      g_mutex_lock (&self->lock);
      if (s->state != NULL)
        lstm_state_reset (s->state);
      s->eos = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_EOS:
      /* no longer waited for */
      g_mutex_lock (&self->lock);
      s->eos = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      s->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      s->flushing = FALSE;
      s->eos = FALSE;
      s->late = FALSE;
      s->in_burst = FALSE;
      if (s->state != NULL)
        lstm_state_reset (s->state);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  /* to this stream's src pad only (the internal link) */
  return gst_pad_event_default (pad, parent, event);
}

static GstCaps *
frames_caps (GstLstmBatch *self, GstPad *pad, gboolean input,
    GstCaps *filter)
{
  GstCaps *tmpl = gst_pad_get_pad_template_caps (pad);
  GstCaps *res;
  guint dim = 0;

  /* inputs of any frame size: a wrong one is refused by set_caps with a
   * message giving both sizes, not by a bare not-negotiated upstream */
  g_mutex_lock (&self->lock);
  if (self->model != NULL && !input)
    dim = lstm_model_get_output_size (self->model);
  g_mutex_unlock (&self->lock);
  res = gst_lstm_frames_caps_with_dim (tmpl, dim, !input);
  gst_caps_unref (tmpl);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  return res;
}

static gboolean
gst_lstm_batch_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstLstmBatch *self = GST_LSTM_BATCH (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *caps;
    gst_query_parse_caps (query, &filter);
    caps = frames_caps (self, pad, GST_PAD_IS_SINK (pad), filter);
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps *caps, *ours;
    gst_query_parse_accept_caps (query, &caps);
    ours = frames_caps (self, pad, GST_PAD_IS_SINK (pad), NULL);
    gst_query_set_accept_caps_result (query,
        gst_caps_can_intersect (caps, ours));
    gst_caps_unref (ours);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstIterator *
gst_lstm_batch_internal_links (GstPad *pad, GstObject *parent)
{
  Stream *s = gst_pad_get_element_private (pad);
  GValue v = G_VALUE_INIT;
  GstIterator *it;

  (void) parent;
  if (s == NULL)
    return NULL;
  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, pad == s->sinkpad ? s->srcpad : s->sinkpad);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

/* ---- pads ---- */

static void
stream_free (Stream *s)
{
  g_clear_pointer (&s->state, lstm_state_free);
  g_free (s->flags);
  g_free (s->aligned);
  g_free (s);
}

static GstPad *
gst_lstm_batch_request_new_pad (GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps)
{
  GstLstmBatch *self = GST_LSTM_BATCH (element);
  g_autofree gchar *sink_name = NULL, *src_name = NULL;
  Stream *s;
  guint index, i;

  (void) templ;
  (void) caps;
  g_mutex_lock (&self->lock);
  if (name != NULL && sscanf (name, "sink_%u", &index) == 1) {
    for (i = 0; i < self->streams->len; i++)
      if (((Stream *) g_ptr_array_index (self->streams, i))->index == index) {
        g_mutex_unlock (&self->lock);
        GST_WARNING_OBJECT (self, "pad %s already exists", name);
        return NULL;
      }
  } else {
    index = self->next_index;
  }
  self->next_index = MAX (self->next_index, index + 1);
  s = g_new0 (Stream, 1);
  s->index = index;
  if (self->model != NULL)
    s->state = lstm_state_new (self->model);
  g_ptr_array_add (self->streams, s);
  g_mutex_unlock (&self->lock);

  sink_name = g_strdup_printf ("sink_%u", index);
  src_name = g_strdup_printf ("src_%u", index);
  s->sinkpad = gst_pad_new_from_static_template (&sink_template, sink_name);
  s->srcpad = gst_pad_new_from_static_template (&src_template, src_name);
  gst_pad_set_element_private (s->sinkpad, s);
  gst_pad_set_element_private (s->srcpad, s);
  gst_pad_set_chain_function (s->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_chain));
  gst_pad_set_event_function (s->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_sink_event));
  gst_pad_set_query_function (s->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_query));
  gst_pad_set_query_function (s->srcpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_query));
  gst_pad_set_iterate_internal_links_function (s->sinkpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_internal_links));
  gst_pad_set_iterate_internal_links_function (s->srcpad,
      GST_DEBUG_FUNCPTR (gst_lstm_batch_internal_links));
  GST_PAD_SET_PROXY_ALLOCATION (s->sinkpad);

  if (GST_STATE (self) > GST_STATE_READY) {
    gst_pad_set_active (s->srcpad, TRUE);
    gst_pad_set_active (s->sinkpad, TRUE);
  }
  gst_element_add_pad (element, s->srcpad);
  gst_element_add_pad (element, s->sinkpad);
  GST_DEBUG_OBJECT (self, "stream %u joins", index);
  return s->sinkpad;
}

static void
gst_lstm_batch_release_pad (GstElement *element, GstPad *pad)
{
  GstLstmBatch *self = GST_LSTM_BATCH (element);
  Stream *s = gst_pad_get_element_private (pad);

  if (s == NULL || pad != s->sinkpad)
    return;
  /* out of the batches, its chain woken; deactivating the sink pad then
   * waits for that chain to return */
  g_mutex_lock (&self->lock);
  s->flushing = TRUE;
  {
    guint i;
    if (g_ptr_array_find (self->streams, s, &i))
      g_ptr_array_steal_index (self->streams, i);
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_pad_set_active (s->sinkpad, FALSE);
  gst_pad_set_active (s->srcpad, FALSE);
  gst_pad_set_element_private (s->sinkpad, NULL);
  gst_pad_set_element_private (s->srcpad, NULL);
  gst_element_remove_pad (element, s->srcpad);
  gst_element_remove_pad (element, s->sinkpad);
  GST_DEBUG_OBJECT (self, "stream %u leaves", s->index);
  stream_free (s);
}

/* ---- state ---- */

static gboolean
start (GstLstmBatch *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *location = NULL;
  LstmModel *model;
  guint i;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->model_location);
  GST_OBJECT_UNLOCK (self);
  if (location == NULL || *location == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model file given: set the 'model' property."), (NULL));
    return FALSE;
  }
  model = lstm_model_load_shared (location, 0, &error);
  if (model != NULL && !lstm_model_is_streamable (model)) {
    g_set_error (&error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED, "%s: the model "
        "has a bidirectional layer, which needs whole sequences; lstmbatch "
        "runs models frame by frame", location);
    g_clear_pointer (&model, lstm_model_unref);
  }
  if (model == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message),
        (NULL));
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->model = model;
  for (i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    g_clear_pointer (&s->state, lstm_state_free);
    s->state = lstm_state_new (model);
    s->have_caps = s->eos = s->flushing = s->late = FALSE;
  }
  self->steps = self->step_streams = 0;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
stop (GstLstmBatch *self)
{
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->streams->len; i++) {
    Stream *s = g_ptr_array_index (self->streams, i);
    g_clear_pointer (&s->state, lstm_state_free);
    s->have_caps = FALSE;
  }
  if (self->steps > 0)
    GST_INFO_OBJECT (self, "%" G_GUINT64_FORMAT " steps, %.2f streams a "
        "step", self->steps, (double) self->step_streams / self->steps);
  g_clear_pointer (&self->model, lstm_model_unref);
  /* sized for this model: the next one may be wider */
  g_clear_pointer (&self->step_in, g_free);
  g_clear_pointer (&self->step_out, g_free);
  g_clear_pointer (&self->step_flags, g_free);
  g_clear_pointer (&self->step_states, g_free);
  g_clear_pointer (&self->step_who, g_free);
  self->step_cap = 0;
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
gst_lstm_batch_change_state (GstElement *element, GstStateChange transition)
{
  GstLstmBatch *self = GST_LSTM_BATCH (element);
  GstStateChangeReturn ret;
  guint i;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* wake every waiting chain before the pads deactivate */
      g_mutex_lock (&self->lock);
      for (i = 0; i < self->streams->len; i++)
        ((Stream *) g_ptr_array_index (self->streams, i))->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop (self);
  return ret;
}

/* ---- GObject ---- */

static void
gst_lstm_batch_finalize (GObject *object)
{
  GstLstmBatch *self = GST_LSTM_BATCH (object);

  g_ptr_array_free (self->streams, TRUE);
  g_clear_pointer (&self->model, lstm_model_unref);
  g_free (self->model_location);
  g_free (self->step_in);
  g_free (self->step_out);
  g_free (self->step_flags);
  g_free (self->step_states);
  g_free (self->step_who);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_lstm_batch_class_init (GstLstmBatchClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_lstm_batch_debug, "lstmbatch", 0,
      "many streams through one recurrent model");
  gobject_class->set_property = gst_lstm_batch_set_property;
  gobject_class->get_property = gst_lstm_batch_get_property;
  gobject_class->finalize = gst_lstm_batch_finalize;

  /**
   * GstLstmBatch:model:
   *
   * The model file (safetensors), shared with every other element that
   * loads the same file.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "Model file (safetensors)",
          NULL, flags | GST_PARAM_MUTABLE_READY));
  /**
   * GstLstmBatch:batch-timeout:
   *
   * How long (ns) a step waits for streams that have no frame yet. Those
   * that miss it are left out until their next buffer.
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT,
      g_param_spec_uint64 ("batch-timeout", "Batch timeout",
          "How long (ns) a batch step waits for a stream with no frame yet; "
          "one that misses it is left out until its next buffer", 0,
          G_MAXUINT64, DEFAULT_BATCH_TIMEOUT,
          flags | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstLstmBatch:nan-policy:
   *
   * What a frame holding NaN or Inf does to its stream: zeros and a reset
   * of that stream's state with one warning per burst (reset), a stream
   * error, or nothing (pass); as lstminfer's.
   */
  g_object_class_install_property (gobject_class, PROP_NAN_POLICY,
      g_param_spec_enum ("nan-policy", "NaN policy",
          "What a frame holding NaN or Inf does to its stream: zeros and a "
          "reset of its state (one warning per burst), an error, or nothing",
          GST_TYPE_LSTM_NAN_POLICY, DEFAULT_NAN_POLICY,
          flags | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstLstmBatch:steps:
   *
   * Batch steps run since the element started; with #GstLstmBatch:frames,
   * the mean batch size.
   */
  g_object_class_install_property (gobject_class, PROP_STEPS,
      g_param_spec_uint64 ("steps", "Steps", "Batch steps run since the "
          "element started", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstLstmBatch:frames:
   *
   * Frames run since the element started, over every stream.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES,
      g_param_spec_uint64 ("frames", "Frames", "Frames run since the "
          "element started, over every stream", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "LSTM batch", "Filter/Analyzer",
      "Runs many frame streams through one LSTM/GRU model in batches, one "
      "recurrent state per stream",
      "gst-lstm developers");
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_lstm_batch_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_lstm_batch_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_lstm_batch_change_state);
  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_NAN_POLICY, 0);
}

static void
gst_lstm_batch_init (GstLstmBatch *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stream_free);
  self->batch_timeout = DEFAULT_BATCH_TIMEOUT;
  self->nan_policy = DEFAULT_NAN_POLICY;
}
