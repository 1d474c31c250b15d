/* libFuzzer target: the elements under random streams. The input is a
 * sequence of operations (one byte each, then its arguments) run on a
 * GstHarness around `lstmfeatures ! lstminfer`, `lstminfer` alone (frames
 * as other/tensors or audio/x-raw) or `lstmfeatures ! lstmtrain`, the
 * first byte picking which: caps (valid or not), buffers of random sizes
 * and contents (NaN, Inf, zero-length, GAP, DISCONT, timestamps or none),
 * events (flush, segment, gap, EOS, stream-start), property changes
 * and model swaps mid-stream. Nothing may crash, leak or post a CRITICAL.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <lstm/lstm.h>

#include "fuzz-common.h"

#define N_MODELS 5
#define MAX_OPS 48
#define MAX_BUFFER 8192

static gchar *models[N_MODELS];
static GstBus *bus;
/* LSTM_FUZZ_TRACE=1 prints the operations (to turn a finding into a test) */
static gboolean trace;
/* an element posted an ERROR in this input: errors are fatal to a stream,
 * a flush does not revive it, so lstmtrain will not post EOS any more */
static gboolean errored;

static void
note_message (GstMessage *m)
{
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
    errored = TRUE;
  gst_message_unref (m);
}

/* fbank with 8 bins: an LSTM, a GRU and a peephole model; an MFCC model of
 * 13 values; a 4-input model without features (frames only). */
static const struct {
  const gchar *arch;
  const gchar *features;
} model_defs[N_MODELS] = {
  { "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":8,\"hidden_size\":4},"
        "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2,"
        "\"activation\":\"softmax\"}]",
      "{\"kind\":\"fbank\",\"sample_frequency\":16000,\"num_mel_bins\":8}" },
  { "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":8,\"hidden_size\":3,"
        "\"num_layers\":2},{\"type\":\"linear\",\"name\":\"head\","
        "\"out_features\":2,\"activation\":\"softmax\"}]",
      "{\"kind\":\"fbank\",\"sample_frequency\":8000,\"num_mel_bins\":8,"
        "\"frame_length\":32,\"frame_shift\":16}" },
  { "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":8,\"hidden_size\":3,"
        "\"peephole\":true},{\"type\":\"linear\",\"name\":\"head\","
        "\"out_features\":2,\"activation\":\"softmax\"}]",
      "{\"kind\":\"melspec\",\"sample_rate\":16000,\"n_fft\":256,"
        "\"hop_length\":128,\"n_mels\":8}" },
  { "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":13,\"hidden_size\":3},"
        "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2,"
        "\"activation\":\"softmax\"}]",
      "{\"kind\":\"mfcc\",\"sample_frequency\":16000,\"num_ceps\":13,"
        "\"num_mel_bins\":16}" },
  { "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":4,\"hidden_size\":3},"
        "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2,"
        "\"activation\":\"softmax\"}]", NULL },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  static const gchar *const labels[] = { "a", "b", NULL };
  guint i;

  (void) argc;
  (void) argv;
  fuzz_setup (TRUE);
  /* our plugin only (and the core elements, below), a private registry,
   * no forked scanner */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", LSTM_FUZZ_PLUGIN_DIR, TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  {
    g_autofree gchar *reg = fuzz_path ("registry.bin");
    g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
  }
  gst_init (NULL, NULL);
  {
    /* lstmtrain ends in a fakesink */
    g_autoptr (GError) error = NULL;
    g_autofree gchar *core = g_build_filename (LSTM_FUZZ_GST_PLUGINS_DIR,
        "libgstcoreelements.so", NULL);
    GstPlugin *p = gst_plugin_load_file (core, &error);
    g_assert_no_error (error);
    gst_object_unref (p);
  }
  for (i = 0; i < N_MODELS; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = NULL;
    LstmModelOptions opts = { 0 };
    g_autofree gchar *name = g_strdup_printf ("model%u.safetensors", i);

    opts.seed = i + 1;
    opts.task = LSTM_TASK_CLASSIFICATION;
    opts.labels = labels;
    opts.features = model_defs[i].features;
    m = lstm_model_new (model_defs[i].arch, &opts, &error);
    g_assert_no_error (error);
    models[i] = fuzz_path (name);
    lstm_model_save (m, models[i], &error);
    g_assert_no_error (error);
  }
  bus = gst_bus_new ();
  trace = g_getenv ("LSTM_FUZZ_TRACE") != NULL;
  return 0;
}

