/* GStreamer lstm plugin: lstmfeatures' configuration (its properties to a
 * liblstm extractor), caps negotiation, and the framing of the frames into
 * timestamped buffers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "gstlstmfeatures-private.h"

#define GST_CAT_DEFAULT gst_lstm_features_debug

/* ---- the configuration ---- */

/* A copy of the properties, taken under the object lock. */
typedef struct {
  gchar *model;
  gchar *config;
  GstLstmFeaturesKind kind;
  gboolean kind_set;
  guint sample_rate;
  guint num_mel_bins;
  guint num_ceps;
  gdouble frame_length_ms;
  gdouble frame_shift_ms;
  gdouble low_freq;
  gdouble high_freq;
  guint frames_per_buffer;
  gboolean normalize;
} Settings;

static void
settings_clear (Settings *s)
{
  g_free (s->model);
  g_free (s->config);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Settings, settings_clear)

static void
settings_take (GstLstmFeatures *self, Settings *s)
{
  GST_OBJECT_LOCK (self);
  s->model = g_strdup (self->model_location);
  s->config = g_strdup (self->config);
  s->kind = self->kind;
  s->kind_set = self->kind_set;
  s->sample_rate = self->sample_rate;
  s->num_mel_bins = self->num_mel_bins;
  s->num_ceps = self->num_ceps;
  s->frame_length_ms = self->frame_length_ms;
  s->frame_shift_ms = self->frame_shift_ms;
  s->low_freq = self->low_freq;
  s->high_freq = self->high_freq;
  s->frames_per_buffer = self->frames_per_buffer;
  s->normalize = self->normalize;
  self->settings_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
}

/* A liblstm error as a GStreamer resource error: a file that cannot be
 * read, or settings that do not work. */
static void
set_resource_error (GError **error, GError *lerr)
{
  g_set_error (error, GST_RESOURCE_ERROR,
      g_error_matches (lerr, LSTM_ERROR, LSTM_ERROR_IO) ?
      GST_RESOURCE_ERROR_OPEN_READ : GST_RESOURCE_ERROR_SETTINGS, "%s",
      lerr->message);
}

/* Makes the extractor the settings describe, by liblstm's
 * lstm_features_new_from_options() as `lstm features` does. @error gets a
 * GStreamer resource error. */
static LstmFeatures *
make_features (const Settings *s, GError **error)
{
  static const gchar *const kinds[] = { "fbank", "mfcc", "melspec", "raw" };
  g_autoptr (GError) lerr = NULL;
  g_autoptr (LstmFeatures) f = NULL;
  g_autoptr (LstmModel) model = NULL;
  gboolean have_model = s->model != NULL && *s->model != '\0';
  gboolean have_config = s->config != NULL && *s->config != '\0';
  LstmFeaturesOptions o;

  if (have_model && have_config) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "model=%s gives every feature setting (the features the model "
        "was trained on); unset config", s->model);
    return NULL;
  }
  if (s->normalize && !have_model) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "normalize applies a model's input.mean / input.std: set model");
    return NULL;
  }
  lstm_features_options_init (&o);
  o.source = have_model ? s->model : s->config;
  if (s->kind_set)
    o.kind = kinds[s->kind];
  o.sample_rate = s->sample_rate;
  o.num_mel_bins = s->num_mel_bins;
  o.num_ceps = s->num_ceps;
  o.frame_length_ms = s->frame_length_ms;
  o.frame_shift_ms = s->frame_shift_ms;
  o.low_freq = s->low_freq;
  o.high_freq = s->high_freq;
  f = lstm_features_new_from_options (&o, &model, &lerr);
  if (f == NULL) {
    set_resource_error (error, lerr);
    return NULL;
  }
  if (have_model && model == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "model=%s is not a model file", s->model);
    return NULL;
  }
  if (s->normalize && !lstm_features_set_normalization (f,
          lstm_model_get_input_mean (model),
          lstm_model_get_input_std (model), &lerr)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s: %s", s->model, lerr->message);
    return NULL;
  }
  return g_steal_pointer (&f);
}

static void
info_from_features (FeaturesInfo *info, LstmFeatures *f, guint fpb)
{
  info->rate = lstm_features_get_sample_rate (f);
  info->dim = lstm_features_get_size (f);
  info->shift = lstm_features_get_shift (f);
  info->window = lstm_features_get_window (f);
  info->lookahead = lstm_features_get_latency (f);
  info->channel = lstm_features_get_channel (f);
  info->frames_per_buffer = fpb;
}

