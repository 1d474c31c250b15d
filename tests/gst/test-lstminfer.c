/* lstminfer through GstHarness: caps, timestamps, resets, hot swap,
 * messages, segments, passthrough, errors.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gst/check/gstharness.h>

#include "gst-test-util.h"
#include "gstlstmmeta.h"

#define RATE 100
#define FRAME_NS (GST_SECOND / RATE)

/* I=3 -> 4 classes */
#define ARCH_A \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":8}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":4," \
  "\"activation\":\"softmax\"}]"
/* I=3 -> 2 classes */
#define ARCH_C \
  "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":5}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2," \
  "\"activation\":\"softmax\"}]"
/* I=5 */
#define ARCH_WIDE \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":5,\"hidden_size\":4}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":4," \
  "\"activation\":\"softmax\"}]"
/* regression, I=3 -> 1 */
#define ARCH_REG \
  "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":6}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":1}]"
/* multi-label, I=3 -> 3 sigmoid */
#define ARCH_SIG \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":5}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3," \
  "\"activation\":\"sigmoid\"}]"
#define ARCH_BIDIR \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":4," \
  "\"bidirectional\":true},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":2,\"activation\":\"softmax\"}]"
/* the follower: hand-set LSTM + head whose top class is the input's */
#define ARCH_FOLLOW \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":3}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3," \
  "\"activation\":\"softmax\"}]"

static const gchar *const labels_a[] = { "a", "b", "c", "d", NULL };
static const gchar *const labels_c[] = { "yes", "no", NULL };
static const gchar *const labels_sig[] = { "x", "y", "z", NULL };
static const gchar *const labels_follow[] = { "zero", "one", "two", NULL };

static gchar *path_a, *path_b, *path_c, *path_wide, *path_reg, *path_sig,
    *path_bidir, *path_follow;
static LstmModel *model_a, *model_b, *model_c, *model_reg, *model_sig,
    *model_follow;

static LstmModel *
make_follower (void)
{
  /* gates i, f, g, o: input and output gates open, forget gate shut, so
   * h(t) = tanh(tanh(4 x(t))); the head scales h by 8 into a softmax */
  float w_ih[12 * 3] = { 0 }, w_hh[12 * 3] = { 0 };
  float b_ih[12] = { 0 }, b_hh[12] = { 0 };
  float head_w[9] = { 0 }, head_b[3] = { 0 };
  guint j;

  for (j = 0; j < 3; j++) {
    w_ih[(6 + j) * 3 + j] = 4.0f;
    b_ih[j] = 10.0f;
    b_ih[3 + j] = -10.0f;
    b_ih[9 + j] = 10.0f;
    head_w[j * 3 + j] = 8.0f;
  }
  return tu_model_new (ARCH_FOLLOW, LSTM_TASK_CLASSIFICATION, labels_follow,
      1, "rnn.weight_ih_l0", w_ih, "rnn.weight_hh_l0", w_hh,
      "rnn.bias_ih_l0", b_ih, "rnn.bias_hh_l0", b_hh, "head.weight", head_w,
      "head.bias", head_b, NULL);
}

static void
setup_models (void)
{
  g_autoptr (LstmModel) wide = NULL, bidir = NULL;

  model_a = tu_model_new (ARCH_A, LSTM_TASK_CLASSIFICATION, labels_a, 1,
      NULL);
  model_b = tu_model_new (ARCH_A, LSTM_TASK_CLASSIFICATION, labels_a, 2,
      NULL);
  model_c = tu_model_new (ARCH_C, LSTM_TASK_CLASSIFICATION, labels_c, 3,
      NULL);
  model_reg = tu_model_new (ARCH_REG, LSTM_TASK_REGRESSION, NULL, 4, NULL);
  model_sig = tu_model_new (ARCH_SIG, LSTM_TASK_CLASSIFICATION, labels_sig,
      5, NULL);
  model_follow = make_follower ();
  wide = tu_model_new (ARCH_WIDE, LSTM_TASK_CLASSIFICATION, labels_a, 6,
      NULL);
  bidir = tu_model_new (ARCH_BIDIR, LSTM_TASK_CLASSIFICATION, labels_c, 7,
      NULL);
  path_a = tu_model_save (model_a, "a.safetensors");
  path_b = tu_model_save (model_b, "b.safetensors");
  path_c = tu_model_save (model_c, "c.safetensors");
  path_reg = tu_model_save (model_reg, "reg.safetensors");
  path_sig = tu_model_save (model_sig, "sig.safetensors");
  path_follow = tu_model_save (model_follow, "follow.safetensors");
  path_wide = tu_model_save (wide, "wide.safetensors");
  path_bidir = tu_model_save (bidir, "bidir.safetensors");
}

static void
teardown_models (void)
{
  lstm_model_unref (model_a);
  lstm_model_unref (model_b);
  lstm_model_unref (model_c);
  lstm_model_unref (model_reg);
  lstm_model_unref (model_sig);
  lstm_model_unref (model_follow);
  g_free (path_a);
  g_free (path_b);
  g_free (path_c);
  g_free (path_reg);
  g_free (path_sig);
  g_free (path_follow);
  g_free (path_wide);
  g_free (path_bidir);
}

/* ---- harness helpers ---- */

static GstHarness *
harness_new (const gchar *model, GstBus **bus, const gchar *first_prop, ...)
{
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstHarness *h;
  va_list ap;

  g_assert_nonnull (e);
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  if (model != NULL)
    g_object_set (e, "model", model, NULL);
  va_start (ap, first_prop);
  if (first_prop != NULL)
    g_object_set_valist (G_OBJECT (e), first_prop, ap);
  va_end (ap);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

/* Tests pop the errors and warnings they expect: no other may be left. */
static void
assert_no_problem (GstBus *bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus,
      GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

  if (msg != NULL) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &error, &debug);
    else
      gst_message_parse_warning (msg, &error, &debug);
    g_error ("unexpected %s: %s (%s)", GST_MESSAGE_TYPE_NAME (msg),
        error->message, debug ? debug : "");
  }
}

/* After a refused caps event each new buffer retries the negotiation and
 * the error comes again: those repeats are dropped, checking they are the
 * same error. */
static void
drop_repeated_errors (GstBus *bus, GQuark domain, gint code)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) != NULL) {
    g_autoptr (GError) error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    g_assert_error (error, domain, code);
    gst_message_unref (msg);
  }
}

static void
harness_free (GstHarness *h, GstBus *bus)
{
  assert_no_problem (bus);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}

static gchar *
audio_caps (guint dim)
{
  /* any channel-mask is accepted on input: give a positioned one */
  if (dim > 1)
    return g_strdup_printf ("audio/x-raw,format=F32LE,layout=interleaved,"
        "channels=%u,rate=%u,channel-mask=(bitmask)0x%x", dim, RATE,
        (1u << dim) - 1);
  return g_strdup_printf ("audio/x-raw,format=F32LE,layout=interleaved,"
      "channels=1,rate=%u", RATE);
}

static GstClockTime
frame_ts (guint64 frame)
{
  return gst_util_uint64_scale (frame, GST_SECOND, RATE);
}

/* Pushes frames [start, start + n) of @x as one buffer timed at RATE. */
static GstFlowReturn
push_frames (GstHarness *h, const float *x, guint dim, guint64 start,
    gsize n, gboolean discont)
{
  GstBuffer *buf = tu_frames_buffer (x + start * dim, n, dim,
      frame_ts (start), frame_ts (start + n) - frame_ts (start));
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return gst_harness_push (h, buf);
}

/* Pulls one buffer and checks its contents and timestamps. */
static void
pull_check (GstHarness *h, const float *expect, guint dim, guint64 start,
    gsize n)
{
  GstBuffer *out = gst_harness_pull (h);

  g_assert_nonnull (out);
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, frame_ts (start));
  g_assert_cmpuint (GST_BUFFER_DURATION (out), ==,
      frame_ts (start + n) - frame_ts (start));
  tu_assert_buffer_floats (out, expect + start * dim, n, dim);
  gst_buffer_unref (out);
}

static const gchar *
error_message (GstBus *bus, GstMessageType type, GQuark domain, gint code)
{
  static gchar text[1024];
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;

  g_assert_nonnull (msg);
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &error, &debug);
  else
    gst_message_parse_warning (msg, &error, &debug);
  g_assert_error (error, domain, code);
  g_snprintf (text, sizeof text, "%s | %s", error->message,
      debug ? debug : "");
  gst_message_unref (msg);
  return text;
}

/* Caps the element may refuse: a sticky event is stored even when
 * refused, so the push result says nothing; a segment follows. */
static void
push_caps (GstHarness *h, GstCaps *caps)
{
  GstSegment seg;

  gst_harness_push_event (h, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
}

/* ---- caps ---- */

static void
check_audio_caps (GstHarness *h, guint channels)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *s;
  gint v = 0;
  guint64 mask = 1;

  g_assert_nonnull (caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "audio/x-raw"));
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "F32LE");
  g_assert_cmpstr (gst_structure_get_string (s, "layout"), ==,
      "interleaved");
  g_assert_true (gst_structure_get_int (s, "channels", &v));
  g_assert_cmpint (v, ==, channels);
  g_assert_true (gst_structure_get_int (s, "rate", &v));
  g_assert_cmpint (v, ==, RATE);
  if (channels > 1) {
    g_assert_true (gst_structure_get (s, "channel-mask", GST_TYPE_BITMASK,
            &mask, NULL));
    g_assert_cmpuint (mask, ==, 0);
  } else {
    g_assert_false (gst_structure_has_field (s, "channel-mask"));
  }
}

