/* lstmtrain: properties, learning from each kind of target (forecast,
 * label track, label, target pad lined up by time), online training while
 * streaming, progress messages, atomic checkpoints, every error, and
 * Ctrl-C under gst-launch-1.0 -e; a forecaster trained from a raw float
 * file that beats persistence by far when run through lstminfer and `lstm
 * run`. GstHarness for single-pad streams, gst_parse_launch pipelines
 * (appsrc, filesrc ! rawaudioparse) otherwise.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>

#include "gst-test-util.h"

#define TIMEOUT (120 * GST_SECOND)
#define RATE 100
#define AUDIO_CAPS "audio/x-raw,format=F32LE,layout=interleaved," \
  "channels=%u,rate=%u"

/* ---- helpers ---- */

static double
sine_at (gsize t)
{
  return 0.8 * sin (2 * G_PI * 2.0 * t / RATE);
}

static float *
sine_series (gsize from, gsize n)
{
  float *x = g_new (float, n);
  gsize t;

  for (t = 0; t < n; t++)
    x[t] = (float) sine_at (from + t);
  return x;
}

/* Queues @n frames of @dim values from @x on appsrc @name as numeric audio
 * at RATE, @per frames a buffer, timed from frame @first plus @offset;
 * @discont_at: a frame index whose buffer starts flagged DISCONT (or -1). */
static void
queue_frames (GstElement *pipeline, const gchar *name, const float *x,
    gsize n, guint dim, gsize per, gsize first, GstClockTime offset,
    gssize discont_at)
{
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline),
      name);
  g_autofree gchar *c = g_strdup_printf (AUDIO_CAPS, dim, RATE);
  g_autoptr (GstCaps) caps = gst_caps_from_string (c);
  gsize off;

  g_assert_nonnull (src);
  gst_app_src_set_caps (GST_APP_SRC (src), caps);
  for (off = 0; off < n; off += per) {
    gsize k = MIN (per, n - off);
    GstClockTime t0 = offset + gst_util_uint64_scale (first + off,
        GST_SECOND, RATE);
    GstClockTime t1 = offset + gst_util_uint64_scale (first + off + k,
        GST_SECOND, RATE);
    GstBuffer *buf = tu_frames_buffer (x + off * dim, k, dim, t0, t1 - t0);
    if (discont_at >= 0 && (gsize) discont_at == first + off)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
}

static void
end_stream (GstElement *pipeline, const gchar *name)
{
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline),
      name);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
}

/* "appsrc ! lstmtrain name=train PROPS" (and a second appsrc on the
 * target pad), playing, with @n frames queued and EOS; runs to the end. */
static gboolean
train_frames (const gchar *props, const float *x, gsize n, guint dim,
    GPtrArray *msgs, GstMessage **error_msg)
{
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train %s", props);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);

  g_assert_no_error (error);
  queue_frames (pipeline, "src", x, n, dim, 20, 0, 0, -1);
  end_stream (pipeline, "src");
  return tu_run_to_eos (pipeline, TIMEOUT, msgs, error_msg);
}

static GPtrArray *
new_msgs (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
}

/* The lstm-train-progress messages among @msgs. */
static GPtrArray *
progress_of (GPtrArray *msgs)
{
  GPtrArray *res = g_ptr_array_new ();
  guint i;

  for (i = 0; i < msgs->len; i++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[i]);
    if (gst_structure_has_name (s, "lstm-train-progress"))
      g_ptr_array_add (res, (gpointer) s);
  }
  return res;
}

static double
field_double (const GstStructure *s, const gchar *name)
{
  double v = 0;
  g_assert_true (gst_structure_get_double (s, name, &v));
  return v;
}

static LstmModel *
load (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  LstmModel *m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  return m;
}

/* The "data" record of a model's lstm.training, and its integer @key. */
static gint64
training_data_int (LstmModel *m, const gchar *key)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;

  json_parser_load_from_data (p, lstm_model_get_metadata (m,
          "lstm.training"), -1, &error);
  g_assert_no_error (error);
  o = json_object_get_object_member (json_node_get_object
      (json_parser_get_root (p)), "data");
  g_assert_nonnull (o);
  g_assert_true (json_object_has_member (o, key));
  return json_object_get_int_member (o, key);
}

/* RMSE of a 1-value forecaster's next-value predictions over x[skip..n-1)
 * (from a fresh state), and the persistence RMSE there. */
static void
forecast_rmse (LstmModel *m, const float *x, gsize n, gsize skip,
    double *rmse, double *persistence)
{
  g_autofree float *y = tu_reference (m, x, n);
  double se = 0, sp = 0;
  gsize t;

  for (t = skip; t + 1 < n; t++) {
    se += (y[t] - x[t + 1]) * (double) (y[t] - x[t + 1]);
    sp += (x[t] - x[t + 1]) * (double) (x[t] - x[t + 1]);
  }
  *rmse = sqrt (se / (n - 1 - skip));
  *persistence = sqrt (sp / (n - 1 - skip));
}

static void
assert_error (GstMessage *msg, GQuark domain, gint code, const gchar *text)
{
  g_autoptr (GError) gerr = NULL;
  g_autofree gchar *dbg = NULL;

  g_assert_nonnull (msg);
  g_assert_cmpstr (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), ==, "train");
  gst_message_parse_error (msg, &gerr, &dbg);
  g_test_message ("error: %s (%s)", gerr->message, dbg ? dbg : "");
  g_assert_error (gerr, domain, code);
  /* the message, or its details (liblstm's reason, for a file) */
  if (text != NULL && strstr (gerr->message, text) == NULL &&
      (dbg == NULL || strstr (dbg, text) == NULL))
    g_error ("'%s' does not say '%s'", gerr->message, text);
}

/* ---- the element ---- */

static void
test_properties (void)
{
  static const gchar *const names[] = { "location", "mode", "horizon",
    "label", "labels", "label-file", "init-model", "cell", "hidden-size",
    "num-layers", "features", "epochs", "batch-size", "sequence-length",
    "learning-rate", "optimizer", "clip-norm", "validation-fraction", "seed",
    "online", "checkpoint-interval", "progress-interval", "save-interval",
    "forget-bias", "loss", "momentum", "weight-decay", "schedule",
    "patience", "clip-loss"
  };
  GstElement *e = gst_element_factory_make ("lstmtrain", NULL);
  GstElementFactory *f = gst_element_get_factory (e);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  GstPadTemplate *t;
  gchar *location = (gchar *) "x";
  guint epochs = 0, batch = 0, seq = 0, hidden = 0, ck = 0, horizon = 0;
  gdouble lr = 0, vf = 0;
  gint mode = -1, optimizer = -1, cell = -1;
  gboolean online = TRUE;
  guint k;

  g_assert_nonnull (e);
  g_assert_cmpstr (gst_element_factory_get_metadata (f,
          GST_ELEMENT_METADATA_KLASS), ==, "Sink/Analyzer");
  g_assert_true (GST_OBJECT_FLAG_IS_SET (e, GST_ELEMENT_FLAG_SINK));
  for (k = 0; k < G_N_ELEMENTS (names); k++) {
    GParamSpec *p = g_object_class_find_property (klass, names[k]);
    g_assert_nonnull (p);
    g_assert_true (strlen (g_param_spec_get_blurb (p)) > 20);
    g_assert_true ((p->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE);
  }
  t = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (e), "sink");
  g_assert_cmpint (GST_PAD_TEMPLATE_PRESENCE (t), ==, GST_PAD_ALWAYS);
  t = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (e),
      "target");
  g_assert_cmpint (GST_PAD_TEMPLATE_PRESENCE (t), ==, GST_PAD_REQUEST);
  g_object_get (e, "location", &location, "epochs", &epochs, "batch-size",
      &batch, "sequence-length", &seq, "hidden-size", &hidden,
      "checkpoint-interval", &ck, "horizon", &horizon, "learning-rate", &lr,
      "validation-fraction", &vf, "mode", &mode, "optimizer", &optimizer,
      "cell", &cell, "online", &online, NULL);
  g_assert_null (location);
  g_assert_cmpuint (epochs, ==, 20);
  g_assert_cmpuint (batch, ==, 32);
  g_assert_cmpuint (seq, ==, 64);
  g_assert_cmpuint (hidden, ==, 64);
  g_assert_cmpuint (ck, ==, 1);
  g_assert_cmpuint (horizon, ==, 1);
  g_assert_cmpfloat (lr, ==, 0);       /* the optimizer's: 1e-3 for Adam */
  g_assert_cmpfloat (vf, ==, 0.1);
  g_assert_cmpint (mode, ==, 0);
  g_assert_cmpint (optimizer, ==, 0);
  g_assert_cmpint (cell, ==, 0);
  g_assert_false (online);
  /* a target pad, released, requested again */
  {
    GstPad *a = gst_element_request_pad_simple (e, "target");
    g_assert_nonnull (a);
    g_assert_cmpstr (GST_PAD_NAME (a), ==, "target");
    gst_element_release_request_pad (e, a);
    gst_object_unref (a);
    a = gst_element_request_pad_simple (e, "target");
    g_assert_nonnull (a);
    gst_object_unref (a);
  }
  gst_object_unref (e);
}

