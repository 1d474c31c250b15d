/* Whole pipelines through gst_parse_launch: lstminfer against `lstm run`
 * (bitwise), through rawaudioparse at several block sizes, through appsrc
 * tensors and from a WAV file through lstmfeatures; segments against the
 * CLI's timeline; errors; and every example launch line of the element
 * docs, README.md and examples/pipelines.md, run as written.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>

#include "gst-test-util.h"

#define ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,\"hidden_size\":16," \
  "\"num_layers\":2},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":4,\"activation\":\"softmax\"}]"
#define N_FRAMES 257
#define TENSORS_CAPS "other/tensors,format=(string)static," \
  "num_tensors=(int)1,types=(string)float32,dimensions=(string)3:%u," \
  "framerate=(fraction)100/7"
#define TIMEOUT (60 * GST_SECOND)

/* an audio model: 16 filterbank values per frame in */
#define AUDIO_ARCH \
  "[{\"type\":\"gru\",\"name\":\"rnn\",\"input_size\":16," \
  "\"hidden_size\":12},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":3,\"activation\":\"softmax\"}]"
#define AUDIO_FEATURES "{\"kind\":\"fbank\",\"num_mel_bins\":16}"

static const gchar *const labels[] = { "a", "b", "c", "d", NULL };
static const gchar *const audio_labels[] = { "x", "y", "z", NULL };
static gchar *model_path, *input_path, *cli_path;
static gchar *audio_model_path, *wav_path, *wav_cli_path;
static const gchar *source_root;

static gchar *
source_path (const gchar *rel)
{
  return g_build_filename (source_root, rel, NULL);
}

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  (*(guint *) data)++;
  return GST_PAD_PROBE_OK;
}

static void
assert_files_equal (const gchar *a, const gchar *b)
{
  g_autofree gchar *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (g_file_get_contents (a, &da, &la, NULL));
  g_assert_true (g_file_get_contents (b, &db, &lb, NULL));
  g_assert_cmpuint (la, ==, lb);
  g_assert_true (memcmp (da, db, la) == 0);
}

/* @padded holds @exact's bytes, then zeros up to a whole number of
 * buffers of @frames_per_buffer frames of @frame_bytes: what a pipeline with
 * padded tensor buffers (lstmfeatures pad-buffers) writes to a file. */
static void
assert_file_padded (const gchar *padded, const gchar *exact,
    gsize frame_bytes, guint frames_per_buffer)
{
  g_autofree gchar *dp = NULL, *de = NULL;
  gsize lp = 0, le = 0, i;

  g_assert_true (g_file_get_contents (padded, &dp, &lp, NULL));
  g_assert_true (g_file_get_contents (exact, &de, &le, NULL));
  g_assert_cmpuint (le % frame_bytes, ==, 0);
  g_assert_cmpuint (lp, ==, ((le / frame_bytes + frames_per_buffer - 1) /
          frames_per_buffer) * frames_per_buffer * frame_bytes);
  g_assert_true (memcmp (dp, de, le) == 0);
  for (i = le; i < lp; i++)
    g_assert_cmpint (dp[i], ==, 0);
}

static void
setup (void)
{
  g_autoptr (LstmModel) m = tu_model_new (ARCH, LSTM_TASK_CLASSIFICATION,
      labels, 42, NULL);
  g_autofree float *x = tu_random_frames (N_FRAMES, 3, 43, 3.0f);
  const gchar *args[5];
  g_autofree gchar *out = NULL;

  model_path = tu_model_save (m, "model.safetensors");
  input_path = tu_tmp_path ("in.f32");
  cli_path = tu_tmp_path ("cli.f32");
  g_assert_true (g_file_set_contents (input_path, (const gchar *) x,
          N_FRAMES * 3 * sizeof (float), NULL));
  args[0] = "run";
  args[1] = model_path;
  args[2] = input_path;
  args[3] = cli_path;
  args[4] = NULL;
  out = tu_tool_output (args);

  /* an audio model with its features config, mean and std; `lstm run` on
   * a WAV file */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) am = NULL;
    g_autofree gchar *out2 = NULL;
    LstmModelOptions opts = { 0 };
    float mean[16], std[16];
    guint j;

    for (j = 0; j < 16; j++) {
      mean[j] = -6.0f + 0.3f * j;
      std[j] = 3.0f;
    }
    opts.seed = 44;
    opts.task = LSTM_TASK_CLASSIFICATION;
    opts.labels = audio_labels;
    opts.features = AUDIO_FEATURES;
    opts.input_mean = mean;
    opts.input_std = std;
    am = lstm_model_new (AUDIO_ARCH, &opts, &error);
    g_assert_no_error (error);
    audio_model_path = tu_model_save (am, "audio.safetensors");
    wav_path = source_path ("tests/data/speech-16000.wav");
    wav_cli_path = tu_tmp_path ("wav-cli.f32");
    args[1] = audio_model_path;
    args[2] = wav_path;
    args[3] = wav_cli_path;
    out2 = tu_tool_output (args);
  }
}

/* filesrc blocksize=N ! queue ! rawaudioparse ! lstminfer ! filesink gives
 * the bytes `lstm run` gives, whatever N (the queue puts rawaudioparse in
 * push mode, so N decides the buffers; odd N split frames, which
 * rawaudioparse joins again). */
