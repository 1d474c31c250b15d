/* liblstm: bf16-weight kernels, included at the end of kernels-simd.c
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The packed layout of kernels.h with bf16 elements (LstmPackedMatrix.bf16)
 * and fp32 accumulation. Two ways of computing:
 *
 * - widening (every build but LSTM_KERNEL_DPBF16): each bf16 weight is
 *   widened to the float it stands for (exact) and the fp32 kernels'
 *   arithmetic follows unchanged, in the canonical order: the results are
 *   bitwise those of the fp32 variant run on the bf16-rounded weights.
 * - LSTM_KERNEL_DPBF16 (-mavx512bf16): the inputs x are rounded to bf16 too
 *   (vcvtneps2bf16, round to nearest even) and vdpbf16ps multiplies pairs of
 *   columns into fp32 lanes: per row, lane s (s = 0..3) holds the sum over
 *   blocks b rising of w[8b+2s] x[8b+2s] + w[8b+2s+1] x[8b+2s+1]; then
 *   r = (s0 + s1) + (s2 + s3), then the k % 8 trailing columns (fp32 x,
 *   widened weights) added one by one, then the bias. vdpbf16ps treats
 *   denormal bf16 values as zero.
 * Either way a frame's results do not depend on how many frames or which
 * other rows are computed in the same call (chunking invariance).
 */

typedef unsigned short v8hu __attribute__ ((vector_size (16)));

/* Eight bf16 values widened to floats (exact). */
static inline v8sf
load8_bf16 (const guint16 *p)
{
  v8hu h;
  memcpy (&h, p, sizeof h);
  return (v8sf) (__builtin_convertvector (h, v8si) << 16);
}

static inline v8sf
group_tail_bf16 (v8sf r, const guint16 *tail, const float *x, gsize ntail)
{
  gsize t;
  for (t = 0; t < ntail; t++)
    r = VMADD (r, load8_bf16 (tail + 8 * t), splat8 (x[t]));
  return r;
}

#if defined(LSTM_KERNEL_DPBF16)
/* vdpbf16ps: 4 rows x 8 columns per 512-bit load. */
static inline __m512
bcast_x_bf16 (const float *x)
{
  __m128bh xb = _mm256_cvtneps_pbh (_mm256_loadu_ps (x));
  return (__m512) _mm512_broadcast_i32x4 ((__m128i) xb);
}

/* The 8 row sums of one group from its two accumulators (positions 0..3
 * and 4..7, four column pairs each), in row order. */
static inline v8sf
reduce_dp (__m512 z0, __m512 z1)
{
  const __m512i ev = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16,
      14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i od = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17,
      15, 13, 11, 9, 7, 5, 3, 1);
  /* lane m of s: position m / 2, pair sum (s0 + s1) or (s2 + s3) */
  __m512 s = _mm512_add_ps (_mm512_permutex2var_ps (z0, ev, z1),
      _mm512_permutex2var_ps (z0, od, z1));
  /* positions in the order 0, 2, 4, 6, 1, 3, 5, 7 = rows 0..7 */
  const __m512i e2 = _mm512_set_epi32 (0, 0, 0, 0, 0, 0, 0, 0,
      14, 10, 6, 2, 12, 8, 4, 0);
  const __m512i o2 = _mm512_set_epi32 (0, 0, 0, 0, 0, 0, 0, 0,
      15, 11, 7, 3, 13, 9, 5, 1);
  __m512 r = _mm512_add_ps (_mm512_permutexvar_ps (e2, s),
      _mm512_permutexvar_ps (o2, s));
  return (v8sf) _mm512_castps512_ps256 (r);
}

#define DP(acc, w, xv) \
  _mm512_dpbf16_ps ((acc), (__m512bh) _mm512_loadu_si512 (w), (__m512bh) (xv))

