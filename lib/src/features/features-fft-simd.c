/* liblstm: the features' FFT on 8-float vectors, one source compiled once
 * per instruction set
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built as lstm_fft_run_generic (baseline), lstm_fft_run_avx2 (-mavx2)
 * and lstm_fft_run_avx512 (-mavx512f/vl/dq); products and sums are never
 * fused (-ffp-contract=off), so the three give the same bits.
 *
 * The four-step form of the complex FFT of m = 8 n1 points (features-fft.c
 * plans it): with z[8 n1 + n2] read as row n1, lane n2,
 *   1. n1-point FFTs down the rows, all 8 lanes at once (the Stockham
 *      stages of features-fft-stages.h on vectors): Y[k1][n2];
 *   2. Y[k1][n2] *= W_m^(n2 k1);
 *   3. Z[k1 + n1 k2] = sum over n2 of Y[k1][n2] W_8^(n2 k2): rows taken 8
 *      at a time and transposed, so that the 8-point DFTs run down vectors
 *      too and each result vector lands on 8 consecutive bins;
 * then the real split of the n = 2 m point spectrum, 8 bins at a time.
 */
#include "config.h"

#include <string.h>

#include "features-private.h"

#ifndef LSTM_KERNEL_SUFFIX
#error "LSTM_KERNEL_SUFFIX must name the variant"
#endif

#define KPASTE2(a, b) a ## b
#define KPASTE(a, b) KPASTE2 (a, b)
#define KERNEL(name) KPASTE (name, LSTM_KERNEL_SUFFIX)

typedef float v8sf __attribute__ ((vector_size (32)));
typedef int v8si __attribute__ ((vector_size (32)));