/* (Re)makes the extractor if the settings changed; with @lock held.
 * Running, the extractor in use stays. */
gboolean
gst_lstm_features_ensure_features_locked (GstLstmFeatures *self, GError **error)
{
  g_auto (Settings) s = { 0 };
  gboolean changed;
  LstmFeatures *f;

  GST_OBJECT_LOCK (self);
  changed = self->settings_changed;
  GST_OBJECT_UNLOCK (self);
  if (self->started || (self->features != NULL && !changed))
    return self->features != NULL;

  settings_take (self, &s);
  g_clear_pointer (&self->features, lstm_features_free);
  self->have_info = FALSE;
  f = make_features (&s, error);
  if (f == NULL)
    return FALSE;
  if ((guint64) s.frames_per_buffer * lstm_features_get_size (f) *
      sizeof (gfloat) > G_MAXINT) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "frames-per-buffer=%u frames of %u values do not fit in a buffer",
        s.frames_per_buffer, lstm_features_get_size (f));
    lstm_features_free (f);
    return FALSE;
  }
  self->features = f;
  GST_OBJECT_LOCK (self);
  g_free (self->config_json);
  self->config_json = lstm_features_get_config (f);
  GST_OBJECT_UNLOCK (self);
  info_from_features (&self->info, f, s.frames_per_buffer);
  self->have_info = TRUE;
  {
    g_autofree gchar *json = lstm_features_get_config (f);
    GST_INFO_OBJECT (self, "%u values per frame, every %u samples at %u Hz: "
        "%s", self->info.dim, self->info.shift, self->info.rate, json);
  }
  return TRUE;
}

/* What the configuration says, for queries: FALSE when it is unusable
 * (start() reports why). */
gboolean
gst_lstm_features_get_info (GstLstmFeatures *self, FeaturesInfo *info)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = gst_lstm_features_ensure_features_locked (self, NULL) && self->have_info;
  if (ok)
    *info = self->info;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- caps ---- */

/* The frame caps the configuration can produce, tensors first (dimensions
 * in every rank NNStreamer writes); audio only
 * when the frame rate is a whole number. */
static GstCaps *
frames_caps (const FeaturesInfo *info, guint n_frames)
{
  GstLstmFramesInfo fi = { 0 };
  GstCaps *caps;
  guint64 den = (guint64) info->shift * n_frames;
  gint num, d;

  gst_util_fraction_multiply ((gint) info->rate, 1, 1,
      (gint) MIN (den, (guint64) G_MAXINT), &num, &d);
  fi.family = GST_LSTM_FRAMES_TENSORS;
  fi.dim = info->dim;
  fi.frames_per_buffer = n_frames;
  fi.rate_n = num;
  fi.rate_d = d;
  caps = gst_lstm_frames_info_to_caps (&fi);
  if (info->rate % info->shift == 0) {
    fi.family = GST_LSTM_FRAMES_AUDIO;
    fi.frames_per_buffer = 0;
    fi.rate_n = (gint) (info->rate / info->shift);
    fi.rate_d = 1;
    caps = gst_caps_merge (caps, gst_lstm_frames_info_to_caps (&fi));
  }
  return gst_lstm_frames_caps_any_rank (caps);
}

/* The input the configuration takes: its rate, enough channels. */
static GstCaps *
strict_sink_caps (GstLstmFeatures *self, const FeaturesInfo *info)
{
  GstCaps *caps = gst_pad_get_pad_template_caps (self->sinkpad);

  caps = gst_caps_make_writable (caps);
  gst_caps_set_simple (caps, "rate", G_TYPE_INT, (gint) info->rate, NULL);
  if (info->channel >= 0)
    gst_caps_set_simple (caps, "channels", GST_TYPE_INT_RANGE,
        info->channel + 1, G_MAXINT, NULL);
  return caps;
}

/* Input caps: the configuration's rate, so that audioresample converts to
 * it. Offered only other rates (an upstream that cannot resample), any rate
 * is answered, so that the caps arrive and are refused with a message that
 * says to add audioresample, instead of a bare not-negotiated upstream. */
