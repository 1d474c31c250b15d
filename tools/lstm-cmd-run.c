/* lstm run MODEL INPUT [OUTPUT]
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lstm-tool.h"

#define CHUNK_FRAMES 4096
/* the bounds of lstminfer's smoothing property */
#define MAX_SMOOTHING 10000
/* the log-mel spectrogram of --plot, whatever the model's features */
#define PLOT_MEL_BINS 64
#define PLOT_MEL_BINS_LOW_RATE 40       /* below 16 kHz */
#define PLOT_LOW_HZ 20.0

typedef struct {
  gchar *smoothing;
  gchar *threshold;
  gchar *min_duration;
  gchar *plot;
  gchar *reference;
  gchar *nan_policy;
  gchar *precision;
  gchar *output_dir;
} RunOptions;

typedef struct {
  LstmModel *model;
  LstmSegmenter *seg;
  double period;
  double offset;        /* start of frame 0's window, seconds */
  gboolean print;       /* the timeline on standard output */
  GArray *segments;     /* LstmSegment, kept for --plot */
  GArray *top;          /* float per frame: top smoothed score, for --plot */
  float *smoothed;      /* one frame of smoothed scores */
  guint64 pos;          /* output frames so far */
  guint64 seg_base;     /* output frame of the segmenter's frame 0 */
  guint64 run_first;    /* first output frame of the current run of audio */
  double run_origin;    /* its first sample, seconds */
} Timeline;

/* Start time of frame @index: its window's start, not before the first
 * sample of its run (the framing restarts after non-finite samples). */
static double
frame_time (const Timeline *tl, guint64 index)
{
  if (index < tl->run_first)
    return MAX (0.0, index * tl->period + tl->offset);
  return tl->run_origin + MAX (0.0, (index - tl->run_first) * tl->period +
      tl->offset);
}

static void
print_segment (Timeline *tl, const LstmSegment *s)
{
  const gchar *label = lstm_model_get_label_name (tl->model, s->label);

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
timeline_segment (Timeline *tl, const LstmSegment *seg)
{
  LstmSegment s = *seg;

  /* segmenter frames count from its last reset */
  s.start += tl->seg_base;
  s.end += tl->seg_base;
  if (tl->print)
    print_segment (tl, &s);
  if (tl->segments)
    g_array_append_val (tl->segments, s);
}

/* A non-finite frame (or a burst of non-finite samples): the open segment
 * ends, the smoothing starts afresh after it, as lstminfer does at a GAP. */
static void
timeline_skip (Timeline *tl, gboolean burst_start)
{
  LstmSegment s;
  const float zero = 0.0f;

  if (burst_start && lstm_segmenter_flush (tl->seg, &s))
    timeline_segment (tl, &s);
  lstm_segmenter_reset (tl->seg);
  if (tl->top)
    g_array_append_val (tl->top, zero);
  tl->pos++;
  tl->seg_base = tl->pos;
}

static void
timeline_push (Timeline *tl, const float *out, gsize n, guint dim,
    const guint8 *flags)
{
  gsize t;
  guint j;

  for (t = 0; t < n; t++) {
    LstmSegment s;
    if (flags && (flags[t] & LSTM_FRAME_NONFINITE)) {
      timeline_skip (tl, (flags[t] & LSTM_FRAME_BURST_START) != 0);
      continue;
    }
    tl->pos++;
    lstm_segmenter_push (tl->seg, out + t * dim, tl->smoothed, &s);
    if (tl->top) {
      float best = tl->smoothed[0];
      for (j = 1; j < dim; j++)
        best = MAX (best, tl->smoothed[j]);
      g_array_append_val (tl->top, best);
    }
    if (s.end > 0)
      timeline_segment (tl, &s);
  }
}

/* One line on standard error per burst of non-finite frames. */
static void
warn_bursts (const gchar *input, const guint8 *flags, gsize n,
    guint64 first)
{
  gsize t;

  for (t = 0; flags && t < n; t++)
    if (flags[t] & LSTM_FRAME_BURST_START)
      fprintf (stderr, "lstm run: %s: frame %" G_GUINT64_FORMAT " holds NaN "
          "or Inf: its output is zeros and the state is reset until the "
          "next finite frame (--nan-policy reset)\n", input, first + t);
}

/* Feature frames computed from an audio file, run as they come (or
 * collected for a bidirectional model). */
typedef struct {
  LstmModel *model;
  LstmState *state;
  LstmToolFrameWriter *writer;
  Timeline *tl;
  GArray *all;
  float *out;
  guint8 *flags;
  LstmNanPolicy policy;
  const gchar *input;
  guint rate;           /* of the features */
  guint64 frames;       /* frames so far */
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
    if (!lstm_model_forward_checked (ar->model, ar->state, ar->policy, in, m,
            ar->out, ar->flags, NULL, error))
      return FALSE;
    warn_bursts (ar->input, ar->flags, m, ar->frames);
    if (ar->writer && !lstm_tool_frame_writer_write (ar->writer, ar->out, m,
            error))
      return FALSE;
    if (ar->tl->seg)
      timeline_push (ar->tl, ar->out, m, O, ar->flags);
    ar->frames += m;
    in += m * I;
    n -= m;
  }
  return TRUE;
}