static void
test_caps_audio (void)
{
  g_autofree float *x = tu_random_frames (20, 3, 11, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 20);
  g_autofree float *ref1 = tu_reference (model_reg, x, 20);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 20, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 0, 20);
  check_audio_caps (h, 4);
  harness_free (h, bus);

  /* one output value: no channel-mask */
  h = harness_new (path_reg, &bus, NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 20, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref1, 1, 0, 20);
  check_audio_caps (h, 1);
  harness_free (h, bus);
}

static void
test_caps_tensors (void)
{
  g_autofree float *x = tu_random_frames (15, 3, 12, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 15);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  g_autoptr (GstCaps) caps = NULL;
  GstStructure *s;
  gint n = 0, d = 0;
  guint k;

  /* trailing :1 dimensions are accepted */
  gst_harness_set_src_caps_str (h, "other/tensors,format=(string)static,"
      "num_tensors=(int)1,types=(string)float32,"
      "dimensions=(string)3:5:1:1,framerate=(fraction)20/1");
  for (k = 0; k < 3; k++) {
    g_assert_cmpint (push_frames (h, x, 3, 5 * k, 5, k == 0), ==,
        GST_FLOW_OK);
    pull_check (h, ref, 4, 5 * k, 5);
  }
  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "other/tensors"));
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "static");
  g_assert_true (gst_structure_get_int (s, "num_tensors", &n));
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpstr (gst_structure_get_string (s, "types"), ==, "float32");
  g_assert_true (G_VALUE_HOLDS_STRING (gst_structure_get_value (s,
              "dimensions")));
  g_assert_cmpstr (gst_structure_get_string (s, "dimensions"), ==, "4:5");
  g_assert_true (gst_structure_get_fraction (s, "framerate", &n, &d));
  g_assert_cmpint (n, ==, 20);
  g_assert_cmpint (d, ==, 1);
  harness_free (h, bus);
}

/* Unquoted, D:N parses as a GstFlagSet (flags:mask in hex; fixed when the
 * mask is full): refused, saying how to write the dimensions. */
static void
test_caps_tensors_unquoted (void)
{
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  g_autofree float *x = tu_random_frames (5, 3, 13, 1.0f);
  GstCaps *caps = gst_caps_from_string ("other/tensors,format=(string)static,"
      "num_tensors=(int)1,types=(string)float32,dimensions=3:ffffffff,"
      "framerate=(fraction)20/1");
  const gchar *text;

  g_assert_nonnull (caps);
  g_assert_false (G_VALUE_HOLDS_STRING (gst_structure_get_value
          (gst_caps_get_structure (caps, 0), "dimensions")));
  push_caps (h, caps);
  text = error_message (bus, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (text, "dimensions=(string)D:N"));
  g_assert_cmpint (push_frames (h, x, 3, 0, 5, TRUE), ==,
      GST_FLOW_NOT_NEGOTIATED);
  drop_repeated_errors (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  harness_free (h, bus);
}

/* Frames of 2 values for a model taking 3: not negotiated, and the error
 * names both sizes. */
static void
test_caps_mismatch (void)
{
  const gchar *families[] = {
    "audio/x-raw,format=F32LE,layout=interleaved,channels=2,rate=100",
    "other/tensors,format=(string)static,num_tensors=(int)1,"
        "types=(string)float32,dimensions=(string)2:4,"
        "framerate=(fraction)25/1",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (families); i++) {
    GstBus *bus;
    GstHarness *h = harness_new (path_a, &bus, NULL);
    g_autofree float *x = tu_random_frames (4, 2, 14, 1.0f);
    const gchar *text;

    push_caps (h, gst_caps_from_string (families[i]));
    text = error_message (bus, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
        GST_STREAM_ERROR_FORMAT);
    g_assert_nonnull (strstr (text, "Frames have 2 values"));
    g_assert_nonnull (strstr (text, "takes 3 per frame"));
    g_assert_cmpint (push_frames (h, x, 2, 0, 4, TRUE), ==,
        GST_FLOW_NOT_NEGOTIATED);
    drop_repeated_errors (bus, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
    harness_free (h, bus);
  }
}

/* ---- errors at start ---- */

static void
expect_start_error (const gchar *model, GQuark domain, gint code,
    const gchar *needle)
{
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstBus *bus = gst_bus_new ();
  const gchar *text;

  gst_element_set_bus (e, bus);
  g_object_set (e, "model", model, NULL);
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  text = error_message (bus, GST_MESSAGE_ERROR, domain, code);
  g_assert_nonnull (strstr (text, needle));
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
}

static void
test_model_missing (void)
{
  g_autofree gchar *path = tu_tmp_path ("no-such-model.safetensors");

  expect_start_error (path, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      "no-such-model.safetensors");
}

static void
test_model_invalid (void)
{
  g_autofree gchar *path = tu_tmp_path ("garbage.safetensors");

  g_assert_true (g_file_set_contents (path, "not a model at all", -1, NULL));
  expect_start_error (path, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      "garbage.safetensors");
}

/* max-model-size: a model file larger is refused before it is read, at
 * start and when swapped in while streaming (the old model kept). */
static void
test_model_max_size (void)
{
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstBus *bus = gst_bus_new ();
  guint64 size = 0;
  const gchar *text;

  gst_element_set_bus (e, bus);
  g_object_get (e, "max-model-size", &size, NULL);
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (2) << 30);
  g_object_set (e, "model", path_a, "max-model-size", (guint64) 100, NULL);
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  text = error_message (bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "more than the limit of 100"));
  gst_element_set_state (e, GST_STATE_NULL);
  /* within the limit it starts; a larger model swapped in is refused */
  g_object_set (e, "max-model-size", (guint64) 1 << 20, NULL);
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_object_set (e, "max-model-size", (guint64) 100, "model", path_b, NULL);
  text = error_message (bus, GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  g_assert_nonnull (strstr (text, "keeping the current model"));
  g_assert_nonnull (strstr (text, "more than the limit of 100"));
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
}

static void
test_model_bidirectional (void)
{
  expect_start_error (path_bidir, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "bidirectional");
}

static void
test_model_none (void)
{
  GstBus *bus;
  GstHarness *h = harness_new (NULL, &bus, NULL);
  g_autofree gchar *caps = audio_caps (3);
  const gchar *text;

  push_caps (h, gst_caps_from_string (caps));
  text = error_message (bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (text, "'model' property"));
  drop_repeated_errors (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  harness_free (h, bus);
}

/* ---- timestamps, chunking, pool ---- */

static void
test_timestamps (void)
{
  static const gsize sizes[] = { 1, 7, 3, 64, 100, 1, 17, 2 };
  gsize total = 0, start = 0;
  guint k;
  g_autofree float *x = NULL, *ref = NULL;
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h;

  for (k = 0; k < G_N_ELEMENTS (sizes); k++)
    total += sizes[k];
  x = tu_random_frames (total, 3, 15, 3.0f);
  ref = tu_reference (model_a, x, total);
  h = harness_new (path_a, &bus, NULL);
  gst_harness_set_src_caps_str (h, caps);
  for (k = 0; k < G_N_ELEMENTS (sizes); k++) {
    GstBuffer *out;
    g_assert_cmpint (push_frames (h, x, 3, start, sizes[k], k == 0), ==,
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    /* outputs come from the element's pool, not a fresh allocation */
    g_assert_nonnull (out->pool);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, frame_ts (start));
    g_assert_cmpuint (GST_BUFFER_DURATION (out), ==,
        frame_ts (start + sizes[k]) - frame_ts (start));
    tu_assert_buffer_floats (out, ref + start * 4, sizes[k], 4);
    gst_buffer_unref (out);
    start += sizes[k];
  }
  harness_free (h, bus);
}

/* Input memory at an odd address (as a parser's sub-buffer can be). */
static void
test_unaligned_input (void)
{
  g_autofree float *x = tu_random_frames (9, 3, 16, 1.0f);
  g_autofree float *ref = tu_reference (model_a, x, 9);
  g_autofree guint8 *raw = g_malloc (9 * 12 + 1);
  g_autofree gchar *caps = audio_caps (3);
  GstBuffer *buf, *sub;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);

  memcpy (raw + 1, x, 9 * 12);
  buf = gst_buffer_new_memdup (raw, 9 * 12 + 1);
  sub = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 1, 9 * 12);
  gst_buffer_unref (buf);
  GST_BUFFER_PTS (sub) = 0;
  GST_BUFFER_DURATION (sub) = frame_ts (9);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (gst_harness_push (h, sub), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 0, 9);
  harness_free (h, bus);
}

/* A buffer that is not a whole number of frames is an error. */
static void
test_partial_frame_buffer (void)
{
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 13, NULL);
  const gchar *text;

  gst_buffer_memset (buf, 0, 0, 13);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_ERROR);
  text = error_message (bus, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (text, "13 bytes"));
  harness_free (h, bus);
}

