/* Slow tests: forecasting real series, against baselines computed here
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For every series of tests/data/series/manifest.csv, `lstm train --series`
 * with its default settings learns the training rows (every row before the
 * last test_rows), `lstm run` forecasts every row one step ahead, and the
 * one-step RMSE on the test rows is set beside three baselines computed in
 * this file from the same rows:
 *
 * - persistence: the last value;
 * - seasonal naive: the value one season (period) ago, where period > 1;
 * - AR(p): a linear autoregression with intercept fitted by least squares
 *   (Householder QR) on the training rows, p chosen there by AIC.
 *
 * The model must beat persistence on every series, and reach AR(p) (RMSE
 * at most AR_MARGIN x the AR(p) RMSE) on more than half of them
 * (/real-series/summary). These bars
 * fail a test without stopping the program (g_test_fail_printf and
 * --keep-going), so every series is scored and printed whatever happens to
 * the others. A table of all
 * figures goes to the test log. The shipped forecaster (models/) is scored
 * the same way and must beat all three baselines on its series.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tool-util.h"

/* The model "reaches" AR(p) when its RMSE is at most this times AR(p)'s:
 * no slack, AR(p) fitted by least squares is the bar to meet. */
#define AR_MARGIN 1.0

/* The shipped forecaster: models/SHIPPED_NAME/, trained on SHIPPED_SERIES */
#define SHIPPED_NAME "nottem-forecast"
#define SHIPPED_SERIES "nottem"

static gchar *tmpdir;

typedef struct {
  gchar *name;
  gchar *file;
  guint period;                 /* season length; 1: none */
  guint n_test;                 /* the last n_test rows are the test part */
  gboolean done;                /* scored */
  guint n, ar_order;
  double rmse_model, rmse_persistence, rmse_seasonal, rmse_ar;
} Series;

static GPtrArray *all_series;

static void
series_free (gpointer data)
{
  Series *s = data;
  g_free (s->name);
  g_free (s->file);
  g_free (s);
}

/* ---- data ---- */

static gchar *
series_data_path (const gchar *file)
{
  return g_test_build_filename (G_TEST_DIST, "data", "series", file, NULL);
}

/* The `value` column of a one-column CSV with a header row */
static double *
read_values (const gchar *path, guint *n)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  GArray *v = g_array_new (FALSE, FALSE, sizeof (double));
  guint i;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (g_strstrip (lines[0]), ==, "value");
  for (i = 1; lines[i]; i++) {
    gchar *end;
    double x;
    if (*g_strstrip (lines[i]) == '\0')
      continue;
    x = g_ascii_strtod (lines[i], &end);
    if (*end != '\0' || !isfinite (x))
      g_error ("%s:%u: '%s' is not a finite number", path, i + 1, lines[i]);
    g_array_append_val (v, x);
  }
  *n = v->len;
  return (double *) g_array_free (v, FALSE);
}

static void
write_csv (const gchar *name, const double *x, guint n)
{
  g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
  GString *s = g_string_new ("value\n");
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint i;

  for (i = 0; i < n; i++) {
    g_string_append (s, g_ascii_dtostr (buf, sizeof buf, x[i]));
    g_string_append_c (s, '\n');
  }
  g_assert_true (g_file_set_contents (path, s->str, s->len, NULL));
  g_string_free (s, TRUE);
}

/* raw little-endian float32, one value per frame */
static void
write_f32 (const gchar *name, const double *x, guint n)
{
  g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
  g_autofree guint32 *raw = g_new (guint32, n);
  guint i;

  for (i = 0; i < n; i++) {
    float f = (float) x[i];
    guint32 u;
    memcpy (&u, &f, 4);
    raw[i] = GUINT32_TO_LE (u);
  }
  g_assert_true (g_file_set_contents (path, (const gchar *) raw,
          (gssize) n * 4, NULL));
}

static double *
read_f32 (const gchar *name, guint *n)
{
  g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
  g_autofree gchar *raw = NULL;
  double *x;
  gsize len, i;

  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_assert_cmpuint (len % 4, ==, 0);
  *n = (guint) (len / 4);
  x = g_new (double, *n);
  for (i = 0; i < *n; i++) {
    guint32 u;
    float f;
    memcpy (&u, raw + 4 * i, 4);
    u = GUINT32_FROM_LE (u);
    memcpy (&f, &u, 4);
    x[i] = f;
  }
  return x;
}

