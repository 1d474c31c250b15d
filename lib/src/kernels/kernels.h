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
 */
#pragma once

#include <math.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *name;
  /* y[t * ldy + j] = dot (w[j, :], x[t, :]) + (b ? b[j] : 0)
   * w: (n_out, k) row-major, x: (n_frames, k) stride ldx,
   * y: (n_frames, n_out) stride ldy, b: (n_out) or NULL */
  void (*matmul) (const float *w, const float *b, const float *x, gsize ldx,
      float *y, gsize ldy, gsize n_out, gsize k, gsize n_frames);
} LstmKernels;

/* The table for @name ("ref", "generic", "avx2", "fma"), or NULL when
 * unknown or not supported by this CPU. With @name NULL: the one named by
 * the LSTM_KERNELS environment variable if set, else the fastest exact one
 * this CPU runs. */
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