/* mode=forecast from appsrc: a message per epoch (patience=0: every epoch
 * runs), the model saved as a forecaster of the stream that beats
 * persistence on a continuation. */
static void
test_forecast (void)
{
  g_autofree gchar *out = tu_tmp_path ("forecast.safetensors");
  g_autofree gchar *props = g_strdup_printf ("mode=forecast location=\"%s\" "
      "hidden-size=16 epochs=30 batch-size=4 sequence-length=25 "
      "learning-rate=0.01 patience=0", out);
  g_autofree float *x = sine_series (0, 1500);
  g_autofree float *test = sine_series (1500, 500);
  g_autoptr (GPtrArray) msgs = new_msgs ();
  g_autoptr (GPtrArray) prog = NULL;
  g_autoptr (LstmModel) m = NULL;
  double rmse, persist;
  guint i;

  g_assert_true (train_frames (props, x, 1500, 1, msgs, NULL));
  prog = progress_of (msgs);
  g_assert_cmpuint (prog->len, ==, 30);
  for (i = 0; i < prog->len; i++) {
    guint epoch = 0;
    g_assert_true (gst_structure_get_uint (prog->pdata[i], "epoch", &epoch));
    g_assert_cmpuint (epoch, ==, i + 1);
  }
  m = load (out);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_FORECAST);
  g_assert_cmpuint (lstm_model_get_input_size (m), ==, 1);
  g_assert_cmpuint (lstm_model_get_output_size (m), ==, 1);
  g_assert_null (lstm_model_get_metadata (m, "lstm.checkpoint"));
  /* frame t's target is frame t + 1: the last frame has none */
  g_assert_cmpint (training_data_int (m, "frames"), ==, 1499);
  g_assert_cmpint (training_data_int (m, "frames_with_targets"), ==, 1499);
  g_assert_cmpint (training_data_int (m, "validation_frames"), ==, 149);
  forecast_rmse (m, test, 500, 50, &rmse, &persist);
  g_test_message ("RMSE %.5f, persistence %.5f, ratio %.3f", rmse, persist,
      rmse / persist);
  g_assert_cmpfloat (rmse, <, 0.6 * persist);
}

/* A horizon of 5: the frames and targets are 5 apart. */
static void
test_forecast_horizon (void)
{
  g_autofree gchar *out = tu_tmp_path ("horizon.safetensors");
  g_autofree gchar *props = g_strdup_printf ("mode=forecast horizon=5 "
      "location=\"%s\" hidden-size=4 epochs=2 batch-size=2 "
      "validation-fraction=0", out);
  g_autofree float *x = sine_series (0, 300);
  g_autoptr (LstmModel) m = NULL;

  g_assert_true (train_frames (props, x, 300, 1, NULL, NULL));
  m = load (out);
  g_assert_cmpint (training_data_int (m, "frames"), ==, 295);
  g_assert_cmpint (training_data_int (m, "horizon"), ==, 5);
}

/* Two-channel frames: "zeta" where channel 0 dominates, "alpha" where
 * channel 1 does, nothing labelled from 6 s to 7 s (frames there are
 * noise). */
static const struct {
  double start, end;
  const gchar *label;
} spans[] = {
  { 0.0, 0.8, "zeta" }, { 0.8, 2.3, "alpha" }, { 2.3, 3.1, "zeta" },
  { 3.1, 4.9, "alpha" }, { 4.9, 6.0, "zeta" }, { 7.0, 8.4, "alpha" },
  { 8.4, 9.0, "zeta" }, { 9.0, 12.0, "alpha" },
};

static float *
balance_frames (gsize n, guint **classes)
{
  GRand *r = g_rand_new_with_seed (11);
  float *x = g_new (float, n * 2);
  gsize t;
  guint k;

  *classes = g_new (guint, n);
  for (t = 0; t < n; t++) {
    double time = (double) t / RATE;
    gint cls = -1;
    for (k = 0; k < G_N_ELEMENTS (spans); k++)
      if (time >= spans[k].start && time < spans[k].end)
        cls = strcmp (spans[k].label, "alpha") == 0 ? 0 : 1;
    (*classes)[t] = cls < 0 ? LSTM_TARGET_IGNORE : (guint) cls;
    if (cls < 0) {
      x[2 * t] = (float) g_rand_double_range (r, 0, 1);
      x[2 * t + 1] = (float) g_rand_double_range (r, 0, 1);
    } else {
      double hi = 1.0 + g_rand_double_range (r, -0.3, 0.3);
      double lo = 0.2 + g_rand_double_range (r, -0.15, 0.15);
      x[2 * t] = (float) (cls == 1 ? hi : lo);
      x[2 * t + 1] = (float) (cls == 1 ? lo : hi);
    }
  }
  g_rand_free (r);
  return x;
}

/* filesrc ! rawaudioparse ! lstmtrain label-file=...: the label track's
 * labels become the model's (sorted), unlabelled frames count in no loss,
 * and the model tags its own data right. */
static void
test_label_file (void)
{
  g_autofree gchar *out = tu_tmp_path ("tagger.safetensors");
  g_autofree gchar *raw = tu_tmp_path ("balance.f32");
  g_autofree gchar *labels = tu_tmp_path ("balance.txt");
  g_autofree guint *cls = NULL;
  g_autofree float *x = balance_frames (1200, &cls);
  g_autofree float *y = NULL;
  g_autoptr (GString) track = g_string_new (NULL);
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GPtrArray) msgs = new_msgs ();
  g_autoptr (GPtrArray) prog = NULL;
  g_autoptr (LstmModel) m = NULL;
  const gchar *const *ml;
  gsize t, n_lab = 0, right = 0;
  guint k;

  for (k = 0; k < G_N_ELEMENTS (spans); k++) {
    g_string_append_printf (track, "%.2f\t%.2f\t%s\n", spans[k].start,
        spans[k].end, spans[k].label);
    if (k == 2)     /* Audacity's frequency-range line */
      g_string_append (track, "\\\t440.000000\t880.000000\n");
  }
  g_assert_true (g_file_set_contents (labels, track->str, -1, NULL));
  g_assert_true (g_file_set_contents (raw, (const gchar *) x,
          1200 * 2 * sizeof (float), NULL));
  desc = g_strdup_printf ("filesrc location=\"%s\" ! queue ! rawaudioparse "
      "use-sink-caps=false format=pcm pcm-format=f32le num-channels=2 "
      "sample-rate=%u ! lstmtrain name=train label-file=\"%s\" "
      "location=\"%s\" hidden-size=8 epochs=30 batch-size=4 "
      "sequence-length=50 learning-rate=0.01", raw, RATE, labels, out);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));

  prog = progress_of (msgs);
  g_assert_cmpuint (prog->len, ==, 30);
  g_assert_cmpfloat (field_double (prog->pdata[29], "accuracy"), >, 0.9);
  m = load (out);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_CLASSIFICATION);
  ml = lstm_model_get_labels (m);
  g_assert_cmpstr (ml[0], ==, "alpha");
  g_assert_cmpstr (ml[1], ==, "zeta");
  g_assert_null (ml[2]);
  for (t = 0; t < 1200; t++)
    n_lab += cls[t] != LSTM_TARGET_IGNORE;
  g_assert_cmpuint (n_lab, ==, 1100);
  g_assert_cmpint (training_data_int (m, "frames"), ==, 1200);
  g_assert_cmpint (training_data_int (m, "frames_with_targets"), ==, 1100);

  /* frame accuracy on its own data */
  y = tu_reference (m, x, 1200);
  for (t = 0; t < 1200; t++)
    if (cls[t] != LSTM_TARGET_IGNORE)
      right += (y[2 * t + 1] > y[2 * t]) == (cls[t] == 1);
  g_test_message ("frame accuracy %.4f", (double) right / n_lab);
  g_assert_cmpfloat ((double) right / n_lab, >=, 0.97);
}