/* The manifest: name,file,...,period,...,test_rows columns, found by name */
static GPtrArray *
read_manifest (void)
{
  g_autofree gchar *path = series_data_path ("manifest.csv");
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL, head = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (series_free);
  gint c_name = -1, c_file = -1, c_period = -1, c_test = -1;
  guint i;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  head = g_strsplit (g_strstrip (lines[0]), ",", -1);
  for (i = 0; head[i]; i++) {
    if (g_str_equal (head[i], "name"))
      c_name = i;
    else if (g_str_equal (head[i], "file"))
      c_file = i;
    else if (g_str_equal (head[i], "period"))
      c_period = i;
    else if (g_str_equal (head[i], "test_rows"))
      c_test = i;
  }
  g_assert_true (c_name >= 0 && c_file >= 0 && c_period >= 0 && c_test >= 0);
  for (i = 1; lines[i]; i++) {
    g_auto (GStrv) f = NULL;
    Series *s;
    if (*g_strstrip (lines[i]) == '\0')
      continue;
    f = g_strsplit (lines[i], ",", -1);
    g_assert_cmpuint (g_strv_length (f), ==, g_strv_length (head));
    s = g_new0 (Series, 1);
    s->name = g_strdup (f[c_name]);
    s->file = g_strdup (f[c_file]);
    s->period = (guint) g_ascii_strtoull (f[c_period], NULL, 10);
    s->n_test = (guint) g_ascii_strtoull (f[c_test], NULL, 10);
    g_assert_cmpuint (s->period, >=, 1);
    g_assert_cmpuint (s->n_test, >=, 2 * s->period);
    g_ptr_array_add (out, s);
  }
  return out;
}

/* ---- baselines ---- */

/* RMSE of forecasts pred[t] of x[t] over t in [from, n) */
static double
rmse (const double *x, const double *pred, guint from, guint n)
{
  double se = 0;
  guint t;

  for (t = from; t < n; t++)
    se += (pred[t] - x[t]) * (pred[t] - x[t]);
  return sqrt (se / (n - from));
}

/*
 * Least squares min |A b - y| for A (m x k, row-major, m >= k) by Householder
 * QR. A and y are overwritten (R in A's upper triangle, Q^T y in y); b gets
 * the k coefficients. Returns FALSE when A is rank deficient.
 */
static gboolean
least_squares_qr (double *A, double *y, guint m, guint k, double *b)
{
  g_autofree double *v = g_new (double, m);
  guint i, j, c;
  double scale = 0;

  for (i = 0; i < m * k; i++)
    scale = MAX (scale, fabs (A[i]));
  for (j = 0; j < k; j++) {
    /* v = column j from row j down, less alpha e_j: H = I - 2 v v^T / v^T v
     * maps that column to alpha e_j */
    double norm = 0, alpha, vtv;
    for (i = j; i < m; i++)
      norm += A[i * k + j] * A[i * k + j];
    norm = sqrt (norm);
    if (norm <= 1e-12 * scale * sqrt (m))
      return FALSE;
    alpha = A[j * k + j] > 0 ? -norm : norm;
    for (i = j; i < m; i++)
      v[i - j] = A[i * k + j];
    v[0] -= alpha;
    vtv = 0;
    for (i = 0; i < m - j; i++)
      vtv += v[i] * v[i];
    for (c = j; c < k; c++) {
      double d = 0;
      for (i = j; i < m; i++)
        d += v[i - j] * A[i * k + c];
      d *= 2 / vtv;
      for (i = j; i < m; i++)
        A[i * k + c] -= d * v[i - j];
    }
    {
      double d = 0;
      for (i = j; i < m; i++)
        d += v[i - j] * y[i];
      d *= 2 / vtv;
      for (i = j; i < m; i++)
        y[i] -= d * v[i - j];
    }
  }
  /* back substitution: R b = (Q^T y)[0..k) */
  for (j = k; j-- > 0;) {
    double s = y[j];
    for (c = j + 1; c < k; c++)
      s -= A[j * k + c] * b[c];
    b[j] = s / A[j * k + j];
  }
  return TRUE;
}

/*
 * AR(p) with intercept on x[0..n_fit): x[t] ~ b[0] + sum_i b[i] x[t - i],
 * fitted on the rows t in [from, n_fit), from >= p. Returns the residual sum
 * of squares; b holds p + 1 coefficients.
 */
