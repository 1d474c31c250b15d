/* liblstm: label tracks (Audacity's export format)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lstm-private.h"

typedef struct {
  LstmLabelSpan span;
  guint line;
} Span;

struct _LstmLabelTrack {
  gchar *name;
  GArray *spans;        /* Span, sorted by start */
  GStringChunk *text;   /* the labels */
};

/**
 * lstm_label_track_free:
 * @track: (transfer full) (nullable): a label track
 */
void
lstm_label_track_free (LstmLabelTrack *track)
{
  if (track == NULL)
    return;
  g_free (track->name);
  g_array_unref (track->spans);
  g_string_chunk_free (track->text);
  g_free (track);
}

/* A time field: a finite, non-negative number and nothing else. */
static gboolean
parse_time (const gchar *field, double *out)
{
  gchar *end;
  double v;

  while (*field == ' ')
    field++;
  v = g_ascii_strtod (field, &end);
  if (end == field)
    return FALSE;
  while (*end == ' ')
    end++;
  if (*end != '\0' || !isfinite (v) || v < 0)
    return FALSE;
  *out = v;
  return TRUE;
}

static gint
compare_spans (gconstpointer a, gconstpointer b)
{
  const Span *sa = a, *sb = b;
  if (sa->span.start != sb->span.start)
    return sa->span.start < sb->span.start ? -1 : 1;
  if (sa->span.end != sb->span.end)
    return sa->span.end < sb->span.end ? -1 : 1;
  return 0;
}

/**
 * lstm_label_track_parse:
 * @text: the file's contents
 * @length: bytes in @text, or -1 if it is NUL-terminated
 * @name: (nullable): a name for error messages, such as the file name
 * @error: return location for a #GError
 *
 * Parses a label track: `start end label` per line, TAB- or
 * comma-separated (the label is the rest of the line, so it may contain
 * spaces; with commas, it may not contain a comma). Errors name the line:
 * a time that is not a non-negative number, an end before its start, an
 * empty label, two stretches that overlap.
 *
 * Returns: (transfer full): the track, or %NULL with @error set.
 */
LstmLabelTrack *
lstm_label_track_parse (const gchar *text, gssize length, const gchar *name,
    GError **error)
{
  g_autoptr (LstmLabelTrack) track = g_new0 (LstmLabelTrack, 1);
  g_autofree gchar *copy = NULL;
  g_auto (GStrv) lines = NULL;
  guint i, n_content = 0;

  g_return_val_if_fail (text != NULL, NULL);
  track->name = g_strdup (name ? name : "(labels)");
  track->spans = g_array_new (FALSE, FALSE, sizeof (Span));
  track->text = g_string_chunk_new (256);
  copy = length < 0 ? g_strdup (text) : g_strndup (text, length);
  if (length >= 0 && strlen (copy) != (gsize) length) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: holds a NUL byte: not a text label track", track->name);
    return NULL;
  }
  if (!g_utf8_validate (copy, -1, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not UTF-8 text", track->name);
    return NULL;
  }
  lines = g_strsplit (copy, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = lines[i];
    gchar sep;
    gchar **f;
    Span s = { { 0 }, i + 1 };
    gboolean times_ok;

    g_strchomp (line);          /* also drops a CR of CRLF files */
    if (*line == '\0' || *line == '\\' || *line == '#')
      continue;
    sep = strchr (line, '\t') ? '\t' : ',';
    f = g_strsplit_set (line, sep == '\t' ? "\t" : ",", 3);
    times_ok = g_strv_length (f) >= 2 && parse_time (f[0], &s.span.start) &&
        parse_time (f[1], &s.span.end);
    if (!times_ok && n_content == 0) {
      /* a header line of column names */
      g_strfreev (f);
      n_content++;
      continue;
    }
    n_content++;
    if (!times_ok) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: expected 'start end label' with times in seconds "
          "(non-negative numbers)", track->name, i + 1);
      g_strfreev (f);
      return NULL;
    }
    if (s.span.end < s.span.start) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: ends (%g s) before it starts (%g s)", track->name, i + 1,
          s.span.end, s.span.start);
      g_strfreev (f);
      return NULL;
    }
    if (f[2] == NULL || *g_strstrip (f[2]) == '\0') {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: the label is missing", track->name, i + 1);
      g_strfreev (f);
      return NULL;
    }
    s.span.label = g_string_chunk_insert_const (track->text, f[2]);
    g_strfreev (f);
    g_array_append_val (track->spans, s);
  }
  g_array_sort (track->spans, compare_spans);
  for (i = 1; i < track->spans->len; i++) {
    Span *a = &g_array_index (track->spans, Span, i - 1);
    Span *b = &g_array_index (track->spans, Span, i);
    if (b->span.start < a->span.end) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: '%s' (%g-%g s) overlaps '%s' on line %u (%g-%g s)",
          track->name, b->line, b->span.label, b->span.start, b->span.end,
          a->span.label, a->line, a->span.start, a->span.end);
      return NULL;
    }
  }
  return g_steal_pointer (&track);
}

