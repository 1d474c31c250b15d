/* Unit tests: the recipe of new forecasters (lstm_model_new_for_series()):
 * on a synthetic AR(2) series its least-squares start recovers the
 * generating coefficients (levels and residual output, lags listed and by
 * AIC); the same rows give the same bytes; what it refuses; the lags'
 * text form; the training defaults of forecasters
 * (lstm_train_settings_apply_series_defaults()).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <lstm/lstm.h>

#define N 4000
#define A1 0.6
#define A2 (-0.3)
#define C 2.0
/* the coefficients' standard error is about 1/sqrt(N) = 0.016 */
#define TOL 0.06

/* x(t) = C + A1 x(t-1) + A2 x(t-2) + e(t), e standard normal (seeded). */
static float *
ar2_series (guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  float *x = g_new (float, N);
  double p1 = C / (1 - A1 - A2), p2 = p1;
  gsize t;

  for (t = 0; t < N + 100; t++) {
    /* Box-Muller */
    double u = g_rand_double_range (r, 1e-12, 1.0);
    double v = g_rand_double (r);
    double e = sqrt (-2 * log (u)) * cos (2 * G_PI * v);
    double x_t = C + A1 * p1 + A2 * p2 + e;
    p2 = p1;
    p1 = x_t;
    if (t >= 100)               /* burn-in */
      x[t - 100] = (float) x_t;
  }
  return x;
}

/* The float tensor @name of @model (through its safetensors bytes). */
static float *
tensor (LstmModel *model, const gchar *name, gsize *n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = lstm_model_save_to_bytes (model, &error);
  g_autoptr (JsonParser) p = json_parser_new ();
  const guint8 *d;
  gsize len;
  guint64 hlen = 0;
  JsonArray *off;
  gint64 a, b;
  guint k;

  g_assert_no_error (error);
  d = g_bytes_get_data (bytes, &len);
  for (k = 0; k < 8; k++)
    hlen |= (guint64) d[k] << (8 * k);
  g_assert_true (json_parser_load_from_data (p, (const gchar *) d + 8,
          (gssize) hlen, &error));
  g_assert_no_error (error);
  off = json_object_get_array_member (json_object_get_object_member
      (json_node_get_object (json_parser_get_root (p)), name),
      "data_offsets");
  a = json_array_get_int_element (off, 0);
  b = json_array_get_int_element (off, 1);
  *n = (gsize) (b - a) / sizeof (float);
  return g_memdup2 (d + 8 + hlen + a, (gsize) (b - a));
}

/* A forecaster of the series one row ahead, all rows training rows but the
 * last tenth. */
static LstmModel *
make (const float *x, const LstmSeriesOptions *so, LstmSeriesFit *fit,
    GError **error)
{
  static const guint residual[] = { 0 };
  LstmModelRecipe r;
  LstmSeriesRows rows = { 0 };

  lstm_model_recipe_init (&r);
  r.cell = LSTM_LAYER_GRU;
  r.hidden_size = 4;
  r.input_size = 1;
  r.output_size = 1;
  rows.inputs = x;
  rows.targets = x + 1;
  rows.n_rows = N - 1;
  rows.n_train = (N - 1) * 9 / 10;
  rows.residual = residual;
  rows.horizon = 1;
  return lstm_model_new_for_series (&r, so, &rows, fit, error);
}

/* The autoregression the head starts from, in the series' units: the
 * coefficient of each lag (on the level, or on the change for a residual
 * output, then turned into the level's). */
static void
check_start (gboolean residual, const gchar *lags)
{
  g_autofree float *x = ar2_series (7);
  g_autofree float *w = NULL, *b = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  LstmSeriesOptions so = { 0 };
  LstmSeriesFit fit = { 0 };
  LstmLayerInfo head;
  double si, st, coef[LSTM_SERIES_MAX_LAGS];
  gsize nw, nb, k0;
  guint q;

  so.no_residual = !residual;
  g_assert_true (lstm_series_options_parse_lags (&so, lags, &error));
  m = make (x, &so, &fit, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_true (fit.ar_start);
  g_assert_cmpint (fit.residual, ==, residual);
  g_assert_cmpint (lstm_model_get_residual (m) != NULL, ==, residual);
  g_assert_cmpstr (lstm_model_get_metadata (m, "lstm.horizon"), ==, "1");
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_FORECAST);
  g_assert_cmpuint (fit.n_lags, >=, 2);
  g_assert_cmpuint (fit.lags[0], ==, 0);
  g_assert_cmpuint (fit.lags[1], ==, 1);
  g_assert_cmpuint (fit.season, >=, 1);
  g_assert_true (lstm_model_get_layer_info (m, lstm_model_get_n_layers (m) -
          1, &head));
  g_assert_cmpstr (head.skip, ==, "lag");

  w = tensor (m, "head.weight", &nw);
  b = tensor (m, "head.bias", &nb);
  g_assert_cmpuint (nb, ==, 1);
  g_assert_cmpuint (nw, ==, 4 + fit.n_lags);
  /* the weights on the GRU's output start at zero */
  for (k0 = 0; k0 < 4; k0++)
    g_assert_cmpfloat (w[k0], ==, 0.0f);
  /* z = (x - mean) / si, the head's target (y - mean_t) / st: a
   * coefficient on x is w st / si */
  si = lstm_model_get_input_std (m)[0];
  st = fit.target_std[0];
  for (q = 0; q < fit.n_lags; q++)
    coef[q] = w[4 + q] * st / si;
  if (residual)
    coef[0] += 1.0;             /* the change's, plus the last value */
  g_test_message ("%s, lags %s: %u lags, a1 %.4f (%.2f), a2 %.4f (%.2f)",
      residual ? "residual" : "levels", lags, fit.n_lags, coef[0], A1,
      coef[1], A2);
  g_assert_cmpfloat (fabs (coef[0] - A1), <, TOL);
  g_assert_cmpfloat (fabs (coef[1] - A2), <, TOL);
  for (q = 2; q < fit.n_lags; q++)
    g_assert_cmpfloat (fabs (coef[q]), <, TOL);
  lstm_series_fit_clear (&fit);
  g_assert_null (fit.lags);
}

