/* liblstm: a feature configuration from where a front end names it (a
 * kind, inline JSON, a file, a model) and its per-kind overrides: the
 * lstmfeatures element's properties and `lstm features`'s options
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "features-private.h"

/**
 * lstm_features_options_init:
 * @options: (out caller-allocates): options to initialise
 *
 * Sets @options to "nothing given": no source, no kind, no overrides (the
 * kind's defaults, fbank).
 */
void
lstm_features_options_init (LstmFeaturesOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->low_freq = -1.0;
}

/* The overrides that are set, by their common names (the element's
 * properties, the tool's long options), space-separated, or NULL. */
static gchar *
overrides_set (const LstmFeaturesOptions *o)
{
  GString *str = g_string_new (NULL);

  if (o->kind != NULL)
    g_string_append (str, " kind");
  if (o->sample_rate > 0)
    g_string_append (str, " sample-rate");
  if (o->num_mel_bins > 0)
    g_string_append (str, " num-mel-bins");
  if (o->num_ceps > 0)
    g_string_append (str, " num-ceps");
  if (o->frame_length_ms > 0)
    g_string_append (str, " frame-length-ms");
  if (o->frame_shift_ms > 0)
    g_string_append (str, " frame-shift-ms");
  if (o->low_freq >= 0)
    g_string_append (str, " low-freq");
  if (o->high_freq > 0)
    g_string_append (str, " high-freq");
  if (str->len == 0) {
    g_string_free (str, TRUE);
    return NULL;
  }
  g_string_erase (str, 0, 1);
  return g_string_free (str, FALSE);
}

/* A kind name: lower-case letters only, and no file of that name. */
static gboolean
is_kind_name (const gchar *s)
{
  const gchar *p;

  for (p = s; *p && g_ascii_islower (*p); p++)
    ;
  return *s != '\0' && *p == '\0' && !g_file_test (s, G_FILE_TEST_EXISTS);
}

static gboolean
is_inline_json (const gchar *s)
{
  while (g_ascii_isspace (*s))
    s++;
  return *s == '{';
}

/* Whether the file @path holds JSON text (its first non-blank byte is
 * '{'); a model file (safetensors) starts with its header's length. */
static gboolean
file_holds_json (const gchar *path, gboolean *json, GError **error)
{
  FILE *fp = fopen (path, "rb");
  int c;

  if (fp == NULL) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "cannot read '%s': %s",
        path, g_strerror (saved));
    return FALSE;
  }
  do
    c = getc (fp);
  while (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  fclose (fp);
  *json = c == '{';
  return TRUE;
}

/* Refuses an override that has no meaning for the kind. */
static gboolean
check_applies (gboolean set, const gchar *name, const gchar *kind,
    gboolean applies, const gchar *which, GError **error)
{
  if (set && !applies) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s does not apply to kind %s (only to %s)", name, kind, which);
    return FALSE;
  }
  return TRUE;
}

/* The source's JSON object, or an empty one. */
static JsonNode *
load_object (const gchar *source, gboolean inline_json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  const gchar *where = inline_json ? "feature configuration" : source;
  JsonNode *root;

  if (source == NULL) {
    root = json_node_new (JSON_NODE_OBJECT);
    json_node_take_object (root, json_object_new ());
    return root;
  }
  if (is_kind_name (source)) {
    JsonObject *obj = json_object_new ();
    json_object_set_string_member (obj, "kind", source);
    root = json_node_new (JSON_NODE_OBJECT);
    json_node_take_object (root, obj);
    return root;
  }
  if (!inline_json) {
    if (!g_file_get_contents (source, &text, NULL, &local)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "cannot read '%s': %s",
          source, local->message);
      return NULL;
    }
  }
  if (!json_parser_load_from_data (parser, inline_json ? source : text, -1,
          &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not valid JSON: %s", where, local->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: a feature configuration is a JSON object ({\"kind\": ...})",
        where);
    return NULL;
  }
  return json_node_copy (root);
}