static void
test_cli_equal_audio (gconstpointer data)
{
  guint blocksize = GPOINTER_TO_UINT (data);
  g_autofree gchar *name = g_strdup_printf ("audio-%u.f32", blocksize);
  g_autofree gchar *out = tu_tmp_path (name);
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" "
      "blocksize=%u ! queue ! rawaudioparse use-sink-caps=false format=pcm "
      "pcm-format=f32le num-channels=3 sample-rate=100 ! lstminfer "
      "name=infer model=\"%s\" ! filesink location=\"%s\"", input_path,
      blocksize, model_path, out);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) infer = NULL;
  g_autoptr (GstPad) pad = NULL;
  guint n_buffers = 0;

  g_assert_no_error (error);
  infer = gst_bin_get_by_name (GST_BIN (pipeline), "infer");
  pad = gst_element_get_static_pad (infer, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers,
      &n_buffers, NULL);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  assert_files_equal (out, cli_path);
  /* the block size really decided the buffers */
  if (blocksize % 12 == 0 && blocksize < N_FRAMES * 12)
    g_assert_cmpuint (n_buffers, ==, (N_FRAMES * 12 + blocksize - 1) /
        blocksize);
  else if (blocksize < N_FRAMES * 12)
    g_assert_cmpuint (n_buffers, >, (N_FRAMES * 12) / (blocksize + 12));
  g_test_message ("blocksize %u: %u buffers into lstminfer", blocksize,
      n_buffers);
}

/* appsrc other/tensors of 7 frames, the last 5 frames announced by caps
 * 3:5: the same bytes as `lstm run`, with output caps 4:7 then 4:5. */
static void
test_cli_equal_tensors (void)
{
  g_autofree gchar *out = tu_tmp_path ("tensors.f32");
  g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time ! "
      "lstminfer name=infer model=\"%s\" ! filesink name=sink "
      "location=\"%s\"", model_path, out);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) last_caps = NULL;
  g_autofree gchar *in = NULL;
  gsize len = 0, start = 0;
  GstBus *bus;
  GstMessage *msg;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (input_path, &in, &len, NULL));
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  {
    g_autofree gchar *c = g_strdup_printf (TENSORS_CAPS, 7);
    g_autoptr (GstCaps) caps = gst_caps_from_string (c);
    gst_app_src_set_caps (GST_APP_SRC (src), caps);
  }
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  while (start < N_FRAMES) {
    gsize n = MIN (7, N_FRAMES - start);
    GstBuffer *buf;
    if (n < 7) {
      g_autofree gchar *c = g_strdup_printf (TENSORS_CAPS, (guint) n);
      g_autoptr (GstCaps) caps = gst_caps_from_string (c);
      gst_app_src_set_caps (GST_APP_SRC (src), caps);
    }
    buf = tu_frames_buffer ((const float *) in + start * 3, n, 3,
        gst_util_uint64_scale (start, GST_SECOND, 100),
        gst_util_uint64_scale (n, GST_SECOND, 100));
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buf), ==,
        GST_FLOW_OK);
    start += n;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  last_caps = gst_pad_get_current_caps (pad);
  g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure
          (last_caps, 0), "dimensions"), ==, "4:5");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  assert_files_equal (out, cli_path);
}

/* filesrc ! wavparse ! audioconvert ! lstmfeatures ! lstminfer ! filesink
 * on a mono 16 kHz WAV gives the bytes `lstm run MODEL WAV OUT` gives,
 * with frames in buffers of 1 or 7 (tensors 16:7; the last buffer padded
 * with zeros by default, so the file then ends with them; or announced as
 * 16:k with pad-buffers=false) or as audio/x-raw frames. */
static void
test_cli_equal_wav (gconstpointer data)
{
  const gchar *variant = data;
  g_autofree gchar *name = g_strdup_printf ("wav-%s.f32", variant);
  g_autofree gchar *out = tu_tmp_path (name);
  g_autofree gchar *desc = NULL;
  const gchar *link = "!";
  guint fpb = 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;

  gboolean pad = TRUE;

  if (g_str_has_prefix (variant, "7"))
    fpb = 7;
  if (strcmp (variant, "7-unpadded") == 0)
    pad = FALSE;
  else if (strcmp (variant, "audio") == 0)
    link = "! audio/x-raw !";
  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "audioconvert ! lstmfeatures model=\"%s\" frames-per-buffer=%u "
      "pad-buffers=%s %s lstminfer model=\"%s\" message-interval=0 ! "
      "filesink location=\"%s\"", wav_path, audio_model_path, fpb,
      pad ? "true" : "false", link, audio_model_path, out);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, NULL));
  if (pad && fpb > 1)
    assert_file_padded (out, wav_cli_path,
        (g_strv_length ((gchar **) audio_labels)) * sizeof (float), fpb);
  else
    assert_files_equal (out, wav_cli_path);
}

/* The label segments of the shipped placeholder tone classifier on the
 * shipped WAV are those `lstm run` prints (seconds). */