/* GstHarness, tensors: label=c fine-tunes an init-model with labels a, b,
 * c (kept); its score for c rises on the stream. Progress messages: one per
 * epoch, every field typed, posted by lstmtrain. */
static void
test_label_finetune_harness (void)
{
  static const gchar *const abc[] = { "a", "b", "c", NULL };
  g_autoptr (LstmModel) init = tu_model_new ("[{\"type\":\"gru\",\"name\":"
      "\"rnn\",\"input_size\":3,\"hidden_size\":6},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3,\"activation\":\"softmax\"}]",
      LSTM_TASK_CLASSIFICATION, abc, 3, NULL);
  g_autofree gchar *init_path = tu_model_save (init, "abc.safetensors");
  g_autofree gchar *out = tu_tmp_path ("abc-c.safetensors");
  g_autofree float *x = tu_random_frames (300, 3, 5, 1.0f);
  g_autofree float *y0 = NULL, *y1 = NULL;
  g_autoptr (LstmModel) m = NULL;
  GstElement *e = gst_element_factory_make ("lstmtrain", "train");
  GstBus *bus = gst_bus_new ();
  g_autoptr (GPtrArray) all = new_msgs ();
  GstHarness *h;
  GstMessage *msg;
  double c0 = 0, c1 = 0;
  guint i;

  /* set up before the harness starts it */
  gst_element_set_bus (e, bus);
  g_object_set (e, "label", "c", "init-model", init_path, "location", out,
      "epochs", 4, "batch-size", 2, "sequence-length", 20, "learning-rate",
      0.05, "validation-fraction", 0.2, NULL);
  h = gst_harness_new_with_element (e, "sink", NULL);
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "other/tensors,format=(string)static,"
      "num_tensors=(int)1,types=(string)float32,dimensions=(string)3:10,"
      "framerate=(fraction)10/1");
  for (i = 0; i < 30; i++)
    g_assert_cmpint (gst_harness_push (h, tu_frames_buffer (x + i * 30, 10,
                3, i * GST_SECOND / 10, GST_SECOND / 10)), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  /* training runs at EOS; the bin posts EOS once the model is saved */
  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, TIMEOUT, GST_MESSAGE_EOS |
        GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    g_assert_nonnull (msg);
    g_assert_cmpint (GST_MESSAGE_TYPE (msg), !=, GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      break;
    g_ptr_array_add (all, msg);
  }
  gst_message_unref (msg);

  {
    g_assert_cmpuint (all->len, ==, 4);
    for (i = 0; i < all->len; i++) {
      const GstStructure *s = gst_message_get_structure (all->pdata[i]);
      guint epoch = 0;
      guint64 step = 0;
      gboolean done = FALSE;
      g_assert_cmpstr (GST_OBJECT_NAME (GST_MESSAGE_SRC (all->pdata[i])), ==,
          "train");
      g_assert_true (gst_structure_get_uint (s, "epoch", &epoch));
      g_assert_cmpuint (epoch, ==, i + 1);
      g_assert_true (gst_structure_get_uint64 (s, "step", &step));
      /* 240 training frames in 2 pieces of 120: 6 windows of 20 */
      g_assert_cmpuint (step, ==, 6 * (i + 1));
      g_assert_true (gst_structure_get_boolean (s, "epoch-done", &done));
      g_assert_true (done);
      g_assert_true (isfinite (field_double (s, "loss")));
      g_assert_true (isfinite (field_double (s, "val-loss")));
      g_assert_cmpfloat (field_double (s, "accuracy"), >=, 0);
      g_assert_cmpfloat (field_double (s, "accuracy"), <=, 1);
      g_assert_cmpfloat (field_double (s, "val-accuracy"), >=, 0);
      g_assert_cmpfloat (field_double (s, "frames-per-second"), >, 0);
    }
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);

  m = load (out);
  g_assert_cmpstr (lstm_model_get_labels (m)[0], ==, "a");
  g_assert_cmpstr (lstm_model_get_labels (m)[2], ==, "c");
  y0 = tu_reference (init, x, 300);
  y1 = tu_reference (m, x, 300);
  for (i = 0; i < 300; i++) {
    c0 += y0[i * 3 + 2];
    c1 += y1[i * 3 + 2];
  }
  g_test_message ("mean score of c: %.3f before, %.3f after", c0 / 300,
      c1 / 300);
  g_assert_cmpfloat (c1 / 300, >, c0 / 300 + 0.2);
}

/* label= with labels=: a new two-class GRU model, with the feature
 * configuration given. */
static void
test_label_new (void)
{
  static const gchar *features = "{\"kind\":\"mfcc\","
      "\"sample_frequency\":16000,\"num_ceps\":2}";
  g_autofree gchar *out = tu_tmp_path ("xy.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train label=y labels=\"x, y\" cell=gru "
      "location=\"%s\" hidden-size=4 epochs=2 validation-fraction=0", out);
  g_autofree float *x = tu_random_frames (200, 2, 1, 1.0f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) train = NULL;
  g_autoptr (LstmModel) m = NULL;
  const gchar *const *ml;
  LstmLayerInfo info;

  g_assert_no_error (error);
  train = gst_bin_get_by_name (GST_BIN (pipeline), "train");
  g_object_set (train, "features", features, NULL);
  queue_frames (pipeline, "src", x, 200, 2, 20, 0, 0, -1);
  end_stream (pipeline, "src");
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  m = load (out);
  ml = lstm_model_get_labels (m);
  g_assert_cmpstr (ml[0], ==, "x");
  g_assert_cmpstr (ml[1], ==, "y");
  g_assert_null (ml[2]);
  g_assert_cmpstr (lstm_model_get_features (m), ==, features);
  g_assert_true (lstm_model_get_layer_info (m, 0, &info));
  g_assert_cmpint (info.type, ==, LSTM_LAYER_GRU);
  g_assert_cmpuint (info.hidden_size, ==, 4);
}

/* features= given as a kind name: the model records the configuration it
 * stands for, as liblstm loads it (lstm_features_new_from_options). */
static void
test_features_kind_name (void)
{
  g_autofree gchar *out = tu_tmp_path ("kind.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train label=y labels=\"x, y\" location=\"%s\" "
      "hidden-size=4 epochs=1 validation-fraction=0 features=mfcc", out);
  g_autofree float *x = tu_random_frames (100, 13, 2, 1.0f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmFeatures) want = NULL;
  g_autofree gchar *want_config = NULL;

  g_assert_no_error (error);
  queue_frames (pipeline, "src", x, 100, 13, 20, 0, 0, -1);
  end_stream (pipeline, "src");
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  m = load (out);
  want = lstm_features_new ("{\"kind\":\"mfcc\"}", &error);
  g_assert_no_error (error);
  want_config = lstm_features_get_config (want);
  g_assert_cmpstr (lstm_model_get_features (m), ==, want_config);
}

