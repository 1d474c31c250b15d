/* lstm: character text for char-level models
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lstm-train-tool.h"

void
lstm_tool_text_free (LstmToolText *text)
{
  if (text == NULL)
    return;
  g_free (text->chars);
  g_free (text);
}

LstmToolText *
lstm_tool_text_read (const gchar *path, GError **error)
{
  g_autofree gchar *raw = NULL;
  g_autoptr (GError) local = NULL;
  const gchar *bad = NULL;
  LstmToolText *t;
  gsize len;
  glong n;

  if (!g_file_get_contents (path, &raw, &len, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, local->message);
    return NULL;
  }
  if (!g_utf8_validate_len (raw, len, &bad)) {
    const gchar *p;
    guint line = 1;
    for (p = raw; p < bad; p++)
      line += *p == '\n';
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s:%u: not valid UTF-8 text (byte offset %" G_GSIZE_FORMAT ")",
        path, line, (gsize) (bad - raw));
    return NULL;
  }
  if (len == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the text is empty", path);
    return NULL;
  }
  t = g_new0 (LstmToolText, 1);
  t->chars = g_utf8_to_ucs4_fast (raw, (glong) len, &n);
  t->n = (gsize) n;
  return t;
}

static int
cmp_unichar (const void *a, const void *b)
{
  gunichar x = *(const gunichar *) a, y = *(const gunichar *) b;
  return x < y ? -1 : x > y;
}

gchar **
lstm_tool_text_vocabulary (const LstmToolText *text)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr (GArray) chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  gchar **labels;
  gsize i;

  for (i = 0; i < text->n; i++) {
    gpointer key = GUINT_TO_POINTER (text->chars[i] + 1);
    if (!g_hash_table_contains (seen, key)) {
      g_hash_table_add (seen, key);
      g_array_append_val (chars, text->chars[i]);
    }
  }
  qsort (chars->data, chars->len, sizeof (gunichar), cmp_unichar);
  labels = g_new0 (gchar *, chars->len + 1);
  for (i = 0; i < chars->len; i++) {
    gchar buf[8] = { 0 };
    g_unichar_to_utf8 (g_array_index (chars, gunichar, i), buf);
    labels[i] = g_strdup (buf);
  }
  return labels;
}

guint *
lstm_tool_text_encode (const LstmToolText *text, const gchar *const *labels,
    const gchar *path, GError **error)
{
  g_autoptr (GHashTable) index = g_hash_table_new (NULL, NULL);
  g_autofree guint *out = g_new (guint, MAX (text->n, 1));
  guint i, line = 1, col = 1;
  gsize k;

  for (i = 0; labels[i]; i++)
    g_hash_table_insert (index, GUINT_TO_POINTER (g_utf8_get_char
            (labels[i]) + 1), GUINT_TO_POINTER (i + 1));
  for (k = 0; k < text->n; k++) {
    guint v = GPOINTER_TO_UINT (g_hash_table_lookup (index,
            GUINT_TO_POINTER (text->chars[k] + 1)));
    if (v == 0) {
      gchar buf[8] = { 0 };
      g_unichar_to_utf8 (text->chars[k], buf);
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u:%u: character '%s' (U+%04X) is not in the model's "
          "vocabulary", path, line, col, g_unichar_isprint (text->chars[k]) ?
          buf : "?", text->chars[k]);
      return NULL;
    }
    out[k] = v - 1;
    if (text->chars[k] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return g_steal_pointer (&out);
}

gboolean
lstm_tool_is_char_model (LstmModel *model, GError **error)
{
  const gchar *const *labels = lstm_model_get_labels (model);
  guint n = lstm_model_get_output_size (model), i;

  if (labels == NULL || lstm_model_get_input_size (model) != n) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not a character model (one-hot characters in and out, named "
        "by its labels; 'lstm train --text' makes them)",
        lstm_model_get_name (model));
    return FALSE;
  }
  for (i = 0; i < n; i++)
    if (g_utf8_strlen (labels[i], -1) != 1) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: not a character model: label %u ('%s') is not one "
          "character", lstm_model_get_name (model), i, labels[i]);
      return FALSE;
    }
  return TRUE;
}
