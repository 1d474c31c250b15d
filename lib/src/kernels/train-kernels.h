/* liblstm: the matrix loops of training (backward passes, optimizers)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Training is not bound by the chunking-invariance contract of kernels.h:
 * these loops are never used for inference. Each one has a fixed order for
 * a given call, so training is deterministic, and every product is written
 * as an AXPY over a contiguous row (no horizontal reductions), which the
 * compiler turns into vector code. The dense products run on the
 * register-blocked loops of train-kernels-simd.c, one build per kernel
 * variant, picked at run time (forcible with LSTM_KERNELS); they add the
 * same products in the same order per element, so only the "fma" variant
 * changes results (in the last bits: one rounding per product and sum).
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

/* The register-blocked loops of train-kernels-simd.c for one variant. */
typedef struct {
  const gchar *name;
  /* lstm_train_gemm_tn_acc() for a b whose rows are all dense */
  void (*gemm_tn_dense) (float *c, gsize ldc, const float *a, gsize lda,
      const float *b, gsize ldb, gsize M, gsize N, gsize T);
  void (*gemv_t_acc) (float *y, const float *w, const float *x, gsize M,
      gsize K);
  void (*gemm_nn_acc) (float *c, gsize ldc, const float *a, gsize lda,
      const float *w, gsize M, gsize K, gsize T);
} LstmTrainKernels;

/* The loops of variant @name ("generic", "avx2", "fma", "avx512"), NULL
 * for "ref" (the plain loops) or a variant this build or CPU lacks. With
 * @name NULL: the variant lstm_kernels_get (NULL) chooses (LSTM_KERNELS
 * forces it). The functions above use that one, chosen once. */
const LstmTrainKernels *lstm_train_kernels_get (const gchar *name);
/* The name of the variant the functions above use ("ref": plain loops). */
const gchar *lstm_train_kernels_name (void);

/* The functions above on the loops of @tk (NULL: the plain loops). All
 * variants but "fma" give the plain loops' bits. */
void lstm_train_gemm_tn_acc_with (const LstmTrainKernels *tk, float *c,
    gsize ldc, const float *a, gsize lda, const float *b, gsize ldb, gsize M,
    gsize N, gsize T);
void lstm_train_gemm_nn_acc_with (const LstmTrainKernels *tk, float *c,
    gsize ldc, const float *a, gsize lda, const float *w, gsize M, gsize K,
    gsize T);
void lstm_train_gemv_t_acc_with (const LstmTrainKernels *tk, float *y,
    const float *w, const float *x, gsize M, gsize K);

/* Per variant: the register-blocked loops (train-kernels-simd.c). */
#define LSTM_DECLARE_TRAIN_VARIANT(v) \
  void lstm_train_gemm_tn_dense_ ## v (float *c, gsize ldc, const float *a, \
      gsize lda, const float *b, gsize ldb, gsize M, gsize N, gsize T); \
  void lstm_train_gemv_t_acc_ ## v (float *y, const float *w, \
      const float *x, gsize M, gsize K); \
  void lstm_train_gemm_nn_acc_ ## v (float *c, gsize ldc, const float *a, \
      gsize lda, const float *w, gsize M, gsize K, gsize T);
LSTM_DECLARE_TRAIN_VARIANT (generic)
LSTM_DECLARE_TRAIN_VARIANT (avx2)
LSTM_DECLARE_TRAIN_VARIANT (fma)
LSTM_DECLARE_TRAIN_VARIANT (avx512)

G_END_DECLS