/* ---- reading the input ---- */

typedef struct {
  const guint8 *p;
  gsize left;
} Reader;

static guint
next (Reader *r)
{
  if (r->left == 0)
    return 0;
  r->left--;
  return *r->p++;
}

static guint
next16 (Reader *r)
{
  guint hi = next (r);
  return (hi << 8) | next (r);
}

/* ---- operations ---- */

static const gint rates[] = { 16000, 8000, 44100, 1, 3, 48000, 16001, 96000 };

static GstCaps *
random_caps (Reader *r, gboolean audio_in)
{
  guint kind = next (r);
  guint channels = 1 + next (r) % 4;
  gint rate = rates[next (r) % G_N_ELEMENTS (rates)];

  if (trace)
    g_printerr ("  caps kind %u, %u channels, rate %d\n", kind, channels,
        rate);
  if (audio_in && kind % 4 != 3)
    return gst_caps_new_simple ("audio/x-raw",
        "format", G_TYPE_STRING, kind & 1 ? "S16LE" : "F32LE",
        "layout", G_TYPE_STRING, "interleaved",
        "rate", G_TYPE_INT, rate, "channels", G_TYPE_INT, channels, NULL);
  if (kind & 1) {
    /* frames as audio: one frame per sample, size = channels */
    guint size = (guint[]) { 8, 13, 4, 1, 7 }[next (r) % 5];
    return gst_caps_new_simple ("audio/x-raw",
        "format", G_TYPE_STRING, "F32LE", "layout", G_TYPE_STRING,
        "interleaved", "rate", G_TYPE_INT, rate, "channels", G_TYPE_INT,
        size, NULL);
  } else {
    guint size = (guint[]) { 8, 13, 4, 1, 0 }[next (r) % 5];
    guint per = 1 + next (r) % 12;
    g_autofree gchar *dims = g_strdup_printf ("%u:%u", size, per);
    return gst_caps_new_simple ("other/tensors",
        "format", G_TYPE_STRING, "static", "num_tensors", G_TYPE_INT, 1,
        "types", G_TYPE_STRING, kind & 2 ? "float32" : "int16",
        "dimensions", G_TYPE_STRING, dims,
        "framerate", GST_TYPE_FRACTION, rate, 1 + (gint) (kind >> 4), NULL);
  }
}

static GstBuffer *
random_buffer (Reader *r, GstClockTime *pts)
{
  guint size = next16 (r) % MAX_BUFFER;
  guint fill = next (r);
  guint flags = next (r);
  GstBuffer *buf;
  GstMapInfo map;
  guint i;

  switch (fill % 8) {
    case 0:
      size = 0;
      break;
    case 1:
      size &= ~3u;
      break;
    default:
      break;
  }
  if (trace)
    g_printerr ("  buffer of %u bytes, fill %u, flags 0x%x\n", size, fill % 8,
        flags);
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i + 4 <= size; i += 4) {
    float v;
    switch (fill % 8) {
      case 2:
        v = (i / 4) % 37 == 5 ? NAN : 0.1f * sinf (i * 0.01f);
        break;
      case 3:
        v = (i / 4) % 11 == 2 ? (i & 8 ? INFINITY : -INFINITY) : 0.2f;
        break;
      case 4:
        v = 1e30f * ((i / 4) % 2 ? 1 : -1);
        break;
      case 5:
        v = 0.5f * sinf (i * 0.003f * (1 + fill / 8));
        break;
      default:
        v = ((float) ((i * 2654435761u + fill) % 2001) - 1000.0f) / 1000.0f;
        break;
    }
    memcpy (map.data + i, &v, 4);
  }
  for (; i < size; i++)
    map.data[i] = (guint8) (i * 31 + fill);
  if (fill % 8 == 6) {
    /* raw bytes from the input */
    gsize n = MIN (size, r->left);
    if (n > 0)
      memcpy (map.data, r->p, n);
    r->p += n;
    r->left -= n;
  }
  gst_buffer_unmap (buf, &map);
  if (flags & 1)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  if (flags & 2)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  if (flags & 4) {
    GST_BUFFER_PTS (buf) = *pts;
    GST_BUFFER_DURATION (buf) = (flags & 8) ? GST_CLOCK_TIME_NONE :
        20 * GST_MSECOND;
    *pts += (flags & 16) ? 0 : 20 * GST_MSECOND;
  }
  if (flags & 32)
    *pts = 0;                   /* time runs backwards */
  return buf;
}

