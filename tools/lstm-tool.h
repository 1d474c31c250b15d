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

G_END_DECLS
