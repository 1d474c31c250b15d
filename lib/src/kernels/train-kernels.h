/* liblstm: the matrix loops of training (backward passes, optimizers)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Training is not bound by the chunking-invariance contract of kernels.h:
 * these loops are never used for inference. Each one has a fixed order for
 * a given call, so training is deterministic, and every product is written
 * as an AXPY over a contiguous row (no horizontal reductions), which the
 * compiler turns into vector code.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* y[0..n) += a * x[0..n) */
void lstm_train_axpy (float *y, float a, const float *x, gsize n);

/* c[m, n] += sum over t of a[t, m] * b[t, n]   (C += A^T B)
 * c: (M, N) stride ldc; a: (T, M) stride lda; b: (T, N) stride ldb.
 * Rows of b that are mostly zeros (one-hot inputs) take a sparse path. */
void lstm_train_gemm_tn_acc (float *c, gsize ldc, const float *a, gsize lda,
    const float *b, gsize ldb, gsize M, gsize N, gsize T);

/* c[t, k] += sum over m of a[t, m] * w[m, k]   (C += A W)
 * c: (T, K) stride ldc; a: (T, M) stride lda; w: (M, K) row-major. */
void lstm_train_gemm_nn_acc (float *c, gsize ldc, const float *a, gsize lda,
    const float *w, gsize M, gsize K, gsize T);

/* y[k] += sum over m of x[m] * w[m, k]   (y += W^T x)
 * y: (K); x: (M); w: (M, K) row-major. */
void lstm_train_gemv_t_acc (float *y, const float *w, const float *x,
    gsize M, gsize K);

/* db[m] += sum over t of a[t, m].  db: (M); a: (T, M) stride lda. */
void lstm_train_colsum_acc (float *db, const float *a, gsize lda, gsize M,
    gsize T);

G_END_DECLS
