/* lstm eval MODEL --manifest CSV: clips (accuracy, precision, recall, F1,
 * confusion) and recordings with label tracks (frame accuracy, segment
 * scores)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "lstm-train-tool.h"

/* Misclassified clips listed by name, at most. */
#define MAX_LISTED 20

/* A labelled stretch of time, reference or predicted. */
typedef struct {
  guint label;
  double start, end;
  gboolean matched;
} Stretch;

/* Per-class segment counts. */
typedef struct {
  guint64 n_ref, n_pred, n_match;
  double onset_err, offset_err;         /* sums of absolute errors, s */
} SegCounts;

static gboolean
load_and_run (LstmModel *model, LstmToolManifest *m, guint row, LstmFeatures *f,
    guint background, LstmToolManifestItem *item, float **out, GError **error)
{
  const guint O = lstm_model_get_output_size (model);

  if (!lstm_tool_manifest_load_item (m, row, f, lstm_model_get_labels (model),
          background, item, error))
    return FALSE;
  *out = g_try_new (float, MAX (item->n_frames, 1) * O);
  if (*out == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s:%u: not enough memory for %" G_GSIZE_FORMAT " frames of output",
        m->path, m->rows[row].line, item->n_frames);
    return FALSE;
  }
  return lstm_model_forward_sequence (model, item->frames, item->n_frames,
      *out, error);
}

/* Whether @model was trained on its clips' last frames (a Keras-style
 * sequence classifier, `lstm.training` says so) rather than on their mean
 * scores. */
