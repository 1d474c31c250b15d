/* lstm run MODEL INPUT [OUTPUT]
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lstm-tool.h"

#define CHUNK_FRAMES 4096

typedef struct {
  LstmModel *model;
  LstmSegmenter *seg;
  double period;
  double offset;        /* start of frame 0's window, seconds */
  guint64 frames;
} Timeline;

/* Start time of frame @index: its window's start, not before 0. */
static double
frame_time (const Timeline *tl, guint64 index)
{
  return MAX (0.0, index * tl->period + tl->offset);
}

static void
print_segment (Timeline *tl, const LstmSegment *s)
{
  const gchar *label = s->label == LSTM_LABEL_UNKNOWN ? "unknown" :
      lstm_model_get_label (tl->model, s->label);
  gchar fallback[32];

  if (label == NULL) {
    g_snprintf (fallback, sizeof fallback, "class%u", s->label);
    label = fallback;
  }
  /* Audacity's label-track format: start, end (seconds), label; then the
   * confidence. Frame indices when the model has no frame period. */
  if (tl->period > 0)
    printf ("%.3f\t%.3f\t%s\t%.3f\n", frame_time (tl, s->start),
        frame_time (tl, s->end), label, s->confidence);
  else
    printf ("%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%s\t%.3f\n",
        s->start, s->end, label, s->confidence);
}

static void
timeline_push (Timeline *tl, const float *out, gsize n, guint dim)
{
  gsize t;
  for (t = 0; t < n; t++) {
    LstmSegment s;
    lstm_segmenter_push (tl->seg, out + t * dim, NULL, &s);
    if (s.end > 0)
      print_segment (tl, &s);
  }
}

/* Feature frames computed from an audio file, run as they come (or
 * collected for a bidirectional model). */
typedef struct {
  LstmModel *model;
  LstmState *state;
  LstmFrameWriter *writer;
  Timeline *tl;
  GArray *all;
  float *out;
} AudioRun;

static gboolean
run_audio_frames (const float *in, gsize n, gpointer user_data,
    GError **error)
{
  AudioRun *ar = user_data;
  const guint I = lstm_model_get_input_size (ar->model);
  const guint O = lstm_model_get_output_size (ar->model);

  if (ar->all) {
    g_array_append_vals (ar->all, in, (guint) (n * I));
    return TRUE;
  }
  while (n > 0) {
    gsize m = MIN (n, (gsize) CHUNK_FRAMES);
    if (!lstm_model_forward (ar->model, ar->state, in, m, ar->out, error))
      return FALSE;
    if (ar->writer && !lstm_frame_writer_write (ar->writer, ar->out, m,
            error))
      return FALSE;
    if (!ar->writer)
      timeline_push (ar->tl, ar->out, m, O);
    in += m * I;
    n -= m;
  }
  return TRUE;
}