static void
test_cli_segments_wav (void)
{
  g_autofree gchar *model = source_path
      ("examples/data/placeholder-tones.safetensors");
  g_autofree gchar *wav = source_path ("examples/data/tones.wav");
  const gchar *args[] = { "run", model, wav, NULL };
  g_autofree gchar *timeline = tu_tool_output (args);
  g_auto (GStrv) lines = g_strsplit (timeline, "\n", -1);
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "wavparse ! audioconvert ! audioresample ! lstmfeatures model=\"%s\" "
      "! lstminfer model=\"%s\" message-interval=0 ! fakesink", wav, model,
      model);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_message_unref);
  guint k, n_lines = 0;

  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));
  for (; lines[n_lines] && *lines[n_lines]; n_lines++);
  g_assert_cmpuint (n_lines, ==, 4);
  g_assert_cmpuint (msgs->len, ==, n_lines);
  for (k = 0; k < n_lines; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    guint64 start = 0, end = 0;
    double conf = 0.0;
    g_autofree gchar *line = NULL;

    g_assert_true (gst_structure_has_name (s, "lstm-segment"));
    g_assert_true (gst_structure_get_uint64 (s, "start", &start));
    g_assert_true (gst_structure_get_uint64 (s, "end", &end));
    g_assert_true (gst_structure_get_double (s, "confidence", &conf));
    line = g_strdup_printf ("%.3f\t%.3f\t%s\t%.3f",
        (double) start / GST_SECOND, (double) end / GST_SECOND,
        gst_structure_get_string (s, "label"), conf);
    g_assert_cmpstr (line, ==, lines[k]);
  }
}

/* Counts the segments of an `lstm run` timeline and checks that every one
 * but the first and the last lasts at least @min_s seconds. */
static guint
timeline_segments (const gchar *timeline, double min_s)
{
  g_auto (GStrv) lines = g_strsplit (timeline, "\n", -1);
  guint n = 0, k;

  for (; lines[n] && *lines[n]; n++);
  for (k = 1; k + 1 < n; k++) {
    double start = g_ascii_strtod (lines[k], NULL);
    double end = g_ascii_strtod (strchr (lines[k], '\t') + 1, NULL);
    g_assert_cmpfloat (end - start, >=, min_s - 0.0015);
  }
  return n;
}

/* The defaults for an audio model (the shipped tagger, which carries its
 * feature configuration): 0.1 s of smoothing and 0.2 s minimum segments
 * (lstm_segmenter_get_defaults), the same in lstm run and lstminfer (see
 * cli-segments/wav), and fewer segments than frame-by-frame decisions. */
static void
test_segments_audio_defaults (void)
{
  g_autofree gchar *model = source_path
      ("models/audio-tagger/audio-tagger.safetensors");
  g_autofree gchar *wav = source_path ("models/audio-tagger/demo.wav");
  const gchar *def_args[] = { "run", model, wav, NULL };
  const gchar *raw_args[] = { "run", model, wav, "--smoothing", "1",
    "--min-segment-duration", "0", NULL
  };
  g_autofree gchar *def = tu_tool_output (def_args);
  g_autofree gchar *raw = tu_tool_output (raw_args);
  guint n_def = timeline_segments (def, LSTM_SEGMENT_AUDIO_MIN_DURATION);
  guint n_raw = timeline_segments (raw, 0.0);

  g_test_message ("demo.wav: %u segments by default, %u frame by frame",
      n_def, n_raw);
  g_assert_cmpuint (n_def, >, 1);
  g_assert_cmpuint (n_def, <, n_raw);
  /* at most 5 segments a second of sound */
  g_assert_cmpuint (n_def, <=, 5 * 50 + 2);
}

/* The segments lstminfer posts are those `lstm run MODEL INPUT` prints
 * (frame indices: the model has no feature config), on the shipped
 * placeholder classifier and stream. */
static void
test_cli_segments (void)
{
  g_autofree gchar *model = source_path
      ("examples/data/placeholder-balance.safetensors");
  g_autofree gchar *input = source_path ("examples/data/balance.f32");
  const gchar *args[] = { "run", model, input, NULL };
  g_autofree gchar *timeline = tu_tool_output (args);
  g_auto (GStrv) lines = g_strsplit (timeline, "\n", -1);
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "queue ! rawaudioparse use-sink-caps=false format=pcm "
      "pcm-format=f32le num-channels=2 sample-rate=100 ! lstminfer "
      "model=\"%s\" message-interval=0 ! fakesink", input, model);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_message_unref);
  guint k = 0, n_lines = 0;

  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));
  for (; lines[n_lines] && *lines[n_lines]; n_lines++);
  g_assert_cmpuint (n_lines, >=, 3);
  g_assert_cmpuint (msgs->len, ==, n_lines);
  for (k = 0; k < n_lines; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    g_auto (GStrv) f = g_strsplit (lines[k], "\t", -1);
    guint64 start = 0, end = 0;
    double conf = 0.0;

    g_assert_true (gst_structure_has_name (s, "lstm-segment"));
    g_assert_cmpuint (g_strv_length (f), ==, 4);
    g_assert_true (gst_structure_get_uint64 (s, "start", &start));
    g_assert_true (gst_structure_get_uint64 (s, "end", &end));
    g_assert_true (gst_structure_get_double (s, "confidence", &conf));
    g_assert_cmpuint (start, ==, g_ascii_strtoull (f[0], NULL, 10) *
        10 * GST_MSECOND);
    g_assert_cmpuint (end, ==, g_ascii_strtoull (f[1], NULL, 10) *
        10 * GST_MSECOND);
    g_assert_cmpstr (gst_structure_get_string (s, "label"), ==, f[2]);
    g_assert_cmpfloat (fabs (conf - g_ascii_strtod (f[3], NULL)), <=,
        0.0005 + 1e-9);
  }
}

/* lstm run's segment options against lstminfer's properties of the same
 * names, on the shipped audio tagger and its demo recording. */
typedef struct {
  const gchar *cli[7];          /* options of lstm run */
  const gchar *props;           /* the same settings, as lstminfer's */
  double min_duration;          /* seconds */
} SegmentOptions;