/* The same frames in buffers of other sizes train bitwise the same model,
 * collected or online. */
static void
test_buffer_sizes (gconstpointer data)
{
  gboolean online = GPOINTER_TO_INT (data);
  static const gsize sizes[] = { 1, 7, 64 };
  g_autofree float *x = sine_series (0, 600);
  g_autofree float *ref = NULL;
  guint k;

  for (k = 0; k < G_N_ELEMENTS (sizes); k++) {
    g_autofree gchar *name = g_strdup_printf ("sizes-%d-%u.safetensors",
        online, k);
    g_autofree gchar *out = tu_tmp_path (name);
    g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
        "! lstmtrain mode=forecast online=%s location=\"%s\" hidden-size=6 "
        "epochs=3 batch-size=3 sequence-length=16 seed=5",
        online ? "true" : "false", out);
    g_autoptr (GError) error = NULL;
    g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
    g_autoptr (LstmModel) m = NULL;
    g_autofree float *y = NULL;

    g_assert_no_error (error);
    queue_frames (pipeline, "src", x, 600, 1, sizes[k], 0, 0, -1);
    end_stream (pipeline, "src");
    g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
    m = load (out);
    y = tu_reference (m, x, 600);
    if (ref == NULL)
      ref = g_steal_pointer (&y);
    else
      g_assert_true (memcmp (ref, y, 600 * sizeof (float)) == 0);
  }
}

/* ---- the target pad: targets lined up by time ---- */

typedef struct {
  const gchar *name;
  GstClockTime target_offset;   /* time of target frame 0 */
  gsize target_from;            /* target k holds x[target_from + step k] */
  guint target_step;            /* frames per target frame */
  gsize n_targets;
  gint64 with_targets;          /* frames that get a target */
  gboolean learnable;
} AlignCase;

/* target k at time offset + k step / RATE holds x[from + k step]:
 * - shifted: targets start at 1 s and hold x(t) at time t: identity;
 * - by-index: the same values from 0 s: x(t + 1 s) at time t, which no
 *   model can predict from the noise up to t;
 * - half-rate: 50 targets a second, each covering two frames, on noise
 *   that holds each value for two frames: identity again (lined up by
 *   index instead, frame k would get x(2k)). */
static const AlignCase align_cases[] = {
  { "shifted", GST_SECOND, 100, 1, 700, 700, TRUE },
  { "by-index", 0, 100, 1, 700, 700, FALSE },
  { "half-rate", 0, 0, 2, 400, 800, TRUE },
};

static void
test_target_alignment (gconstpointer data)
{
  const AlignCase *c = data;
  g_autofree gchar *name = g_strdup_printf ("target-%s.safetensors",
      c->name);
  g_autofree gchar *out = tu_tmp_path (name);
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train location=\"%s\" hidden-size=8 epochs=40 "
      "batch-size=4 sequence-length=25 learning-rate=0.01 "
      "validation-fraction=0 appsrc name=tsrc format=time ! train.target",
      out);
  g_autofree float *x = tu_random_frames (800, 1, 21, 1.0f);
  g_autofree float *tg = g_new (float, c->n_targets);
  g_autofree gchar *tcaps = g_strdup_printf (AUDIO_CAPS, 1u,
      RATE / c->target_step);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) tsrc = NULL;
  g_autoptr (GstCaps) caps = gst_caps_from_string (tcaps);
  g_autoptr (GPtrArray) msgs = new_msgs ();
  g_autoptr (GPtrArray) prog = NULL;
  g_autoptr (LstmModel) m = NULL;
  double loss;
  gsize k;

  g_assert_no_error (error);
  for (k = 0; k < 800; k++)
    x[k] = x[k - k % c->target_step];
  for (k = 0; k < c->n_targets; k++)
    tg[k] = x[c->target_from + k * c->target_step];
  queue_frames (pipeline, "src", x, 800, 1, 16, 0, 0, -1);
  end_stream (pipeline, "src");
  tsrc = gst_bin_get_by_name (GST_BIN (pipeline), "tsrc");
  gst_app_src_set_caps (GST_APP_SRC (tsrc), caps);
  for (k = 0; k < c->n_targets; k += 10) {
    gsize n = MIN (10, c->n_targets - k);
    GstClockTime t0 = c->target_offset + gst_util_uint64_scale (k *
        c->target_step, GST_SECOND, RATE);
    GstClockTime t1 = c->target_offset + gst_util_uint64_scale ((k + n) *
        c->target_step, GST_SECOND, RATE);
    gst_app_src_push_buffer (GST_APP_SRC (tsrc), tu_frames_buffer (tg + k,
            n, 1, t0, t1 - t0));
  }
  gst_app_src_end_of_stream (GST_APP_SRC (tsrc));
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));

  m = load (out);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_REGRESSION);
  g_assert_cmpint (training_data_int (m, "frames"), ==, 800);
  g_assert_cmpint (training_data_int (m, "frames_with_targets"), ==,
      c->with_targets);
  prog = progress_of (msgs);
  g_assert_cmpuint (prog->len, ==, 40);
  loss = field_double (prog->pdata[39], "loss");
  g_test_message ("%s: last epoch's loss %.5f (target variance 0.333)",
      c->name, loss);
  /* x is uniform in [-1, 1]: variance 1/3 */
  if (c->learnable)
    g_assert_cmpfloat (loss, <, 0.03);
  else
    g_assert_cmpfloat (loss, >, 0.2);
}

/* ---- online training ---- */

/* Updates while the stream flows: progress messages come before EOS; a
 * DISCONT cuts the windows; EOS saves what was learnt. */
static void
test_online (void)
{
  g_autofree gchar *out = tu_tmp_path ("online.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train mode=forecast online=true location=\"%s\" "
      "hidden-size=8 sequence-length=10 learning-rate=0.02 "
      "validation-fraction=0 progress-interval=5", out);
  g_autofree float *x = sine_series (0, 1000);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GPtrArray) msgs = new_msgs ();
  g_autoptr (GPtrArray) prog = NULL;
  g_autoptr (LstmModel) m = NULL;
  guint64 step = 0;
  gboolean done = TRUE;
  gdouble mse = 0, var = 0;
  g_autofree float *y = NULL;
  gsize t;

  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  /* 505 frames: 504 with their next frame, 50 full windows of 10 */
  queue_frames (pipeline, "src", x, 505, 1, 5, 0, 0, -1);
  while (step < 50) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    const GstStructure *s;
    g_assert_nonnull (msg);
    g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_ELEMENT);
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "lstm-train-progress")) {
      g_assert_true (gst_structure_get_uint64 (s, "step", &step));
      g_assert_true (gst_structure_get_boolean (s, "epoch-done", &done));
      g_assert_false (done);
      g_assert_cmpuint (step % 5, ==, 0);
      /* nothing held out, numeric targets: no such fields */
      g_assert_false (gst_structure_has_field (s, "val-loss"));
      g_assert_false (gst_structure_has_field (s, "accuracy"));
      g_assert_false (gst_structure_has_field (s, "val-accuracy"));
      g_assert_true (isfinite (field_double (s, "loss")));
    }
    gst_message_unref (msg);
  }
  g_assert_cmpuint (step, ==, 50);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* the rest after a discontinuity: the pending 4 frames make a step, the
   * state starts afresh, frame 504 loses its target: 494 more frames with
   * targets, 50 more steps */
  queue_frames (pipeline, "src", x + 505, 495, 1, 5, 505, 0, 505);
  end_stream (pipeline, "src");
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));
  prog = progress_of (msgs);
  g_assert_cmpuint (prog->len, >=, 1);
  g_assert_true (gst_structure_get_boolean (prog->pdata[prog->len - 1],
          "epoch-done", &done));
  g_assert_true (done);
  g_assert_true (gst_structure_get_uint64 (prog->pdata[prog->len - 1],
          "step", &step));
  g_assert_cmpuint (step, ==, 101);

  m = load (out);
  g_assert_null (lstm_model_get_metadata (m, "lstm.checkpoint"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"online\":true"));
  /* what was used: one stream, MSE, running input statistics */
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"batch_size\":1,"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"loss\":\"mse\""));
  g_assert_nonnull (lstm_model_get_input_mean (m));
  g_assert_nonnull (lstm_model_get_input_std (m));
  /* it learnt: its next-value error is far below the signal's variance */
  y = tu_reference (m, x, 1000);
  for (t = 0; t + 1 < 1000; t++) {
    mse += (y[t] - x[t + 1]) * (double) (y[t] - x[t + 1]);
    var += x[t + 1] * (double) x[t + 1];
  }
  g_test_message ("online: next-value MSE %.5f, signal power %.5f",
      mse / 999, var / 999);
  g_assert_cmpfloat (mse, <, 0.1 * var);
}