/* Four groups' dot products with x (one x conversion per block). */
static inline void
group_dot4_bf16 (const guint16 *g0, const guint16 *g1, const guint16 *g2,
    const guint16 *g3, const float *x, gsize nb, gsize ntail, v8sf *r)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0, b0 = a0, b1 = a0;
  __m512 c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  gsize b;

  for (b = 0; b < nb; b++) {
    __m512 xv = bcast_x_bf16 (x + 8 * b);
    gsize o = b * 64;
    a0 = DP (a0, g0 + o, xv);
    a1 = DP (a1, g0 + o + 32, xv);
    b0 = DP (b0, g1 + o, xv);
    b1 = DP (b1, g1 + o + 32, xv);
    c0 = DP (c0, g2 + o, xv);
    c1 = DP (c1, g2 + o + 32, xv);
    d0 = DP (d0, g3 + o, xv);
    d1 = DP (d1, g3 + o + 32, xv);
  }
  r[0] = group_tail_bf16 (reduce_dp (a0, a1), g0 + nb * 64, x + 8 * nb, ntail);
  r[1] = group_tail_bf16 (reduce_dp (b0, b1), g1 + nb * 64, x + 8 * nb, ntail);
  r[2] = group_tail_bf16 (reduce_dp (c0, c1), g2 + nb * 64, x + 8 * nb, ntail);
  r[3] = group_tail_bf16 (reduce_dp (d0, d1), g3 + nb * 64, x + 8 * nb, ntail);
}

static inline v8sf
group_dot_bf16 (const guint16 *gw, const float *x, gsize nb, gsize ntail)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0;
  gsize b;

  for (b = 0; b < nb; b++) {
    __m512 xv = bcast_x_bf16 (x + 8 * b);
    a0 = DP (a0, gw + b * 64, xv);
    a1 = DP (a1, gw + b * 64 + 32, xv);
  }
  return group_tail_bf16 (reduce_dp (a0, a1), gw + nb * 64, x + 8 * nb, ntail);
}
#undef DP

#else /* widening */

static inline v8sf
group_dot_bf16 (const guint16 *gw, const float *x, gsize nb, gsize ntail)
{
  v8sf a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  v8sf a4 = { 0 }, a5 = { 0 }, a6 = { 0 }, a7 = { 0 };
  gsize b;

  for (b = 0; b < nb; b++) {
    const guint16 *wb = gw + b * 64;
    v8sf xv = load8 (x + 8 * b);
    a0 = VMADD (a0, load8_bf16 (wb), xv);
    a1 = VMADD (a1, load8_bf16 (wb + 8), xv);
    a2 = VMADD (a2, load8_bf16 (wb + 16), xv);
    a3 = VMADD (a3, load8_bf16 (wb + 24), xv);
    a4 = VMADD (a4, load8_bf16 (wb + 32), xv);
    a5 = VMADD (a5, load8_bf16 (wb + 40), xv);
    a6 = VMADD (a6, load8_bf16 (wb + 48), xv);
    a7 = VMADD (a7, load8_bf16 (wb + 56), xv);
  }
  return group_tail_bf16 (reduce_pairs (pair_level1 (a0, a1),
          pair_level1 (a2, a3), pair_level1 (a4, a5), pair_level1 (a6, a7)),
      gw + nb * 64, x + 8 * nb, ntail);
}

#ifdef LSTM_KERNEL_AVX512
/* 16 bf16 values (two rows' 8 columns) widened into one 512-bit register */
static inline __m512
load16_bf16 (const guint16 *p)
{
  __m256i h = _mm256_loadu_si256 ((const __m256i *) p);
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (h),
          16));
}