static const SegmentOptions segment_options[] = {
  /* README.md's demo */
  { {"--smoothing", "10", "--min-segment-duration", "0.2", NULL},
      "smoothing=10 min-segment-duration=200000000", 0.2 },
  /* minimums that are no whole number of frames (3.5 and 1.5: rounded
   * up), with a threshold, so that short unknown stretches come and go */
  { {"--smoothing", "3", "--threshold", "0.9", "--min-segment-duration",
          "0.035", NULL}, "smoothing=3 threshold=0.9 "
        "min-segment-duration=35000000", 0.035 },
  { {"--threshold", "0.9", "--min-segment-duration", "0.015", NULL},
      "threshold=0.9 min-segment-duration=15000000", 0.015 },
};

/* The segments `lstm run MODEL demo.wav OPTIONS` prints are those lstminfer
 * posts with the same settings: same labels, same start and end frames.
 *
 * Times: lstm run prints the start of a frame's window (frame index x shift
 * / rate, rounded to the millisecond) and ends a segment where its next
 * frame starts (for the last one: where the frame after the last would
 * start); lstminfer posts stream times, which are the PTS lstmfeatures
 * gives a frame (the start of its window, from the sample count) and, for
 * the last segment, the end of the last frame (PTS + one shift). Both name
 * the same frame boundaries, so the frame indices they round to must be
 * equal; the printed milliseconds are not compared with the nanoseconds.
 * The confidence is printed with 3 decimals. */
static void
test_cli_segments_options (gconstpointer data)
{
  const SegmentOptions *so = data;
  g_autofree gchar *model = source_path
      ("models/audio-tagger/audio-tagger.safetensors");
  g_autofree gchar *wav = source_path ("models/audio-tagger/demo.wav");
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree gchar *timeline = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "wavparse ! audioconvert ! audioresample ! lstmfeatures model=\"%s\" "
      "! lstminfer model=\"%s\" message-interval=0 %s ! fakesink", wav,
      model, model, so->props);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_message_unref);
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmFeatures) f = NULL;
  double period;
  guint k, n_lines = 0;

  m = lstm_model_load (model, &error);
  g_assert_no_error (error);
  f = lstm_features_new_for_model (m, &error);
  g_assert_no_error (error);
  period = (double) lstm_features_get_shift (f) /
      lstm_features_get_sample_rate (f);
  g_assert_cmpint (lstm_features_get_frame_start (f, 0), ==, 0);

  g_ptr_array_add (args, (gpointer) "run");
  g_ptr_array_add (args, model);
  g_ptr_array_add (args, wav);
  for (k = 0; so->cli[k]; k++)
    g_ptr_array_add (args, (gpointer) so->cli[k]);
  g_ptr_array_add (args, NULL);
  timeline = tu_tool_output ((const gchar * const *) args->pdata);
  lines = g_strsplit (timeline, "\n", -1);
  for (; lines[n_lines] && *lines[n_lines]; n_lines++);

  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));
  g_assert_cmpuint (n_lines, >=, 2);
  g_assert_cmpuint (msgs->len, ==, n_lines);
  for (k = 0; k < n_lines; k++) {
    const GstStructure *s = gst_message_get_structure (msgs->pdata[k]);
    g_auto (GStrv) fl = g_strsplit (lines[k], "\t", -1);
    guint64 start = 0, end = 0;
    double conf = 0.0, cli_start, cli_end;

    g_test_message ("%s", lines[k]);
    g_assert_true (gst_structure_has_name (s, "lstm-segment"));
    g_assert_cmpuint (g_strv_length (fl), ==, 4);
    g_assert_true (gst_structure_get_uint64 (s, "start", &start));
    g_assert_true (gst_structure_get_uint64 (s, "end", &end));
    g_assert_true (gst_structure_get_double (s, "confidence", &conf));
    cli_start = g_ascii_strtod (fl[0], NULL);
    cli_end = g_ascii_strtod (fl[1], NULL);
    g_assert_cmpstr (gst_structure_get_string (s, "label"), ==, fl[2]);
    g_assert_cmpint (llround (cli_start / period), ==,
        llround (start / (period * GST_SECOND)));
    g_assert_cmpint (llround (cli_end / period), ==,
        llround (end / (period * GST_SECOND)));
    g_assert_cmpfloat (fabs (conf - g_ascii_strtod (fl[3], NULL)), <=,
        0.0005 + 1e-9);
    /* the minimum took effect: no segment but the first and the last is
     * shorter */
    if (k > 0 && k + 1 < n_lines)
      g_assert_cmpint (llround ((cli_end - cli_start) / period), >=,
          (gint64) ceil (so->min_duration / period - 1e-9));
  }
}

/* A model taking 3 values with frames of 2: the pipeline fails, and
 * lstminfer's error, first on the bus, names both sizes. */
static void
test_mismatch (void)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "queue ! rawaudioparse use-sink-caps=false format=pcm "
      "pcm-format=f32le num-channels=2 sample-rate=100 ! lstminfer "
      "name=infer model=\"%s\" ! fakesink", input_path, model_path);
  g_autoptr (GError) error = NULL, gerr = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autofree gchar *dbg = NULL;
  GstMessage *msg = NULL;

  g_assert_no_error (error);
  g_assert_false (tu_run_to_eos (pipeline, TIMEOUT, NULL, &msg));
  g_assert_nonnull (msg);
  g_assert_cmpstr (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), ==, "infer");
  gst_message_parse_error (msg, &gerr, &dbg);
  g_assert_error (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (gerr->message, "Frames have 2 values"));
  g_assert_nonnull (strstr (gerr->message, "takes 3 per frame"));
  gst_message_unref (msg);
}