GstCaps *
gst_lstm_features_sink_caps (GstLstmFeatures *self, GstCaps *filter)
{
  GstCaps *tmpl = gst_pad_get_pad_template_caps (self->sinkpad);
  FeaturesInfo info;
  GstCaps *res;

  if (!gst_lstm_features_get_info (self, &info)) {
    res = tmpl;
  } else {
    GstCaps *strict = strict_sink_caps (self, &info);
    if (filter == NULL) {
      /* the configuration's rate first */
      res = gst_caps_merge (strict, tmpl);
    } else if (gst_caps_can_intersect (filter, strict)) {
      res = strict;
      gst_caps_unref (tmpl);
    } else {
      res = tmpl;
      gst_caps_unref (strict);
    }
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  return res;
}

GstCaps *
gst_lstm_features_src_caps (GstLstmFeatures *self, GstCaps *filter)
{
  FeaturesInfo info;
  GstCaps *res;

  if (gst_lstm_features_get_info (self, &info))
    res = frames_caps (&info, MAX (info.frames_per_buffer, 1));
  else
    res = gst_pad_get_pad_template_caps (self->srcpad);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = tmp;
  }
  return res;
}

/* Output buffers come from our pool, of frames_per_buffer frames each
 * (shorter ones resized), with downstream's allocator. */
static gboolean
setup_pool (GstLstmFeatures *self, GstCaps *caps)
{
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstAllocator *allocator = NULL;
  GstAllocationParams params;
  GstStructure *config;
  guint size = self->info.frames_per_buffer * self->info.dim *
      sizeof (gfloat);

  gst_allocation_params_init (&params);
  if (gst_pad_peer_query (self->srcpad, query) &&
      gst_query_get_n_allocation_params (query) > 0)
    gst_query_parse_nth_allocation_param (query, 0, &allocator, &params);
  gst_query_unref (query);

  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  self->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (self->pool);
  gst_buffer_pool_config_set_params (config, caps, size, 0, 0);
  gst_buffer_pool_config_set_allocator (config, allocator, &params);
  if (allocator)
    gst_object_unref (allocator);
  if (!gst_buffer_pool_set_config (self->pool, config) ||
      !gst_buffer_pool_set_active (self->pool, TRUE)) {
    gst_clear_object (&self->pool);
    return FALSE;
  }
  return TRUE;
}

/* Whether a push may have failed because a flushing seek is under way:
 * our source pad or its peer is flushing. Such a refusal is not an error
 * (upstream's FLUSH_STOP restarts the stream, the caps are sent again). */
gboolean
gst_lstm_features_src_flushing (GstLstmFeatures *self)
{
  g_autoptr (GstPad) peer = NULL;

  if (GST_PAD_IS_FLUSHING (self->srcpad))
    return TRUE;
  peer = gst_pad_get_peer (self->srcpad);
  return peer != NULL && GST_PAD_IS_FLUSHING (peer);
}

/* Picks the output family downstream prefers and pushes the caps for full
 * buffers. Streaming thread. */
gboolean
gst_lstm_features_negotiate (GstLstmFeatures *self)
{
  const FeaturesInfo *info = &self->info;
  g_autoptr (GstCaps) candidates = frames_caps (info,
      info->frames_per_buffer);
  g_autoptr (GstCaps) peer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstCaps) current = NULL;
  GstLstmFramesInfo out;

  /* what follows answers any reconfigure request so far */
  gst_pad_check_reconfigure (self->srcpad);
  peer = gst_pad_peer_query_caps (self->srcpad, candidates);
  if (gst_caps_is_empty (peer)) {
    if (info->rate % info->shift != 0)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream does not take other/tensors frames, and %u Hz / %u "
              "samples per frame is not a whole number of frames per second, "
              "which audio/x-raw frames would need.", info->rate,
              info->shift), ("offered: %" GST_PTR_FORMAT, candidates));
    else
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream takes neither other/tensors nor audio/x-raw frames "
              "of %u values.", info->dim),
          ("offered: %" GST_PTR_FORMAT, candidates));
    return FALSE;
  }
  peer = gst_caps_fixate (g_steal_pointer (&peer));
  if (!gst_lstm_frames_info_from_caps (&out, peer, &error)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Could not negotiate output frames: %s", error->message),
        ("caps: %" GST_PTR_FORMAT, peer));
    return FALSE;
  }
  current = gst_pad_get_current_caps (self->srcpad);
  if (self->have_out_caps && current != NULL &&
      gst_caps_is_equal (current, peer) &&
      self->out_info.family == out.family && self->out_info.dim == out.dim)
    return TRUE;
  GST_DEBUG_OBJECT (self, "output caps %" GST_PTR_FORMAT, peer);
  if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (peer))) {
    if (gst_lstm_features_src_flushing (self)) {
      /* negotiated again at the next buffer */
      GST_DEBUG_OBJECT (self, "caps not pushed: flushing");
      gst_pad_mark_reconfigure (self->srcpad);
      return FALSE;
    }
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream refused the frames: %s %u values per frame.",
            gst_lstm_frames_family_name (out.family), out.dim),
        ("caps: %" GST_PTR_FORMAT, peer));
    return FALSE;
  }
  self->out_info = out;
  self->caps_frames = info->frames_per_buffer;
  self->have_out_caps = TRUE;
  if (!setup_pool (self, peer)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not set up a buffer pool for the output."), (NULL));
    return FALSE;
  }
  return TRUE;
}