/* A burst of non-finite samples (--nan-policy reset): one frame of zeros
 * out, a fresh state, and the framing restarted at @run_start, as
 * lstmfeatures ! lstminfer do with the GAP buffer they make of it. */
static gboolean
run_audio_burst (guint64 first, guint64 run_start, gpointer user_data,
    GError **error)
{
  AudioRun *ar = user_data;
  const guint I = lstm_model_get_input_size (ar->model);
  const guint O = lstm_model_get_output_size (ar->model);
  guint j;

  fprintf (stderr, "lstm run: %s: NaN or Inf samples from %.3f s: a frame "
      "of zeros stands for them, and the features restart at %.3f s "
      "(--nan-policy reset)\n", ar->input, (double) first / ar->rate,
      (double) run_start / ar->rate);
  if (ar->all) {
    /* a non-finite frame, which lstm_model_forward_sequence_checked()
     * turns into zeros between two sequences */
    for (j = 0; j < I; j++) {
      const float nan = NAN;
      g_array_append_val (ar->all, nan);
    }
    return TRUE;
  }
  memset (ar->out, 0, O * sizeof (float));
  lstm_state_reset (ar->state);
  if (ar->writer && !lstm_tool_frame_writer_write (ar->writer, ar->out, 1,
          error))
    return FALSE;
  if (ar->tl->seg) {
    timeline_skip (ar->tl, TRUE);
    ar->tl->run_first = ar->tl->pos;
    ar->tl->run_origin = (double) run_start / ar->rate;
  }
  ar->frames++;
  return TRUE;
}

static void
usage (FILE *f)
{
  fprintf (f,
      "Usage: lstm run [OPTIONS] MODEL INPUT [OUTPUT]\n"
      "       lstm run [OPTIONS] --output-dir DIR MODEL INPUT...\n\n"
      "INPUT: .f32 (raw little-endian float32 frames, n x input size),\n"
      "       .csv (one frame per line, values separated by commas), or\n"
      "       audio (.wav, .flac, .ogg, ...): the model's features are\n"
      "       computed from it (lstm.features), resampled if needed.\n"
      "OUTPUT: .f32 or .csv (one output frame per input frame), or - for\n"
      "       CSV on standard output. Without OUTPUT: for classification\n"
      "       models a label timeline (start, end, label, confidence),\n"
      "       else CSV on standard output.\n\n"
      "Label timeline (classifiers; as lstminfer's properties of the same\n"
      "names, which give the same segments):\n"
      "  --smoothing N       frames of causal moving average of the scores\n"
      "                      before the label decision (1 to %u, 1: none;\n"
      "                      default: 0.1 s of frames for models that tag\n"
      "                      audio, none for others)\n"
      "  --threshold X       below this smoothed top score a frame is\n"
      "                      'unknown' (0 to 1; default 0)\n"
      "  --min-segment-duration SECONDS\n"
      "                      a new label must hold this long before it\n"
      "                      opens a segment (default: 0.2 s for models\n"
      "                      that tag audio, 0 for others; needs the model's\n"
      "                      frame rate, from its features)\n"
      "  --plot FILE         draw the recording (audio INPUT): log-mel\n"
      "                      spectrogram, label timeline, top score; .png\n"
      "                      (%u x %u pixels, %u with --reference) or .svg\n"
      "  --reference LABELS  also draw this label track (start end label,\n"
      "                      as Audacity exports them) under the timeline\n\n"
      "Non-finite input (as lstminfer's and lstmfeatures' nan-policy):\n"
      "  --nan-policy P      reset (default): a frame holding NaN or Inf\n"
      "                      gives zeros and resets the state (audio: a\n"
      "                      burst of such samples gives one frame of zeros\n"
      "                      and the features restart after it), with one\n"
      "                      warning on standard error per burst; error:\n"
      "                      stop with an error; pass: run them as they are\n\n"
      "Precision (as lstminfer's precision):\n"
      "  --precision P       fp32 (default) or bf16: the weight matrices as\n"
      "                      bfloat16, half the bytes per frame, products\n"
      "                      summed in float32 (streamable models only)\n",
      MAX_SMOOTHING, LSTM_TOOL_TIMELINE_WIDTH, LSTM_TOOL_TIMELINE_HEIGHT,
      LSTM_TOOL_TIMELINE_HEIGHT_REF);
}

