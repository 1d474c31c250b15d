/* Golden tests: liblstm's audio features against torchaudio's.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The data (tests/golden/features and the WAV files in tests/data) comes from
 * make_golden_features.py. Each case computes a configuration over a WAV
 * file (read as S16, through lstm_features_process_interleaved()) and
 * applies design.md section 5's rule against torchaudio:
 *   - log filterbank values within 1e-3 wherever the reference is within
 *     16 nats of its frame's maximum; below that, the linear energies
 *     within 1e-6 of the frame's maximum energy (linear and dB outputs are
 *     compared through their natural log, so the same rule holds);
 *   - MFCC (and deltas) within 2e-3, on broadband audio (speech, noise);
 *   - raw windows bit for bit (SHA-256 of the float32 bytes).
 * Every case reports its largest errors.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <sndfile.h>
#include <lstm/lstm.h>

#define LOG_TOL 1e-3
#define LIN_TOL 1e-6
#define MFCC_TOL 2e-3
#define NATS 16.0

typedef struct {
  gchar *name;
  gchar *config;
  gchar *audio;
  gchar *compare;
  gchar *file;
  gchar *sha256;
  guint frames;
  guint dim;
  gint energy_column;
  double power;         /* values are energy ** (power / 2) */
  double db_mult;       /* dB outputs: 10 (stype power) or 20 (magnitude) */
} Case;

static GPtrArray *cases;

static void
case_free (gpointer p)
{
  Case *c = p;
  g_free (c->name);
  g_free (c->config);
  g_free (c->audio);
  g_free (c->compare);
  g_free (c->file);
  g_free (c->sha256);
  g_free (c);
}

static gboolean
load_manifest (void)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "golden",
      "features", "manifest.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonArray *arr;
  guint i;

  if (!json_parser_load_from_file (parser, path, &error)) {
    g_printerr ("%s: %s\n", path, error->message);
    return FALSE;
  }
  root = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_int_member (root, "version") != 1) {
    g_printerr ("%s: unknown version\n", path);
    return FALSE;
  }
  cases = g_ptr_array_new_with_free_func (case_free);
  arr = json_object_get_array_member (root, "cases");
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonObject *o = json_array_get_object_element (arr, i);
    Case *c = g_new0 (Case, 1);
    c->name = g_strdup (json_object_get_string_member (o, "name"));
    c->config = json_to_string (json_object_get_member (o, "config"), FALSE);
    c->audio = g_strdup (json_object_get_string_member (o, "audio"));
    c->compare = g_strdup (json_object_get_string_member (o, "compare"));
    c->file = g_strdup (json_object_get_string_member_with_default (o,
            "file", NULL));
    c->sha256 = g_strdup (json_object_get_string_member_with_default (o,
            "sha256", NULL));
    c->frames = (guint) json_object_get_int_member (o, "frames");
    c->dim = (guint) json_object_get_int_member (o, "dim");
    c->energy_column = (gint) json_object_get_int_member_with_default (o,
        "energy_column", -1);
    {
      JsonObject *cfg = json_object_get_object_member (o, "config");
      c->power = json_object_get_boolean_member_with_default (cfg,
          "use_power", TRUE) ? 2.0 : 1.0;
      c->power = json_object_get_double_member_with_default (cfg, "power",
          c->power);
      c->db_mult = g_strcmp0 (json_object_get_string_member_with_default
          (cfg, "stype", "power"), "magnitude") == 0 ? 20.0 : 10.0;
    }
    g_ptr_array_add (cases, c);
  }
  return TRUE;
}

/* torchaudio's features: the .bin file after its versioned header. */
static float *
load_reference (const Case *c)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "golden",
      "features", c->file, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *data = NULL;
  gsize len;
  guint32 hdr[4];
  float *ref;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, 24);
  g_assert_cmpmem (data, 8, "LSTMFEAT", 8);
  memcpy (hdr, data + 8, sizeof hdr);
  g_assert_cmpuint (GUINT32_FROM_LE (hdr[0]), ==, 1);
  g_assert_cmpuint (GUINT32_FROM_LE (hdr[1]), ==, c->frames);
  g_assert_cmpuint (GUINT32_FROM_LE (hdr[2]), ==, c->dim);
  g_assert_cmpuint (len, ==, 24 + (gsize) c->frames * c->dim * 4);
  ref = g_new (float, (gsize) c->frames * c->dim);
  memcpy (ref, data + 24, (gsize) c->frames * c->dim * 4);
  return ref;
}

/* Computes the features of the case's WAV, as S16 in blocks of 1000. */
static float *
compute (const Case *c, LstmFeatures *f, gsize *n_frames)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data",
      c->audio, NULL);
  const guint dim = lstm_features_get_size (f);
  SF_INFO info = { 0 };
  SNDFILE *sf = sf_open (path, SFM_READ, &info);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (float));
  gint16 buf[1000];
  float *frames;
  sf_count_t got;
  gsize n;

  g_assert_nonnull (sf);
  g_assert_cmpint (info.channels, ==, 1);
  g_assert_cmpuint (info.samplerate, ==, lstm_features_get_sample_rate (f));
  frames = g_new (float, (lstm_features_max_frames (f, 1000) +
          lstm_features_max_flush_frames (f)) * dim);
  while ((got = sf_readf_short (sf, buf, 1000)) > 0) {
    n = lstm_features_process_interleaved (f, buf, LSTM_SAMPLE_S16, 1,
        (gsize) got, frames);
    g_array_append_vals (out, frames, (guint) (n * dim));
  }
  n = lstm_features_flush (f, frames);
  g_array_append_vals (out, frames, (guint) (n * dim));
  sf_close (sf);
  g_free (frames);
  *n_frames = out->len / dim;
  return (float *) g_array_free (out, FALSE);
}