static GstClockTime get_time (const GstStructure *s, const gchar *field);

/* ---- resets ---- */

typedef enum {
  TRIGGER_DISCONT,
  TRIGGER_GAP_EVENT,
  TRIGGER_GAP_BUFFER,
  TRIGGER_FLUSH,
  TRIGGER_STREAM_START,
  TRIGGER_SEGMENT,
  TRIGGER_SIGNAL,
  TRIGGER_SEGMENT_UPDATE,
} Trigger;

typedef struct {
  const gchar *name;
  Trigger trigger;
  gboolean reset_on_discont;
  gboolean resets;
} ResetCase;

static const ResetCase reset_cases[] = {
  { "discont", TRIGGER_DISCONT, TRUE, TRUE },
  { "discont-off", TRIGGER_DISCONT, FALSE, FALSE },
  { "gap-event", TRIGGER_GAP_EVENT, TRUE, TRUE },
  { "gap-event-off", TRIGGER_GAP_EVENT, FALSE, FALSE },
  { "gap-buffer", TRIGGER_GAP_BUFFER, TRUE, TRUE },
  { "flush", TRIGGER_FLUSH, TRUE, TRUE },
  { "flush-discont-off", TRIGGER_FLUSH, FALSE, TRUE },
  { "stream-start", TRIGGER_STREAM_START, FALSE, TRUE },
  { "segment", TRIGGER_SEGMENT, FALSE, TRUE },
  { "segment-update", TRIGGER_SEGMENT_UPDATE, TRUE, FALSE },
  { "signal", TRIGGER_SIGNAL, FALSE, TRUE },
};

/* 12 frames, the trigger, 10 more frames: the second part must equal a
 * fresh-state run of those 10 frames when the trigger resets, and the
 * continuation of the first part otherwise. A reset also posts the pending
 * prediction first (message-interval 5: 12 frames leave 2 pending), so the
 * second part brings 3 messages with a reset, 2 without. */
static void
test_reset (gconstpointer data)
{
  const ResetCase *c = data;
  const gsize n1 = 12, n2 = 10;
  g_autofree float *x = tu_random_frames (n1 + n2, 3, 17, 2.0f);
  g_autofree float *cont = tu_reference (model_a, x, n1 + n2);
  g_autofree float *fresh = tu_reference (model_a, x + n1 * 3, n2);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "reset-on-discont",
      c->reset_on_discont, "message-interval", 5, NULL);
  GstSegment seg;
  GstBuffer *out;
  gboolean discont = FALSE;
  const GstStructure *s;

  /* the test can tell a reset from none */
  g_assert_true (memcmp (fresh, cont + n1 * 4, n2 * 4 * sizeof (float)) != 0);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, n1, TRUE), ==, GST_FLOW_OK);
  pull_check (h, cont, 4, 0, n1);
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 2);
  g_clear_pointer (&msgs, g_ptr_array_unref);

  switch (c->trigger) {
    case TRIGGER_DISCONT:
      discont = TRUE;
      break;
    case TRIGGER_GAP_EVENT:
      g_assert_true (gst_harness_push_event (h,
              gst_event_new_gap (frame_ts (n1), 0)));
      break;
    case TRIGGER_GAP_BUFFER:{
      /* 3 frames flagged GAP: zeros out, flagged GAP, and their data
       * leaves no trace in the state */
      GstBuffer *gap = tu_frames_buffer (x, 3, 3, frame_ts (n1),
          frame_ts (3));
      float zeros[12] = { 0 };
      GST_BUFFER_FLAG_SET (gap, GST_BUFFER_FLAG_GAP);
      g_assert_cmpint (gst_harness_push (h, gap), ==, GST_FLOW_OK);
      out = gst_harness_pull (h);
      g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP));
      tu_assert_buffer_floats (out, zeros, 3, 4);
      gst_buffer_unref (out);
      break;
    }
    case TRIGGER_FLUSH:
      g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
      g_assert_true (gst_harness_push_event (h,
              gst_event_new_flush_stop (TRUE)));
      gst_segment_init (&seg, GST_FORMAT_TIME);
      g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
      break;
    case TRIGGER_STREAM_START:
      g_assert_true (gst_harness_push_event (h,
              gst_event_new_stream_start ("second")));
      break;
    case TRIGGER_SEGMENT:
      gst_segment_init (&seg, GST_FORMAT_TIME);
      seg.base = 5 * GST_SECOND;
      g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
      break;
    case TRIGGER_SEGMENT_UPDATE:
      gst_segment_init (&seg, GST_FORMAT_TIME);
      seg.stop = 100 * GST_SECOND;
      g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
      break;
    case TRIGGER_SIGNAL:
      g_signal_emit_by_name (h->element, "reset");
      break;
  }

  g_assert_cmpint (push_frames (h, x, 3, n1, n2, discont), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, frame_ts (n1));
  if (c->resets)
    tu_assert_buffer_floats (out, fresh, n2, 4);
  else
    tu_assert_buffer_floats (out, cont + n1 * 4, n2, 4);
  gst_buffer_unref (out);

  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, c->resets ? 3 : 2);
  s = gst_message_get_structure (msgs->pdata[0]);
  if (c->resets) {
    /* the 2 frames pending at the reset */
    g_assert_cmpuint (get_time (s, "timestamp"), ==, frame_ts (10));
    g_assert_cmpuint (get_time (s, "duration"), ==, frame_ts (12) -
        frame_ts (10));
  } else {
    g_assert_cmpuint (get_time (s, "timestamp"), ==, frame_ts (10));
    g_assert_cmpuint (get_time (s, "duration"), ==, frame_ts (15) -
        frame_ts (10));
  }
  harness_free (h, bus);
}

/* reset-interval=5 over 23 frames in buffers of 3, 4, 9, 7: fresh state
 * at frames 5, 10, 15, 20. */
static void
test_reset_interval (void)
{
  static const gsize pushes[] = { 3, 4, 9, 7 };
  static const gsize blocks[] = { 5, 5, 5, 5, 3 };
  g_autofree float *x = tu_random_frames (23, 3, 18, 2.0f);
  g_autofree float *ref = tu_reference_blocks (model_a, x, blocks, 5);
  g_autofree float *cont = tu_reference (model_a, x, 23);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "reset-interval",
      (guint64) 5, NULL);
  gsize start = 0;
  guint k;

  g_assert_true (memcmp (ref + 5 * 4, cont + 5 * 4, 4 * sizeof (float)));
  gst_harness_set_src_caps_str (h, caps);
  for (k = 0; k < G_N_ELEMENTS (pushes); k++) {
    g_assert_cmpint (push_frames (h, x, 3, start, pushes[k], k == 0), ==,
        GST_FLOW_OK);
    pull_check (h, ref, 4, start, pushes[k]);
    start += pushes[k];
  }
  harness_free (h, bus);
}

/* ---- hot swap ---- */

static void
test_hot_swap (void)
{
  g_autofree float *x = tu_random_frames (20, 3, 19, 2.0f);
  g_autofree float *ref_a = tu_reference (model_a, x, 20);
  g_autofree float *ref_b = tu_reference (model_b, x + 8 * 3, 12);
  g_autofree gchar *caps = audio_caps (3);
  g_autofree gchar *now = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);

  gst_harness_set_src_caps_str (h, caps);
  g_assert_true (memcmp (ref_b, ref_a + 8 * 4, 12 * 4 * sizeof (float)));
  g_assert_cmpint (push_frames (h, x, 3, 0, 8, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref_a, 4, 0, 8);
  g_object_set (h->element, "model", path_b, NULL);
  g_object_get (h->element, "model", &now, NULL);
  g_assert_cmpstr (now, ==, path_b);
  /* model B from a fresh state */
  g_assert_cmpint (push_frames (h, x, 3, 8, 12, FALSE), ==, GST_FLOW_OK);
  {
    GstBuffer *out = gst_harness_pull (h);
    tu_assert_buffer_floats (out, ref_b, 12, 4);
    gst_buffer_unref (out);
  }
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  harness_free (h, bus);
}

/* Another output size: new caps downstream before the next buffer. */
static void
test_hot_swap_output_size (void)
{
  g_autofree float *x = tu_random_frames (20, 3, 20, 2.0f);
  g_autofree float *ref_a = tu_reference (model_a, x, 20);
  g_autofree float *ref_c = tu_reference (model_c, x + 8 * 3, 12);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 8, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref_a, 4, 0, 8);
  check_audio_caps (h, 4);
  g_object_set (h->element, "model", path_c, NULL);
  g_assert_cmpint (push_frames (h, x, 3, 8, 12, FALSE), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_audio_caps (h, 2);
  tu_assert_buffer_floats (out, ref_c, 12, 2);
  gst_buffer_unref (out);
  harness_free (h, bus);
}

/* Refused models: a missing file, another input size, a bidirectional
 * model. A WARNING each, and model A carries on with its state. */