/* ---- option values ---- */

static gboolean
parse_double (const gchar *opt, const gchar *text, double lo, double hi,
    const gchar *what, double *out, GError **error)
{
  gchar *end = NULL;
  double v;

  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || errno != 0 || !isfinite (v) || v < lo
      || v > hi) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' is not %s", opt, text, what);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/* The segmenter's settings from the options, in lstminfer's units:
 * min-segment-duration in whole nanoseconds, turned into frames as the
 * element does (rounded up, at least 1) from the duration of a frame as
 * its caps give it (the feature shift over the rate, rounded down to the
 * nanosecond), at most G_MAXUINT / 2 frames. Options not given take the
 * model's defaults (lstm_segmenter_get_defaults()), as lstminfer's
 * properties do. */
static gboolean
segment_settings (const RunOptions *o, LstmModel *model, guint *smoothing,
    double *threshold, guint64 *min_frames, GError **error)
{
  guint64 v = 1;
  double secs = 0, def_smooth = 0, def_min = 0;
  guint64 frame_ns = 0;

  *smoothing = 1;
  *threshold = 0.0;
  *min_frames = 1;
  lstm_segmenter_get_defaults (model, &def_smooth, &def_min);
  if (lstm_model_get_features (model) != NULL) {
    g_autoptr (LstmFeatures) f = lstm_features_new (lstm_model_get_features
        (model), NULL);
    if (f != NULL)
      frame_ns = (guint64) lstm_features_get_shift (f) *
          G_GUINT64_CONSTANT (1000000000) / lstm_features_get_sample_rate (f);
  }
  if (o->smoothing == NULL && def_smooth > 0 && frame_ns > 0)
    v = (guint64) CLAMP (llround (def_smooth * 1e9 / (double) frame_ns), 1,
        MAX_SMOOTHING);
  if (o->smoothing && !g_ascii_string_to_unsigned (o->smoothing, 10, 1,
          MAX_SMOOTHING, &v, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--smoothing: '%s' is not a whole number of frames from 1 to %u",
        o->smoothing, MAX_SMOOTHING);
    return FALSE;
  }
  *smoothing = (guint) v;
  if (o->threshold && !parse_double ("--threshold", o->threshold, 0.0, 1.0,
          "a score from 0 to 1", threshold, error))
    return FALSE;
  if (o->min_duration && !parse_double ("--min-segment-duration",
          o->min_duration, 0.0, G_MAXINT64 / 1e9,
          "a duration in seconds (0 to 9.2e9)", &secs, error))
    return FALSE;
  if (o->min_duration == NULL)
    secs = def_min;
  if (secs > 0) {
    guint64 min_ns = (guint64) llround (secs * 1e9);

    if (frame_ns == 0) {
      g_autoptr (LstmFeatures) f = NULL;
      g_autoptr (GError) ferr = NULL;
      if (lstm_model_get_features (model) != NULL)
        f = lstm_features_new (lstm_model_get_features (model), &ferr);
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--min-segment-duration: %s: the model has no usable feature "
          "configuration (lstm.features), so its frame rate is unknown%s%s",
          lstm_model_get_name (model), ferr ? ": " : "",
          ferr ? ferr->message : "");
      return FALSE;
    }
    if (min_ns > 0)
      *min_frames = MAX ((min_ns + frame_ns - 1) / frame_ns, 1);
    /* the element's bound too */
    *min_frames = MIN (*min_frames, G_MAXUINT / 2);
  }
  return TRUE;
}

