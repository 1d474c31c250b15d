/* liblstm: internals shared by dataset.c and trainer.c
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "lstm-private.h"

G_BEGIN_DECLS

typedef struct {
  gsize start;          /* first frame, in frames of the dataset */
  gsize n;              /* frames */
  guint cls;            /* LSTM_TARGET_SEQUENCE_CLASS: the class */
} LstmSeq;

struct _LstmDataset {
  guint input_size;
  LstmTargetKind kind;
  guint target_size;
  guint64 n_frames;
  GArray *seqs;         /* LstmSeq */
  GArray *frames;       /* float, (n_frames, input_size) */
  GArray *classes;      /* guint, (n_frames): LSTM_TARGET_FRAME_CLASS */
  GArray *values;       /* float, (n_frames, target_size): FRAME_VALUES */
  GArray *mask;         /* guint8, (n_frames): FRAME_VALUES */
};

guint64 lstm_dataset_fingerprint (LstmDataset *ds, guint64 h);

G_END_DECLS
