/* lstmfeatures through GstHarness and small pipelines: both output caps
 * families, refused input, timestamps, frames per buffer, restarts
 * (DISCONT, GAP, segments, flushes), latency, configurations and models,
 * and the bytes against liblstm and `lstm features`.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>

#include <gst/check/gstharness.h>

#include "gst-test-util.h"
#include "gstlstmmeta.h"

#define RATE 16000
#define TIMEOUT (60 * GST_SECOND)

/* the configurations of the tests: every kind, look-ahead of every sort */
#define FBANK "{\"kind\":\"fbank\",\"num_mel_bins\":23}"
#define MFCC_DELTAS "{\"kind\":\"mfcc\",\"deltas\":2,\"use_energy\":true}"
#define MELSPEC_CENTER "{\"kind\":\"melspec\",\"n_fft\":400," \
  "\"hop_length\":160,\"n_mels\":40,\"log\":\"natural\",\"log_floor\":1e-6}"
#define RAW "{\"kind\":\"raw\",\"win_length\":256,\"hop_length\":200}"

static const gchar *const all_configs[] = { FBANK, MFCC_DELTAS,
  MELSPEC_CENTER, RAW
};

#define MODEL_FEATURES "{\"kind\":\"fbank\",\"num_mel_bins\":16}"
#define MODEL_ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":16," \
  "\"hidden_size\":8},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":3,\"activation\":\"softmax\"}]"

static const gchar *const model_labels[] = { "a", "b", "c", NULL };
static gchar *model_path, *model_norm_path, *model_plain_path;
static float model_mean[16], model_std[16];

/* ---- reference data ---- */

/* A chirp with a little noise, in [-0.35, 0.35]. */
static float *
make_signal (gsize n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, MAX (n, 1));
  gsize i;

  for (i = 0; i < n; i++) {
    double t = (double) i / RATE;
    x[i] = (float) (0.3 * sin (2 * G_PI * (150 + 1200 * t) * t) +
        0.02 * g_rand_double_range (r, -1, 1));
  }
  g_rand_free (r);
  return x;
}

static gint16 *
to_s16 (const float *x, gsize n)
{
  gint16 *s = g_new (gint16, MAX (n, 1));
  gsize i;

  for (i = 0; i < n; i++)
    s[i] = (gint16) lrintf (CLAMP (x[i], -1.0f, 32767.0f / 32768.0f) *
        32768.0f);
  return s;
}

static LstmFeatures *
features_new (const gchar *config)
{
  g_autoptr (GError) error = NULL;
  LstmFeatures *f = lstm_features_new (config, &error);

  g_assert_no_error (error);
  return f;
}

/* The library's frames for a whole signal (interleaved), flush included. */
static float *
library_frames (const gchar *config, const void *x, LstmSampleFormat fmt,
    guint channels, gsize n, gsize *n_frames)
{
  g_autoptr (LstmFeatures) f = features_new (config);
  guint dim = lstm_features_get_size (f);
  float *out = g_new (float, (lstm_features_max_frames (f, n) +
          lstm_features_max_flush_frames (f)) * dim);
  gsize got;

  got = lstm_features_process_interleaved (f, x, fmt, channels, n, out);
  got += lstm_features_flush (f, out + got * dim);
  *n_frames = got;
  return out;
}

/* Expected time of sample @s of a run starting at @base. */
static GstClockTime
sample_time (GstClockTime base, gint64 s)
{
  return base + gst_util_uint64_scale ((guint64) MAX (s, 0), GST_SECOND,
      RATE);
}

/* ---- harness helpers ---- */

/* An lstmfeatures harness with properties set before it starts, its bus
 * in @bus when asked. */
static GstHarness *
harness_new (GstBus **bus, const gchar *first_prop, ...)
{
  GstElement *e = gst_element_factory_make ("lstmfeatures", NULL);
  GstHarness *h;
  va_list ap;

  g_assert_nonnull (e);
  if (bus) {
    *bus = gst_bus_new ();
    gst_element_set_bus (e, *bus);
  }
  va_start (ap, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, ap);
  va_end (ap);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static void
harness_teardown (GstHarness *h, GstBus *bus)
{
  if (bus) {
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
  }
  gst_harness_teardown (h);
}

static gchar *
audio_caps (const gchar *format, guint rate, guint channels)
{
  return g_strdup_printf ("audio/x-raw,format=%s,layout=interleaved,"
      "rate=%u,channels=%u%s", format, rate, channels,
      channels > 1 ? ",channel-mask=(bitmask)0" : "");
}

static GstBuffer *
audio_buffer (const void *data, gsize bytes, GstClockTime pts,
    GstClockTime dur)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, MAX (bytes, 1));

  gst_buffer_set_size (buf, (gssize) bytes);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = dur;
  return buf;
}

/* Pushes samples [@from, @to) of @x (mono float) in blocks of the
 * given sizes (cycled), each with its timestamp from the sample count
 * after @base; the first gets @flags. */
static void
push_mono (GstHarness *h, const float *x, gsize from, gsize to,
    GstClockTime base, const gsize *sizes, guint n_sizes, guint flags)
{
  gsize pos = from;
  guint k = 0;

  while (pos < to) {
    gsize m = MIN (sizes[k++ % n_sizes], to - pos);
    GstBuffer *buf = audio_buffer (x + pos, m * sizeof (float),
        sample_time (base, (gint64) (pos - from)),
        sample_time (base, (gint64) (pos - from + m)) -
        sample_time (base, (gint64) (pos - from)));
    if (pos == from)
      GST_BUFFER_FLAG_SET (buf, flags);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    pos += m;
  }
}

/* Every buffer the harness holds. */
static GPtrArray *
pull_all (GstHarness *h)
{
  GPtrArray *bufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)) != NULL)
    g_ptr_array_add (bufs, buf);
  return bufs;
}

/* The real frames of @b: all, or those a GstLstmPadding meta says. */
static gsize
real_frames (GstBuffer *b, guint dim)
{
  gsize size = gst_buffer_get_size (b);

  g_assert_cmpuint (size % (dim * sizeof (float)), ==, 0);
  return gst_buffer_get_lstm_valid_frames (b,
      (guint) (size / (dim * sizeof (float))));
}

/* Real frames in buffers [@first, @last), concatenated; their count. */
static float *
concat_frames (GPtrArray *bufs, guint first, guint last, guint dim,
    gsize *n_frames)
{
  gsize total = 0, at = 0;
  float *out;
  guint i;

  for (i = first; i < last; i++)
    total += real_frames (bufs->pdata[i], dim) * dim * sizeof (float);
  out = g_malloc (MAX (total, 1));
  for (i = first; i < last; i++) {
    gsize s = real_frames (bufs->pdata[i], dim) * dim * sizeof (float);
    gst_buffer_extract (bufs->pdata[i], 0, (guint8 *) out + at, s);
    at += s;
  }
  *n_frames = total / (dim * sizeof (float));
  return out;
}

static void
assert_frames_equal (const float *got, gsize n_got, const float *expect,
    gsize n_expect, guint dim)
{
  gsize i;

  g_assert_cmpuint (n_got, ==, n_expect);
  if (memcmp (got, expect, n_got * dim * sizeof (float)) == 0)
    return;
  for (i = 0; i < n_got * dim; i++)
    if (memcmp (&got[i], &expect[i], sizeof (float)) != 0)
      g_error ("frame %" G_GSIZE_FORMAT " value %" G_GSIZE_FORMAT ": got "
          "%.9g, expected %.9g", i / dim, i % dim, got[i], expect[i]);
}

/* The frames of buffers [@first, @last) are one run starting at @base:
 * each buffer's PTS is its first frame's window start (clamped to the
 * run's first sample), its duration reaches the end of its last frame's
 * shift, buffers are contiguous, and the run's first buffer (only) is
 * DISCONT. Returns the frame count. */
static gsize
check_run_times (GPtrArray *bufs, guint first, guint last, guint dim,
    LstmFeatures *f, GstClockTime base, guint64 *offset)
{
  const guint shift = lstm_features_get_shift (f);
  gsize frame = 0;
  guint i;

  for (i = first; i < last; i++) {
    GstBuffer *b = bufs->pdata[i];
    gsize k = real_frames (b, dim);
    GstClockTime start = sample_time (base,
        lstm_features_get_frame_start (f, frame));
    GstClockTime end = sample_time (base,
        lstm_features_get_frame_start (f, frame + k - 1) + shift);

    g_assert_cmpuint (k, >, 0);
    g_assert_cmpuint (GST_BUFFER_PTS (b), ==, start);
    g_assert_cmpuint (GST_BUFFER_DURATION (b), ==, end - start);
    if (i > first)
      g_assert_cmpuint (GST_BUFFER_PTS (bufs->pdata[i - 1]) +
          GST_BUFFER_DURATION (bufs->pdata[i - 1]), ==, start);
    g_assert_cmpint (GST_BUFFER_IS_DISCONT (b), ==, i == first);
    if (offset) {
      g_assert_cmpuint (GST_BUFFER_OFFSET (b), ==, *offset);
      g_assert_cmpuint (GST_BUFFER_OFFSET_END (b), ==, *offset + k);
      *offset += k;
    }
    frame += k;
  }
  return frame;
}

/* What the element pushes downstream, in order: "caps D:N", "caps audio
 * C@R", "buffer K", "gap", "segment", "eos", "flush-stop". */
