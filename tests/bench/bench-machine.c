/* Benchmark helper: what one core of this machine can do at best.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measures the float32 multiply-add peak (independent FMA chains on the
 * widest vectors the CPU runs: AVX-512, else AVX2+FMA) and the read
 * bandwidth of one core from buffers sized for L2, L3 and DRAM (sizes from
 * cpuid's cache leaves); each the best of many short trials, since a
 * limit is a maximum and a shared machine only ever lowers a trial. Prints one JSON object; run pinned to one core
 * (taskset). bench_forward.py divides its rows by these limits.
 * Times are the process's CPU time, not wall time: on a shared machine the
 * time spent waiting for the core is not counted.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

typedef struct {
  gsize l2, l3;
} Caches;

static void
cache_sizes (Caches *c)
{
  memset (c, 0, sizeof *c);
#if HAVE_X86
  {
    unsigned a, b, cx, d, max_ext = __get_cpuid_max (0x80000000, NULL);
    unsigned leaf = 4, i;
    __cpuid (0, a, b, cx, d);
    /* "AuthenticAMD": ebx = "Auth" */
    if (b == 0x68747541 && max_ext >= 0x8000001d)
      leaf = 0x8000001d;
    for (i = 0; i < 8; i++) {
      unsigned type, level;
      gsize size;
      __cpuid_count (leaf, i, a, b, cx, d);
      type = a & 31;
      level = (a >> 5) & 7;
      if (type == 0)
        break;
      if (type == 2)            /* instruction cache */
        continue;
      size = (gsize) ((b >> 22) + 1) * (((b >> 12) & 1023) + 1) *
          ((b & 4095) + 1) * (cx + 1);
      if (level == 2)
        c->l2 = size;
      else if (level == 3)
        c->l3 = size;
    }
  }
#endif
  if (c->l2 == 0)
    c->l2 = 1 << 20;
  if (c->l3 == 0)
    c->l3 = 16 << 20;
}

static gint64
cpu_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define CHAINS 12
#define FMA_ITERS 2000000
#define TRIALS 15

#if HAVE_X86
/* GCC 12's AVX-512 intrinsics read an "undefined" vector on purpose */
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target ("avx512f")))
static double
fma_avx512 (void)
{
  __m512 acc[CHAINS], m = _mm512_set1_ps (0.999999f), a =
      _mm512_set1_ps (1e-7f);
  gint64 t0;
  guint i, j;
  float sink = 0;

  for (j = 0; j < CHAINS; j++)
    acc[j] = _mm512_set1_ps ((float) j);
  t0 = cpu_usec ();
  for (i = 0; i < FMA_ITERS; i++)
    for (j = 0; j < CHAINS; j++)
      acc[j] = _mm512_fmadd_ps (acc[j], m, a);
  t0 = cpu_usec () - t0;
  for (j = 0; j < CHAINS; j++)
    sink += _mm512_reduce_add_ps (acc[j]);
  if (sink == 42.0f)
    g_print (" ");
  return 2.0 * 16 * CHAINS * (double) FMA_ITERS / (t0 / 1e6);
}

__attribute__((target ("avx2,fma")))
static double
fma_avx2 (void)
{
  __m256 acc[CHAINS], m = _mm256_set1_ps (0.999999f), a =
      _mm256_set1_ps (1e-7f);
  gint64 t0;
  guint i, j;
  float sink = 0, v[8];

  for (j = 0; j < CHAINS; j++)
    acc[j] = _mm256_set1_ps ((float) j);
  t0 = cpu_usec ();
  for (i = 0; i < FMA_ITERS; i++)
    for (j = 0; j < CHAINS; j++)
      acc[j] = _mm256_fmadd_ps (acc[j], m, a);
  t0 = cpu_usec () - t0;
  for (j = 0; j < CHAINS; j++) {
    _mm256_storeu_ps (v, acc[j]);
    sink += v[0] + v[7];
  }
  if (sink == 42.0f)
    g_print (" ");
  return 2.0 * 8 * CHAINS * (double) FMA_ITERS / (t0 / 1e6);
}

/* Bytes per second reading @bytes of @buf, @passes times. */
__attribute__((target ("avx2")))
static double
read_bw (const float *buf, gsize bytes, guint passes)
{
  gsize n = bytes / sizeof (float), i;
  __m256 s0 = _mm256_setzero_ps (), s1 = s0, s2 = s0, s3 = s0;
  float v[8];
  gint64 t0;
  guint p;

  t0 = cpu_usec ();
  for (p = 0; p < passes; p++)
    for (i = 0; i + 32 <= n; i += 32) {
      s0 = _mm256_add_ps (s0, _mm256_load_ps (buf + i));
      s1 = _mm256_add_ps (s1, _mm256_load_ps (buf + i + 8));
      s2 = _mm256_add_ps (s2, _mm256_load_ps (buf + i + 16));
      s3 = _mm256_add_ps (s3, _mm256_load_ps (buf + i + 24));
    }
  t0 = cpu_usec () - t0;
  _mm256_storeu_ps (v, _mm256_add_ps (_mm256_add_ps (s0, s1),
          _mm256_add_ps (s2, s3)));
  if (v[0] == 42.0f)
    g_print (" ");
  return (double) bytes * passes / (t0 / 1e6);
}
#endif

int
main (void)
{
  Caches c;
  double peak = 0, l2 = 0, l3 = 0, dram = 0;
  const gchar *isa = "none";
#if HAVE_X86
  guint r;
#endif

  cache_sizes (&c);
#if HAVE_X86
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f")) {
    isa = "avx512";
    for (r = 0; r < TRIALS; r++)
      peak = MAX (peak, fma_avx512 ());
  } else if (__builtin_cpu_supports ("avx2")
      && __builtin_cpu_supports ("fma")) {
    isa = "avx2+fma";
    for (r = 0; r < TRIALS; r++)
      peak = MAX (peak, fma_avx2 ());
  }
  if (__builtin_cpu_supports ("avx2")) {
    gsize sizes[3] = { c.l2 / 2, MIN (c.l3 / 2, c.l2 * 6), 256 << 20 };
    double *res[3] = { &l2, &l3, &dram };
    guint k;
    for (k = 0; k < 3; k++) {
      float *buf = g_aligned_alloc0 (sizes[k] / sizeof (float),
          sizeof (float), 64);
      guint passes = MAX (2, (guint) ((1u << 30) / sizes[k]) / 8);
      read_bw (buf, sizes[k], 1);
      for (r = 0; r < (k < 2 ? TRIALS : 3); r++)
        *res[k] = MAX (*res[k], read_bw (buf, sizes[k], passes));
      g_aligned_free (buf);
    }
  }
#endif
  g_print ("{\"fma_isa\": \"%s\", \"peak_gflops\": %.2f, "
      "\"l2_bytes\": %" G_GSIZE_FORMAT
      ", \"l3_bytes\": %" G_GSIZE_FORMAT ", \"l2_gbps\": %.2f, "
      "\"l3_gbps\": %.2f, \"dram_gbps\": %.2f}\n", isa, peak / 1e9,
      c.l2, c.l3, l2 / 1e9, l3 / 1e9, dram / 1e9);
  return 0;
}
