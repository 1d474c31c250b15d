/* liblstm: the butterflies of the features' FFT, for one element type
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included with FFT_T (the element: float, or a vector of 8 floats whose
 * lanes are independent transforms) and FFT_SUFFIX (a name suffix). The
 * twiddle factors are scalars, shared by every lane.
 *
 * One stage of a Stockham autosort FFT, decimation in frequency (the
 * form of OTFFT): a sub-transform of length n at stride s, radix p,
 * m = n / p, reads x[r + s (q + k m)] for k = 0..p-1, takes their p-point
 * DFT b_j, and writes y[r + s (p q + j)] = b_j W_n^(j q). After the last
 * stage (n = p) the result is in natural order. Complex values are split
 * in real and imaginary arrays; each output is computed by the same
 * operations whatever the element type, so every lane of a vector gets
 * the bits the scalar code would give for the same stage sequence.
 */

#define FFT_PASTE2(a, b) a ## b
#define FFT_PASTE(a, b) FFT_PASTE2 (a, b)
#define FFT_FN(name) FFT_PASTE (name, FFT_SUFFIX)

/* (br + i bi) (wr + i wi) */
#define FFT_CMUL(yr, yi, br, bi, wr, wi) \
  do { \
    FFT_T cm_r_ = (br) * (wr) - (bi) * (wi); \
    FFT_T cm_i_ = (br) * (wi) + (bi) * (wr); \
    (yr) = cm_r_; \
    (yi) = cm_i_; \
  } while (0)

static inline void
FFT_FN (fft_stage2_) (const FFT_T *xr, const FFT_T *xi, FFT_T *yr,
    FFT_T *yi, guint n, guint s, const float *twr, const float *twi)
{
  const guint m = n / 2;
  guint q, r;

  for (q = 0; q < m; q++) {
    const float wr = twr[q], wi = twi[q];
    for (r = 0; r < s; r++) {
      const FFT_T a0r = xr[r + s * q], a0i = xi[r + s * q];
      const FFT_T a1r = xr[r + s * (q + m)], a1i = xi[r + s * (q + m)];
      const gsize o = r + (gsize) s * 2 * q;
      yr[o] = a0r + a1r;
      yi[o] = a0i + a1i;
      if (m == 1) {
        yr[o + s] = a0r - a1r;
        yi[o + s] = a0i - a1i;
      } else {
        FFT_CMUL (yr[o + s], yi[o + s], a0r - a1r, a0i - a1i, wr, wi);
      }
    }
  }
}

static inline void
FFT_FN (fft_stage4_) (const FFT_T *xr, const FFT_T *xi, FFT_T *yr,
    FFT_T *yi, guint n, guint s, const float *twr, const float *twi)
{
  const guint m = n / 4;
  guint q, r;

  for (q = 0; q < m; q++) {
    const float *wr = twr + 3 * q, *wi = twi + 3 * q;
    for (r = 0; r < s; r++) {
      const gsize i = r + (gsize) s * q, sm = (gsize) s * m;
      const gsize o = r + (gsize) s * 4 * q;
      const FFT_T s0r = xr[i] + xr[i + 2 * sm], s0i = xi[i] + xi[i + 2 * sm];
      const FFT_T s1r = xr[i] - xr[i + 2 * sm], s1i = xi[i] - xi[i + 2 * sm];
      const FFT_T s2r = xr[i + sm] + xr[i + 3 * sm];
      const FFT_T s2i = xi[i + sm] + xi[i + 3 * sm];
      const FFT_T s3r = xr[i + sm] - xr[i + 3 * sm];
      const FFT_T s3i = xi[i + sm] - xi[i + 3 * sm];
      /* b1 = s1 - i s3, b3 = s1 + i s3 */
      const FFT_T b1r = s1r + s3i, b1i = s1i - s3r;
      const FFT_T b2r = s0r - s2r, b2i = s0i - s2i;
      const FFT_T b3r = s1r - s3i, b3i = s1i + s3r;
      yr[o] = s0r + s2r;
      yi[o] = s0i + s2i;
      if (m == 1) {
        yr[o + s] = b1r;
        yi[o + s] = b1i;
        yr[o + 2 * s] = b2r;
        yi[o + 2 * s] = b2i;
        yr[o + 3 * s] = b3r;
        yi[o + 3 * s] = b3i;
      } else {
        FFT_CMUL (yr[o + s], yi[o + s], b1r, b1i, wr[0], wi[0]);
        FFT_CMUL (yr[o + 2 * s], yi[o + 2 * s], b2r, b2i, wr[1], wi[1]);
        FFT_CMUL (yr[o + 3 * s], yi[o + 3 * s], b3r, b3i, wr[2], wi[2]);
      }
    }
  }
}

