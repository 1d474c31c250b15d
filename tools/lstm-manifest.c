/* lstm: audio manifests for lstm train and lstm eval: clips with one label
 * each, or recordings with a label track each, turned into feature frames
 * and targets
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <sndfile.h>

#include "lstm-train-tool.h"

void
lstm_tool_manifest_free (LstmToolManifest *m)
{
  guint i;

  if (m == NULL)
    return;
  for (i = 0; i < m->n_rows; i++) {
    g_free (m->rows[i].audio);
    g_free (m->rows[i].label);
    g_free (m->rows[i].track_path);
    g_clear_pointer (&m->rows[i].track, lstm_label_track_free);
  }
  g_free (m->rows);
  g_free (m->path);
  g_free (m);
}

/* Whether a second cell names a label track rather than a class. */
static gboolean
is_track_cell (const gchar *cell)
{
  g_autofree gchar *lower = g_ascii_strdown (cell, -1);
  return g_str_has_suffix (lower, ".txt") || g_str_has_suffix (lower, ".csv")
      || g_str_has_suffix (lower, ".tsv");
}

static gchar *
resolve (const gchar *dir, const gchar *cell)
{
  if (g_path_is_absolute (cell) || strcmp (dir, ".") == 0)
    return g_strdup (cell);
  return g_build_filename (dir, cell, NULL);
}

/**
 * lstm_tool_manifest_read:
 * @path: a manifest: one `path,label` or `path,labels.txt` row per audio
 *   file
 *
 * Reads a manifest. Cells are separated by commas (double quotes allowed
 * around a cell); blank lines and lines starting with '#' are skipped; a
 * first row whose first cell is neither an audio file name (by extension)
 * nor an existing file is a header. A second cell ending in .txt, .csv or
 * .tsv names a label track (read and checked here), anything else is the
 * clip's class. Relative paths are taken from the manifest's folder. A
 * manifest holds one kind of row only.
 *
 * Returns: the manifest, or %NULL with @error naming the file and line.
 */
LstmToolManifest *
lstm_tool_manifest_read (const gchar *path, GError **error)
{
  g_autoptr (LstmToolManifest) m = g_new0 (LstmToolManifest, 1);
  g_autoptr (GError) local = NULL;
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE,
      sizeof (LstmToolManifestRow));
  g_autofree gchar *text = NULL, *dir = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean seen_data = FALSE;
  guint i, first_line = 0;
  gsize len;

  m->path = g_strdup (path);
  if (!g_file_get_contents (path, &text, &len, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, local->message);
    return NULL;
  }
  if (strlen (text) != len || !g_utf8_validate (text, -1, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not a UTF-8 text manifest", path);
    return NULL;
  }
  dir = g_path_get_dirname (path);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
    gchar *line = g_strstrip (lines[i]);        /* drops a CR too */
    LstmToolManifestRow row = { 0 };
    const gchar *a, *b;
    gboolean track;

    if (*line == '\0' || *line == '#')
      continue;
    if (!lstm_tool_csv_split (line, cells)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: a quote is not closed", path, i + 1);
      goto fail;
    }
    a = cells->pdata[0];
    b = cells->len > 1 ? cells->pdata[1] : "";
    if (!seen_data) {
      g_autofree gchar *full = resolve (dir, a);
      seen_data = TRUE;
      if (!lstm_tool_is_audio_path (a) && !g_file_test (full,
              G_FILE_TEST_EXISTS))
        continue;                       /* a header row */
    }
    if (cells->len != 2) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: %u cell%s: a row is 'audio,label' or 'audio,labels.txt' "
          "(quote a path that holds a comma)", path, i + 1, cells->len,
          cells->len == 1 ? "" : "s");
      goto fail;
    }
    if (*a == '\0' || *b == '\0') {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: the %s is empty", path, i + 1,
          *a == '\0' ? "audio path" : "label");
      goto fail;
    }
    track = is_track_cell (b);
    if (rows->len == 0) {
      m->kind = track ? LSTM_TOOL_MANIFEST_TRACKS : LSTM_TOOL_MANIFEST_CLIPS;
      first_line = i + 1;
    } else if (track != (m->kind == LSTM_TOOL_MANIFEST_TRACKS)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: %s '%s', but line %u gives %s: a manifest lists either "
          "clips with a label each or recordings with a label track each, "
          "not both", path, i + 1, track ? "a label track" : "a clip label",
          b, first_line, track ? "a clip label" :
          "a label track (a second cell ending in .txt, .csv or .tsv)");
      goto fail;
    }
    row.line = i + 1;
    row.audio = resolve (dir, a);
    if (track) {
      g_autoptr (GError) tl_error = NULL;
      row.track_path = resolve (dir, b);
      row.track = lstm_label_track_load (row.track_path, &tl_error);
      if (row.track == NULL) {
        g_set_error (error, LSTM_ERROR, tl_error->code, "%s:%u: %s", path,
            i + 1, tl_error->message);
        g_free (row.audio);
        g_free (row.track_path);
        goto fail;
      }
    } else {
      row.label = g_strdup (b);
    }
    g_array_append_val (rows, row);
  }
  if (rows->len == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: empty dataset: no audio rows", path);
    goto fail;
  }
  m->n_rows = rows->len;
  m->rows = (LstmToolManifestRow *) (gpointer) g_array_free (g_steal_pointer
      (&rows), FALSE);
  return g_steal_pointer (&m);