static void
test_ar2_listed (void)
{
  check_start (FALSE, "0,1");
  check_start (TRUE, "0,1");
}

static void
test_ar2_auto (void)
{
  check_start (FALSE, "auto");
  check_start (TRUE, "auto");
}

/* The same rows and options: the same bytes; no lags: no lag layer. */
static void
test_deterministic (void)
{
  g_autofree float *x = ar2_series (11);
  g_autoptr (GError) error = NULL;
  LstmSeriesFit f1, f2;
  LstmModel *m1 = make (x, NULL, &f1, &error), *m2;
  g_autoptr (GBytes) b1 = NULL, b2 = NULL;
  LstmSeriesOptions so = { 0 };
  LstmLayerInfo li;

  g_assert_no_error (error);
  m2 = make (x, NULL, &f2, &error);
  g_assert_no_error (error);
  b1 = lstm_model_save_to_bytes (m1, NULL);
  b2 = lstm_model_save_to_bytes (m2, NULL);
  g_assert_true (g_bytes_equal (b1, b2));
  g_assert_true (f1.residual);
  lstm_series_fit_clear (&f1);
  lstm_series_fit_clear (&f2);
  lstm_model_unref (m1);
  lstm_model_unref (m2);

  g_assert_true (lstm_series_options_parse_lags (&so, "none", NULL));
  m1 = make (x, &so, &f1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f1.n_lags, ==, 0);
  g_assert_false (f1.ar_start);
  g_assert_true (lstm_model_get_layer_info (m1, 0, &li));
  g_assert_cmpint (li.type, ==, LSTM_LAYER_GRU);
  lstm_series_fit_clear (&f1);
  lstm_model_unref (m1);
}

static void
test_refused (void)
{
  g_autofree float *x = ar2_series (3);
  static const guint bad_residual[] = { 1 };
  LstmModelRecipe r;
  LstmSeriesRows rows = { 0 };
  LstmSeriesOptions so = { 0 };
  LstmSeriesFit fit;
  guint k;

  lstm_model_recipe_init (&r);
  r.input_size = 1;
  r.output_size = 1;
  for (k = 0; k < 4; k++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = NULL;
    rows.inputs = x;
    rows.targets = x + 1;
    rows.n_rows = 100;
    rows.n_train = 90;
    rows.residual = NULL;
    rows.horizon = 1;
    lstm_series_options_parse_lags (&so, "auto", NULL);
    switch (k) {
      case 0:
        rows.n_train = 1;       /* too few training rows */
        break;
      case 1:
        rows.n_train = 101;     /* more than the rows */
        break;
      case 2:
        rows.residual = bad_residual;   /* not an input */
        break;
      case 3:
        g_assert_true (lstm_series_options_parse_lags (&so, "0,100", NULL));
        break;
    }
    m = lstm_model_new_for_series (&r, &so, &rows, &fit, &error);
    g_assert_null (m);
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_test_message ("%s", error->message);
    g_assert_null (fit.target_mean);
    g_assert_null (fit.lags);
  }
}

/* lags as text: read back as written; refused, the options unchanged. */
static void
test_lags_text (void)
{
  static const gchar *const good[][2] = {
    {"auto", "auto"}, {"none", "none"}, {"0, 1,12", "0,1,12"}, {"7", "7"},
  };
  static const gchar *const bad[] = { "", "1,x", "5000", "-1", "1,,2",
    "auto,1"
  };
  LstmSeriesOptions so = { 0 }, before;
  GString *many = g_string_new ("0");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autofree gchar *text = NULL;
    g_assert_true (lstm_series_options_parse_lags (&so, good[i][0], NULL));
    text = lstm_series_options_lags_to_string (&so);
    g_assert_cmpstr (text, ==, good[i][1]);
  }
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    before = so;
    g_assert_false (lstm_series_options_parse_lags (&so, bad[i], &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, "lags"));
    g_assert_true (memcmp (&before, &so, sizeof so) == 0);
  }
  for (i = 1; i <= LSTM_SERIES_MAX_LAGS; i++)
    g_string_append_printf (many, ",%u", i);
  g_assert_false (lstm_series_options_parse_lags (&so, many->str, NULL));
  g_string_free (many, TRUE);
}