int
lstm_tool_run (int argc, char **argv, GError **error)
{
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autoptr (LstmFrameReader) reader = NULL;
  g_autoptr (LstmSegmenter) seg = NULL;
  g_autoptr (LstmFeatures) features = NULL;
  g_autofree float *in = NULL, *out = NULL;
  LstmFrameWriter *writer = NULL;
  Timeline tl = { 0 };
  guint I, O;
  gssize n;
  gboolean ok = TRUE;
  const gchar *output;

  if (argc < 3 || argc > 4 || strcmp (argv[1], "--help") == 0) {
    fprintf (argc >= 2 && strcmp (argv[1], "--help") == 0 ? stdout : stderr,
        "Usage: lstm run MODEL INPUT [OUTPUT]\n\n"
        "INPUT: .f32 (raw little-endian float32 frames, n x input size),\n"
        "       .csv (one frame per line, values separated by commas), or\n"
        "       audio (.wav, .flac, .ogg, ...): the model's features are\n"
        "       computed from it (lstm.features), resampled if needed.\n"
        "OUTPUT: .f32 or .csv (one output frame per input frame), or - for\n"
        "       CSV on standard output. Without OUTPUT: for classification\n"
        "       models a label timeline (start, end, label, confidence),\n"
        "       else CSV on standard output.\n");
    return argc >= 2 && strcmp (argv[1], "--help") == 0 ? 0 : 2;
  }
  model = lstm_model_load (argv[1], error);
  if (model == NULL)
    return 1;
  I = lstm_model_get_input_size (model);
  O = lstm_model_get_output_size (model);
  if (lstm_tool_is_audio_path (argv[2])) {
    features = lstm_features_new_for_model (model, error);
    if (features == NULL)
      return 1;
  } else {
    reader = lstm_frame_reader_open (argv[2], I, error);
    if (reader == NULL)
      return 1;
  }

  output = argc == 4 ? argv[3] : NULL;
  if (output == NULL && lstm_model_get_task (model) !=
      LSTM_TASK_CLASSIFICATION)
    output = "-";
  if (output != NULL) {
    writer = lstm_frame_writer_open (output, O, error);
    if (writer == NULL)
      return 1;
  } else {
    seg = lstm_segmenter_new (O, 1, 0.0, 1);
    tl.model = model;
    tl.seg = seg;
    tl.period = lstm_tool_frame_period (model);
    tl.offset = lstm_tool_frame_offset (model);
  }

  if (features != NULL) {
    AudioRun ar = { model, NULL, writer, &tl, NULL, NULL };
    if (lstm_model_is_streamable (model)) {
      state = lstm_state_new (model);
      ar.state = state;
      out = g_new (float, (gsize) CHUNK_FRAMES * O);
      ar.out = out;
    } else {
      ar.all = g_array_new (FALSE, FALSE, sizeof (float));
    }
    ok = lstm_tool_audio_features (argv[2], features, run_audio_frames, &ar,
        NULL, error);
    if (ok && ar.all) {
      /* Bidirectional: the whole sequence at once. */
      gsize total = ar.all->len / I;
      out = g_new (float, MAX (total, 1) * O);
      ok = lstm_model_forward_sequence (model, (float *) ar.all->data,
          total, out, error);
      if (ok && writer)
        ok = lstm_frame_writer_write (writer, out, total, error);
      else if (ok)
        timeline_push (&tl, out, total, O);
    }
    if (ar.all)
      g_array_free (ar.all, TRUE);
  } else if (!lstm_model_is_streamable (model)) {
    /* Bidirectional: the whole sequence at once. */
    GArray *all = g_array_new (FALSE, FALSE, sizeof (float));
    gsize total;
    in = g_new (float, (gsize) CHUNK_FRAMES * I);
    while ((n = lstm_frame_reader_read (reader, in, CHUNK_FRAMES, error)) > 0)
      g_array_append_vals (all, in, (guint) (n * I));
    total = all->len / I;
    ok = n == 0;
    if (ok) {
      out = g_new (float, MAX (total, 1) * O);
      ok = lstm_model_forward_sequence (model, (float *) all->data, total,
          out, error);
    }
    if (ok && writer)
      ok = lstm_frame_writer_write (writer, out, total, error);
    else if (ok)
      timeline_push (&tl, out, total, O);
    g_array_free (all, TRUE);
  } else {
    state = lstm_state_new (model);
    in = g_new (float, (gsize) CHUNK_FRAMES * I);
    out = g_new (float, (gsize) CHUNK_FRAMES * O);
    while ((n = lstm_frame_reader_read (reader, in, CHUNK_FRAMES, error)) > 0) {
      if (!lstm_model_forward (model, state, in, n, out, error)) {
        ok = FALSE;
        break;
      }
      if (writer && !lstm_frame_writer_write (writer, out, n, error)) {
        ok = FALSE;
        break;
      }
      if (!writer)
        timeline_push (&tl, out, n, O);
    }
    if (n < 0)
      ok = FALSE;
  }
  if (ok && seg) {
    LstmSegment s;
    if (lstm_segmenter_flush (seg, &s))
      print_segment (&tl, &s);
  }
  if (writer && !lstm_frame_writer_close (writer, ok ? error : NULL))
    ok = FALSE;
  return ok ? 0 : 1;
}
