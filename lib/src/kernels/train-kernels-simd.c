/* liblstm: the dense matrix loops of training, compiled once per variant
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built next to kernels-simd.c with the same flags: lstm_train_*_generic
 * (16-byte vectors), _avx2 (32 bytes), _fma (32 bytes, fused multiply-add)
 * and _avx512 (64 bytes). The loops of train-kernels.c, register-blocked:
 * the accumulators of a block of the output stay in registers while the
 * other operand streams past, instead of a load and a store of the output
 * per product.
 *
 * Summation order. Every output element receives its products one by one
 * in the order the plain loops of train-kernels.c give them (t rising for
 * the weight gradients, m rising for the other two), starting from its
 * previous value; the vector width only changes how many elements are
 * worked on at once. So the variants that multiply and add separately are
 * bitwise equal to those loops; "fma" rounds each product-and-sum once and
 * differs in the last bits.
 */
#include "config.h"

#include <string.h>

#include "train-kernels.h"

#ifndef LSTM_KERNEL_SUFFIX
#error "LSTM_KERNEL_SUFFIX must name the variant"
#endif

#define PASTE2(a, b) a ## b
#define PASTE(a, b) PASTE2 (a, b)
#define KERNEL(name) PASTE (name, LSTM_KERNEL_SUFFIX)

#if defined(LSTM_KERNEL_AVX512)
#define VW 16
#define NV 4                    /* vectors per row in a block */
#define GV 8                    /* vectors of a gemv accumulator */
#elif defined(LSTM_KERNEL_FMA) || defined(__AVX2__)
#define VW 8
#define NV 2
#define GV 8
#else
#define VW 4
#define NV 2
#define GV 4
#endif
#define RB 4                    /* rows of the output per block */

typedef float vf __attribute__ ((vector_size (VW * 4)));

#ifdef LSTM_KERNEL_FMA
#include <immintrin.h>
#define VMADD(acc, a, b) \
  ((vf) _mm256_fmadd_ps ((__m256) (a), (__m256) (b), (__m256) (acc)))
#define SMADD(acc, a, b) __builtin_fmaf ((a), (b), (acc))
#else
#define VMADD(acc, a, b) ((acc) + (a) * (b))
#define SMADD(acc, a, b) ((acc) + (a) * (b))
#endif

static inline vf
vload (const float *p)
{
  vf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
vstore (float *p, vf v)
{
  memcpy (p, &v, sizeof v);
}

/* a in every lane (a - 0 is a, signed zeros included; one broadcast) */
static inline vf
vsplat (float a)
{
  vf z = { 0 };
  return a - z;
}

/* c[m, n] += sum over t of a[t, m] * b[t, n], every row of b dense. */
void
KERNEL (lstm_train_gemm_tn_dense_) (float *c, gsize ldc, const float *a,
    gsize lda, const float *b, gsize ldb, gsize M, gsize N, gsize T)
{
  gsize m = 0, n, t, r, v;

  for (; m + RB <= M; m += RB) {
    n = 0;
    /* RB rows x NV vectors of c in registers, t streaming */
    for (; n + NV * VW <= N; n += NV * VW) {
      vf acc[RB][NV];
      for (r = 0; r < RB; r++)
        for (v = 0; v < NV; v++)
          acc[r][v] = vload (c + (m + r) * ldc + n + v * VW);
      for (t = 0; t < T; t++) {
        const float *at = a + t * lda + m, *bt = b + t * ldb + n;
        vf bv[NV];
        for (v = 0; v < NV; v++)
          bv[v] = vload (bt + v * VW);
        for (r = 0; r < RB; r++) {
          vf av = vsplat (at[r]);
          for (v = 0; v < NV; v++)
            acc[r][v] = VMADD (acc[r][v], av, bv[v]);
        }
      }
      for (r = 0; r < RB; r++)
        for (v = 0; v < NV; v++)
          vstore (c + (m + r) * ldc + n + v * VW, acc[r][v]);
    }
    for (; n + VW <= N; n += VW) {
      vf acc[RB];
      for (r = 0; r < RB; r++)
        acc[r] = vload (c + (m + r) * ldc + n);
      for (t = 0; t < T; t++) {
        vf bv = vload (b + t * ldb + n);
        for (r = 0; r < RB; r++)
          acc[r] = VMADD (acc[r], vsplat (a[t * lda + m + r]), bv);
      }
      for (r = 0; r < RB; r++)
        vstore (c + (m + r) * ldc + n, acc[r]);
    }
    for (; n < N; n++)
      for (r = 0; r < RB; r++) {
        float s = c[(m + r) * ldc + n];
        for (t = 0; t < T; t++)
          s = SMADD (s, a[t * lda + m + r], b[t * ldb + n]);
        c[(m + r) * ldc + n] = s;
      }
  }
  for (; m < M; m++) {
    for (n = 0; n + VW <= N; n += VW) {
      vf acc = vload (c + m * ldc + n);
      for (t = 0; t < T; t++)
        acc = VMADD (acc, vsplat (a[t * lda + m]), vload (b + t * ldb + n));
      vstore (c + m * ldc + n, acc);
    }
    for (; n < N; n++) {
      float s = c[m * ldc + n];
      for (t = 0; t < T; t++)
        s = SMADD (s, a[t * lda + m], b[t * ldb + n]);
      c[m * ldc + n] = s;
    }
  }
}

/* y[k] += sum over m of x[m] * w[m, k], rows with x[m] == 0 skipped. */
void
KERNEL (lstm_train_gemv_t_acc_) (float *y, const float *w, const float *x,
    gsize M, gsize K)
{
  gsize k = 0, m, v;

  for (; k + GV * VW <= K; k += GV * VW) {
    vf acc[GV];
    for (v = 0; v < GV; v++)
      acc[v] = vload (y + k + v * VW);
    for (m = 0; m < M; m++) {
      const float *wm = w + m * K + k;
      vf xv;
      if (x[m] == 0.0f)
        continue;
      xv = vsplat (x[m]);
      for (v = 0; v < GV; v++)
        acc[v] = VMADD (acc[v], xv, vload (wm + v * VW));
    }
    for (v = 0; v < GV; v++)
      vstore (y + k + v * VW, acc[v]);
  }
  for (; k + VW <= K; k += VW) {
    vf acc = vload (y + k);
    for (m = 0; m < M; m++)
      if (x[m] != 0.0f)
        acc = VMADD (acc, vsplat (x[m]), vload (w + m * K + k));
    vstore (y + k, acc);
  }
  for (; k < K; k++) {
    float s = y[k];
    for (m = 0; m < M; m++)
      if (x[m] != 0.0f)
        s = SMADD (s, x[m], w[m * K + k]);
    y[k] = s;
  }
}

/* c[t, k] += sum over m of a[t, m] * w[m, k]: one gemv per frame. */
void
KERNEL (lstm_train_gemm_nn_acc_) (float *c, gsize ldc, const float *a,
    gsize lda, const float *w, gsize M, gsize K, gsize T)
{
  gsize t;

  for (t = 0; t < T; t++)
    KERNEL (lstm_train_gemv_t_acc_) (c + t * ldc, w, a + t * lda, M, K);
}