/* ---- --plot ---- */

typedef struct {
  guint bins;
  GArray *values;
} Spectrogram;

static gboolean
collect_spectrogram (const float *in, gsize n, gpointer user_data,
    GError **error)
{
  Spectrogram *sp = user_data;
  (void) error;
  g_array_append_vals (sp->values, in, (guint) (n * sp->bins));
  return TRUE;
}

/* The label index of reference text @label: the model's, or a new one
 * after them; "unknown" is LSTM_LABEL_UNKNOWN. */
static guint
reference_label (GPtrArray *names, const gchar *label)
{
  guint i;

  if (strcmp (label, lstm_label_name (NULL, LSTM_LABEL_UNKNOWN)) == 0)
    return LSTM_LABEL_UNKNOWN;
  for (i = 0; i < names->len; i++)
    if (strcmp (names->pdata[i], label) == 0)
      return i;
  g_ptr_array_add (names, g_strdup (label));
  return names->len - 1;
}

static gboolean
draw_plot (const gchar *path, const gchar *audio, LstmModel *model,
    Timeline *tl, LstmLabelTrack *reference, double threshold,
    GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE,
      sizeof (LstmToolTimelineSpan));
  g_autoptr (GArray) ref = g_array_new (FALSE, FALSE,
      sizeof (LstmToolTimelineSpan));
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (LstmFeatures) mel = NULL;
  g_autoptr (LstmFeatures) model_f = lstm_features_new_for_model (model,
      NULL);
  g_autofree gchar *config = NULL;
  g_autofree gchar *title = g_path_get_basename (audio);
  g_autofree gchar *subtitle = NULL;
  g_autofree gchar *model_base = g_path_get_basename (lstm_model_get_name
      (model));
  Spectrogram sp = { 0, values };
  LstmToolTimelinePlot p = { 0 };
  guint rate, i;

  if (model_f == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: --plot needs the model's features", lstm_model_get_name (model));
    return FALSE;
  }
  rate = lstm_features_get_sample_rate (model_f);
  config = g_strdup_printf ("{\"kind\":\"fbank\",\"sample_frequency\":%u,"
      "\"num_mel_bins\":%u,\"frame_length\":25.0,\"frame_shift\":10.0,"
      "\"low_freq\":%g,\"high_freq\":0.0,\"waveform_scale\":32768.0}", rate,
      rate >= 16000 ? PLOT_MEL_BINS : PLOT_MEL_BINS_LOW_RATE, PLOT_LOW_HZ);
  mel = lstm_features_new (config, error);
  if (mel == NULL)
    return FALSE;
  sp.bins = lstm_features_get_size (mel);
  if (!lstm_tool_audio_features (audio, mel, collect_spectrogram, &sp, NULL,
          error))
    return FALSE;

  for (i = 0; i < lstm_model_get_output_size (model); i++)
    g_ptr_array_add (names, g_strdup (lstm_model_get_label_name (model, i)));
  for (i = 0; i < tl->segments->len; i++) {
    const LstmSegment *s = &g_array_index (tl->segments, LstmSegment, i);
    LstmToolTimelineSpan span = { frame_time (tl, s->start),
      frame_time (tl, s->end), s->label
    };
    g_array_append_val (spans, span);
  }
  for (i = 0; reference && i < lstm_label_track_get_n_spans (reference); i++) {
    const LstmLabelSpan *s = lstm_label_track_get_span (reference, i);
    LstmToolTimelineSpan span = { s->start, s->end,
      reference_label (names, s->label)
    };
    g_array_append_val (ref, span);
  }

  subtitle = g_strdup_printf ("model %s", model_base);
  p.title = title;
  p.subtitle = subtitle;
  p.duration = spans->len ? g_array_index (spans, LstmToolTimelineSpan,
      spans->len - 1).end : 0.0;
  if (!(p.duration > 0)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: too short to plot", audio);
    return FALSE;
  }
  p.labels = (const gchar * const *) names->pdata;
  p.n_labels = names->len;
  p.spec = (const float *) values->data;
  p.spec_frames = values->len / sp.bins;
  p.spec_bins = sp.bins;
  p.spec_period = (double) lstm_features_get_shift (mel) / rate;
  p.spec_offset = (double) lstm_features_get_frame_start (mel, 0) / rate;
  p.spec_low_hz = PLOT_LOW_HZ;
  p.spec_high_hz = rate / 2.0;
  p.segments = (const LstmToolTimelineSpan *) spans->data;
  p.n_segments = spans->len;
  p.scores = (const float *) tl->top->data;
  p.n_scores = tl->top->len;
  p.score_period = tl->period;
  p.score_offset = tl->offset;
  p.threshold = threshold;
  p.reference = (const LstmToolTimelineSpan *) ref->data;
  p.n_reference = ref->len;
  return lstm_tool_timeline_plot (path, &p, error);
}

