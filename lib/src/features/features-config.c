/* liblstm: feature configurations (JSON with torchaudio's argument names)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A configuration names its kind and uses, per kind, the keyword arguments
 * of the torchaudio function it reproduces; omitted keys take torchaudio's
 * defaults:
 *   fbank    torchaudio.compliance.kaldi.fbank
 *   mfcc     torchaudio.compliance.kaldi.mfcc
 *   melspec  torchaudio.transforms.MelSpectrogram, then an optional log
 *            (AmplitudeToDB's multiplier and floor for "db")
 *   raw      windows of samples
 * Every kind also takes `waveform_scale`, `channel` and, except raw,
 * `deltas` / `delta_win_length` (torchaudio.functional.compute_deltas).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "features-private.h"

/* Options of the whole-signal kind that streaming cannot honour; they are
 * accepted only at the value that makes them a no-op. */

static const gchar *const common_keys[] = { "kind", "waveform_scale",
  "channel", NULL
};

static const gchar *const delta_keys[] = { "deltas", "delta_win_length",
  NULL
};

static const gchar *const kaldi_keys[] = { "sample_frequency",
  "blackman_coeff", "dither", "energy_floor", "frame_length", "frame_shift",
  "high_freq", "htk_compat", "low_freq", "min_duration", "num_mel_bins",
  "preemphasis_coefficient", "raw_energy", "remove_dc_offset",
  "round_to_power_of_two", "snip_edges", "subtract_mean", "use_energy",
  "vtln_high", "vtln_low", "vtln_warp", "window_type", NULL
};

static const gchar *const fbank_keys[] = { "use_log_fbank", "use_power",
  NULL
};

static const gchar *const mfcc_keys[] = { "cepstral_lifter", "num_ceps",
  NULL
};

static const gchar *const melspec_keys[] = { "sample_rate", "n_fft",
  "win_length", "hop_length", "f_min", "f_max", "pad", "n_mels",
  "window_fn", "wkwargs", "power", "normalized", "center", "pad_mode",
  "onesided", "norm", "mel_scale", "log", "log_floor", "stype", "top_db",
  NULL
};

static const gchar *const raw_keys[] = { "sample_rate", "win_length",
  "hop_length", "frame_length", "frame_shift", NULL
};

static const gchar *const kind_names[] = { "fbank", "mfcc", "melspec", "raw",
  NULL
};

static const gchar *const kaldi_window_names[] = { "hamming", "hanning",
  "povey", "rectangular", "blackman", NULL
};

static const gchar *const torch_window_names[] = { "hann_window",
  "hamming_window", "blackman_window", "bartlett_window", NULL
};

static const gchar *const pad_mode_names[] = { "reflect", "constant",
  "replicate", NULL
};

static const gchar *const log_names[] = { "none", "natural", "db", NULL };

static gboolean
is_null (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

static gboolean
node_number (JsonNode *node, double *out)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  if (t == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;
  return isfinite (*out);
}

static gboolean
get_double (JsonObject *obj, const gchar *key, const gchar *where,
    double def, double *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL) {
    *out = def;
    return TRUE;
  }
  if (!node_number (node, out)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be a finite number", where, key);
    return FALSE;
  }
  return TRUE;
}

/* An integer in [min, max]; integral floats (400.0) are accepted. */
static gboolean
get_uint (JsonObject *obj, const gchar *key, const gchar *where, guint def,
    guint min, guint max, guint *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);
  double v;

  if (node == NULL || is_null (node)) {
    *out = def;
    return TRUE;
  }
  if (!node_number (node, &v) || v != floor (v)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be an integer", where, key);
    return FALSE;
  }
  if (v < min || v > max) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' is %.17g, out of range (%u..%u)", where, key, v, min, max);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_bool (JsonObject *obj, const gchar *key, const gchar *where,
    gboolean def, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL) {
    *out = def;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be true or false", where, key);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_enum (JsonObject *obj, const gchar *key, const gchar *where,
    const gchar *const *names, guint def, guint *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, key);
  const gchar *s;
  guint i;

  if (node == NULL) {
    *out = def;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: '%s' must be a string", where, key);
    return FALSE;
  }
  s = json_node_get_string (node);
  for (i = 0; names[i]; i++)
    if (strcmp (s, names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  {
    g_autofree gchar *list = g_strjoinv (", ", (gchar **) names);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: unknown %s '%s' (%s)", where, key, s, list);
  }
  return FALSE;
}

static gboolean
check_keys (JsonObject *obj, const gchar *where, const gchar *kind,
    const gchar *const *a, const gchar *const *b, const gchar *const *c,
    const gchar *const *d, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);
  GList *l;

  for (l = members; l; l = l->next) {
    const gchar *k = l->data;
    if ((a && g_strv_contains (a, k)) || (b && g_strv_contains (b, k)) ||
        (c && g_strv_contains (c, k)) || (d && g_strv_contains (d, k)))
      continue;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: unknown key '%s' for kind '%s'", where, k, kind);
    return FALSE;
  }
  return TRUE;
}