static void
test_hot_swap_refused (void)
{
  g_autofree float *x = tu_random_frames (20, 3, 21, 2.0f);
  g_autofree float *ref_a = tu_reference (model_a, x, 20);
  g_autofree gchar *caps = audio_caps (3);
  g_autofree gchar *missing = tu_tmp_path ("missing.safetensors");
  struct {
    const gchar *path;
    GQuark domain;
    gint code;
    const gchar *needle;
  } refused[] = {
    { missing, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "missing.safetensors" },
    { path_wide, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "takes frames of 5 values but the stream has 3" },
    { path_bidir, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "bidirectional" },
  };
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  guint k;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 5, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref_a, 4, 0, 5);
  for (k = 0; k < G_N_ELEMENTS (refused); k++) {
    g_autofree gchar *now = NULL;
    const gchar *text;

    g_object_set (h->element, "model", refused[k].path, NULL);
    text = error_message (bus, GST_MESSAGE_WARNING, refused[k].domain,
        refused[k].code);
    g_assert_nonnull (strstr (text, refused[k].needle));
    g_object_get (h->element, "model", &now, NULL);
    g_assert_cmpstr (now, ==, path_a);
    g_assert_cmpint (push_frames (h, x, 3, 5 + 5 * k, 5, FALSE), ==,
        GST_FLOW_OK);
    pull_check (h, ref_a, 4, 5 + 5 * k, 5);
  }
  harness_free (h, bus);
}

/* Started without a model: caps wait for one; a model set while running
 * is used from the next buffer. */
static void
test_model_set_while_running (void)
{
  g_autofree float *x = tu_random_frames (6, 3, 30, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 6);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (NULL, &bus, NULL);

  g_object_set (h->element, "model", path_a, NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 6, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 0, 6);
  check_audio_caps (h, 4);
  harness_free (h, bus);
}

typedef struct {
  GstHarness *h;
  const float *x;
  guint n_buffers;
  gint swaps;
  gboolean done;
} PushThread;

static gpointer
push_thread (gpointer data)
{
  PushThread *p = data;
  guint k;

  for (k = 0; k < p->n_buffers; k++) {
    /* halfway, make sure the other thread has swapped at least twice, so
     * that swaps happen while buffers flow however busy the machine is */
    while (k == p->n_buffers / 2 && g_atomic_int_get (&p->swaps) < 2)
      g_usleep (100);
    g_assert_cmpint (push_frames (p->h, p->x, 3, 5 * k, 5, k == 0), ==,
        GST_FLOW_OK);
  }
  g_atomic_int_set (&p->done, TRUE);
  return NULL;
}

/* The model swapped back and forth from this thread while another one
 * streams: every output is a whole buffer of softmax frames. */
static void
test_hot_swap_concurrent (void)
{
  const guint n_buffers = 200;
  g_autofree float *x = tu_random_frames (5 * n_buffers, 3, 31, 2.0f);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 7, NULL);
  PushThread p = { h, x, n_buffers, 0, FALSE };
  GThread *t;
  guint k, swaps = 0;

  gst_harness_set_src_caps_str (h, caps);
  t = g_thread_new ("push", push_thread, &p);
  while (!g_atomic_int_get (&p.done)) {
    g_object_set (h->element, "model", swaps % 2 ? path_a : path_b, NULL);
    swaps++;
    g_atomic_int_set (&p.swaps, (gint) swaps);
    g_usleep (200);
  }
  g_thread_join (t);
  g_assert_cmpuint (swaps, >, 1);
  for (k = 0; k < n_buffers; k++) {
    GstBuffer *out = gst_harness_pull (h);
    GstMapInfo map;
    const float *o;
    guint f, j;

    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, frame_ts (5 * k));
    g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
    g_assert_cmpuint (map.size, ==, 5 * 4 * sizeof (float));
    o = (const float *) map.data;
    for (f = 0; f < 5; f++) {
      double sum = 0.0;
      for (j = 0; j < 4; j++) {
        g_assert_cmpfloat (o[f * 4 + j], >=, 0.0f);
        sum += o[f * 4 + j];
      }
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-5);
    }
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));
  harness_free (h, bus);
}

/* output-mode changed while running: scores, passthrough, scores. */
static void
test_output_mode_switch (void)
{
  g_autofree float *x = tu_random_frames (15, 3, 32, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 15);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  GstLstmMeta *meta;
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 5, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 0, 5);
  check_audio_caps (h, 4);

  g_object_set (h->element, "output-mode", 1, NULL);
  g_assert_cmpint (push_frames (h, x, 3, 5, 5, FALSE), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  {
    /* passthrough: the input caps, channel-mask included */
    g_autoptr (GstCaps) in_caps = gst_caps_from_string (caps);
    g_autoptr (GstCaps) out_caps = gst_pad_get_current_caps (h->sinkpad);
    g_assert_true (gst_caps_is_equal (in_caps, out_caps));
  }
  tu_assert_buffer_floats (out, x + 5 * 3, 5, 3);
  meta = gst_buffer_get_lstm_meta (out);
  g_assert_nonnull (meta);
  g_assert_cmpmem (meta->scores, 5 * 4 * sizeof (float), ref + 5 * 4,
      5 * 4 * sizeof (float));
  gst_buffer_unref (out);

  g_object_set (h->element, "output-mode", 0, NULL);
  g_assert_cmpint (push_frames (h, x, 3, 10, 5, FALSE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 10, 5);
  check_audio_caps (h, 4);
  harness_free (h, bus);
}

/* ---- messages ---- */

static GstClockTime
get_time (const GstStructure *s, const gchar *field)
{
  guint64 v = 0;
  g_assert_true (gst_structure_get_uint64 (s, field, &v));
  return v;
}

static void
check_double_array (const GstStructure *s, const gchar *field,
    const double *expect, guint n)
{
  const GValue *arr = gst_structure_get_value (s, field);
  guint j;

  g_assert_nonnull (arr);
  g_assert_true (GST_VALUE_HOLDS_ARRAY (arr));
  g_assert_cmpuint (gst_value_array_get_size (arr), ==, n);
  for (j = 0; j < n; j++) {
    const GValue *v = gst_value_array_get_value (arr, j);
    g_assert_true (G_VALUE_HOLDS_DOUBLE (v));
    g_assert_cmpfloat_with_epsilon (g_value_get_double (v), expect[j],
        1e-12);
  }
}

/* Means over [start, start + n) of @ref (n_out values a frame). */
static void
mean_of (const float *ref, guint n_out, gsize start, gsize n, double *mean)
{
  gsize t;
  guint j;

  for (j = 0; j < n_out; j++) {
    double sum = 0.0;
    for (t = start; t < start + n; t++)
      sum += ref[t * n_out + j];
    mean[j] = sum / n;
  }
}

/* message-interval=4 over 10 frames in buffers of 3, 3, 4 and a segment
 * with base 1 s and time 10 s: predictions for frames 0-3, 4-7 and, at
 * EOS, 8-9; fields, means, times and contiguity checked. */
static void
test_messages_prediction (void)
{
  static const gsize pushes[] = { 3, 3, 4 };
  static const gsize spans[][2] = { { 0, 4 }, { 4, 4 }, { 8, 2 } };
  g_autofree float *x = tu_random_frames (10, 3, 22, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 10);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 4, NULL);
  GstSegment seg;
  gsize start = 0;
  guint k;

  gst_harness_set_src_caps_str (h, caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = GST_SECOND;
  seg.time = 10 * GST_SECOND;
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  for (k = 0; k < G_N_ELEMENTS (pushes); k++) {
    g_assert_cmpint (push_frames (h, x, 3, start, pushes[k], k == 0), ==,
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
    start += pushes[k];
  }
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 2);
  g_ptr_array_unref (msgs);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 1);
  g_ptr_array_unref (msgs);

  /* again, all three at once, to check them */
  harness_free (h, bus);
  h = harness_new (path_a, &bus, "message-interval", 4, NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  for (start = 0, k = 0; k < G_N_ELEMENTS (pushes); k++) {
    g_assert_cmpint (push_frames (h, x, 3, start, pushes[k], k == 0), ==,
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
    start += pushes[k];
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 3);
  for (k = 0; k < msgs->len; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    GstClockTime ts = get_time (s, "timestamp");
    GstClockTime dur = get_time (s, "duration");
    double mean[4], conf = 0.0;
    gint index = -2, best = 0, j;

    g_assert_true (GST_MESSAGE_SRC (msgs->pdata[k]) ==
        GST_OBJECT (h->element));
    mean_of (ref, 4, spans[k][0], spans[k][1], mean);
    for (j = 1; j < 4; j++)
      if (mean[j] > mean[best])
        best = j;
    g_assert_cmpuint (ts, ==, frame_ts (spans[k][0]));
    g_assert_cmpuint (dur, ==, frame_ts (spans[k][0] + spans[k][1]) - ts);
    g_assert_cmpuint (get_time (s, "stream-time"), ==, ts + 10 * GST_SECOND);
    g_assert_cmpuint (get_time (s, "running-time"), ==, ts + GST_SECOND);
    if (k > 0) {
      const GstStructure *p = gst_message_get_structure (msgs->pdata[k - 1]);
      /* contiguous: ts1 + dur1 == ts2 */
      g_assert_cmpuint (get_time (p, "timestamp") + get_time (p, "duration"),
          ==, ts);
    }
    g_assert_true (gst_structure_get_int (s, "index", &index));
    g_assert_cmpint (index, ==, best);
    g_assert_cmpstr (gst_structure_get_string (s, "label"), ==,
        labels_a[best]);
    g_assert_true (gst_structure_get_double (s, "confidence", &conf));
    g_assert_cmpfloat_with_epsilon (conf, mean[best], 1e-12);
    check_double_array (s, "scores", mean, 4);
    g_assert_false (gst_structure_has_field (s, "values"));
    g_assert_false (gst_structure_has_field (s, "labels"));
  }
  harness_free (h, bus);
}

/* Buffers without a duration, then without timestamps: frame times come
 * from the caps' rate, continuing from the last frame. */
static void
test_messages_times_from_rate (void)
{
  g_autofree float *x = tu_random_frames (12, 3, 33, 2.0f);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 3, NULL);
  guint k;

  gst_harness_set_src_caps_str (h, caps);
  for (k = 0; k < 3; k++) {
    GstBuffer *buf = tu_frames_buffer (x + 4 * k * 3, 4, 3,
        k == 0 ? frame_ts (0) : GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
    if (k == 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 4);
  for (k = 0; k < 4; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    g_assert_cmpuint (get_time (s, "timestamp"), ==, frame_ts (3 * k));
    g_assert_cmpuint (get_time (s, "duration"), ==, frame_ts (3 * k + 3) -
        frame_ts (3 * k));
  }
  harness_free (h, bus);
}

static void
test_messages_threshold_unknown (void)
{
  g_autofree float *x = tu_random_frames (10, 3, 23, 2.0f);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  /* four classes average to < 0.99 */
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 10,
      "threshold", 0.99, NULL);
  const GstStructure *s;
  gint index = 0;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 10, TRUE), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 1);
  s = gst_message_get_structure (msgs->pdata[0]);
  g_assert_cmpstr (gst_structure_get_string (s, "label"), ==, "unknown");
  g_assert_true (gst_structure_get_int (s, "index", &index));
  g_assert_cmpint (index, ==, -1);
  harness_free (h, bus);
}