/**
 * lstm_label_track_load:
 * @path: a label track file
 * @error: return location for a #GError
 *
 * Reads and parses a label track; see lstm_label_track_parse().
 *
 * Returns: (transfer full): the track, or %NULL with @error set.
 */
LstmLabelTrack *
lstm_label_track_load (const gchar *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, &len, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, local->message);
    return NULL;
  }
  return lstm_label_track_parse (text, (gssize) len, path, error);
}

/**
 * lstm_label_track_get_n_spans:
 * @track: a label track
 *
 * Returns: the number of labelled stretches.
 */
guint
lstm_label_track_get_n_spans (LstmLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, 0);
  return track->spans->len;
}

/**
 * lstm_label_track_get_span:
 * @track: a label track
 * @index: below lstm_label_track_get_n_spans()
 *
 * Returns: (transfer none): the stretch, in start-time order.
 */
const LstmLabelSpan *
lstm_label_track_get_span (LstmLabelTrack *track, guint index)
{
  g_return_val_if_fail (track != NULL, NULL);
  g_return_val_if_fail (index < track->spans->len, NULL);
  return &g_array_index (track->spans, Span, index).span;
}

/**
 * lstm_label_track_get_end:
 * @track: a label track
 *
 * Returns: the end of the last stretch, in seconds (0 if there is none).
 */
double
lstm_label_track_get_end (LstmLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, 0);
  if (track->spans->len == 0)
    return 0;
  return g_array_index (track->spans, Span, track->spans->len - 1).span.end;
}

/**
 * lstm_label_track_lookup:
 * @track: a label track
 * @time: a time in seconds
 *
 * Finds the stretch holding @time (start <= time < end).
 *
 * Returns: (nullable): its label, or %NULL where nothing is labelled.
 */
const gchar *
lstm_label_track_lookup (LstmLabelTrack *track, double time)
{
  guint lo = 0, hi;

  g_return_val_if_fail (track != NULL, NULL);
  hi = track->spans->len;
  /* the last span starting at or before @time */
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index (track->spans, Span, mid).span.start <= time)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  {
    const LstmLabelSpan *s = &g_array_index (track->spans, Span, lo - 1).span;
    return time < s->end ? s->label : NULL;
  }
}

/**
 * lstm_label_name:
 * @label: (nullable): the label of class @index, or %NULL when it has none
 * @index: a class index, or %LSTM_LABEL_UNKNOWN
 *
 * The name of a class as `lstm run`, `lstm eval` and the lstminfer element
 * show it: `unknown` for %LSTM_LABEL_UNKNOWN (a score below the
 * threshold), else @label, else `classN` (N = @index).
 *
 * Returns: (transfer none): @label, or an interned string valid for the
 *   life of the process.
 */
const gchar *
lstm_label_name (const gchar *label, guint index)
{
  gchar name[32];

  if (index == LSTM_LABEL_UNKNOWN)
    return g_intern_static_string ("unknown");
  if (label != NULL)
    return label;
  g_snprintf (name, sizeof name, "class%u", index);
  return g_intern_string (name);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/**
 * lstm_label_tracks_get_classes:
 * @tracks: (array length=n_tracks) (nullable): label tracks
 * @n_tracks: how many
 * @extra: (array zero-terminated=1) (nullable): more labels to include
 *   (a background label for frames outside the stretches, the labels of
 *   whole clips)
 *
 * The class list of a classifier that learns from label tracks: the
 * distinct labels of every stretch of @tracks and of @extra, sorted by
 * strcmp(). A label's index in the list is its class index.
 *
 * Returns: (transfer full) (array zero-terminated=1): the labels (possibly
 *   none); free with g_strfreev().
 */
gchar **
lstm_label_tracks_get_classes (LstmLabelTrack *const *tracks, guint n_tracks,
    const gchar *const *extra)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  gchar **out;
  guint i, k;

  g_return_val_if_fail (tracks != NULL || n_tracks == 0, NULL);
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    if (g_hash_table_add (seen, (gpointer) extra[i]))
      g_ptr_array_add (names, (gpointer) extra[i]);
  for (i = 0; i < n_tracks; i++) {
    g_return_val_if_fail (tracks[i] != NULL, NULL);
    for (k = 0; k < tracks[i]->spans->len; k++) {
      const gchar *l = g_array_index (tracks[i]->spans, Span, k).span.label;
      if (g_hash_table_add (seen, (gpointer) l))
        g_ptr_array_add (names, (gpointer) l);
    }
  }
  if (names->len > 1)
    qsort (names->pdata, names->len, sizeof (gpointer), cmp_str);
  out = g_new0 (gchar *, names->len + 1);
  for (k = 0; k < names->len; k++)
    out[k] = g_strdup (names->pdata[k]);
  return out;
}