static inline void
group_dot2_bf16 (const guint16 *ga, const guint16 *gb, const float *x,
    gsize nb, gsize ntail, v8sf *ra, v8sf *rb)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  gsize b;

  for (b = 0; b < nb; b++) {
    const guint16 *wa = ga + b * 64, *wb = gb + b * 64;
    __m512 xv = _mm512_broadcast_f32x8 (_mm256_loadu_ps (x + 8 * b));
    a0 = ZMADD (a0, load16_bf16 (wa), xv);
    a1 = ZMADD (a1, load16_bf16 (wa + 16), xv);
    a2 = ZMADD (a2, load16_bf16 (wa + 32), xv);
    a3 = ZMADD (a3, load16_bf16 (wa + 48), xv);
    b0 = ZMADD (b0, load16_bf16 (wb), xv);
    b1 = ZMADD (b1, load16_bf16 (wb + 16), xv);
    b2 = ZMADD (b2, load16_bf16 (wb + 32), xv);
    b3 = ZMADD (b3, load16_bf16 (wb + 48), xv);
  }
  *ra = group_tail_bf16 (reduce_512 (a0, a1, a2, a3), ga + nb * 64,
      x + 8 * nb, ntail);
  *rb = group_tail_bf16 (reduce_512 (b0, b1, b2, b3), gb + nb * 64,
      x + 8 * nb, ntail);
}
#else
static inline void
group_dot2_bf16 (const guint16 *ga, const guint16 *gb, const float *x,
    gsize nb, gsize ntail, v8sf *ra, v8sf *rb)
{
  *ra = group_dot_bf16 (ga, x, nb, ntail);
  *rb = group_dot_bf16 (gb, x, nb, ntail);
}
#endif

static inline void
group_dot4_bf16 (const guint16 *g0, const guint16 *g1, const guint16 *g2,
    const guint16 *g3, const float *x, gsize nb, gsize ntail, v8sf *r)
{
  group_dot2_bf16 (g0, g1, x, nb, ntail, &r[0], &r[1]);
  group_dot2_bf16 (g2, g3, x, nb, ntail, &r[2], &r[3]);
}
#endif /* LSTM_KERNEL_DPBF16 */

void
KERNEL (lstm_matmul_packed_bf16_) (const LstmPackedMatrix *w, const float *b,
    const float *x, gsize ldx, float *y, gsize ldy, gsize n_frames)
{
  gsize groups = (w->n_out + 7) / 8, nb = w->k / 8, ntail = w->k % 8;
  gsize S = w->group_stride, g = 0, t, q;

  /* four groups at a time, every frame: their weights stay in L1 */
  for (; g + 4 <= groups; g += 4) {
    const guint16 *g0 = w->bf16 + g * S;
    for (t = 0; t < n_frames; t++) {
      v8sf r[4];
      group_dot4_bf16 (g0, g0 + S, g0 + 2 * S, g0 + 3 * S, x + t * ldx, nb,
          ntail, r);
      for (q = 0; q < 4; q++) {
        gsize row = 8 * (g + q);
        store_rows (y + t * ldy + row, r[q], b ? b + row : NULL,
            MIN (8, w->n_out - row));
      }
    }
  }
  for (; g < groups; g++) {
    const guint16 *gw = w->bf16 + g * S;
    gsize n = MIN (8, w->n_out - 8 * g);
    for (t = 0; t < n_frames; t++)
      store_rows (y + t * ldy + 8 * g, group_dot_bf16 (gw, x + t * ldx, nb,
              ntail), b ? b + 8 * g : NULL, n);
  }
}

void
KERNEL (lstm_lstm_step_bf16_) (const LstmPackedMatrix *w_hh,
    const float *b_hh, const float *peep, const float *h, float *c,
    float *h_out, float *gates, guint H)
{
  gsize nb = w_hh->k / 8, ntail = w_hh->k % 8, S = w_hh->group_stride, j;
  const guint16 *W = w_hh->bf16;

  for (j = 0; j < H; j += 8) {
    /* the four gates' rows j..j+7: groups (q H + j) / 8 */
    v8sf r[4], ai, af, ag, ao, i_, f_, g_, o_, c0, c_;
    group_dot4_bf16 (W + (0 + j) / 8 * S, W + ((gsize) H + j) / 8 * S,
        W + (2 * (gsize) H + j) / 8 * S, W + (3 * (gsize) H + j) / 8 * S, h,
        nb, ntail, r);
    if (b_hh) {
      r[0] = r[0] + load8 (b_hh + j);
      r[1] = r[1] + load8 (b_hh + H + j);
      r[2] = r[2] + load8 (b_hh + 2 * H + j);
      r[3] = r[3] + load8 (b_hh + 3 * H + j);
    }
    ai = load8 (gates + j) + r[0];
    af = load8 (gates + H + j) + r[1];
    ag = load8 (gates + 2 * H + j) + r[2];
    ao = load8 (gates + 3 * H + j) + r[3];
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