static GstPadProbeReturn
log_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GPtrArray *log = data;

  (void) pad;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
    GstCaps *caps = gst_pad_get_current_caps (pad);
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    gint dim = 1;
    if (gst_structure_has_name (s, "audio/x-raw"))
      gst_structure_get_int (s, "channels", &dim);
    else
      dim = atoi (gst_structure_get_string (s, "dimensions"));
    g_ptr_array_add (log, g_strdup_printf ("buffer %" G_GSIZE_FORMAT,
            gst_buffer_get_size (b) / (dim * sizeof (float))));
    gst_caps_unref (caps);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
    switch (GST_EVENT_TYPE (e)) {
      case GST_EVENT_CAPS:{
        GstCaps *caps;
        const GstStructure *s;
        gst_event_parse_caps (e, &caps);
        s = gst_caps_get_structure (caps, 0);
        if (gst_structure_has_name (s, "audio/x-raw")) {
          gint c = 0, r = 0;
          gst_structure_get_int (s, "channels", &c);
          gst_structure_get_int (s, "rate", &r);
          g_ptr_array_add (log, g_strdup_printf ("caps audio %d@%d", c, r));
        } else {
          gint n = 0, d = 0;
          gst_structure_get_fraction (s, "framerate", &n, &d);
          g_ptr_array_add (log, g_strdup_printf ("caps %s %d/%d",
                  gst_structure_get_string (s, "dimensions"), n, d));
        }
        break;
      }
      case GST_EVENT_GAP:
        g_ptr_array_add (log, g_strdup ("gap"));
        break;
      case GST_EVENT_SEGMENT:
        g_ptr_array_add (log, g_strdup ("segment"));
        break;
      case GST_EVENT_EOS:
        g_ptr_array_add (log, g_strdup ("eos"));
        break;
      case GST_EVENT_FLUSH_STOP:
        g_ptr_array_add (log, g_strdup ("flush-stop"));
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

static GPtrArray *
add_log_probe (GstHarness *h)
{
  GPtrArray *log = g_ptr_array_new_with_free_func (g_free);
  GstPad *pad = gst_element_get_static_pad (h->element, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      log_probe, log, NULL);
  gst_object_unref (pad);
  return log;
}

/* Asserts @log equals the NULL-terminated @expect. */
static void
assert_log (GPtrArray *log, const gchar *const *expect)
{
  g_autofree gchar *got = NULL, *want = NULL;

  g_ptr_array_add (log, NULL);
  got = g_strjoinv (", ", (gchar **) log->pdata);
  g_ptr_array_remove_index (log, log->len - 1);
  want = g_strjoinv (", ", (gchar **) expect);
  g_assert_cmpstr (got, ==, want);
}

static void
want_add (GPtrArray *want, const gchar *line)
{
  g_ptr_array_add (want, (gpointer) line);
}

static void
push_eos (GstHarness *h)
{
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
}

/* ---- tool and pipeline helpers ---- */


/* Runs `lstm ARGS...`; fails the test if it fails. */
static void
run_tool (const gchar *const *args)
{
  g_free (tu_tool_output (args));
}

/* Runs @pipeline to EOS: TRUE; or to an ERROR: FALSE, the first error
 * message in @error_msg. */
static gboolean
run_to_eos (GstElement *pipeline, GstMessage **error_msg)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL)
    g_error ("the pipeline did not finish within %" GST_TIME_FORMAT,
        GST_TIME_ARGS (TIMEOUT));
  ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!ok && error_msg)
    *error_msg = gst_message_ref (msg);
  gst_message_unref (msg);
  gst_object_unref (bus);
  return ok;
}

/* A WAV file of IEEE float samples (libsndfile and wavparse read it). */
static void
write_wav_f32 (const gchar *path, const float *x, gsize n_frames,
    guint channels)
{
  const guint32 data_bytes = (guint32) (n_frames * channels * 4);
  guint8 hdr[44];
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint32 v32;
  guint16 v16;

#define PUT32(off, v) (v32 = GUINT32_TO_LE (v), memcpy (hdr + (off), &v32, 4))
#define PUT16(off, v) (v16 = GUINT16_TO_LE (v), memcpy (hdr + (off), &v16, 2))
  memcpy (hdr, "RIFF", 4);
  PUT32 (4, 36 + data_bytes);
  memcpy (hdr + 8, "WAVEfmt ", 8);
  PUT32 (16, 16);
  PUT16 (20, 3);                /* WAVE_FORMAT_IEEE_FLOAT */
  PUT16 (22, channels);
  PUT32 (24, RATE);
  PUT32 (28, RATE * channels * 4);
  PUT16 (32, channels * 4);
  PUT16 (34, 32);
  memcpy (hdr + 36, "data", 4);
  PUT32 (40, data_bytes);
#undef PUT32
#undef PUT16
  g_byte_array_append (bytes, hdr, sizeof hdr);
  g_byte_array_append (bytes, (const guint8 *) x, data_bytes);
  g_assert_true (g_file_set_contents (path, (const gchar *) bytes->data,
          bytes->len, NULL));
}

static gchar *
data_path (const gchar *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* ---- tests ---- */

static void
test_properties (void)
{
  GstElement *e = gst_element_factory_make ("lstmfeatures", NULL);
  g_autofree gchar *model = NULL, *config = NULL;
  guint rate, bins, ceps, fpb;
  gdouble len, shift, low, high;
  gboolean normalize;
  gint kind;

  g_assert_nonnull (e);
  g_object_get (e, "model", &model, "config", &config, "kind", &kind,
      "sample-rate", &rate, "num-mel-bins", &bins, "num-ceps", &ceps,
      "frame-length-ms", &len, "frame-shift-ms", &shift, "low-freq", &low,
      "high-freq", &high, "frames-per-buffer", &fpb, "normalize", &normalize,
      NULL);
  g_assert_null (model);
  g_assert_null (config);
  g_assert_cmpint (kind, ==, 0);
  g_assert_cmpuint (rate, ==, 0);
  g_assert_cmpuint (bins, ==, 0);
  g_assert_cmpuint (ceps, ==, 0);
  g_assert_cmpfloat (len, ==, 0.0);
  g_assert_cmpfloat (shift, ==, 0.0);
  g_assert_cmpfloat (low, ==, -1.0);
  g_assert_cmpfloat (high, ==, 0.0);
  g_assert_cmpuint (fpb, ==, 1);
  g_assert_false (normalize);

  gst_util_set_object_arg (G_OBJECT (e), "kind", "melspec");
  g_object_set (e, "num-mel-bins", 64, "frames-per-buffer", 10,
      "high-freq", 7600.0, "config", "{\"kind\":\"melspec\"}", NULL);
  g_object_get (e, "kind", &kind, "num-mel-bins", &bins,
      "frames-per-buffer", &fpb, "high-freq", &high, NULL);
  g_assert_cmpint (kind, ==, 2);
  g_assert_cmpuint (bins, ==, 64);
  g_assert_cmpuint (fpb, ==, 10);
  g_assert_cmpfloat (high, ==, 7600.0);
  gst_object_unref (e);
}

/* Default settings: Kaldi fbank, 23 bins at 16 kHz, as tensors 23:1 at
 * 100 frames per second; the frames are the library's. */
static void
test_caps_tensors (void)
{
  GstHarness *h = harness_new (NULL, NULL);
  g_autofree gchar *caps_str = audio_caps ("S16LE", RATE, 1);
  g_autofree float *x = make_signal (RATE, 1);
  g_autofree gint16 *s = to_s16 (x, RATE);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (GstCaps) caps = NULL;
  const GstStructure *st;
  gsize n_ref, n_got;
  gint num = 0, den = 0, nt = 0;

  gst_harness_set_src_caps_str (h, caps_str);
  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_nonnull (caps);
  st = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (st, "other/tensors"));
  g_assert_cmpstr (gst_structure_get_string (st, "dimensions"), ==, "23:1");
  g_assert_cmpstr (gst_structure_get_string (st, "types"), ==, "float32");
  g_assert_cmpstr (gst_structure_get_string (st, "format"), ==, "static");
  g_assert_true (gst_structure_get_int (st, "num_tensors", &nt));
  g_assert_cmpint (nt, ==, 1);
  g_assert_true (gst_structure_get_fraction (st, "framerate", &num, &den));
  g_assert_cmpint (num, ==, 100);
  g_assert_cmpint (den, ==, 1);

  g_assert_cmpint (gst_harness_push (h, audio_buffer (s, RATE * 2, 0,
              GST_SECOND)), ==, GST_FLOW_OK);
  push_eos (h);
  bufs = pull_all (h);
  /* (16000 - 400) / 160 + 1 frames, one per buffer */
  g_assert_cmpuint (bufs->len, ==, 98);
  got = concat_frames (bufs, 0, bufs->len, 23, &n_got);
  ref = library_frames (FBANK, s, LSTM_SAMPLE_S16, 1, RATE, &n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, 23);
  harness_teardown (h, NULL);
}

/* Downstream that takes audio/x-raw only: frames as samples, 100 per second,
 * buffers of frames-per-buffer frames, no caps event for the short one. */
