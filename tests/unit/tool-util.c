/* Tests: running the `lstm` command-line tool ($LSTM_TOOL).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <sys/wait.h>

#include "tool-util.h"

/**
 * tool_run:
 * @cwd: (nullable): the folder to run in; %NULL: the test's own
 * @args: %NULL-terminated arguments after `lstm`
 * @out: (nullable): receives standard output, replacing (and freeing) what
 *   it held
 * @err: (nullable): receives standard error, likewise; when %NULL, standard
 *   error goes to the test log
 *
 * Returns: the tool's exit status. A tool killed by a signal fails the test.
 */
gint
tool_run (const gchar *cwd, const gchar *const *args, gchar **out,
    gchar **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const gchar *tool = g_getenv ("LSTM_TOOL");
  gchar *o = NULL, *e = NULL;
  gint status = 0;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (cwd, (gchar **) argv->pdata, NULL,
          G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error));
  g_assert_no_error (error);
  if (!WIFEXITED (status))
    g_error ("lstm did not exit normally (wait status %d); stderr: %s",
        status, e);
  if (out) {
    g_free (*out);
    *out = o;
  } else {
    g_free (o);
  }
  if (err) {
    g_free (*err);
    *err = e;
  } else {
    if (e && *e)
      g_test_message ("lstm: %s", e);
    g_free (e);
  }
  return WEXITSTATUS (status);
}

/**
 * tool_run_va:
 * @cwd: (nullable): as for tool_run()
 * @out: (nullable): as for tool_run()
 * @err: (nullable): as for tool_run()
 * @first: the first argument after `lstm`, then more, then %NULL
 *
 * Returns: the tool's exit status.
 */
gint
tool_run_va (const gchar *cwd, gchar **out, gchar **err, const gchar *first,
    ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const gchar *a;
  va_list ap;

  va_start (ap, first);
  for (a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return tool_run (cwd, (const gchar * const *) args->pdata, out, err);
}
