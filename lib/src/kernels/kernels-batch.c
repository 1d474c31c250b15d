/* liblstm: the batched-step kernels' dispatch (see LstmBatchKernels)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "kernels.h"

static const LstmBatchKernels batch_generic = {
  lstm_matmul_packed_multi_generic, lstm_lstm_gates_generic
};
#ifdef LSTM_HAVE_AVX2
static const LstmBatchKernels batch_avx2 = {
  lstm_matmul_packed_multi_avx2, lstm_lstm_gates_avx2
};
static const LstmBatchKernels batch_fma = {
  lstm_matmul_packed_multi_fma, lstm_lstm_gates_fma
};
#endif
#ifdef LSTM_HAVE_AVX512
static const LstmBatchKernels batch_avx512 = {
  lstm_matmul_packed_multi_avx512, lstm_lstm_gates_avx512
};
#endif

const LstmBatchKernels *
lstm_batch_kernels_get (const LstmKernels *k)
{
  if (k == NULL || k->matmul_packed == NULL)
    return NULL;
  /* k came from lstm_kernels_get(), which checked the CPU */
  if (strcmp (k->name, "generic") == 0)
    return &batch_generic;
#ifdef LSTM_HAVE_AVX2
  if (strcmp (k->name, "avx2") == 0)
    return &batch_avx2;
  if (strcmp (k->name, "fma") == 0)
    return &batch_fma;
#endif
#ifdef LSTM_HAVE_AVX512
  if (strcmp (k->name, "avx512") == 0)
    return &batch_avx512;
#endif
  return NULL;
}
