/* lstm: output files written to a temporary file and renamed into place
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A file the tool writes appears under its name only once complete: the
 * data go to a temporary file in the same folder (.NAME.XXXXXX), which is
 * flushed, synced and renamed over NAME at the end. Until then an older
 * NAME stays as it was. SIGINT, SIGTERM and SIGHUP remove the temporary
 * files still open before the tool dies of the signal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "lstm-tool.h"

#define MAX_TMP 8

/* The temporary files in progress, for the signal handler: fixed storage,
 * read there with nothing but unlink(). */
static char tmp_paths[MAX_TMP][PATH_MAX];
static volatile sig_atomic_t tmp_used[MAX_TMP];
static gboolean handlers_installed;

static void
on_signal (int sig)
{
  int i;

  for (i = 0; i < MAX_TMP; i++)
    if (tmp_used[i])
      unlink (tmp_paths[i]);
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
install_handlers (void)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  struct sigaction sa;
  guint i;

  if (handlers_installed)
    return;
  handlers_installed = TRUE;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  for (i = 0; i < G_N_ELEMENTS (sigs); i++) {
    struct sigaction old;
    /* leave alone a signal the caller ignores (nohup) */
    if (sigaction (sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
      continue;
    sigaction (sigs[i], &sa, NULL);
  }
}

/* Remembers @tmp for removal on SIGINT/SIGTERM/SIGHUP; FALSE when too many
 * are open or the name is too long (the file is then only removed by the
 * tool's own error paths). */
gboolean
lstm_tool_tmp_register (const gchar *tmp)
{
  int i;

  install_handlers ();
  if (strlen (tmp) >= PATH_MAX)
    return FALSE;
  for (i = 0; i < MAX_TMP; i++)
    if (!tmp_used[i]) {
      strcpy (tmp_paths[i], tmp);
      tmp_used[i] = 1;
      return TRUE;
    }
  return FALSE;
}

void
lstm_tool_tmp_unregister (const gchar *tmp)
{
  int i;

  for (i = 0; i < MAX_TMP; i++)
    if (tmp_used[i] && strcmp (tmp_paths[i], tmp) == 0)
      tmp_used[i] = 0;
}

/**
 * lstm_tool_tmp_create:
 * @tmpl: a g_mkstemp() template, replaced by the file's name
 * @flags: open() flags besides O_CREAT | O_EXCL
 * @mode: the new file's mode
 *
 * g_mkstemp_full() with the new file registered for removal on a signal,
 * with no signal handled in between (one there would leave it behind).
 *
 * Returns: the open descriptor, or -1 with errno set.
 */
int
lstm_tool_tmp_create (gchar *tmpl, int flags, int mode)
{
  sigset_t block, old;
  int fd, saved;

  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGTERM);
  sigaddset (&block, SIGHUP);
  install_handlers ();
  pthread_sigmask (SIG_BLOCK, &block, &old);
  fd = g_mkstemp_full (tmpl, flags, mode);
  saved = errno;
  /* FALSE only when too many are open: then only error paths remove it */
  if (fd >= 0)
    lstm_tool_tmp_register (tmpl);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  errno = saved;
  return fd;
}

/* Opens a temporary file beside @path for writing, with the mode @path has
 * (or a new file's: 0666 less the umask); @tmp_out gets its name. A @path
 * that exists and is not a regular file (/dev/null, a FIFO) is opened
 * itself: @tmp_out is then NULL. */
FILE *
lstm_tool_atomic_open (const gchar *path, gchar **tmp_out, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *base = g_path_get_basename (path);
  g_autofree gchar *name = g_strdup_printf (".%s.XXXXXX", base);
  gchar *tmp = g_build_filename (dir, name, NULL);
  struct stat st;
  mode_t mode, mask;
  FILE *fp;
  int fd;

  *tmp_out = NULL;
  if (stat (path, &st) == 0 && !S_ISREG (st.st_mode)) {
    g_free (tmp);
    if (S_ISDIR (st.st_mode)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: is a directory",
          path);
      return NULL;
    }
    fp = fopen (path, "wb");
    if (fp == NULL) {
      int saved = errno;
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot create: %s",
          path, g_strerror (saved));
    }
    return fp;
  }
  if (stat (path, &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    mask = umask (0);
    umask (mask);
    mode = 0666 & ~mask;
  }
  fd = lstm_tool_tmp_create (tmp, O_WRONLY, 0600);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot create: %s",
        path, g_strerror (saved));
    g_free (tmp);
    return NULL;
  }
  if (fchmod (fd, mode) != 0 || (fp = fdopen (fd, "wb")) == NULL) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot create: %s",
        path, g_strerror (saved));
    close (fd);
    g_unlink (tmp);
    lstm_tool_tmp_unregister (tmp);
    g_free (tmp);
    return NULL;
  }
  *tmp_out = tmp;
  return fp;
}

/* Closes @fp; with @commit, syncs it and renames @tmp over @path, else
 * removes @tmp. Returns FALSE with @error set when a step of the commit
 * fails (the temporary file is then removed too). */
gboolean
lstm_tool_atomic_close (FILE *fp, gchar *tmp, const gchar *path,
    gboolean commit, GError **error)
{
  gboolean ok = TRUE;
  int saved = 0;

  if (commit && (fflush (fp) != 0 || fsync (fileno (fp)) != 0)) {
    saved = errno;
    ok = FALSE;
  }
  if (fclose (fp) != 0 && ok) {
    saved = errno;
    ok = FALSE;
  }
  if (tmp != NULL) {
    if (commit && ok && rename (tmp, path) != 0) {
      saved = errno;
      ok = FALSE;
    }
    if (!commit || !ok)
      g_unlink (tmp);
    lstm_tool_tmp_unregister (tmp);
    g_free (tmp);
  }
  if (commit && !ok)
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: write error: %s",
        path, g_strerror (saved));
  return ok || !commit;
}