static gboolean
trained_on_last_frame (LstmModel *model)
{
  const gchar *training = lstm_model_get_metadata (model, "lstm.training");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o, *data;
  JsonNode *root;

  if (training == NULL ||
      !json_parser_load_from_data (parser, training, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  o = json_node_get_object (root);
  if (json_object_has_member (o, "clip_loss"))
    return g_strcmp0 (json_object_get_string_member_with_default (o,
            "clip_loss", ""), "last") == 0;
  data = json_object_has_member (o, "data") ? json_object_get_object_member
      (o, "data") : NULL;
  return data != NULL && g_strcmp0
      (json_object_get_string_member_with_default (data, "loss_frames", ""),
      "last") == 0;
}

static int
eval_clips (LstmModel *model, LstmToolManifest *m, LstmFeatures *f,
    GError **error)
{
  gboolean last_frame = trained_on_last_frame (model);
  g_autofree float *mean = g_new (float, lstm_model_get_output_size (model));
  const gchar *const *labels = lstm_model_get_labels (model);
  const guint O = lstm_model_get_output_size (model);
  g_autoptr (LstmToolConfusion) conf = lstm_tool_confusion_new (O);
  g_autoptr (GString) wrong = g_string_new (NULL);
  guint i, n_wrong = 0;

  for (i = 0; i < m->n_rows; i++) {
    LstmToolManifestItem item;
    g_autofree float *out = NULL;
    const float *scores;
    guint pred, j;
    gsize t;

    if (!load_and_run (model, m, i, f, LSTM_TARGET_IGNORE, &item, &out,
            error)) {
      lstm_tool_manifest_item_clear (&item);
      return 1;
    }
    /* the clip's class: that of its mean scores (lstminfer's messages
     * average them so), or of its last frame's for a model trained so */
    if (last_frame) {
      scores = out + (item.n_frames - 1) * O;
    } else {
      for (j = 0; j < O; j++) {
        double sum = 0.0;
        for (t = 0; t < item.n_frames; t++)
          sum += out[t * O + j];
        mean[j] = (float) (sum / item.n_frames);
      }
      scores = mean;
    }
    pred = lstm_tool_argmax (scores, O);
    lstm_tool_confusion_add (conf, item.target, pred);
    if (pred != item.target && n_wrong++ < MAX_LISTED)
      g_string_append_printf (wrong, "  %s:%u  %s: %s, predicted %s (%.3f)\n",
          m->path, m->rows[i].line, m->rows[i].audio, labels[item.target],
          labels[pred], scores[pred]);
    lstm_tool_manifest_item_clear (&item);
  }
  printf ("%u clips; each clip's class is %s\n", m->n_rows, last_frame ?
      "its last frame's (the model was trained so)" :
      "that of its frames' mean scores");
  lstm_tool_confusion_print_counted (conf, labels, "clips", stdout);
  if (n_wrong > 0) {
    printf ("\nmisclassified clips%s:\n%s", n_wrong > MAX_LISTED ?
        " (the first " G_STRINGIFY (MAX_LISTED) ")" : "", wrong->str);
  }
  return 0;
}

/* Predicted segments as stretches of time: frame t stands for the shift
 * centred on its window's centre. */
static void
segment_to_stretch (LstmFeatures *f, const LstmSegment *s, GArray *pred,
    guint skip)
{
  double half = (double) lstm_features_get_shift (f) /
      lstm_features_get_sample_rate (f) / 2;
  Stretch st = { 0 };

  if (s->label == LSTM_LABEL_UNKNOWN || s->label == skip)
    return;
  st.label = s->label;
  st.start = MAX (0.0, lstm_tool_manifest_frame_centre (f, s->start) - half);
  st.end = lstm_tool_manifest_frame_centre (f, s->end - 1) + half;
  g_array_append_val (pred, st);
}

/* One-to-one matching of @pred and @ref (each sorted by time, never
 * overlapping): a pair of one label whose overlap covers at least half of
 * each, the largest overlaps first. */
typedef struct {
  guint p, r;
  double overlap;
} Pair;

static gint
cmp_pairs (gconstpointer a, gconstpointer b)
{
  const Pair *x = a, *y = b;
  if (x->overlap != y->overlap)
    return x->overlap > y->overlap ? -1 : 1;
  if (x->p != y->p)
    return x->p < y->p ? -1 : 1;
  return x->r < y->r ? -1 : (x->r > y->r);
}

static void
match_segments (GArray *pred, GArray *ref, SegCounts *counts)
{
  g_autoptr (GArray) pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  guint p, r, r0 = 0, i;

  for (p = 0; p < pred->len; p++) {
    Stretch *ps = &g_array_index (pred, Stretch, p);
    counts[ps->label].n_pred++;
    while (r0 < ref->len && g_array_index (ref, Stretch, r0).end <=
        ps->start)
      r0++;
    for (r = r0; r < ref->len; r++) {
      Stretch *rs = &g_array_index (ref, Stretch, r);
      double ov;
      if (rs->start >= ps->end)
        break;
      ov = MIN (ps->end, rs->end) - MAX (ps->start, rs->start);
      if (rs->label == ps->label && ov > 0 &&
          ov >= 0.5 * (rs->end - rs->start) &&
          ov >= 0.5 * (ps->end - ps->start)) {
        Pair pr = { p, r, ov };
        g_array_append_val (pairs, pr);
      }
    }
  }
  for (r = 0; r < ref->len; r++)
    counts[g_array_index (ref, Stretch, r).label].n_ref++;
  g_array_sort (pairs, cmp_pairs);
  for (i = 0; i < pairs->len; i++) {
    Pair *pr = &g_array_index (pairs, Pair, i);
    Stretch *ps = &g_array_index (pred, Stretch, pr->p);
    Stretch *rs = &g_array_index (ref, Stretch, pr->r);
    SegCounts *c = &counts[ps->label];
    if (ps->matched || rs->matched)
      continue;
    ps->matched = rs->matched = TRUE;
    c->n_match++;
    c->onset_err += fabs (ps->start - rs->start);
    c->offset_err += fabs (ps->end - rs->end);
  }
}

static void
print_seg_row (const gchar *name, guint width, const SegCounts *c)
{
  double p = c->n_pred ? (double) c->n_match / c->n_pred : 0.0;
  double r = c->n_ref ? (double) c->n_match / c->n_ref : 0.0;
  double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;

  printf ("%-*s  %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT " %7"
      G_GUINT64_FORMAT "  %9.4f %7.4f %6.4f", width, name, c->n_ref,
      c->n_pred, c->n_match, p, r, f);
  if (c->n_match > 0)
    printf (" %9.3f %10.3f\n", c->onset_err / c->n_match,
        c->offset_err / c->n_match);
  else
    printf (" %9s %10s\n", "-", "-");
}

static int
eval_tracks (LstmModel *model, LstmToolManifest *m, LstmFeatures *f,
    const LstmToolSegmentScoring *sc, GError **error)
{
  const gchar *const *labels = lstm_model_get_labels (model);
  const guint O = lstm_model_get_output_size (model);
  g_autoptr (LstmToolConfusion) conf = lstm_tool_confusion_new (O);
  g_autofree SegCounts *counts = g_new0 (SegCounts, O);
  g_autoptr (LstmSegmenter) seg = NULL;
  SegCounts all = { 0 };
  double period = (double) lstm_features_get_shift (f) /
      lstm_features_get_sample_rate (f);
  guint64 min_frames = 1, n_frames = 0;
  guint background = LSTM_TARGET_IGNORE, i, k, width = 9;

  if (sc->background) {
    for (k = 0; k < O && strcmp (labels[k], sc->background) != 0; k++)
      ;
    if (k == O) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "--background '%s' is not one of the model's labels",
          sc->background);
      return 1;
    }
    background = k;
  }
  if (sc->min_duration > 0)
    min_frames = MAX ((guint64) ceil (sc->min_duration / period - 1e-9), 1);
  seg = lstm_segmenter_new (O, sc->smoothing, sc->threshold, min_frames);

  for (i = 0; i < m->n_rows; i++) {
    LstmToolManifestItem item;
    LstmLabelTrack *track = m->rows[i].track;
    g_autofree float *out = NULL;
    g_autoptr (GArray) pred = g_array_new (FALSE, FALSE, sizeof (Stretch));
    g_autoptr (GArray) ref = g_array_new (FALSE, FALSE, sizeof (Stretch));
    LstmSegment s;
    gsize t;

    if (!load_and_run (model, m, i, f, background, &item, &out, error)) {
      lstm_tool_manifest_item_clear (&item);
      return 1;
    }
    n_frames += item.n_frames;
    lstm_segmenter_reset (seg);
    for (t = 0; t < item.n_frames; t++) {
      if (item.classes[t] != LSTM_TARGET_IGNORE)
        lstm_tool_confusion_add (conf, item.classes[t],
            lstm_tool_argmax (out + t * O, O));
      lstm_segmenter_push (seg, out + t * O, NULL, &s);
      if (s.end > 0)
        segment_to_stretch (f, &s, pred, background);
    }
    if (lstm_segmenter_flush (seg, &s))
      segment_to_stretch (f, &s, pred, background);
    /* the reference: the track's stretches (point labels are no segments) */
    for (k = 0; k < lstm_label_track_get_n_spans (track); k++) {
      const LstmLabelSpan *sp = lstm_label_track_get_span (track, k);
      Stretch st = { 0 };
      if (sp->end <= sp->start)
        continue;
      for (st.label = 0; st.label < O && strcmp (labels[st.label],
              sp->label) != 0; st.label++)
        ;
      if (st.label == background)
        continue;
      st.start = sp->start;
      st.end = sp->end;
      g_array_append_val (ref, st);
    }
    match_segments (pred, ref, counts);
    lstm_tool_manifest_item_clear (&item);
  }

  printf ("%u recording%s, %" G_GUINT64_FORMAT " frames; frames scored: "
      "those inside labelled stretches%s%s%s\n", m->n_rows,
      m->n_rows == 1 ? "" : "s", n_frames, sc->background ? " (elsewhere: '"
      : "", sc->background ? sc->background : "", sc->background ? "')" : "");
  lstm_tool_confusion_print_counted (conf, labels, "frames", stdout);

  for (k = 0; k < O; k++)
    width = MAX (width, (guint) strlen (labels[k]));
  width = MIN (width, 24);
  printf ("\nsegments (smoothing %u frame%s, threshold %g, min duration "
      "%g s = %" G_GUINT64_FORMAT " frame%s): a predicted segment matches a "
      "reference stretch of its label when their overlap covers at least "
      "half of each, one to one%s\n", sc->smoothing,
      sc->smoothing == 1 ? "" : "s", sc->threshold, sc->min_duration,
      min_frames, min_frames == 1 ? "" : "s", sc->background ?
      "; the background label is not scored" : "");
  printf ("%-*s  %9s %9s %7s  %9s %7s %6s %9s %10s\n", width, "class",
      "reference", "predicted", "matched", "precision", "recall", "f1",
      "onset_err", "offset_err");
  for (k = 0; k < O; k++) {
    if (k == background)
      continue;
    print_seg_row (labels[k], width, &counts[k]);
    all.n_ref += counts[k].n_ref;
    all.n_pred += counts[k].n_pred;
    all.n_match += counts[k].n_match;
    all.onset_err += counts[k].onset_err;
    all.offset_err += counts[k].offset_err;
  }
  print_seg_row ("all", width, &all);
  return 0;
}