static inline void
FFT_FN (fft_stage3_) (const FFT_T *xr, const FFT_T *xi, FFT_T *yr,
    FFT_T *yi, guint n, guint s, const float *twr, const float *twi)
{
  const float h = (float) -0.86602540378443864676;      /* -sin(2 pi / 3) */
  const guint m = n / 3;
  guint q, r;

  for (q = 0; q < m; q++) {
    const float *wr = twr + 2 * q, *wi = twi + 2 * q;
    for (r = 0; r < s; r++) {
      const gsize i = r + (gsize) s * q, sm = (gsize) s * m;
      const gsize o = r + (gsize) s * 3 * q;
      const FFT_T a0r = xr[i], a0i = xi[i];
      const FFT_T t1r = xr[i + sm] + xr[i + 2 * sm];
      const FFT_T t1i = xi[i + sm] + xi[i + 2 * sm];
      const FFT_T t2r = a0r - t1r * 0.5f, t2i = a0i - t1i * 0.5f;
      /* t3 = -sin(2 pi / 3) (a1 - a2); b1 = t2 + i t3, b2 = t2 - i t3 */
      const FFT_T t3r = (xr[i + sm] - xr[i + 2 * sm]) * h;
      const FFT_T t3i = (xi[i + sm] - xi[i + 2 * sm]) * h;
      const FFT_T b1r = t2r - t3i, b1i = t2i + t3r;
      const FFT_T b2r = t2r + t3i, b2i = t2i - t3r;
      yr[o] = a0r + t1r;
      yi[o] = a0i + t1i;
      if (m == 1) {
        yr[o + s] = b1r;
        yi[o + s] = b1i;
        yr[o + 2 * s] = b2r;
        yi[o + 2 * s] = b2i;
      } else {
        FFT_CMUL (yr[o + s], yi[o + s], b1r, b1i, wr[0], wi[0]);
        FFT_CMUL (yr[o + 2 * s], yi[o + 2 * s], b2r, b2i, wr[1], wi[1]);
      }
    }
  }
}

