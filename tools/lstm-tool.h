/* lstm: the command-line tool's shared declarations
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdio.h>

#include <lstm/lstm.h>

G_BEGIN_DECLS

/* Each subcommand gets argv from its own name on and returns the exit
 * status; errors are printed by the caller from @error. */
typedef int (*LstmToolCommand) (int argc, char **argv, GError **error);

int lstm_tool_info (int argc, char **argv, GError **error);
int lstm_tool_run (int argc, char **argv, GError **error);
/* training (lstm-cmd-train.c, lstm-cmd-eval.c, lstm-cmd-generate.c) */
int lstm_tool_train (int argc, char **argv, GError **error);
int lstm_tool_eval (int argc, char **argv, GError **error);
int lstm_tool_generate (int argc, char **argv, GError **error);
int lstm_tool_forecast (int argc, char **argv, GError **error);

/* ---- frame files: .f32 (raw little-endian float32, n x D) and .csv ---- */

typedef enum {
  LSTM_FRAMES_F32,
  LSTM_FRAMES_CSV,
} LstmFramesFormat;

typedef struct _LstmFrameReader LstmFrameReader;
typedef struct _LstmFrameWriter LstmFrameWriter;

gboolean lstm_frames_format_from_path (const gchar *path,
    LstmFramesFormat *format);
LstmFrameReader *lstm_frame_reader_open (const gchar *path, guint dim,
    GError **error);
/* Reads up to @max frames into @buf; returns how many (0 at the end), or
 * -1 with @error set. */
gssize lstm_frame_reader_read (LstmFrameReader *r, float *buf, gsize max,
    GError **error);
void lstm_frame_reader_close (LstmFrameReader *r);

/* @path "-" writes CSV to standard output. */
LstmFrameWriter *lstm_frame_writer_open (const gchar *path, guint dim,
    GError **error);
gboolean lstm_frame_writer_write (LstmFrameWriter *w, const float *buf,
    gsize n_frames, GError **error);
gboolean lstm_frame_writer_close (LstmFrameWriter *w, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmFrameReader, lstm_frame_reader_close)

/* Seconds per frame of a model's features config, or 0 when unknown. */
double lstm_tool_frame_period (LstmModel *model);

/* ---- audio features (lstm-audio.c, lstm-cmd-features.c) ---- */

int lstm_tool_features (int argc, char **argv, GError **error);

/* Start time, in seconds, of frame 0's window for a model's features
 * config (negative for melspec's center=True); 0 when unknown. */
double lstm_tool_frame_offset (LstmModel *model);

/* Receives feature frames, @n_frames x lstm_features_get_size() floats. */
typedef gboolean (*LstmToolFramesFunc) (const float *frames, gsize n_frames,
    gpointer user_data, GError **error);

/* Whether @path names an audio file (by extension: .wav, .flac, .ogg...). */
gboolean lstm_tool_is_audio_path (const gchar *path);
/* Computes @features over an audio file: channel taken or averaged,
 * resampled to the features' rate (libsamplerate) when the file's differs,
 * flushed at the end. Errors for unreadable, non-audio and empty files, and
 * audio too short for one frame. */
gboolean lstm_tool_audio_features (const gchar *path, LstmFeatures *features,
    LstmToolFramesFunc func, gpointer user_data, guint64 *n_frames,
    GError **error);
/* CONFIG argument: inline JSON ('{...}'), a JSON file, or a model file
 * (its lstm.features; the model is returned in @model_out if not NULL). */
LstmFeatures *lstm_tool_features_open (const gchar *arg,
    LstmModel **model_out, GError **error);

/* ---- pictures (lstm-plot.c, cairo) ---- */

/* Checks that @path names a picture lstm can draw (.png or .svg) and that
 * this build has cairo; an LSTM_ERROR_ARGUMENT or _UNSUPPORTED error
 * otherwise. */
gboolean lstm_plot_check_path (const gchar *path, GError **error);

/* The label-timeline picture of `lstm run --plot`. Its layout, in pixels,
 * is fixed so that a reader (or a test) can find things in it: time t
 * (seconds) is at x = LEFT + t / duration * (WIDTH - LEFT - RIGHT); the
 * model's label band covers the rows [BAND_TOP, BAND_TOP + BAND_HEIGHT),
 * the reference band (with a reference) [REF_TOP, REF_TOP + BAND_HEIGHT).
 * The picture is WIDTH x HEIGHT (HEIGHT_REF with a reference), plus
 * LEGEND_ROW for each legend row after the first. Label index i is drawn
 * in PALETTE[i] (0xRRGGBB) for i below PALETTE_SIZE, further labels in
 * hues spread around the colour wheel; unknown stretches in UNKNOWN. */
#define LSTM_TIMELINE_WIDTH 1000
#define LSTM_TIMELINE_LEFT 84
#define LSTM_TIMELINE_RIGHT 24
#define LSTM_TIMELINE_BAND_TOP 298
#define LSTM_TIMELINE_BAND_HEIGHT 26
#define LSTM_TIMELINE_REF_TOP 336
#define LSTM_TIMELINE_HEIGHT 480
#define LSTM_TIMELINE_HEIGHT_REF 518
#define LSTM_TIMELINE_LEGEND_ROW 20
#define LSTM_TIMELINE_PALETTE_SIZE 9
#define LSTM_TIMELINE_PALETTE { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, \
    0x9467bd, 0x8c564b, 0xe377c2, 0xbcbd22, 0x17becf }
#define LSTM_TIMELINE_UNKNOWN 0x9e9e9e

/* One labelled stretch of the timeline: seconds, label index (into the
 * picture's label names) or LSTM_LABEL_UNKNOWN. */
typedef struct {
  double start;
  double end;
  guint label;
} LstmTimelineSpan;

typedef struct {
  const gchar *title;           /* the audio file's name */
  const gchar *subtitle;        /* smaller, at the right: the model */
  double duration;              /* seconds: the time axis ends here */
  /* label names; a span's label indexes them */
  const gchar *const *labels;
  guint n_labels;
  /* log-mel spectrogram: n_frames x n_bins, frame i covering
   * [offset + i * period, offset + (i + 1) * period) seconds, mel bins
   * spaced as Kaldi's between low_hz and high_hz */
  const float *spec;
  gsize spec_frames;
  guint spec_bins;
  double spec_period;
  double spec_offset;
  double spec_low_hz;
  double spec_high_hz;
  /* the model's segments */
  const LstmTimelineSpan *segments;
  guint n_segments;
  /* per-frame top smoothed score (NULL: none), frame i at
   * max (0, score_offset + i * score_period) */
  const float *scores;
  gsize n_scores;
  double score_period;
  double score_offset;
  double threshold;
  /* the reference label track (n_reference 0: none) */
  const LstmTimelineSpan *reference;
  guint n_reference;
} LstmTimelinePlot;

/* Draws the label timeline into a .png or .svg file. */
gboolean lstm_timeline_plot (const gchar *path, const LstmTimelinePlot *plot,
    GError **error);

G_END_DECLS