/* Writes the overrides over @obj in the kind's own keys. */
static gboolean
apply_overrides (const LstmFeaturesOptions *o, JsonObject *obj,
    GError **error)
{
  const gchar *kind, *rate_key;
  gboolean kaldi, melspec, raw;
  JsonNode *k;
  gdouble rate;

  if (o->kind != NULL || !json_object_has_member (obj, "kind"))
    json_object_set_string_member (obj, "kind",
        o->kind != NULL ? o->kind : "fbank");
  k = json_object_get_member (obj, "kind");
  kind = JSON_NODE_HOLDS_VALUE (k) &&
      json_node_get_value_type (k) == G_TYPE_STRING ?
      json_node_get_string (k) : "";
  kaldi = g_strcmp0 (kind, "fbank") == 0 || g_strcmp0 (kind, "mfcc") == 0;
  melspec = g_strcmp0 (kind, "melspec") == 0;
  raw = g_strcmp0 (kind, "raw") == 0;
  if (!kaldi && !melspec && !raw)
    return TRUE;                /* the parser names the valid kinds */

  if (!check_applies (o->num_mel_bins > 0, "num-mel-bins", kind, !raw,
          "fbank, mfcc, melspec", error) ||
      !check_applies (o->num_ceps > 0, "num-ceps", kind,
          g_strcmp0 (kind, "mfcc") == 0, "mfcc", error) ||
      !check_applies (o->low_freq >= 0, "low-freq", kind, !raw,
          "fbank, mfcc, melspec", error) ||
      !check_applies (o->high_freq > 0, "high-freq", kind, !raw,
          "fbank, mfcc, melspec", error))
    return FALSE;

  rate_key = kaldi ? "sample_frequency" : "sample_rate";
  if (o->sample_rate > 0)
    json_object_set_int_member (obj, rate_key, o->sample_rate);
  rate = 16000.0;
  if (json_object_has_member (obj, rate_key) &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, rate_key)))
    rate = json_object_get_double_member (obj, rate_key);

  if (o->num_mel_bins > 0)
    json_object_set_int_member (obj, melspec ? "n_mels" : "num_mel_bins",
        o->num_mel_bins);
  if (o->num_ceps > 0)
    json_object_set_int_member (obj, "num_ceps", o->num_ceps);
  if (melspec) {
    /* in samples, truncated as Kaldi's frame sizes are */
    if (o->frame_length_ms > 0) {
      gint64 n = (gint64) (rate * o->frame_length_ms * 0.001);
      json_object_set_int_member (obj, "n_fft", n);
      json_object_set_int_member (obj, "win_length", n);
    }
    if (o->frame_shift_ms > 0)
      json_object_set_int_member (obj, "hop_length",
          (gint64) (rate * o->frame_shift_ms * 0.001));
    if (o->low_freq >= 0)
      json_object_set_double_member (obj, "f_min", o->low_freq);
    if (o->high_freq > 0)
      json_object_set_double_member (obj, "f_max", o->high_freq);
  } else {
    if (o->frame_length_ms > 0)
      json_object_set_double_member (obj, "frame_length",
          o->frame_length_ms);
    if (o->frame_shift_ms > 0)
      json_object_set_double_member (obj, "frame_shift", o->frame_shift_ms);
    if (o->low_freq >= 0)
      json_object_set_double_member (obj, "low_freq", o->low_freq);
    if (o->high_freq > 0)
      json_object_set_double_member (obj, "high_freq", o->high_freq);
  }
  return TRUE;
}

/* Either the composed JSON (*json) or the model the source names
 * (*model), whose lstm.features gives every setting. */