static void
test_missing_model (void)
{
  g_autofree gchar *missing = tu_tmp_path ("nothing-here.safetensors");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "queue ! rawaudioparse use-sink-caps=false format=pcm "
      "pcm-format=f32le num-channels=3 sample-rate=100 ! lstminfer "
      "name=infer model=\"%s\" ! fakesink", input_path, missing);
  g_autoptr (GError) error = NULL, gerr = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autofree gchar *dbg = NULL;
  GstMessage *msg = NULL;

  g_assert_no_error (error);
  g_assert_false (tu_run_to_eos (pipeline, TIMEOUT, NULL, &msg));
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &gerr, &dbg);
  g_assert_error (gerr, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_assert_nonnull (strstr (gerr->message, "nothing-here.safetensors"));
  gst_message_unref (msg);
}

/* ---- example launch lines ---- */

typedef struct {
  gchar *where;
  gchar *line;
} LaunchLine;

static void
launch_line_free (LaunchLine *l)
{
  g_free (l->where);
  g_free (l->line);
  g_free (l);
}

/* Collects the gst-launch-1.0 lines of a block of text. A block holding
 * "# live" (a live source, documented but not run) is skipped. */
static void
collect_block (GPtrArray *out, const gchar *file, guint line_no,
    GString *block)
{
  g_auto (GStrv) lines = NULL;
  guint i;

  if (strstr (block->str, "# live") != NULL)
    return;
  /* join continuation lines */
  {
    g_autoptr (GRegex) re = g_regex_new ("\\\\\\n[ \\t]*", 0, 0, NULL);
    g_autofree gchar *joined = g_regex_replace_literal (re, block->str, -1,
        0, " ", 0, NULL);
    lines = g_strsplit (joined, "\n", -1);
  }
  for (i = 0; lines[i]; i++) {
    const gchar *p = strstr (lines[i], "gst-launch-1.0 ");
    LaunchLine *l;
    if (p == NULL)
      continue;
    l = g_new0 (LaunchLine, 1);
    l->where = g_strdup_printf ("%s:%u", file, line_no);
    l->line = g_strdup (g_strstrip (lines[i]));
    g_ptr_array_add (out, l);
  }
}

static void
scan_file (GPtrArray *out, const gchar *rel)
{
  g_autofree gchar *path = source_path (rel);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GString *block = NULL;
  gboolean is_c = g_str_has_suffix (rel, ".c");
  guint i, start = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    const gchar *l = lines[i];
    if (is_c) {
      /* gtk-doc blocks: |[ ... ]| inside comments */
      while (*l == ' ')
        l++;
      if (*l == '*')
        l++;
      if (*l == ' ')
        l++;
      if (block == NULL && g_str_has_prefix (l, "|[")) {
        block = g_string_new (NULL);
        start = i + 1;
      } else if (block != NULL && g_str_has_prefix (l, "]|")) {
        collect_block (out, rel, start, block);
        g_string_free (block, TRUE);
        block = NULL;
      } else if (block != NULL) {
        g_string_append_printf (block, "%s\n", l);
      }
    } else {
      /* markdown fences: ```sh or ``` */
      if (block == NULL && g_str_has_prefix (l, "```")) {
        block = g_string_new (NULL);
        start = i + 1;
      } else if (block != NULL && g_str_has_prefix (l, "```")) {
        collect_block (out, rel, start, block);
        g_string_free (block, TRUE);
        block = NULL;
      } else if (block != NULL) {
        g_string_append_printf (block, "%s\n", l);
      }
    }
  }
  if (block)
    g_string_free (block, TRUE);
}

/* "VAR=x gst-launch-1.0 -m -e PIPELINE" -> "PIPELINE" */
static gchar *
pipeline_of (const gchar *line)
{
  const gchar *p = strstr (line, "gst-launch-1.0");
  const gchar *end;

  p += strlen ("gst-launch-1.0");
  for (;;) {
    while (*p == ' ')
      p++;
    if (*p != '-')
      break;
    while (*p && *p != ' ')
      p++;
  }
  /* a shell tail after the pipeline (`2>&1 | grep ...`) is not part of it */
  end = strstr (p, " 2>&1");
  if (end == NULL)
    end = strstr (p, " | ");
  return end ? g_strndup (p, end - p) : g_strdup (p);
}

