/* Tests of lstmbatch: many streams through one model, each stream's
 * outputs bit for bit those of the stream alone, streams joining, leaving
 * and stalling while PLAYING. Real pipelines (appsrc ! lstmbatch ! appsink
 * per stream, each appsrc with its own streaming thread).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "gst-test-util.h"

#define RATE 100
#define I 3
#define O 4
#define ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":8}," \
  "{\"type\":\"gru\",\"name\":\"rnn2\",\"input_size\":8,\"hidden_size\":6}," \
  "{\"type\":\"gru\",\"name\":\"rnn3\",\"hidden_size\":8," \
  "\"reset_after\":false}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":4," \
  "\"activation\":\"softmax\"}]"
#define CAPS "audio/x-raw,format=F32LE,layout=interleaved,channels=3,rate=100"

static const gchar *const labels[] = { "a", "b", "c", "d", NULL };
static LstmModel *model;
static gchar *model_path;

/* What each stream gives alone: lstm_model_forward_checked (reset). */
static float *
alone (const float *x, gsize n)
{
  g_autoptr (LstmState) s = lstm_state_new (model);
  g_autoptr (GError) error = NULL;
  float *y = g_new (float, MAX (n, 1) * O);

  g_assert_true (lstm_model_forward_checked (model, s, LSTM_NAN_POLICY_RESET,
          x, n, y, NULL, NULL, &error));
  g_assert_no_error (error);
  return y;
}

typedef struct {
  GstAppSrc *src;
  const float *x;
  gsize n;
  guint32 seed;
  guint stall_after;            /* buffers; 0: none */
  gulong stall_us;
} Feeder;

/* Pushes @x in buffers of random sizes (1-9 frames), then EOS. */
static gpointer
feed (gpointer data)
{
  Feeder *f = data;
  g_autoptr (GRand) r = g_rand_new_with_seed (f->seed);
  gsize at = 0;
  guint k = 0;

  while (at < f->n) {
    gsize want = (gsize) g_rand_int_range (r, 1, 10);
    gsize m = MIN (want, f->n - at);
    GstBuffer *b = tu_frames_buffer (f->x + at * I, m, I,
        gst_util_uint64_scale (at, GST_SECOND, RATE),
        gst_util_uint64_scale (m, GST_SECOND, RATE));
    if (at == 0)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    g_assert_cmpint (gst_app_src_push_buffer (f->src, b), ==, GST_FLOW_OK);
    at += m;
    if (++k == f->stall_after)
      g_usleep (f->stall_us);
  }
  gst_app_src_end_of_stream (f->src);
  return NULL;
}

/* Every output of @sink until EOS, concatenated. */
static float *
drain (GstAppSink *sink, gsize *n)
{
  GByteArray *all = g_byte_array_new ();
  GstSample *sample;

  while ((sample = gst_app_sink_pull_sample (sink)) != NULL) {
    GstBuffer *b = gst_sample_get_buffer (sample);
    GstMapInfo map;
    g_assert_true (gst_buffer_map (b, &map, GST_MAP_READ));
    g_byte_array_append (all, map.data, (guint) map.size);
    gst_buffer_unmap (b, &map);
    gst_sample_unref (sample);
  }
  g_assert_true (gst_app_sink_is_eos (sink));
  *n = all->len / (O * sizeof (float));
  return (float *) g_byte_array_free (all, FALSE);
}

/* appsrc ! lstmbatch.sink_i, lstmbatch.src_i ! queue ! appsink. The queue
 * is unbounded: with a bounded one, a stream that ran ahead before the
 * others' caps arrived fills it while the sinks preroll, and the batch then
 * waits a timeout for it. */
static gchar *
branch (guint i)
{
  return g_strdup_printf ("appsrc name=src%u caps=" CAPS " format=time ! "
      "b.sink_%u b.src_%u ! queue max-size-time=0 max-size-buffers=0 "
      "max-size-bytes=0 ! appsink name=out%u sync=false ", i, i, i, i);
}

static void
assert_stream (const float *got, gsize n_got, const float *x, gsize n)
{
  g_autofree float *ref = alone (x, n);

  g_assert_cmpuint (n_got, ==, n);
  g_assert_cmpmem (got, n * O * sizeof (float), ref, n * O * sizeof (float));
}

/* Four streams of different lengths, buffer sizes and NaN bursts: each
 * stream's outputs equal the stream alone, and the steps batched several
 * streams. */
