/* liblstm: numeric kernels behind a small dispatch table
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Summation order (the chunking-invariance contract): every output element
 * of lstm's matrix products is one dot product computed in the *canonical
 * order*, whatever the number of frames or rows processed together:
 *
 *   s[l] = sum over full blocks b of (w[8b+l] * x[8b+l]),  l = 0..7, b rising
 *   r    = ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))
 *   r    = r + w[k] * x[k]  for the k % 8 trailing elements, k rising
 *   y    = r + bias                          (bias added last)
 *
 * Variants that multiply and add separately give results bitwise equal to
 * the reference; the "fma" variant fuses the products and is compared to the
 * reference with a tolerance.
 *
 * Packed weights. Inference runs on copies of the weight matrices packed
 * once per model (lstm_pack_matrix) for the vector kernels: rows in groups
 * of 8 (the last group padded with zero rows), each group stored block by
 * block so that one pass over the group reads memory sequentially and
 * computes 8 dot products at once, in the canonical order above (so a
 * packed product equals the variant's unpacked one, bitwise):
 *
 *   group g, block b (8 columns), position p:  8 floats
 *       w[8g + LSTM_PACK_ROW[p], 8b .. 8b+7]            at (b * 8 + p) * 8
 *   then the k % 8 trailing columns t, row q:   w[8g + q, 8 nb + t]
 *                                                       at nb * 64 + t * 8 + q
 *
 * LSTM_PACK_ROW orders the rows so that the transposing reduction of the
 * 8 lane accumulators yields the 8 results in row order.
 *
 * The rows of x given to matmul_packed are independent: whether they are
 * the frames of one chunk or the current frames of many streams (a
 * batched forward), each output row gets the bits it would get alone.
 * lstm_step is the per-stream step; a batched step would call
 * matmul_packed on the streams' h rows and apply the same gate arithmetic.
 */
#pragma once

#include <math.h>

#include <glib.h>

G_BEGIN_DECLS

/* A weight matrix packed for the vector kernels (layout above). */
typedef struct {
  const float *data;    /* lstm_packed_size (n_out, k) floats, aligned;
                         * NULL in a bf16 packing */
  const guint16 *bf16;  /* the same layout in bf16 (lstm_pack_matrix_bf16),
                         * else NULL */
  guint n_out;          /* rows of the original matrix */
  guint k;              /* columns */
  gsize group_stride;   /* floats per group of 8 rows */
} LstmPackedMatrix;

/* Row of group position p (0..7). */
extern const guint8 LSTM_PACK_ROW[8];

/* Floats that lstm_pack_matrix() writes for an (n_out, k) matrix. */
gsize lstm_packed_size (guint n_out, guint k);
/* Packs @w (n_out, k) row-major into @dst (lstm_packed_size floats) and
 * describes it in @pm. */
void lstm_pack_matrix (const float *w, guint n_out, guint k, float *dst,
    LstmPackedMatrix *pm);

