/* A counting allocator for tests; see alloc-counter.h.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "alloc-counter.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_COUNTER 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_COUNTER 0
#endif
#endif
#ifndef HAVE_COUNTER
#define HAVE_COUNTER 1
#endif

static int counting;
static guint64 n_allocs;
static gsize max_size;

#if HAVE_COUNTER

/* glibc's own entry points, which the replacements forward to. */
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *p, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);

static void
count (size_t size)
{
  if (__atomic_load_n (&counting, __ATOMIC_RELAXED)) {
    __atomic_add_fetch (&n_allocs, 1, __ATOMIC_RELAXED);
    if (size > max_size)
      max_size = size;
  }
}

/* The replacements are exported from the executable so that the shared
 * libraries (liblstm, GLib) resolve to them; <stdlib.h> declares all but
 * memalign. */
void *memalign (size_t alignment, size_t size);

void *
malloc (size_t size)
{
  count (size);
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  count (n * size);
  return __libc_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  count (size);
  return __libc_realloc (p, size);
}

void *
memalign (size_t alignment, size_t size)
{
  count (size);
  return __libc_memalign (alignment, size);
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  count (size);
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void **p, size_t alignment, size_t size)
{
  void *m;

  if (alignment % sizeof (void *) != 0 ||
      (alignment & (alignment - 1)) != 0)
    return EINVAL;
  count (size);
  m = __libc_memalign (alignment, size);
  if (m == NULL)
    return ENOMEM;
  *p = m;
  return 0;
}
#endif

gboolean
alloc_counter_available (void)
{
  return HAVE_COUNTER;
}

void
alloc_counter_start (void)
{
  n_allocs = 0;
  max_size = 0;
  __atomic_store_n (&counting, 1, __ATOMIC_SEQ_CST);
}

guint64
alloc_counter_stop (gsize *max)
{
  __atomic_store_n (&counting, 0, __ATOMIC_SEQ_CST);
  if (max)
    *max = max_size;
  return n_allocs;
}
