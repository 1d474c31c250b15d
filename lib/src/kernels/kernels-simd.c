/* liblstm: vector kernels, one source compiled once per instruction set
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built as lstm_*_generic (baseline x86-64 / any CPU), lstm_*_avx2
 * (-mavx2), lstm_*_fma (-mavx2 -mfma, LSTM_KERNEL_FMA) and lstm_*_avx512
 * (-mavx512f/vl/dq, LSTM_KERNEL_AVX512: two rows per 512-bit register,
 * products and sums still separate). GCC vector extensions keep the eight
 * canonical lanes of kernels.h explicit, so the non-fused builds' products
 * are bitwise equal to lstm_matmul_ref. LSTM_KERNEL_VECACT (the x86 builds)
 * replaces libm's expf/tanhf in the recurrent gates by vector polynomials.
 * The gate arithmetic is never fused (-ffp-contract=off).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#ifndef LSTM_KERNEL_SUFFIX
#error "LSTM_KERNEL_SUFFIX must name the variant"
#endif

#define PASTE2(a, b) a ## b
#define PASTE(a, b) PASTE2 (a, b)
#define KERNEL(name) PASTE (name, LSTM_KERNEL_SUFFIX)

typedef float v8sf __attribute__ ((vector_size (32)));

#if defined(LSTM_KERNEL_FMA) || defined(LSTM_KERNEL_AVX512)
#include <immintrin.h>
#endif

#ifdef LSTM_KERNEL_FMA
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

/* ---- packed weights (layout in kernels.h) ---- */

typedef int v8si __attribute__ ((vector_size (32)));

static inline v8sf
splat8 (float v)
{
  v8sf r = { v, v, v, v, v, v, v, v };
  return r;
}

static inline void
store8 (float *p, v8sf v)
{
  memcpy (p, &v, sizeof v);
}

/* The last two levels of the canonical reduction of eight rows, from the
 * first level's pairs: p01 = [a(0), a(1)], a(p) = s(p)[l] + s(p)[l + 4]
 * for l = 0..3, and so on. Returns the rows' results in the order
 * 0, 2, 4, 6, 1, 3, 5, 7 of the positions (LSTM_PACK_ROW undoes it). */
/* Two-vector shuffles with constant masks: GCC's __builtin_shuffle, or
 * clang's __builtin_shufflevector (the fuzzing build uses clang). */