static void
test_doc_launch_lines (void)
{
  static const gchar *const files[] = {
    "plugin/gstlstminfer.c",
    "plugin/gstlstmfeatures.c",
    "plugin/gstlstmtrain.c",
    "README.md",
    "examples/pipelines.md",
  };
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (
      (GDestroyNotify) launch_line_free);
  g_autofree gchar *cwd = g_get_current_dir ();
  g_autofree gchar *examples = source_path ("examples");
  g_autofree gchar *run_dir = tu_tmp_path ("doc-lines");
  g_autofree gchar *link = g_build_filename (run_dir, "examples", NULL);
  g_autofree gchar *models = source_path ("models");
  g_autofree gchar *models_link = g_build_filename (run_dir, "models", NULL);
  guint i, n_plugin = 0;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    guint before = found->len;
    scan_file (found, files[i]);
    if (g_str_has_prefix (files[i], "plugin/"))
      n_plugin += found->len - before;
  }
  g_assert_cmpuint (n_plugin, >=, 2);
  g_assert_cmpuint (found->len, >=, 4);

  /* run from a folder holding `examples` and `models` (as the source root
   * does), so
   * that outputs stay out of the source tree */
  g_assert_cmpint (g_mkdir_with_parents (run_dir, 0755), ==, 0);
  g_assert_cmpint (symlink (examples, link), ==, 0);
  g_assert_cmpint (symlink (models, models_link), ==, 0);
  g_assert_cmpint (chdir (run_dir), ==, 0);
  for (i = 0; i < found->len; i++) {
    LaunchLine *l = found->pdata[i];
    g_autofree gchar *desc = pipeline_of (l->line);
    g_autoptr (GError) error = NULL;
    g_autoptr (GstElement) pipeline = NULL;
    GstMessage *msg = NULL;

    g_test_message ("%s: %s", l->where, desc);
    pipeline = gst_parse_launch (desc, &error);
    if (error != NULL)
      g_error ("%s: does not parse: %s", l->where, error->message);
    if (!tu_run_to_eos (pipeline, TIMEOUT, NULL, &msg)) {
      g_autoptr (GError) gerr = NULL;
      g_autofree gchar *dbg = NULL;
      if (msg)
        gst_message_parse_error (msg, &gerr, &dbg);
      g_error ("%s: failed: %s (%s)", l->where,
          gerr ? gerr->message : "?", dbg ? dbg : "");
    }
  }
  g_assert_cmpint (chdir (cwd), ==, 0);
}

/* A flushing seek is not an error: appsrc (seekable) ! lstmfeatures
 * (frames-per-buffer 7, pad-buffers false, so that short buffers and
 * their caps are in flight) ! lstminfer ! fakesink, with two flushing seeks while buffers
 * flow, more buffers, EOS; many times, since the refusal of a caps push by
 * a flushing pad is a race. Every run must reach EOS with no ERROR. */
static gboolean
seek_data (GstAppSrc *src, guint64 offset, gpointer data)
{
  (void) src;
  (void) offset;
  (void) data;
  return TRUE;
}

static void
push_audio (GstAppSrc *src, GRand *rand, GstClockTime *pts)
{
  guint n = (guint) g_rand_int_range (rand, 1, 1600);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * sizeof (float), NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < n; i++)
    ((float *) map.data)[i] = (float) g_rand_double_range (rand, -0.5, 0.5);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = *pts;
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, 16000);
  *pts += GST_BUFFER_DURATION (buf);
  gst_app_src_push_buffer (src, buf);
}

static void
test_flushing_seek (void)
{
  const guint runs = 200;
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  guint run, errors = 0;

  for (run = 0; run < runs; run++) {
    g_autofree gchar *desc = g_strdup_printf ("appsrc name=src format=time "
        "stream-type=seekable caps=audio/x-raw,format=F32LE,"
        "layout=interleaved,channels=1,rate=16000 ! lstmfeatures "
        "model=%s frames-per-buffer=7 pad-buffers=false ! lstminfer model=%s "
        "message-interval=0 ! fakesink sync=false", audio_model_path,
        audio_model_path);
    g_autoptr (GError) error = NULL;
    GstElement *pipeline = gst_parse_launch (desc, &error);
    GstElement *src;
    GstMessage *err = NULL;
    GstClockTime pts = 0;
    guint seek, i;

    g_assert_no_error (error);
    src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    g_signal_connect (src, "seek-data", G_CALLBACK (seek_data), NULL);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    for (i = 0; i < 6; i++)
      push_audio (GST_APP_SRC (src), rand, &pts);
    for (seek = 0; seek < 2; seek++) {
      GstClockTime to = g_rand_int_range (rand, 0, 1000) * GST_MSECOND;
      if (g_rand_boolean (rand))
        g_usleep (g_rand_int_range (rand, 0, 3000));
      gst_element_seek_simple (pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
          to);
      pts = to;
      for (i = 0; i < 4; i++)
        push_audio (GST_APP_SRC (src), rand, &pts);
    }
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    if (!tu_run_to_eos (pipeline, TIMEOUT, NULL, &err)) {
      g_autoptr (GError) gerr = NULL;
      g_autofree gchar *dbg = NULL;
      g_assert_nonnull (err);
      gst_message_parse_error (err, &gerr, &dbg);
      g_test_message ("run %u: %s (%s)", run, gerr->message, dbg);
      errors++;
    }
    if (err)
      gst_message_unref (err);
    gst_object_unref (src);
    gst_object_unref (pipeline);
  }
  g_assert_cmpuint (errors, ==, 0);
}

/* A mono float32 WAV file (WAVE_FORMAT_IEEE_FLOAT, with its fact chunk). */
static void
write_float_wav (const gchar *path, const float *x, guint32 n, guint32 rate)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint32 v32;
  guint16 v16;

#define PUT32(v) (v32 = GUINT32_TO_LE (v), g_byte_array_append (b, \
      (const guint8 *) &v32, 4))
#define PUT16(v) (v16 = GUINT16_TO_LE (v), g_byte_array_append (b, \
      (const guint8 *) &v16, 2))
  g_byte_array_append (b, (const guint8 *) "RIFF", 4);
  PUT32 (4 + 26 + 12 + 8 + n * 4);
  g_byte_array_append (b, (const guint8 *) "WAVEfmt ", 8);
  PUT32 (18);
  PUT16 (3);
  PUT16 (1);
  PUT32 (rate);
  PUT32 (rate * 4);
  PUT16 (4);
  PUT16 (32);
  PUT16 (0);
  g_byte_array_append (b, (const guint8 *) "fact", 4);
  PUT32 (4);
  PUT32 (n);
  g_byte_array_append (b, (const guint8 *) "data", 4);
  PUT32 (n * 4);