/* ---- checkpoints ---- */

typedef struct {
  gchar *dir;
  gchar *path;
  GArray *seen;         /* gint: checkpoint epoch on disk at each epoch, or
                         * -1 for no file */
  gboolean stray;       /* another file in the folder */
} CkWatch;

static GstBusSyncReply
on_sync (GstBus *bus, GstMessage *msg, gpointer data)
{
  CkWatch *w = data;
  const GstStructure *s = gst_message_get_structure (msg);
  gint ck = -1;

  (void) bus;
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || s == NULL ||
      !gst_structure_has_name (s, "lstm-train-progress"))
    return GST_BUS_PASS;
  /* posted by the training thread between epochs: the file is quiet */
  if (g_file_test (w->path, G_FILE_TEST_EXISTS)) {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = lstm_model_load (w->path, &error);
    g_autoptr (JsonParser) p = json_parser_new ();
    const gchar *meta;
    g_assert_no_error (error);
    meta = lstm_model_get_metadata (m, "lstm.checkpoint");
    g_assert_nonnull (meta);
    g_assert_true (json_parser_load_from_data (p, meta, -1, NULL));
    ck = (gint) json_object_get_int_member (json_node_get_object
        (json_parser_get_root (p)), "epoch");
  }
  {
    GDir *d = g_dir_open (w->dir, 0, NULL);
    const gchar *e;
    while ((e = g_dir_read_name (d)) != NULL)
      if (strcmp (e, "ck.safetensors") != 0)
        w->stray = TRUE;
    g_dir_close (d);
  }
  g_array_append_val (w->seen, ck);
  return GST_BUS_PASS;
}

/* checkpoint-interval=2 over 5 epochs: a resumable checkpoint appears at
 * epochs 2 and 4, written atomically (never another file in the folder),
 * and the final model replaces it at EOS. */
static void
test_checkpoints (void)
{
  CkWatch w = { 0 };
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autofree float *x = sine_series (0, 400);
  static const gint expect[] = { -1, 2, 2, 4, 4 };
  guint i;

  w.dir = tu_tmp_path ("ck");
  g_assert_cmpint (g_mkdir (w.dir, 0755), ==, 0);
  w.path = g_build_filename (w.dir, "ck.safetensors", NULL);
  w.seen = g_array_new (FALSE, FALSE, sizeof (gint));
  desc = g_strdup_printf ("appsrc name=src format=time ! lstmtrain "
      "name=train mode=forecast location=\"%s\" hidden-size=4 epochs=5 "
      "batch-size=2 sequence-length=20 checkpoint-interval=2", w.path);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, on_sync, &w, NULL);
  queue_frames (pipeline, "src", x, 400, 1, 20, 0, 0, -1);
  end_stream (pipeline, "src");
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);

  g_assert_cmpuint (w.seen->len, ==, 5);
  for (i = 0; i < 5; i++)
    g_assert_cmpint (g_array_index (w.seen, gint, i), ==, expect[i]);
  g_assert_false (w.stray);
  m = load (w.path);
  g_assert_null (lstm_model_get_metadata (m, "lstm.checkpoint"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"epochs\":5"));
  g_array_unref (w.seen);
  g_free (w.path);
  g_free (w.dir);
}

/* ---- errors ---- */

typedef enum {
  E_LOCATION_NO_FOLDER,
  E_LOCATION_FOLDER,
  E_LOCATION_NONE,
  E_LABEL_FILE_PARSE,
  E_LABEL_FILE_MISSING,
  E_NO_TARGETS,
  E_TWO_TARGETS,
  E_ONE_CLASS,
  E_FRAME_SIZE,
  E_LABEL_NOT_IN_MODEL,
  E_TRACK_LABEL_NOT_IN_MODEL,
  E_INIT_MISSING,
  E_INIT_TOO_LARGE,
  E_FEATURES,
  E_NOTHING_LABELLED,
  E_TARGET_SIZE,
} ErrorKind;

typedef struct {
  const gchar *name;
  ErrorKind kind;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "location-no-folder", E_LOCATION_NO_FOLDER },
  { "location-is-folder", E_LOCATION_FOLDER },
  { "location-none", E_LOCATION_NONE },
  { "label-file-parse", E_LABEL_FILE_PARSE },
  { "label-file-missing", E_LABEL_FILE_MISSING },
  { "no-targets", E_NO_TARGETS },
  { "two-targets", E_TWO_TARGETS },
  { "one-class", E_ONE_CLASS },
  { "frame-size-vs-init-model", E_FRAME_SIZE },
  { "label-not-in-init-model", E_LABEL_NOT_IN_MODEL },
  { "label-file-not-in-init-model", E_TRACK_LABEL_NOT_IN_MODEL },
  { "init-model-missing", E_INIT_MISSING },
  { "init-model-over-max-model-size", E_INIT_TOO_LARGE },
  { "features-not-json", E_FEATURES },
  { "nothing-labelled", E_NOTHING_LABELLED },
  { "target-size-vs-init-model", E_TARGET_SIZE },
};

