/* liblstm: models shared by everyone who loads the same file
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lstm_model_load_shared() keeps one LstmModel per file identity (device,
 * inode, size, modification time) while someone holds a reference to it:
 * eight lstminfer elements on one model file hold its weights once. The
 * table holds no reference; the last lstm_model_unref() of a shared model
 * takes it out (lstm_model_cache_forget()). A lookup racing with that last
 * unref sees a reference count of 0, does not revive the model, and loads
 * the file again.
 */
#include "config.h"

#include <stdint.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lstm-private.h"

static GHashTable *cache;       /* cache_key -> LstmModel (no reference) */

/* The lock of the table. Lookups (any number at once: try_ref() is atomic)
 * take it for reading, insertions and removals for writing. A GRWLock is a
 * POSIX rwlock, whose ordering ThreadSanitizer sees: the free of a model's
 * last unref is then seen to follow another thread's lookup of it (a
 * GMutex, a bare futex on Linux, hides that ordering from it). It is made
 * at the first call, here: a static GRWLock would be set up by GLib at its
 * first use behind an atomic inside GLib, which ThreadSanitizer does not
 * see either; behind this atomic, it sees it. Never freed, as a static
 * lock is not. */
static GRWLock *
cache_lock (void)
{
  static GRWLock *lock;
  GRWLock *l = g_atomic_pointer_get (&lock);

  if (G_UNLIKELY (l == NULL)) {
    GRWLock *made = g_new (GRWLock, 1);

    g_rw_lock_init (made);
    if (g_atomic_pointer_compare_and_exchange_full (&lock, NULL, made, &l)) {
      l = made;
    } else {
      g_rw_lock_clear (made);
      g_free (made);
    }
  }
  return l;
}

/* A reference to @model unless it is already being freed. */
static gboolean
try_ref (LstmModel *model)
{
  for (;;) {
    gint n = g_atomic_int_get (&model->ref_count);
    if (n <= 0)
      return FALSE;
    if (g_atomic_int_compare_and_exchange (&model->ref_count, n, n + 1))
      return TRUE;
  }
}

/* Called with the cache's lock held. The entry under @key if it can still be
 * referenced (with a new reference), else NULL. */
static LstmModel *
lookup_locked (const gchar *key)
{
  LstmModel *m;

  if (cache == NULL)
    return NULL;
  m = g_hash_table_lookup (cache, key);
  return m != NULL && try_ref (m) ? m : NULL;
}

/**
 * lstm_model_load_shared:
 * @path: a safetensors model file
 * @max_size: the largest file accepted, in bytes; 0:
 *   lstm_get_max_model_size()
 * @error: return location for a #GError
 *
 * Loads a model as lstm_model_load_with_limit() does, unless a model loaded by this
 * function from the same file (same device, inode, size and modification
 * time) is still in use: then that model is returned, with a new
 * reference. A file replaced or rewritten since is loaded afresh. A shared
 * model is used by others: treat it as read-only (run it with states of
 * your own; do not train it). Thread-safe.
 *
 * Returns: (transfer full): the model, or %NULL with @error set.
 */
LstmModel *
lstm_model_load_shared (const gchar *path, guint64 max_size, GError **error)
{
  g_autofree gchar *key = NULL;
  GStatBuf st;
  LstmModel *m, *other;

  g_return_val_if_fail (path != NULL, NULL);
  if (max_size == 0)
    max_size = lstm_get_max_model_size ();
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode) ||
      (guint64) st.st_size > max_size)
    return lstm_model_load_with_limit (path, max_size, error); /* says why */
  key = g_strdup_printf ("%ju:%ju:%jd:%jd.%09ld", (uintmax_t) st.st_dev,
      (uintmax_t) st.st_ino, (intmax_t) st.st_size,
      (intmax_t) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);

  g_rw_lock_reader_lock (cache_lock ());
  m = lookup_locked (key);
  g_rw_lock_reader_unlock (cache_lock ());
  if (m != NULL)
    return m;

  /* loaded outside the lock: two first loads may race, one wins */
  m = lstm_model_load_with_limit (path, max_size, error);
  if (m == NULL)
    return NULL;
  g_rw_lock_writer_lock (cache_lock ());
  other = lookup_locked (key);
  if (other == NULL) {
    if (cache == NULL)
      cache = g_hash_table_new (g_str_hash, g_str_equal);
    m->cache_key = g_steal_pointer (&key);
    /* replace: the key is the new model's, the old entry's model is dying */
    g_hash_table_replace (cache, m->cache_key, m);
  }
  g_rw_lock_writer_unlock (cache_lock ());
  if (other != NULL) {
    lstm_model_unref (m);
    return other;
  }
  return m;
}

/* The last reference to shared @model is gone: out of the table, unless a
 * newer model of the same file took its place. */
void
lstm_model_cache_forget (LstmModel *model)
{
  g_rw_lock_writer_lock (cache_lock ());
  if (cache != NULL && g_hash_table_lookup (cache, model->cache_key) == model)
    g_hash_table_remove (cache, model->cache_key);
  g_rw_lock_writer_unlock (cache_lock ());
}