fail:
  m->n_rows = rows->len;
  m->rows = (LstmToolManifestRow *) (gpointer) g_array_free (g_steal_pointer
      (&rows), FALSE);
  return NULL;
}

/**
 * lstm_tool_manifest_labels:
 * @background: (nullable): a label for frames outside the stretches
 *
 * Returns: the distinct labels of the manifest's rows (clips) or stretches
 * (tracks), @background included, sorted by strcmp().
 */
gchar **
lstm_tool_manifest_labels (LstmToolManifest *m, const gchar *background)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new ();
  g_autoptr (GPtrArray) extra = g_ptr_array_new ();
  guint i;

  if (background && m->kind == LSTM_TOOL_MANIFEST_TRACKS)
    g_ptr_array_add (extra, (gpointer) background);
  for (i = 0; i < m->n_rows; i++) {
    LstmToolManifestRow *r = &m->rows[i];
    if (r->track == NULL)
      g_ptr_array_add (extra, r->label);
    else
      g_ptr_array_add (tracks, r->track);
  }
  g_ptr_array_add (extra, NULL);
  return lstm_label_tracks_get_classes ((LstmLabelTrack * const *)
      tracks->pdata, tracks->len, (const gchar * const *) extra->pdata);
}

/**
 * lstm_tool_manifest_check_labels:
 * @labels: the classes a model knows
 *
 * Fails, naming the manifest line (and for a track the stretch), at the
 * first label that is not one of @labels.
 */
gboolean
lstm_tool_manifest_check_labels (LstmToolManifest *m,
    const gchar *const *labels, GError **error)
{
  guint i, k;

  for (i = 0; i < m->n_rows; i++) {
    LstmToolManifestRow *r = &m->rows[i];
    if (r->track == NULL) {
      if (!g_strv_contains (labels, r->label)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "%s:%u: unknown label '%s' (not one of the model's labels)",
            m->path, r->line, r->label);
        return FALSE;
      }
      continue;
    }
    for (k = 0; k < lstm_label_track_get_n_spans (r->track); k++) {
      const LstmLabelSpan *s = lstm_label_track_get_span (r->track, k);
      if (!g_strv_contains (labels, s->label)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "%s:%u: %s: unknown label '%s' at %g-%g s (not one of the "
            "model's labels)", m->path, r->line, r->track_path, s->label,
            s->start, s->end);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/**
 * lstm_tool_manifest_frame_centre:
 *
 * The time, in seconds, a frame stands for when it is matched against a
 * label track: the centre of its window (window start + window / 2, at
 * the features' sample rate).
 */
double
lstm_tool_manifest_frame_centre (LstmFeatures *f, guint64 index)
{
  return ((double) lstm_features_get_frame_start (f, index) +
      lstm_features_get_window (f) / 2.0) / lstm_features_get_sample_rate (f);
}

typedef struct {
  GArray *all;          /* float */
  guint dim;
} Collect;

static gboolean
collect (const float *frames, gsize n, gpointer user_data, GError **error)
{
  Collect *c = user_data;

  if ((guint64) c->all->len + n * c->dim > G_MAXUINT) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "more feature values than one recording may hold (%u)", G_MAXUINT);
    return FALSE;
  }
  g_array_append_vals (c->all, frames, (guint) (n * c->dim));
  return TRUE;
}

