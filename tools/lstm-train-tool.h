/* lstm: data sources, metrics and plots of the training commands
 * (train, eval, generate)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "lstm-tool.h"

G_BEGIN_DECLS

/* ---- CSV tables with a header row (lstm-series.c) ---- */

typedef struct {
  gchar *path;
  guint n_cols;
  guint n_rows;
  gchar **names;        /* n_cols column names */
  gchar **cells;        /* n_rows x n_cols strings */
  guint *lines;         /* n_rows: line number of each row in the file */
} LstmToolTable;

gboolean lstm_tool_csv_split (const gchar *line, GPtrArray *cells);
LstmToolTable *lstm_tool_table_read (const gchar *path, GError **error);
void lstm_tool_table_free (LstmToolTable *table);
/* Index of column @name, or -1 with @error naming the known columns. */
gint lstm_tool_table_column (LstmToolTable *table, const gchar *name,
    GError **error);
/* Parses the columns @cols (n of them) as numbers into @out (n_rows x n,
 * row-major); a non-number, NaN or infinity is an error naming the line
 * and column. */
gboolean lstm_tool_table_numbers (LstmToolTable *table, const gint *cols,
    guint n, float *out, GError **error);
/* Resolves a comma-separated list of column names (or, with @list NULL,
 * every column that is not in @exclude) into indices. */
gint *lstm_tool_table_columns (LstmToolTable *table, const gchar *list,
    const gint *exclude, guint n_exclude, guint *n_out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmToolTable, lstm_tool_table_free)

/* ---- character text (lstm-text.c) ---- */

typedef struct {
  gunichar *chars;      /* the text, as code points */
  gsize n;
} LstmToolText;

LstmToolText *lstm_tool_text_read (const gchar *path, GError **error);
void lstm_tool_text_free (LstmToolText *text);
/* The sorted distinct characters of @text, as UTF-8 strings. */
gchar **lstm_tool_text_vocabulary (const LstmToolText *text);
/* Maps each character to its index in @labels (single characters, as a
 * char model's labels); an unknown character is an error naming its line
 * and column. */
guint *lstm_tool_text_encode (const LstmToolText *text,
    const gchar *const *labels, const gchar *path, GError **error);
/* TRUE if @model reads and writes one-hot characters named by its labels. */
gboolean lstm_tool_is_char_model (LstmModel *model, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmToolText, lstm_tool_text_free)

/* ---- metrics (lstm-metrics.c) ---- */

typedef struct {
  guint n_classes;
  guint64 *counts;      /* n_classes x n_classes: [true][predicted] */
} LstmToolConfusion;

LstmToolConfusion *lstm_tool_confusion_new (guint n_classes);
void lstm_tool_confusion_free (LstmToolConfusion *c);
void lstm_tool_confusion_add (LstmToolConfusion *c, guint truth,
    guint predicted);
double lstm_tool_confusion_accuracy (const LstmToolConfusion *c);
/* Prints accuracy, per-class precision/recall/F1/support, macro averages
 * and the confusion matrix. */
void lstm_tool_confusion_print (const LstmToolConfusion *c,
    const gchar *const *labels, FILE *out);
/* The same, counting @what ("frames", "clips") in the header line. */
void lstm_tool_confusion_print_counted (const LstmToolConfusion *c,
    const gchar *const *labels, const gchar *what, FILE *out);
guint lstm_tool_argmax (const float *v, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmToolConfusion, lstm_tool_confusion_free)

/* ---- loss curves (lstm-plot.c) ---- */

gboolean lstm_tool_curve_write_csv (const gchar *path, const LstmEpochStats *h,
    guint n, GError **error);
/* Draws the loss curve into a .png or .svg file with cairo. */
gboolean lstm_tool_curve_plot (const gchar *path, const LstmEpochStats *h,
    guint n, const gchar *title, GError **error);

/* ---- audio manifests (lstm-manifest.c) ---- */

typedef enum {
  LSTM_TOOL_MANIFEST_CLIPS,          /* path,label: one class per clip */
  LSTM_TOOL_MANIFEST_TRACKS,         /* path,labels.txt: a label track each */
} LstmToolManifestKind;

typedef struct {
  guint line;                   /* in the manifest */
  gchar *audio;                 /* resolved against the manifest's folder */
  gchar *label;                 /* clips: the class */
  gchar *track_path;            /* tracks: resolved */
  LstmLabelTrack *track;        /* tracks */
} LstmToolManifestRow;

typedef struct {
  gchar *path;
  LstmToolManifestKind kind;
  guint n_rows;
  LstmToolManifestRow *rows;
} LstmToolManifest;

/* One row's frames and targets. */
typedef struct {
  float *frames;                /* n_frames x feature size */
  gsize n_frames;
  guint target;                 /* clips: the class */
  guint *classes;               /* tracks: per frame (LSTM_TARGET_IGNORE or
                                 * the background outside the stretches) */
} LstmToolManifestItem;

LstmToolManifest *lstm_tool_manifest_read (const gchar *path, GError **error);
void lstm_tool_manifest_free (LstmToolManifest *m);
gchar **lstm_tool_manifest_labels (LstmToolManifest *m,
    const gchar *background);
gboolean lstm_tool_manifest_check_labels (LstmToolManifest *m,
    const gchar *const *labels, GError **error);
double lstm_tool_manifest_frame_centre (LstmFeatures *f, guint64 index);
gboolean lstm_tool_manifest_load_item (LstmToolManifest *m, guint row,
    LstmFeatures *f, const gchar *const *labels, guint background,
    LstmToolManifestItem *item, GError **error);
void lstm_tool_manifest_item_clear (LstmToolManifestItem *item);
/* --features: a kind ("fbank", ...), inline JSON, a JSON file or a model. */
LstmFeatures *lstm_tool_manifest_features_open (const gchar *arg,
    GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmToolManifest, lstm_tool_manifest_free)

/* ---- clip augmentation (lstm-augment.c) ---- */

typedef struct {
  double gain_db;               /* random gain within +-gain_db */
  double level_db;              /* never moved across this level (dBFS) */
  double mix_probability;       /* of mixing a background or noise in */
  double snr_min_db, snr_max_db;
  double crop_min;              /* shortest crop, a fraction of the clip */
  guint time_masks;
  double time_mask_fraction;    /* longest mask, a fraction of the frames */
  guint freq_masks;
  double freq_mask_fraction;    /* widest mask, a fraction of the values */
} LstmToolAugment;

void lstm_tool_augment_init (LstmToolAugment *a);
float *lstm_tool_audio_read_mono (const gchar *path, LstmFeatures *f,
    gsize *n_out, GError **error);
float *lstm_tool_augment_waveform (const LstmToolAugment *a, GRand *rng,
    const float *x, gsize n, gsize min_n, const float *bg, gsize n_bg,
    gsize *n_out);
void lstm_tool_augment_mask (const LstmToolAugment *a, GRand *rng,
    float *frames, gsize T, guint D, const float *fill);

/* lstm eval --manifest (lstm-eval-manifest.c): the segmenter's settings
 * (as lstminfer's properties) and the background label. */
typedef struct {
  guint smoothing;              /* frames, >= 1 */
  double threshold;
  double min_duration;          /* seconds */
  const gchar *background;      /* or NULL */
  gboolean background_from_training;
} LstmToolSegmentScoring;

int lstm_tool_eval_manifest (LstmModel *model, const gchar *path,
    const LstmToolSegmentScoring *sc, GError **error);

G_END_DECLS
