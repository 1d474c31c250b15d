/* Tests: thread safety (also run under ThreadSanitizer by .ci/tsan).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One LstmModel shared by 16 threads, each with its own LstmState and its
 * own input split into random chunks, gives bit for bit the outputs of
 * sequential runs; one model file loaded with lstm_model_load_shared() and
 * dropped by 8 threads at once gives the saved model's outputs each time;
 * lstminfer's `model` property set from another thread while buffers
 * stream (hot swaps) neither crashes nor loses frames. All three also run
 * under ThreadSanitizer, where a data race fails them (.ci/tsan says what
 * it needs for Debian's uninstrumented GLib and GStreamer).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <lstm/lstm.h>

#include "gst-test-util.h"

#define N_THREADS 16
#define N_FRAMES 3000
#define DIM 6

#define ARCH \
  "[{\"type\":\"lstm\",\"name\":\"a\",\"input_size\":6,\"hidden_size\":24," \
  "\"num_layers\":2,\"peephole\":true},{\"type\":\"gru\",\"name\":\"b\"," \
  "\"hidden_size\":12},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":4,\"activation\":\"softmax\"}]"

typedef struct {
  LstmModel *model;
  const float *in;
  float *out;
  guint32 seed;
} Job;

/* One stream: its own state, chunks of random sizes (1 to 100 frames). */
static gpointer
run_stream (gpointer data)
{
  Job *job = data;
  LstmState *state = lstm_state_new (job->model);
  GRand *rand = g_rand_new_with_seed (job->seed);
  guint O = lstm_model_get_output_size (job->model);
  gsize done = 0;

  while (done < N_FRAMES) {
    gsize n = (gsize) g_rand_int_range (rand, 1, 101);

    n = MIN (n, N_FRAMES - done);
    g_assert_true (lstm_model_forward (job->model, state,
            job->in + done * DIM, n, job->out + done * O, NULL));
    done += n;
  }
  g_rand_free (rand);
  lstm_state_free (state);
  return NULL;
}

static void
test_shared_model (void)
{
  g_autoptr (LstmModel) m = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 77, NULL);
  GThread *threads[N_THREADS];
  float *in[N_THREADS], *seq[N_THREADS], *par[N_THREADS];
  Job jobs[N_THREADS];
  guint i, O = lstm_model_get_output_size (m);

  for (i = 0; i < N_THREADS; i++) {
    in[i] = tu_random_frames (N_FRAMES, DIM, 100 + i, 2.0f);
    seq[i] = tu_reference (m, in[i], N_FRAMES);
    par[i] = g_new0 (float, (gsize) N_FRAMES * O);
    jobs[i] = (Job) { m, in[i], par[i], 500 + i };
  }
  for (i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("stream", run_stream, &jobs[i]);
  for (i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  for (i = 0; i < N_THREADS; i++) {
    g_assert_cmpmem (par[i], (gsize) N_FRAMES * O * sizeof (float), seq[i],
        (gsize) N_FRAMES * O * sizeof (float));
    g_free (in[i]);
    g_free (seq[i]);
    g_free (par[i]);
  }
}

/* ---- one model file loaded and dropped by many threads at once ---- */

#define N_LOADERS 8
#define N_LOADS 200
#define N_CHECK_FRAMES 10

typedef struct {
  const gchar *path;
  const float *in;
  const float *expect;
  guint O;
} Loader;

/* Loads the shared model, runs it, drops it, N_LOADS times: the last
 * reference of one thread (lstm_model_cache_forget(), the free) meets the
 * lookups of the others. */
static gpointer
load_shared_loop (gpointer data)
{
  Loader *ld = data;
  g_autofree float *out = g_new (float, N_CHECK_FRAMES * ld->O);
  guint i;

  for (i = 0; i < N_LOADS; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = lstm_model_load_shared (ld->path, 0, &error);
    g_autoptr (LstmState) state = NULL;

    g_assert_no_error (error);
    state = lstm_state_new (m);
    g_assert_true (lstm_model_forward (m, state, ld->in, N_CHECK_FRAMES, out,
            NULL));
    g_assert_cmpmem (out, N_CHECK_FRAMES * ld->O * sizeof (float),
        ld->expect, N_CHECK_FRAMES * ld->O * sizeof (float));
  }
  return NULL;
}

/* lstm_model_load_shared() from 8 threads, 200 times each, on one file:
 * every model gives the outputs of the model saved; under ThreadSanitizer,
 * no data race in the cache of shared models. */
static void
test_shared_loads (void)
{
  g_autoptr (LstmModel) m = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 5, NULL);
  g_autofree gchar *path = tu_model_save (m, "shared-load.safetensors");
  g_autofree float *in = tu_random_frames (N_CHECK_FRAMES, DIM, 6, 1.0f);
  g_autofree float *expect = tu_reference (m, in, N_CHECK_FRAMES);
  Loader ld = { path, in, expect, lstm_model_get_output_size (m) };
  GThread *threads[N_LOADERS];
  guint i;

  for (i = 0; i < N_LOADERS; i++)
    threads[i] = g_thread_new ("loader", load_shared_loop, &ld);
  for (i = 0; i < N_LOADERS; i++)
    g_thread_join (threads[i]);
}