static void
test_error (gconstpointer data)
{
  const ErrorCase *c = data;
  static const gchar *const abc[] = { "a", "b", "c", NULL };
  g_autofree gchar *out = tu_tmp_path ("never.safetensors");
  g_autofree gchar *labels = tu_tmp_path ("bad-labels.txt");
  g_autofree gchar *far = tu_tmp_path ("far-labels.txt");
  g_autofree gchar *q = tu_tmp_path ("q-labels.txt");
  g_autofree gchar *missing = tu_tmp_path ("missing.txt");
  g_autoptr (LstmModel) cls3 = tu_model_new ("[{\"type\":\"lstm\",\"name\":"
      "\"rnn\",\"input_size\":3,\"hidden_size\":4},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3,\"activation\":\"softmax\"}]",
      LSTM_TASK_CLASSIFICATION, abc, 1, NULL);
  g_autoptr (LstmModel) reg = tu_model_new ("[{\"type\":\"lstm\",\"name\":"
      "\"rnn\",\"input_size\":3,\"hidden_size\":4},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3}]", LSTM_TASK_FORECAST, NULL, 1,
      NULL);
  g_autofree gchar *cls3_path = tu_model_save (cls3, "cls3.safetensors");
  g_autofree gchar *reg_path = tu_model_save (reg, "reg3.safetensors");
  g_autofree gchar *props = NULL;
  g_autofree float *x = tu_random_frames (500, 3, 2, 1.0f);
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  GstMessage *msg = NULL;
  guint dim = 3;
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_SETTINGS;
  const gchar *text = NULL;
  gboolean target = FALSE;

  g_assert_true (g_file_set_contents (labels, "0\t1\ta\n1\t2\tb\n"
          "2\tsoon\tc\n", -1, NULL));
  g_assert_true (g_file_set_contents (far, "100\t200\ta\n", -1, NULL));
  g_assert_true (g_file_set_contents (q, "0\t1\ta\n1\t3\tq\n", -1, NULL));
  switch (c->kind) {
    case E_LOCATION_NO_FOLDER:
      props = g_strdup ("mode=forecast location=/nonexistent-folder/m.st");
      code = GST_RESOURCE_ERROR_OPEN_WRITE;
      text = "/nonexistent-folder";
      break;
    case E_LOCATION_FOLDER:
      props = g_strdup_printf ("mode=forecast location=\"%s\"",
          tu_tmpdir ());
      code = GST_RESOURCE_ERROR_OPEN_WRITE;
      text = "folder";
      break;
    case E_LOCATION_NONE:
      props = g_strdup ("mode=forecast");
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      text = "location";
      break;
    case E_LABEL_FILE_PARSE:
      props = g_strdup_printf ("label-file=\"%s\" location=\"%s\"", labels,
          out);
      code = GST_RESOURCE_ERROR_READ;
      text = "bad-labels.txt:3";
      break;
    case E_LABEL_FILE_MISSING:
      props = g_strdup_printf ("label-file=\"%s\" location=\"%s\"", missing,
          out);
      code = GST_RESOURCE_ERROR_OPEN_READ;
      text = "missing.txt";
      break;
    case E_INIT_TOO_LARGE:
      props = g_strdup_printf ("mode=forecast init-model=\"%s\" "
          "max-model-size=100 location=\"%s\"", reg_path, out);
      code = GST_RESOURCE_ERROR_OPEN_READ;
      text = "more than the limit of 100";
      break;
    case E_NO_TARGETS:
      props = g_strdup_printf ("location=\"%s\"", out);
      text = "No targets";
      break;
    case E_TWO_TARGETS:
      props = g_strdup_printf ("label=a labels=a,b mode=forecast "
          "location=\"%s\"", out);
      text = "mode=forecast";
      break;
    case E_ONE_CLASS:
      props = g_strdup_printf ("label=a location=\"%s\"", out);
      text = "at least two classes";
      break;
    case E_FRAME_SIZE:
      props = g_strdup_printf ("mode=forecast init-model=\"%s\" "
          "location=\"%s\"", reg_path, out);
      dim = 2;
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FORMAT;
      text = "Frames have 2 values but model";
      break;
    case E_LABEL_NOT_IN_MODEL:
      props = g_strdup_printf ("label=z init-model=\"%s\" location=\"%s\"",
          cls3_path, out);
      text = "\"z\" is not one of the model's labels (a, b, c)";
      break;
    case E_TRACK_LABEL_NOT_IN_MODEL:
      props = g_strdup_printf ("label-file=\"%s\" init-model=\"%s\" "
          "location=\"%s\"", q, cls3_path, out);
      text = "\"q\"";
      break;
    case E_INIT_MISSING:
      props = g_strdup_printf ("mode=forecast init-model=\"%s\" "
          "location=\"%s\"", missing, out);
      code = GST_RESOURCE_ERROR_OPEN_READ;
      text = "missing.txt";
      break;
    case E_FEATURES:
      props = g_strdup_printf ("mode=forecast features=\"[1, 2]\" "
          "location=\"%s\"", out);
      text = "JSON object";
      break;
    case E_NOTHING_LABELLED:
      props = g_strdup_printf ("label-file=\"%s\" labels=a,b "
          "location=\"%s\"", far, out);
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FAILED;
      text = "None of the 500 frames";
      break;
    case E_TARGET_SIZE:
      props = g_strdup_printf ("init-model=\"%s\" location=\"%s\"",
          reg_path, out);
      target = TRUE;
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FORMAT;
      text = "Targets have 2 values per frame but model";
      break;
  }
  desc = g_strdup_printf ("appsrc name=src format=time ! lstmtrain "
      "name=train %s%s", props, target ? " appsrc name=tsrc format=time ! "
      "train.target" : "");
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  queue_frames (pipeline, "src", x, 500 * 3 / dim, dim, 20, 0, 0, -1);
  end_stream (pipeline, "src");
  if (target) {
    queue_frames (pipeline, "tsrc", x, 500, 2, 20, 0, 0, -1);
    end_stream (pipeline, "tsrc");
  }
  g_assert_false (tu_run_to_eos (pipeline, TIMEOUT, NULL, &msg));
  assert_error (msg, domain, code, text);
  gst_message_unref (msg);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* ---- gst-launch-1.0 -e and Ctrl-C ---- */

/* A live source under gst-launch-1.0 -e, interrupted: EOS goes through,
 * the model trains (or keeps what it learnt online) and is saved. */
static void
test_sigint (gconstpointer data)
{
  gboolean online = GPOINTER_TO_INT (data);
  g_autofree gchar *out = tu_tmp_path (online ? "sigint-online.safetensors" :
      "sigint.safetensors");
  g_autofree gchar *loc = g_strdup_printf ("location=%s", out);
  const gchar *argv[] = { "gst-launch-1.0", "-e", "audiotestsrc",
    "is-live=true", "wave=sine", "freq=2", "samplesperbuffer=10", "!",
    "audio/x-raw,rate=100,channels=1", "!", "audioconvert", "!",
    "audio/x-raw,format=F32LE", "!", "lstmtrain", "mode=forecast", loc,
    "hidden-size=4", "epochs=3", "batch-size=2", "sequence-length=10",
    online ? "online=true" : "online=false", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  GPid pid;
  int status = 0;

  if (!g_spawn_async (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &pid, &error)) {
    g_test_skip (error->message);
    return;
  }
  /* 1.5 s of a 100 Hz stream; then Ctrl-C */
  g_usleep (1500 * 1000);
  g_assert_cmpint (kill (pid, SIGINT), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  m = load (out);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_FORECAST);
  g_assert_cmpint (training_data_int (m, online ? "online" : "frames"), >,
      online ? 0 : 50);
}

/* ---- a forecaster well below persistence, through lstminfer ---- */

static double
signal_at (gsize t)
{
  return sin (0.11 * t) + 0.5 * sin (0.37 * t + 1.0) +
      0.25 * sin (0.031 * t + 0.3);
}

static gchar *
write_signal (const gchar *name, gsize from, gsize n)
{
  g_autofree float *x = g_new (float, n);
  gchar *path = tu_tmp_path (name);
  gsize t;

  for (t = 0; t < n; t++)
    x[t] = (float) signal_at (from + t);
  g_assert_true (g_file_set_contents (path, (const gchar *) x,
          n * sizeof (float), NULL));
  return path;
}

/* A sum of three sines (the series of lstm train's learning test): train
 * on 40 s, forecast the next 10 s with lstminfer: a fifth of persistence's
 * error at most, and the same bytes as `lstm run`. */
static void
test_forecast_file (void)
{
  g_autofree gchar *train = write_signal ("sum-train.f32", 0, 4000);
  g_autofree gchar *test = write_signal ("sum-test.f32", 4000, 1000);
  g_autofree gchar *model = tu_tmp_path ("sum.safetensors");
  g_autofree gchar *pred = tu_tmp_path ("sum-pred.f32");
  g_autofree gchar *cli = tu_tmp_path ("sum-cli.f32");
  g_autofree gchar *d1 = g_strdup_printf ("filesrc location=\"%s\" ! queue "
      "! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le "
      "num-channels=1 sample-rate=%u ! lstmtrain name=train mode=forecast "
      "location=\"%s\" hidden-size=32 epochs=40 batch-size=16 "
      "sequence-length=50 learning-rate=0.005", train, RATE, model);
  g_autofree gchar *d2 = g_strdup_printf ("filesrc location=\"%s\" ! queue "
      "! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le "
      "num-channels=1 sample-rate=%u ! lstminfer model=\"%s\" "
      "message-interval=0 ! filesink location=\"%s\"", test, RATE, model,
      pred);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) p1 = gst_parse_launch (d1, &error);
  g_autoptr (GstElement) p2 = NULL;
  g_autofree gchar *y = NULL, *x = NULL, *yc = NULL;
  gsize ny = 0, nx = 0, nc = 0, t;
  const gchar *tool = g_getenv ("LSTM_TOOL");
  double se = 0, sp = 0, ratio;
  gint status = 0;

  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (p1, TIMEOUT, NULL, NULL));
  p2 = gst_parse_launch (d2, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (p2, TIMEOUT, NULL, NULL));
  g_assert_true (g_file_get_contents (pred, &y, &ny, NULL));
  g_assert_true (g_file_get_contents (test, &x, &nx, NULL));
  g_assert_cmpuint (ny, ==, nx);
  for (t = 50; t + 1 < 1000; t++) {
    const float *fy = (const float *) y, *fx = (const float *) x;
    se += (fy[t] - fx[t + 1]) * (double) (fy[t] - fx[t + 1]);
    sp += (fx[t] - fx[t + 1]) * (double) (fx[t] - fx[t + 1]);
  }
  ratio = sqrt (se / sp);
  g_test_message ("test RMSE / persistence RMSE = %.4f", ratio);
  g_assert_cmpfloat (ratio, <, 0.25);

  /* `lstm run` gives the same bytes */
  if (tool != NULL) {
    const gchar *argv[] = { tool, "run", model, test, cli, NULL };
    g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status,
            &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_true (g_file_get_contents (cli, &yc, &nc, NULL));
    g_assert_cmpuint (nc, ==, ny);
    g_assert_true (memcmp (yc, y, ny) == 0);
  }
}