static inline void
FFT_FN (fft_stage5_) (const FFT_T *xr, const FFT_T *xi, FFT_T *yr,
    FFT_T *yi, guint n, guint s, const float *twr, const float *twi)
{
  const float c1 = (float) 0.30901699437494742410;      /* cos(2 pi / 5) */
  const float c2 = (float) -0.80901699437494742410;     /* cos(4 pi / 5) */
  const float s1 = (float) 0.95105651629515357212;      /* sin(2 pi / 5) */
  const float s2 = (float) 0.58778525229247312917;      /* sin(4 pi / 5) */
  const guint m = n / 5;
  guint q, r;

  for (q = 0; q < m; q++) {
    const float *wr = twr + 4 * q, *wi = twi + 4 * q;
    for (r = 0; r < s; r++) {
      const gsize i = r + (gsize) s * q, sm = (gsize) s * m;
      const gsize o = r + (gsize) s * 5 * q;
      const FFT_T a0r = xr[i], a0i = xi[i];
      const FFT_T t1r = xr[i + sm] + xr[i + 4 * sm];
      const FFT_T t1i = xi[i + sm] + xi[i + 4 * sm];
      const FFT_T t2r = xr[i + 2 * sm] + xr[i + 3 * sm];
      const FFT_T t2i = xi[i + 2 * sm] + xi[i + 3 * sm];
      const FFT_T t3r = xr[i + sm] - xr[i + 4 * sm];
      const FFT_T t3i = xi[i + sm] - xi[i + 4 * sm];
      const FFT_T t4r = xr[i + 2 * sm] - xr[i + 3 * sm];
      const FFT_T t4i = xi[i + 2 * sm] - xi[i + 3 * sm];
      const FFT_T r1r = a0r + t1r * c1 + t2r * c2;
      const FFT_T r1i = a0i + t1i * c1 + t2i * c2;
      const FFT_T r2r = a0r + t1r * c2 + t2r * c1;
      const FFT_T r2i = a0i + t1i * c2 + t2i * c1;
      const FFT_T i1r = t3r * s1 + t4r * s2, i1i = t3i * s1 + t4i * s2;
      const FFT_T i2r = t3r * s2 - t4r * s1, i2i = t3i * s2 - t4i * s1;
      /* b1 = r1 - i i1, b4 = r1 + i i1, b2 = r2 - i i2, b3 = r2 + i i2 */
      const FFT_T b1r = r1r + i1i, b1i = r1i - i1r;
      const FFT_T b4r = r1r - i1i, b4i = r1i + i1r;
      const FFT_T b2r = r2r + i2i, b2i = r2i - i2r;
      const FFT_T b3r = r2r - i2i, b3i = r2i + i2r;
      yr[o] = a0r + t1r + t2r;
      yi[o] = a0i + t1i + t2i;
      if (m == 1) {
        yr[o + s] = b1r;
        yi[o + s] = b1i;
        yr[o + 2 * s] = b2r;
        yi[o + 2 * s] = b2i;
        yr[o + 3 * s] = b3r;
        yi[o + 3 * s] = b3i;
        yr[o + 4 * s] = b4r;
        yi[o + 4 * s] = b4i;
      } else {
        FFT_CMUL (yr[o + s], yi[o + s], b1r, b1i, wr[0], wi[0]);
        FFT_CMUL (yr[o + 2 * s], yi[o + 2 * s], b2r, b2i, wr[1], wi[1]);
        FFT_CMUL (yr[o + 3 * s], yi[o + 3 * s], b3r, b3i, wr[2], wi[2]);
        FFT_CMUL (yr[o + 4 * s], yi[o + 4 * s], b4r, b4i, wr[3], wi[3]);
      }
    }
  }
}

/* Every stage of @plan on (xr, xi), ping-ponging with (yr, yi); returns
 * whether the result ended in y. */
static inline gboolean
FFT_FN (fft_stages_) (const LstmFftPlan *plan, FFT_T *xr, FFT_T *xi,
    FFT_T *yr, FFT_T *yi)
{
  gboolean in_y = FALSE;
  guint k;

  for (k = 0; k < plan->n_stages; k++) {
    const LstmFftStage *st = &plan->stages[k];
    FFT_T *ar = in_y ? yr : xr, *ai = in_y ? yi : xi;
    FFT_T *br = in_y ? xr : yr, *bi = in_y ? xi : yi;
    switch (st->p) {
      case 2:
        FFT_FN (fft_stage2_) (ar, ai, br, bi, st->n, st->s, st->twr, st->twi);
        break;
      case 3:
        FFT_FN (fft_stage3_) (ar, ai, br, bi, st->n, st->s, st->twr, st->twi);
        break;
      case 4:
        FFT_FN (fft_stage4_) (ar, ai, br, bi, st->n, st->s, st->twr, st->twi);
        break;
      default:
        FFT_FN (fft_stage5_) (ar, ai, br, bi, st->n, st->s, st->twr, st->twi);
        break;
    }
    in_y = !in_y;
  }
  return in_y;
}