/* ---- hot swaps from another thread ---- */

#define N_SWAP_FRAMES 20000

typedef struct {
  GstElement *infer;
  const gchar *paths[2];
  gint stop;
  gint n_swaps;
} Swapper;

static gpointer
swap_models (gpointer data)
{
  Swapper *sw = data;

  while (!g_atomic_int_get (&sw->stop)) {
    guint i = (guint) g_atomic_int_get (&sw->n_swaps);
    g_object_set (sw->infer, "model", sw->paths[i % 2], NULL);
    g_atomic_int_inc (&sw->n_swaps);
    g_usleep (500);
  }
  return NULL;
}

/* The frames and what came out. Buffers are made (appsrc's need-data) and
 * checked (appsink's new-sample), and bus messages handled (a sync
 * handler), in the streaming thread that makes them: what the threads
 * share is lstminfer itself (its `model` property set by the swapper, its
 * state changes made by the test's thread) and a few atomics. Buffers or
 * messages handed to another thread through appsrc's queue or the bus
 * would be ordered by GStreamer's own locks and atomics, which
 * ThreadSanitizer cannot see in Debian's uninstrumented GStreamer. */
typedef struct {
  Swapper *sw;
  const float *x;
  GRand *rand;
  gsize done;                   /* frames pushed */
  guint n_bufs;                 /* buffers pushed */
  gint got;                     /* atomic: output frames */
  gint not_finite;              /* atomic: non-finite output values */
  gint n_messages;              /* atomic: element messages posted */
  gint n_warnings;              /* atomic: WARNING messages posted */
  gint finished;                /* atomic: EOS or an error was posted */
  gchar *error;                 /* atomic: the error's text */
} Feed;

static void
feed_need_data (GstAppSrc *src, G_GNUC_UNUSED guint length, gpointer data)
{
  Feed *f = data;
  GstBuffer *buf;
  gsize n;

  if (f->done == N_SWAP_FRAMES)
    return;                     /* EOS is queued */
  n = (gsize) g_rand_int_range (f->rand, 1, 51);
  n = MIN (n, N_SWAP_FRAMES - f->done);
  buf = tu_frames_buffer (f->x + f->done * DIM, n, DIM,
      gst_util_uint64_scale (f->done, GST_SECOND, 100),
      gst_util_uint64_scale (n, GST_SECOND, 100));
  g_assert_cmpint (gst_app_src_push_buffer (src, buf), ==, GST_FLOW_OK);
  f->done += n;
  /* a swap every 10 buffers at least: wait for one */
  if (++f->n_bufs % 10 == 0) {
    gint before = g_atomic_int_get (&f->sw->n_swaps);
    while (g_atomic_int_get (&f->sw->n_swaps) == before)
      g_usleep (100);
  }
  if (f->done == N_SWAP_FRAMES)
    gst_app_src_end_of_stream (src);
}

