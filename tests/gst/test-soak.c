/* Slow test: a long run of lstminfer.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 10^7 frames through lstminfer (a GstHarness; a small GRU classifier,
 * numeric frames as audio/x-raw) in buffers of random sizes (1 to 1000
 * frames), with resets (the `reset` signal, DISCONT buffers), bursts of
 * NaN frames and hot swaps between two models, seeded. Every output buffer
 * equals, bit for bit, liblstm's computation of the same frames on a
 * reference state that restarts where the element must restart (a reset,
 * a swap, after a NaN frame, whose own output is zeros), and the process's
 * resident memory stays flat after a warm-up. The bus is drained as the
 * run goes, counting one NaN warning per burst.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <lstm/lstm.h>

#include "gst-test-util.h"

#define RATE 100
#define DIM 2
#define N_OUT 3
#define MAX_BUFFER 1000

#define ARCH \
  "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":8}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3," \
  "\"activation\":\"softmax\"}]"

static guint64
soak_frames (void)
{
  const gchar *env = g_getenv ("LSTM_SOAK_FRAMES");
  return env ? g_ascii_strtoull (env, NULL, 10) : G_GUINT64_CONSTANT (10000000);
}

/* Resident set size in bytes, from /proc/self/statm. */
static gsize
rss_bytes (void)
{
  g_autofree gchar *text = NULL;
  gulong size = 0, resident = 0;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL));
  g_assert_cmpint (sscanf (text, "%lu %lu", &size, &resident), ==, 2);
  return (gsize) resident * (gsize) sysconf (_SC_PAGESIZE);
}

/* Pops every message; returns how many WARNINGs there were, failing on an
 * ERROR. */
static guint
drain_bus (GstBus *bus)
{
  GstMessage *msg;
  guint n_warnings = 0;

  while ((msg = gst_bus_pop (bus)) != NULL) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) error = NULL;
      gst_message_parse_error (msg, &error, NULL);
      g_error ("lstminfer posted an error: %s", error->message);
    }
    n_warnings += GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING;
    gst_message_unref (msg);
  }
  return n_warnings;
}

static void
test_soak (void)
{
  const guint64 total = soak_frames ();
  g_autoptr (LstmModel) ma = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 11, NULL);
  g_autoptr (LstmModel) mb = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      NULL, 12, NULL);
  g_autofree gchar *pa = tu_model_save (ma, "soak-a.safetensors");
  g_autofree gchar *pb = tu_model_save (mb, "soak-b.safetensors");
  LstmModel *models[2] = { ma, mb };
  const gchar *paths[2] = { pa, pb };
  g_autofree gchar *caps = g_strdup_printf ("audio/x-raw,format=F32LE,"
      "layout=interleaved,channels=%u,rate=%u,channel-mask=(bitmask)0x3",
      DIM, RATE);
  g_autofree float *x = g_new (float, MAX_BUFFER * DIM);
  g_autofree float *expect = g_new (float, MAX_BUFFER * N_OUT);
  GRand *rand = g_rand_new_with_seed (2024);
  GstElement *e = gst_element_factory_make ("lstminfer", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  LstmState *ref;
  guint cur = 0, n_bufs = 0, n_resets = 0, n_swaps = 0, n_bursts = 0;
  guint n_warnings = 0;
  guint64 done = 0;
  gsize rss_warm = 0, rss_max = 0;
  gboolean in_burst = FALSE;

  g_assert_nonnull (e);
  gst_element_set_bus (e, bus);
  g_object_set (e, "model", pa, "message-interval", 100, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  ref = lstm_state_new (ma);

  while (done < total) {
    gsize n = (gsize) g_rand_int_range (rand, 1, MAX_BUFFER + 1), i, run;
    gboolean discont = FALSE;
    GstBuffer *buf, *out;
    guint32 what = g_rand_int_range (rand, 0, 1000);

    n = (gsize) MIN ((guint64) n, total - done);
    if (what < 5) {
      /* a hot swap: the other model from the next buffer, state reset */
      cur = 1 - cur;
      g_object_set (h->element, "model", paths[cur], NULL);
      lstm_state_free (ref);
      ref = lstm_state_new (models[cur]);
      in_burst = FALSE;         /* a new state: a new burst */
      n_swaps++;
    } else if (what < 10) {
      g_signal_emit_by_name (h->element, "reset");
      lstm_state_reset (ref);
      n_resets++;
    } else if (what < 15) {
      discont = TRUE;
      lstm_state_reset (ref);
      n_resets++;
    }
    for (i = 0; i < n * DIM; i++)
      x[i] = (float) g_rand_double_range (rand, -2.0, 2.0);
    if (g_rand_int_range (rand, 0, 40) == 0) {
      /* a burst of 1 to 20 NaN frames, maybe across the buffer's end */
      gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) n);
      gsize len = (gsize) g_rand_int_range (rand, 1, 21);
      for (i = at; i < MIN (n, at + len); i++)
        x[i * DIM + (i % DIM)] = NAN;
    }
    /* the reference: runs of finite frames; a NaN frame gives zeros and
     * restarts the state; one warning per burst */
    for (i = 0; i < n; i += run) {
      if (isnan (x[i * DIM]) || isnan (x[i * DIM + 1])) {
        memset (expect + i * N_OUT, 0, N_OUT * sizeof (float));
        lstm_state_reset (ref);
        n_bursts += !in_burst;
        in_burst = TRUE;
        run = 1;
        continue;
      }
      in_burst = FALSE;
      for (run = 1; i + run < n && !isnan (x[(i + run) * DIM]) &&
          !isnan (x[(i + run) * DIM + 1]); run++);
      g_assert_true (lstm_model_forward (models[cur], ref, x + i * DIM, run,
              expect + i * N_OUT, NULL));
    }
    buf = tu_frames_buffer (x, n, DIM, gst_util_uint64_scale (done,
            GST_SECOND, RATE), gst_util_uint64_scale (done + n, GST_SECOND,
            RATE) - gst_util_uint64_scale (done, GST_SECOND, RATE));
    if (discont)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_nonnull (out);
    tu_assert_buffer_floats (out, expect, n, N_OUT);
    gst_buffer_unref (out);
    done += n;

    if (++n_bufs % 64 == 0) {
      n_warnings += drain_bus (bus);
      if (rss_warm == 0 && done >= total / 10)
        rss_warm = rss_bytes ();
      else if (rss_warm != 0)
        rss_max = MAX (rss_max, rss_bytes ());
    }
  }
  n_warnings += drain_bus (bus);
  g_test_message ("%" G_GUINT64_FORMAT " frames in %u buffers: %u resets, "
      "%u swaps, %u NaN bursts (%u warnings); resident memory %.1f MiB "
      "after the warm-up, at most %.1f MiB after", done, n_bufs, n_resets,
      n_swaps, n_bursts, n_warnings, rss_warm / 1048576.0,
      rss_max / 1048576.0);
  g_assert_cmpuint (n_warnings, ==, n_bursts);
  g_assert_cmpuint (n_swaps, >, 0);
  g_assert_cmpuint (n_bursts, >, 0);
  /* flat: no growth beyond allocator noise */
  if (rss_warm != 0 && rss_max != 0)
    g_assert_cmpuint (rss_max, <, rss_warm + 4 * 1048576);

  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  lstm_state_free (ref);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/soak/lstminfer", test_soak);
  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
