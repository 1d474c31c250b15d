/* A counting allocator for tests: malloc and friends are interposed in the
 * test binary (glibc 2.36 has no malloc hooks) and forwarded to glibc.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Not built under AddressSanitizer, which owns malloc itself:
 * alloc_counter_available() then returns FALSE and tests skip.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean alloc_counter_available (void);
/* Zeroes the counters and starts counting. */
void alloc_counter_start (void);
/* Stops counting; returns the number of allocations since the start and
 * stores the largest single request in @max_size (nullable). */
guint64 alloc_counter_stop (gsize *max_size);

G_END_DECLS
