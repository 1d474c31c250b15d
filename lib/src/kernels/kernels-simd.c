/* liblstm: vector kernels, one source compiled once per instruction set
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built as lstm_matmul_generic (baseline x86-64 / any CPU), lstm_matmul_avx2
 * (-mavx2) and lstm_matmul_fma (-mavx2 -mfma, LSTM_KERNEL_FMA). GCC vector
 * extensions keep the eight canonical lanes of kernels.h explicit, so the
 * non-fused builds are bitwise equal to lstm_matmul_ref.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kernels.h"

#ifndef LSTM_KERNEL_SUFFIX
#error "LSTM_KERNEL_SUFFIX must name the variant"
#endif

#define PASTE2(a, b) a ## b
#define PASTE(a, b) PASTE2 (a, b)
#define KERNEL(name) PASTE (name, LSTM_KERNEL_SUFFIX)

typedef float v8sf __attribute__ ((vector_size (32)));

#ifdef LSTM_KERNEL_FMA
#include <immintrin.h>
#define VMADD(acc, a, b) \
  ((v8sf) _mm256_fmadd_ps ((__m256) (a), (__m256) (b), (__m256) (acc)))
#define SMADD(acc, a, b) fmaf ((a), (b), (acc))
#else
#define VMADD(acc, a, b) ((acc) + (a) * (b))
#define SMADD(acc, a, b) ((acc) + (a) * (b))
#endif

static inline v8sf
load8 (const float *p)
{
  v8sf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline float
reduce8 (v8sf s)
{
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* Four frames against one weight row: the row is loaded once per block. */
static inline void
dot_row_4 (const float *w, const float *x, gsize ldx, gsize k, float *r)
{
  v8sf s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
  gsize blocks = k / 8, i, q;

  for (i = 0; i < blocks * 8; i += 8) {
    v8sf wv = load8 (w + i);
    s0 = VMADD (s0, wv, load8 (x + i));
    s1 = VMADD (s1, wv, load8 (x + ldx + i));
    s2 = VMADD (s2, wv, load8 (x + 2 * ldx + i));
    s3 = VMADD (s3, wv, load8 (x + 3 * ldx + i));
  }
  r[0] = reduce8 (s0);
  r[1] = reduce8 (s1);
  r[2] = reduce8 (s2);
  r[3] = reduce8 (s3);
  for (q = 0; q < 4; q++)
    for (i = blocks * 8; i < k; i++)
      r[q] = SMADD (r[q], w[i], x[q * ldx + i]);
}

static inline float
dot_row_1 (const float *w, const float *x, gsize k)
{
  v8sf s0 = { 0 };
  gsize blocks = k / 8, i;
  float r;

  for (i = 0; i < blocks * 8; i += 8)
    s0 = VMADD (s0, load8 (w + i), load8 (x + i));
  r = reduce8 (s0);
  for (i = blocks * 8; i < k; i++)
    r = SMADD (r, w[i], x[i]);
  return r;
}

void
KERNEL (lstm_matmul_) (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames)
{
  gsize t = 0, j, q;

  for (; t + 4 <= n_frames; t += 4) {
    for (j = 0; j < n_out; j++) {
      float r[4];
      dot_row_4 (w + j * k, x + t * ldx, ldx, k, r);
      for (q = 0; q < 4; q++)
        y[(t + q) * ldy + j] = b ? r[q] + b[j] : r[q];
    }
  }
  for (; t < n_frames; t++)
    for (j = 0; j < n_out; j++) {
      float r = dot_row_1 (w + j * k, x + t * ldx, k);
      y[t * ldy + j] = b ? r + b[j] : r;
    }
}