/* ---- one table of training options for lstm train and lstmtrain ---- */

/* Every option of liblstm's table is an lstmtrain property with its blurb
 * and default, and an `lstm train --help` option. */
static void
test_table_options (void)
{
  GstElement *e = gst_element_factory_make ("lstmtrain", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  const gchar *tool = g_getenv ("LSTM_TOOL");
  const LstmTrainOption *opts;
  LstmTrainSettings defaults;
  g_autofree gchar *help = NULL;
  guint n, i;

  opts = lstm_train_options_list (&n);
  g_assert_cmpuint (n, >=, 20);
  lstm_train_settings_init (&defaults);
  if (tool != NULL) {
    const gchar *argv[] = { tool, "train", "--help", NULL };
    gint status = 0;
    g_autoptr (GError) error = NULL;
    g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_DEFAULT, NULL, NULL, &help, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  for (i = 0; i < n; i++) {
    GParamSpec *p = g_object_class_find_property (klass, opts[i].name);
    GValue v = G_VALUE_INIT;
    g_autofree gchar *text = NULL;

    g_test_message ("option %s", opts[i].name);
    g_assert_nonnull (p);
    g_assert_cmpstr (g_param_spec_get_blurb (p), ==, opts[i].blurb);
    /* the property's default is the table's, read back through it */
    g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (p));
    g_object_get_property (G_OBJECT (e), opts[i].name, &v);
    text = g_strdup_value_contents (&v);
    if (G_VALUE_HOLDS_ENUM (&v))
      g_assert_cmpint (g_value_get_enum (&v), ==,
          (gint) opts[i].default_value);
    else if (G_VALUE_HOLDS_DOUBLE (&v))
      g_assert_cmpfloat (g_value_get_double (&v), ==,
          opts[i].default_value);
    else if (G_VALUE_HOLDS_UINT (&v))
      g_assert_cmpuint (g_value_get_uint (&v), ==,
          (guint) opts[i].default_value);
    else if (G_VALUE_HOLDS_BOOLEAN (&v))
      g_assert_cmpint (g_value_get_boolean (&v), ==,
          opts[i].default_value != 0);
    else if (opts[i].type == LSTM_TRAIN_OPTION_LAGS)
      g_assert_cmpstr (g_value_get_string (&v), ==, "auto");
    g_value_unset (&v);
    g_assert_cmpfloat (lstm_train_option_get_value (&opts[i], &defaults) ==
        opts[i].default_value || (isnan (opts[i].default_value) &&
            isnan (lstm_train_option_get_value (&opts[i], &defaults))), ==,
        TRUE);
    if (help != NULL) {
      /* a switch takes no value */
      g_autofree gchar *flag = g_strdup_printf (opts[i].type ==
          LSTM_TRAIN_OPTION_BOOLEAN ? "--%s " : "--%s=", opts[i].name);
      g_assert_nonnull (strstr (help, flag));
    }
  }
  /* a property set is the option set: the same parser and ranges */
  g_object_set (e, "loss", 2, "patience", 3, "forget-bias", "none",
      "weight-decay", 0.5, NULL);
  {
    gint loss = -1;
    guint patience = 0;
    gchar *fb = NULL;
    gdouble wd = 0;
    g_object_get (e, "loss", &loss, "patience", &patience, "forget-bias",
        &fb, "weight-decay", &wd, NULL);
    g_assert_cmpint (loss, ==, LSTM_LOSS_MAE);
    g_assert_cmpuint (patience, ==, 3);
    g_assert_cmpstr (fb, ==, "none");
    g_assert_cmpfloat (wd, ==, 0.5);
    g_free (fb);
  }
  gst_object_unref (e);
}

/* The options reach the trainer: what lstm.training records is what the
 * properties said. */
static void
test_table_options_used (void)
{
  g_autofree gchar *out = tu_tmp_path ("options.safetensors");
  g_autofree gchar *props = g_strdup_printf ("mode=forecast location=\"%s\" "
      "hidden-size=4 epochs=2 batch-size=2 sequence-length=10 optimizer=sgd "
      "momentum=0.5 weight-decay=0.01 loss=mae schedule=cosine min-lr=0.001 "
      "clip-norm=2", out);
  g_autofree float *x = sine_series (0, 200);
  g_autoptr (LstmModel) m = NULL;
  const gchar *tr;

  g_assert_true (train_frames (props, x, 200, 1, NULL, NULL));
  m = load (out);
  tr = lstm_model_get_metadata (m, "lstm.training");
  g_test_message ("%s", tr);
  g_assert_nonnull (strstr (tr, "\"optimizer\":\"sgd\""));
  /* learning rate 0 (the default): SGD's 1e-2 */
  g_assert_nonnull (strstr (tr, "\"learning_rate\":0.01,"));
  g_assert_nonnull (strstr (tr, "\"momentum\":0.5"));
  g_assert_nonnull (strstr (tr, "\"weight_decay\":0.01"));
  g_assert_nonnull (strstr (tr, "\"clip_norm\":2"));
  g_assert_nonnull (strstr (tr, "\"schedule\":\"cosine\""));
  g_assert_nonnull (strstr (tr, "\"loss\":\"mae\""));
}

/* ---- features from an upstream lstmfeatures ---- */

/* lstmfeatures ! lstmtrain without features=: the model records the
 * upstream configuration, and lstm run tags the audio with it. */
static void
test_upstream_features (void)
{
  g_autofree gchar *wav = g_test_build_filename (G_TEST_DIST, "data",
      "speech-16000.wav", NULL);
  g_autofree gchar *out = tu_tmp_path ("tagger-features.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "wavparse ! audioconvert ! lstmfeatures kind=mfcc num-ceps=13 ! "
      "lstmtrain label=speech labels=speech,noise location=\"%s\" "
      "hidden-size=4 epochs=1 validation-fraction=0", wav, out);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmFeatures) f = NULL;
  const gchar *tool = g_getenv ("LSTM_TOOL");

  pipeline = gst_parse_launch (desc, &error);
  if (pipeline == NULL) {
    g_test_skip ("wavparse or audioconvert is missing");
    return;
  }
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  m = load (out);
  g_assert_nonnull (lstm_model_get_features (m));
  g_test_message ("recorded: %s", lstm_model_get_features (m));
  f = lstm_features_new_for_model (m, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lstm_features_get_size (f), ==, 13);
  g_assert_nonnull (strstr (lstm_model_get_features (m), "\"mfcc\""));
  if (tool != NULL) {
    const gchar *argv[] = { tool, "run", out, wav, NULL };
    g_autofree gchar *stdout_text = NULL, *stderr_text = NULL;
    gint status = 0;
    g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, &stderr_text, &status,
            &error));
    g_assert_no_error (error);
    g_test_message ("lstm run: %s%s", stdout_text, stderr_text);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (stdout_text, "speech"));
  }
}