static void
test_caps_audio (void)
{
  GstHarness *h = harness_new (NULL, "config", FBANK, "frames-per-buffer",
      4, NULL);
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (RATE, 2);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL, log = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstCaps) expect = gst_caps_from_string ("audio/x-raw,"
      "format=F32LE,layout=interleaved,channels=23,rate=100,"
      "channel-mask=(bitmask)0");
  GPtrArray *want = g_ptr_array_new ();
  gsize n_ref, n_got;
  guint i;

  gst_harness_set_sink_caps_str (h, "audio/x-raw");
  log = add_log_probe (h);
  gst_harness_set_src_caps_str (h, caps_str);
  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_true (gst_caps_is_equal (caps, expect));
  g_assert_cmpint (gst_harness_push (h, audio_buffer (x, RATE * 4, 0,
              GST_SECOND)), ==, GST_FLOW_OK);
  push_eos (h);
  bufs = pull_all (h);
  /* 98 frames: 24 buffers of 4, then 2 */
  g_assert_cmpuint (bufs->len, ==, 25);
  want_add (want, "caps audio 23@100");
  want_add (want, "segment");
  for (i = 0; i < 24; i++)
    want_add (want, "buffer 4");
  want_add (want, "buffer 2");
  want_add (want, "eos");
  want_add (want, NULL);
  assert_log (log, (const gchar * const *) want->pdata);
  g_ptr_array_free (want, TRUE);
  got = concat_frames (bufs, 0, bufs->len, 23, &n_got);
  ref = library_frames (FBANK, x, LSTM_SAMPLE_F32, 1, RATE, &n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, 23);
  {
    g_autoptr (LstmFeatures) f = features_new (FBANK);
    check_run_times (bufs, 0, bufs->len, 23, f, 0, NULL);
  }
  harness_teardown (h, NULL);
}

/* Caps the element refuses: (sticky, they stay pending upstream) the next
 * buffer is not negotiated. */
static void
push_refused_caps (GstHarness *h, const gchar *caps_str)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_str);
  float zeros[64] = { 0 };
  GstSegment seg;

  gst_harness_push_event (h, gst_event_new_caps (caps));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  g_assert_cmpint (gst_harness_push (h, audio_buffer (zeros, sizeof zeros,
              0, GST_CLOCK_TIME_NONE)), ==, GST_FLOW_NOT_NEGOTIATED);
}

/* 15 ms frames at 16 kHz are 200/3 per second: tensors say so; audio
 * frames cannot, and a downstream taking only those gets an error saying
 * why. */
static void
test_caps_non_integer_rate (void)
{
  const gchar *cfg = "{\"kind\":\"fbank\",\"frame_shift\":15}";
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GError) gerr = NULL;
  g_autofree gchar *dbg = NULL;
  GstBus *bus = NULL;
  GstHarness *h;
  GstMessage *msg;
  gint num = 0, den = 0;

  h = harness_new (NULL, "config", cfg, NULL);
  gst_harness_set_src_caps_str (h, caps_str);
  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_true (gst_structure_get_fraction (gst_caps_get_structure (caps,
              0), "framerate", &num, &den));
  g_assert_cmpint (num, ==, 200);
  g_assert_cmpint (den, ==, 3);
  harness_teardown (h, NULL);

  h = harness_new (&bus, "config", cfg, NULL);
  gst_harness_set_sink_caps_str (h, "audio/x-raw");
  push_refused_caps (h, caps_str);
  msg = tu_pop_message (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &gerr, &dbg);
  g_assert_error (gerr, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
  g_assert_nonnull (strstr (gerr->message, "whole number"));
  gst_message_unref (msg);
  harness_teardown (h, bus);
}