/* Input caps: audio at the configuration's rate, with enough channels.
 * Upstream retries refused caps with every sticky event; the error is
 * posted once. */
gboolean
gst_lstm_features_set_input_caps (GstLstmFeatures *self, GstCaps *caps)
{
  const FeaturesInfo *info = &self->info;
  g_autofree gchar *problem = NULL;
  GstAudioInfo ai;

  if (!gst_audio_info_from_caps (&ai, caps) ||
      (GST_AUDIO_INFO_FORMAT (&ai) != GST_AUDIO_FORMAT_F32LE &&
          GST_AUDIO_INFO_FORMAT (&ai) != GST_AUDIO_FORMAT_S16LE) ||
      GST_AUDIO_INFO_LAYOUT (&ai) != GST_AUDIO_LAYOUT_INTERLEAVED)
    problem = g_strdup ("lstmfeatures takes interleaved F32LE or S16LE "
        "audio; put audioconvert before it.");
  else if ((guint) GST_AUDIO_INFO_RATE (&ai) != info->rate)
    problem = g_strdup_printf ("The audio is at %d Hz but the features are "
        "computed at %u Hz: put audioresample (and audioconvert) before "
        "lstmfeatures.", GST_AUDIO_INFO_RATE (&ai), info->rate);
  else if (info->channel >= 0 && GST_AUDIO_INFO_CHANNELS (&ai) <=
      info->channel)
    problem = g_strdup_printf ("The audio has %d channel(s) but the "
        "features configuration takes channel %d.",
        GST_AUDIO_INFO_CHANNELS (&ai), info->channel);
  if (problem != NULL) {
    if (!self->caps_refused)
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", problem),
          ("caps: %" GST_PTR_FORMAT, caps));
    else
      GST_DEBUG_OBJECT (self, "%s", problem);
    self->caps_refused = TRUE;
    return FALSE;
  }
  self->caps_refused = FALSE;
  self->in_format = GST_AUDIO_INFO_FORMAT (&ai);
  self->in_channels = (guint) GST_AUDIO_INFO_CHANNELS (&ai);
  self->in_bpf = (guint) GST_AUDIO_INFO_BPF (&ai);
  self->have_in_caps = TRUE;
  GST_INFO_OBJECT (self, "input: %s, %u channel(s) at %u Hz",
      gst_audio_format_to_string (self->in_format), self->in_channels,
      info->rate);
  if (!self->have_out_caps)
    return gst_lstm_features_negotiate (self);
  return TRUE;
}

/* ---- framing and timestamps ---- */

/* The time of sample @s of the current run, not before its first. */
GstClockTime
gst_lstm_features_sample_time (GstLstmFeatures *self, gint64 s)
{
  if (!GST_CLOCK_TIME_IS_VALID (self->base_ts))
    return GST_CLOCK_TIME_NONE;
  return self->base_ts + gst_util_uint64_scale ((guint64) MAX (s, 0),
      GST_SECOND, self->info.rate);
}

/* Forgets the samples and frames of the run: the next sample starts a new
 * one, and the next buffer pushed is DISCONT. */
void
gst_lstm_features_restart_framing (GstLstmFeatures *self)
{
  if (self->features)
    lstm_features_reset (self->features);
  self->run_started = FALSE;
  self->run_frames = 0;
  self->run_samples = 0;
  self->stage_n = 0;
  self->stage_gap = FALSE;
  self->base_ts = GST_CLOCK_TIME_NONE;
  self->discont = TRUE;
}