void
lstm_tool_manifest_item_clear (LstmToolManifestItem *item)
{
  g_clear_pointer (&item->frames, g_free);
  g_clear_pointer (&item->classes, g_free);
  item->n_frames = 0;
}

/**
 * lstm_tool_manifest_load_item:
 * @row: index of the row
 * @f: the feature extractor
 * @labels: the classes, in model order
 * @background: the class of frames outside a track's stretches, or
 *   %LSTM_TARGET_IGNORE
 * @item: (out caller-allocates): receives the frames and targets
 *
 * Computes a row's features as `lstm features` does (resampling included)
 * and its targets: a clip's class, or a class per frame from the label
 * track at the frame's window centre. Errors name the manifest line: a
 * missing, unreadable or too short audio file, a label track reaching past
 * the audio's end by more than one frame shift, an unknown label.
 */
gboolean
lstm_tool_manifest_load_item (LstmToolManifest *m, guint row, LstmFeatures *f,
    const gchar *const *labels, guint background, LstmToolManifestItem *item,
    GError **error)
{
  LstmToolManifestRow *r = &m->rows[row];
  g_autoptr (GError) local = NULL;
  Collect c = { NULL, lstm_features_get_size (f) };
  guint64 n = 0, t;

  memset (item, 0, sizeof *item);
  item->target = LSTM_TARGET_IGNORE;
  if (r->track == NULL) {
    guint k;
    for (k = 0; labels[k] && strcmp (labels[k], r->label) != 0; k++)
      ;
    if (labels[k] == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u: unknown label '%s' (not one of the model's labels)",
          m->path, r->line, r->label);
      return FALSE;
    }
    item->target = k;
  }

  c.all = g_array_new (FALSE, FALSE, sizeof (float));
  if (!lstm_tool_audio_features (r->audio, f, collect, &c, &n, &local)) {
    g_array_free (c.all, TRUE);
    g_set_error (error, LSTM_ERROR, local->code, "%s:%u: %s", m->path,
        r->line, local->message);
    return FALSE;
  }
  item->n_frames = n;
  item->frames = (float *) (gpointer) g_array_free (c.all, FALSE);
  if (r->track == NULL)
    return TRUE;

  /* the track must fit the audio (within one frame shift) */
  {
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open (r->audio, SFM_READ, &info);
    double duration, end = lstm_label_track_get_end (r->track);
    double shift = (double) lstm_features_get_shift (f) /
        lstm_features_get_sample_rate (f);
    if (sf == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%u: %s: not a readable audio file (libsndfile: %s)", m->path,
          r->line, r->audio, sf_strerror (NULL));
      lstm_tool_manifest_item_clear (item);
      return FALSE;
    }
    duration = (double) info.frames / info.samplerate;
    sf_close (sf);
    if (end > duration + shift + 1e-9) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u: %s: the labels run to %.3f s, past the end of %s "
          "(%.3f s)", m->path, r->line, r->track_path, end, r->audio,
          duration);
      lstm_tool_manifest_item_clear (item);
      return FALSE;
    }
  }
  item->classes = g_new (guint, MAX (n, 1));
  for (t = 0; t < n; t++) {
    const gchar *l = lstm_label_track_lookup (r->track,
        lstm_tool_manifest_frame_centre (f, t));
    guint k;
    if (l == NULL) {
      item->classes[t] = background;
      continue;
    }
    for (k = 0; labels[k] && strcmp (labels[k], l) != 0; k++)
      ;
    if (labels[k] == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s:%u: %s: unknown label '%s' (not one of the model's labels)",
          m->path, r->line, r->track_path, l);
      lstm_tool_manifest_item_clear (item);
      return FALSE;
    }
    item->classes[t] = k;
  }
  return TRUE;
}

/**
 * lstm_tool_manifest_features_open:
 * @arg: a kind (`fbank`, `mfcc`, `melspec`, `raw`: torchaudio's defaults),
 *   a JSON configuration inline or in a file, or a model file (its
 *   lstm.features)
 *
 * Returns: the extractor, or %NULL with @error set.
 */
LstmFeatures *
lstm_tool_manifest_features_open (const gchar *arg, GError **error)
{
  LstmFeaturesOptions o;
  LstmFeatures *f;

  lstm_features_options_init (&o);
  o.source = arg;
  f = lstm_features_new_from_options (&o, NULL, error);
  if (f == NULL)
    g_prefix_error (error, "--features %s: ", arg);
  return f;
}