static GstFlowReturn
feed_new_sample (GstAppSink *sink, gpointer data)
{
  Feed *f = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstMapInfo map;
  gsize k;

  g_assert_nonnull (sample);
  g_assert_true (gst_buffer_map (gst_sample_get_buffer (sample), &map,
          GST_MAP_READ));
  for (k = 0; k < map.size / sizeof (float); k++)
    if (!isfinite (((const float *) map.data)[k]))
      g_atomic_int_inc (&f->not_finite);
  g_atomic_int_add (&f->got, (gint) (map.size / sizeof (float) / 4));
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstBusSyncReply
feed_bus_message (G_GNUC_UNUSED GstBus *bus, GstMessage *msg, gpointer data)
{
  Feed *f = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      g_atomic_int_inc (&f->n_messages);
      break;
    case GST_MESSAGE_WARNING:
      g_atomic_int_inc (&f->n_warnings);
      break;
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;
      gst_message_parse_error (msg, &error, &debug);
      g_atomic_pointer_compare_and_exchange (&f->error, NULL,
          g_strdup_printf ("%s (%s)", error->message, debug));
      g_atomic_int_set (&f->finished, 1);
      break;
    }
    case GST_MESSAGE_EOS:
      g_atomic_int_set (&f->finished, 1);
      break;
    default:
      break;
  }
  /* a sync handler that drops a message unrefs it */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* lstminfer streams 20000 frames in buffers of 1 to 50 while another
 * thread sets its `model` property every 0.5 ms, alternating two models:
 * no frame is lost, every output is finite, no error or warning; under
 * ThreadSanitizer (.ci/tsan), no data race between the threads, swaps
 * going on while the pipeline starts and stops too. */
static void
test_hot_swap_threads (void)
{
  g_autoptr (LstmModel) ma = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 1, NULL);
  g_autoptr (LstmModel) mb = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 2, NULL);
  g_autofree gchar *pa = tu_model_save (ma, "swap-a.safetensors");
  g_autofree gchar *pb = tu_model_save (mb, "swap-b.safetensors");
  g_autofree float *x = tu_random_frames (N_SWAP_FRAMES, DIM, 9, 1.0f);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "caps=audio/x-raw,format=F32LE,layout=interleaved,channels=%u,"
      "rate=100 ! lstminfer name=infer message-interval=7 ! appsink "
      "name=sink sync=false", DIM);
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstAppSrcCallbacks src_cb = { .need_data = feed_need_data };
  GstAppSinkCallbacks sink_cb = { .new_sample = feed_new_sample };
  GstElement *src, *sink;
  GstBus *bus;
  Swapper sw = { 0 };
  Feed f = { .sw = &sw, .x = x, .rand = g_rand_new_with_seed (3) };
  GThread *thread;
  gint64 deadline = g_get_monotonic_time () + 600 * G_TIME_SPAN_SECOND;

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_src_set_callbacks (GST_APP_SRC (src), &src_cb, &f, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &sink_cb, &f, NULL);
  sw.infer = gst_bin_get_by_name (GST_BIN (pipeline), "infer");
  sw.paths[0] = pa;
  sw.paths[1] = pb;
  g_object_set (sw.infer, "model", pa, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, feed_bus_message, &f, NULL);
  thread = g_thread_new ("swapper", swap_models, &sw);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  while (!g_atomic_int_get (&f.finished)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  /* swaps go on while the pipeline stops */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_atomic_int_set (&sw.stop, 1);
  g_thread_join (thread);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  g_assert_cmpstr (g_atomic_pointer_get (&f.error), ==, NULL);
  g_test_message ("%d swaps while streaming, %d messages", sw.n_swaps,
      g_atomic_int_get (&f.n_messages));
  g_assert_cmpint (g_atomic_int_get (&f.got), ==, N_SWAP_FRAMES);
  g_assert_cmpint (g_atomic_int_get (&f.not_finite), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&f.n_messages), >, 0);
  g_assert_cmpint (g_atomic_int_get (&f.n_warnings), ==, 0);
  g_assert_cmpint (sw.n_swaps, >=, (gint) (f.n_bufs / 10));
  gst_object_unref (sw.infer);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_rand_free (f.rand);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/threads/shared-model", test_shared_model);
  g_test_add_func ("/threads/shared-loads", test_shared_loads);
  g_test_add_func ("/threads/hot-swap", test_hot_swap_threads);
  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