static void
set_random_property (GstElement *e, Reader *r)
{
  g_autofree GParamSpec **specs = NULL;
  guint n, pick, v;
  GParamSpec *p;

  if (e == NULL)
    return;
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);
  if (n == 0)
    return;
  pick = next (r) % n;
  v = next (r);
  p = specs[pick];
  if (!(p->flags & G_PARAM_WRITABLE) || (p->flags & G_PARAM_CONSTRUCT_ONLY))
    return;
  if (G_IS_PARAM_SPEC_BOOLEAN (p)) {
    g_object_set (e, p->name, (gboolean) (v & 1), NULL);
  } else if (G_IS_PARAM_SPEC_UINT (p)) {
    GParamSpecUInt *u = G_PARAM_SPEC_UINT (p);
    guint val = v & 128 ? u->default_value : u->minimum + MIN (v & 31,
        u->maximum - u->minimum);
    g_object_set (e, p->name, val, NULL);
  } else if (G_IS_PARAM_SPEC_INT (p)) {
    GParamSpecInt *u = G_PARAM_SPEC_INT (p);
    gint val = v & 128 ? u->default_value : u->minimum + (gint) MIN (v & 31,
        (guint) (u->maximum - u->minimum));
    g_object_set (e, p->name, val, NULL);
  } else if (G_IS_PARAM_SPEC_UINT64 (p)) {
    GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64 (p);
    g_object_set (e, p->name, v & 128 ? u->default_value : u->minimum +
        MIN (v & 31, u->maximum - u->minimum), NULL);
  } else if (G_IS_PARAM_SPEC_DOUBLE (p)) {
    static const double vals[] = { 0, 0.5, 1, 10, 25, -1, 1e9, NAN };
    GParamSpecDouble *d = G_PARAM_SPEC_DOUBLE (p);
    double val = vals[v % G_N_ELEMENTS (vals)];
    if (!(val >= d->minimum && val <= d->maximum))
      val = d->default_value;
    g_object_set (e, p->name, val, NULL);
  } else if (G_IS_PARAM_SPEC_ENUM (p)) {
    GEnumClass *k = G_PARAM_SPEC_ENUM (p)->enum_class;
    g_object_set (e, p->name, k->values[v % k->n_values].value, NULL);
  } else if (G_IS_PARAM_SPEC_STRING (p) && (strcmp (p->name, "model") == 0 ||
          strcmp (p->name, "init-model") == 0)) {
    /* a model swap; one in 8 names a missing file */
    g_autofree gchar *missing = fuzz_path ("missing.safetensors");
    g_object_set (e, p->name, v % 8 == 7 ? missing : models[v % N_MODELS],
        NULL);
  }
}

static void
drain (GstHarness *h)
{
  GstBuffer *b;
  GstEvent *ev;
  GstMessage *m;

  while ((b = gst_harness_try_pull (h)) != NULL)
    gst_buffer_unref (b);
  while ((ev = gst_harness_try_pull_event (h)) != NULL)
    gst_event_unref (ev);
  while ((ev = gst_harness_try_pull_upstream_event (h)) != NULL)
    gst_event_unref (ev);
  while ((m = gst_bus_pop (bus)) != NULL)
    note_message (m);
}