static void
test_messages_values (void)
{
  g_autofree float *x = tu_random_frames (6, 3, 24, 2.0f);
  g_autofree float *ref = tu_reference (model_reg, x, 6);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL, segs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_reg, &bus, "message-interval", 3, NULL);
  guint k;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 6, TRUE), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 2);
  for (k = 0; k < 2; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    double mean[1];
    mean_of (ref, 1, 3 * k, 3, mean);
    check_double_array (s, "values", mean, 1);
    g_assert_false (gst_structure_has_field (s, "label"));
    g_assert_false (gst_structure_has_field (s, "index"));
    g_assert_false (gst_structure_has_field (s, "confidence"));
    g_assert_false (gst_structure_has_field (s, "scores"));
  }
  /* no segments for a regression model */
  segs = tu_pop_element_messages (bus, "lstm-segment");
  g_assert_cmpuint (segs->len, ==, 0);
  harness_free (h, bus);
}

static void
test_messages_multi_label (void)
{
  g_autofree float *x = tu_random_frames (4, 3, 25, 2.0f);
  g_autofree float *ref = tu_reference (model_sig, x, 4);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h;
  const GstStructure *s;
  const GValue *arr;
  double mean[3], thr;
  guint j, i = 0;

  mean_of (ref, 3, 0, 4, mean);
  /* a threshold between the scores: some labels in, some out */
  thr = (MIN (mean[0], MIN (mean[1], mean[2])) +
      MAX (mean[0], MAX (mean[1], mean[2]))) / 2;
  h = harness_new (path_sig, &bus, "message-interval", 4, "threshold", thr,
      NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 4, TRUE), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 1);
  s = gst_message_get_structure (msgs->pdata[0]);
  check_double_array (s, "scores", mean, 3);
  arr = gst_structure_get_value (s, "labels");
  g_assert_nonnull (arr);
  g_assert_true (GST_VALUE_HOLDS_ARRAY (arr));
  for (j = 0; j < 3; j++)
    if (mean[j] >= thr) {
      const GValue *v = gst_value_array_get_value (arr, i++);
      g_assert_cmpstr (g_value_get_string (v), ==, labels_sig[j]);
    }
  g_assert_cmpuint (i, >, 0);
  g_assert_cmpuint (i, <, 3);
  g_assert_cmpuint (gst_value_array_get_size (arr), ==, i);
  harness_free (h, bus);
}

static void
test_messages_none (void)
{
  g_autofree float *x = tu_random_frames (30, 3, 26, 2.0f);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 0, NULL);

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 30, TRUE), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 0);
  harness_free (h, bus);
}

/* ---- segments ---- */

/* One-hot frames following @classes (runs of (class, frames)), -1 for an
 * ambiguous frame between classes 0 and 1. */
static float *
label_stream (const gint (*runs)[2], guint n_runs, gsize *n)
{
  gsize total = 0, t = 0;
  guint r;
  gint k;
  float *x;

  for (r = 0; r < n_runs; r++)
    total += runs[r][1];
  x = g_new0 (float, total * 3);
  for (r = 0; r < n_runs; r++)
    for (k = 0; k < runs[r][1]; k++, t++) {
      if (runs[r][0] < 0) {
        x[t * 3 + 0] = 0.5f;
        x[t * 3 + 1] = 0.5f;
      } else {
        x[t * 3 + runs[r][0]] = 1.0f;
      }
    }
  *n = total;
  return x;
}

typedef struct {
  const gchar *label;
  gint start;
  gint end;
} ExpectSeg;