static void
test_streams_alone (void)
{
  enum { S = 4 };
  static const gsize lens[S] = { 400, 250, 333, 120 };
  /* a generous timeout: a stream is waited for, even on a loaded machine */
  GString *desc = g_string_new ("lstmbatch name=b batch-timeout=2000000000 ");
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) batch = NULL;
  float *x[S];
  Feeder f[S];
  GThread *th[S];
  guint64 steps = 0, frames = 0;
  guint i;

  g_string_append_printf (desc, "model=\"%s\" ", model_path);
  for (i = 0; i < S; i++) {
    g_autofree gchar *b = branch (i);
    g_string_append (desc, b);
    x[i] = tu_random_frames (lens[i], I, 50 + i, 2.0f);
  }
  x[1][100 * I + 2] = NAN;
  x[1][101 * I] = INFINITY;
  pipeline = gst_parse_launch (desc->str, &error);
  g_string_free (desc, TRUE);
  g_assert_no_error (error);
  batch = gst_bin_get_by_name (GST_BIN (pipeline), "b");
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  /* every stream joins (its caps, with an empty buffer) before the frames
   * flow, so that the batches hold every stream from the first frame: a
   * stream without caps yet is not waited for */
  for (i = 0; i < S; i++) {
    g_autofree gchar *name = g_strdup_printf ("src%u", i);
    g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline),
        name);
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src),
            gst_buffer_new ()), ==, GST_FLOW_OK);
  }
  for (i = 0; i < S; i++) {
    g_autofree gchar *name = g_strdup_printf ("sink_%u", i);
    g_autoptr (GstPad) pad = gst_element_get_static_pad (batch, name);
    gint64 until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
    while (!gst_pad_has_current_caps (pad) &&
        g_get_monotonic_time () < until)
      g_usleep (1000);
    g_assert_true (gst_pad_has_current_caps (pad));
  }
  for (i = 0; i < S; i++) {
    g_autofree gchar *name = g_strdup_printf ("src%u", i);
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), name);
    f[i] = (Feeder) { GST_APP_SRC (src), x[i], lens[i], 7 + i, 0, 0 };
    th[i] = g_thread_new ("feed", feed, &f[i]);
    gst_object_unref (src);
  }
  for (i = 0; i < S; i++) {
    g_autofree gchar *name = g_strdup_printf ("out%u", i);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    g_autofree float *got = NULL;
    gsize n = 0;
    g_thread_join (th[i]);
    got = drain (GST_APP_SINK (sink), &n);
    assert_stream (got, n, x[i], lens[i]);
    gst_object_unref (sink);
  }
  g_object_get (batch, "steps", &steps, "frames", &frames, NULL);
  g_test_message ("%" G_GUINT64_FORMAT " frames in %" G_GUINT64_FORMAT
      " steps", frames, steps);
  g_assert_cmpuint (frames, ==, 400 + 250 + 333 + 120);
  /* batches of several streams: at most as many steps as the longest
   * stream has frames, plus a few where a stream was late */
  g_assert_cmpuint (steps, <, frames / 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  for (i = 0; i < S; i++)
    g_free (x[i]);
}

/* Adds appsrc ! lstmbatch.sink_N, lstmbatch.src_N ! appsink to a playing
 * pipeline. */
static void
add_branch (GstElement *pipeline, GstElement *batch, guint i,
    GstElement **src, GstElement **sink)
{
  g_autofree gchar *sn = g_strdup_printf ("src%u", i);
  g_autofree gchar *on = g_strdup_printf ("out%u", i);
  g_autofree gchar *pn = g_strdup_printf ("sink_%u", i);
  g_autofree gchar *qn = g_strdup_printf ("src_%u", i);
  g_autoptr (GstCaps) caps = gst_caps_from_string (CAPS);
  GstPad *bsink, *bsrc, *p;

  *src = gst_element_factory_make ("appsrc", sn);
  *sink = gst_element_factory_make ("appsink", on);
  g_object_set (*src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_object_set (*sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), *src, *sink, NULL);
  bsink = gst_element_request_pad_simple (batch, pn);
  g_assert_nonnull (bsink);
  bsrc = gst_element_get_static_pad (batch, qn);
  g_assert_nonnull (bsrc);
  p = gst_element_get_static_pad (*src, "src");
  g_assert_cmpint (gst_pad_link (p, bsink), ==, GST_PAD_LINK_OK);
  gst_object_unref (p);
  p = gst_element_get_static_pad (*sink, "sink");
  g_assert_cmpint (gst_pad_link (bsrc, p), ==, GST_PAD_LINK_OK);
  gst_object_unref (p);
  gst_object_unref (bsink);
  gst_object_unref (bsrc);
  g_assert_true (gst_element_sync_state_with_parent (*sink));
  g_assert_true (gst_element_sync_state_with_parent (*src));
}

/* Streams join and leave while PLAYING: stream 0 throughout; stream 1
 * joins late; stream 2 ends early and its pads are released while the
 * others go on; every stream equals itself alone. */