static double
ar_fit (const double *x, guint from, guint n_fit, guint p, double *b)
{
  guint m = n_fit - from, k = p + 1, r, i;
  g_autofree double *A = g_new (double, (gsize) m * k);
  g_autofree double *y = g_new (double, m);
  double rss = 0;

  g_assert_cmpuint (from, >=, p);
  g_assert_cmpuint (m, >, k);
  for (r = 0; r < m; r++) {
    A[r * k] = 1;
    for (i = 1; i <= p; i++)
      A[r * k + i] = x[from + r - i];
    y[r] = x[from + r];
  }
  g_assert_true (least_squares_qr (A, y, m, k, b));
  /* the residuals' norm is that of (Q^T y)[k..m) */
  for (r = k; r < m; r++)
    rss += y[r] * y[r];
  return rss;
}

static double
ar_predict (const double *x, guint t, guint p, const double *b)
{
  double s = b[0];
  guint i;

  for (i = 1; i <= p; i++)
    s += b[i] * x[t - i];
  return s;
}

/*
 * Chooses p in [1, p_max] by AIC, every candidate fitted on the same rows
 * [p_max, n_fit), then refits the chosen order on [p, n_fit). The fit runs on
 * standardised values (the same model, better conditioned); b is returned in
 * the data's units. b must hold p_max + 1 values.
 */
static guint
ar_select (const double *x, guint n_fit, guint p_max, double *b)
{
  g_autofree double *z = g_new (double, n_fit);
  double mean = 0, var = 0, sd, best_aic = INFINITY;
  guint t, p, best = 1, m = n_fit - p_max;

  for (t = 0; t < n_fit; t++)
    mean += x[t];
  mean /= n_fit;
  for (t = 0; t < n_fit; t++)
    var += (x[t] - mean) * (x[t] - mean);
  sd = sqrt (var / n_fit);
  g_assert_cmpfloat (sd, >, 0);
  for (t = 0; t < n_fit; t++)
    z[t] = (x[t] - mean) / sd;
  for (p = 1; p <= p_max; p++) {
    double rss = ar_fit (z, p_max, n_fit, p, b);
    double aic = m * log (rss / m) + 2.0 * (p + 1);
    if (aic < best_aic) {
      best_aic = aic;
      best = p;
    }
  }
  ar_fit (z, best, n_fit, best, b);
  /* z = (x - mean) / sd: back to the data's units */
  {
    double lag_sum = 0;
    for (p = 1; p <= best; p++)
      lag_sum += b[p];
    b[0] = mean + sd * b[0] - mean * lag_sum;
  }
  return best;
}

/* the largest AR order tried: two seasons and a bit, at least 12 lags, at
 * most a quarter of the training rows */
static guint
ar_max_order (guint period, guint n_fit)
{
  return MIN (MAX (12, 2 * period + 1), n_fit / 4);
}

/* ---- scoring one series ---- */

/* Trains with `lstm train` defaults unless model_path is given (a trained
 * model to score), forecasts every row, and fills s's figures. */
static void
score_series (Series *s, const gchar *model_path)
{
  g_autofree gchar *path = series_data_path (s->file);
  g_autofree double *x = NULL, *out = NULL, *pred = NULL, *b = NULL;
  guint n, n_out, n_train, t, p_max;

  x = read_values (path, &n);
  g_assert_cmpuint (n, >, s->n_test + 8);
  n_train = n - s->n_test;
  s->n = n;

  if (model_path == NULL) {
    write_csv ("train.csv", x, n_train);
    g_assert_cmpint (tool_run_va (tmpdir, NULL, NULL, "train", "--series",
            "train.csv", "-q", "-o", "m.safetensors", NULL), ==, 0);
    model_path = "m.safetensors";
  }
  write_f32 ("all.f32", x, n);
  g_assert_cmpint (tool_run_va (tmpdir, NULL, NULL, "run", model_path,
          "all.f32", "pred.f32", NULL), ==, 0);
  out = read_f32 ("pred.f32", &n_out);
  g_assert_cmpuint (n_out, ==, n);

  /* frame t - 1 forecasts row t */
  pred = g_new (double, n);
  for (t = n_train; t < n; t++) {
    g_assert_true (isfinite (out[t - 1]));
    pred[t] = out[t - 1];
  }
  s->rmse_model = rmse (x, pred, n_train, n);

  for (t = n_train; t < n; t++)
    pred[t] = x[t - 1];
  s->rmse_persistence = rmse (x, pred, n_train, n);

  s->rmse_seasonal = NAN;
  if (s->period > 1) {
    for (t = n_train; t < n; t++)
      pred[t] = x[t - s->period];
    s->rmse_seasonal = rmse (x, pred, n_train, n);
  }

  p_max = ar_max_order (s->period, n_train);
  b = g_new (double, p_max + 1);
  s->ar_order = ar_select (x, n_train, p_max, b);
  for (t = n_train; t < n; t++)
    pred[t] = ar_predict (x, t, s->ar_order, b);
  s->rmse_ar = rmse (x, pred, n_train, n);
  s->done = TRUE;
}

