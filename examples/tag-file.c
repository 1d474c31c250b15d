/* tag-file: run lstminfer over an audio file and print its label segments
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: tag-file [--predictions] MODEL AUDIO
 *        tag-file [--predictions] MODEL FRAMES CHANNELS RATE
 *
 * AUDIO is any audio file GStreamer decodes (WAV, FLAC, OGG, ...), for
 * instance examples/data/tones.wav with
 * examples/data/placeholder-tones.safetensors: lstmfeatures computes the
 * frames the model's feature configuration describes, at the model's rate
 * (audioresample converts). FRAMES is a raw float32 file of frames
 * (CHANNELS values each, RATE frames per second), for instance
 * examples/data/balance.f32 with examples/data/placeholder-balance.safetensors,
 * 2 channels at 100. Each lstm-segment message becomes a line "start end
 * label confidence" (seconds, tab-separated: Audacity's label-track format,
 * as `lstm run` prints); --predictions also prints every lstm-prediction
 * message.
 *
 * The plugin must be found: run from the source root with
 * GST_PLUGIN_PATH=build/plugin, or install it.
 */
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

static gboolean print_predictions;
static int exit_status;

/* The pipeline: the model's features from an audio file, or frames from a
 * raw float file (channels > 0), into lstminfer. */
static gchar *
pipeline_description (const gchar *model, const gchar *input, guint channels,
    guint rate)
{
  g_autofree gchar *source = NULL;

  if (channels == 0)
    source = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
        "audioconvert ! audioresample ! lstmfeatures model=\"%s\"", input,
        model);
  else
    source = g_strdup_printf ("filesrc location=\"%s\" ! queue ! "
        "rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le "
        "num-channels=%u sample-rate=%u", input, channels, rate);
  return g_strdup_printf ("%s ! lstminfer model=\"%s\" message-interval=%u "
      "! fakesink", source, model, print_predictions ? 10 : 0);
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
  if (argc - first == 2) {
    desc = pipeline_description (argv[first], argv[first + 1], 0, 0);
  } else if (argc - first == 4 && atoi (argv[first + 2]) > 0 &&
      atoi (argv[first + 3]) > 0) {
    desc = pipeline_description (argv[first], argv[first + 1],
        (guint) atoi (argv[first + 2]), (guint) atoi (argv[first + 3]));
  } else {
    g_printerr ("Usage: tag-file [--predictions] MODEL AUDIO\n"
        "       tag-file [--predictions] MODEL FRAMES CHANNELS RATE\n"
        "AUDIO: an audio file (the model's features are computed from it).\n"
        "FRAMES: raw float32 frames of CHANNELS values, RATE frames/s.\n");
    return 2;
  }
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
