/* The per-buffer cost of lstminfer and lstmfeatures in steady state: heap
 * allocations per buffer through a GstHarness (one-frame buffers for
 * lstminfer, one hop of audio for lstmfeatures), counted against the same
 * harness with identity in its place (what the harness and GStreamer's
 * core spend on a buffer anyway), and the time per buffer (printed, never
 * asserted).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input buffers are made before counting starts; the outputs are
 * pulled and dropped inside the counted loop, so that pooled outputs
 * return to their pool as they do downstream in a pipeline.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <gst/check/gstharness.h>

#include "alloc-counter.h"
#include "gst-test-util.h"

#define RATE 100
#define DIM 40
#define AUDIO_RATE 16000
#define HOP 160                 /* samples: one frame of lstmfeatures */
#define WARMUP 200
#define COUNTED 2000

/* in 40, LSTM 32, linear 10 softmax: the shape of a small tagger */
#define ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":40,\"hidden_size\":32}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":10," \
  "\"activation\":\"softmax\"}]"
/* the same as a regression: values, no labels, no segments */
#define ARCH_REG \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":40,\"hidden_size\":32}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":10}]"

static const gchar *const labels[] = { "a", "b", "c", "d", "e", "f", "g",
  "h", "i", "j", NULL
};

static gchar *model_path, *reg_path;

typedef struct
{
  guint64 allocs;
  guint64 messages;
  guint64 outputs;
  gsize max_size;
  double seconds;
} Cost;

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What is pushed: @per_buffer frames of @dim floats at @rate. */
typedef struct
{
  const gchar *caps;
  guint dim;
  guint per_buffer;
  guint rate;
} Input;

static GstBuffer *
input_buffer (const Input *in, const float *x, guint64 i)
{
  GstClockTime t0 = gst_util_uint64_scale (i * in->per_buffer, GST_SECOND,
      in->rate);
  GstClockTime t1 = gst_util_uint64_scale ((i + 1) * in->per_buffer,
      GST_SECOND, in->rate);

  return tu_frames_buffer (x + (gsize) (i % 64) * in->per_buffer * in->dim,
      in->per_buffer, in->dim, t0, t1 - t0);
}

/* Pulls and drops what the harness has; returns how many buffers. */
static guint64
drain (GstHarness *h)
{
  GstBuffer *out;
  guint64 n = 0;

  while ((out = gst_harness_try_pull (h)) != NULL) {
    gst_buffer_unref (out);
    n++;
  }
  return n;
}

/* Pushes WARMUP buffers, then COUNTED more while counting the
 * allocations. @element is a gst-launch description of one element. */
static Cost
measure (const gchar *element, const Input *input)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *x = tu_random_frames (64 * input->per_buffer,
      input->dim, 7, 0.5f);
  GstBuffer **in = g_new (GstBuffer *, COUNTED);
  GstElement *e = gst_parse_bin_from_description_full (element, FALSE, NULL,
      GST_PARSE_FLAG_NO_SINGLE_ELEMENT_BINS, &error);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstMessage *msg;
  Cost c = { 0 };
  guint64 i;
  double t0;

  g_assert_no_error (error);
  gst_element_set_bus (e, bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, input->caps);
  for (i = 0; i < WARMUP; i++) {
    g_assert_cmpint (gst_harness_push (h, input_buffer (input, x, i)), ==,
        GST_FLOW_OK);
    drain (h);
  }
  for (i = 0; i < COUNTED; i++)
    in[i] = input_buffer (input, x, WARMUP + i);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL)
    gst_message_unref (msg);

  t0 = cpu_seconds ();
  alloc_counter_start ();
  for (i = 0; i < COUNTED; i++) {
    if (gst_harness_push (h, in[i]) != GST_FLOW_OK)
      break;
    c.outputs += drain (h);
  }
  c.allocs = alloc_counter_stop (&c.max_size);
  c.seconds = (cpu_seconds () - t0) / COUNTED;
  g_assert_cmpuint (i, ==, COUNTED);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    c.messages++;
    gst_message_unref (msg);
  }

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  g_assert_null (msg);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_free (in);
  return c;
}

static const Input frames_in = {
  "audio/x-raw,format=F32LE,layout=interleaved,channels=40,rate=100,"
      "channel-mask=(bitmask)0x0", DIM, 1, RATE
};