static void
run_segments (const gint (*runs)[2], guint n_runs, const ExpectSeg *expect,
    guint n_expect, const gchar *first_prop, ...)
{
  gsize n, start = 0;
  g_autofree float *x = label_stream (runs, n_runs, &n);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) segs = NULL;
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  va_list ap;
  guint k;

  gst_element_set_bus (e, bus);
  g_object_set (e, "model", path_follow, "message-interval", 0, NULL);
  va_start (ap, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, ap);
  va_end (ap);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  /* in buffers of 7 frames: segments straddle buffers */
  while (start < n) {
    gsize m = MIN (7, n - start);
    g_assert_cmpint (push_frames (h, x, 3, start, m, start == 0), ==,
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
    start += m;
  }
  segs = tu_pop_element_messages (bus, "lstm-segment");
  /* the last one is posted at EOS */
  g_assert_cmpuint (segs->len, ==, n_expect - 1);
  g_ptr_array_unref (segs);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = tu_pop_element_messages (bus, "lstm-segment");
  g_assert_cmpuint (segs->len, ==, 1);
  g_ptr_array_unref (segs);
  harness_free (h, bus);

  /* again, collecting all, to check them */
  e = gst_element_factory_make ("lstminfer", NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  g_object_set (e, "model", path_follow, "message-interval", 0, NULL);
  va_start (ap, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, ap);
  va_end (ap);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  for (start = 0; start < n;) {
    gsize m = MIN (7, n - start);
    g_assert_cmpint (push_frames (h, x, 3, start, m, start == 0), ==,
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
    start += m;
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = tu_pop_element_messages (bus, "lstm-segment");
  g_assert_cmpuint (segs->len, ==, n_expect);
  for (k = 0; k < n_expect; k++) {
    const GstStructure *s = gst_message_get_structure (segs->pdata[k]);
    double conf = 0.0;
    gint index = -2;

    g_assert_cmpstr (gst_structure_get_string (s, "label"), ==,
        expect[k].label);
    g_assert_true (gst_structure_get_int (s, "index", &index));
    if (strcmp (expect[k].label, "unknown") == 0)
      g_assert_cmpint (index, ==, -1);
    else
      g_assert_cmpstr (labels_follow[index], ==, expect[k].label);
    g_assert_cmpuint (get_time (s, "start"), ==, frame_ts (expect[k].start));
    g_assert_cmpuint (get_time (s, "end"), ==, frame_ts (expect[k].end));
    g_assert_true (gst_structure_get_double (s, "confidence", &conf));
    g_assert_cmpfloat (conf, >, 0.0);
    g_assert_cmpfloat (conf, <=, 1.0);
    if (k > 0) {
      const GstStructure *p = gst_message_get_structure (segs->pdata[k - 1]);
      g_assert_cmpuint (get_time (p, "end"), ==, get_time (s, "start"));
    }
  }
  harness_free (h, bus);
}

static void
test_segments (void)
{
  static const gint runs[][2] = { { 0, 30 }, { 1, 20 }, { 2, 25 }, { 0, 10 } };
  static const ExpectSeg expect[] = {
    { "zero", 0, 30 }, { "one", 30, 50 }, { "two", 50, 75 }, { "zero", 75, 85 },
  };
  run_segments (runs, G_N_ELEMENTS (runs), expect, G_N_ELEMENTS (expect),
      NULL);
}

/* min-segment-duration 50 ms = 5 frames: a 2-frame blip stays inside its
 * segment, a 6-frame one opens its own. */
static void
test_segments_min_duration (void)
{
  static const gint runs[][2] = {
    { 0, 20 }, { 1, 2 }, { 0, 18 }, { 2, 6 }, { 0, 14 },
  };
  static const ExpectSeg expect[] = {
    { "zero", 0, 40 }, { "two", 40, 46 }, { "zero", 46, 60 },
  };
  run_segments (runs, G_N_ELEMENTS (runs), expect, G_N_ELEMENTS (expect),
      "min-segment-duration", (guint64) (50 * GST_MSECOND), NULL);
}

/* Ambiguous frames (about 0.5 / 0.5) fall below threshold 0.9. */
static void
test_segments_threshold (void)
{
  static const gint runs[][2] = { { 0, 15 }, { -1, 10 }, { 1, 15 } };
  static const ExpectSeg expect[] = {
    { "zero", 0, 15 }, { "unknown", 15, 25 }, { "one", 25, 40 },
  };
  run_segments (runs, G_N_ELEMENTS (runs), expect, G_N_ELEMENTS (expect),
      "threshold", 0.9, NULL);
}

/* Smoothing over 5 frames delays the change by 2 frames: at frame 22 the
 * window holds 3 frames of the new label. */
static void
test_segments_smoothing (void)
{
  static const gint runs[][2] = { { 0, 20 }, { 1, 20 } };
  static const ExpectSeg expect[] = { { "zero", 0, 22 }, { "one", 22, 40 } };
  run_segments (runs, G_N_ELEMENTS (runs), expect, G_N_ELEMENTS (expect),
      "smoothing", 5, NULL);
}

/* ---- EOS with a partial chunk (tensors) ---- */

#define TENSORS_CAPS_25 "other/tensors,format=(string)static," \
  "num_tensors=(int)1,types=(string)float32,dimensions=(string)3:%u," \
  "framerate=(fraction)25/1"

/* Tensors of 4 frames a buffer; the final 2 frames are announced by new
 * caps 3:2. Outputs follow with caps 4:2; the last prediction (interval
 * 4) and the last segment come at EOS. */
static void
test_eos_partial (void)
{
  g_autofree float *x = tu_random_frames (10, 3, 27, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 10);
  g_autoptr (GPtrArray) msgs = NULL, segs = NULL;
  g_autoptr (GstCaps) out_caps = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 4, NULL);
  g_autofree gchar *caps4 = g_strdup_printf (TENSORS_CAPS_25, 4);
  g_autofree gchar *caps2 = g_strdup_printf (TENSORS_CAPS_25, 2);
  const GstStructure *s;

  gst_harness_set_src_caps_str (h, caps4);
  g_assert_cmpint (push_frames (h, x, 3, 0, 4, TRUE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 0, 4);
  g_assert_cmpint (push_frames (h, x, 3, 4, 4, FALSE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 4, 4);
  {
    g_autoptr (GstCaps) c = gst_caps_from_string (caps2);
    g_assert_true (gst_harness_push_event (h, gst_event_new_caps (c)));
  }
  g_assert_cmpint (push_frames (h, x, 3, 8, 2, FALSE), ==, GST_FLOW_OK);
  pull_check (h, ref, 4, 8, 2);
  out_caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (out_caps, 0);
  g_assert_cmpstr (gst_structure_get_string (s, "dimensions"), ==, "4:2");

  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 2);
  g_ptr_array_unref (msgs);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, ==, 1);
  s = gst_message_get_structure (msgs->pdata[0]);
  g_assert_cmpuint (get_time (s, "timestamp"), ==, frame_ts (8));
  g_assert_cmpuint (get_time (s, "duration"), ==, frame_ts (10) -
      frame_ts (8));
  segs = tu_pop_element_messages (bus, "lstm-segment");
  g_assert_cmpuint (segs->len, >=, 1);
  s = gst_message_get_structure (segs->pdata[segs->len - 1]);
  g_assert_cmpuint (get_time (s, "end"), ==, frame_ts (10));
  harness_free (h, bus);
}

/* ---- passthrough ---- */

static void
test_passthrough (void)
{
  g_autofree float *x = tu_random_frames (12, 3, 28, 2.0f);
  g_autofree float *ref = tu_reference (model_follow, x, 12);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GstCaps) out_caps = NULL, in_caps = NULL;
  g_autoptr (LstmSegmenter) seg = lstm_segmenter_new (3, 1, 0.0, 1);
  GstBus *bus;
  GstHarness *h = harness_new (path_follow, &bus, "output-mode", 1, NULL);
  gsize start = 0;
  guint k;

  gst_harness_set_src_caps_str (h, caps);
  for (k = 0; k < 2; k++) {
    GstBuffer *in = tu_frames_buffer (x + start * 3, 6, 3, frame_ts (start),
        frame_ts (start + 6) - frame_ts (start));
    GstBuffer *out;
    GstMemory *mem = gst_buffer_peek_memory (in, 0);
    GstLstmMeta *meta;
    LstmSegment closed;
    guint t, label = 0;

    GST_BUFFER_OFFSET (in) = start;
    GST_BUFFER_OFFSET_END (in) = start + 6;
    if (k == 0)
      GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
    gst_buffer_ref (in);        /* keep it to compare */
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    /* untouched: same memory, timestamps, offsets, bytes */
    g_assert_cmpuint (gst_buffer_n_memory (out), ==, 1);
    g_assert_true (gst_buffer_peek_memory (out, 0) == mem);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, GST_BUFFER_PTS (in));
    g_assert_cmpuint (GST_BUFFER_DURATION (out), ==,
        GST_BUFFER_DURATION (in));
    g_assert_cmpuint (GST_BUFFER_OFFSET (out), ==, start);
    g_assert_cmpuint (GST_BUFFER_OFFSET_END (out), ==, start + 6);
    tu_assert_buffer_floats (out, x + start * 3, 6, 3);
    /* the results as GstLstmMeta */
    meta = gst_buffer_get_lstm_meta (out);
    g_assert_nonnull (meta);
    g_assert_cmpuint (meta->n_frames, ==, 6);
    g_assert_cmpuint (meta->n_values, ==, 3);
    g_assert_cmpmem (meta->scores, 6 * 3 * sizeof (float), ref + start * 3,
        6 * 3 * sizeof (float));
    for (t = 0; t < 6; t++)
      label = lstm_segmenter_push (seg, ref + (start + t) * 3, NULL, &closed);
    g_assert_cmpint (meta->index, ==, (gint) label);
    g_assert_cmpstr (meta->label, ==, labels_follow[label]);
    /* the input buffer itself carries no meta */
    g_assert_null (gst_buffer_get_lstm_meta (in));
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    start += 6;
  }
  in_caps = gst_caps_from_string (caps);
  out_caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_true (gst_caps_is_equal (in_caps, out_caps));
  harness_free (h, bus);
}

/* A padded tensors buffer (GstLstmPadding, as lstmfeatures pad-buffers
 * makes): only its real frames run through the model, so the frames after
 * it continue as if the padding were not there; the output is padded with
 * zeros and marked the same way; in passthrough mode the results cover the
 * real frames only. */
static void
test_padded_input (gconstpointer data)
{
  const gboolean passthrough = GPOINTER_TO_INT (data);
  g_autofree float *x = tu_random_frames (12, 3, 31, 2.0f);
  g_autofree float *ref = tu_reference (model_a, x, 12);
  float padded[5 * 3] = { 0 };
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "output-mode",
      passthrough ? 1 : 0, NULL);
  GstBuffer *in, *out;
  guint k;

  gst_harness_set_src_caps_str (h, "other/tensors,format=(string)static,"
      "num_tensors=(int)1,types=(string)float32,"
      "dimensions=(string)3:5,framerate=(fraction)20/1");
  /* frames 0-4, then 5-6 padded to 5, then 7-11 */
  memcpy (padded, x + 5 * 3, 2 * 3 * sizeof (float));
  for (k = 0; k < 3; k++) {
    const guint64 start = k == 0 ? 0 : k == 1 ? 5 : 7;
    const guint real = k == 1 ? 2 : 5;
    GstLstmMeta *meta;

    in = tu_frames_buffer (k == 1 ? padded : x + start * 3, 5, 3,
        frame_ts (start), frame_ts (start + real) - frame_ts (start));
    if (k == 0)
      GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
    if (k == 1) {
      /* as gstlstmmeta.h documents it; the plugin registered the meta */
      GstCustomMeta *m = gst_buffer_add_custom_meta (in,
          GST_LSTM_PADDING_META_NAME);
      g_assert_nonnull (m);
      gst_structure_set (gst_custom_meta_get_structure (m), "valid-frames",
          G_TYPE_UINT, 2, NULL);
    }
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    g_assert_cmpuint (gst_buffer_get_lstm_valid_frames (out, 5), ==, real);
    if (passthrough) {
      meta = gst_buffer_get_lstm_meta (out);
      g_assert_nonnull (meta);
      g_assert_cmpuint (meta->n_frames, ==, real);
      g_assert_cmpmem (meta->scores, real * 4 * sizeof (float),
          ref + start * 4, real * 4 * sizeof (float));
      g_assert_nonnull (gst_buffer_get_custom_meta (out,
              GST_LSTM_RESULTS_META_NAME));
    } else {
      float got[5 * 4];
      guint i;

      g_assert_cmpuint (gst_buffer_get_size (out), ==, sizeof got);
      gst_buffer_extract (out, 0, got, sizeof got);
      g_assert_cmpmem (got, real * 4 * sizeof (float), ref + start * 4,
          real * 4 * sizeof (float));
      for (i = real * 4; i < 5 * 4; i++)
        g_assert_cmpfloat (got[i], ==, 0.0f);
    }
    gst_buffer_unref (out);
  }
  assert_no_problem (bus);
  harness_free (h, bus);
}