#undef PUT32
#undef PUT16
  g_byte_array_append (b, (const guint8 *) x, n * sizeof (float));
  g_assert_true (g_file_set_contents (path, (const gchar *) b->data, b->len,
          NULL));
}

/* Non-finite samples in a recording, with the default nan-policy:
 * lstmfeatures ! lstminfer give the bytes `lstm run` gives, lstmfeatures
 * alone those of `lstm features` (a frame of zeros per burst, the framing
 * restarted after it), and the scores are the features' run through the
 * model piecewise (not NaN after the burst). */
static void
test_nan_wav (void)
{
  const guint32 n = 2 * 16000;
  g_autofree float *x = g_new (float, n);
  g_autofree gchar *wav = tu_tmp_path ("nan.wav");
  g_autofree gchar *p_scores = tu_tmp_path ("nan-pipe-scores.f32");
  g_autofree gchar *c_scores = tu_tmp_path ("nan-cli-scores.f32");
  g_autofree gchar *p_feat = tu_tmp_path ("nan-pipe-feat.f32");
  g_autofree gchar *c_feat = tu_tmp_path ("nan-cli-feat.f32");
  g_autofree gchar *desc = NULL, *desc2 = NULL, *o1 = NULL, *o2 = NULL;
  g_autofree gchar *scores = NULL;
  g_autoptr (GRand) r = g_rand_new_with_seed (8);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline;
  GstMessage *err = NULL;
  const gchar *args[5];
  gsize len = 0, i;
  guint32 t;

  for (t = 0; t < n; t++)
    x[t] = (float) (0.3 * sin (t * (0.01 + t * 2e-7)) +
        g_rand_double_range (r, -0.05, 0.05));
  for (t = 12345; t < 12345 + 100; t++)
    x[t] = t % 7 ? NAN : INFINITY;
  x[25000] = -INFINITY;
  write_float_wav (wav, x, n, 16000);

  desc = g_strdup_printf ("filesrc location=%s ! wavparse ! lstmfeatures "
      "model=%s ! lstminfer model=%s message-interval=0 ! filesink "
      "location=%s", wav, audio_model_path, audio_model_path, p_scores);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, &err));
  gst_object_unref (pipeline);
  desc2 = g_strdup_printf ("filesrc location=%s ! wavparse ! lstmfeatures "
      "model=%s ! filesink location=%s", wav, audio_model_path, p_feat);
  pipeline = gst_parse_launch (desc2, &error);
  g_assert_no_error (error);
  g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, NULL, &err));
  gst_object_unref (pipeline);

  args[0] = "run";
  args[1] = audio_model_path;
  args[2] = wav;
  args[3] = c_scores;
  args[4] = NULL;
  o1 = tu_tool_output (args);
  args[0] = "features";
  args[3] = c_feat;
  o2 = tu_tool_output (args);
  assert_files_equal (p_scores, c_scores);
  assert_files_equal (p_feat, c_feat);

  /* two bursts: two frames of zeros; every score finite */
  g_assert_true (g_file_get_contents (c_scores, &scores, &len, NULL));
  {
    const float *sc = (const float *) scores;
    gsize zero_frames = 0;
    for (i = 0; i < len / sizeof (float); i++)
      g_assert_true (isfinite (sc[i]));
    for (i = 0; i < len / sizeof (float) / 3; i++)
      if (sc[i * 3] == 0 && sc[i * 3 + 1] == 0 && sc[i * 3 + 2] == 0)
        zero_frames++;
    g_assert_cmpuint (zero_frames, ==, 2);
  }

  /* the label timeline breaks at each burst alike */
  {
    const gchar *targs[] = { "run", audio_model_path, wav, NULL };
    g_autofree gchar *timeline = tu_tool_output (targs);
    g_auto (GStrv) lines = g_strsplit (timeline, "\n", -1);
    g_autofree gchar *desc3 = g_strdup_printf ("filesrc location=%s ! "
        "wavparse ! lstmfeatures model=%s ! lstminfer model=%s "
        "message-interval=0 ! fakesink", wav, audio_model_path,
        audio_model_path);
    g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func (
        (GDestroyNotify) gst_message_unref);
    guint k, n_lines = 0;
    gboolean at_burst = FALSE;

    pipeline = gst_parse_launch (desc3, &error);
    g_assert_no_error (error);
    g_assert_true (tu_run_to_eos (pipeline, TIMEOUT, msgs, NULL));
    gst_object_unref (pipeline);
    for (; lines[n_lines] && *lines[n_lines]; n_lines++);
    g_test_message ("%s", timeline);
    /* one segment per burst at least, ending where it starts */
    g_assert_cmpuint (n_lines, >=, 3);
    g_assert_cmpuint (msgs->len, ==, n_lines);
    for (k = 0; k < n_lines; k++) {
      const GstStructure *st = gst_message_get_structure (msgs->pdata[k]);
      guint64 start = 0, end = 0;
      double conf = 0.0;
      g_autofree gchar *line = NULL;

      g_assert_true (gst_structure_has_name (st, "lstm-segment"));
      g_assert_true (gst_structure_get_uint64 (st, "start", &start));
      g_assert_true (gst_structure_get_uint64 (st, "end", &end));
      g_assert_true (gst_structure_get_double (st, "confidence", &conf));
      line = g_strdup_printf ("%.3f\t%.3f\t%s\t%.3f",
          (double) start / GST_SECOND, (double) end / GST_SECOND,
          gst_structure_get_string (st, "label"), conf);
      g_assert_cmpstr (line, ==, lines[k]);
      /* the frame before the first burst (at 12345 samples) ends at or
       * before it */
      if (end <= gst_util_uint64_scale (12345, GST_SECOND, 16000) &&
          k + 1 < n_lines)
        at_burst = TRUE;
    }
    g_assert_true (at_burst);
  }
}