#ifdef __clang__
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shufflevector (a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define SHUF8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shuffle (a, b, (v8si) { i0, i1, i2, i3, i4, i5, i6, i7 })
#endif

static inline v8sf
reduce_pairs (v8sf p01, v8sf p23, v8sf p45, v8sf p67)
{
  /* b0 = (s0 + s4) + (s2 + s6), b1 = (s1 + s5) + (s3 + s7) */
  v8sf q1 = SHUF8 (p01, p23, 0, 1, 8, 9, 4, 5, 12, 13) +
      SHUF8 (p01, p23, 2, 3, 10, 11, 6, 7, 14, 15);
  v8sf q2 = SHUF8 (p45, p67, 0, 1, 8, 9, 4, 5, 12, 13) +
      SHUF8 (p45, p67, 2, 3, 10, 11, 6, 7, 14, 15);
  /* r = b0 + b1 */
  return SHUF8 (q1, q2, 0, 2, 8, 10, 4, 6, 12, 14) +
      SHUF8 (q1, q2, 1, 3, 9, 11, 5, 7, 13, 15);
}

static inline v8sf
pair_level1 (v8sf a, v8sf b)
{
  return SHUF8 (a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
      SHUF8 (a, b, 4, 5, 6, 7, 12, 13, 14, 15);
}

/* The k % 8 trailing columns, added one by one, then nothing else. */
static inline v8sf
group_tail (v8sf r, const float *tail, const float *x, gsize ntail)
{
  gsize t;
  for (t = 0; t < ntail; t++)
    r = VMADD (r, load8 (tail + 8 * t), splat8 (x[t]));
  return r;
}

/* Eight rows' dot products with x: one group of a packed matrix. */
static inline v8sf
group_dot (const float *gw, const float *x, gsize nb, gsize ntail)
{
  v8sf a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  v8sf a4 = { 0 }, a5 = { 0 }, a6 = { 0 }, a7 = { 0 };
  gsize b;

  for (b = 0; b < nb; b++) {
    const float *wb = gw + b * 64;
    v8sf xv = load8 (x + 8 * b);
    a0 = VMADD (a0, load8 (wb), xv);
    a1 = VMADD (a1, load8 (wb + 8), xv);
    a2 = VMADD (a2, load8 (wb + 16), xv);
    a3 = VMADD (a3, load8 (wb + 24), xv);
    a4 = VMADD (a4, load8 (wb + 32), xv);
    a5 = VMADD (a5, load8 (wb + 40), xv);
    a6 = VMADD (a6, load8 (wb + 48), xv);
    a7 = VMADD (a7, load8 (wb + 56), xv);
  }
  return group_tail (reduce_pairs (pair_level1 (a0, a1), pair_level1 (a2,
              a3), pair_level1 (a4, a5), pair_level1 (a6, a7)),
      gw + nb * 64, x + 8 * nb, ntail);
}

#ifdef LSTM_KERNEL_AVX512
/* GCC 12's AVX-512 intrinsics read an uninitialised "undefined" vector on
 * purpose (_mm512_undefined_ps), which -Wuninitialized reports. */
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/* Two rows per 512-bit register: z[m] holds positions 2m and 2m + 1. */
#define ZMADD(acc, a, b) \
  _mm512_add_ps ((acc), _mm512_mul_ps ((a), (b)))

static inline v8sf
reduce_512 (__m512 z0, __m512 z1, __m512 z2, __m512 z3)
{
  /* first level: low + high 128 bits of each row's 256 */
  __m512 v0 = _mm512_add_ps (_mm512_shuffle_f32x4 (z0, z1,
          _MM_SHUFFLE (2, 0, 2, 0)), _mm512_shuffle_f32x4 (z0, z1,
          _MM_SHUFFLE (3, 1, 3, 1)));
  __m512 v1 = _mm512_add_ps (_mm512_shuffle_f32x4 (z2, z3,
          _MM_SHUFFLE (2, 0, 2, 0)), _mm512_shuffle_f32x4 (z2, z3,
          _MM_SHUFFLE (3, 1, 3, 1)));
  return reduce_pairs ((v8sf) _mm512_castps512_ps256 (v0),
      (v8sf) _mm512_extractf32x8_ps (v0, 1),
      (v8sf) _mm512_castps512_ps256 (v1),
      (v8sf) _mm512_extractf32x8_ps (v1, 1));
}

/* Two groups at once: eight independent accumulators. */
static inline void
group_dot2 (const float *ga, const float *gb, const float *x, gsize nb,
    gsize ntail, v8sf *ra, v8sf *rb)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  gsize b;

  for (b = 0; b < nb; b++) {
    const float *wa = ga + b * 64, *wb = gb + b * 64;
    __m512 xv = _mm512_broadcast_f32x8 (_mm256_loadu_ps (x + 8 * b));
    a0 = ZMADD (a0, _mm512_loadu_ps (wa), xv);
    a1 = ZMADD (a1, _mm512_loadu_ps (wa + 16), xv);
    a2 = ZMADD (a2, _mm512_loadu_ps (wa + 32), xv);
    a3 = ZMADD (a3, _mm512_loadu_ps (wa + 48), xv);
    b0 = ZMADD (b0, _mm512_loadu_ps (wb), xv);
    b1 = ZMADD (b1, _mm512_loadu_ps (wb + 16), xv);
    b2 = ZMADD (b2, _mm512_loadu_ps (wb + 32), xv);
    b3 = ZMADD (b3, _mm512_loadu_ps (wb + 48), xv);
  }
  *ra = group_tail (reduce_512 (a0, a1, a2, a3), ga + nb * 64, x + 8 * nb,
      ntail);
  *rb = group_tail (reduce_512 (b0, b1, b2, b3), gb + nb * 64, x + 8 * nb,
      ntail);
}
#else
static inline void
group_dot2 (const float *ga, const float *gb, const float *x, gsize nb,
    gsize ntail, v8sf *ra, v8sf *rb)
{
  *ra = group_dot (ga, x, nb, ntail);
  *rb = group_dot (gb, x, nb, ntail);
}
#endif

/* Stores the n <= 8 first lanes of r (+ bias) at y. */
static inline void
store_rows (float *y, v8sf r, const float *b, gsize n)
{
  gsize q;

  if (n == 8) {
    if (b)
      r = r + load8 (b);
    store8 (y, r);
    return;
  }
  for (q = 0; q < n; q++)
    y[q] = b ? r[q] + b[q] : r[q];
}

void
KERNEL (lstm_matmul_packed_) (const LstmPackedMatrix *w, const float *b,
    const float *x, gsize ldx, float *y, gsize ldy, gsize n_frames)
{
  gsize groups = (w->n_out + 7) / 8, nb = w->k / 8, ntail = w->k % 8;
  gsize g = 0, t;

  /* group by group, every frame: the group's weights stay in L1 */
#ifdef LSTM_KERNEL_AVX512
  for (; g + 2 <= groups; g += 2) {
    const float *ga = w->data + g * w->group_stride;
    gsize na = MIN (8, w->n_out - 8 * g), nb2 = MIN (8, w->n_out - 8 * g - 8);
    for (t = 0; t < n_frames; t++) {
      v8sf ra, rb;
      group_dot2 (ga, ga + w->group_stride, x + t * ldx, nb, ntail, &ra, &rb);
      store_rows (y + t * ldy + 8 * g, ra, b ? b + 8 * g : NULL, na);
      store_rows (y + t * ldy + 8 * g + 8, rb, b ? b + 8 * g + 8 : NULL, nb2);
    }
  }
#endif
  for (; g < groups; g++) {
    const float *gw = w->data + g * w->group_stride;
    gsize n = MIN (8, w->n_out - 8 * g);
    for (t = 0; t < n_frames; t++)
      store_rows (y + t * ldy + 8 * g, group_dot (gw, x + t * ldx, nb, ntail),
          b ? b + 8 * g : NULL, n);
  }
}

/* ---- activations ---- */

#ifdef LSTM_KERNEL_VECACT
static inline v8sf
vsel (v8si m, v8sf a, v8sf b)
{
  return (v8sf) ((m & (v8si) a) | (~m & (v8si) b));
}

/* Cephes' expf: exp(x) = 2^n exp(r), |r| <= ln2 / 2, a degree-5
 * polynomial; inputs clamped to +-88.376 (no infinities, tiny results
 * flush to 0). */
static inline v8sf
vexp (v8sf x)
{
  const v8sf hi = splat8 (88.3762626647949f), lo = splat8 (-88.3762626647949f);
  v8sf fx, tf, r, z, y;
  v8si n;

  x = vsel (x > hi, hi, x);
  x = vsel (x < lo, lo, x);
  fx = x * splat8 (1.44269504088896341f) + splat8 (0.5f);
  n = __builtin_convertvector (fx, v8si);      /* toward zero */
  tf = __builtin_convertvector (n, v8sf);
  n = n + (tf > fx);                            /* floor: -1 where above */
  tf = __builtin_convertvector (n, v8sf);
  r = x - tf * splat8 (0.693359375f);
  r = r - tf * splat8 (-2.12194440e-4f);
  z = r * r;
  y = splat8 (1.9875691500E-4f);
  y = y * r + splat8 (1.3981999507E-3f);
  y = y * r + splat8 (8.3334519073E-3f);
  y = y * r + splat8 (4.1665795894E-2f);
  y = y * r + splat8 (1.6666665459E-1f);
  y = y * r + splat8 (5.0000001201E-1f);
  y = y * z + r + splat8 (1.0f);
  return y * (v8sf) ((n + 127) << 23);
}

static inline v8sf
vsigmoid (v8sf x)
{
  return splat8 (1.0f) / (splat8 (1.0f) + vexp (-x));
}

/* Cephes' tanhf: an odd polynomial below 0.625, 1 - 2 / (exp(2|x|) + 1)
 * above, with x's sign. */
static inline v8sf
vtanh (v8sf x)
{
  const v8si sign = { INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN,
    INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN };
  v8sf ax = (v8sf) ((v8si) x & ~sign), z = x * x, ps, pl;

  ps = splat8 (-5.70498872745E-3f);
  ps = ps * z + splat8 (2.06390887954E-2f);
  ps = ps * z - splat8 (5.37397155531E-2f);
  ps = ps * z + splat8 (1.33314422036E-1f);
  ps = ps * z - splat8 (3.33332819422E-1f);
  ps = ps * z * x + x;
  pl = splat8 (1.0f) - splat8 (2.0f) / (vexp (ax + ax) + splat8 (1.0f));
  pl = (v8sf) ((v8si) pl | ((v8si) x & sign));
  return vsel (ax < splat8 (0.625f), ps, pl);
}
#else
static inline v8sf
vsigmoid (v8sf x)
{
  gsize q;
  for (q = 0; q < 8; q++)
    x[q] = lstm_sigmoidf (x[q]);
  return x;
}

static inline v8sf
vtanh (v8sf x)
{
  gsize q;
  for (q = 0; q < 8; q++)
    x[q] = tanhf (x[q]);
  return x;
}
#endif

static inline void
apply8 (float *y, gsize n, v8sf (*f) (v8sf))
{
  gsize i;

  for (i = 0; i + 8 <= n; i += 8)
    store8 (y + i, f (load8 (y + i)));
  if (i < n) {
    float tmp[8] = { 0 };
    memcpy (tmp, y + i, (n - i) * sizeof (float));
    store8 (tmp, f (load8 (tmp)));
    memcpy (y + i, tmp, (n - i) * sizeof (float));
  }
}

void
KERNEL (lstm_sigmoid_) (float *y, gsize n)
{
  apply8 (y, n, vsigmoid);
}

void
KERNEL (lstm_tanh_) (float *y, gsize n)
{
  apply8 (y, n, vtanh);
}

/* ---- the fused LSTM step ---- */

void
KERNEL (lstm_lstm_step_) (const LstmPackedMatrix *w_hh, const float *b_hh,
    const float *peep, const float *h, float *c, float *h_out, float *gates,
    guint H)
{
  gsize nb = w_hh->k / 8, ntail = w_hh->k % 8, S = w_hh->group_stride, j;
  const float *W = w_hh->data;

  for (j = 0; j < H; j += 8) {
    /* the four gates' rows j..j+7: groups (q H + j) / 8 */
    v8sf hi, hf, hg, ho, ai, af, ag, ao, i_, f_, g_, o_, c0, c_;
    group_dot2 (W + (0 + j) / 8 * S,
        W + ((gsize) H + j) / 8 * S, h, nb, ntail, &hi, &hf);
    group_dot2 (W + (2 * (gsize) H + j) / 8 * S,
        W + (3 * (gsize) H + j) / 8 * S, h, nb, ntail, &hg, &ho);
    if (b_hh) {
      hi = hi + load8 (b_hh + j);
      hf = hf + load8 (b_hh + H + j);
      hg = hg + load8 (b_hh + 2 * H + j);
      ho = ho + load8 (b_hh + 3 * H + j);
    }
    ai = load8 (gates + j) + hi;
    af = load8 (gates + H + j) + hf;
    ag = load8 (gates + 2 * H + j) + hg;
    ao = load8 (gates + 3 * H + j) + ho;
    c0 = load8 (c + j);
    if (peep) {
      ai = ai + load8 (peep + j) * c0;
      af = af + load8 (peep + H + j) * c0;
    }
    i_ = vsigmoid (ai);
    f_ = vsigmoid (af);
    g_ = vtanh (ag);
    c_ = f_ * c0 + i_ * g_;
    if (peep)
      ao = ao + load8 (peep + 2 * H + j) * c_;
    o_ = vsigmoid (ao);
    store8 (c + j, c_);
    store8 (h_out + j, o_ * vtanh (c_));
    store8 (gates + j, i_);
    store8 (gates + H + j, f_);
    store8 (gates + 2 * H + j, g_);
    store8 (gates + 3 * H + j, o_);
  }
}

/* ---- batched steps (many streams' rows; see LstmBatchKernels) ---- */

/* k->lstm_step's arithmetic after its recurrent product, for one stream
 * whose products are given: gx = W_ih x + b_ih, gh = W_hh h + b_hh (4H
 * each), H % 8 == 0. c: (H) in/out; h_out: h(t) (H). Bitwise what
 * lstm_step computes from the same products. */
void
KERNEL (lstm_lstm_gates_) (const float *gx, const float *gh,
    const float *peep, float *c, float *h_out, guint H)
{
  gsize j;

  for (j = 0; j < H; j += 8) {
    v8sf ai, af, ag, ao, i_, f_, g_, o_, c0, c_;
    ai = load8 (gx + j) + load8 (gh + j);
    af = load8 (gx + H + j) + load8 (gh + H + j);
    ag = load8 (gx + 2 * H + j) + load8 (gh + 2 * H + j);
    ao = load8 (gx + 3 * H + j) + load8 (gh + 3 * H + j);
    c0 = load8 (c + j);
    if (peep) {
      ai = ai + load8 (peep + j) * c0;
      af = af + load8 (peep + H + j) * c0;
    }
    i_ = vsigmoid (ai);
    f_ = vsigmoid (af);
    g_ = vtanh (ag);
    c_ = f_ * c0 + i_ * g_;
    if (peep)
      ao = ao + load8 (peep + 2 * H + j) * c_;
    o_ = vsigmoid (ao);
    store8 (c + j, c_);
    store8 (h_out + j, o_ * vtanh (c_));
  }
}

#ifdef LSTM_KERNEL_AVX512
/* group_dot2 for two frames at once: each weight vector loaded once for
 * both; every accumulator sees the very operations group_dot2 gives it. */
static inline void
group_dot2x2 (const float *ga, const float *gb, const float *x0,
    const float *x1, gsize nb, gsize ntail, v8sf *ra0, v8sf *rb0, v8sf *ra1,
    v8sf *rb1)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  __m512 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
  __m512 d0 = a0, d1 = a0, d2 = a0, d3 = a0;
  gsize b;

  for (b = 0; b < nb; b++) {
    const float *wa = ga + b * 64, *wb = gb + b * 64;
    __m512 xv = _mm512_broadcast_f32x8 (_mm256_loadu_ps (x0 + 8 * b));
    __m512 yv = _mm512_broadcast_f32x8 (_mm256_loadu_ps (x1 + 8 * b));
    __m512 w0 = _mm512_loadu_ps (wa), w1 = _mm512_loadu_ps (wa + 16);
    __m512 w2 = _mm512_loadu_ps (wa + 32), w3 = _mm512_loadu_ps (wa + 48);
    __m512 v0 = _mm512_loadu_ps (wb), v1 = _mm512_loadu_ps (wb + 16);
    __m512 v2 = _mm512_loadu_ps (wb + 32), v3 = _mm512_loadu_ps (wb + 48);
    a0 = ZMADD (a0, w0, xv);
    a1 = ZMADD (a1, w1, xv);
    a2 = ZMADD (a2, w2, xv);
    a3 = ZMADD (a3, w3, xv);
    b0 = ZMADD (b0, v0, xv);
    b1 = ZMADD (b1, v1, xv);
    b2 = ZMADD (b2, v2, xv);
    b3 = ZMADD (b3, v3, xv);
    c0 = ZMADD (c0, w0, yv);
    c1 = ZMADD (c1, w1, yv);
    c2 = ZMADD (c2, w2, yv);
    c3 = ZMADD (c3, w3, yv);
    d0 = ZMADD (d0, v0, yv);
    d1 = ZMADD (d1, v1, yv);
    d2 = ZMADD (d2, v2, yv);
    d3 = ZMADD (d3, v3, yv);
  }
  *ra0 = group_tail (reduce_512 (a0, a1, a2, a3), ga + nb * 64, x0 + 8 * nb,
      ntail);
  *rb0 = group_tail (reduce_512 (b0, b1, b2, b3), gb + nb * 64, x0 + 8 * nb,
      ntail);
  *ra1 = group_tail (reduce_512 (c0, c1, c2, c3), ga + nb * 64, x1 + 8 * nb,
      ntail);
  *rb1 = group_tail (reduce_512 (d0, d1, d2, d3), gb + nb * 64, x1 + 8 * nb,
      ntail);
}
#endif