static void
assert_refused (GstHarness *h, GstBus *bus, const gchar *caps_str,
    const gchar *const *needles)
{
  g_autoptr (GError) gerr = NULL;
  g_autofree gchar *dbg = NULL;
  GstMessage *msg;

  push_refused_caps (h, caps_str);
  msg = tu_pop_message (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_true (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
  gst_message_parse_error (msg, &gerr, &dbg);
  g_assert_error (gerr, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
  for (; *needles; needles++)
    if (strstr (gerr->message, *needles) == NULL)
      g_error ("'%s' is not in the error '%s'", *needles, gerr->message);
  gst_message_unref (msg);
}

/* Audio at another rate is refused with an error that names both rates
 * and says to add audioresample (once, however often upstream retries).
 * The caps query offers the configuration's rate, and any rate only to an
 * upstream that offers no other. */
static void
test_caps_wrong_rate (void)
{
  static const gchar *const rate_words[] = { "44100 Hz", "16000 Hz",
    "audioresample", NULL
  };
  static const gchar *const channel_words[] = { "2 channel(s)",
    "channel 2", NULL
  };
  g_autofree gchar *c44 = audio_caps ("S16LE", 44100, 1);
  g_autofree gchar *c2 = audio_caps ("F32LE", RATE, 2);
  GstBus *bus = NULL;
  GstHarness *h = harness_new (&bus, "config", FBANK, NULL);
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GstCaps *caps, *filter;
  gint rate = 0;
  guint i;

  /* the query */
  caps = gst_pad_query_caps (sink, NULL);
  g_assert_true (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "rate", &rate));
  g_assert_cmpint (rate, ==, RATE);
  gst_caps_unref (caps);
  filter = gst_caps_from_string ("audio/x-raw,rate=[8000,48000]");
  caps = gst_pad_query_caps (sink, filter);
  g_assert_false (gst_caps_is_empty (caps));
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    g_assert_true (gst_structure_get_int (gst_caps_get_structure (caps, i),
            "rate", &rate));
    g_assert_cmpint (rate, ==, RATE);
  }
  gst_caps_unref (caps);
  gst_caps_unref (filter);
  filter = gst_caps_from_string (c44);
  caps = gst_pad_query_caps (sink, filter);
  g_assert_false (gst_caps_is_empty (caps));
  g_assert_true (gst_pad_query_accept_caps (sink, filter));
  gst_caps_unref (caps);
  gst_caps_unref (filter);

  /* the caps */
  assert_refused (h, bus, c44, rate_words);
  push_refused_caps (h, c44);
  g_assert_null (tu_pop_message (bus, GST_MESSAGE_ERROR));
  gst_object_unref (sink);
  harness_teardown (h, bus);

  h = harness_new (&bus, "config", "{\"kind\":\"fbank\",\"channel\":2}",
      NULL);
  assert_refused (h, bus, c2, channel_words);
  harness_teardown (h, bus);
}

/* The same in pipelines: without audioresample the first error is
 * lstmfeatures' own; with it, the audio is resampled to the
 * configuration's rate. */
static void
test_pipeline_resample (void)
{
  static const gchar *const descs[] = {
    "audiotestsrc num-buffers=4 ! audio/x-raw,rate=44100 ! lstmfeatures "
        "name=f ! fakesink",
    "audiotestsrc num-buffers=4 ! audio/x-raw,rate=44100 ! audioconvert ! "
        "lstmfeatures name=f ! fakesink",
    "audiotestsrc num-buffers=4 ! audio/x-raw,rate=44100 ! audioconvert ! "
        "audioresample ! lstmfeatures name=f ! fakesink",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (descs); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GstElement) pipeline = gst_parse_launch (descs[i], &error);
    g_autoptr (GstElement) f = NULL;
    g_autoptr (GstPad) pad = NULL;
    GstMessage *msg = NULL;

    g_assert_no_error (error);
    f = gst_bin_get_by_name (GST_BIN (pipeline), "f");
    pad = gst_element_get_static_pad (f, "sink");
    if (i < 2) {
      g_autoptr (GError) gerr = NULL;
      g_autofree gchar *dbg = NULL;
      g_assert_false (run_to_eos (pipeline, &msg));
      g_assert_true (GST_MESSAGE_SRC (msg) == GST_OBJECT (f));
      gst_message_parse_error (msg, &gerr, &dbg);
      g_assert_nonnull (strstr (gerr->message, "audioresample"));
      gst_message_unref (msg);
    } else {
      g_autoptr (GstCaps) caps = NULL;
      gint rate = 0;
      g_assert_true (run_to_eos (pipeline, NULL));
      caps = gst_pad_get_current_caps (pad);
      g_assert_true (gst_structure_get_int (gst_caps_get_structure (caps,
                  0), "rate", &rate));
      g_assert_cmpint (rate, ==, RATE);
    }
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
}

/* Input in odd block sizes, later buffers with jittered timestamps and no
 * DISCONT: the frames are the library's, their times come from sample
 * counts (window start, clamped to the first sample; duration the shift),
 * contiguous, offsets counting frames. */
static void
test_timestamps (gconstpointer data)
{
  const gchar *cfg = data;
  const gsize n = 3 * RATE + 1234;
  static const gsize sizes[] = { 1, 7, 13, 160, 399, 1000, 4321, 2 };
  const GstClockTime base = GST_SECOND;
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 3);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (LstmFeatures) f = features_new (cfg);
  const guint dim = lstm_features_get_size (f);
  GstHarness *h = harness_new (NULL, "config", cfg, NULL);
  gsize pos = 0, n_ref, n_got, n_frames;
  guint64 offset = 0;
  guint k = 0;

  gst_harness_set_src_caps_str (h, caps_str);
  while (pos < n) {
    gsize m = MIN (sizes[k % G_N_ELEMENTS (sizes)], n - pos);
    GstClockTime pts = sample_time (base, (gint64) pos);
    GstBuffer *buf;
    if (k % 3 == 2)
      pts += 3 * GST_MSECOND;   /* jitter: ignored, no DISCONT */
    buf = audio_buffer (x + pos, m * sizeof (float), pts,
        gst_util_uint64_scale (m, GST_SECOND, RATE));
    if (k == 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    pos += m;
    k++;
  }
  push_eos (h);
  bufs = pull_all (h);
  n_frames = check_run_times (bufs, 0, bufs->len, dim, f, base, &offset);
  got = concat_frames (bufs, 0, bufs->len, dim, &n_got);
  ref = library_frames (cfg, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  g_assert_cmpuint (n_frames, ==, n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, dim);
  g_test_message ("%u input buffers, %u output buffers, %" G_GSIZE_FORMAT
      " frames of %u", k, bufs->len, n_frames, dim);
  harness_teardown (h, NULL);
}

/* Untimestamped input: times from the segment's start and sample counts. */
static void
test_no_timestamps (void)
{
  const gsize n = RATE / 2;
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 4);
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (LstmFeatures) f = features_new (FBANK);
  GstHarness *h = harness_new (NULL, "config", FBANK, NULL);
  GstSegment seg;
  gsize pos;

  gst_harness_set_src_caps_str (h, caps_str);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = seg.position = 2 * GST_SECOND;
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  for (pos = 0; pos < n; pos += 1000)
    g_assert_cmpint (gst_harness_push (h, audio_buffer (x + pos,
                MIN (1000, n - pos) * sizeof (float), GST_CLOCK_TIME_NONE,
                GST_CLOCK_TIME_NONE)), ==, GST_FLOW_OK);
  push_eos (h);
  bufs = pull_all (h);
  g_assert_cmpuint (bufs->len, ==, (n - 400) / 160 + 1);
  check_run_times (bufs, 0, bufs->len, 23, f, 2 * GST_SECOND, NULL);
  harness_teardown (h, NULL);
}

/* frames-per-buffer=7, pad-buffers=false: tensors 23:7 (14.28 buffers per
 * second), the last 3 frames announced by caps 23:3, and 23:7 again before
 * the first buffer after a flush. */
static void
test_frames_per_buffer (void)
{
  const gsize n = 400 + 58 * 160;      /* 59 frames: 8 x 7 + 3 */
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 5);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL, log = NULL;
  g_autoptr (LstmFeatures) f = features_new (FBANK);
  GstHarness *h = harness_new (NULL, "config", FBANK, "frames-per-buffer",
      7, "pad-buffers", FALSE, NULL);
  GPtrArray *want = g_ptr_array_new ();
  static const gsize sizes[] = { 333, 1024, 7 };
  GstSegment seg;
  gsize n_ref, n_got;
  guint run, i;

  log = add_log_probe (h);
  gst_harness_set_src_caps_str (h, caps_str);
  push_mono (h, x, 0, n, 0, sizes, G_N_ELEMENTS (sizes),
      GST_BUFFER_FLAG_DISCONT);
  push_eos (h);
  /* play again after a flushing seek */
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop
          (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_mono (h, x, 0, n, 0, sizes, G_N_ELEMENTS (sizes),
      GST_BUFFER_FLAG_DISCONT);
  push_eos (h);

  for (run = 0; run < 2; run++) {
    if (run == 0) {
      want_add (want, "caps 23:7 100/7");
      want_add (want, "segment");
    } else {
      want_add (want, "flush-stop");
      want_add (want, "segment");
      want_add (want, "caps 23:7 100/7");
    }
    for (i = 0; i < 8; i++)
      want_add (want, "buffer 7");
    want_add (want, "caps 23:3 100/3");
    want_add (want, "buffer 3");
    want_add (want, "eos");
  }
  want_add (want, NULL);
  assert_log (log, (const gchar * const *) want->pdata);
  g_ptr_array_free (want, TRUE);

  bufs = pull_all (h);
  g_assert_cmpuint (bufs->len, ==, 18);
  ref = library_frames (FBANK, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  for (run = 0; run < 2; run++) {
    guint64 offset = 0;
    g_assert_cmpuint (check_run_times (bufs, run * 9, run * 9 + 9, 23, f, 0,
            &offset), ==, 59);
    got = concat_frames (bufs, run * 9, run * 9 + 9, 23, &n_got);
    assert_frames_equal (got, n_got, ref, n_ref, 23);
    g_clear_pointer (&got, g_free);
  }
  harness_teardown (h, NULL);
}

/* frames-per-buffer=7 with the default pad-buffers: the caps 23:7 stay
 * fixed (no caps event after the first, even across a flush); the last
 * buffer of each run holds 7 frames, the 3 real ones then zeros, with a
 * GstLstmPadding meta saying 3, and a duration and offset_end covering the
 * 3 real frames only. The real frames equal the library's. */
static void
test_padded_buffers (void)
{
  const gsize n = 400 + 58 * 160;      /* 59 frames: 8 x 7 + 3 */
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 5);
  g_autofree float *ref = NULL;
  g_autoptr (GPtrArray) bufs = NULL, log = NULL;
  g_autoptr (LstmFeatures) f = features_new (FBANK);
  GstHarness *h = harness_new (NULL, "config", FBANK, "frames-per-buffer",
      7, NULL);
  GPtrArray *want = g_ptr_array_new ();
  static const gsize sizes[] = { 333, 1024, 7 };
  GstSegment seg;
  gsize n_ref;
  guint run, i;

  log = add_log_probe (h);
  gst_harness_set_src_caps_str (h, caps_str);
  for (run = 0; run < 2; run++) {
    if (run == 1) {
      g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
      g_assert_true (gst_harness_push_event (h,
              gst_event_new_flush_stop (TRUE)));
      gst_segment_init (&seg, GST_FORMAT_TIME);
      g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
    }
    push_mono (h, x, 0, n, 0, sizes, G_N_ELEMENTS (sizes),
        GST_BUFFER_FLAG_DISCONT);
    push_eos (h);
  }
  for (run = 0; run < 2; run++) {
    if (run == 0) {
      want_add (want, "caps 23:7 100/7");
    } else {
      want_add (want, "flush-stop");
    }
    want_add (want, "segment");
    for (i = 0; i < 9; i++)
      want_add (want, "buffer 7");
    want_add (want, "eos");
  }
  want_add (want, NULL);
  assert_log (log, (const gchar * const *) want->pdata);
  g_ptr_array_free (want, TRUE);

  bufs = pull_all (h);
  g_assert_cmpuint (bufs->len, ==, 18);
  ref = library_frames (FBANK, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  g_assert_cmpuint (n_ref, ==, 59);
  for (run = 0; run < 2; run++) {
    for (i = 0; i < 9; i++) {
      GstBuffer *b = bufs->pdata[run * 9 + i];
      const guint real = i < 8 ? 7 : 3;
      GstClockTime start = sample_time (0,
          lstm_features_get_frame_start (f, i * 7));
      GstClockTime end = sample_time (0,
          lstm_features_get_frame_start (f, i * 7 + real - 1) +
          lstm_features_get_shift (f));
      g_autofree float *got = g_new (float, 7 * 23);
      guint k;

      g_assert_cmpuint (gst_buffer_get_size (b), ==, 7 * 23 * sizeof (float));
      g_assert_cmpuint (gst_buffer_get_lstm_valid_frames (b, 7), ==, real);
      g_assert_cmpint (gst_buffer_get_custom_meta (b,
              GST_LSTM_PADDING_META_NAME) != NULL, ==, i == 8);
      g_assert_cmpuint (GST_BUFFER_PTS (b), ==, start);
      g_assert_cmpuint (GST_BUFFER_DURATION (b), ==, end - start);
      g_assert_cmpuint (GST_BUFFER_OFFSET (b), ==, i * 7);
      g_assert_cmpuint (GST_BUFFER_OFFSET_END (b), ==, i * 7 + real);
      gst_buffer_extract (b, 0, got, 7 * 23 * sizeof (float));
      assert_frames_equal (got, real, ref + (gsize) i * 7 * 23, real, 23);
      for (k = real * 23; k < 7 * 23; k++)
        g_assert_cmpfloat (got[k], ==, 0.0f);
    }
  }
  harness_teardown (h, NULL);
}

/* NNStreamer writes tensor dimensions up to rank 4 ("13:10:1:1", as in its
 * own caps strings, unquoted), or "13:10": a capsfilter holding any of
 * these after lstmfeatures negotiates, and the caps keep its spelling. */
static void
test_nnstreamer_ranks (void)
{
  static const gchar *const filters[] = {
    "other/tensors,num_tensors=1,dimensions=13:10:1:1,types=float32,"
        "format=static,framerate=10/1",
    "other/tensors,num_tensors=1,dimensions=13:10:1,types=float32",
    "other/tensors,format=static,num_tensors=1,dimensions=(string)13:10,"
        "types=float32",
  };
  static const gchar *const want[] = { "13:10:1:1", "13:10:1", "13:10" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (filters); i++) {
    g_autofree gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=20 "
        "samplesperbuffer=1000 ! audio/x-raw,rate=16000,channels=1 ! "
        "lstmfeatures kind=mfcc frames-per-buffer=10 ! %s ! fakesink "
        "name=sink", filters[i]);
    g_autoptr (GError) error = NULL;
    g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
    g_autoptr (GstElement) sink = NULL;
    g_autoptr (GstPad) pad = NULL;
    g_autoptr (GstCaps) caps = NULL;
    g_autoptr (GstBus) bus = NULL;
    g_autoptr (GstMessage) msg = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    bus = gst_element_get_bus (pipeline);
    msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    g_assert_nonnull (msg);
    g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
    sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    pad = gst_element_get_static_pad (sink, "sink");
    caps = gst_pad_get_current_caps (pad);
    g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure (caps,
                0), "dimensions"), ==, want[i]);
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
}

typedef enum {
  RESTART_DISCONT,
  RESTART_GAP_EVENT,
  RESTART_GAP_BUFFER,
  RESTART_SEGMENT,
} RestartHow;

typedef struct {
  const gchar *name;
  const gchar *config;
  RestartHow how;
  guint frames_per_buffer;
} RestartCase;

