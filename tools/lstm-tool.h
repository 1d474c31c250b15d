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
/* lstm import: ONNX, Keras and TF.js models (lstm-cmd-import.c) */
int lstm_tool_import (int argc, char **argv, GError **error);
/* training (lstm-cmd-train.c, lstm-cmd-eval.c, lstm-cmd-generate.c) */
int lstm_tool_train (int argc, char **argv, GError **error);
int lstm_tool_eval (int argc, char **argv, GError **error);
int lstm_tool_generate (int argc, char **argv, GError **error);
int lstm_tool_forecast (int argc, char **argv, GError **error);

/* ---- output files: a temporary file renamed into place (lstm-atomic.c) */

FILE *lstm_tool_atomic_open (const gchar *path, gchar **tmp_out,
    GError **error);
gboolean lstm_tool_atomic_close (FILE *fp, gchar *tmp, const gchar *path,
    gboolean commit, GError **error);
gboolean lstm_tool_tmp_register (const gchar *tmp);
int lstm_tool_tmp_create (gchar *tmpl, int flags, int mode);
void lstm_tool_tmp_unregister (const gchar *tmp);

/* ---- frame files: .f32 (raw little-endian float32, n x D) and .csv ---- */

typedef enum {
  LSTM_TOOL_FRAMES_F32,
  LSTM_TOOL_FRAMES_CSV,
} LstmToolFramesFormat;

typedef struct _LstmToolFrameReader LstmToolFrameReader;
typedef struct _LstmToolFrameWriter LstmToolFrameWriter;

gboolean lstm_tool_frames_format_from_path (const gchar *path,
    LstmToolFramesFormat *format);
LstmToolFrameReader *lstm_tool_frame_reader_open (const gchar *path, guint dim,
    GError **error);
void lstm_tool_frame_reader_set_nan_policy (LstmToolFrameReader *r,
    LstmNanPolicy policy);
/* Reads up to @max frames into @buf; returns how many (0 at the end), or
 * -1 with @error set. */
gssize lstm_tool_frame_reader_read (LstmToolFrameReader *r, float *buf,
    gsize max, GError **error);
void lstm_tool_frame_reader_close (LstmToolFrameReader *r);

/* @path "-" writes CSV to standard output. */
LstmToolFrameWriter *lstm_tool_frame_writer_open (const gchar *path, guint dim,
    GError **error);
gboolean lstm_tool_frame_writer_write (LstmToolFrameWriter *w, const float *buf,
    gsize n_frames, GError **error);
/* Writes go to a temporary file beside the output; close renames it into
 * place once complete, abort removes it (an older file stays as it was). */
gboolean lstm_tool_frame_writer_close (LstmToolFrameWriter *w, GError **error);
void lstm_tool_frame_writer_abort (LstmToolFrameWriter *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmToolFrameReader,
    lstm_tool_frame_reader_close)

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
/* A burst of non-finite samples (LSTM_NAN_POLICY_RESET), reported when it
 * ends: it stands for one frame of zeros between the frames before and
 * after it; @first_sample is its first sample, @run_start the first finite
 * sample after it (where the framing restarted), both counted at the
 * features' rate from the start of the file. */
typedef gboolean (*LstmToolBurstFunc) (guint64 first_sample,
    guint64 run_start, gpointer user_data, GError **error);
/* With a policy for non-finite samples (lstm_tool_audio_features() passes
 * them); @burst may be NULL. */
gboolean lstm_tool_audio_features_checked (const gchar *path,
    LstmFeatures *features, LstmNanPolicy policy, LstmToolFramesFunc func,
    LstmToolBurstFunc burst, gpointer user_data, guint64 *n_frames,
    GError **error);

/* ---- pictures (lstm-plot.c, cairo) ---- */

/* Checks that @path names a picture lstm can draw (.png or .svg) and that
 * this build has cairo; an LSTM_ERROR_ARGUMENT or _UNSUPPORTED error
 * otherwise. */
gboolean lstm_tool_plot_check_path (const gchar *path, GError **error);

/* The label-timeline picture of `lstm run --plot`. Its layout, in pixels,
 * is fixed so that a reader (or a test) can find things in it: time t
 * (seconds) is at x = LEFT + t / duration * (WIDTH - LEFT - RIGHT); the
 * model's label band covers the rows [BAND_TOP, BAND_TOP + BAND_HEIGHT),
 * the reference band (with a reference) [REF_TOP, REF_TOP + BAND_HEIGHT).
 * The picture is WIDTH x HEIGHT (HEIGHT_REF with a reference), plus
 * LEGEND_ROW for each legend row after the first. Label index i is drawn
 * in PALETTE[i] (0xRRGGBB) for i below PALETTE_SIZE, further labels in
 * hues spread around the colour wheel; unknown stretches in UNKNOWN. */
#define LSTM_TOOL_TIMELINE_WIDTH 1000
#define LSTM_TOOL_TIMELINE_LEFT 84
#define LSTM_TOOL_TIMELINE_RIGHT 24
#define LSTM_TOOL_TIMELINE_BAND_TOP 298
#define LSTM_TOOL_TIMELINE_BAND_HEIGHT 26
#define LSTM_TOOL_TIMELINE_REF_TOP 336
#define LSTM_TOOL_TIMELINE_HEIGHT 480
#define LSTM_TOOL_TIMELINE_HEIGHT_REF 518
#define LSTM_TOOL_TIMELINE_LEGEND_ROW 20
#define LSTM_TOOL_TIMELINE_PALETTE_SIZE 9
#define LSTM_TOOL_TIMELINE_PALETTE { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, \
    0x9467bd, 0x8c564b, 0xe377c2, 0xbcbd22, 0x17becf }
#define LSTM_TOOL_TIMELINE_UNKNOWN 0x9e9e9e

/* One labelled stretch of the timeline: seconds, label index (into the
 * picture's label names) or LSTM_LABEL_UNKNOWN. */
typedef struct {
  double start;
  double end;
  guint label;
} LstmToolTimelineSpan;

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
  const LstmToolTimelineSpan *segments;
  guint n_segments;
  /* per-frame top smoothed score (NULL: none), frame i at
   * max (0, score_offset + i * score_period) */
  const float *scores;
  gsize n_scores;
  double score_period;
  double score_offset;
  double threshold;
  /* the reference label track (n_reference 0: none) */
  const LstmToolTimelineSpan *reference;
  guint n_reference;
} LstmToolTimelinePlot;

/* Draws the label timeline into a .png or .svg file. */
gboolean lstm_tool_timeline_plot (const gchar *path,
    const LstmToolTimelinePlot *plot, GError **error);

G_END_DECLS
