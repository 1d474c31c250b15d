/* liblstm: the one JSON writer: model metadata, feature configurations,
 * training records and checkpoints
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Compact JSON (no spaces) with one number format: a double is written in
 * the shortest of %.15g, %.16g and %.17g that reads back to the same value,
 * with ".0" when that looks like an integer (so it reads back as a
 * double), and as null when it is not finite. json-glib 1.6's generator
 * would print 1e-10 as "1e-10.0" (invalid) and 0.42 as
 * 0.41999999999999998, which is why the library writes its own.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-private.h"

struct _LstmJsonWriter {
  GString *s;
};

/**
 * lstm_json_writer_new: (skip)
 *
 * Returns: (transfer full): an empty writer; the first call adds the
 * top-level value (begin an object or an array).
 */
LstmJsonWriter *
lstm_json_writer_new (void)
{
  LstmJsonWriter *w = g_new0 (LstmJsonWriter, 1);
  w->s = g_string_new (NULL);
  return w;
}

/**
 * lstm_json_writer_finish: (skip)
 * @w: (transfer full): a writer whose containers are all closed
 *
 * Returns: (transfer full): the JSON text; @w is freed.
 */
gchar *
lstm_json_writer_finish (LstmJsonWriter *w)
{
  gchar *text = g_string_free (w->s, FALSE);
  g_free (w);
  return text;
}

/* A separator when something stands before in the container, then the
 * member name (NULL in arrays and for the top-level value). */
static void
put_key (LstmJsonWriter *w, const gchar *key)
{
  GString *s = w->s;

  if (s->len > 0 && s->str[s->len - 1] != '{' && s->str[s->len - 1] != '[')
    g_string_append_c (s, ',');
  if (key != NULL) {
    lstm_json_append_string (s, key);
    g_string_append_c (s, ':');
  }
}

/**
 * lstm_json_append_string: (skip)
 * @s: where to append
 * @v: UTF-8 text
 *
 * Appends @v as a JSON string: quotes, backslashes, control characters
 * and DEL escaped, as json-glib's generator escapes them (which leaves
 * 0x1f, invalid in JSON, as it is: here it is escaped too).
 */
void
lstm_json_append_string (GString *s, const gchar *v)
{
  const guchar *p;

  g_string_append_c (s, '"');
  for (p = (const guchar *) v; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\b':
        g_string_append (s, "\\b");
        break;
      case '\f':
        g_string_append (s, "\\f");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf (s, "\\u%04x", *p);
        else
          g_string_append_c (s, (gchar) *p);
    }
  }
  g_string_append_c (s, '"');
}

/**
 * lstm_json_begin_object: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array or at the top
 */
void
lstm_json_begin_object (LstmJsonWriter *w, const gchar *key)
{
  put_key (w, key);
  g_string_append_c (w->s, '{');
}

/**
 * lstm_json_end_object: (skip)
 * @w: a writer
 */
void
lstm_json_end_object (LstmJsonWriter *w)
{
  g_string_append_c (w->s, '}');
}

/**
 * lstm_json_begin_array: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array or at the top
 */
void
lstm_json_begin_array (LstmJsonWriter *w, const gchar *key)
{
  put_key (w, key);
  g_string_append_c (w->s, '[');
}

/**
 * lstm_json_end_array: (skip)
 * @w: a writer
 */
void
lstm_json_end_array (LstmJsonWriter *w)
{
  g_string_append_c (w->s, ']');
}

/**
 * lstm_json_add_string: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array
 * @v: (nullable): the text, or %NULL for null
 */
void
lstm_json_add_string (LstmJsonWriter *w, const gchar *key, const gchar *v)
{
  put_key (w, key);
  if (v != NULL)
    lstm_json_append_string (w->s, v);
  else
    g_string_append (w->s, "null");
}

/**
 * lstm_json_add_int: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array
 * @v: the value
 */
void
lstm_json_add_int (LstmJsonWriter *w, const gchar *key, gint64 v)
{
  put_key (w, key);
  g_string_append_printf (w->s, "%" G_GINT64_FORMAT, v);
}

/**
 * lstm_json_add_bool: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array
 * @v: the value
 */
void
lstm_json_add_bool (LstmJsonWriter *w, const gchar *key, gboolean v)
{
  put_key (w, key);
  g_string_append (w->s, v ? "true" : "false");
}

/**
 * lstm_json_format_double: (skip)
 * @v: a finite double
 * @buf: (out caller-allocates): room for %G_ASCII_DTOSTR_BUF_SIZE bytes
 *
 * The library's one number format: the shortest of %.15g, %.16g and %.17g
 * that reads back to @v, with ".0" when it would read as an integer.
 */
void
lstm_json_format_double (double v, gchar *buf)
{
  static const gchar *const formats[] = { "%.15g", "%.16g", "%.17g" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE - 2, formats[i], v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  if (strpbrk (buf, ".eEn") == NULL)
    strcat (buf, ".0");
}

/**
 * lstm_json_add_double: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array
 * @v: the value; not finite: null
 */
void
lstm_json_add_double (LstmJsonWriter *w, const gchar *key, double v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  put_key (w, key);
  if (!isfinite (v)) {
    g_string_append (w->s, "null");
    return;
  }
  lstm_json_format_double (v, buf);
  g_string_append (w->s, buf);
}

/**
 * lstm_json_add_raw: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array
 * @json: a JSON value the caller has checked
 */
void
lstm_json_add_raw (LstmJsonWriter *w, const gchar *key, const gchar *json)
{
  put_key (w, key);
  g_string_append (w->s, json);
}

/**
 * lstm_json_add_node: (skip)
 * @w: a writer
 * @key: (nullable): the member name, or %NULL in an array or at the top
 * @node: a parsed JSON value (json-glib's), written in the writer's own
 *   format (json-glib 1.6's generator writes some doubles as invalid JSON)
 */
void
lstm_json_add_node (LstmJsonWriter *w, const gchar *key, JsonNode *node)
{
  switch (json_node_get_node_type (node)) {
    case JSON_NODE_OBJECT:{
      JsonObjectIter it;
      const gchar *name;
      JsonNode *member;

      lstm_json_begin_object (w, key);
      json_object_iter_init (&it, json_node_get_object (node));
      while (json_object_iter_next (&it, &name, &member))
        lstm_json_add_node (w, name, member);
      lstm_json_end_object (w);
      break;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *a = json_node_get_array (node);
      guint i;

      lstm_json_begin_array (w, key);
      for (i = 0; i < json_array_get_length (a); i++)
        lstm_json_add_node (w, NULL, json_array_get_element (a, i));
      lstm_json_end_array (w);
      break;
    }
    case JSON_NODE_NULL:
      lstm_json_add_string (w, key, NULL);
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          lstm_json_add_int (w, key, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          lstm_json_add_double (w, key, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          lstm_json_add_bool (w, key, json_node_get_boolean (node));
          break;
        default:
          lstm_json_add_string (w, key, json_node_get_string (node));
          break;
      }
      break;
  }
}