static const RestartCase restart_cases[] = {
  { "discont/mfcc-deltas", MFCC_DELTAS, RESTART_DISCONT, 1 },
  { "discont/melspec-center", MELSPEC_CENTER, RESTART_DISCONT, 5 },
  { "gap-event/mfcc-deltas", MFCC_DELTAS, RESTART_GAP_EVENT, 1 },
  { "gap-event/melspec-center", MELSPEC_CENTER, RESTART_GAP_EVENT, 3 },
  { "gap-buffer/melspec-center", MELSPEC_CENTER, RESTART_GAP_BUFFER, 1 },
  { "gap-buffer/fbank", FBANK, RESTART_GAP_BUFFER, 4 },
  { "segment/mfcc-deltas", MFCC_DELTAS, RESTART_SEGMENT, 2 },
};

/* Audio A, a restart (DISCONT, GAP, new segment), audio B 5 s later: the
 * frames of A alone (look-ahead frames included, the partial window
 * dropped) before the restart reaches downstream, then those of B alone,
 * timed from B's first sample, the first flagged DISCONT. */
static void
test_restart (gconstpointer data)
{
  const RestartCase *c = data;
  const gsize na = RATE + 777, nb = RATE / 2 + 55;
  const GstClockTime tb = 5 * GST_SECOND;
  static const gsize sizes[] = { 999, 160, 17 };
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (na + nb, 6);
  g_autofree float *ref_a = NULL, *ref_b = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL, log = NULL;
  g_autoptr (LstmFeatures) f = features_new (c->config);
  const guint dim = lstm_features_get_size (f);
  GstHarness *h = harness_new (NULL, "config", c->config,
      "frames-per-buffer", c->frames_per_buffer, "pad-buffers", FALSE, NULL);
  const gchar *marker = NULL;
  gsize n_ra, n_rb, n_got;
  guint i, boundary = 0, before_marker = 0;
  gboolean seen = FALSE;
  guint flags_b = 0;

  log = add_log_probe (h);
  gst_harness_set_src_caps_str (h, caps_str);
  push_mono (h, x, 0, na, 0, sizes, G_N_ELEMENTS (sizes),
      GST_BUFFER_FLAG_DISCONT);
  switch (c->how) {
    case RESTART_DISCONT:
      flags_b = GST_BUFFER_FLAG_DISCONT;
      break;
    case RESTART_GAP_EVENT:
      g_assert_true (gst_harness_push_event (h, gst_event_new_gap
              (sample_time (0, na), tb - sample_time (0, na))));
      marker = "gap";
      break;
    case RESTART_GAP_BUFFER:{
      g_autofree float *zeros = g_new0 (float, 1000);
      GstBuffer *gap = audio_buffer (zeros, 1000 * sizeof (float),
          sample_time (0, na), sample_time (0, na + 1000) -
          sample_time (0, na));
      GST_BUFFER_FLAG_SET (gap, GST_BUFFER_FLAG_GAP);
      g_assert_cmpint (gst_harness_push (h, gap), ==, GST_FLOW_OK);
      marker = "gap";
      break;
    }
    case RESTART_SEGMENT:{
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      seg.start = seg.time = seg.position = tb;
      g_assert_true (gst_harness_push_event (h,
              gst_event_new_segment (&seg)));
      marker = "segment";
      break;
    }
  }
  push_mono (h, x, na, na + nb, tb, sizes, G_N_ELEMENTS (sizes), flags_b);
  push_eos (h);

  bufs = pull_all (h);
  for (i = 1; i < bufs->len && boundary == 0; i++)
    if (GST_BUFFER_IS_DISCONT (bufs->pdata[i]))
      boundary = i;
  g_assert_cmpuint (boundary, >, 0);
  ref_a = library_frames (c->config, x, LSTM_SAMPLE_F32, 1, na, &n_ra);
  ref_b = library_frames (c->config, x + na, LSTM_SAMPLE_F32, 1, nb, &n_rb);
  g_assert_cmpuint (check_run_times (bufs, 0, boundary, dim, f, 0, NULL),
      ==, n_ra);
  g_assert_cmpuint (check_run_times (bufs, boundary, bufs->len, dim, f, tb,
          NULL), ==, n_rb);
  got = concat_frames (bufs, 0, boundary, dim, &n_got);
  assert_frames_equal (got, n_got, ref_a, n_ra, dim);
  g_free (got);
  got = concat_frames (bufs, boundary, bufs->len, dim, &n_got);
  assert_frames_equal (got, n_got, ref_b, n_rb, dim);

  /* the restart's event reaches downstream after A's frames */
  if (marker != NULL) {
    guint segments = 0;
    for (i = 0; i < log->len && !seen; i++) {
      const gchar *l = log->pdata[i];
      if (g_str_has_prefix (l, "buffer "))
        before_marker++;
      else if (strcmp (l, marker) == 0 && (strcmp (marker, "segment") != 0 ||
              ++segments == 2))
        seen = TRUE;
    }
    g_assert_true (seen);
    g_assert_cmpuint (before_marker, ==, boundary);
  }
  g_test_message ("%s: %" G_GSIZE_FORMAT " + %" G_GSIZE_FORMAT " frames",
      c->name, n_ra, n_rb);
  harness_teardown (h, NULL);
}

/* A flushing seek: A's frames so far, the staged ones and the look-ahead
 * dropped; then B from the new segment's start, DISCONT. */
static void
test_seek (void)
{
  const gsize na = RATE + 777, nb = RATE / 2;
  const GstClockTime tb = 10 * GST_SECOND;
  static const gsize sizes[] = { 1234 };
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (na + nb, 7);
  g_autofree float *ref_a = NULL, *ref_b = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (LstmFeatures) f = features_new (MELSPEC_CENTER);
  const guint dim = lstm_features_get_size (f);
  GstHarness *h = harness_new (NULL, "config", MELSPEC_CENTER,
      "frames-per-buffer", 4, "pad-buffers", FALSE, NULL);
  gsize n_ra, n_rb, n_got, processed;
  guint boundary;
  GstSegment seg;

  gst_harness_set_src_caps_str (h, caps_str);
  push_mono (h, x, 0, na, 0, sizes, 1, GST_BUFFER_FLAG_DISCONT);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop
          (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = seg.position = tb;
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_mono (h, x, na, na + nb, tb, sizes, 1, GST_BUFFER_FLAG_DISCONT);
  push_eos (h);

  {
    /* frames A made before the flush (no look-ahead frames) */
    g_autoptr (LstmFeatures) fa = features_new (MELSPEC_CENTER);
    g_autofree float *tmp = g_new (float, lstm_features_max_frames (fa,
            na) * dim);
    processed = lstm_features_process (fa, x, na, tmp);
  }
  boundary = (guint) (processed / 4);
  bufs = pull_all (h);
  ref_a = library_frames (MELSPEC_CENTER, x, LSTM_SAMPLE_F32, 1, na, &n_ra);
  ref_b = library_frames (MELSPEC_CENTER, x + na, LSTM_SAMPLE_F32, 1, nb,
      &n_rb);
  g_assert_cmpuint (bufs->len, >, boundary);
  g_assert_cmpuint (check_run_times (bufs, 0, boundary, dim, f, 0, NULL), ==,
      boundary * 4);
  got = concat_frames (bufs, 0, boundary, dim, &n_got);
  assert_frames_equal (got, n_got, ref_a, boundary * 4, dim);
  g_free (got);
  g_assert_cmpuint (check_run_times (bufs, boundary, bufs->len, dim, f, tb,
          NULL), ==, n_rb);
  got = concat_frames (bufs, boundary, bufs->len, dim, &n_got);
  assert_frames_equal (got, n_got, ref_b, n_rb, dim);
  harness_teardown (h, NULL);
}

typedef struct {
  const gchar *config;
  guint frames_per_buffer;
} LatencyCase;

static const LatencyCase latency_cases[] = {
  { FBANK, 1 },
  { MFCC_DELTAS, 3 },
  { MELSPEC_CENTER, 1 },
  { RAW, 5 },
};

/* The LATENCY answer adds the look-ahead and a buffer's frames to
 * upstream's; fed one sample at a time, each buffer leaves once its last
 * window is in, never later than its first frame's window start plus that
 * latency, and some exactly then (the figure is not padded). */
static void
test_latency (gconstpointer data)
{
  const LatencyCase *c = data;
  const gsize n = 6000;
  const GstClockTime upstream = 7 * GST_MSECOND;
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 8);
  g_autoptr (LstmFeatures) f = features_new (c->config);
  const guint shift = lstm_features_get_shift (f);
  const guint64 ours = lstm_features_get_latency (f) +
      (guint64) c->frames_per_buffer * shift;
  GstHarness *h = harness_new (NULL, "config", c->config,
      "frames-per-buffer", c->frames_per_buffer, "pad-buffers", FALSE, NULL);
  const guint window = lstm_features_get_window (f);
  guint64 frame = 0;
  guint n_bufs = 0, n_tight = 0;
  gsize i;

  gst_harness_set_upstream_latency (h, upstream);
  gst_harness_set_src_caps_str (h, caps_str);
  g_assert_cmpuint (gst_harness_query_latency (h), ==, upstream +
      gst_util_uint64_scale (ours, GST_SECOND, RATE));
  if (c->frames_per_buffer == 1 && strcmp (c->config, FBANK) == 0)
    g_assert_cmpuint (gst_harness_query_latency (h), ==, upstream +
        25 * GST_MSECOND);

  for (i = 0; i < n; i++) {
    GstBuffer *out;
    g_assert_cmpint (gst_harness_push (h, audio_buffer (x + i,
                sizeof (float), sample_time (0, (gint64) i),
                GST_SECOND / RATE)), ==, GST_FLOW_OK);
    while ((out = gst_harness_try_pull (h)) != NULL) {
      gsize k = gst_buffer_get_size (out) /
          (lstm_features_get_size (f) * sizeof (float));
      gint64 start = lstm_features_get_frame_start (f, frame);
      gint64 last = lstm_features_get_frame_start (f, frame + k - 1);
      /* the input now reaches sample i + 1: the last frame's window is
       * in, and no more than the latency past the first frame's start */
      g_assert_cmpint ((gint64) i + 1, >=, last + (gint64) window);
      g_assert_cmpint ((gint64) i + 1, <=, start + (gint64) ours);
      if ((gint64) i + 1 == start + (gint64) ours)
        n_tight++;
      frame += k;
      n_bufs++;
      gst_buffer_unref (out);
    }
  }
  g_assert_cmpuint (n_bufs, >, 3);
  /* the bound is reached */
  g_assert_cmpuint (n_tight, >, 0);
  harness_teardown (h, NULL);
}