/* The sample rate: a positive whole number of Hz (Kaldi's is a float). */
static gboolean
get_rate (JsonObject *obj, const gchar *key, const gchar *where,
    guint *out, GError **error)
{
  double v;

  if (!get_double (obj, key, where, 16000.0, &v, error))
    return FALSE;
  if (v <= 0 || v > LSTM_FEATURES_MAX_RATE || v != floor (v)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' is %g; a sample rate must be a whole number of Hz in "
        "1..%u", where, key, v, LSTM_FEATURES_MAX_RATE);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

/* Options that only have a whole-signal meaning: accepted at their no-op
 * value, refused otherwise. */
static gboolean
check_noop_double (JsonObject *obj, const gchar *key, const gchar *where,
    const gchar *why, GError **error)
{
  double v;

  if (!get_double (obj, key, where, 0.0, &v, error))
    return FALSE;
  if (v != 0.0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: '%s' is %g, but only 0 is supported (%s)", where, key, v, why);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_noop_bool (JsonObject *obj, const gchar *key, const gchar *where,
    gboolean noop, const gchar *why, GError **error)
{
  gboolean v;

  if (!get_bool (obj, key, where, noop, &v, error))
    return FALSE;
  if (v != noop) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: '%s' must be %s (%s)", where, key, noop ? "true" : "false", why);
    return FALSE;
  }
  return TRUE;
}

guint
lstm_kaldi_window_shift (const LstmFeaturesConfig *cfg)
{
  /* int(sample_frequency * frame_shift * 0.001), as torchaudio computes it */
  double v = (double) cfg->rate * cfg->frame_shift * 0.001;
  return v >= 0 && v < (double) G_MAXUINT ? (guint) v : 0;
}

guint
lstm_kaldi_window_size (const LstmFeaturesConfig *cfg)
{
  double v = (double) cfg->rate * cfg->frame_length * 0.001;
  return v >= 0 && v < (double) G_MAXUINT ? (guint) v : 0;
}

/* "N samples" for a length of @ms at @rate Hz, as torchaudio rounds it
 * (down), whatever its size: the guint sizes above are 0 when it does not
 * fit, which an error message must not print. */
static const gchar *
samples_text (double ms, guint rate, gchar *buf, gsize size)
{
  double v = floor ((double) rate * ms * 0.001);

  if (fabs (v) < 1e15)
    g_snprintf (buf, size, "%.0f samples", v);
  else
    g_snprintf (buf, size, "%.3g samples", v);
  return buf;
}

guint
lstm_kaldi_padded_size (const LstmFeaturesConfig *cfg)
{
  guint w = lstm_kaldi_window_size (cfg);
  guint p = 1;

  if (!cfg->round_to_power_of_two)
    return w;
  while (p < w)
    p <<= 1;
  return p;
}

static gboolean
parse_kaldi (JsonObject *obj, const gchar *where, LstmFeaturesConfig *cfg,
    GError **error)
{
  const gboolean mfcc = cfg->kind == LSTM_FEATURES_MFCC;
  double nyquist, high;
  guint win, shift, padded, w;
  gchar num[48];

  if (!get_rate (obj, "sample_frequency", where, &cfg->rate, error) ||
      !get_double (obj, "blackman_coeff", where, 0.42, &cfg->blackman_coeff,
          error) ||
      !get_double (obj, "energy_floor", where, 1.0, &cfg->energy_floor,
          error) ||
      !get_double (obj, "frame_length", where, 25.0, &cfg->frame_length,
          error) ||
      !get_double (obj, "frame_shift", where, 10.0, &cfg->frame_shift,
          error) ||
      !get_double (obj, "high_freq", where, 0.0, &cfg->high_freq, error) ||
      !get_bool (obj, "htk_compat", where, FALSE, &cfg->htk_compat, error) ||
      !get_double (obj, "low_freq", where, 20.0, &cfg->low_freq, error) ||
      !get_uint (obj, "num_mel_bins", where, 23, 0, G_MAXINT,
          &cfg->num_mel_bins, error) ||
      !get_double (obj, "preemphasis_coefficient", where, 0.97,
          &cfg->preemphasis_coefficient, error) ||
      !get_bool (obj, "raw_energy", where, TRUE, &cfg->raw_energy, error) ||
      !get_bool (obj, "remove_dc_offset", where, TRUE,
          &cfg->remove_dc_offset, error) ||
      !get_bool (obj, "round_to_power_of_two", where, TRUE,
          &cfg->round_to_power_of_two, error) ||
      !get_bool (obj, "use_energy", where, FALSE, &cfg->use_energy, error) ||
      !get_double (obj, "vtln_high", where, -500.0, &cfg->vtln_high, error) ||
      !get_double (obj, "vtln_low", where, 100.0, &cfg->vtln_low, error) ||
      !get_double (obj, "vtln_warp", where, 1.0, &cfg->vtln_warp, error) ||
      !get_enum (obj, "window_type", where, kaldi_window_names,
          LSTM_KALDI_WINDOW_POVEY, &w, error))
    return FALSE;
  cfg->window_type = w;
  if (mfcc) {
    cfg->use_log_fbank = TRUE;
    cfg->use_power = TRUE;
    if (!get_double (obj, "cepstral_lifter", where, 22.0,
            &cfg->cepstral_lifter, error) ||
        !get_uint (obj, "num_ceps", where, 13, 0, G_MAXINT, &cfg->num_ceps,
            error))
      return FALSE;
  } else if (!get_bool (obj, "use_log_fbank", where, TRUE,
          &cfg->use_log_fbank, error) ||
      !get_bool (obj, "use_power", where, TRUE, &cfg->use_power, error)) {
    return FALSE;
  }
  if (!check_noop_double (obj, "dither", where,
          "dithering adds random noise; features must be reproducible",
          error) ||
      !check_noop_double (obj, "min_duration", where,
          "streaming cannot know the duration in advance", error) ||
      !check_noop_bool (obj, "snip_edges", where, TRUE,
          "snip_edges=false reflects the end of the whole signal", error) ||
      !check_noop_bool (obj, "subtract_mean", where, FALSE,
          "the mean over the whole signal is not known while streaming",
          error))
    return FALSE;

  win = lstm_kaldi_window_size (cfg);
  shift = lstm_kaldi_window_shift (cfg);
  if (cfg->frame_shift <= 0 || shift == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'frame_shift' is %g ms, which is %s at %u Hz; it must "
        "be 1..%u samples", where, cfg->frame_shift,
        samples_text (cfg->frame_shift, cfg->rate, num, sizeof num),
        cfg->rate, LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  if (cfg->frame_length <= 0 || win < 2 || win > LSTM_FEATURES_MAX_WINDOW) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'frame_length' is %g ms, which is %s at %u Hz; it must "
        "be 2..%u samples", where, cfg->frame_length,
        samples_text (cfg->frame_length, cfg->rate, num, sizeof num),
        cfg->rate, LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  if (shift > LSTM_FEATURES_MAX_WINDOW) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'frame_shift' is %g ms, which is %s at %u Hz, more than %u",
        where, cfg->frame_shift, samples_text (cfg->frame_shift, cfg->rate,
            num, sizeof num), cfg->rate, LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  padded = lstm_kaldi_padded_size (cfg);
  if (padded % 2 != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'frame_length' gives an odd window of %u samples; set "
        "'round_to_power_of_two' or change 'frame_length'", where, padded);
    return FALSE;
  }
  if (cfg->preemphasis_coefficient < 0 || cfg->preemphasis_coefficient > 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'preemphasis_coefficient' is %g, must be in [0, 1]", where,
        cfg->preemphasis_coefficient);
    return FALSE;
  }
  if (cfg->energy_floor < 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'energy_floor' is %g, must not be negative", where,
        cfg->energy_floor);
    return FALSE;
  }
  if (cfg->num_mel_bins <= 3 || cfg->num_mel_bins > padded / 2 ||
      cfg->num_mel_bins > LSTM_FEATURES_MAX_BINS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'num_mel_bins' is %u; it must be more than 3 and at most %u "
        "(half the FFT size, %u)", where, cfg->num_mel_bins,
        MIN (padded / 2, LSTM_FEATURES_MAX_BINS), padded);
    return FALSE;
  }
  nyquist = 0.5 * cfg->rate;
  high = cfg->high_freq <= 0.0 ? cfg->high_freq + nyquist : cfg->high_freq;
  if (cfg->low_freq < 0 || cfg->low_freq >= nyquist) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'low_freq' is %g Hz, must be in [0, %g) (Nyquist)", where,
        cfg->low_freq, nyquist);
    return FALSE;
  }
  if (high <= 0 || high > nyquist || cfg->low_freq >= high) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'high_freq' is %g (%g Hz), must give a frequency above "
        "'low_freq' (%g Hz) and at most the Nyquist frequency (%g Hz)",
        where, cfg->high_freq, high, cfg->low_freq, nyquist);
    return FALSE;
  }
  if (cfg->vtln_warp <= 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'vtln_warp' is %g, must be positive", where, cfg->vtln_warp);
    return FALSE;
  }
  if (cfg->vtln_warp != 1.0) {
    double vh = cfg->vtln_high < 0 ? cfg->vtln_high + nyquist :
        cfg->vtln_high;
    double l = cfg->vtln_low * MAX (1.0, cfg->vtln_warp);
    double h = vh * MIN (1.0, cfg->vtln_warp);
    if (!(cfg->low_freq < cfg->vtln_low && cfg->vtln_low < high) ||
        !(0 < vh && vh < high) || !(cfg->vtln_low < vh) ||
        !(l > cfg->low_freq && h < high)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: 'vtln_low' %g and 'vtln_high' %g (%g Hz) do not fit between "
          "'low_freq' %g and 'high_freq' %g Hz for 'vtln_warp' %g", where,
          cfg->vtln_low, cfg->vtln_high, vh, cfg->low_freq, high,
          cfg->vtln_warp);
      return FALSE;
    }
  }
  if (mfcc && (cfg->num_ceps < 1 || cfg->num_ceps > cfg->num_mel_bins)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'num_ceps' is %u, must be 1..%u ('num_mel_bins')", where,
        cfg->num_ceps, cfg->num_mel_bins);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_melspec (JsonObject *obj, const gchar *where, LstmFeaturesConfig *cfg,
    GError **error)
{
  JsonNode *node;
  guint v;
  double nyquist;

  if (!get_rate (obj, "sample_rate", where, &cfg->rate, error) ||
      !get_uint (obj, "n_fft", where, 400, 0, G_MAXINT, &cfg->n_fft, error))
    return FALSE;
  if (cfg->n_fft < 2 || cfg->n_fft > LSTM_FEATURES_MAX_WINDOW) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'n_fft' is %u, must be 2..%u", where, cfg->n_fft,
        LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  if (!get_uint (obj, "win_length", where, cfg->n_fft, 0, G_MAXINT,
          &cfg->win_length, error))
    return FALSE;
  if (cfg->win_length < 1 || cfg->win_length > cfg->n_fft) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'win_length' is %u, must be 1..%u ('n_fft')", where,
        cfg->win_length, cfg->n_fft);
    return FALSE;
  }
  if (!get_uint (obj, "hop_length", where, cfg->win_length / 2, 0, G_MAXINT,
          &cfg->hop_length, error))
    return FALSE;
  if (cfg->hop_length < 1 || cfg->hop_length > LSTM_FEATURES_MAX_WINDOW) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'hop_length' is %u, must be 1..%u", where, cfg->hop_length,
        LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  nyquist = cfg->rate / 2.0;
  if (!get_double (obj, "f_min", where, 0.0, &cfg->f_min, error))
    return FALSE;
  node = json_object_get_member (obj, "f_max");
  if (node == NULL || is_null (node))
    cfg->f_max = (double) (cfg->rate / 2);      /* float(sample_rate // 2) */
  else if (!get_double (obj, "f_max", where, 0.0, &cfg->f_max, error))
    return FALSE;
  if (cfg->f_max > nyquist || cfg->f_max <= 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'f_max' is %g Hz, must be in (0, %g] (the Nyquist frequency "
        "of %u Hz)", where, cfg->f_max, nyquist, cfg->rate);
    return FALSE;
  }
  if (cfg->f_min < 0 || cfg->f_min >= cfg->f_max) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'f_min' is %g Hz, must be in [0, %g) ('f_max')", where,
        cfg->f_min, cfg->f_max);
    return FALSE;
  }
  if (!get_uint (obj, "pad", where, 0, 0, LSTM_FEATURES_MAX_WINDOW,
          &cfg->pad, error) ||
      !get_uint (obj, "n_mels", where, 128, 0, G_MAXINT, &cfg->n_mels,
          error))
    return FALSE;
  if (cfg->n_mels < 1 || cfg->n_mels > cfg->n_fft / 2 + 1 ||
      cfg->n_mels > LSTM_FEATURES_MAX_BINS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'n_mels' is %u, must be 1..%u (n_fft / 2 + 1 frequency bins)",
        where, cfg->n_mels, MIN (cfg->n_fft / 2 + 1,
            LSTM_FEATURES_MAX_BINS));
    return FALSE;
  }
  if (!get_enum (obj, "window_fn", where, torch_window_names,
          LSTM_TORCH_WINDOW_HANN, &v, error))
    return FALSE;
  cfg->window_fn = v;
  cfg->periodic = TRUE;
  node = json_object_get_member (obj, "wkwargs");
  if (node != NULL && !is_null (node)) {
    static const gchar *const wk_keys[] = { "periodic", NULL };
    g_autofree gchar *wwhere = g_strdup_printf ("%s: wkwargs", where);
    if (!JSON_NODE_HOLDS_OBJECT (node)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: 'wkwargs' must be an object or null", where);
      return FALSE;
    }
    if (!check_keys (json_node_get_object (node), wwhere, "melspec",
            wk_keys, NULL, NULL, NULL, error) ||
        !get_bool (json_node_get_object (node), "periodic", wwhere, TRUE,
            &cfg->periodic, error))
      return FALSE;
  }
  node = json_object_get_member (obj, "power");
  if (is_null (node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: 'power' null (a complex spectrogram) is not supported", where);
    return FALSE;
  }
  if (!get_double (obj, "power", where, 2.0, &cfg->power, error))
    return FALSE;
  if (cfg->power <= 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'power' is %g, must be positive", where, cfg->power);
    return FALSE;
  }
  node = json_object_get_member (obj, "normalized");
  cfg->normalized = LSTM_SPEC_NORM_NONE;
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING) {
    static const gchar *const norm_names[] = { "window", "frame_length",
      NULL
    };
    if (!get_enum (obj, "normalized", where, norm_names, 0, &v, error))
      return FALSE;
    cfg->normalized = v == 0 ? LSTM_SPEC_NORM_WINDOW :
        LSTM_SPEC_NORM_FRAME_LENGTH;
  } else {
    gboolean b;
    if (!get_bool (obj, "normalized", where, FALSE, &b, error))
      return FALSE;
    cfg->normalized = b ? LSTM_SPEC_NORM_WINDOW : LSTM_SPEC_NORM_NONE;
  }
  if (!get_bool (obj, "center", where, TRUE, &cfg->center, error) ||
      !check_noop_bool (obj, "onesided", where, TRUE,
          "MelSpectrogram needs the one-sided spectrum", error))
    return FALSE;
  node = json_object_get_member (obj, "pad_mode");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING &&
      strcmp (json_node_get_string (node), "circular") == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: 'pad_mode' circular needs the end of the signal at its start; "
        "not possible while streaming", where);
    return FALSE;
  }
  if (!get_enum (obj, "pad_mode", where, pad_mode_names, LSTM_PAD_REFLECT,
          &v, error))
    return FALSE;
  cfg->pad_mode = v;
  node = json_object_get_member (obj, "norm");
  cfg->norm_slaney = FALSE;
  if (node != NULL && !is_null (node)) {
    static const gchar *const names[] = { "slaney", NULL };
    if (!get_enum (obj, "norm", where, names, 0, &v, error))
      return FALSE;
    cfg->norm_slaney = TRUE;
  }
  {
    static const gchar *const names[] = { "htk", "slaney", NULL };
    if (!get_enum (obj, "mel_scale", where, names, 0, &v, error))
      return FALSE;
    cfg->mel_scale_slaney = v == 1;
  }
  if (!get_enum (obj, "log", where, log_names, LSTM_LOG_NONE, &v, error))
    return FALSE;
  cfg->log = v;
  if (!get_double (obj, "log_floor", where, 1e-10, &cfg->log_floor, error))
    return FALSE;
  if (cfg->log_floor <= 0 || (float) cfg->log_floor <= 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'log_floor' is %g, must be a positive float32", where,
        cfg->log_floor);
    return FALSE;
  }
  {
    static const gchar *const names[] = { "power", "magnitude", NULL };
    if (!get_enum (obj, "stype", where, names, 0, &v, error))
      return FALSE;
    cfg->stype_magnitude = v == 1;
  }
  node = json_object_get_member (obj, "top_db");
  if (node != NULL && !is_null (node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: 'top_db' clamps against the maximum of the whole signal, which "
        "is not known while streaming; remove it (or set it to null)",
        where);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_raw (JsonObject *obj, const gchar *where, LstmFeaturesConfig *cfg,
    GError **error)
{
  gboolean samples = json_object_has_member (obj, "win_length") ||
      json_object_has_member (obj, "hop_length");
  gboolean ms = json_object_has_member (obj, "frame_length") ||
      json_object_has_member (obj, "frame_shift");
  gchar num[48];

  if (!get_rate (obj, "sample_rate", where, &cfg->rate, error))
    return FALSE;
  if (samples && ms) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: give the window either in samples ('win_length', "
        "'hop_length') or in ms ('frame_length', 'frame_shift'), not both",
        where);
    return FALSE;
  }
  if (samples) {
    if (!get_uint (obj, "win_length", where, 400, 0, G_MAXINT,
            &cfg->win_length, error) ||
        !get_uint (obj, "hop_length", where, cfg->win_length, 0, G_MAXINT,
            &cfg->hop_length, error))
      return FALSE;
  } else {
    if (!get_double (obj, "frame_length", where, 25.0, &cfg->frame_length,
            error) ||
        !get_double (obj, "frame_shift", where, 10.0, &cfg->frame_shift,
            error))
      return FALSE;
    cfg->win_length = cfg->frame_length > 0 ?
        lstm_kaldi_window_size (cfg) : 0;
    cfg->hop_length = cfg->frame_shift > 0 ?
        lstm_kaldi_window_shift (cfg) : 0;
  }
  if (cfg->win_length < 1 || cfg->win_length > LSTM_FEATURES_MAX_WINDOW) {
    if (samples)
      g_snprintf (num, sizeof num, "%u samples", cfg->win_length);
    else
      samples_text (cfg->frame_length, cfg->rate, num, sizeof num);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' gives a window of %s, must be 1..%u", where,
        samples ? "win_length" : "frame_length", num,
        LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  if (cfg->hop_length < 1 || cfg->hop_length > LSTM_FEATURES_MAX_WINDOW) {
    if (samples)
      g_snprintf (num, sizeof num, "%u samples", cfg->hop_length);
    else
      samples_text (cfg->frame_shift, cfg->rate, num, sizeof num);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: '%s' gives a shift of %s, must be 1..%u", where,
        samples ? "hop_length" : "frame_shift", num,
        LSTM_FEATURES_MAX_WINDOW);
    return FALSE;
  }
  cfg->n_fft = cfg->win_length;
  return TRUE;
}

