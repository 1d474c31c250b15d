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

G_END_DECLS