static void
log_row (const Series *s)
{
  g_test_message ("%-16s %5u %4u %3u %3u  %10.4g %10.4g %10.4g %10.4g  "
      "%6.3f %6.3f%s", s->name, s->n - s->n_test, s->n_test, s->period,
      s->ar_order, s->rmse_model, s->rmse_persistence, s->rmse_seasonal,
      s->rmse_ar, s->rmse_model / s->rmse_persistence,
      s->rmse_model / s->rmse_ar,
      s->rmse_model <= AR_MARGIN * s->rmse_ar ? "  reaches AR" : "");
}

static void
log_header (void)
{
  g_test_message ("%-16s %5s %4s %3s %3s  %10s %10s %10s %10s  %6s %6s",
      "series", "train", "test", "per", "p", "model", "persist", "seasonal",
      "AR(p)", "/pers", "/AR");
}

static void
test_series (gconstpointer data)
{
  Series *s = (Series *) data;

  static gboolean header_logged = FALSE;

  score_series (s, NULL);
  if (!header_logged)
    log_header ();
  header_logged = TRUE;
  log_row (s);
  if (!(s->rmse_model < s->rmse_persistence))
    g_test_fail_printf ("%s: model RMSE %g does not beat persistence (%g)",
        s->name, s->rmse_model, s->rmse_persistence);
}

static void
test_summary (void)
{
  guint i, n_done = 0, n_reach = 0, n_beat = 0;

  log_header ();
  for (i = 0; i < all_series->len; i++) {
    Series *s = g_ptr_array_index (all_series, i);
    if (!s->done)
      continue;
    log_row (s);
    n_done++;
    n_beat += s->rmse_model < s->rmse_persistence;
    n_reach += s->rmse_model <= AR_MARGIN * s->rmse_ar;
  }
  if (n_done == 0) {
    g_test_skip ("no series scored (run with the series tests)");
    return;
  }
  g_test_message ("model beats persistence on %u of %u series, reaches "
      "AR(p) x %.2f on %u", n_beat, n_done, AR_MARGIN, n_reach);
  if (!(2 * n_reach > n_done))
    g_test_fail_printf ("the model reaches AR(p) on %u of %u series: not "
        "more than half", n_reach, n_done);
}

/* ---- the baseline itself: AR(p) recovers a known process ---- */

static void
test_ar_baseline (void)
{
  /* x[t] = 0.5 + 1.2 x[t-1] - 0.5 x[t-2] + e, e ~ N(0, sigma^2) */
  const double c = 0.5, a1 = 1.2, a2 = -0.5, sigma = 0.3;
  const guint n = 6000, n_fit = 5000;
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  g_autofree double *x = g_new0 (double, n), *pred = g_new (double, n);
  double b[13];
  guint t, p, i;

  for (t = 2; t < n; t++) {
    /* Box-Muller */
    double u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
    double e = sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
    x[t] = c + a1 * x[t - 1] + a2 * x[t - 2] + sigma * e;
  }
  p = ar_select (x, n_fit, 12, b);
  g_test_message ("AR order %u: b = %.4f %.4f %.4f", p, b[0], b[1], b[2]);
  g_assert_cmpuint (p, >=, 2);
  g_assert_cmpfloat_with_epsilon (b[1], a1, 0.05);
  g_assert_cmpfloat_with_epsilon (b[2], a2, 0.05);
  for (i = 3; i <= p; i++)
    g_assert_cmpfloat (fabs (b[i]), <, 0.05);
  /* the mean, c / (1 - a1 - a2), through the intercept */
  {
    double lag_sum = 0;
    for (i = 1; i <= p; i++)
      lag_sum += b[i];
    g_assert_cmpfloat_with_epsilon (b[0] / (1 - lag_sum),
        c / (1 - a1 - a2), 0.1);
  }
  /* held out: the one-step error is the innovation's */
  for (t = n_fit; t < n; t++)
    pred[t] = ar_predict (x, t, p, b);
  g_assert_cmpfloat_with_epsilon (rmse (x, pred, n_fit, n), sigma,
      0.05 * sigma);
  /* and a trending series: the fit survives large, nearly collinear levels.
   * A trend plus a sine follows an exact recurrence, so only the noise is
   * left to forecast (an AR(p) approximates the ARMA the noise makes of it:
   * a little above sigma), and shifting the series by a constant shifts the
   * forecasts by as much. */
  for (t = 0; t < n; t++) {
    double u1 = 1.0 - g_rand_double (rng), u2 = g_rand_double (rng);
    double e = sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
    x[t] = 50.0 * t + 20 * sin (0.3 * t) + sigma * e;
  }
  p = ar_select (x, n_fit, 12, b);
  for (t = n_fit; t < n; t++)
    pred[t] = ar_predict (x, t, p, b);
  g_test_message ("trend + sine + noise: AR order %u, RMSE %g", p,
      rmse (x, pred, n_fit, n));
  g_assert_cmpfloat (rmse (x, pred, n_fit, n), <, 1.5 * sigma);
  {
    g_autofree double *shifted = g_new (double, n);
    double b2[13];
    guint p2;
    for (t = 0; t < n; t++)
      shifted[t] = x[t] + 1e5;
    p2 = ar_select (shifted, n_fit, 12, b2);
    g_assert_cmpuint (p2, ==, p);
    for (t = n_fit; t < n; t++)
      g_assert_cmpfloat_with_epsilon (ar_predict (shifted, t, p, b2) - 1e5,
          pred[t], 1e-6 * 1e5);
  }
}