/* lstmtrain and a loss that becomes non-finite (finite values of 1e30,
 * whose squares overflow, plain SGD without clipping): a STREAM FAILED
 * error saying so, and the location keeps the last good model (the one
 * there before, or a checkpoint of an epoch before the divergence), which
 * loads (the loader refuses non-finite weights). */
static void
test_train_diverged (void)
{
  const guint n = 1500;
  g_autofree gchar *loc = tu_tmp_path ("diverge.safetensors");
  g_autofree gchar *desc = NULL;
  g_autofree float *x = g_new (float, n);
  g_autoptr (LstmModel) old = tu_model_new ("[{\"type\":\"gru\",\"name\":"
      "\"rnn\",\"input_size\":1,\"hidden_size\":8},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":1}]", LSTM_TASK_FORECAST, NULL, 5,
      NULL);
  g_autoptr (LstmModel) kept = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) gerr = NULL;
  g_autofree gchar *dbg = NULL;
  GstElement *pipeline, *src;
  GstMessage *err = NULL;
  GstBuffer *buf;
  guint t;

  g_assert_true (lstm_model_save (old, loc, &error));
  for (t = 0; t < n; t++)
    x[t] = (float) (1e30 * sin (t * 0.1));
  desc = g_strdup_printf ("appsrc name=src format=time caps=audio/x-raw,"
      "format=F32LE,layout=interleaved,channels=1,rate=100 ! lstmtrain "
      "mode=forecast location=\"%s\" hidden-size=8 epochs=30 "
      "optimizer=sgd learning-rate=100 clip-norm=0 checkpoint-interval=1", loc);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  buf = gst_buffer_new_memdup (x, n * sizeof (float));
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = n * GST_SECOND / 100;
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  g_assert_false (tu_run_to_eos (pipeline, TIMEOUT, NULL, &err));
  gst_object_unref (pipeline);
  g_assert_nonnull (err);
  gst_message_parse_error (err, &gerr, &dbg);
  gst_message_unref (err);
  g_test_message ("%s", gerr->message);
  g_assert_error (gerr, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED);
  g_assert_nonnull (strstr (gerr->message, "diverged"));
  kept = lstm_model_load (loc, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lstm_model_get_input_size (kept), ==, 1);
}

int
main (int argc, char **argv)
{
  static const guint blocksizes[] = { 12, 84, 13, 5, 1000, 12 * N_FRAMES,
    1 << 20
  };
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  source_root = g_getenv ("LSTM_SOURCE_ROOT");
  g_assert_nonnull (source_root);
  setup ();

  for (i = 0; i < G_N_ELEMENTS (blocksizes); i++) {
    g_autofree gchar *path = g_strdup_printf
        ("/pipelines/cli-equal/rawaudioparse/blocksize-%u", blocksizes[i]);
    g_test_add_data_func (path, GUINT_TO_POINTER (blocksizes[i]),
        test_cli_equal_audio);
  }
  g_test_add_func ("/pipelines/cli-equal/appsrc-tensors",
      test_cli_equal_tensors);
  g_test_add_data_func ("/pipelines/cli-equal/wav/frames-per-buffer-1",
      "1", test_cli_equal_wav);
  g_test_add_data_func ("/pipelines/cli-equal/wav/frames-per-buffer-7",
      "7", test_cli_equal_wav);
  g_test_add_data_func
      ("/pipelines/cli-equal/wav/frames-per-buffer-7-unpadded", "7-unpadded",
      test_cli_equal_wav);
  g_test_add_data_func ("/pipelines/cli-equal/wav/audio-frames", "audio",
      test_cli_equal_wav);
  g_test_add_func ("/pipelines/cli-segments", test_cli_segments);
  g_test_add_func ("/pipelines/cli-segments/wav", test_cli_segments_wav);
  g_test_add_func ("/pipelines/segments/audio-defaults",
      test_segments_audio_defaults);
  for (i = 0; i < G_N_ELEMENTS (segment_options); i++) {
    g_autofree gchar *path = g_strdup_printf
        ("/pipelines/cli-segments/options-%u", i);
    g_test_add_data_func (path, &segment_options[i],
        test_cli_segments_options);
  }
  g_test_add_func ("/pipelines/error/mismatch", test_mismatch);
  g_test_add_func ("/pipelines/error/missing-model", test_missing_model);
  g_test_add_func ("/pipelines/doc-launch-lines", test_doc_launch_lines);
  g_test_add_func ("/pipelines/flushing-seek", test_flushing_seek);
  g_test_add_func ("/pipelines/nan-policy/wav", test_nan_wav);
  g_test_add_func ("/pipelines/lstmtrain/diverged", test_train_diverged);

  ret = g_test_run ();
  g_free (model_path);
  g_free (input_path);
  g_free (cli_path);
  g_free (audio_model_path);
  g_free (wav_path);
  g_free (wav_cli_path);
  tu_cleanup ();
  return ret;
}