/* The training defaults of forecasters: on every option not given (by
 * name or alias), lanes and weight decay by the number of rows. */
static void
test_training_defaults (void)
{
  static const gchar *const given[] = { "hidden", "lr", "batch-size", NULL };
  LstmTrainSettings s;

  lstm_train_settings_init (&s);
  lstm_train_settings_resolve (&s);
  lstm_train_settings_apply_series_defaults (&s, 200, NULL);
  g_assert_cmpint (s.model.cell, ==, LSTM_LAYER_GRU);
  g_assert_cmpuint (s.model.hidden_size, ==, 32);
  g_assert_cmpuint (s.trainer.epochs, ==, 200);
  g_assert_cmpuint (s.trainer.sequence_length, ==, 32);
  g_assert_cmpuint (s.trainer.patience, ==, 10);
  g_assert_cmpfloat (s.trainer.learning_rate, ==, 3e-3);
  g_assert_cmpuint (s.trainer.batch_size, ==, 1);
  g_assert_cmpfloat (fabs (s.trainer.weight_decay - 1e-3), <, 1e-12);
  lstm_train_settings_apply_series_defaults (&s, 5000, NULL);
  g_assert_cmpuint (s.trainer.batch_size, ==, 9);
  lstm_train_settings_apply_series_defaults (&s, 1000000, NULL);
  g_assert_cmpuint (s.trainer.batch_size, ==, 32);

  /* given: kept */
  lstm_train_settings_init (&s);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("hidden"),
          &s, "5", NULL));
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("lr"), &s,
          "0.5", NULL));
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("batch-size"), &s, "3", NULL));
  lstm_train_settings_apply_series_defaults (&s, 200, given);
  g_assert_cmpuint (s.model.hidden_size, ==, 5);
  g_assert_cmpfloat (s.trainer.learning_rate, ==, 0.5);
  g_assert_cmpuint (s.trainer.batch_size, ==, 3);
  g_assert_cmpuint (s.trainer.epochs, ==, 200);

  /* SGD keeps its own learning rate */
  lstm_train_settings_init (&s);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("optimizer"), &s, "sgd", NULL));
  lstm_train_settings_resolve (&s);
  lstm_train_settings_apply_series_defaults (&s, 200, NULL);
  g_assert_cmpfloat (s.trainer.learning_rate, ==, 1e-2);
}

/* Wide frames: the order search stops at 512 coefficients per target, and
 * a listed lag set above that trains without a least-squares start. */
static void
test_wide (void)
{
  enum { W = 200, R = 400 };
  g_autofree float *x = g_new (float, (gsize) (R + 1) * W);
  g_autofree guint *residual = g_new (guint, W);
  LstmSeriesOptions so = { 0 };
  LstmSeriesFit fit = { 0 };
  LstmSeriesRows rows = { 0 };
  LstmModelRecipe r;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  guint i, pass;

  for (i = 0; i < (R + 1) * W; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  for (i = 0; i < W; i++)
    residual[i] = i;
  for (pass = 0; pass < 2; pass++) {
    g_autoptr (LstmModel) m = NULL;
    g_autoptr (GError) error = NULL;
    lstm_model_recipe_init (&r);
    r.cell = LSTM_LAYER_GRU;
    r.hidden_size = 4;
    r.input_size = W;
    r.output_size = W;
    rows.inputs = x;
    rows.targets = x + W;
    rows.n_rows = R;
    rows.n_train = R * 9 / 10;
    rows.residual = residual;
    rows.horizon = 1;
    g_assert_true (lstm_series_options_parse_lags (&so, pass == 0 ? "auto" :
            "0,1,2", &error));
    m = lstm_model_new_for_series (&r, &so, &rows, &fit, &error);
    g_assert_no_error (error);
    g_assert_nonnull (m);
    if (pass == 0)
      g_assert_cmpuint (fit.n_lags * W, <=, 512);
    else
      g_assert_false (fit.ar_start);
    lstm_series_fit_clear (&fit);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/series/ar2/listed", test_ar2_listed);
  g_test_add_func ("/series/ar2/auto", test_ar2_auto);
  g_test_add_func ("/series/deterministic", test_deterministic);
  g_test_add_func ("/series/refused", test_refused);
  g_test_add_func ("/series/lags-text", test_lags_text);
  g_test_add_func ("/series/training-defaults", test_training_defaults);
  g_test_add_func ("/series/wide", test_wide);
  return g_test_run ();
}