typedef struct {
  const gchar *name;
  guint channels;
  LstmSampleFormat format;
  const gchar *config;
} DownmixCase;

static const DownmixCase downmix_cases[] = {
  { "stereo-f32", 2, LSTM_SAMPLE_F32, FBANK },
  { "3ch-s16", 3, LSTM_SAMPLE_S16, MFCC_DELTAS },
  { "channel-1-of-2", 2, LSTM_SAMPLE_F32,
      "{\"kind\":\"fbank\",\"num_mel_bins\":23,\"channel\":1}" },
};

/* Interleaved input of several channels: the frames of
 * lstm_features_process_interleaved() (channels averaged, or the
 * configuration's channel taken). */
static void
test_downmix (gconstpointer data)
{
  const DownmixCase *c = data;
  const gsize n = RATE + 4321;
  const gboolean s16 = c->format == LSTM_SAMPLE_S16;
  const gsize bpf = c->channels * (s16 ? 2 : 4);
  g_autofree float *x = make_signal (n * c->channels, 9);
  g_autofree gint16 *xs = to_s16 (x, n * c->channels);
  const guint8 *bytes = s16 ? (const guint8 *) xs : (const guint8 *) x;
  g_autofree gchar *caps_str = audio_caps (s16 ? "S16LE" : "F32LE", RATE,
      c->channels);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (LstmFeatures) f = features_new (c->config);
  const guint dim = lstm_features_get_size (f);
  GstHarness *h = harness_new (NULL, "config", c->config, NULL);
  gsize pos = 0, n_ref, n_got, m = 1;

  gst_harness_set_src_caps_str (h, caps_str);
  while (pos < n) {
    m = MIN (m * 3 + 1, n - pos);
    g_assert_cmpint (gst_harness_push (h, audio_buffer (bytes + pos * bpf,
                m * bpf, sample_time (0, (gint64) pos),
                GST_CLOCK_TIME_NONE)), ==, GST_FLOW_OK);
    pos += m;
  }
  push_eos (h);
  bufs = pull_all (h);
  got = concat_frames (bufs, 0, bufs->len, dim, &n_got);
  ref = library_frames (c->config, s16 ? (const void *) xs :
      (const void *) x, c->format, c->channels, n, &n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, dim);
  harness_teardown (h, NULL);
}

/* A buffer whose samples sit at an odd address: the same frames. */
static void
test_unaligned (void)
{
  const gsize n = RATE / 2;
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (n, 10);
  g_autofree guint8 *bytes = g_malloc (n * 4 + 1);
  g_autofree float *ref = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  GstHarness *h = harness_new (NULL, "config", FBANK, NULL);
  GstBuffer *whole, *odd;
  gsize n_ref, n_got;
  GstMapInfo map;

  memcpy (bytes + 1, x, n * 4);
  whole = gst_buffer_new_memdup (bytes, n * 4 + 1);
  odd = gst_buffer_copy_region (whole, GST_BUFFER_COPY_MEMORY, 1, n * 4);
  gst_buffer_unref (whole);
  g_assert_true (gst_buffer_map (odd, &map, GST_MAP_READ));
  g_assert_cmpuint ((guintptr) map.data % 4, !=, 0);
  gst_buffer_unmap (odd, &map);
  GST_BUFFER_PTS (odd) = 0;
  gst_harness_set_src_caps_str (h, caps_str);
  g_assert_cmpint (gst_harness_push (h, odd), ==, GST_FLOW_OK);
  push_eos (h);
  bufs = pull_all (h);
  got = concat_frames (bufs, 0, bufs->len, 23, &n_got);
  ref = library_frames (FBANK, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, 23);
  harness_teardown (h, NULL);
}

/* Runs the element (properties as name, value string pairs) over @n mono
 * float samples at @rate; returns the frames. */
static float *
element_frames (const gchar *const *props, const float *x, gsize n,
    guint rate, guint *dim, gsize *n_frames)
{
  GstElement *e = gst_element_factory_make ("lstmfeatures", NULL);
  g_autofree gchar *caps_str = audio_caps ("F32LE", rate, 1);
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (GstCaps) caps = NULL;
  const GstStructure *s;
  GstHarness *h;
  float *out;

  for (; props && *props; props += 2)
    gst_util_set_object_arg (G_OBJECT (e), props[0], props[1]);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps_str);
  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  *dim = (guint) atoi (gst_structure_get_string (s, "dimensions"));
  g_assert_cmpint (gst_harness_push (h, audio_buffer (x, n * 4, 0,
              GST_CLOCK_TIME_NONE)), ==, GST_FLOW_OK);
  push_eos (h);
  bufs = pull_all (h);
  out = concat_frames (bufs, 0, bufs->len, *dim, n_frames);
  gst_harness_teardown (h);
  return out;
}

typedef struct {
  const gchar *name;
  const gchar *props[13];
  const gchar *config;          /* what the library gets for the same */
  guint rate;
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "defaults", { NULL }, "{\"kind\":\"fbank\"}", 16000 },
  { "mfcc", { "kind", "mfcc", "num-ceps", "20", "num-mel-bins", "40",
          NULL }, "{\"kind\":\"mfcc\",\"num_ceps\":20,\"num_mel_bins\":40}",
      16000 },
  { "fbank-ms-freqs", { "frame-length-ms", "20", "frame-shift-ms", "5",
          "low-freq", "100", "high-freq", "6000", NULL },
      "{\"kind\":\"fbank\",\"frame_length\":20,\"frame_shift\":5,"
        "\"low_freq\":100,\"high_freq\":6000}", 16000 },
  { "melspec", { "kind", "melspec", "frame-length-ms", "25",
          "frame-shift-ms", "10", "num-mel-bins", "40", "low-freq", "50",
          "high-freq", "7000", NULL },
      "{\"kind\":\"melspec\",\"n_fft\":400,\"win_length\":400,"
        "\"hop_length\":160,\"n_mels\":40,\"f_min\":50,\"f_max\":7000}",
      16000 },
  { "raw-8k", { "kind", "raw", "sample-rate", "8000", "frame-length-ms",
          "32", "frame-shift-ms", "16", NULL },
      "{\"kind\":\"raw\",\"sample_rate\":8000,\"frame_length\":32,"
        "\"frame_shift\":16}", 8000 },
  { "config-overridden", { "config", MELSPEC_CENTER, "num-mel-bins", "64",
          NULL }, "{\"kind\":\"melspec\",\"n_fft\":400,\"hop_length\":160,"
        "\"n_mels\":64,\"log\":\"natural\",\"log_floor\":1e-6}", 16000 },
  { "config-kind-kept", { "config", MFCC_DELTAS, "frame-shift-ms", "20",
          NULL }, "{\"kind\":\"mfcc\",\"deltas\":2,\"use_energy\":true,"
        "\"frame_shift\":20}", 16000 },
};

/* The properties make the configuration they say (in each kind's own
 * keys), over #GstLstmFeatures:config. */
static void
test_config_props (gconstpointer data)
{
  const ConfigCase *c = data;
  const gsize n = c->rate + 999;
  g_autofree float *x = make_signal (n, 11);
  g_autofree float *got = NULL, *ref = NULL;
  gsize n_got, n_ref;
  guint dim;

  got = element_frames (c->props, x, n, c->rate, &dim, &n_got);
  ref = library_frames (c->config, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  {
    g_autoptr (LstmFeatures) f = features_new (c->config);
    g_assert_cmpuint (dim, ==, lstm_features_get_size (f));
  }
  assert_frames_equal (got, n_got, ref, n_ref, dim);
}


/* The configuration lstmfeatures made from @props, as it answers the
 * lstm-features-config query. */
static gchar *
element_config (const gchar *const *props, guint rate)
{
  GstElement *e = gst_element_factory_make ("lstmfeatures", NULL);
  g_autofree gchar *caps_str = audio_caps ("F32LE", rate, 1);
  GstQuery *q;
  GstHarness *h;
  gchar *json = NULL;

  for (; props && *props; props += 2)
    gst_util_set_object_arg (G_OBJECT (e), props[0], props[1]);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps_str);
  q = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_new_empty ("lstm-features-config"));
  g_assert_true (gst_pad_peer_query (h->sinkpad, q));
  json = g_strdup (gst_structure_get_string (gst_query_get_structure (q),
          "config"));
  gst_query_unref (q);
  gst_harness_teardown (h);
  g_assert_nonnull (json);
  return json;
}