/* matmul_packed for many rows of x (a batch's streams or a chunk's
 * frames): bitwise matmul_packed's results. The AVX-512 build computes
 * two rows per pass over a pair of groups (each weight load serves both);
 * the others are matmul_packed itself. */
void
KERNEL (lstm_matmul_packed_multi_) (const LstmPackedMatrix *w,
    const float *b, const float *x, gsize ldx, float *y, gsize ldy,
    gsize n_frames)
{
#ifdef LSTM_KERNEL_AVX512
  gsize groups = (w->n_out + 7) / 8, nb = w->k / 8, ntail = w->k % 8;
  gsize g = 0, t;

  for (; g + 2 <= groups; g += 2) {
    const float *ga = w->data + g * w->group_stride;
    gsize na = MIN (8, w->n_out - 8 * g), nb2 = MIN (8, w->n_out - 8 * g - 8);
    const float *ba = b ? b + 8 * g : NULL, *bb = b ? b + 8 * g + 8 : NULL;

    for (t = 0; t + 2 <= n_frames; t += 2) {
      v8sf ra0, rb0, ra1, rb1;
      float *y0 = y + t * ldy + 8 * g, *y1 = y0 + ldy;
      group_dot2x2 (ga, ga + w->group_stride, x + t * ldx, x + (t + 1) * ldx,
          nb, ntail, &ra0, &rb0, &ra1, &rb1);
      store_rows (y0, ra0, ba, na);
      store_rows (y0 + 8, rb0, bb, nb2);
      store_rows (y1, ra1, ba, na);
      store_rows (y1 + 8, rb1, bb, nb2);
    }
    for (; t < n_frames; t++) {
      v8sf ra, rb;
      group_dot2 (ga, ga + w->group_stride, x + t * ldx, nb, ntail, &ra, &rb);
      store_rows (y + t * ldy + 8 * g, ra, ba, na);
      store_rows (y + t * ldy + 8 * g + 8, rb, bb, nb2);
    }
  }
  for (; g < groups; g++) {
    const float *gw = w->data + g * w->group_stride;
    gsize n = MIN (8, w->n_out - 8 * g);
    for (t = 0; t < n_frames; t++)
      store_rows (y + t * ldy + 8 * g, group_dot (gw, x + t * ldx, nb, ntail),
          b ? b + 8 * g : NULL, n);
  }
#else
  KERNEL (lstm_matmul_packed_) (w, b, x, ldx, y, ldy, n_frames);
#endif
}

#include "kernels-simd-bf16.h"
