/* liblstm: kernel dispatch, chosen once per state
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "kernels.h"

static const LstmKernels kernels_ref = { "ref", lstm_matmul_ref };
static const LstmKernels kernels_generic = { "generic", lstm_matmul_generic };
#ifdef LSTM_HAVE_AVX2
static const LstmKernels kernels_avx2 = { "avx2", lstm_matmul_avx2 };
static const LstmKernels kernels_fma = { "fma", lstm_matmul_fma };
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
  return NULL;
}

const gchar *const *
lstm_kernels_list (void)
{
  static const gchar *names[5];
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    guint n = 0;
    names[n++] = "ref";
    names[n++] = "generic";
    if (cpu_has_avx2 ())
      names[n++] = "avx2";
    if (cpu_has_fma ())
      names[n++] = "fma";
    names[n] = NULL;
    g_once_init_leave (&once, 1);
  }
  return names;
}
