/* tag-file: run lstminfer over a stream and print its label segments
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: tag-file [--predictions] MODEL INPUT CHANNELS RATE
 *
 * INPUT is a raw float32 file of frames (CHANNELS values each, RATE frames
 * per second), for instance examples/data/balance.f32 with
 * examples/data/placeholder-balance.safetensors, 2 channels at 100. Each
 * lstm-segment message becomes a line "start end label confidence" (seconds,
 * tab-separated: Audacity's label-track format, as `lstm run` prints);
 * --predictions also prints every lstm-prediction message.
 *
 * The plugin must be found: run from the source root with
 * GST_PLUGIN_PATH=build/plugin, or install it.
 */
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

static gboolean print_predictions;
static int exit_status;

/* The pipeline: frames from INPUT into lstminfer. Audio files take this
 * source instead once lstmfeatures is available (the model's features
 * config decides the frames):
 *   "filesrc location=\"%s\" ! decodebin ! audioconvert ! audioresample ! "
 *   "lstmfeatures model=\"%s\" ! " */
static gchar *
pipeline_description (const gchar *model, const gchar *input, guint channels,
    guint rate)
{
  return g_strdup_printf ("filesrc location=\"%s\" ! queue ! rawaudioparse "
      "use-sink-caps=false format=pcm pcm-format=f32le num-channels=%u "
      "sample-rate=%u ! lstminfer model=\"%s\" message-interval=%u ! "
      "fakesink", input, channels, rate, model, print_predictions ? 10 : 0);
}

static void
print_segment (const GstStructure *s)
{
  guint64 start = GST_CLOCK_TIME_NONE, end = GST_CLOCK_TIME_NONE;
  gdouble confidence = 0.0;

  gst_structure_get_uint64 (s, "start", &start);
  gst_structure_get_uint64 (s, "end", &end);
  gst_structure_get_double (s, "confidence", &confidence);
  g_print ("%.3f\t%.3f\t%s\t%.3f\n", (gdouble) start / GST_SECOND,
      (gdouble) end / GST_SECOND, gst_structure_get_string (s, "label"),
      confidence);
}

static void
print_prediction (const GstStructure *s)
{
  const GValue *values = gst_structure_get_value (s, "scores");
  guint64 ts = GST_CLOCK_TIME_NONE;
  guint i;

  if (values == NULL)
    values = gst_structure_get_value (s, "values");
  gst_structure_get_uint64 (s, "stream-time", &ts);
  g_print ("# %" GST_TIME_FORMAT " %s", GST_TIME_ARGS (ts),
      gst_structure_has_field (s, "label") ?
      gst_structure_get_string (s, "label") : "");
  for (i = 0; values && i < gst_value_array_get_size (values); i++)
    g_print (" %.4f", g_value_get_double (gst_value_array_get_value (values,
                i)));
  g_print ("\n");
}

static gboolean
on_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  GMainLoop *loop = data;

  (void) bus;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "lstm-segment"))
        print_segment (s);
      else if (gst_structure_has_name (s, "lstm-prediction"))
        print_prediction (s);
      break;
    }
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;
      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("tag-file: %s\n%s\n", error->message, debug ? debug : "");
      exit_status = 1;
      g_main_loop_quit (loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (loop);
      break;
    default:
      break;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autofree gchar *desc = NULL;
  int first = 1;

  gst_init (&argc, &argv);
  if (argc > 1 && strcmp (argv[1], "--predictions") == 0) {
    print_predictions = TRUE;
    first = 2;
  }
  if (argc - first != 4) {
    g_printerr ("Usage: tag-file [--predictions] MODEL INPUT CHANNELS RATE\n"
        "INPUT: raw float32 frames of CHANNELS values, RATE frames/s.\n");
    return 2;
  }
  desc = pipeline_description (argv[first], argv[first + 1],
      (guint) atoi (argv[first + 2]), (guint) atoi (argv[first + 3]));
  pipeline = gst_parse_launch (desc, &error);
  if (pipeline == NULL) {
    g_printerr ("tag-file: %s\n", error->message);
    return 1;
  }
  loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, loop);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* the error message is on the bus */
    exit_status = 1;
    while (gst_bus_have_pending (bus))
      g_main_context_iteration (NULL, FALSE);
  } else {
    g_main_loop_run (loop);
  }
  gst_bus_remove_watch (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return exit_status;
}
