/* Shared by the libFuzzer targets of tests/fuzz: GLib's CRITICAL and ERROR
 * messages abort (a g_return_if_fail() hit is a finding), the rest is
 * dropped so that expected warnings do not slow the runs; a private
 * temporary folder for targets that read files.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gchar *fuzz_dir;

static void
fuzz_log (const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer user_data)
{
  static GHashTable *seen;

  (void) user_data;
  /* GStreamer's own checks (tests/fuzz/README.md): printed once each, not
   * fatal unless LSTM_FUZZ_FATAL_GST is set (to find the input and stack) */
  if ((level & G_LOG_LEVEL_CRITICAL) && g_strcmp0 (domain, "GStreamer")
      == 0 && g_getenv ("LSTM_FUZZ_FATAL_GST") == NULL) {
    if (seen == NULL)
      seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    if (g_hash_table_add (seen, g_strdup (message)))
      g_printerr ("GStreamer-CRITICAL (not fatal): %s\n", message);
    return;
  }
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    g_printerr ("%s: %s\n", domain ? domain : "", message);
    abort ();
  }
}

static void
fuzz_remove_dir (void)
{
  GDir *dir;
  const gchar *name;

  if (fuzz_dir == NULL)
    return;
  dir = g_dir_open (fuzz_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (fuzz_dir, name, NULL);
    g_unlink (path);
  }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (fuzz_dir);
  g_clear_pointer (&fuzz_dir, g_free);
}

/* Call once from LLVMFuzzerInitialize(). */
static void
fuzz_setup (gboolean with_dir)
{
  g_log_set_default_handler (fuzz_log, NULL);
  if (with_dir) {
    fuzz_dir = g_dir_make_tmp ("lstm-fuzz-XXXXXX", NULL);
    g_assert (fuzz_dir != NULL);
    atexit (fuzz_remove_dir);
  }
}

/* A path in the private folder (free it). */
static G_GNUC_UNUSED gchar *
fuzz_path (const gchar *name)
{
  return g_build_filename (fuzz_dir, name, NULL);
}

/* Writes @size bytes to @name in the private folder; returns its path. */
static G_GNUC_UNUSED gchar *
fuzz_write (const gchar *name, const void *data, gsize size)
{
  gchar *path = fuzz_path (name);
  FILE *f = fopen (path, "wb");

  /* not g_file_set_contents(): its fsync() would bound the speed */
  if (f == NULL || fwrite (data, 1, size, f) != size || fclose (f) != 0)
    g_error ("%s: cannot write", path);
  return path;
}
