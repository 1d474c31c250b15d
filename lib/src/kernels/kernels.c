/* liblstm: kernel dispatch, chosen once per state
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "kernels.h"

#define VARIANT(v) \
  { #v, lstm_matmul_ ## v, lstm_matmul_packed_ ## v, lstm_lstm_step_ ## v, \
    lstm_sigmoid_ ## v, lstm_tanh_ ## v, FALSE }

static const LstmKernels kernels_ref = { "ref", lstm_matmul_ref, NULL, NULL,
  lstm_sigmoid_ref, lstm_tanh_ref, FALSE
};
static const LstmKernels kernels_generic = VARIANT (generic);
#ifdef LSTM_HAVE_AVX2
static const LstmKernels kernels_avx2 = VARIANT (avx2);
static const LstmKernels kernels_fma = VARIANT (fma);
#endif
#ifdef LSTM_HAVE_AVX512
static const LstmKernels kernels_avx512 = VARIANT (avx512);
#endif

static gboolean
cpu_has_avx2 (void)
{
#ifdef LSTM_HAVE_AVX2
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2");
#else
  return FALSE;
#endif
}

static gboolean
cpu_has_avx512 (void)
{
#ifdef LSTM_HAVE_AVX512
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f") &&
      __builtin_cpu_supports ("avx512vl") &&
      __builtin_cpu_supports ("avx512dq");
#else
  return FALSE;
#endif
}

static gboolean
cpu_has_fma (void)
{
#ifdef LSTM_HAVE_AVX2
  return cpu_has_avx2 () && __builtin_cpu_supports ("fma");
#else
  return FALSE;
#endif
}

const LstmKernels *
lstm_kernels_get (const gchar *name)
{
  if (name == NULL)
    name = g_getenv ("LSTM_KERNELS");
  if (name == NULL || *name == '\0') {
#ifdef LSTM_HAVE_AVX512
    if (cpu_has_avx512 ())
      return &kernels_avx512;
#endif
#ifdef LSTM_HAVE_AVX2
    if (cpu_has_avx2 ())
      return &kernels_avx2;
#endif
    return &kernels_generic;
  }
  if (strcmp (name, "ref") == 0)
    return &kernels_ref;
  if (strcmp (name, "generic") == 0)
    return &kernels_generic;
#ifdef LSTM_HAVE_AVX2
  if (strcmp (name, "avx2") == 0 && cpu_has_avx2 ())
    return &kernels_avx2;
  if (strcmp (name, "fma") == 0 && cpu_has_fma ())
    return &kernels_fma;
#endif
#ifdef LSTM_HAVE_AVX512
  if (strcmp (name, "avx512") == 0 && cpu_has_avx512 ())
    return &kernels_avx512;
#endif
  return NULL;
}

const gchar *const *
lstm_kernels_list (void)
{
  static const gchar *names[6];
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    guint n = 0;
    names[n++] = "ref";
    names[n++] = "generic";
    if (cpu_has_avx2 ())
      names[n++] = "avx2";
    if (cpu_has_fma ())
      names[n++] = "fma";
    if (cpu_has_avx512 ())
      names[n++] = "avx512";
    names[n] = NULL;
    g_once_init_leave (&once, 1);
  }
  return names;
}