/* Where the frames of a new stage go: straight into a buffer of our pool,
 * held mapped until it is pushed (and reused if the stage is dropped), or
 * the heap stage before there is a pool. Called when stage_n is 0. */
gfloat *
gst_lstm_features_stage_begin (GstLstmFeatures *self)
{
  const gsize need = (gsize) self->info.frames_per_buffer * self->info.dim *
      sizeof (gfloat);

  if (self->out_buf != NULL && self->out_map.size < need)
    gst_lstm_features_release_out (self);
  if (self->out_buf == NULL && self->pool != NULL &&
      gst_buffer_pool_acquire_buffer (self->pool, &self->out_buf, NULL) ==
      GST_FLOW_OK) {
    if (!gst_buffer_map (self->out_buf, &self->out_map, GST_MAP_WRITE))
      gst_clear_buffer (&self->out_buf);
    else if (self->out_map.size < need)
      gst_lstm_features_release_out (self);
  }
  self->stage_dst = self->out_buf != NULL ? (gfloat *) self->out_map.data :
      self->stage;
  return self->stage_dst;
}

/* Drops the pooled buffer held for staging, if any. */
void
gst_lstm_features_release_out (GstLstmFeatures *self)
{
  if (self->out_buf == NULL)
    return;
  gst_buffer_unmap (self->out_buf, &self->out_map);
  gst_clear_buffer (&self->out_buf);
  if (self->stage_dst != self->stage)
    self->stage_dst = NULL;
}

/* Pushes the staged frames as one buffer; a short tensors buffer is padded
 * and marked (pad-buffers), or announced by caps with its frame count. */
GstFlowReturn
gst_lstm_features_push_stage (GstLstmFeatures *self)
{
  const guint k = self->stage_n;
  const guint dim = self->info.dim;
  GstBuffer *buf = NULL;
  GstFlowReturn ret;
  GstClockTime start, end;
  gboolean pad;

  if (k == 0)
    return GST_FLOW_OK;
  self->stage_n = 0;
  GST_OBJECT_LOCK (self);
  pad = self->pad_buffers;
  GST_OBJECT_UNLOCK (self);

  if (gst_pad_check_reconfigure (self->srcpad) && !gst_lstm_features_negotiate (self)) {
    gst_pad_mark_reconfigure (self->srcpad);
    return GST_PAD_IS_FLUSHING (self->srcpad) ? GST_FLOW_FLUSHING :
        GST_FLOW_NOT_NEGOTIATED;
  }
  pad = pad && self->out_info.family == GST_LSTM_FRAMES_TENSORS &&
      k < self->info.frames_per_buffer;
  if (self->out_info.family == GST_LSTM_FRAMES_TENSORS && !pad &&
      k != self->caps_frames) {
    GstLstmFramesInfo fi = self->out_info;
    g_autoptr (GstCaps) caps = NULL;

    fi.frames_per_buffer = k;
    gst_util_fraction_multiply ((gint) self->info.rate, 1, 1,
        (gint) MIN ((guint64) self->info.shift * k, (guint64) G_MAXINT),
        &fi.rate_n, &fi.rate_d);
    caps = gst_lstm_frames_info_to_caps (&fi);
    GST_DEBUG_OBJECT (self, "a buffer of %u frames: %" GST_PTR_FORMAT, k,
        caps);
    if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (caps))) {
      if (gst_lstm_features_src_flushing (self)) {
        /* the caps may be stored and not sent: send them again next time */
        GST_DEBUG_OBJECT (self, "%u frames dropped: flushing", k);
        self->caps_frames = 0;
        return GST_FLOW_FLUSHING;
      }
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("Downstream refused frames %u:%u.", dim, k), (NULL));
      return GST_FLOW_NOT_NEGOTIATED;
    }
    self->caps_frames = k;
  }

  if (self->out_buf != NULL && self->stage_dst ==
      (gfloat *) self->out_map.data) {
    /* the frames were written straight into this buffer */
    gst_buffer_unmap (self->out_buf, &self->out_map);
    buf = g_steal_pointer (&self->out_buf);
    self->stage_dst = NULL;
  } else {
    ret = gst_buffer_pool_acquire_buffer (self->pool, &buf, NULL);
    if (ret != GST_FLOW_OK)
      return ret;
    gst_buffer_fill (buf, 0, self->stage, (gsize) k * dim * sizeof (gfloat));
  }
  if (pad) {
    /* zeros up to the caps' frame count, the real ones marked */
    const guint n = self->info.frames_per_buffer;
    gst_buffer_memset (buf, (gsize) k * dim * sizeof (gfloat), 0,
        (gsize) (n - k) * dim * sizeof (gfloat));
    gst_buffer_set_size (buf, (gssize) ((gsize) n * dim * sizeof (gfloat)));
    gst_buffer_mark_lstm_padding (buf, k);
  } else {
    gst_buffer_set_size (buf, (gssize) ((gsize) k * dim * sizeof (gfloat)));
  }

  if (self->stage_gap) {
    /* the frame of zeros standing for non-finite samples */
    start = self->gap_ts;
    end = GST_CLOCK_TIME_IS_VALID (start) ? start +
        gst_util_uint64_scale (self->info.shift, GST_SECOND,
        self->info.rate) : GST_CLOCK_TIME_NONE;
    self->stage_gap = FALSE;
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP | GST_BUFFER_FLAG_DISCONT);
  } else {
    start = gst_lstm_features_sample_time (self, lstm_features_get_frame_start
        (self->features, self->stage_first));
    end = gst_lstm_features_sample_time (self, lstm_features_get_frame_start (self->features,
            self->stage_first + k - 1) + self->info.shift);
  }
  GST_BUFFER_PTS (buf) = start;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_IS_VALID (start) ?
      end - start : GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = self->out_offset;
  GST_BUFFER_OFFSET_END (buf) = self->out_offset + k;
  self->out_offset += k;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  GST_LOG_OBJECT (self, "%u frames at %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT, k, GST_TIME_ARGS (start),
      GST_TIME_ARGS (GST_BUFFER_DURATION (buf)));
  return gst_pad_push (self->srcpad, buf);
}