/* ---- the shipped forecaster ---- */

static void
test_shipped (void)
{
  const gchar *root = g_getenv ("LSTM_SOURCE_ROOT");
  g_autofree gchar *model = NULL, *test_csv = NULL, *series = NULL;
  g_autofree double *x = NULL, *xt = NULL;
  Series *s = NULL;
  guint i, n, nt;

  g_assert_nonnull (root);
  model = g_build_filename (root, "models", SHIPPED_NAME,
      SHIPPED_NAME ".safetensors", NULL);
  test_csv = g_build_filename (root, "models", SHIPPED_NAME,
      SHIPPED_SERIES "-test.csv", NULL);
  for (i = 0; i < all_series->len; i++)
    if (g_str_equal (((Series *) g_ptr_array_index (all_series, i))->name,
            SHIPPED_SERIES))
      s = g_ptr_array_index (all_series, i);
  g_assert_nonnull (s);

  /* the test CSV beside the model is the series' test part */
  series = series_data_path (s->file);
  x = read_values (series, &n);
  xt = read_values (test_csv, &nt);
  g_assert_cmpuint (nt, ==, s->n_test);
  for (i = 0; i < nt; i++)
    g_assert_cmpfloat (xt[i], ==, x[n - nt + i]);

  {
    Series shipped = *s;
    shipped.done = FALSE;
    score_series (&shipped, model);
    log_header ();
    log_row (&shipped);
    g_test_message ("%s on %s, test RMSE: model %.4f, persistence %.4f, "
        "seasonal naive %.4f, AR(%u) %.4f", SHIPPED_NAME, s->name,
        shipped.rmse_model, shipped.rmse_persistence, shipped.rmse_seasonal,
        shipped.ar_order, shipped.rmse_ar);
    g_assert_cmpfloat (shipped.rmse_model, <, shipped.rmse_persistence);
    g_assert_cmpfloat (shipped.rmse_model, <, shipped.rmse_ar);
    if (shipped.period > 1)
      g_assert_cmpfloat (shipped.rmse_model, <, shipped.rmse_seasonal);
  }
}

int
main (int argc, char **argv)
{
  /* --keep-going: a series that misses its bar does not stop the others */
  g_autofree gchar **args = g_new0 (gchar *, argc + 2);
  int ret, n_args = argc + 1;
  guint i;

  args[0] = argv[0];
  args[1] = (gchar *) "--keep-going";
  for (i = 1; i < (guint) argc; i++)
    args[i + 1] = argv[i];
  argv = args;
  g_test_init (&n_args, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-series-XXXXXX", NULL);
  all_series = read_manifest ();
  g_test_add_func ("/real-series/ar-baseline", test_ar_baseline);
  for (i = 0; i < all_series->len; i++) {
    Series *s = g_ptr_array_index (all_series, i);
    g_autofree gchar *path = g_strconcat ("/real-series/", s->name, NULL);
    g_test_add_data_func (path, s, test_series);
  }
  g_test_add_func ("/real-series/summary", test_summary);
  g_test_add_func ("/real-series/shipped", test_shipped);
  ret = g_test_run ();
  {
    g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
    const gchar *name;
    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *p = g_build_filename (tmpdir, name, NULL);
      g_remove (p);
    }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  g_ptr_array_unref (all_series);
  return ret;
}