/* ---- online: saves while streaming, running input statistics ---- */

/* save-interval=100: the model is on disk before EOS, a loadable model with
 * the running statistics frozen in; inputs far from zero mean and unit
 * variance are learnt. */
static void
test_online_save_interval (void)
{
  g_autofree gchar *out = tu_tmp_path ("online-saves.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstmtrain name=train mode=forecast online=true location=\"%s\" "
      "hidden-size=8 sequence-length=10 learning-rate=0.02 "
      "validation-fraction=0 save-interval=100", out);
  g_autofree float *x = sine_series (0, 1000);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (LstmModel) early = NULL, m = NULL;
  g_autofree float *y = NULL;
  double mse = 0, var = 0, mean = 0;
  float ref_mean, ref_std;
  gsize t;
  gint64 deadline;

  /* a signal of mean 50 and amplitude 10 */
  for (t = 0; t < 1000; t++)
    x[t] = 50.0f + 10.0f * x[t];
  for (t = 0; t < 1000; t++)
    mean += x[t] / 1000.0;
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  queue_frames (pipeline, "src", x, 300, 1, 10, 0, 0, -1);
  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (!g_file_test (out, G_FILE_TEST_EXISTS) &&
      g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
  early = load (out);
  g_assert_nonnull (lstm_model_get_input_mean (early));
  g_assert_cmpfloat (fabs (lstm_model_get_input_mean (early)[0] - 50), <,
      3);
  queue_frames (pipeline, "src", x + 300, 700, 1, 10, 300, 0, -1);
  end_stream (pipeline, "src");
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  m = load (out);
  /* the statistics of the 999 frames with a target (the last has none) */
  lstm_compute_statistics (x, 999, 1, NULL, &ref_mean, &ref_std);
  g_test_message ("running mean %g std %g; two-pass %g %g",
      lstm_model_get_input_mean (m)[0], lstm_model_get_input_std (m)[0],
      ref_mean, ref_std);
  g_assert_cmpfloat (fabs (lstm_model_get_input_mean (m)[0] - ref_mean), <,
      1e-4 * fabs (ref_mean));
  g_assert_cmpfloat (fabs (lstm_model_get_input_std (m)[0] - ref_std), <,
      1e-4 * ref_std);
  /* it learnt the next value: far below the signal's variance */
  y = tu_reference (m, x, 1000);
  for (t = 500; t + 1 < 1000; t++) {
    mse += (y[t] - x[t + 1]) * (double) (y[t] - x[t + 1]);
    var += (x[t + 1] - mean) * (x[t + 1] - mean);
  }
  g_test_message ("online, running statistics: next-value MSE %.4f, "
      "variance %.4f", mse / 499, var / 499);
  g_assert_cmpfloat (mse, <, 0.1 * var);
}

/* A gap event after a flush, before any new segment (found by fuzzing,
 * tests/fuzz): dropped, not clipped against an undefined segment (a
 * CRITICAL in GstAggregator); the stream then trains as usual. */
static void
test_gap_after_flush (void)
{
  static const gchar *const abc[] = { "a", "b", "c", NULL };
  g_autoptr (LstmModel) init = tu_model_new ("[{\"type\":\"gru\",\"name\":"
      "\"rnn\",\"input_size\":3,\"hidden_size\":4},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3,\"activation\":\"softmax\"}]",
      LSTM_TASK_CLASSIFICATION, abc, 3, NULL);
  g_autofree gchar *init_path = tu_model_save (init, "gap.safetensors");
  g_autofree gchar *out = tu_tmp_path ("gap-out.safetensors");
  g_autofree float *x = tu_random_frames (40, 3, 9, 1.0f);
  g_autoptr (LstmModel) m = NULL;
  GstElement *e = gst_element_factory_make ("lstmtrain", "train");
  GstBus *bus = gst_bus_new ();
  GstSegment seg;
  GstHarness *h;
  GstMessage *msg;
  guint i;

  gst_element_set_bus (e, bus);
  g_object_set (e, "label", "b", "init-model", init_path, "location", out,
      "epochs", 1, "batch-size", 1, "sequence-length", 10,
      "validation-fraction", 0.0, NULL);
  h = gst_harness_new_with_element (e, "sink", NULL);
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "other/tensors,format=(string)static,"
      "num_tensors=(int)1,types=(string)float32,dimensions=(string)3:10,"
      "framerate=(fraction)10/1");
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_push_event (h, gst_event_new_gap (0, GST_SECOND));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  for (i = 0; i < 4; i++)
    g_assert_cmpint (gst_harness_push (h, tu_frames_buffer (x + i * 30, 10,
                3, i * GST_SECOND, GST_SECOND)), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  msg = gst_bus_timed_pop_filtered (bus, TIMEOUT, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  m = load (out);
  g_assert_nonnull (m);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/lstmtrain/properties", test_properties);
  g_test_add_func ("/lstmtrain/forecast/learns", test_forecast);
  g_test_add_func ("/lstmtrain/forecast/horizon", test_forecast_horizon);
  g_test_add_func ("/lstmtrain/forecast/beats-persistence",
      test_forecast_file);
  g_test_add_func ("/lstmtrain/label-file/learns", test_label_file);
  g_test_add_func ("/lstmtrain/label/fine-tune", test_label_finetune_harness);
  g_test_add_func ("/lstmtrain/label/new-model", test_label_new);
  g_test_add_func ("/lstmtrain/features-kind-name", test_features_kind_name);
  g_test_add_data_func ("/lstmtrain/buffer-sizes/collected",
      GINT_TO_POINTER (FALSE), test_buffer_sizes);
  g_test_add_data_func ("/lstmtrain/buffer-sizes/online",
      GINT_TO_POINTER (TRUE), test_buffer_sizes);
  for (i = 0; i < G_N_ELEMENTS (align_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmtrain/target/%s",
        align_cases[i].name);
    g_test_add_data_func (path, &align_cases[i], test_target_alignment);
  }
  g_test_add_func ("/lstmtrain/online/streaming", test_online);
  g_test_add_func ("/lstmtrain/online/save-interval",
      test_online_save_interval);
  g_test_add_func ("/lstmtrain/options/table", test_table_options);
  g_test_add_func ("/lstmtrain/options/used", test_table_options_used);
  g_test_add_func ("/lstmtrain/features/upstream", test_upstream_features);
  g_test_add_func ("/lstmtrain/checkpoints", test_checkpoints);
  g_test_add_func ("/lstmtrain/gap-after-flush", test_gap_after_flush);
  for (i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/lstmtrain/error/%s",
        error_cases[i].name);
    g_test_add_data_func (path, &error_cases[i], test_error);
  }
  g_test_add_data_func ("/lstmtrain/sigint/collected",
      GINT_TO_POINTER (FALSE), test_sigint);
  g_test_add_data_func ("/lstmtrain/sigint/online", GINT_TO_POINTER (TRUE),
      test_sigint);

  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