static gboolean
resolve (const LstmFeaturesOptions *o, gchar **json, LstmModel **model,
    GError **error)
{
  const gchar *source = o->source != NULL && *o->source ? o->source : NULL;
  gboolean inline_json = source != NULL && is_inline_json (source);
  g_autoptr (JsonNode) root = NULL;

  *json = NULL;
  *model = NULL;
  if (source != NULL && !inline_json && !is_kind_name (source)) {
    gboolean holds_json;
    if (!file_holds_json (source, &holds_json, error))
      return FALSE;
    if (!holds_json) {
      g_autofree gchar *set = overrides_set (o);
      if (set != NULL) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "%s: a model gives every feature setting (the features it was "
            "trained on); %s cannot be set as well", source, set);
        return FALSE;
      }
      *model = lstm_model_load (source, error);
      return *model != NULL;
    }
  }
  root = load_object (source, inline_json, error);
  if (root == NULL || !apply_overrides (o, json_node_get_object (root), error))
    return FALSE;
  {
    LstmJsonWriter *w = lstm_json_writer_new ();
    lstm_json_add_node (w, NULL, root);
    *json = lstm_json_writer_finish (w);
  }
  return TRUE;
}

/**
 * lstm_features_new_from_options:
 * @options: where the configuration comes from, and its overrides
 * @model: (out) (optional) (transfer full): the model, when
 *   @options->source is a model file (for its input.mean / input.std);
 *   %NULL otherwise
 * @error: return location for a #GError
 *
 * The one way the front ends turn what a user gave into an extractor: the
 * lstmfeatures element (its `config` or `model` and the individual
 * properties), `lstm features` and `lstm train --features`.
 * @options->source is a JSON object inline (`{...}`), a file holding one, a
 * model file (its `lstm.features`), a kind name (`fbank`, `mfcc`,
 * `melspec`, `raw`: torchaudio's defaults), or %NULL (the kind's defaults).
 * The overrides that are set are written over the configuration in the
 * kind's own keys (`num-mel-bins` is `num_mel_bins` for fbank and mfcc,
 * `n_mels` for melspec; milliseconds become samples, truncated, for
 * melspec); an override that has no meaning for the kind is refused, as
 * is any override of a model's features.
 *
 * Returns: (transfer full): the extractor, or %NULL with @error set
 *   (%LSTM_ERROR_IO: a file cannot be read; %LSTM_ERROR_FORMAT: not a JSON
 *   object or not a model; %LSTM_ERROR_ARGUMENT: an override that does not
 *   apply, or a value the configuration refuses).
 */
LstmFeatures *
lstm_features_new_from_options (const LstmFeaturesOptions *options,
    LstmModel **model, GError **error)
{
  g_autofree gchar *json = NULL;
  g_autoptr (LstmModel) m = NULL;
  LstmFeatures *f;

  if (model != NULL)
    *model = NULL;
  g_return_val_if_fail (options != NULL, NULL);
  if (!resolve (options, &json, &m, error))
    return NULL;
  if (m != NULL) {
    f = lstm_features_new_for_model (m, error);
    if (f != NULL && model != NULL)
      *model = g_steal_pointer (&m);
    return f;
  }
  f = lstm_features_new (json, error);
  if (f == NULL && error != NULL && *error != NULL && options->source &&
      !is_inline_json (options->source) && !is_kind_name (options->source))
    g_prefix_error (error, "%s: ", options->source);
  return f;
}

/**
 * lstm_features_options_to_config:
 * @options: where the configuration comes from, and its overrides
 * @error: return location for a #GError
 *
 * The canonical configuration lstm_features_new_from_options() would
 * give (as lstm_features_get_config() writes it).
 *
 * Returns: (transfer full): the JSON, or %NULL with @error set.
 */
gchar *
lstm_features_options_to_config (const LstmFeaturesOptions *options,
    GError **error)
{
  g_autoptr (LstmFeatures) f =
      lstm_features_new_from_options (options, NULL, error);

  return f != NULL ? lstm_features_get_config (f) : NULL;
}