/* `lstm features` given the properties as options of the same names (and
 * config as its CONFIG) makes the configuration lstmfeatures makes: both
 * call lstm_features_new_from_options(). */
static void
test_config_same_as_tool (gconstpointer data)
{
  const ConfigCase *c = data;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *got = element_config (c->props, c->rate);
  g_autofree gchar *tool = NULL;
  const gchar *config = NULL;
  guint i;

  g_ptr_array_add (args, g_strdup ("features"));
  g_ptr_array_add (args, g_strdup ("--print-config"));
  for (i = 0; c->props[i] != NULL; i += 2) {
    if (strcmp (c->props[i], "config") == 0)
      config = c->props[i + 1];
    else
      g_ptr_array_add (args, g_strdup_printf ("--%s=%s", c->props[i],
              c->props[i + 1]));
  }
  if (config != NULL)
    g_ptr_array_add (args, g_strdup (config));
  g_ptr_array_add (args, NULL);
  tool = tu_tool_output ((const gchar * const *) args->pdata);
  g_strchomp (tool);
  g_assert_cmpstr (tool, ==, got);
  /* and the options did change something, where there were any */
  if (c->props[0] != NULL) {
    const gchar *none[] = { "features", "--print-config", NULL };
    g_autofree gchar *plain = tu_tool_output (none);
    g_assert_cmpstr (g_strchomp (plain), !=, got);
  }
}

/* A configuration file gives the frames of the same JSON inline. */
static void
test_config_file (void)
{
  g_autofree gchar *path = tu_tmp_path ("melspec.json");
  const gsize n = RATE;
  g_autofree float *x = make_signal (n, 12);
  g_autofree float *got = NULL, *ref = NULL;
  const gchar *props[] = { "config", path, NULL };
  gsize n_got, n_ref;
  guint dim;

  g_assert_true (g_file_set_contents (path, MELSPEC_CENTER, -1, NULL));
  got = element_frames (props, x, n, RATE, &dim, &n_got);
  ref = library_frames (MELSPEC_CENTER, x, LSTM_SAMPLE_F32, 1, n, &n_ref);
  assert_frames_equal (got, n_got, ref, n_ref, dim);
}

/* model=: the model's features, not normalised unless asked; normalize
 * applies the model's input.mean / input.std. */
static void
test_model (void)
{
  const gsize n = RATE + 555;
  g_autofree float *x = make_signal (n, 13);
  g_autofree float *plain = NULL, *got = NULL, *norm = NULL;
  const gchar *with_model[] = { "model", model_norm_path, NULL };
  const gchar *with_norm[] = { "model", model_norm_path, "normalize", "true",
    NULL
  };
  gsize n_plain, n_got, n_norm, i;
  guint dim;

  plain = library_frames (MODEL_FEATURES, x, LSTM_SAMPLE_F32, 1, n,
      &n_plain);
  got = element_frames (with_model, x, n, RATE, &dim, &n_got);
  g_assert_cmpuint (dim, ==, 16);
  assert_frames_equal (got, n_got, plain, n_plain, 16);

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmFeatures) f = features_new (MODEL_FEATURES);
    norm = g_new (float, (lstm_features_max_frames (f, n) +
            lstm_features_max_flush_frames (f)) * 16);
    g_assert_true (lstm_features_set_normalization (f, model_mean,
            model_std, &error));
    n_norm = lstm_features_process (f, x, n, norm);
    n_norm += lstm_features_flush (f, norm + n_norm * 16);
  }
  g_clear_pointer (&got, g_free);
  got = element_frames (with_norm, x, n, RATE, &dim, &n_got);
  assert_frames_equal (got, n_got, norm, n_norm, 16);
  /* and it did change them */
  for (i = 0; i < n_got * 16 && got[i] == plain[i]; i++);
  g_assert_cmpuint (i, <, n_got * 16);
}

typedef struct {
  const gchar *name;
  const gchar *props[7];
  GstResourceError code;
  const gchar *needle;
} ErrorCase;

#define MODEL "@model"
#define PLAIN "@plain"
#define NOWHERE "@nowhere"

static const ErrorCase error_cases[] = {
  { "model-missing", { "model", NOWHERE, NULL }, GST_RESOURCE_ERROR_OPEN_READ,
      "nothing-here.safetensors" },
  { "model-without-features", { "model", PLAIN, NULL },
      GST_RESOURCE_ERROR_SETTINGS, "lstm.features" },
  { "model-and-property", { "model", MODEL, "num-mel-bins", "40", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "num-mel-bins" },
  { "model-and-config", { "model", MODEL, "config", FBANK, NULL },
      GST_RESOURCE_ERROR_SETTINGS, "config" },
  { "config-not-json", { "config", "{\"kind\": fbank", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "JSON" },
  { "config-not-object", { "config", "{}", "kind", "raw", "num-ceps", "3",
          NULL }, GST_RESOURCE_ERROR_SETTINGS, "num-ceps" },
  { "config-file-missing", { "config", "/nonexistent/features.json", NULL },
      GST_RESOURCE_ERROR_OPEN_READ, "features.json" },
  { "config-bad-value", { "config", "{\"kind\":\"fbank\",\"frame_shift\":0}",
          NULL }, GST_RESOURCE_ERROR_SETTINGS, "frame_shift" },
  { "config-unknown-kind", { "config", "{\"kind\":\"wavelets\"}", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "wavelets" },
  { "config-top-db", { "config", "{\"kind\":\"melspec\",\"top_db\":80}",
          NULL }, GST_RESOURCE_ERROR_SETTINGS, "top_db" },
  { "num-ceps-on-fbank", { "num-ceps", "13", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "num-ceps" },
  { "low-freq-on-raw", { "kind", "raw", "low-freq", "10", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "low-freq" },
  { "normalize-without-model", { "normalize", "true", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "normalize" },
  { "buffer-too-large", { "config", "{\"kind\":\"raw\",\"win_length\":"
          "1000000}", "frames-per-buffer", "65536", NULL },
      GST_RESOURCE_ERROR_SETTINGS, "frames-per-buffer" },
};

/* Settings that cannot work: the element does not start, and its error
 * names the problem. */
static void
test_error (gconstpointer data)
{
  const ErrorCase *c = data;
  GstElement *e = gst_element_factory_make ("lstmfeatures", NULL);
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autofree gchar *nowhere = tu_tmp_path ("nothing-here.safetensors");
  g_autoptr (GError) gerr = NULL;
  g_autofree gchar *dbg = NULL;
  const gchar *const *p;
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  for (p = c->props; *p; p += 2) {
    const gchar *v = p[1];
    if (strcmp (v, MODEL) == 0)
      v = model_path;
    else if (strcmp (v, PLAIN) == 0)
      v = model_plain_path;
    else if (strcmp (v, NOWHERE) == 0)
      v = nowhere;
    gst_util_set_object_arg (G_OBJECT (e), p[0], v);
  }
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = tu_pop_message (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &gerr, &dbg);
  g_assert_error (gerr, GST_RESOURCE_ERROR, (gint) c->code);
  if (strstr (gerr->message, c->needle) == NULL)
    g_error ("'%s' is not in the error '%s'", c->needle, gerr->message);
  g_test_message ("%s: %s", c->name, gerr->message);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
}

typedef struct {
  const gchar *name;
  const gchar *config;
  gboolean f32;
  guint frames_per_buffer;
} CliCase;

static const CliCase cli_cases[] = {
  { "s16/fbank", FBANK, FALSE, 1 },
  { "s16/mfcc-deltas", MFCC_DELTAS, FALSE, 7 },
  { "s16/melspec-center", MELSPEC_CENTER, FALSE, 1 },
  { "s16/raw", RAW, FALSE, 3 },
  { "f32/fbank", FBANK, TRUE, 7 },
  { "f32/mfcc-deltas", MFCC_DELTAS, TRUE, 1 },
  { "f32/melspec-center", MELSPEC_CENTER, TRUE, 4 },
  { "f32/raw", RAW, TRUE, 1 },
};

/* filesrc ! wavparse ! lstmfeatures ! filesink writes the bytes `lstm
 * features CONFIG WAV OUT` writes, for mono S16 (tests/data) and F32 WAV
 * at the configuration's rate. */
static void
test_cli_equal (gconstpointer data)
{
  const CliCase *c = data;
  g_autofree gchar *wav = NULL;
  g_autofree gchar *out = tu_tmp_path ("element.f32");
  g_autofree gchar *cli = tu_tmp_path ("cli.f32");
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) f = NULL;
  g_autofree gchar *a = NULL, *b = NULL;
  gsize la = 0, lb = 0;

  if (c->f32) {
    const gsize n = 2 * RATE + 4321;
    g_autofree float *x = make_signal (n, 14);
    wav = tu_tmp_path ("mono-f32.wav");
    write_wav_f32 (wav, x, n, 1);
  } else {
    wav = data_path ("speech-16000.wav");
  }
  {
    const gchar *args[] = { "features", c->config, wav, cli, NULL };
    run_tool (args);
  }
  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "lstmfeatures name=f ! filesink location=\"%s\"", wav, out);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  f = gst_bin_get_by_name (GST_BIN (pipeline), "f");
  g_object_set (f, "config", c->config, "frames-per-buffer",
      c->frames_per_buffer, "pad-buffers", FALSE, NULL);
  g_assert_true (run_to_eos (pipeline, NULL));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_true (g_file_get_contents (out, &a, &la, NULL));
  g_assert_true (g_file_get_contents (cli, &b, &lb, NULL));
  g_assert_cmpuint (la, >, 1000);
  g_assert_cmpuint (la, ==, lb);
  g_assert_true (memcmp (a, b, la) == 0);
}

static void
setup_models (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL, mn = NULL, mp = NULL;
  LstmModelOptions opts = { 0 };
  guint j;

  for (j = 0; j < 16; j++) {
    model_mean[j] = -8.0f + 0.25f * j;
    model_std[j] = 2.0f + 0.1f * j;
  }
  opts.seed = 1;
  opts.task = LSTM_TASK_CLASSIFICATION;
  opts.labels = model_labels;
  opts.features = MODEL_FEATURES;
  m = lstm_model_new (MODEL_ARCH, &opts, &error);
  g_assert_no_error (error);
  model_path = tu_model_save (m, "features.safetensors");
  opts.input_mean = model_mean;
  opts.input_std = model_std;
  mn = lstm_model_new (MODEL_ARCH, &opts, &error);
  g_assert_no_error (error);
  model_norm_path = tu_model_save (mn, "features-norm.safetensors");
  opts.features = NULL;
  opts.input_mean = opts.input_std = NULL;
  mp = lstm_model_new (MODEL_ARCH, &opts, &error);
  g_assert_no_error (error);
  model_plain_path = tu_model_save (mp, "plain.safetensors");
}

/* nan-policy=reset (the default): samples A, a burst of NaN/Inf across a
 * buffer boundary, samples C give A's frames (those whose windows end
 * before the burst), one zeros frame in a GAP buffer timed at the burst,
 * then C's frames as from a fresh start (DISCONT, timed from C's first
 * sample); one WARNING. */
static void
test_nan_reset (gconstpointer data)
{
  const gchar *config = data;
  const gsize a = 5003, b = 37, c = 8000, fpb = 3;
  static const gsize sizes[] = { 1000, 333 };
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (a + b + c, 9);
  g_autofree float *ref_c = NULL, *got = NULL;
  g_autoptr (GPtrArray) bufs = NULL;
  g_autoptr (LstmFeatures) f = features_new (config);
  const guint dim = lstm_features_get_size (f);
  GstBus *bus;
  GstHarness *h = harness_new (&bus, "config", config, "frames-per-buffer",
      (guint) fpb, NULL);
  GstMessage *msg;
  gsize n_a, n_c, n_got, i, ia;
  guint warnings = 0;

  for (i = 0; i < b; i++)
    x[a + i] = i % 2 ? NAN : -INFINITY;
  {
    /* A's frames: the extractor on A alone, not flushed */
    g_autoptr (LstmFeatures) fa = features_new (config);
    g_autofree float *ref_a = g_new (float, lstm_features_max_frames (fa, a)
        * dim);
    n_a = lstm_features_process (fa, x, a, ref_a);
    gst_harness_set_src_caps_str (h, caps_str);
    push_mono (h, x, 0, a + b + c, 0, sizes, G_N_ELEMENTS (sizes), 0);
    push_eos (h);
    bufs = pull_all (h);
    ia = (n_a + fpb - 1) / fpb;
    g_assert_cmpuint (bufs->len, >, ia + 1);
    g_assert_cmpuint (check_run_times (bufs, 0, (guint) ia, dim, f, 0, NULL),
        ==, n_a);
    got = concat_frames (bufs, 0, (guint) ia, dim, &n_got);
    assert_frames_equal (got, n_got, ref_a, n_a, dim);
    g_free (got);
  }
  {
    /* the burst: one frame of zeros, GAP and DISCONT, at its first sample */
    GstBuffer *gap = bufs->pdata[ia];
    g_autofree float *zeros = g_new0 (float, dim);
    g_assert_true (GST_BUFFER_FLAG_IS_SET (gap, GST_BUFFER_FLAG_GAP));
    g_assert_true (GST_BUFFER_IS_DISCONT (gap));
    g_assert_cmpuint (GST_BUFFER_PTS (gap), ==, sample_time (0, (gint64) a));
    got = concat_frames (bufs, (guint) ia, (guint) ia + 1, dim, &n_got);
    assert_frames_equal (got, n_got, zeros, 1, dim);
    g_free (got);
  }
  /* C from a fresh start */
  ref_c = library_frames (config, x + a + b, LSTM_SAMPLE_F32, 1, c, &n_c);
  g_assert_cmpuint (check_run_times (bufs, (guint) ia + 1, bufs->len, dim, f,
          sample_time (0, (gint64) (a + b)), NULL), ==, n_c);
  got = concat_frames (bufs, (guint) ia + 1, bufs->len, dim, &n_got);
  assert_frames_equal (got, n_got, ref_c, n_c, dim);
  for (i = 0; i < bufs->len; i++)
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (bufs->pdata[i],
            GST_BUFFER_FLAG_GAP), ==, i == ia);

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    g_autoptr (GError) error = NULL;
    gst_message_parse_warning (msg, &error, NULL);
    g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    gst_message_unref (msg);
    warnings++;
  }
  g_assert_cmpuint (warnings, ==, 1);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));
  harness_teardown (h, bus);
}

