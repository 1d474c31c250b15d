/* liblstm: the model's bf16 packed weights (reduced precision, opt-in)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "lstm-private.h"

typedef struct {
  guint16 *dst;
  gsize size;
} PackWalk16;

static void
add_packed_size (const float *w, guint n_out, guint k, LstmPackedMatrix *pk,
    LstmPackedMatrix *pk16, gpointer data)
{
  (void) w;
  (void) pk;
  (void) pk16;
  ((PackWalk16 *) data)->size += lstm_packed_size_bf16 (n_out, k);
}

static void
pack_one (const float *w, guint n_out, guint k, LstmPackedMatrix *pk,
    LstmPackedMatrix *pk16, gpointer data)
{
  PackWalk16 *pw = data;

  (void) pk;
  lstm_pack_matrix_bf16 (w, n_out, k, pw->dst + pw->size, pk16);
  pw->size += lstm_packed_size_bf16 (n_out, k);
}

gboolean
lstm_model_ensure_packed_bf16 (LstmModel *model)
{
  PackWalk16 pw = { NULL, 0 };

  if (g_atomic_int_get (&model->packed_bf16_ready))
    return TRUE;
  g_mutex_lock (&model->pack_lock);
  if (g_atomic_int_get (&model->packed_bf16_ready)) {
    g_mutex_unlock (&model->pack_lock);
    return TRUE;
  }
  lstm_model_foreach_matrix (model, add_packed_size, &pw);
  lstm_aligned_free ((float *) model->packed_bf16);
  /* two bf16 values per float of the aligned allocator */
  model->packed_bf16 = (guint16 *) lstm_aligned_try_alloc0 (MAX (pw.size, 2) /
      2 + 1);
  if (model->packed_bf16 == NULL) {
    g_mutex_unlock (&model->pack_lock);
    return FALSE;
  }
  pw.dst = model->packed_bf16;
  pw.size = 0;
  lstm_model_foreach_matrix (model, pack_one, &pw);
  g_atomic_int_set (&model->packed_bf16_ready, 1);
  g_mutex_unlock (&model->pack_lock);
  return TRUE;
}
