/* Tests: thread safety (also run under ThreadSanitizer by .ci/tsan).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One LstmModel shared by 16 threads, each with its own LstmState and its
 * own input split into random chunks, gives bit for bit the outputs of
 * sequential runs; lstminfer's `model` property set from another thread
 * while buffers stream (hot swaps) neither crashes nor loses frames (under
 * ThreadSanitizer only the first runs: see test_hot_swap_threads).
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

/* ---- hot swaps from another thread ---- */

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

/* lstminfer streams 20000 frames in buffers of 1 to 50 while another
 * thread sets its `model` property every 0.5 ms, alternating two models:
 * no frame is lost, every output is finite, no error; under
 * ThreadSanitizer, no data race between the two threads. */
static void
test_hot_swap_threads (void)
{
  g_autoptr (LstmModel) ma = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 1, NULL);
  g_autoptr (LstmModel) mb = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 2, NULL);
  g_autofree gchar *pa = tu_model_save (ma, "swap-a.safetensors");
  g_autofree gchar *pb = tu_model_save (mb, "swap-b.safetensors");
  g_autofree float *x = tu_random_frames (20000, DIM, 9, 1.0f);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
      "caps=audio/x-raw,format=F32LE,layout=interleaved,channels=%u,"
      "rate=100 ! lstminfer name=infer message-interval=7 ! appsink "
      "name=sink sync=false", DIM);
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src, *sink;
  GRand *rand = g_rand_new_with_seed (3);
  Swapper sw = { 0 };
  GThread *thread;
  gsize done = 0, got = 0, n_bufs = 0;
  GstSample *sample;

#ifdef __SANITIZE_THREAD__
  /* Debian's GLib and GStreamer are not built for ThreadSanitizer: GMutex
   * is futex-based in GLib 2.74 and GstMiniObject counts references with
   * atomics in uninstrumented code, so TSan sees no ordering through
   * GST_OBJECT_LOCK, appsrc's queue or buffer refs, and reports every
   * field the object lock guards. Run it with an instrumented GLib and
   * GStreamer; here it runs in the plain and ASan builds. */
  g_test_skip ("needs GLib and GStreamer built with -fsanitize=thread");
  gst_object_unref (pipeline);
  g_rand_free (rand);
  return;
#endif
  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  sw.infer = gst_bin_get_by_name (GST_BIN (pipeline), "infer");
  sw.paths[0] = pa;
  sw.paths[1] = pb;
  g_object_set (sw.infer, "model", pa, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  thread = g_thread_new ("swapper", swap_models, &sw);
  while (done < 20000) {
    gsize n = (gsize) g_rand_int_range (rand, 1, 51);
    GstBuffer *buf;

    n = MIN (n, 20000 - done);
    buf = tu_frames_buffer (x + done * DIM, n, DIM,
        gst_util_uint64_scale (done, GST_SECOND, 100),
        gst_util_uint64_scale (n, GST_SECOND, 100));
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buf), ==,
        GST_FLOW_OK);
    done += n;
    /* a swap every 10 buffers at least: wait for one */
    if (++n_bufs % 10 == 0) {
      gint before = g_atomic_int_get (&sw.n_swaps);
      while (g_atomic_int_get (&sw.n_swaps) == before)
        g_usleep (100);
    }
    /* keep the queue short: pull what is ready */
    while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0))) {
      GstBuffer *out = gst_sample_get_buffer (sample);
      GstMapInfo map;
      gsize k;
      g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
      for (k = 0; k < map.size / sizeof (float); k++)
        g_assert_true (isfinite (((const float *) map.data)[k]));
      got += map.size / sizeof (float) / 4;
      gst_buffer_unmap (out, &map);
      gst_sample_unref (sample);
    }
  }
  g_atomic_int_set (&sw.stop, 1);
  g_thread_join (thread);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *out = gst_sample_get_buffer (sample);
    got += gst_buffer_get_size (out) / sizeof (float) / 4;
    gst_sample_unref (sample);
  }
  g_test_message ("%d swaps while streaming", sw.n_swaps);
  g_assert_cmpuint (got, ==, 20000);
  g_assert_cmpint (sw.n_swaps, >=, (gint) (n_bufs / 10));
  g_assert_null (tu_pop_message (GST_ELEMENT_BUS (pipeline),
          GST_MESSAGE_ERROR));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sw.infer);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/threads/shared-model", test_shared_model);
  g_test_add_func ("/threads/hot-swap", test_hot_swap_threads);
  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
