/* libFuzzer target: the CSV files of the `lstm` tool: audio manifests
 * (lstm_tool_manifest_read(), tools/lstm-manifest.c) and CSV tables
 * (lstm_tool_table_read(), tools/lstm-series.c). The first byte picks the
 * parser (even: manifest, odd: table), the rest is the file. The manifest's
 * folder holds a label track `track.txt` and a file `clip.wav`, so that
 * rows naming them resolve.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "lstm-train-tool.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  static const gchar track[] = "0.5\t1.5\tspeech\n2.0\t2.5\tmusic\n";
  g_autofree gchar *t = NULL, *w = NULL;

  (void) argc;
  (void) argv;
  fuzz_setup (TRUE);
  t = fuzz_write ("track.txt", track, sizeof track - 1);
  w = fuzz_write ("clip.wav", "RIFF", 4);
  return 0;
}

static void
manifest (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmToolManifest) m = lstm_tool_manifest_read (path, &error);
  g_auto (GStrv) labels = NULL;
  guint i;

  if (m == NULL) {
    g_assert (error != NULL && error->message != NULL);
    return;
  }
  g_assert (m->n_rows > 0);
  for (i = 0; i < m->n_rows; i++)
    g_assert (m->rows[i].audio != NULL &&
        (m->rows[i].label != NULL) != (m->rows[i].track != NULL));
  labels = lstm_tool_manifest_labels (m, "background");
  g_assert (labels != NULL);
  g_assert (lstm_tool_manifest_check_labels (m, (const gchar * const *)
          labels, NULL));
}

static void
table (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmToolTable) t = lstm_tool_table_read (path, &error);
  g_autofree gint *cols = NULL;
  g_autofree float *values = NULL;
  guint n = 0;

  if (t == NULL) {
    g_assert (error != NULL && error->message != NULL);
    return;
  }
  g_assert (t->n_cols > 0);
  (void) lstm_tool_table_column (t, "value", NULL);
  cols = lstm_tool_table_columns (t, NULL, NULL, 0, &n, NULL);
  if (cols == NULL || n == 0 || (gsize) t->n_rows * n > (1u << 24))
    return;
  values = g_new (float, (gsize) t->n_rows * n);
  if (lstm_tool_table_numbers (t, cols, n, values, NULL)) {
    guint i;
    for (i = 0; i < t->n_rows * n; i++)
      g_assert (isfinite (values[i]));
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *path = NULL;

  if (size < 1)
    return 0;
  path = fuzz_write ("input.csv", data + 1, size - 1);
  if (data[0] & 1)
    table (path);
  else
    manifest (path);
  return 0;
}
