/* The model, data and trainer options shared by the checkpoint target
 * (fuzz-checkpoint.c) and the seed generator (make-seeds.c): the seeds'
 * checkpoints are written by this trainer, so the target can resume them.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <lstm/lstm.h>

#define FUZZ_TRAIN_ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":3}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2," \
  "\"activation\":\"softmax\"}]"
#define FUZZ_TRAIN_FRAMES 12
#define FUZZ_TRAIN_SEQUENCES 4

static G_GNUC_UNUSED LstmModel *
fuzz_train_model (void)
{
  static const gchar *const labels[] = { "a", "b", NULL };
  LstmModelOptions opts = { 0 };

  opts.seed = 7;
  opts.task = LSTM_TASK_CLASSIFICATION;
  opts.labels = labels;
  return lstm_model_new (FUZZ_TRAIN_ARCH, &opts, NULL);
}

/* Frame classes: the class is whether the first input is positive. */
static G_GNUC_UNUSED LstmDataset *
fuzz_train_dataset (void)
{
  LstmDataset *ds = lstm_dataset_new (2, LSTM_TARGET_FRAME_CLASS, 2, NULL);
  float x[FUZZ_TRAIN_FRAMES * 2];
  guint y[FUZZ_TRAIN_FRAMES];
  guint s, i;

  for (s = 0; s < FUZZ_TRAIN_SEQUENCES; s++) {
    for (i = 0; i < FUZZ_TRAIN_FRAMES; i++) {
      x[2 * i] = (float) ((int) ((i * 5 + s * 3) % 7) - 3);
      x[2 * i + 1] = (float) (s % 3) - 1.0f;
      y[i] = x[2 * i] > 0;
    }
    lstm_dataset_add_with_frame_classes (ds, x, FUZZ_TRAIN_FRAMES, y, NULL);
  }
  return ds;
}

/* Adam (the default) or SGD with momentum; 2 epochs of windows of 4 frames,
 * 2 sequences a batch. */
static G_GNUC_UNUSED void
fuzz_train_options (LstmTrainerOptions *o, gboolean sgd)
{
  lstm_trainer_options_init (o);
  if (sgd) {
    o->optimizer = LSTM_OPTIMIZER_SGD;
    o->momentum = 0.9;
  }
  o->epochs = 2;
  o->batch_size = 2;
  o->sequence_length = 4;
  o->validation_fraction = 0;
  o->seed = 3;
}