static const Input audio_in = {
  "audio/x-raw,format=F32LE,layout=interleaved,channels=1,rate=16000",
  1, HOP, AUDIO_RATE
};

static void
report (const gchar *what, const Cost *c)
{
  g_test_message ("%s: %" G_GUINT64_FORMAT " allocations and %"
      G_GUINT64_FORMAT " messages over %d buffers (largest allocation %"
      G_GSIZE_FORMAT " bytes), %.2f us per buffer", what, c->allocs,
      c->messages, COUNTED, c->max_size, c->seconds * 1e6);
}

/* lstminfer in its default (scores) mode on a regression model with no
 * messages due: not one allocation per buffer beyond what identity costs. */
static void
test_values_no_allocation (void)
{
  g_autofree gchar *infer = g_strdup_printf ("lstminfer model=\"%s\" "
      "message-interval=0", reg_path);
  Cost base, ours;

  if (!alloc_counter_available ()) {
    g_test_skip ("no allocation counter under AddressSanitizer");
    return;
  }
  base = measure ("identity", &frames_in);
  ours = measure (infer, &frames_in);
  report ("identity", &base);
  report ("lstminfer, regression, no messages", &ours);
  g_assert_cmpuint (ours.outputs, ==, COUNTED);
  g_assert_cmpuint (ours.messages, ==, 0);
  g_assert_cmpuint (ours.allocs, <=, base.allocs);
}

/* A classifier posts prediction messages every 10 frames and a segment
 * message at every change of label: those messages are the only
 * allocations. A posted element message costs a bounded number of them
 * (the message, its structure, its fields and strings, the bus' queue
 * entry); a buffer with no message due costs none. */
#define MESSAGE_INTERVAL 10
#define ALLOCS_PER_MESSAGE 8

static void
test_messages_only_allocation (void)
{
  g_autofree gchar *infer = g_strdup_printf ("lstminfer model=\"%s\" "
      "message-interval=%d max-message-rate=0", model_path,
      MESSAGE_INTERVAL);
  Cost base, ours;

  if (!alloc_counter_available ()) {
    g_test_skip ("no allocation counter under AddressSanitizer");
    return;
  }
  base = measure ("identity", &frames_in);
  ours = measure (infer, &frames_in);
  report ("identity", &base);
  report ("lstminfer, classifier, a prediction every 10 frames", &ours);
  g_assert_cmpuint (ours.messages, >=, COUNTED / MESSAGE_INTERVAL);
  g_assert_cmpuint (ours.allocs, <=, base.allocs +
      ours.messages * ALLOCS_PER_MESSAGE);
}

/* lstmfeatures (fbank, one frame per output buffer) fed one hop of audio
 * per buffer: one frame out per buffer, written into a pooled buffer, and
 * no allocation beyond identity's. */
static void
test_features_no_allocation (void)
{
  Cost base, ours;

  if (!alloc_counter_available ()) {
    g_test_skip ("no allocation counter under AddressSanitizer");
    return;
  }
  base = measure ("identity", &audio_in);
  ours = measure ("lstmfeatures config=\"{\\\"kind\\\":\\\"fbank\\\","
      "\\\"num_mel_bins\\\":40}\"", &audio_in);
  report ("identity, 160 samples per buffer", &base);
  report ("lstmfeatures, fbank", &ours);
  g_assert_cmpuint (ours.outputs, ==, COUNTED);
  g_assert_cmpuint (ours.allocs, <=, base.allocs);
}

int
main (int argc, char **argv)
{
  g_autoptr (LstmModel) m = NULL;
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  m = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION, labels, 11, NULL);
  model_path = tu_model_save (m, "cost.safetensors");
  g_clear_pointer (&m, lstm_model_unref);
  m = tu_model_new (ARCH_REG, LSTM_TASK_REGRESSION, NULL, 12, NULL);
  reg_path = tu_model_save (m, "cost-reg.safetensors");
  g_test_add_func ("/buffer-cost/values-no-allocation",
      test_values_no_allocation);
  g_test_add_func ("/buffer-cost/messages-only-allocation",
      test_messages_only_allocation);
  g_test_add_func ("/buffer-cost/features-no-allocation",
      test_features_no_allocation);
  ret = g_test_run ();
  g_free (model_path);
  g_free (reg_path);
  tu_cleanup ();
  return ret;
}