/* A writable buffer goes through as the very same buffer. */
static void
test_passthrough_same_buffer (void)
{
  g_autofree float *x = tu_random_frames (5, 3, 29, 2.0f);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "output-mode", 1, NULL);
  GstBuffer *in = tu_frames_buffer (x, 5, 3, 0, frame_ts (5));
  GstBuffer *out;

  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (out == in);
  g_assert_nonnull (gst_buffer_get_lstm_meta (out));
  gst_buffer_unref (out);
  harness_free (h, bus);
}

/* ---- properties ---- */

static void
test_properties (void)
{
  static const gchar *const names[] = { "model", "reset-on-discont",
    "reset-interval", "message-interval", "smoothing", "threshold",
    "min-segment-duration", "output-mode"
  };
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstElementFactory *f = gst_element_get_factory (e);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  gboolean on = FALSE;
  guint interval = 0, smoothing = 0;
  guint64 reset = 1, min_dur = 1;
  gdouble thr = 1.0;
  gint mode = -1;
  gchar *model = (gchar *) "x";
  guint k;

  g_assert_nonnull (gst_element_factory_get_metadata (f,
          GST_ELEMENT_METADATA_LONGNAME));
  g_assert_cmpstr (gst_element_factory_get_metadata (f,
          GST_ELEMENT_METADATA_KLASS), ==, "Filter/Analyzer/Audio");
  for (k = 0; k < G_N_ELEMENTS (names); k++) {
    GParamSpec *p = g_object_class_find_property (klass, names[k]);
    g_assert_nonnull (p);
    g_assert_true (strlen (g_param_spec_get_blurb (p)) > 20);
    g_assert_true (p->flags & G_PARAM_READWRITE);
  }
  g_object_get (e, "model", &model, "reset-on-discont", &on,
      "reset-interval", &reset, "message-interval", &interval,
      "smoothing", &smoothing, "threshold", &thr,
      "min-segment-duration", &min_dur, "output-mode", &mode, NULL);
  g_assert_null (model);
  g_assert_true (on);
  g_assert_cmpuint (reset, ==, 0);
  g_assert_cmpuint (interval, ==, 10);
  /* the model's defaults (lstm_segmenter_get_defaults) */
  g_assert_cmpuint (smoothing, ==, 0);
  g_assert_cmpfloat (thr, ==, 0.0);
  g_assert_cmpuint (min_dur, ==, GST_CLOCK_TIME_NONE);
  g_assert_cmpint (mode, ==, 0);
  gst_object_unref (e);
}

/* ---- nan-policy ---- */

#define NAN_FRAMES 300

/* non-finite frames: 100 (one NaN), 150..153 (a burst across a buffer
 * boundary), 200..209 (a buffer of them only) */
static gboolean
nan_frame (gsize t)
{
  return t == 100 || (t >= 150 && t <= 153) || (t >= 200 && t <= 209);
}

static float *
nan_input (guint dim)
{
  float *x = tu_random_frames (NAN_FRAMES, dim, 77, 2.0f);
  gsize t;

  for (t = 0; t < NAN_FRAMES; t++)
    if (nan_frame (t))
      x[t * dim + t % dim] = t % 3 ? NAN : (t % 2 ? INFINITY : -INFINITY);
  return x;
}

/* Zeros for non-finite frames, each finite stretch from a fresh state. */
static float *
nan_expected (LstmModel *m, const float *x)
{
  const guint O = lstm_model_get_output_size (m);
  g_autoptr (GArray) splits = g_array_new (FALSE, FALSE, sizeof (gsize));
  float *y;
  gsize t = 0;

  while (t < NAN_FRAMES) {
    gsize e = t + 1;
    if (!nan_frame (t))
      while (e < NAN_FRAMES && !nan_frame (e))
        e++;
    e -= t;
    g_array_append_val (splits, e);
    t += e;
  }
  y = tu_reference_blocks (m, x, (const gsize *) splits->data, splits->len);
  for (t = 0; t < NAN_FRAMES; t++)
    if (nan_frame (t))
      memset (y + t * O, 0, O * sizeof (float));
  return y;
}

/* The default policy (reset): a NaN does not poison the stream; zeros for
 * non-finite frames, a fresh run after each burst, one WARNING per burst,
 * GAP on the buffer of non-finite frames only, no NaN in the messages. */
static void
test_nan_reset (void)
{
  static const gsize bounds[] = { 0, 97, 151, 200, 210, 300 };
  g_autofree float *x = nan_input (3);
  g_autofree float *expect = nan_expected (model_a, x);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GPtrArray) msgs = NULL;
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 5, NULL);
  GstMessage *msg;
  guint i, warnings = 0;
  gint policy = -1;

  g_object_get (h->element, "nan-policy", &policy, NULL);
  g_assert_cmpint (policy, ==, 0);
  gst_harness_set_src_caps_str (h, caps);
  for (i = 0; i + 1 < G_N_ELEMENTS (bounds); i++) {
    GstBuffer *out;
    gsize n = bounds[i + 1] - bounds[i];
    g_assert_cmpint (push_frames (h, x, 3, bounds[i], n, FALSE), ==,
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    tu_assert_buffer_floats (out, expect + bounds[i] * 4, n, 4);
    /* only the buffer of frames 200..209 is all non-finite */
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP), ==,
        bounds[i] == 200);
    gst_buffer_unref (out);
  }
  gst_harness_push_event (h, gst_event_new_eos ());

  /* the messages first: popping the warnings drops the others */
  msgs = tu_pop_element_messages (bus, "lstm-prediction");
  g_assert_cmpuint (msgs->len, >, 0);
  for (i = 0; i < msgs->len; i++) {
    const GstStructure *st = gst_message_get_structure (msgs->pdata[i]);
    const GValue *scores = gst_structure_get_value (st, "scores");
    guint j;
    for (j = 0; j < gst_value_array_get_size (scores); j++)
      g_assert_true (isfinite (g_value_get_double
              (gst_value_array_get_value (scores, j))));
  }
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *debug = NULL;
    gst_message_parse_warning (msg, &error, &debug);
    g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    g_assert_nonnull (strstr (error->message, "NaN"));
    g_test_message ("%s (%s)", error->message, debug);
    gst_message_unref (msg);
    warnings++;
  }
  g_assert_cmpuint (warnings, ==, 3);
  harness_free (h, bus);
}

/* precision=bf16: the bits of lstm_model_forward() on a bf16 state,
 * whatever the buffers' sizes; the property reads back. */
static void
test_precision_bf16 (void)
{
  static const gsize bounds[] = { 0, 1, 8, 100, 163, 300 };
  g_autofree float *x = tu_random_frames (300, 3, 5, 2.0f);
  g_autofree float *expect = g_new (float, 300 * 4);
  g_autofree gchar *caps = audio_caps (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmState) s = lstm_state_new_with_precision (model_a,
      LSTM_PRECISION_BF16, &error);
  GstBus *bus;
  GstHarness *h;
  gint precision = -1;
  guint i;

  g_assert_no_error (error);
  g_assert_true (lstm_model_forward (model_a, s, x, 300, expect, &error));
  g_assert_no_error (error);
  h = harness_new (path_a, &bus, "precision", 1, NULL);
  g_object_get (h->element, "precision", &precision, NULL);
  g_assert_cmpint (precision, ==, LSTM_PRECISION_BF16);
  gst_harness_set_src_caps_str (h, caps);
  for (i = 0; i + 1 < G_N_ELEMENTS (bounds); i++) {
    GstBuffer *out;
    gsize n = bounds[i + 1] - bounds[i];
    g_assert_cmpint (push_frames (h, x, 3, bounds[i], n, FALSE), ==,
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    tu_assert_buffer_floats (out, expect + bounds[i] * 4, n, 4);
    gst_buffer_unref (out);
  }
  harness_free (h, bus);
}

/* nan-policy=error: a stream error naming the buffer. */
static void
test_nan_error (void)
{
  g_autofree float *x = nan_input (3);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, NULL);
  const gchar *text;

  gst_util_set_object_arg (G_OBJECT (h->element), "nan-policy", "error");
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, 100, FALSE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_frames (h, x, 3, 100, 10, FALSE), ==,
      GST_FLOW_ERROR);
  text = error_message (bus, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (text, "nan-policy=error"));
  harness_free (h, bus);
}

/* nan-policy=pass: the values go through unchecked, as lstm_model_forward()
 * takes them: the NaN stays in the state. */
