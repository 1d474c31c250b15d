/* Tests: running the `lstm` command-line tool ($LSTM_TOOL).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint tool_run (const gchar *cwd, const gchar *const *args, gchar **out,
    gchar **err);
gint tool_run_va (const gchar *cwd, gchar **out, gchar **err,
    const gchar *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
