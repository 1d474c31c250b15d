/* liblstm: the matrix loops of training
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "train-kernels.h"

/* 16-byte vectors: the x86-64 baseline (SSE2), no ABI change */
typedef float v4sf __attribute__ ((vector_size (16)));

static inline v4sf
load4 (const float *p)
{
  v4sf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
store4 (float *p, v4sf v)
{
  memcpy (p, &v, sizeof v);
}

void
lstm_train_axpy (float *y, float a, const float *x, gsize n)
{
  v4sf va = { a, a, a, a };
  gsize i = 0;

  for (; i + 8 <= n; i += 8) {
    store4 (y + i, load4 (y + i) + va * load4 (x + i));
    store4 (y + i + 4, load4 (y + i + 4) + va * load4 (x + i + 4));
  }
  for (; i < n; i++)
    y[i] = y[i] + a * x[i];
}

void
lstm_train_gemm_tn_acc (float *c, gsize ldc, const float *a, gsize lda,
    const float *b, gsize ldb, gsize M, gsize N, gsize T)
{
  gsize t, m, n;

  for (t = 0; t < T; t++) {
    const float *at = a + t * lda, *bt = b + t * ldb;
    gsize nnz = 0;

    for (n = 0; n < N; n++)
      nnz += bt[n] != 0.0f;
    if (nnz * 8 < N) {
      /* sparse row (one-hot input): touch only its non-zero columns */
      for (n = 0; n < N; n++) {
        float s = bt[n];
        if (s == 0.0f)
          continue;
        for (m = 0; m < M; m++)
          c[m * ldc + n] = c[m * ldc + n] + at[m] * s;
      }
      continue;
    }
    for (m = 0; m < M; m++)
      if (at[m] != 0.0f)
        lstm_train_axpy (c + m * ldc, at[m], bt, N);
  }
}

void
lstm_train_gemm_nn_acc (float *c, gsize ldc, const float *a, gsize lda,
    const float *w, gsize M, gsize K, gsize T)
{
  gsize t, m;

  for (t = 0; t < T; t++)
    for (m = 0; m < M; m++) {
      float s = a[t * lda + m];
      if (s != 0.0f)
        lstm_train_axpy (c + t * ldc, s, w + m * K, K);
    }
}

void
lstm_train_gemv_t_acc (float *y, const float *w, const float *x, gsize M,
    gsize K)
{
  gsize m;

  for (m = 0; m < M; m++)
    if (x[m] != 0.0f)
      lstm_train_axpy (y, x[m], w + m * K, K);
}

void
lstm_train_colsum_acc (float *db, const float *a, gsize lda, gsize M, gsize T)
{
  gsize t;

  for (t = 0; t < T; t++)
    lstm_train_axpy (db, 1.0f, a + t * lda, M);
}