static void
test_nan_pass (void)
{
  g_autofree float *x = nan_input (3);
  g_autofree float *expect = tu_reference (model_a, x, NAN_FRAMES);
  g_autofree gchar *caps = audio_caps (3);
  GstBus *bus;
  GstHarness *h = harness_new (path_a, &bus, "message-interval", 0, NULL);
  GstBuffer *out;

  gst_util_set_object_arg (G_OBJECT (h->element), "nan-policy", "pass");
  gst_harness_set_src_caps_str (h, caps);
  g_assert_cmpint (push_frames (h, x, 3, 0, NAN_FRAMES, FALSE), ==,
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  tu_assert_buffer_floats (out, expect, NAN_FRAMES, 4);
  g_assert_true (isnan (expect[120 * 4]));
  gst_buffer_unref (out);
  harness_free (h, bus);
}


/* ---- max-message-rate ---- */

/* A noisy classifier: the follower on a label that changes every 1 to 3
 * frames, N frames at RATE, message-interval=1, max-message-rate=@cap.
 * Returns the lstm-prediction and lstm-segment messages, EOS included. */
static void
run_noisy (guint cap, gsize n, GPtrArray **preds, GPtrArray **segs)
{
  g_autofree float *x = g_new0 (float, n * 3);
  g_autofree gchar *caps = audio_caps (3);
  GRand *rand = g_rand_new_with_seed (17);
  GstBus *bus;
  GstHarness *h;
  gsize t = 0, start;
  gint cls = 0;

  while (t < n) {
    gint len = g_rand_int_range (rand, 1, 4), k;
    cls = (cls + g_rand_int_range (rand, 1, 3)) % 3;
    for (k = 0; k < len && t < n; k++, t++)
      x[t * 3 + cls] = 1.0f;
  }
  g_rand_free (rand);
  h = harness_new (path_follow, &bus, "message-interval", 1,
      "max-message-rate", cap, NULL);
  gst_harness_set_src_caps_str (h, caps);
  for (start = 0; start < n; start += 100) {
    g_assert_cmpint (push_frames (h, x, 3, start, MIN (100, n - start),
            start == 0), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  *preds = tu_pop_element_messages (bus, "lstm-prediction");
  *segs = tu_pop_element_messages (bus, "lstm-segment");
  harness_free (h, bus);
}

/* The most messages (by end time) in any one-second window starting at a
 * message's end. */
static guint
max_per_second (GPtrArray *msgs, const gchar *start_field,
    const gchar *dur_field)
{
  guint i, j, best = 0;

  for (i = 0; i < msgs->len; i++) {
    const GstStructure *a = gst_message_get_structure (msgs->pdata[i]);
    GstClockTime ta = dur_field ? get_time (a, start_field) +
        get_time (a, dur_field) : get_time (a, start_field);
    guint k = 0;
    for (j = i; j < msgs->len; j++) {
      const GstStructure *b = gst_message_get_structure (msgs->pdata[j]);
      GstClockTime tb = dur_field ? get_time (b, start_field) +
          get_time (b, dur_field) : get_time (b, start_field);
      if (tb >= ta + GST_SECOND)
        break;
      k++;
    }
    best = MAX (best, k);
  }
  return best;
}

/* A noisy classifier posts at most max-message-rate predictions and as
 * many segments per second of stream time (not counting the EOS ones);
 * over the cap predictions average longer and the flickering segments
 * merge into `unknown` ones, which still tile the stream. Without the cap
 * the same stream posts several times more. */
static void
test_max_message_rate (void)
{
  const gsize n = 6000;         /* 60 s */
  const guint cap = 5;
  g_autoptr (GPtrArray) p0 = NULL, s0 = NULL, p1 = NULL, s1 = NULL;
  GstClockTime end = 0, covered = 0;
  guint i, n_unknown = 0;

  run_noisy (0, n, &p0, &s0);
  run_noisy (cap, n, &p1, &s1);
  g_test_message ("uncapped: %u predictions, %u segments; capped at %u/s: "
      "%u predictions, %u segments", p0->len, s0->len, cap, p1->len, s1->len);
  g_assert_cmpuint (p0->len, ==, n);
  g_assert_cmpuint (s0->len, >, 3 * cap * (n / RATE));
  /* EOS posts what is pending past the cap: the last prediction; the
   * merged segments and the last one */
  g_assert_cmpuint (max_per_second (p1, "timestamp", "duration"), <=,
      cap + 1);
  g_assert_cmpuint (max_per_second (s1, "end", NULL), <=, cap + 2);
  g_assert_cmpuint (p1->len, <=, cap * (n / RATE) + 2);
  g_assert_cmpuint (s1->len, <=, cap * (n / RATE) + 2);
  g_assert_cmpuint (s1->len, >=, cap * (n / RATE) / 2);
  /* the predictions cover every frame, the segments tile the stream */
  for (i = 0; i < p1->len; i++) {
    const GstStructure *st = gst_message_get_structure (p1->pdata[i]);
    g_assert_cmpuint (get_time (st, "timestamp"), ==, covered);
    covered += get_time (st, "duration");
  }
  g_assert_cmpuint (covered, ==, frame_ts (n));
  for (i = 0; i < s1->len; i++) {
    const GstStructure *st = gst_message_get_structure (s1->pdata[i]);
    gint index = 0;
    g_assert_cmpuint (get_time (st, "start"), ==, end);
    end = get_time (st, "end");
    g_assert_true (gst_structure_get_int (st, "index", &index));
    if (index < 0) {
      g_assert_cmpstr (gst_structure_get_string (st, "label"), ==,
          "unknown");
      n_unknown++;
    }
  }
  g_assert_cmpuint (end, ==, frame_ts (n));
  g_assert_cmpuint (n_unknown, >, 0);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  setup_models ();

  g_test_add_func ("/lstminfer/properties", test_properties);
  g_test_add_func ("/lstminfer/caps/audio", test_caps_audio);
  g_test_add_func ("/lstminfer/caps/tensors", test_caps_tensors);
  g_test_add_func ("/lstminfer/caps/tensors-unquoted",
      test_caps_tensors_unquoted);
  g_test_add_func ("/lstminfer/caps/mismatch", test_caps_mismatch);
  g_test_add_data_func ("/lstminfer/padded-input/scores",
      GINT_TO_POINTER (FALSE), test_padded_input);
  g_test_add_data_func ("/lstminfer/padded-input/passthrough",
      GINT_TO_POINTER (TRUE), test_padded_input);
  g_test_add_func ("/lstminfer/model/missing", test_model_missing);
  g_test_add_func ("/lstminfer/model/invalid", test_model_invalid);
  g_test_add_func ("/lstminfer/model/bidirectional",
      test_model_bidirectional);
  g_test_add_func ("/lstminfer/model/none", test_model_none);
  g_test_add_func ("/lstminfer/model/set-while-running",
      test_model_set_while_running);
  g_test_add_func ("/lstminfer/timestamps", test_timestamps);
  g_test_add_func ("/lstminfer/unaligned-input", test_unaligned_input);
  g_test_add_func ("/lstminfer/partial-frame-buffer",
      test_partial_frame_buffer);
  for (i = 0; i < G_N_ELEMENTS (reset_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstminfer/reset/%s",
        reset_cases[i].name);
    g_test_add_data_func (path, &reset_cases[i], test_reset);
  }
  g_test_add_func ("/lstminfer/reset/interval", test_reset_interval);
  g_test_add_func ("/lstminfer/hot-swap/same-size", test_hot_swap);
  g_test_add_func ("/lstminfer/hot-swap/output-size",
      test_hot_swap_output_size);
  g_test_add_func ("/lstminfer/hot-swap/refused", test_hot_swap_refused);
  g_test_add_func ("/lstminfer/hot-swap/concurrent",
      test_hot_swap_concurrent);
  g_test_add_func ("/lstminfer/output-mode-switch", test_output_mode_switch);
  g_test_add_func ("/lstminfer/messages/prediction",
      test_messages_prediction);
  g_test_add_func ("/lstminfer/messages/times-from-rate",
      test_messages_times_from_rate);
  g_test_add_func ("/lstminfer/messages/threshold-unknown",
      test_messages_threshold_unknown);
  g_test_add_func ("/lstminfer/messages/values", test_messages_values);
  g_test_add_func ("/lstminfer/messages/multi-label",
      test_messages_multi_label);
  g_test_add_func ("/lstminfer/messages/none", test_messages_none);
  g_test_add_func ("/lstminfer/segments/labels", test_segments);
  g_test_add_func ("/lstminfer/segments/min-duration",
      test_segments_min_duration);
  g_test_add_func ("/lstminfer/segments/threshold", test_segments_threshold);
  g_test_add_func ("/lstminfer/segments/smoothing", test_segments_smoothing);
  g_test_add_func ("/lstminfer/eos-partial", test_eos_partial);
  g_test_add_func ("/lstminfer/nan-policy/reset", test_nan_reset);
  g_test_add_func ("/lstminfer/precision/bf16", test_precision_bf16);
  g_test_add_func ("/lstminfer/max-message-rate", test_max_message_rate);
  g_test_add_func ("/lstminfer/model/max-size", test_model_max_size);
  g_test_add_func ("/lstminfer/nan-policy/error", test_nan_error);
  g_test_add_func ("/lstminfer/nan-policy/pass", test_nan_pass);
  g_test_add_func ("/lstminfer/passthrough/meta", test_passthrough);
  g_test_add_func ("/lstminfer/passthrough/same-buffer",
      test_passthrough_same_buffer);

  ret = g_test_run ();
  teardown_models ();
  tu_cleanup ();
  return ret;
}