/**
 * lstm_tool_eval_manifest:
 * @model: a classifier with labels and features
 * @path: the manifest
 * @sc: how segments are made and which label is the background
 *
 * Scores @model on a manifest of clips or of recordings with label tracks
 * and prints the results on standard output.
 *
 * Returns: the exit status.
 */
int
lstm_tool_eval_manifest (LstmModel *model, const gchar *path,
    const LstmToolSegmentScoring *sc, GError **error)
{
  g_autoptr (LstmToolManifest) m = NULL;
  g_autoptr (LstmFeatures) f = NULL;
  const gchar *const *labels = lstm_model_get_labels (model);

  if (labels == NULL || lstm_model_get_task (model) !=
      LSTM_TASK_CLASSIFICATION) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: not a classifier with labels: --manifest scores classes",
        lstm_model_get_name (model));
    return 1;
  }
  if (lstm_model_get_features (model) == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: has no lstm.features: the manifest's audio cannot be turned "
        "into its input frames", lstm_model_get_name (model));
    return 1;
  }
  f = lstm_features_new_for_model (model, error);
  if (f == NULL)
    return 1;
  m = lstm_tool_manifest_read (path, error);
  if (m == NULL)
    return 1;
  /* every label before any audio is read */
  if (!lstm_tool_manifest_check_labels (m, labels, error))
    return 1;
  if (m->kind == LSTM_TOOL_MANIFEST_CLIPS) {
    if (sc->background && !sc->background_from_training) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: --background applies to recordings with label tracks, not to "
          "clips", path);
      return 1;
    }
    return eval_clips (model, m, f, error);
  }
  return eval_tracks (model, m, f, sc, error);
}