/* ---- several inputs: one batch ---- */

/* One stretch of an input's frames, run as one sequence. */
typedef struct {
  guint file;
  gsize start, len;
} Stretch;

/* lstm run --output-dir DIR MODEL INPUT...: every frame file read whole,
 * then all of them run together through lstm_model_forward_sequences()
 * (under the reset policy each stretch of finite frames is a sequence of
 * its own, from a zero state, and a non-finite frame gives zeros: what
 * one `lstm run` per file gives); the scores of INPUT go to DIR/(INPUT's
 * file name), in INPUT's format. */
static gboolean
run_many (LstmModel *model, char **inputs, guint n_inputs, const gchar *dir,
    LstmNanPolicy policy, GError **error)
{
  guint I = lstm_model_get_input_size (model);
  guint O = lstm_model_get_output_size (model);
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_array_unref);
  g_autoptr (GPtrArray) outs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) stretches = g_array_new (FALSE, FALSE, sizeof (Stretch));
  g_autofree const float **seq_in = NULL;
  g_autofree float **seq_out = NULL;
  g_autofree gsize *seq_len = NULL;
  g_autofree float *buf = g_new (float, (gsize) CHUNK_FRAMES * I);
  gboolean ok = TRUE;
  guint f, q;

  for (f = 0; f < n_inputs; f++) {
    g_autoptr (LstmToolFrameReader) reader = NULL;
    GArray *all;
    gsize total, t, start = 0;
    gssize n;
    gboolean prev_bad = FALSE;
    float *out;

    if (lstm_tool_is_audio_path (inputs[f])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: --output-dir runs frame files (.f32, .csv); run an audio "
          "file on its own", inputs[f]);
      return FALSE;
    }
    reader = lstm_tool_frame_reader_open (inputs[f], I, error);
    if (reader == NULL)
      return FALSE;
    lstm_tool_frame_reader_set_nan_policy (reader, policy);
    all = g_array_new (FALSE, FALSE, sizeof (float));
    g_ptr_array_add (frames, all);
    while ((n = lstm_tool_frame_reader_read (reader, buf, CHUNK_FRAMES,
                error)) > 0)
      g_array_append_vals (all, buf, (guint) (n * I));
    if (n < 0)
      return FALSE;
    total = all->len / I;
    out = g_new0 (float, MAX (total, 1) * O);
    g_ptr_array_add (outs, out);
    for (t = 0; t <= total; t++) {
      const float *x = (const float *) all->data + t * I;
      gboolean bad = FALSE;
      guint j;

      for (j = 0; t < total && policy != LSTM_NAN_POLICY_PASS && j < I; j++)
        bad = bad || !isfinite (x[j]);
      if (bad && policy == LSTM_NAN_POLICY_ERROR) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: frame %" G_GSIZE_FORMAT " holds NaN or Inf "
            "(--nan-policy error)", inputs[f], t);
        return FALSE;
      }
      if (t < total && !bad) {
        prev_bad = FALSE;
        continue;
      }
      if (t > start) {
        Stretch st = { f, start, t - start };
        g_array_append_val (stretches, st);
      }
      if (bad && !prev_bad)
        fprintf (stderr, "lstm run: %s: frame %" G_GSIZE_FORMAT " holds NaN "
            "or Inf: its output is zeros and the state is reset until the "
            "next finite frame (--nan-policy reset)\n", inputs[f], t);
      prev_bad = bad;
      start = t + 1;
    }
  }

  seq_in = g_new (const float *, MAX (stretches->len, 1));
  seq_out = g_new (float *, MAX (stretches->len, 1));
  seq_len = g_new (gsize, MAX (stretches->len, 1));
  for (q = 0; q < stretches->len; q++) {
    const Stretch *st = &g_array_index (stretches, Stretch, q);
    GArray *all = g_ptr_array_index (frames, st->file);
    seq_in[q] = (const float *) all->data + st->start * I;
    seq_out[q] = (float *) g_ptr_array_index (outs, st->file) + st->start * O;
    seq_len[q] = st->len;
  }
  if (!lstm_model_forward_sequences (model, stretches->len, seq_in, seq_len,
          seq_out, error))
    return FALSE;

  for (f = 0; ok && f < n_inputs; f++) {
    g_autofree gchar *base = g_path_get_basename (inputs[f]);
    g_autofree gchar *path = g_build_filename (dir, base, NULL);
    GArray *all = g_ptr_array_index (frames, f);
    LstmToolFrameWriter *w = lstm_tool_frame_writer_open (path, O, error);

    if (w == NULL)
      return FALSE;
    ok = lstm_tool_frame_writer_write (w, g_ptr_array_index (outs, f),
        all->len / I, error);
    if (!ok)
      lstm_tool_frame_writer_abort (w);
    else
      ok = lstm_tool_frame_writer_close (w, error);
  }
  return ok;
}