/* nan-policy=error: a stream error. */
static void
test_nan_error (void)
{
  g_autofree gchar *caps_str = audio_caps ("F32LE", RATE, 1);
  g_autofree float *x = make_signal (4000, 10);
  GstBus *bus;
  GstHarness *h = harness_new (&bus, "config", FBANK, NULL);
  GstMessage *msg;
  g_autoptr (GError) error = NULL;

  gst_util_set_object_arg (G_OBJECT (h->element), "nan-policy", "error");
  x[1234] = NAN;
  gst_harness_set_src_caps_str (h, caps_str);
  gst_harness_push (h, audio_buffer (x, sizeof (float) * 4000, 0,
          sample_time (0, 4000)));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, NULL);
  g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "nan-policy=error"));
  gst_message_unref (msg);
  harness_teardown (h, bus);
}

int
main (int argc, char **argv)
{
  static const gchar *const config_names[] = { "fbank", "mfcc-deltas",
    "melspec-center", "raw"
  };
  int ret;
  guint i;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  setup_models ();

  g_test_add_func ("/lstmfeatures/properties", test_properties);
  g_test_add_func ("/lstmfeatures/caps/tensors", test_caps_tensors);
  g_test_add_func ("/lstmfeatures/caps/audio", test_caps_audio);
  g_test_add_func ("/lstmfeatures/caps/non-integer-rate",
      test_caps_non_integer_rate);
  g_test_add_func ("/lstmfeatures/caps/wrong-rate", test_caps_wrong_rate);
  g_test_add_func ("/lstmfeatures/caps/pipeline-resample",
      test_pipeline_resample);
  for (i = 0; i < G_N_ELEMENTS (all_configs); i++) {
    g_autofree gchar *path = g_strdup_printf
        ("/lstmfeatures/timestamps/%s", config_names[i]);
    g_test_add_data_func (path, all_configs[i], test_timestamps);
  }
  g_test_add_func ("/lstmfeatures/timestamps/none", test_no_timestamps);
  g_test_add_func ("/lstmfeatures/frames-per-buffer", test_frames_per_buffer);
  g_test_add_func ("/lstmfeatures/padded-buffers", test_padded_buffers);
  g_test_add_func ("/lstmfeatures/nnstreamer-ranks", test_nnstreamer_ranks);
  for (i = 0; i < G_N_ELEMENTS (restart_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/restart/%s",
        restart_cases[i].name);
    g_test_add_data_func (path, &restart_cases[i], test_restart);
  }
  g_test_add_func ("/lstmfeatures/seek", test_seek);
  g_test_add_data_func ("/lstmfeatures/nan-policy/reset/fbank", FBANK,
      test_nan_reset);
  g_test_add_data_func ("/lstmfeatures/nan-policy/reset/mfcc-deltas",
      MFCC_DELTAS, test_nan_reset);
  g_test_add_data_func ("/lstmfeatures/nan-policy/reset/melspec-center",
      MELSPEC_CENTER, test_nan_reset);
  g_test_add_func ("/lstmfeatures/nan-policy/error", test_nan_error);
  for (i = 0; i < G_N_ELEMENTS (latency_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/latency/%s-%u",
        config_names[i], latency_cases[i].frames_per_buffer);
    g_test_add_data_func (path, &latency_cases[i], test_latency);
  }
  for (i = 0; i < G_N_ELEMENTS (downmix_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/downmix/%s",
        downmix_cases[i].name);
    g_test_add_data_func (path, &downmix_cases[i], test_downmix);
  }
  g_test_add_func ("/lstmfeatures/unaligned-input", test_unaligned);
  for (i = 0; i < G_N_ELEMENTS (config_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/config/%s",
        config_cases[i].name);
    g_test_add_data_func (path, &config_cases[i], test_config_props);
    g_free (path);
    path = g_strdup_printf ("/lstmfeatures/config-tool/%s",
        config_cases[i].name);
    g_test_add_data_func (path, &config_cases[i], test_config_same_as_tool);
  }
  g_test_add_func ("/lstmfeatures/config/file", test_config_file);
  g_test_add_func ("/lstmfeatures/model", test_model);
  for (i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/error/%s",
        error_cases[i].name);
    g_test_add_data_func (path, &error_cases[i], test_error);
  }
  for (i = 0; i < G_N_ELEMENTS (cli_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmfeatures/cli-equal/%s",
        cli_cases[i].name);
    g_test_add_data_func (path, &cli_cases[i], test_cli_equal);
  }

  ret = g_test_run ();
  g_free (model_path);
  g_free (model_norm_path);
  g_free (model_plain_path);
  tu_cleanup ();
  return ret;
}