/* Stages @n frames made by the extractor, pushing each full buffer. */
GstFlowReturn
gst_lstm_features_add_frames (GstLstmFeatures *self, const gfloat *frames, gsize n)
{
  const guint dim = self->info.dim;
  const guint fpb = self->info.frames_per_buffer;
  GstFlowReturn ret = GST_FLOW_OK;
  gsize done = 0;

  while (done < n) {
    gsize m = MIN (n - done, (gsize) (fpb - self->stage_n));

    if (self->stage_n == 0) {
      self->stage_first = self->run_frames;
      gst_lstm_features_stage_begin (self);
    }
    memcpy (self->stage_dst + (gsize) self->stage_n * dim,
        frames + done * dim, m * dim * sizeof (gfloat));
    self->stage_n += (guint) m;
    self->run_frames += m;
    done += m;
    if (self->stage_n == fpb && (ret = gst_lstm_features_push_stage (self)) != GST_FLOW_OK)
      break;
  }
  return ret;
}

/* The end of a run (EOS, DISCONT, GAP, a new segment or stream): the frames
 * waiting for look-ahead, then the staged ones, even if fewer than a
 * buffer; the extractor is reset. */
GstFlowReturn
gst_lstm_features_drain (GstLstmFeatures *self)
{
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->features == NULL)
    return GST_FLOW_OK;
  if (self->run_started) {
    gsize n = lstm_features_flush (self->features, self->frames);
    GST_DEBUG_OBJECT (self, "drained %" G_GSIZE_FORMAT " frames", n);
    ret = gst_lstm_features_add_frames (self, self->frames, n);
  }
  if (ret == GST_FLOW_OK)
    ret = gst_lstm_features_push_stage (self);
  gst_lstm_features_restart_framing (self);
  return ret;
}

/* The input as aligned samples: the mapped memory, or a copy of it when a
 * parser handed over a buffer at an odd address. */
const guint8 *
gst_lstm_features_aligned_input (GstLstmFeatures *self, const GstMapInfo *map)
{
  const gsize align = self->in_format == GST_AUDIO_FORMAT_F32LE ?
      G_ALIGNOF (gfloat) : G_ALIGNOF (gint16);

  if (((guintptr) map->data) % align == 0)
    return map->data;
  if (self->in_copy_size < map->size) {
    g_free (self->in_copy);
    self->in_copy = g_malloc (map->size);
    self->in_copy_size = map->size;
  }
  memcpy (self->in_copy, map->data, map->size);
  return self->in_copy;
}
