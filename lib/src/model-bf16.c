/* liblstm: the model's bf16 packed weights (reduced precision, opt-in)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "lstm-private.h"

gboolean
lstm_model_ensure_packed_bf16 (LstmModel *model)
{
  gsize total = 0, off = 0;
  guint i, r;

  if (g_atomic_int_get (&model->packed_bf16_ready))
    return TRUE;
  g_mutex_lock (&model->pack_lock);
  if (g_atomic_int_get (&model->packed_bf16_ready)) {
    g_mutex_unlock (&model->pack_lock);
    return TRUE;
  }
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    if (L->type == LSTM_LAYER_LAG)
      continue;                 /* no weights */
    if (L->type == LSTM_LAYER_LINEAR) {
      total += lstm_packed_size_bf16 (L->output_size, L->input_size);
      continue;
    }
    for (r = 0; r < L->num_layers * L->num_dirs; r++) {
      guint G = (L->type == LSTM_LAYER_LSTM ? 4 : 3) * L->hidden_size;
      total += lstm_packed_size_bf16 (G, L->rnn[r].in) +
          lstm_packed_size_bf16 (G, L->hidden_size);
    }
  }
  lstm_aligned_free ((float *) model->packed_bf16);
  /* two bf16 values per float of the aligned allocator */
  model->packed_bf16 = (guint16 *) lstm_aligned_try_alloc0 (MAX (total, 2) /
      2 + 1);
  if (model->packed_bf16 == NULL) {
    g_mutex_unlock (&model->pack_lock);
    return FALSE;
  }
  for (i = 0; i < model->n_layers; i++) {
    LstmLayer *L = &model->layers[i];
    if (L->type == LSTM_LAYER_LAG)
      continue;
    if (L->type == LSTM_LAYER_LINEAR) {
      lstm_pack_matrix_bf16 (L->weight, L->output_size, L->input_size,
          model->packed_bf16 + off, &L->pk16_weight);
      off += lstm_packed_size_bf16 (L->output_size, L->input_size);
      continue;
    }
    for (r = 0; r < L->num_layers * L->num_dirs; r++) {
      LstmRnnParams *p = &L->rnn[r];
      guint G = (L->type == LSTM_LAYER_LSTM ? 4 : 3) * L->hidden_size;
      lstm_pack_matrix_bf16 (p->w_ih, G, p->in, model->packed_bf16 + off,
          &p->pk16_ih);
      off += lstm_packed_size_bf16 (G, p->in);
      lstm_pack_matrix_bf16 (p->w_hh, G, L->hidden_size,
          model->packed_bf16 + off, &p->pk16_hh);
      off += lstm_packed_size_bf16 (G, L->hidden_size);
    }
  }
  g_atomic_int_set (&model->packed_bf16_ready, 1);
  g_mutex_unlock (&model->pack_lock);
  return TRUE;
}
