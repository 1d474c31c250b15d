/* liblstm: checkpoint files and the lstm.training record (checkpoint.c),
 * and what of the trainer (trainer.c) they need
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "trainer-private.h"

G_BEGIN_DECLS

/* checkpoint.c */
gchar *lstm_trainer_training_json (LstmTrainer *tr);
gboolean lstm_trainer_write_checkpoint (LstmTrainer *tr, const gchar *path,
    GError **error);

/* trainer.c */
void lstm_trainer_fold_scaling (LstmTrainer *tr, float *params);
void lstm_trainer_freeze_statistics (LstmTrainer *tr, LstmModel *copy);

G_END_DECLS