static void
test_join_leave (void)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *batch = gst_element_factory_make ("lstmbatch", "b");
  GstElement *src[3], *sink[3];
  g_autofree float *x0 = tu_random_frames (600, I, 61, 2.0f);
  g_autofree float *x1 = tu_random_frames (300, I, 62, 2.0f);
  g_autofree float *x2 = tu_random_frames (150, I, 63, 2.0f);
  g_autofree float *g0 = NULL, *g1 = NULL, *g2 = NULL;
  Feeder f[3];
  GThread *th[3];
  GstPad *pad;
  gsize n;

  g_assert_nonnull (batch);
  g_object_set (batch, "model", model_path, "batch-timeout",
      (guint64) 5 * GST_MSECOND, NULL);
  gst_bin_add (GST_BIN (pipeline), batch);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  add_branch (pipeline, batch, 0, &src[0], &sink[0]);
  add_branch (pipeline, batch, 2, &src[2], &sink[2]);
  f[0] = (Feeder) { GST_APP_SRC (src[0]), x0, 600, 1, 20, 20000 };
  f[2] = (Feeder) { GST_APP_SRC (src[2]), x2, 150, 3, 0, 0 };
  th[0] = g_thread_new ("feed", feed, &f[0]);
  th[2] = g_thread_new ("feed", feed, &f[2]);
  /* stream 2 ends: its outputs, then its pads go */
  g_thread_join (th[2]);
  g2 = drain (GST_APP_SINK (sink[2]), &n);
  assert_stream (g2, n, x2, 150);
  pad = gst_element_get_static_pad (batch, "sink_2");
  gst_element_release_request_pad (batch, pad);
  gst_object_unref (pad);
  g_assert_null (gst_element_get_static_pad (batch, "src_2"));
  gst_element_set_state (src[2], GST_STATE_NULL);
  gst_element_set_state (sink[2], GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (pipeline), src[2], sink[2], NULL);
  /* stream 1 joins while stream 0 still flows */
  add_branch (pipeline, batch, 1, &src[1], &sink[1]);
  f[1] = (Feeder) { GST_APP_SRC (src[1]), x1, 300, 2, 0, 0 };
  th[1] = g_thread_new ("feed", feed, &f[1]);
  g_thread_join (th[0]);
  g_thread_join (th[1]);
  g0 = drain (GST_APP_SINK (sink[0]), &n);
  assert_stream (g0, n, x0, 600);
  g1 = drain (GST_APP_SINK (sink[1]), &n);
  assert_stream (g1, n, x1, 300);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* A stream that stalls (no buffer, no EOS) holds the others for one
 * batch-timeout, not one per buffer: with a 1 s timeout, stream 0's 40
 * buffers come out while stream 1 is stalled for 8 s (waiting a timeout per
 * buffer would take 40 s). Stream 1's outputs, once it resumes, still equal
 * it alone. */
static void
test_stalled_stream (void)
{
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autofree float *x0 = tu_random_frames (200, I, 71, 2.0f);
  g_autofree float *x1 = tu_random_frames (100, I, 72, 2.0f);
  g_autofree float *g0 = NULL, *g1 = NULL;
  g_autofree gchar *b0 = branch (0), *b1 = branch (1);
  GstElement *src[2], *sink[2];
  Feeder f[2];
  GThread *th[2];
  gint64 t0;
  gsize n;

  desc = g_strdup_printf ("lstmbatch name=b model=\"%s\" "
      "batch-timeout=1000000000 %s %s", model_path, b0, b1);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  src[0] = gst_bin_get_by_name (GST_BIN (pipeline), "src0");
  src[1] = gst_bin_get_by_name (GST_BIN (pipeline), "src1");
  sink[0] = gst_bin_get_by_name (GST_BIN (pipeline), "out0");
  sink[1] = gst_bin_get_by_name (GST_BIN (pipeline), "out1");
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  t0 = g_get_monotonic_time ();
  f[1] = (Feeder) { GST_APP_SRC (src[1]), x1, 100, 5, 1, 8000000 };
  th[1] = g_thread_new ("feed", feed, &f[1]);
  f[0] = (Feeder) { GST_APP_SRC (src[0]), x0, 200, 4, 0, 0 };
  th[0] = g_thread_new ("feed", feed, &f[0]);
  g_thread_join (th[0]);
  g0 = drain (GST_APP_SINK (sink[0]), &n);
  /* stream 0 was done while stream 1 slept */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 8000000);
  assert_stream (g0, n, x0, 200);
  g_thread_join (th[1]);
  g1 = drain (GST_APP_SINK (sink[1]), &n);
  assert_stream (g1, n, x1, 100);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  for (n = 0; n < 2; n++) {
    gst_object_unref (src[n]);
    gst_object_unref (sink[n]);
  }
}

/* Frames of the wrong size are refused with a message naming the pad and
 * both sizes. */
static void
test_wrong_size (void)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src caps="
      "audio/x-raw,format=F32LE,layout=interleaved,channels=5,rate=100 "
      "format=time ! lstmbatch name=b model=\"%s\" ! fakesink", model_path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GError) err = NULL;
  float x[10] = { 0 };

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src), tu_frames_buffer (x, 2, 5, 0,
          GST_SECOND / 50));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  g_assert_nonnull (strstr (err->message, "sink_0"));
  g_assert_nonnull (strstr (err->message, "5 values"));
  g_assert_nonnull (strstr (err->message, "takes 3"));
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  model = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION, labels, 9, NULL);
  model_path = tu_model_save (model, "batch.safetensors");
  g_test_add_func ("/lstmbatch/streams-alone", test_streams_alone);
  g_test_add_func ("/lstmbatch/join-leave", test_join_leave);
  g_test_add_func ("/lstmbatch/stalled-stream", test_stalled_stream);
  g_test_add_func ("/lstmbatch/wrong-size", test_wrong_size);
  ret = g_test_run ();
  lstm_model_unref (model);
  g_free (model_path);
  tu_cleanup ();
  return ret;
}