/* The natural log of the filterbank value an output stands for. */
static double
to_log (const Case *c, double v)
{
  if (strcmp (c->compare, "db") == 0)
    return v * G_LN10 / c->db_mult;
  if (strcmp (c->compare, "linear") == 0)
    return v > 0 ? log (v) : -INFINITY;
  return v;
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmFeatures) f = lstm_features_new (c->config, &error);
  g_autofree float *ours = NULL, *ref = NULL;
  gsize n, t;
  guint j, n_in = 0, n_below = 0, fails = 0;
  double max_log = 0, max_lin = 0, max_abs = 0, max_energy = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (lstm_features_get_size (f), ==, c->dim);
  ours = compute (c, f, &n);
  g_assert_cmpuint (n, ==, c->frames);

  if (strcmp (c->compare, "sha256") == 0) {
    g_autofree gchar *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
        (const guchar *) ours, n * c->dim * sizeof (float));
    g_assert_true (G_BYTE_ORDER == G_LITTLE_ENDIAN);
    g_test_message ("%s: %" G_GSIZE_FORMAT " x %u raw windows, sha256 %s",
        c->name, n, c->dim, sum);
    g_assert_cmpstr (sum, ==, c->sha256);
    return;
  }
  ref = load_reference (c);

  if (strcmp (c->compare, "mfcc") == 0) {
    double max_rel = 0;
    for (t = 0; t < n * c->dim; t++) {
      double e = fabs ((double) ours[t] - ref[t]);
      max_abs = MAX (max_abs, e);
      max_rel = MAX (max_rel, e / MAX (fabs (ref[t]), 1.0));
      if (e > MFCC_TOL)
        fails++;
    }
    g_test_message ("%s: %" G_GSIZE_FORMAT " x %u, max |err| %.3g "
        "(tolerance %g), max |err| / max(|ref|, 1) %.3g", c->name, n,
        c->dim, max_abs, MFCC_TOL, max_rel);
    g_assert_cmpuint (fails, ==, 0);
    return;
  }

  /* The rule is stated for energies: with magnitudes (power 1) the
   * region is 16 nats of energy (8 of magnitude), the tolerance 1e-3 on
   * the log of the value itself, the linear check on the squares. */
  for (t = 0; t < n; t++) {
    const float *o = ours + t * c->dim, *r = ref + t * c->dim;
    const double k = 2.0 / c->power;  /* log energy = k log value */
    double mx = -INFINITY;
    for (j = 0; j < c->dim; j++)
      if ((gint) j != c->energy_column)
        mx = MAX (mx, k * to_log (c, r[j]));
    for (j = 0; j < c->dim; j++) {
      double lo = to_log (c, o[j]), lr = to_log (c, r[j]);
      if ((gint) j == c->energy_column) {
        double e = fabs ((double) o[j] - r[j]);
        max_energy = MAX (max_energy, e);
        fails += e > LOG_TOL;
      } else if (isfinite (mx) && k * lr >= mx - NATS) {
        double e = fabs (lo - lr);
        n_in++;
        max_log = MAX (max_log, e);
        fails += !(e <= LOG_TOL);
      } else {
        /* linear energies, relative to the frame's largest */
        double e = isfinite (mx) ? fabs (exp (k * lo) - exp (k * lr)) /
            exp (mx) : fabs ((double) o[j] - r[j]);
        n_below++;
        max_lin = MAX (max_lin, e);
        fails += !(e <= LIN_TOL);
      }
    }
  }
  /* a log error is the relative error of the energies */
  g_test_message ("%s: %" G_GSIZE_FORMAT " x %u, max |log err| %.3g over "
      "%u values within %g nats of the frame's max energy (tolerance %g); "
      "max linear energy err %.3g of the frame max over %u values below "
      "(tolerance %g)",
      c->name, n, c->dim, max_log, n_in, NATS, LOG_TOL, max_lin, n_below,
      LIN_TOL);
  if (c->energy_column >= 0)
    g_test_message ("%s: log energy column %d, max |err| %.3g", c->name,
        c->energy_column, max_energy);
  g_assert_cmpuint (fails, ==, 0);
}

int
main (int argc, char **argv)
{
  const gchar *fft = g_getenv ("LSTM_FFT_KERNELS");
  guint i;
  int ret;

  if (fft != NULL && *fft != '\0') {
    /* a forced FFT variant this build or CPU lacks: skipped (TAP) */
    g_autoptr (GError) error = NULL;
    LstmFeatures *f = lstm_features_new ("{\"kind\":\"fbank\"}", &error);
    if (f == NULL) {
      g_print ("1..0 # SKIP LSTM_FFT_KERNELS=%s: %s\n", fft,
          error->message);
      return 0;
    }
    lstm_features_free (f);
  }
  g_test_init (&argc, &argv, NULL);
  if (!load_manifest ())
    return 1;
  for (i = 0; i < cases->len; i++) {
    Case *c = g_ptr_array_index (cases, i);
    g_autofree gchar *path = g_strdup_printf ("/features/golden/%s",
        c->name);
    g_test_add_data_func (path, c, test_case);
  }
  ret = g_test_run ();
  g_ptr_array_unref (cases);
  return ret;
}
