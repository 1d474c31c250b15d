/* liblstm: bf16 weights: rounding, packing and the bf16 kernel tables
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "kernels.h"

guint16
lstm_bf16_from_float (float v)
{
  guint32 u;

  memcpy (&u, &v, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((u >> 16) | 0x40);        /* NaN stays (quiet) NaN */
  u += 0x7fffu + ((u >> 16) & 1);               /* nearest, ties to even */
  return (guint16) (u >> 16);
}

float
lstm_bf16_to_float (guint16 v)
{
  guint32 u = (guint32) v << 16;
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

gsize
lstm_packed_size_bf16 (guint n_out, guint k)
{
  return lstm_packed_size (n_out, k);
}

void
lstm_pack_matrix_bf16 (const float *w, guint n_out, guint k, guint16 *dst,
    LstmPackedMatrix *pm)
{
  gsize groups = (n_out + 7) / 8, nb = k / 8, g, b, p, l, t;
  gsize stride = nb * 64 + (gsize) (k % 8) * 8;

  for (g = 0; g < groups; g++) {
    guint16 *d = dst + g * stride;
    for (b = 0; b < nb; b++)
      for (p = 0; p < 8; p++) {
        gsize row = 8 * g + LSTM_PACK_ROW[p];
        for (l = 0; l < 8; l++)
          d[(b * 8 + p) * 8 + l] = row < n_out ?
              lstm_bf16_from_float (w[row * k + 8 * b + l]) : 0;
      }
    for (t = 0; t < k % 8; t++)
      for (p = 0; p < 8; p++) {
        gsize row = 8 * g + p;
        d[nb * 64 + t * 8 + p] = row < n_out ?
            lstm_bf16_from_float (w[row * k + 8 * nb + t]) : 0;
      }
  }
  pm->data = NULL;
  pm->bf16 = dst;
  pm->n_out = n_out;
  pm->k = k;
  pm->group_stride = stride;
}

#define BF16_TABLE(name, v, act) \
  { name, lstm_matmul_ ## act, lstm_matmul_packed_bf16_ ## v, \
    lstm_lstm_step_bf16_ ## v, lstm_sigmoid_ ## act, lstm_tanh_ ## act, TRUE }

static const LstmKernels kernels_bf16_generic =
BF16_TABLE ("bf16-generic", generic, generic);
#ifdef LSTM_HAVE_AVX2
static const LstmKernels kernels_bf16_avx2 =
BF16_TABLE ("bf16-avx2", avx2, avx2);
#endif
#ifdef LSTM_HAVE_AVX512
static const LstmKernels kernels_bf16_avx512 =
BF16_TABLE ("bf16-avx512", avx512, avx512);
#endif
#ifdef LSTM_HAVE_AVX512BF16
static const LstmKernels kernels_bf16_avx512bf16 =
BF16_TABLE ("bf16-avx512bf16", avx512bf16, avx512);
#endif

/* Whether this CPU runs the fp32 variant @name (the bf16 tables widen
 * with its instructions). */
static gboolean
cpu_runs (const gchar *name)
{
  return lstm_kernels_get (name) != NULL;
}

static gboolean
cpu_has_avx512bf16 (void)
{
#ifdef LSTM_HAVE_AVX512BF16
  __builtin_cpu_init ();
  return cpu_runs ("avx512") && __builtin_cpu_supports ("avx512bf16");
#else
  return FALSE;
#endif
}

const LstmKernels *
lstm_kernels_get_bf16 (const gchar *name)
{
  if (name == NULL)
    name = g_getenv ("LSTM_KERNELS_BF16");
  if (name == NULL || *name == '\0') {
#ifdef LSTM_HAVE_AVX512BF16
    if (cpu_has_avx512bf16 ())
      return &kernels_bf16_avx512bf16;
#endif
#ifdef LSTM_HAVE_AVX512
    if (cpu_runs ("avx512"))
      return &kernels_bf16_avx512;
#endif
#ifdef LSTM_HAVE_AVX2
    if (cpu_runs ("avx2"))
      return &kernels_bf16_avx2;
#endif
    return &kernels_bf16_generic;
  }
  if (strcmp (name, "bf16-generic") == 0)
    return &kernels_bf16_generic;
#ifdef LSTM_HAVE_AVX2
  if (strcmp (name, "bf16-avx2") == 0 && cpu_runs ("avx2"))
    return &kernels_bf16_avx2;
#endif
#ifdef LSTM_HAVE_AVX512
  if (strcmp (name, "bf16-avx512") == 0 && cpu_runs ("avx512"))
    return &kernels_bf16_avx512;
#endif
#ifdef LSTM_HAVE_AVX512BF16
  if (strcmp (name, "bf16-avx512bf16") == 0 && cpu_has_avx512bf16 ())
    return &kernels_bf16_avx512bf16;
#endif
  return NULL;
}

const gchar *const *
lstm_kernels_list_bf16 (void)
{
  static const gchar *names[5];
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    guint n = 0;
    names[n++] = "bf16-generic";
    if (cpu_runs ("avx2"))
      names[n++] = "bf16-avx2";
    if (cpu_runs ("avx512"))
      names[n++] = "bf16-avx512";
    if (cpu_has_avx512bf16 ())
      names[n++] = "bf16-avx512bf16";
    names[n] = NULL;
    g_once_init_leave (&once, 1);
  }
  return names;
}