/**
 * lstm_features_config_parse: (skip)
 * @json: a JSON object
 * @where: prefix of error messages (a file name, "features config")
 * @cfg: (out caller-allocates): the configuration, defaults filled in
 *
 * Returns: %TRUE, or %FALSE with @error set naming the key at fault.
 */
gboolean
lstm_features_config_parse (const gchar *json, const gchar *where,
    LstmFeaturesConfig *cfg, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonObject *obj;
  const gchar *const *own = NULL, *const *own2 = NULL;
  guint kind;
  gint64 channel;
  JsonNode *node;

  memset (cfg, 0, sizeof *cfg);
  if (!json_parser_load_from_data (parser, json, -1, &local)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not valid JSON: %s", where, local->message);
    return FALSE;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not a JSON object", where);
    return FALSE;
  }
  obj = json_node_get_object (root);
  if (!json_object_has_member (obj, "kind")) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: 'kind' is required (fbank, mfcc, melspec, raw)", where);
    return FALSE;
  }
  if (!get_enum (obj, "kind", where, kind_names, 0, &kind, error))
    return FALSE;
  cfg->kind = kind;
  switch (cfg->kind) {
    case LSTM_FEATURES_FBANK:
      own = kaldi_keys;
      own2 = fbank_keys;
      break;
    case LSTM_FEATURES_MFCC:
      own = kaldi_keys;
      own2 = mfcc_keys;
      break;
    case LSTM_FEATURES_MELSPEC:
      own = melspec_keys;
      break;
    case LSTM_FEATURES_RAW:
      own = raw_keys;
      break;
  }
  if (!check_keys (obj, where, kind_names[kind], common_keys, own, own2,
          cfg->kind == LSTM_FEATURES_RAW ? NULL : delta_keys, error))
    return FALSE;

  if (!get_double (obj, "waveform_scale", where, 1.0, &cfg->waveform_scale,
          error))
    return FALSE;
  if (cfg->waveform_scale == 0 || !isfinite ((float) cfg->waveform_scale)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: 'waveform_scale' is %g, must be a non-zero float32", where,
        cfg->waveform_scale);
    return FALSE;
  }
  node = json_object_get_member (obj, "channel");
  channel = -1;
  if (node != NULL) {
    double v;
    if (!node_number (node, &v) || v != floor (v)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: 'channel' must be an integer", where);
      return FALSE;
    }
    if (v < -1 || v > 255) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: 'channel' is %g; -1 averages the channels, 0..255 picks one",
          where, v);
      return FALSE;
    }
    channel = (gint64) v;
  }
  cfg->channel = (gint) channel;
  if (!get_uint (obj, "deltas", where, 0, 0, 2, &cfg->deltas, error) ||
      !get_uint (obj, "delta_win_length", where, 5, 3,
          LSTM_FEATURES_MAX_DELTA_WIN, &cfg->delta_win_length, error))
    return FALSE;

  switch (cfg->kind) {
    case LSTM_FEATURES_FBANK:
    case LSTM_FEATURES_MFCC:
      return parse_kaldi (obj, where, cfg, error);
    case LSTM_FEATURES_MELSPEC:
      return parse_melspec (obj, where, cfg, error);
    case LSTM_FEATURES_RAW:
      return parse_raw (obj, where, cfg, error);
  }
  return FALSE;
}