/* lstmtrain trains at EOS in its own thread: wait for its EOS or error. */
static void
wait_train (void)
{
  GstMessage *m;

  if (errored)
    return;
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (m != NULL)
    note_message (m);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Reader r = { data, size };
  guint mode = next (&r) % 3;
  /* the first model: one with features where lstmfeatures takes it (a
   * start that fails is a refusal, tested in the gst suite, and would stop
   * the harness) */
  guint m0 = next (&r) % (mode == 1 ? N_MODELS : N_MODELS - 1);
  gboolean audio_in = mode != 1;
  g_autofree gchar *desc = NULL, *out = fuzz_path ("trained.safetensors");
  GstElement *first, *second;
  GstHarness *h;
  GstClockTime pts = 0;
  gboolean eos = FALSE;
  guint ops = 0;

  errored = FALSE;

  switch (mode) {
    case 0:
      desc = g_strdup_printf ("lstmfeatures name=f model=\"%s\" ! "
          "lstminfer name=s model=\"%s\"", models[m0], models[m0]);
      break;
    case 1:
      desc = g_strdup_printf ("lstminfer name=f model=\"%s\"", models[m0]);
      break;
    default:
      desc = g_strdup_printf ("lstmfeatures name=f model=\"%s\" ! "
          "lstmtrain name=s label=b init-model=\"%s\" location=\"%s\" "
          "epochs=1 batch-size=2 sequence-length=8", models[m0], models[m0],
          out);
      break;
  }
  h = gst_harness_new_parse (desc);
  g_assert (h != NULL);
  gst_element_set_bus (h->element, bus);
  first = gst_bin_get_by_name (GST_BIN (h->element), "f");
  second = gst_bin_get_by_name (GST_BIN (h->element), "s");
  {
    GstCaps *caps = random_caps (&r, audio_in);
    gst_harness_set_src_caps (h, caps);
  }

  if (trace)
    g_printerr ("mode %u, model %u\n", mode, m0);
  while (r.left > 0 && ops++ < MAX_OPS) {
    guint op = next (&r) % 16;
    if (trace)
      g_printerr ("op %u\n", op);
    switch (op) {
      case 0: case 1: case 2: case 3: case 4: case 5:
        (void) gst_harness_push (h, random_buffer (&r, &pts));
        break;
      case 6:
        (void) gst_harness_push_event (h,
            gst_event_new_caps (random_caps (&r, audio_in)));
        break;
      case 7:
        (void) gst_harness_push_event (h, gst_event_new_flush_start ());
        (void) gst_harness_push_event (h, gst_event_new_flush_stop (next (&r)
                & 1));
        eos = FALSE;
        break;
      case 8:{
        GstSegment seg;
        gst_segment_init (&seg, GST_FORMAT_TIME);
        seg.start = next (&r) * GST_MSECOND;
        seg.time = next (&r) * GST_MSECOND;
        seg.rate = next (&r) & 1 ? 1.0 : 2.0;
        (void) gst_harness_push_event (h, gst_event_new_segment (&seg));
        break;
      }
      case 9:
        (void) gst_harness_push_event (h, gst_event_new_gap (pts,
                next (&r) * GST_MSECOND));
        break;
      case 10:
        (void) gst_harness_push_event (h, gst_event_new_eos ());
        if (mode == 2 && !eos)
          wait_train ();
        eos = TRUE;
        break;
      case 11:
        set_random_property (first, &r);
        break;
      case 12:
        set_random_property (second, &r);
        break;
      case 13:
        drain (h);
        break;
      case 14:
        (void) gst_harness_push_event (h,
            gst_event_new_stream_start ("again"));
        break;
      default:{
        GstSegment seg;
        (void) gst_harness_push_event (h, gst_event_new_flush_start ());
        (void) gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
        gst_segment_init (&seg, GST_FORMAT_TIME);
        (void) gst_harness_push_event (h, gst_event_new_segment (&seg));
        eos = FALSE;
        break;
      }
    }
  }
  if (mode == 2 && !eos && next (&r) & 1) {
    (void) gst_harness_push_event (h, gst_event_new_eos ());
    wait_train ();
  }
  drain (h);
  gst_element_set_bus (h->element, NULL);
  g_clear_object (&first);
  g_clear_object (&second);
  gst_harness_teardown (h);
  {
    GstMessage *m;
    while ((m = gst_bus_pop (bus)) != NULL)
      gst_message_unref (m);
  }
  g_unlink (out);
  return 0;
}