int
lstm_tool_run (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) opt_error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autoptr (LstmToolFrameReader) reader = NULL;
  g_autoptr (LstmSegmenter) seg = NULL;
  g_autoptr (LstmFeatures) features = NULL;
  g_autoptr (LstmLabelTrack) reference = NULL;
  g_autoptr (GArray) segments = NULL;
  g_autoptr (GArray) top = NULL;
  g_autofree float *in = NULL, *out = NULL, *smoothed = NULL;
  g_autofree guint8 *flags = NULL;
  LstmNanPolicy policy = LSTM_NAN_POLICY_RESET;
  LstmPrecision precision = LSTM_PRECISION_FP32;
  RunOptions o = { 0 };
  LstmToolFrameWriter *writer = NULL;
  Timeline tl = { 0 };
  guint I, O, smoothing;
  guint64 min_frames;
  double threshold;
  gssize n;
  gboolean ok = TRUE, is_audio, classifier;
  const gchar *output;
  int i, ret = 1;
  GOptionEntry entries[] = {
    {"smoothing", 0, 0, G_OPTION_ARG_STRING, &o.smoothing, NULL, "N"},
    {"threshold", 0, 0, G_OPTION_ARG_STRING, &o.threshold, NULL, "X"},
    {"min-segment-duration", 0, 0, G_OPTION_ARG_STRING, &o.min_duration,
        NULL, "SECONDS"},
    {"plot", 0, 0, G_OPTION_ARG_FILENAME, &o.plot, NULL, "FILE"},
    {"reference", 0, 0, G_OPTION_ARG_FILENAME, &o.reference, NULL,
        "LABELS"},
    {"nan-policy", 0, 0, G_OPTION_ARG_STRING, &o.nan_policy, NULL, "P"},
    {"precision", 0, 0, G_OPTION_ARG_STRING, &o.precision, NULL, "P"},
    {"output-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.output_dir, NULL, "DIR"},
    {NULL}
  };

  for (i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      usage (stdout);
      return 0;
    }
  ctx = g_option_context_new ("MODEL INPUT [OUTPUT]");
  g_option_context_set_help_enabled (ctx, FALSE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &opt_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s",
        opt_error->message);
    goto out;
  }
  if (argc < 3 || (argc > 4 && o.output_dir == NULL)) {
    usage (stderr);
    ret = 2;
    goto out;
  }
  /* option errors before any work */
  if (o.reference && !o.plot) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--reference is drawn under the label timeline: it needs --plot");
    goto out;
  }
  if (o.plot && !lstm_tool_plot_check_path (o.plot, error))
    goto out;
  if (o.nan_policy && !lstm_nan_policy_from_string (o.nan_policy, &policy)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--nan-policy: '%s' is not one of reset, error, pass", o.nan_policy);
    goto out;
  }
  if (o.precision && !lstm_precision_from_string (o.precision, &precision,
          error))
    goto out;

  if (o.output_dir && (o.plot || o.reference || o.smoothing || o.threshold ||
          o.min_duration)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--output-dir writes scores: the label timeline's options do not "
        "apply");
    goto out;
  }
  if (o.output_dir && precision != LSTM_PRECISION_FP32) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--output-dir runs the files as one fp32 batch: --precision %s is "
        "not available there", o.precision);
    goto out;
  }
  if (o.output_dir && !g_file_test (o.output_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--output-dir %s: not a directory", o.output_dir);
    goto out;
  }

  model = lstm_model_load (argv[1], error);
  if (model == NULL)
    goto out;
  if (o.output_dir) {
    ret = run_many (model, argv + 2, (guint) argc - 2, o.output_dir, policy,
        error) ? 0 : 1;
    goto out;
  }
  I = lstm_model_get_input_size (model);
  O = lstm_model_get_output_size (model);
  output = argc == 4 ? argv[3] : NULL;
  classifier = lstm_model_get_task (model) == LSTM_TASK_CLASSIFICATION;
  if (precision != LSTM_PRECISION_FP32 && !lstm_model_is_streamable (model)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: --precision %s runs streamable models; this one has a "
        "bidirectional layer", argv[1], lstm_precision_to_string (precision));
    goto out;
  }
  is_audio = lstm_tool_is_audio_path (argv[2]);
  if (!classifier && (o.plot || o.smoothing || o.threshold ||
          o.min_duration)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: %s applies to the label timeline of classifiers; this model's "
        "task is %s", argv[1], o.plot ? "--plot" : o.smoothing ?
        "--smoothing" : o.threshold ? "--threshold" :
        "--min-segment-duration",
        lstm_task_to_string (lstm_model_get_task (model)));
    goto out;
  }
  if (o.plot && !is_audio) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: --plot draws a recording: INPUT must be an audio file (.wav, "
        ".flac, .ogg...), not frames", argv[2]);
    goto out;
  }
  if (output && !o.plot && (o.smoothing || o.threshold || o.min_duration)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: --smoothing, --threshold and --min-segment-duration shape the "
        "label timeline, which is not printed with OUTPUT (the scores are "
        "written as computed)", output);
    goto out;
  }
  if (!segment_settings (&o, model, &smoothing, &threshold, &min_frames,
          error))
    goto out;
  if (o.reference) {
    reference = lstm_label_track_load (o.reference, error);
    if (reference == NULL)
      goto out;
  }

  if (is_audio) {
    features = lstm_features_new_for_model (model, error);
    if (features == NULL)
      goto out;
  } else {
    reader = lstm_tool_frame_reader_open (argv[2], I, error);
    if (reader == NULL)
      goto out;
    lstm_tool_frame_reader_set_nan_policy (reader, policy);
  }
  flags = g_new (guint8, CHUNK_FRAMES);

  if (output == NULL && !classifier)
    output = "-";
  if (output != NULL) {
    writer = lstm_tool_frame_writer_open (output, O, error);
    if (writer == NULL)
      goto out;
  }
  if (output == NULL || o.plot) {
    seg = lstm_segmenter_new (O, smoothing, threshold, min_frames);
    tl.model = model;
    tl.seg = seg;
    tl.print = output == NULL;
    tl.period = lstm_tool_frame_period (model);
    tl.offset = lstm_tool_frame_offset (model);
    smoothed = g_new (float, O);
    tl.smoothed = smoothed;
    if (o.plot) {
      segments = g_array_new (FALSE, FALSE, sizeof (LstmSegment));
      top = g_array_new (FALSE, FALSE, sizeof (float));
      tl.segments = segments;
      tl.top = top;
    }
  }

  if (features != NULL) {
    AudioRun ar = { model, NULL, writer, &tl, NULL, NULL, flags, policy,
      argv[2], lstm_features_get_sample_rate (features), 0
    };
    if (lstm_model_is_streamable (model)) {
      state = lstm_state_new_with_precision (model, precision, error);
      if (state == NULL)
        goto out;
      ar.state = state;
      out = g_new (float, (gsize) CHUNK_FRAMES * O);
      ar.out = out;
    } else {
      ar.all = g_array_new (FALSE, FALSE, sizeof (float));
    }
    ok = lstm_tool_audio_features_checked (argv[2], features, policy,
        run_audio_frames, run_audio_burst, &ar, NULL, error);
    if (ok && ar.all) {
      /* Bidirectional: the whole sequence at once. */
      gsize total = ar.all->len / I;
      g_autofree guint8 *all_flags = g_new (guint8, MAX (total, 1));
      out = g_new (float, MAX (total, 1) * O);
      ok = lstm_model_forward_sequence_checked (model, policy,
          (float *) ar.all->data, total, out, all_flags, error);
      if (ok && writer)
        ok = lstm_tool_frame_writer_write (writer, out, total, error);
      if (ok && seg)
        timeline_push (&tl, out, total, O, all_flags);
    }
    if (ar.all)
      g_array_free (ar.all, TRUE);
  } else if (!lstm_model_is_streamable (model)) {
    /* Bidirectional: the whole sequence at once. */
    GArray *all = g_array_new (FALSE, FALSE, sizeof (float));
    gsize total;
    in = g_new (float, (gsize) CHUNK_FRAMES * I);
    while ((n = lstm_tool_frame_reader_read (reader, in, CHUNK_FRAMES,
                error)) > 0)
      g_array_append_vals (all, in, (guint) (n * I));
    total = all->len / I;
    ok = n == 0;
    g_free (flags);
    flags = g_new (guint8, MAX (total, 1));
    if (ok) {
      out = g_new (float, MAX (total, 1) * O);
      ok = lstm_model_forward_sequence_checked (model, policy,
          (float *) all->data, total, out, flags, error);
    }
    if (ok)
      warn_bursts (argv[2], flags, total, 0);
    if (ok && writer)
      ok = lstm_tool_frame_writer_write (writer, out, total, error);
    if (ok && seg)
      timeline_push (&tl, out, total, O, flags);
    g_array_free (all, TRUE);
  } else {
    guint64 done = 0;
    state = lstm_state_new_with_precision (model, precision, error);
    if (state == NULL)
      goto out;
    in = g_new (float, (gsize) CHUNK_FRAMES * I);
    out = g_new (float, (gsize) CHUNK_FRAMES * O);
    while ((n = lstm_tool_frame_reader_read (reader, in, CHUNK_FRAMES,
                error)) > 0) {
      if (!lstm_model_forward_checked (model, state, policy, in, n, out,
              flags, NULL, error)) {
        ok = FALSE;
        break;
      }
      warn_bursts (argv[2], flags, n, done);
      done += n;
      if (writer && !lstm_tool_frame_writer_write (writer, out, n, error)) {
        ok = FALSE;
        break;
      }
      if (seg)
        timeline_push (&tl, out, n, O, flags);
    }
    if (n < 0)
      ok = FALSE;
  }
  if (ok && seg) {
    LstmSegment s;
    if (lstm_segmenter_flush (seg, &s))
      timeline_segment (&tl, &s);
  }
  if (writer && !ok)
    lstm_tool_frame_writer_abort (writer);
  else if (writer && !lstm_tool_frame_writer_close (writer, error))
    ok = FALSE;
  writer = NULL;
  if (ok && o.plot) {
    fflush (stdout);
    ok = draw_plot (o.plot, argv[2], model, &tl, reference, threshold, error);
  }
  ret = ok ? 0 : 1;

out:
  if (writer)
    lstm_tool_frame_writer_abort (writer);
  g_free (o.smoothing);
  g_free (o.threshold);
  g_free (o.min_duration);
  g_free (o.plot);
  g_free (o.reference);
  g_free (o.nan_policy);
  g_free (o.precision);
  g_free (o.output_dir);
  return ret;
}