/**
 * lstm_features_config_to_json: (skip)
 * @cfg: a parsed configuration
 *
 * Returns: (transfer full): the canonical JSON: every key of the kind, in a
 * fixed order; parsing it gives the same configuration.
 */
gchar *
lstm_features_config_to_json (const LstmFeaturesConfig *cfg)
{
  LstmJsonWriter *b = lstm_json_writer_new ();
  const gboolean kaldi = cfg->kind == LSTM_FEATURES_FBANK ||
      cfg->kind == LSTM_FEATURES_MFCC;

  lstm_json_begin_object (b, NULL);
  lstm_json_add_string (b, "kind", kind_names[cfg->kind]);
  if (kaldi) {
    lstm_json_add_double (b, "sample_frequency", cfg->rate);
    lstm_json_add_double (b, "blackman_coeff", cfg->blackman_coeff);
    if (cfg->kind == LSTM_FEATURES_MFCC) {
      lstm_json_add_double (b, "cepstral_lifter", cfg->cepstral_lifter);
      lstm_json_add_int (b, "num_ceps", cfg->num_ceps);
    }
    lstm_json_add_double (b, "dither", 0.0);
    lstm_json_add_double (b, "energy_floor", cfg->energy_floor);
    lstm_json_add_double (b, "frame_length", cfg->frame_length);
    lstm_json_add_double (b, "frame_shift", cfg->frame_shift);
    lstm_json_add_double (b, "high_freq", cfg->high_freq);
    lstm_json_add_bool (b, "htk_compat", cfg->htk_compat);
    lstm_json_add_double (b, "low_freq", cfg->low_freq);
    lstm_json_add_double (b, "min_duration", 0.0);
    lstm_json_add_int (b, "num_mel_bins", cfg->num_mel_bins);
    lstm_json_add_double (b, "preemphasis_coefficient", cfg->preemphasis_coefficient);
    lstm_json_add_bool (b, "raw_energy", cfg->raw_energy);
    lstm_json_add_bool (b, "remove_dc_offset", cfg->remove_dc_offset);
    lstm_json_add_bool (b, "round_to_power_of_two", cfg->round_to_power_of_two);
    lstm_json_add_bool (b, "snip_edges", TRUE);
    lstm_json_add_bool (b, "subtract_mean", FALSE);
    lstm_json_add_bool (b, "use_energy", cfg->use_energy);
    if (cfg->kind == LSTM_FEATURES_FBANK) {
      lstm_json_add_bool (b, "use_log_fbank", cfg->use_log_fbank);
      lstm_json_add_bool (b, "use_power", cfg->use_power);
    }
    lstm_json_add_double (b, "vtln_high", cfg->vtln_high);
    lstm_json_add_double (b, "vtln_low", cfg->vtln_low);
    lstm_json_add_double (b, "vtln_warp", cfg->vtln_warp);
    lstm_json_add_string (b, "window_type", kaldi_window_names[cfg->window_type]);
  } else if (cfg->kind == LSTM_FEATURES_MELSPEC) {
    lstm_json_add_int (b, "sample_rate", cfg->rate);
    lstm_json_add_int (b, "n_fft", cfg->n_fft);
    lstm_json_add_int (b, "win_length", cfg->win_length);
    lstm_json_add_int (b, "hop_length", cfg->hop_length);
    lstm_json_add_double (b, "f_min", cfg->f_min);
    lstm_json_add_double (b, "f_max", cfg->f_max);
    lstm_json_add_int (b, "pad", cfg->pad);
    lstm_json_add_int (b, "n_mels", cfg->n_mels);
    lstm_json_add_string (b, "window_fn", torch_window_names[cfg->window_fn]);
    lstm_json_begin_object (b, "wkwargs");
    lstm_json_add_bool (b, "periodic", cfg->periodic);
    lstm_json_end_object (b);
    lstm_json_add_double (b, "power", cfg->power);
    if (cfg->normalized == LSTM_SPEC_NORM_FRAME_LENGTH)
      lstm_json_add_string (b, "normalized", "frame_length");
    else
      lstm_json_add_bool (b, "normalized", cfg->normalized == LSTM_SPEC_NORM_WINDOW);
    lstm_json_add_bool (b, "center", cfg->center);
    lstm_json_add_string (b, "pad_mode", pad_mode_names[cfg->pad_mode]);
    lstm_json_add_bool (b, "onesided", TRUE);
    lstm_json_add_string (b, "norm", cfg->norm_slaney ? "slaney" : NULL);
    lstm_json_add_string (b, "mel_scale", cfg->mel_scale_slaney ? "slaney" : "htk");
    lstm_json_add_string (b, "log", log_names[cfg->log]);
    lstm_json_add_double (b, "log_floor", cfg->log_floor);
    lstm_json_add_string (b, "stype", cfg->stype_magnitude ? "magnitude" : "power");
  } else {
    lstm_json_add_int (b, "sample_rate", cfg->rate);
    lstm_json_add_int (b, "win_length", cfg->win_length);
    lstm_json_add_int (b, "hop_length", cfg->hop_length);
  }
  lstm_json_add_double (b, "waveform_scale", cfg->waveform_scale);
  lstm_json_add_int (b, "channel", cfg->channel);
  if (cfg->kind != LSTM_FEATURES_RAW) {
    lstm_json_add_int (b, "deltas", cfg->deltas);
    lstm_json_add_int (b, "delta_win_length", cfg->delta_win_length);
  }
  lstm_json_end_object (b);
  return lstm_json_writer_finish (b);
}
