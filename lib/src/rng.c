/* liblstm: the library's random numbers (no global state: callers own them)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "lstm-private.h"

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
lstm_rng_seed (LstmRng *rng, guint64 seed)
{
  guint i;

  /* splitmix64 spreads any seed, 0 included, over the four words. */
  for (i = 0; i < 4; i++) {
    guint64 z = (seed += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
    rng->s[i] = z ^ (z >> 31);
  }
}

guint64
lstm_rng_next (LstmRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
lstm_rng_uniform (LstmRng *rng)
{
  return (double) (lstm_rng_next (rng) >> 11) * 0x1.0p-53;
}

guint64
lstm_rng_below (LstmRng *rng, guint64 n)
{
  guint64 limit, r;

  g_return_val_if_fail (n > 0, 0);
  /* reject the top partial range */
  limit = G_MAXUINT64 - G_MAXUINT64 % n;
  do
    r = lstm_rng_next (rng);
  while (r >= limit);
  return r % n;
}