#ifdef __clang__
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shufflevector (a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shuffle (a, b, (v8si) { i0, i1, i2, i3, i4, i5, i6, i7 })
#endif

#define FFT_T v8sf
#define FFT_SUFFIX vec
#include "features-fft-stages.h"

static inline v8sf
load8 (const float *p)
{
  v8sf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
store8 (float *p, v8sf v)
{
  memcpy (p, &v, sizeof v);
}

static inline v8sf
splat8 (float x)
{
  return (v8sf) { x, x, x, x, x, x, x, x };
}

/* An 8-point DFT down t[0..7] (t[n2]), results in u[k2]: two 4-point DFTs
 * (even and odd n2) and a radix-2 combination. One element type at a
 * time, the same operations for each. */
#define DEFINE_DFT8(T, SUFFIX, SPLAT) \
static inline void \
dft8_ ## SUFFIX (const T *tr, const T *ti, T *ur, T *ui) \
{ \
  const T c = SPLAT ((float) 0.70710678118654752440); \
  T er[4], ei[4], or_[4], oi[4]; \
  guint h; \
  for (h = 0; h < 2; h++) { \
    const T *ar = tr + h, *ai = ti + h; \
    T *yr = h ? or_ : er, *yi = h ? oi : ei; \
    const T s0r = ar[0] + ar[4], s0i = ai[0] + ai[4]; \
    const T s1r = ar[0] - ar[4], s1i = ai[0] - ai[4]; \
    const T s2r = ar[2] + ar[6], s2i = ai[2] + ai[6]; \
    const T s3r = ar[2] - ar[6], s3i = ai[2] - ai[6]; \
    yr[0] = s0r + s2r; \
    yi[0] = s0i + s2i; \
    yr[1] = s1r + s3i; \
    yi[1] = s1i - s3r; \
    yr[2] = s0r - s2r; \
    yi[2] = s0i - s2i; \
    yr[3] = s1r - s3i; \
    yi[3] = s1i + s3r; \
  } \
  { \
    /* W_8^k o_k: W^1 = c (1 - i), W^2 = -i, W^3 = -c (1 + i) */ \
    const T w1r = (or_[1] + oi[1]) * c, w1i = (oi[1] - or_[1]) * c; \
    const T w2r = oi[2], w2i = -or_[2]; \
    const T w3r = (oi[3] - or_[3]) * c, w3i = -(or_[3] + oi[3]) * c; \
    ur[0] = er[0] + or_[0]; \
    ui[0] = ei[0] + oi[0]; \
    ur[4] = er[0] - or_[0]; \
    ui[4] = ei[0] - oi[0]; \
    ur[1] = er[1] + w1r; \
    ui[1] = ei[1] + w1i; \
    ur[5] = er[1] - w1r; \
    ui[5] = ei[1] - w1i; \
    ur[2] = er[2] + w2r; \
    ui[2] = ei[2] + w2i; \
    ur[6] = er[2] - w2r; \
    ui[6] = ei[2] - w2i; \
    ur[3] = er[3] + w3r; \
    ui[3] = ei[3] + w3i; \
    ur[7] = er[3] - w3r; \
    ui[7] = ei[3] - w3i; \
  } \
}

#define SPLAT_ONE(x) (x)
DEFINE_DFT8 (v8sf, vec, splat8)
DEFINE_DFT8 (float, one, SPLAT_ONE)

/* Transposes the 8 x 8 block r[0..7] (rows) in place. */
static inline void
transpose8 (v8sf *r)
{
  v8sf a[8], b[8];
  guint i;

  for (i = 0; i < 8; i += 2) {
    a[i] = SHUF8 (r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    a[i + 1] = SHUF8 (r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (i = 0; i < 8; i += 4) {
    b[i] = SHUF8 (a[i], a[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    b[i + 1] = SHUF8 (a[i], a[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    b[i + 2] = SHUF8 (a[i + 1], a[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    b[i + 3] = SHUF8 (a[i + 1], a[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (i = 0; i < 4; i++) {
    r[i] = SHUF8 (b[i], b[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = SHUF8 (b[i], b[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

static inline v8sf
reverse8 (v8sf v)
{
  return SHUF8 (v, v, 7, 6, 5, 4, 3, 2, 1, 0);
}

void
KERNEL (lstm_fft_run_) (const LstmFftPlan *plan, const float *in,
    float *re, float *im)
{
  const guint n1 = plan->n1, m = plan->m;
  v8sf *xr = (v8sf *) plan->work, *xi = xr + n1, *yr = xi + n1,
      *yi = yr + n1;
  float *zr = plan->zr, *zi = plan->zi;
  guint j, k;

  /* rows: z[8 j + l] = x[16 j + 2 l] + i x[16 j + 2 l + 1] */
  for (j = 0; j < n1; j++) {
    const v8sf a = load8 (in + 16 * j), b = load8 (in + 16 * j + 8);
    xr[j] = SHUF8 (a, b, 0, 2, 4, 6, 8, 10, 12, 14);
    xi[j] = SHUF8 (a, b, 1, 3, 5, 7, 9, 11, 13, 15);
  }
  if (fft_stages_vec (plan, xr, xi, yr, yi)) {
    xr = yr;
    xi = yi;
  }
  for (j = 1; j < n1; j++) {
    const v8sf wr = load8 (plan->row_twr + 8 * j);
    const v8sf wi = load8 (plan->row_twi + 8 * j);
    FFT_CMUL (xr[j], xi[j], xr[j], xi[j], wr, wi);
  }
  for (j = 0; j + 8 <= n1; j += 8) {
    v8sf ur[8], ui[8];
    transpose8 (xr + j);
    transpose8 (xi + j);
    dft8_vec (xr + j, xi + j, ur, ui);
    for (k = 0; k < 8; k++) {
      store8 (zr + j + (gsize) n1 * k, ur[k]);
      store8 (zi + j + (gsize) n1 * k, ui[k]);
    }
  }
  for (; j < n1; j++) {
    float tr[8], ti[8], ur[8], ui[8];
    memcpy (tr, &xr[j], sizeof tr);
    memcpy (ti, &xi[j], sizeof ti);
    dft8_one (tr, ti, ur, ui);
    for (k = 0; k < 8; k++) {
      zr[j + n1 * k] = ur[k];
      zi[j + n1 * k] = ui[k];
    }
  }
  zr[m] = zr[0];
  zi[m] = zi[0];

  /* the split (features-fft.c's split_scalar, 8 bins at a time):
   * A = Z[k], B = conj Z[m - k] */
  {
    const v8sf half = splat8 (0.5f);
    for (k = 0; k + 8 <= m + 1; k += 8) {
      const v8sf ar = load8 (zr + k), ai = load8 (zi + k);
      const v8sf br = reverse8 (load8 (zr + m - k - 7));
      const v8sf bi = -reverse8 (load8 (zi + m - k - 7));
      const v8sf er = (ar + br) * half, ei = (ai + bi) * half;
      const v8sf dr = ar - br, di = ai - bi;
      const v8sf wr = load8 (plan->split_twr + k);
      const v8sf wi = load8 (plan->split_twi + k);
      store8 (re + k, er + (dr * wr - di * wi));
      store8 (im + k, ei + (dr * wi + di * wr));
    }
    for (; k <= m; k++) {
      const float ar = zr[k], ai = zi[k], br = zr[m - k], bi = -zi[m - k];
      const float er = (ar + br) * 0.5f, ei = (ai + bi) * 0.5f;
      const float dr = ar - br, di = ai - bi;
      const float wr = plan->split_twr[k], wi = plan->split_twi[k];
      re[k] = er + (dr * wr - di * wi);
      im[k] = ei + (dr * wi + di * wr);
    }
  }
}
