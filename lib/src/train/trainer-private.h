/* liblstm: internals shared by dataset.c, trainer.c and checkpoint.c
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

/* The trainer, whose state checkpoint.c writes and reads back. */
struct _LstmTrainer {
  LstmModel *model;             /* private copy, updated in place */
  LstmTrainerOptions opt;
  gchar *checkpoint_path;
  gchar *data_description;
  float *t_mean;                /* (output_size) target scaling, or NULL */
  float *t_std;
  float *scaled;                /* (tape_T, output_size) scaled outputs */
  const LstmKernels *k;
  gsize n;                      /* parameters */
  float *grads;                 /* (n) */
  float *m;                     /* (n) Adam exp_avg / SGD momentum buffer */
  float *v;                     /* (n) Adam exp_avg_sq, or NULL */
  float *prev;                  /* (n) the weights before the current step */
  float *best;                  /* (n) best weights, or NULL */
  LstmRng rng;
  LstmRng rng_epoch;            /* rng before this epoch's shuffle */
  gboolean perm_valid;
  guint64 step;

  /* cursor */
  guint epoch;                  /* completed epochs */
  guint batch;                  /* completed batches of the current epoch */
  guint window;                 /* completed windows of the current batch */
  gboolean finished;
  gboolean early_stopped;

  /* running sums of the current epoch */
  double ep_loss;
  double ep_count;
  guint64 ep_correct;
  guint64 ep_frames;
  gint64 ep_time_us;

  /* early stopping */
  double best_val;
  guint best_epoch;
  guint bad_epochs;
  GArray *history;              /* LstmEpochStats */

  /* data, bound at the first lstm_trainer_train() */
  gboolean bound;
  guint64 fingerprint;
  gboolean have_resume_fingerprint;
  guint64 resume_fingerprint;
  LstmDataset *train_ds;        /* borrowed during a train call */
  LstmDataset *val_ds;
  GArray *train_idx;            /* guint sequence indices */
  GArray *val_idx;
  guint64 train_frames;         /* frames of the training sequences */
  guint *perm;
  LstmTargetKind kind;          /* of the training set */
  LstmLoss loss;
  gboolean wrt_logits;
  float *lanes;                 /* (batch_size, state_size) */
  gboolean lanes_loaded;        /* lanes came from a checkpoint */
  LstmTape *tape;
  gsize tape_T;
  float *dout;                  /* (tape_T, output_size) */
  guint *cls_buf;               /* (tape_T) */

  LstmTrainProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;
  gboolean stop;

  /* online training (lstm_trainer_begin_online) */
  gboolean online;
  float *online_hc;             /* (state_size) the stream's carried state */
  double val_loss_sum;          /* held-out windows of the current epoch */
  double val_count;
  guint64 val_correct;
  guint64 online_frames;        /* frames seen by lstm_trainer_step() */
  /* running input statistics (options.running_statistics): Welford */
  guint64 rs_n;
  double *rs_mean;              /* (input_size) or NULL */
  double *rs_m2;                /* (input_size) */
  float *rs_buf;                /* (rs_cap, input_size) standardised window */
  gsize rs_cap;
  guint64 rt_n;                 /* and of value targets, as the scaling */
  double *rt_mean;              /* (output_size) or NULL */
  double *rt_m2;
};

G_END_DECLS
