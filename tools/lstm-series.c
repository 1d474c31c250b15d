/* lstm: CSV tables with a header row (time series, labelled frames)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-train-tool.h"

void
lstm_tool_table_free (LstmToolTable *table)
{
  if (table == NULL)
    return;
  g_free (table->path);
  g_strfreev (table->names);
  if (table->cells) {
    gsize i;
    for (i = 0; i < (gsize) table->n_rows * table->n_cols; i++)
      g_free (table->cells[i]);
    g_free (table->cells);
  }
  g_free (table->lines);
  g_free (table);
}

/* Splits a CSV line into trimmed cells, appended to @cells (newly
 * allocated strings). A cell may be double-quoted (for paths or names
 * holding commas), "" standing for a quote inside. FALSE for an
 * unterminated quote. Shared by tables (series) and manifests. */
gboolean
lstm_tool_csv_split (const gchar *line, GPtrArray *cells)
{
  const gchar *p = line;

  while (TRUE) {
    GString *cell = g_string_new (NULL);
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '"') {
      p++;
      while (TRUE) {
        if (*p == '\0') {
          g_string_free (cell, TRUE);
          return FALSE;
        }
        if (*p == '"' && p[1] == '"') {
          g_string_append_c (cell, '"');
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          g_string_append_c (cell, *p++);
        }
      }
      while (*p && *p != ',')
        p++;
    } else {
      while (*p && *p != ',')
        g_string_append_c (cell, *p++);
      g_strchomp (cell->str);
      g_string_set_size (cell, strlen (cell->str));
    }
    g_ptr_array_add (cells, g_string_free (cell, FALSE));
    if (*p != ',')
      return TRUE;
    p++;
  }
}

/**
 * lstm_tool_table_read:
 * @path: a CSV file: a header row of column names, then rows of cells;
 *   empty lines and lines starting with '#' are skipped
 *
 * Returns: the table, or %NULL with @error naming the file and line.
 */
LstmToolTable *
lstm_tool_table_read (const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) cells = g_ptr_array_new ();
  g_autoptr (GArray) line_nos = g_array_new (FALSE, FALSE, sizeof (guint));
  LstmToolTable *t;
  gsize len;
  guint i, j;

  if (!g_file_get_contents (path, &text, &len, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, local->message);
    return NULL;
  }
  if (strlen (text) != len) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not a text file (holds a NUL byte)", path);
    return NULL;
  }
  t = g_new0 (LstmToolTable, 1);
  t->path = g_strdup (path);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar *line = lines[i];
    g_autoptr (GPtrArray) row = g_ptr_array_new_with_free_func (g_free);
    g_auto (GStrv) f = NULL;
    guint n;

    g_strchomp (line);                      /* also drops a '\r' */
    if (*g_strchug (line) == '\0' || line[0] == '#')
      continue;
    if (!lstm_tool_csv_split (line, row)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: a quote is not closed", path, i + 1);
      goto fail;
    }
    g_ptr_array_add (row, NULL);
    f = (gchar **) g_ptr_array_steal (row, NULL);
    n = g_strv_length (f);
    if (t->names == NULL) {
      for (j = 0; j < n; j++) {
        if (f[j][0] == '\0') {
          g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
              "%s:%u: column %u of the header has no name", path, i + 1,
              j + 1);
          goto fail;
        }
      }
      t->names = g_steal_pointer (&f);
      t->n_cols = n;
      continue;
    }
    if (n != t->n_cols) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: %u cells, but the header names %u columns", path, i + 1, n,
          t->n_cols);
      goto fail;
    }
    for (j = 0; j < n; j++) {
      g_ptr_array_add (cells, f[j]);
      f[j] = NULL;
    }
    {
      guint no = i + 1;
      g_array_append_val (line_nos, no);
    }
  }
  if (t->names == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: empty: no header row", path);
    goto fail;
  }
  t->n_rows = line_nos->len;
  t->cells = (gchar **) g_ptr_array_free (g_steal_pointer (&cells), FALSE);
  t->lines = (guint *) (gpointer) g_array_free (g_steal_pointer (&line_nos),
      FALSE);
  return t;

fail:
  for (i = 0; i < cells->len; i++)
    g_free (cells->pdata[i]);
  lstm_tool_table_free (t);
  return NULL;
}

gint
lstm_tool_table_column (LstmToolTable *table, const gchar *name, GError **error)
{
  g_autofree gchar *known = NULL;
  guint i;

  for (i = 0; i < table->n_cols; i++)
    if (strcmp (table->names[i], name) == 0)
      return (gint) i;
  known = g_strjoinv (", ", table->names);
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
      "%s: unknown column '%s' (the columns are: %s)", table->path, name,
      known);
  return -1;
}

gint *
lstm_tool_table_columns (LstmToolTable *table, const gchar *list,
    const gint *exclude, guint n_exclude, guint *n_out, GError **error)
{
  g_autoptr (GArray) cols = g_array_new (FALSE, FALSE, sizeof (gint));
  guint i, k;

  if (list != NULL) {
    g_auto (GStrv) names = g_strsplit (list, ",", -1);
    for (i = 0; names[i]; i++) {
      gint c = lstm_tool_table_column (table, g_strstrip (names[i]), error);
      if (c < 0)
        return NULL;
      g_array_append_val (cols, c);
    }
  } else {
    for (i = 0; i < table->n_cols; i++) {
      gboolean skip = FALSE;
      for (k = 0; k < n_exclude; k++)
        skip = skip || exclude[k] == (gint) i;
      if (!skip) {
        gint c = (gint) i;
        g_array_append_val (cols, c);
      }
    }
  }
  if (cols->len == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: no input column left", table->path);
    return NULL;
  }
  *n_out = cols->len;
  return (gint *) (gpointer) g_array_free (g_steal_pointer (&cols), FALSE);
}

gboolean
lstm_tool_table_numbers (LstmToolTable *table, const gint *cols, guint n,
    float *out, GError **error)
{
  guint r, j;

  for (r = 0; r < table->n_rows; r++)
    for (j = 0; j < n; j++) {
      const gchar *cell = table->cells[(gsize) r * table->n_cols + cols[j]];
      gchar *end;
      double v = g_ascii_strtod (cell, &end);

      if (end == cell || *end != '\0') {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s:%u: column '%s': '%s' is not a number", table->path,
            table->lines[r], table->names[cols[j]], cell);
        return FALSE;
      }
      if (!isfinite (v) || !isfinite ((float) v)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s:%u: column '%s': %s in the series (values must be finite)",
            table->path, table->lines[r], table->names[cols[j]],
            isnan (v) ? "NaN" : "an infinite value");
        return FALSE;
      }
      out[(gsize) r * n + j] = (float) v;
    }
  return TRUE;
}