typedef struct {
  const gchar *name;
  /* y[t * ldy + j] = dot (w[j, :], x[t, :]) + (b ? b[j] : 0)
   * w: (n_out, k) row-major, x: (n_frames, k) stride ldx,
   * y: (n_frames, n_out) stride ldy, b: (n_out) or NULL */
  void (*matmul) (const float *w, const float *b, const float *x, gsize ldx,
      float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
  /* The same product from packed weights: bitwise equal to matmul() of
   * the same variant. NULL for "ref" (inference then uses matmul()). Each
   * frame's outputs are computed alone, whatever n_frames is: one call for
   * the input projections of a whole block of frames (a GEMM) gives the bits
   * of one call per frame. */
  void (*matmul_packed) (const LstmPackedMatrix *w, const float *b,
      const float *x, gsize ldx, float *y, gsize ldy, gsize n_frames);
  /* One LSTM time step, the recurrent product fused with the gates, for
   * H % 8 == 0 (NULL for "ref"). w_hh: packed (4H, H); b_hh: (4H) or NULL;
   * peep: NULL or (3H) peepholes i, f, o; h: h(t-1) (H); c: (H) in/out;
   * h_out: h(t) (H), must not overlap h; gates: (4H) in: W_ih x + b_ih,
   * out: the activated i, f, g, o. Per element, the same arithmetic as
   * lstm_layer_forward(), with this variant's sigmoid and tanh. */
  void (*lstm_step) (const LstmPackedMatrix *w_hh, const float *b_hh,
      const float *peep, const float *h, float *c, float *h_out,
      float *gates, guint H);
  /* In place over y[0..n): the sigmoid and tanh this variant's recurrent
   * layers use (libm's for "ref" and "generic"; vectorised polynomials
   * for the x86 variants, whose largest error test-kernels measures over
   * the whole float range). */
  void (*sigmoid) (float *y, gsize n);
  void (*tanh) (float *y, gsize n);
  /* TRUE for the bf16 tables (lstm_kernels_get_bf16): matmul_packed and
   * lstm_step then read LstmPackedMatrix.bf16; matmul stays fp32. */
  gboolean bf16;
} LstmKernels;

/* The table for @name ("ref", "generic", "avx2", "fma", "avx512"), or NULL
 * when unknown or not supported by this build and CPU (checked at run time
 * with cpuid). With @name NULL: the one named by the LSTM_KERNELS
 * environment variable if set, else the fastest exact one this CPU runs
 * ("avx512", "avx2" or "generic"). "Exact" is about the products: bitwise
 * equal to the reference; the recurrent gates' sigmoid and tanh are each
 * variant's own (see LstmKernels), so whole-model outputs of two variants
 * agree within the PyTorch tolerance, not bitwise. Chunking invariance
 * holds per variant. */
const LstmKernels *lstm_kernels_get (const gchar *name);
/* NULL-terminated names of the variants this build and CPU can run. */
const gchar *const *lstm_kernels_list (void);

void lstm_matmul_ref (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
void lstm_matmul_generic (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
void lstm_matmul_avx2 (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
void lstm_matmul_fma (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
void lstm_matmul_avx512 (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);

/* Per variant (generic, avx2, fma, avx512): the members of LstmKernels. */
#define LSTM_DECLARE_KERNEL_VARIANT(v) \
  void lstm_matmul_packed_ ## v (const LstmPackedMatrix *w, const float *b, \
      const float *x, gsize ldx, float *y, gsize ldy, gsize n_frames); \
  void lstm_lstm_step_ ## v (const LstmPackedMatrix *w_hh, \
      const float *b_hh, const float *peep, const float *h, float *c, \
      float *h_out, float *gates, guint H); \
  void lstm_sigmoid_ ## v (float *y, gsize n); \
  void lstm_tanh_ ## v (float *y, gsize n);
LSTM_DECLARE_KERNEL_VARIANT (generic)
LSTM_DECLARE_KERNEL_VARIANT (avx2)
LSTM_DECLARE_KERNEL_VARIANT (fma)
LSTM_DECLARE_KERNEL_VARIANT (avx512)
void lstm_sigmoid_ref (float *y, gsize n);
void lstm_tanh_ref (float *y, gsize n);

/* ---- bf16 weights (kernels-bf16.c, kernels-simd-bf16.h) ----
 *
 * Reduced precision, opt-in: the packed matrices hold bf16 values (the
 * upper 16 bits of a float, rounded to nearest even), products accumulate
 * in fp32. Tables:
 *   "bf16-generic", "bf16-avx2", "bf16-avx512": the weights are widened to
 *     fp32 on the fly; the results are bitwise those of the fp32 variant
 *     "generic", "avx2", "avx512" run on the bf16-rounded weights;
 *   "bf16-avx512bf16" (AVX512-BF16 CPUs): vdpbf16ps, the inputs rounded to
 *     bf16 as well (order in kernels-simd-bf16.h).
 * Each table's matmul_packed/lstm_step read LstmPackedMatrix.bf16, its
 * matmul is the fp32 variant's (the unpacked fallback), its sigmoid/tanh
 * those of the fp32 variant of the same instruction set. */

/* bf16 of @v, rounded to nearest even (NaN stays NaN). */
guint16 lstm_bf16_from_float (float v);
/* The float a bf16 value stands for (exact). */
float lstm_bf16_to_float (guint16 v);
/* bf16 elements that lstm_pack_matrix_bf16() writes (same count as the
 * fp32 packing's floats). */
gsize lstm_packed_size_bf16 (guint n_out, guint k);
/* Packs @w rounded to bf16 into @dst, the layout of lstm_pack_matrix(); @pm
 * gets bf16 = dst, data = NULL. */
void lstm_pack_matrix_bf16 (const float *w, guint n_out, guint k,
    guint16 *dst, LstmPackedMatrix *pm);
/* The bf16 table named @name (above), or NULL when unknown or not supported
 * by this build and CPU. With @name NULL: the one named by the
 * LSTM_KERNELS_BF16 environment variable if set, else the fastest this CPU
 * runs ("bf16-avx512bf16", "bf16-avx512", "bf16-avx2", "bf16-generic"). */
const LstmKernels *lstm_kernels_get_bf16 (const gchar *name);
/* NULL-terminated names of the bf16 tables this build and CPU can run. */
const gchar *const *lstm_kernels_list_bf16 (void);

#define LSTM_DECLARE_KERNEL_BF16(v) \
  void lstm_matmul_packed_bf16_ ## v (const LstmPackedMatrix *w, \
      const float *b, const float *x, gsize ldx, float *y, gsize ldy, \
      gsize n_frames); \
  void lstm_lstm_step_bf16_ ## v (const LstmPackedMatrix *w_hh, \
      const float *b_hh, const float *peep, const float *h, float *c, \
      float *h_out, float *gates, guint H);
LSTM_DECLARE_KERNEL_BF16 (generic)
LSTM_DECLARE_KERNEL_BF16 (avx2)
LSTM_DECLARE_KERNEL_BF16 (fma)
LSTM_DECLARE_KERNEL_BF16 (avx512)
LSTM_DECLARE_KERNEL_BF16 (avx512bf16)
/* The AVX512-BF16 build of kernels-simd.c also holds fp32 functions, equal
 * to the avx512 ones and unused. */
LSTM_DECLARE_KERNEL_VARIANT (avx512bf16)
void lstm_matmul_avx512bf16 (const float *w, const float *b, const float *x,
    gsize ldx, float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);

/* Batched steps: kernels for many streams' (or sequences') current frames
 * at once, kept apart from LstmKernels. A batched forward (forward-batch.c)
 * runs each product of the stack as one k->matmul_packed call over the
 * streams' rows (each row gets the bits it would get alone), then per
 * stream the gate arithmetic below, so every stream's outputs are bitwise
 * those of the one-stream kernels. */
typedef struct {
  /* k->matmul_packed over many rows of x, each row's outputs bitwise
   * matmul_packed's (AVX-512: two rows per pass over the weights). */
  void (*matmul_packed_multi) (const LstmPackedMatrix *w, const float *b,
      const float *x, gsize ldx, float *y, gsize ldy, gsize n_frames);
  /* k->lstm_step's arithmetic after the recurrent product, H % 8 == 0:
   * gx: W_ih x + b_ih, gh: W_hh h(t-1) + b_hh (4H each); peep: NULL or
   * (3H); c: (H) in/out; h_out: h(t) (H). Bitwise what lstm_step gives. */
  void (*lstm_gates) (const float *gx, const float *gh, const float *peep,
      float *c, float *h_out, guint H);
} LstmBatchKernels;

/* The batched kernels of @k's variant, or NULL (the "ref" variant: no
 * packed kernels). */
const LstmBatchKernels *lstm_batch_kernels_get (const LstmKernels *k);

#define LSTM_DECLARE_BATCH_VARIANT(v) \
  void lstm_matmul_packed_multi_ ## v (const LstmPackedMatrix *w, \
      const float *b, const float *x, gsize ldx, float *y, gsize ldy, \
      gsize n_frames); \
  void lstm_lstm_gates_ ## v (const float *gx, const float *gh, \
      const float *peep, float *c, float *h_out, guint H);
LSTM_DECLARE_BATCH_VARIANT (generic)
LSTM_DECLARE_BATCH_VARIANT (avx2)
LSTM_DECLARE_BATCH_VARIANT (fma)
LSTM_DECLARE_BATCH_VARIANT (avx512)
/* built, unused, with the fp32 copy in the AVX512-BF16 build */
LSTM_DECLARE_BATCH_VARIANT (avx512bf16)

/* Activations (exact libm functions; no approximations). The kernels' own
 * vocabulary: the model code maps its activation to one of these ids. */
typedef enum {
  LSTM_KERNEL_ACT_NONE,
  LSTM_KERNEL_ACT_SOFTMAX,      /* over the n values */
  LSTM_KERNEL_ACT_SIGMOID,      /* per value */
  LSTM_KERNEL_ACT_TANH,         /* per value */
  LSTM_KERNEL_ACT_RELU,         /* per value: max(0, x) */
} LstmKernelAct;

static inline float
lstm_sigmoidf (float x)
{
  return 1.0f / (1.0f + expf (-x));
}

/* Applies @act in place to y[0..n). */
void lstm_kernel_act_apply (LstmKernelAct act, float *y, gsize n);

G_END_DECLS
