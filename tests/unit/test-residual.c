/* Unit tests: residual outputs (lstm.residual), the forecast horizon
 * (lstm.horizon) and closed-loop forecasting (lstm_model_forecast, lstm
 * forecast).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "tool-util.h"

#define ARCH_3x3 "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3," \
  "\"hidden_size\":6},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":3}]"

static LstmModel *
new_model (const gchar *arch, const gchar *residual, const gchar *horizon)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL, r = NULL, h = NULL;
  static const float mean[] = { 1.0f, -2.0f, 0.5f, 3.0f };
  static const float std[] = { 2.0f, 0.5f, 1.5f, 4.0f };
  LstmModelOptions opts = { 0 };

  opts.seed = 7;
  opts.task = LSTM_TASK_FORECAST;
  opts.input_mean = mean;
  opts.input_std = std;
  m = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  r = residual ? lstm_model_with_metadata (m, "lstm.residual", residual,
      &error) : lstm_model_ref (m);
  g_assert_no_error (error);
  if (horizon == NULL)
    return g_steal_pointer (&r);
  h = lstm_model_with_metadata (r, "lstm.horizon", horizon, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&h);
}

static float *
frames (gsize n, guint dim, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  float *x = g_new (float, n * dim);
  gsize i;
  for (i = 0; i < n * dim; i++)
    x[i] = (float) g_rand_double_range (r, -50.0, 50.0);
  return x;
}

/* Output j = the head's output + the raw input value residual[j], exactly
 * (one float addition), and the residual survives a save and a load. */
static void
test_forward (void)
{
  g_autoptr (LstmModel) res = new_model (ARCH_3x3, "[2,0,2]", NULL);
  g_autoptr (LstmModel) plain = NULL, loaded = NULL;
  g_autoptr (LstmState) s1 = NULL, s2 = NULL, s3 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree float *x = frames (300, 3, 1), *y = g_new (float, 900);
  g_autofree float *h = g_new (float, 900), *z = g_new (float, 900);
  static const guint idx[] = { 2, 0, 2 };
  const guint *got;
  gsize t;
  guint j;

  got = lstm_model_get_residual (res);
  g_assert_nonnull (got);
  g_assert_cmpmem (got, 3 * sizeof (guint), idx, sizeof idx);
  g_assert_cmpstr (lstm_model_get_metadata (res, "lstm.residual"), ==,
      "[2,0,2]");
  plain = lstm_model_with_metadata (res, "lstm.residual", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (lstm_model_get_residual (plain));
  g_assert_cmpuint (lstm_model_get_flops_per_frame (res), ==,
      lstm_model_get_flops_per_frame (plain) + 3);

  s1 = lstm_state_new (res);
  s2 = lstm_state_new (plain);
  g_assert_true (lstm_model_forward (res, s1, x, 300, y, &error));
  g_assert_true (lstm_model_forward (plain, s2, x, 300, h, &error));
  g_assert_no_error (error);
  for (t = 0; t < 300; t++)
    for (j = 0; j < 3; j++) {
      float want = h[t * 3 + j] + x[t * 3 + idx[j]];
      g_assert_cmpmem (&y[t * 3 + j], sizeof (float), &want, sizeof want);
    }

  bytes = lstm_model_save_to_bytes (res, &error);
  g_assert_no_error (error);
  loaded = lstm_model_load_from_bytes (bytes, "residual.safetensors",
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (lstm_model_get_residual (loaded));
  s3 = lstm_state_new (loaded);
  g_assert_true (lstm_model_forward (loaded, s3, x, 300, z, &error));
  g_assert_cmpmem (z, 900 * sizeof (float), y, 900 * sizeof (float));
  /* the offline entry point applies it too */
  g_assert_true (lstm_model_forward_sequence (res, x, 300, z, &error));
  g_assert_cmpmem (z, 900 * sizeof (float), y, 900 * sizeof (float));
}

typedef struct {
  const gchar *name;
  const gchar *arch;
  const gchar *key;
  const gchar *value;
  gint code;
  const gchar *message;
} BadCase;

#define ARCH_SOFTMAX "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3," \
  "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":3,\"activation\":\"softmax\"}]"
#define ARCH_RNN_LAST "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3," \
  "\"hidden_size\":3}]"

static const BadCase bad_cases[] = {
  { "not-json", ARCH_3x3, "lstm.residual", "[0,", LSTM_ERROR_FORMAT,
      "is not a JSON list" },
  { "object", ARCH_3x3, "lstm.residual", "{\"a\":0}", LSTM_ERROR_FORMAT,
      "is not a JSON list" },
  { "short", ARCH_3x3, "lstm.residual", "[0,1]", LSTM_ERROR_SHAPE,
      "has 2 entries for 3 outputs" },
  { "long", ARCH_3x3, "lstm.residual", "[0,1,2,0]", LSTM_ERROR_SHAPE,
      "has 4 entries for 3 outputs" },
  { "range", ARCH_3x3, "lstm.residual", "[0,3,1]", LSTM_ERROR_SHAPE,
      "entry 1 is input 3, outside the 3 inputs" },
  { "negative", ARCH_3x3, "lstm.residual", "[0,1,-1]", LSTM_ERROR_SHAPE,
      "entry 2 is input -1" },
  { "string", ARCH_3x3, "lstm.residual", "[0,\"1\",2]", LSTM_ERROR_FORMAT,
      "entry 1 is not an integer" },
  { "float", ARCH_3x3, "lstm.residual", "[0,1.5,2]", LSTM_ERROR_FORMAT,
      "entry 1 is not an integer" },
  { "softmax", ARCH_SOFTMAX, "lstm.residual", "[0,1,2]",
      LSTM_ERROR_UNSUPPORTED, "'head' is linear with activation softmax" },
  { "rnn-last", ARCH_RNN_LAST, "lstm.residual", "[0,1,2]",
      LSTM_ERROR_UNSUPPORTED, "'rnn' is lstm" },
  { "horizon-zero", ARCH_3x3, "lstm.horizon", "0", LSTM_ERROR_FORMAT,
      "lstm.horizon '0' is not a positive integer" },
  { "horizon-text", ARCH_3x3, "lstm.horizon", "one", LSTM_ERROR_FORMAT,
      "lstm.horizon 'one' is not a positive integer" },
};

/* Each bad value is refused by lstm_model_with_metadata() and, written
 * into a file, by loading. */
static void
test_invalid (gconstpointer data)
{
  const BadCase *bc = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL, bad = NULL, loaded = NULL;
  g_autoptr (GBytes) bytes = NULL, edited = NULL;
  const gchar *placeholder;
  const guint8 *p;
  gsize len, hlen;
  GString *s;
  gchar *at;

  m = lstm_model_new (bc->arch, NULL, &error);
  g_assert_no_error (error);
  bad = lstm_model_with_metadata (m, bc->key, bc->value, &error);
  g_assert_null (bad);
  g_assert_error (error, LSTM_ERROR, bc->code);
  g_assert_nonnull (strstr (error->message, bc->message));
  g_clear_error (&error);

  /* a file carrying the bad value: write a placeholder of the same key
   * through the description, then patch the header text */
  placeholder = "PLACEHOLDER-VALUE-TO-PATCH";
  bad = lstm_model_with_metadata (m, "lstm.description", placeholder,
      &error);
  g_assert_no_error (error);
  bytes = lstm_model_save_to_bytes (bad, &error);
  g_assert_no_error (error);
  p = g_bytes_get_data (bytes, &len);
  hlen = (gsize) p[0] | (gsize) p[1] << 8 | (gsize) p[2] << 16 |
      (gsize) p[3] << 24;
  s = g_string_new_len ((const gchar *) p + 8, hlen);
  at = strstr (s->str, "\"lstm.description\"");
  g_assert_nonnull (at);
  {
    gsize off = at - s->str;
    g_autofree gchar *esc = g_strescape (bc->value, NULL);
    g_autofree gchar *repl = g_strdup_printf ("\"%s\":\"%s\"", bc->key,
        esc);
    gchar *end = strstr (at, placeholder) + strlen (placeholder) + 1;
    g_string_erase (s, off, end - at);
    g_string_insert (s, off, repl);
  }
  while (s->len % 8 != 0)
    g_string_append_c (s, ' ');
  {
    GByteArray *b = g_byte_array_new ();
    guint8 hdr[8] = { 0 };
    guint64 n = s->len;
    guint i;
    for (i = 0; i < 8; i++)
      hdr[i] = (guint8) (n >> (8 * i));
    g_byte_array_append (b, hdr, 8);
    g_byte_array_append (b, (const guint8 *) s->str, s->len);
    g_byte_array_append (b, p + 8 + hlen, len - 8 - hlen);
    edited = g_byte_array_free_to_bytes (b);
  }
  g_string_free (s, TRUE);
  loaded = lstm_model_load_from_bytes (edited, "bad.safetensors", &error);
  g_assert_null (loaded);
  g_assert_error (error, LSTM_ERROR, bc->code);
  g_assert_nonnull (strstr (error->message, "bad.safetensors"));
  g_assert_nonnull (strstr (error->message, bc->message));
}

/* A trending series: a random walk with drift (seeded); the last quarter
 * rises above everything the first three quarters showed. */
static float *
trend_series (gsize n)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (11);
  float *x = g_new (float, n);
  double v = 10.0;
  gsize t;
  for (t = 0; t < n; t++) {
    /* Box-Muller: a normal step of mean 1 and deviation 0.5 */
    double u1 = g_rand_double_range (r, 1e-12, 1.0);
    double u2 = g_rand_double (r);
    v += 1.0 + 0.5 * sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
    x[t] = (float) v;
  }
  return x;
}

/* Trains a 1-in 1-out forecaster on x[0, n_train) (target: the next row),
 * with the target scaling `lstm train` uses: that of the targets or, for a
 * residual model, of the differences. */
static LstmModel *
train_forecaster (const float *x, gsize n_train, gboolean residual,
    double *eval_loss)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmDataset) ds = NULL;
  g_autoptr (LstmTrainer) tr = NULL;
  LstmTrainerOptions o;
  LstmModelOptions mo = { 0 };
  g_autofree float *y = g_new (float, n_train);
  double s = 0, s2 = 0, xs = 0, xs2 = 0;
  float mean, std, xmean, xstd;
  gsize t, n = n_train - 1;

  for (t = 0; t < n; t++) {
    y[t] = x[t + 1] - (residual ? x[t] : 0.0f);
    s += y[t];
    s2 += (double) y[t] * y[t];
    xs += x[t];
    xs2 += (double) x[t] * x[t];
  }
  mean = (float) (s / n);
  std = (float) sqrt (s2 / n - (s / n) * (s / n));
  xmean = (float) (xs / n);
  xstd = (float) sqrt (xs2 / n - (xs / n) * (xs / n));
  for (t = 0; t < n; t++)
    y[t] += residual ? x[t] : 0.0f;

  mo.seed = 3;
  mo.task = LSTM_TASK_FORECAST;
  mo.input_mean = &xmean;
  mo.input_std = &xstd;
  m = lstm_model_new ("[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":1,"
      "\"hidden_size\":16},{\"type\":\"linear\",\"name\":\"head\","
      "\"out_features\":1}]", &mo, &error);
  g_assert_no_error (error);
  if (residual) {
    LstmModel *r = lstm_model_with_metadata (m, "lstm.residual", "[0]",
        &error);
    g_assert_no_error (error);
    lstm_model_unref (m);
    m = r;
  }
  ds = lstm_dataset_new (1, LSTM_TARGET_FRAME_VALUES, 1, &error);
  g_assert_no_error (error);
  for (t = 0; t < n; t += 20)
    g_assert_true (lstm_dataset_add_with_values (ds, x + t, MIN (20, n - t),
            y + t, NULL, &error));
  lstm_trainer_options_init (&o);
  o.epochs = 150;
  o.batch_size = 4;
  o.learning_rate = 1e-2;
  o.target_mean = &mean;
  o.target_std = &std;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  g_assert_no_error (error);
  /* evaluated on the whole series as one sequence, as the forward runs */
  g_clear_pointer (&ds, lstm_dataset_free);
  ds = lstm_dataset_new (1, LSTM_TARGET_FRAME_VALUES, 1, &error);
  g_assert_true (lstm_dataset_add_with_values (ds, x, n, y, NULL, &error));
  g_assert_true (lstm_trainer_evaluate (tr, ds, eval_loss, NULL, &error));
  g_assert_no_error (error);
  return lstm_trainer_get_model (tr);
}

/* One-step RMSE of @m on x[from, n) (each row predicted from the one
 * before), running the whole series. */
static double
one_step_rmse (LstmModel *m, const float *x, gsize n, gsize from)
{
  g_autofree float *y = g_new (float, n);
  double s = 0;
  gsize t;
  g_assert_true (lstm_model_forward_sequence (m, x, n, y, NULL));
  for (t = from; t < n; t++)
    s += (double) (y[t - 1] - x[t]) * (y[t - 1] - x[t]);
  return sqrt (s / (n - from));
}

/* The trainer's loss is that of the saved model: the residual is applied
 * in training as at inference, the target scaling folded into the head;
 * and on a trend beyond the training range, the residual model beats
 * persistence where the level model cannot. */
static void
test_train (void)
{
  const gsize N = 400, n_train = 300;
  g_autofree float *x = trend_series (N);
  g_autofree float *y = g_new (float, N);
  g_autoptr (LstmModel) res = NULL, lvl = NULL;
  double loss_res, loss_lvl, mse = 0, pers = 0, rmse_res, rmse_lvl;
  gsize t;

  res = train_forecaster (x, n_train, TRUE, &loss_res);
  lvl = train_forecaster (x, n_train, FALSE, &loss_lvl);
  g_assert_nonnull (lstm_model_get_residual (res));
  g_assert_null (lstm_model_get_residual (lvl));

  /* the trainer's evaluation = MSE of the saved model's forward */
  g_assert_true (lstm_model_forward_sequence (res, x, n_train - 1, y, NULL));
  for (t = 0; t + 1 < n_train; t++)
    mse += (double) (y[t] - x[t + 1]) * (y[t] - x[t + 1]);
  mse /= n_train - 1;
  g_test_message ("residual: trainer loss %g, forward MSE %g", loss_res, mse);
  g_assert_cmpfloat (fabs (mse - loss_res), <=, 1e-3 * mse + 1e-6);

  for (t = n_train; t < N; t++)
    pers += (double) (x[t - 1] - x[t]) * (x[t - 1] - x[t]);
  pers = sqrt (pers / (N - n_train));
  rmse_res = one_step_rmse (res, x, N, n_train);
  rmse_lvl = one_step_rmse (lvl, x, N, n_train);
  g_test_message ("beyond the training range: residual %g, level %g, "
      "persistence %g", rmse_res, rmse_lvl, pers);
  g_assert_cmpfloat (rmse_res, <, pers);
  g_assert_cmpfloat (rmse_res, <, rmse_lvl);
}

/* Closed loop = the same model fed its own predictions frame by frame. */
static void
test_forecast (void)
{
  g_autoptr (LstmModel) m = new_model (ARCH_3x3, "[0,1,2]", "1");
  g_autoptr (LstmState) s1 = lstm_state_new (m), s2 = lstm_state_new (m);
  g_autoptr (GError) error = NULL;
  g_autofree float *hist = frames (50, 3, 5);
  g_autofree float *out = g_new (float, 7 * 3);
  g_autofree float *ref = g_new (float, 7 * 3);
  g_autofree float *scratch = g_new (float, 50 * 3);
  float h1[16], h2[16];
  guint steps[] = { 1, 2, 7 }, k, s;

  for (k = 0; k < G_N_ELEMENTS (steps); k++) {
    lstm_state_reset (s1);
    lstm_state_reset (s2);
    g_assert_true (lstm_model_forecast (m, s1, hist, 50, steps[k], out,
            &error));
    g_assert_no_error (error);
    /* by hand, one frame per call */
    for (s = 0; s < 50; s++)
      g_assert_true (lstm_model_forward (m, s2, hist + s * 3, 1,
              scratch + s * 3, NULL));
    memcpy (ref, scratch + 49 * 3, 3 * sizeof (float));
    for (s = 1; s < steps[k]; s++)
      g_assert_true (lstm_model_forward (m, s2, ref + (s - 1) * 3, 1,
              ref + s * 3, NULL));
    g_assert_cmpmem (out, steps[k] * 3 * sizeof (float), ref,
        steps[k] * 3 * sizeof (float));
    /* the states saw the same frames */
    g_assert_true (lstm_state_get_hidden (s1, 0, h1, NULL, NULL));
    g_assert_true (lstm_state_get_hidden (s2, 0, h2, NULL, NULL));
    g_assert_cmpmem (h1, 6 * sizeof (float), h2, 6 * sizeof (float));
  }
}

/* Closed loop through a lag layer: each forecast frame enters the lag
 * history as an observed one would, so the forecasts equal frame-by-frame
 * feedback, and both states go on alike. */
static void
test_forecast_lag (void)
{
  g_autoptr (LstmModel) m = new_model ("[{\"type\":\"lag\",\"name\":"
      "\"lag\",\"input_size\":3,\"lags\":[0,2,5]},{\"type\":\"gru\","
      "\"name\":\"rnn\",\"hidden_size\":6},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":3,\"skip\":\"lag\"}]",
      "[0,1,2]", "1");
  g_autoptr (LstmState) s1 = lstm_state_new (m), s2 = lstm_state_new (m);
  g_autoptr (GError) error = NULL;
  g_autofree float *hist = frames (40, 3, 9);
  g_autofree float *scratch = g_new (float, 40 * 3);
  float out[9 * 3], ref[10 * 3], a[3], b[3];
  guint s;

  g_assert_true (lstm_model_forecast (m, s1, hist, 40, 9, out, &error));
  g_assert_no_error (error);
  for (s = 0; s < 40; s++)
    g_assert_true (lstm_model_forward (m, s2, hist + s * 3, 1,
            scratch + s * 3, NULL));
  memcpy (ref, scratch + 39 * 3, 3 * sizeof (float));
  for (s = 1; s < 9; s++)
    g_assert_true (lstm_model_forward (m, s2, ref + (s - 1) * 3, 1,
            ref + s * 3, NULL));
  g_assert_cmpmem (out, sizeof out, ref, sizeof out);
  /* the last forecast frame next: the same history in both states */
  g_assert_true (lstm_model_forward (m, s1, out + 8 * 3, 1, a, NULL));
  g_assert_true (lstm_model_forward (m, s2, ref + 8 * 3, 1, b, NULL));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
}

static void
test_forecast_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) ok = new_model (ARCH_3x3, NULL, NULL);
  g_autoptr (LstmModel) h2 = new_model (ARCH_3x3, "[0,1,2]", "2");
  g_autoptr (LstmModel) narrow = NULL, cls = NULL;
  g_autoptr (LstmState) s_ok = lstm_state_new (ok), s_h2 = NULL;
  g_autoptr (LstmState) s_n = NULL, s_c = NULL;
  float hist[12] = { 0 }, out[12];

  narrow = lstm_model_new ("[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":3,\"hidden_size\":4},{\"type\":\"linear\",\"name\":"
      "\"head\",\"out_features\":1}]", NULL, &error);
  g_assert_no_error (error);
  cls = lstm_model_new (ARCH_SOFTMAX, NULL, &error);
  g_assert_no_error (error);
  s_h2 = lstm_state_new (h2);
  s_n = lstm_state_new (narrow);
  s_c = lstm_state_new (cls);

  g_assert_false (lstm_model_forecast (narrow, s_n, hist, 4, 2, out,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "1 outputs cannot be fed back "
          "as 3 inputs"));
  g_clear_error (&error);
  g_assert_false (lstm_model_forecast (cls, s_c, hist, 4, 2, out, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "classifier"));
  g_clear_error (&error);
  g_assert_false (lstm_model_forecast (h2, s_h2, hist, 4, 2, out, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "predicts 2 rows ahead"));
  g_clear_error (&error);
  g_assert_false (lstm_model_forecast (ok, s_ok, hist, 0, 2, out, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lstm_model_forecast (ok, s_ok, hist, 4, 0, out, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lstm_model_forecast (ok, s_h2, hist, 4, 2, out, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "another model"));
  g_clear_error (&error);
  /* a model without lstm.horizon is taken as one row ahead */
  g_assert_true (lstm_model_forecast (ok, s_ok, hist, 4, 4, out, &error));
  g_assert_no_error (error);
}

static gchar *
write_series (const gchar *dir, const gchar *name, const float *x, gsize n,
    const gchar *header)
{
  gchar *path = g_build_filename (dir, name, NULL);
  GString *s = g_string_new (header);
  gsize t;
  for (t = 0; t < n; t++)
    g_string_append_printf (s, "%.6f,%.6f\n", (double) x[t], (double) t);
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
  g_string_free (s, TRUE);
  return path;
}

/* lstm train --series stores the residual and the horizon, lstm forecast
 * prints the library's closed-loop forecast, and refuses what it cannot
 * forecast. */
static void
test_cli (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-forecast-XXXXXX", NULL);
  g_autofree float *x = trend_series (120);
  g_autofree gchar *csv = NULL, *model = NULL, *model2 = NULL, *m3 = NULL;
  g_autofree gchar *out = NULL, *err = NULL, *f32 = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmState) s = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree gchar *contents = NULL;
  float ref[5];
  gsize len;
  guint i;

  csv = write_series (dir, "trend.csv", x, 120, "level,t\n");
  model = g_build_filename (dir, "m.safetensors", NULL);
  model2 = g_build_filename (dir, "m2.safetensors", NULL);
  m3 = g_build_filename (dir, "m3.safetensors", NULL);
  f32 = g_build_filename (dir, "f.f32", NULL);
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--columns", "level", "--epochs", "5", "-q", "-o", model, NULL),
      ==, 0);
  g_clear_pointer (&err, g_free);
  m = lstm_model_load (model, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lstm_model_get_metadata (m, "lstm.residual"), ==, "[0]");
  g_assert_cmpstr (lstm_model_get_metadata (m, "lstm.horizon"), ==, "1");

  s = lstm_state_new (m);
  g_assert_true (lstm_model_forecast (m, s, x, 120, 5, ref, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tool_run_va (dir, &out, &err, "forecast", model, csv,
          "--steps", "5", NULL), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 7);
  g_assert_cmpstr (lines[0], ==, "level");
  for (i = 0; i < 5; i++)
    g_assert_cmpfloat ((float) g_ascii_strtod (lines[i + 1], NULL), ==,
        ref[i]);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* .f32 output */
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "forecast", model, csv,
          "--steps", "5", f32, NULL), ==, 0);
  g_assert_true (g_file_get_contents (f32, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, ref, sizeof ref);
  g_clear_pointer (&err, g_free);

  /* --no-residual: no lstm.residual; --horizon 2: refused by forecast */
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--columns", "level", "--epochs", "2", "--no-residual", "-q", "-o",
          model2, NULL), ==, 0);
  g_clear_pointer (&m, lstm_model_unref);
  m = lstm_model_load (model2, &error);
  g_assert_no_error (error);
  g_assert_null (lstm_model_get_metadata (m, "lstm.residual"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--columns", "level", "--epochs", "2", "--horizon", "2", "-q",
          "-o", m3, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (tool_run_va (dir, &out, &err, "forecast", m3, csv,
          "--steps", "3", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "horizon of 1"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* a target that is not an input: no residual */
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--columns", "t", "--targets", "level", "--epochs", "2",
          "-q", "-o", m3, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&m, lstm_model_unref);
  m = lstm_model_load (m3, &error);
  g_assert_no_error (error);
  g_assert_null (lstm_model_get_metadata (m, "lstm.residual"));
  /* two inputs, one target: the residual maps the target onto its input
   * column, but there is no closed loop */
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--columns", "t,level", "--targets", "level", "--epochs", "2",
          "-q", "-o", m3, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&m, lstm_model_unref);
  m = lstm_model_load (m3, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lstm_model_get_metadata (m, "lstm.residual"), ==, "[1]");
  g_assert_cmpint (tool_run_va (dir, &out, &err, "forecast", m3, csv,
          "--steps", "3", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "cannot be fed back"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* missing --steps, a missing column */
  g_assert_cmpint (tool_run_va (dir, &out, &err, "forecast", model, csv,
          NULL), !=, 0);
  g_assert_nonnull (strstr (err, "--steps"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (tool_run_va (dir, &out, &err, "forecast", model, csv,
          "--steps", "2", "--columns", "nope", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "nope"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  {
    const gchar *files[] = { "trend.csv", "m.safetensors", "m.loss.csv",
      "m2.safetensors", "m2.loss.csv", "m3.safetensors", "m3.loss.csv",
      "f.f32"
    };
    for (i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree gchar *p = g_build_filename (dir, files[i], NULL);
      g_remove (p);
    }
    g_rmdir (dir);
  }
}

/* One-step RMSE over rows [from, n) of the model's predictions, read from
 * `lstm run`'s .f32 output (row t - 1 predicts row t). */
static double
run_rmse (const gchar *dir, const gchar *model, const gchar *in_f32,
    const float *x, gsize n, gsize from)
{
  g_autofree gchar *out_path = g_build_filename (dir, "pred.f32", NULL);
  g_autofree gchar *pred = NULL, *err = NULL;
  double s = 0;
  gsize len, t;

  g_assert_cmpint (tool_run_va (dir, NULL, &err, "run", model, in_f32,
          out_path, NULL), ==, 0);
  g_assert_true (g_file_get_contents (out_path, &pred, &len, NULL));
  g_assert_cmpuint (len, ==, n * sizeof (float));
  for (t = from; t < n; t++) {
    float p;
    memcpy (&p, pred + (t - 1) * sizeof (float), sizeof p);
    s += (double) (p - x[t]) * (p - x[t]);
  }
  g_remove (out_path);
  return sqrt (s / (n - from));
}

/* The series defaults on a short series (200 rows: a trend, a season of 12
 * rows, autocorrelated noise): trained on the first 160 rows, the model
 * beats persistence on the last 40 (past the training range), and beats
 * the previous defaults (an LSTM of 64 predicting levels, 20 epochs, 32
 * lanes, window 64), both measured here. */
/* --lags and --season: the lag layer a new forecaster gets (by default
 * AIC's order on the data; a list; none) and the arguments refused. */
static void
test_series_lags (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-lags-XXXXXX", NULL);
  g_autofree gchar *csv = g_build_filename (dir, "train.csv", NULL);
  g_autoptr (GRand) r = g_rand_new_with_seed (31);
  GString *text = g_string_new ("value\n");
  static const gchar *const models[] = { "auto", "list", "none" };
  float x[400];
  gsize t;
  guint i;

  for (t = 0; t < 400; t++) {
    double e = g_rand_double_range (r, -1.0, 1.0);
    x[t] = (float) (t < 12 ? e : 0.6 * x[t - 1] + 0.3 * x[t - 12] + e);
    g_string_append_printf (text, "%.9g\n", (double) x[t]);
  }
  g_assert_true (g_file_set_contents (csv, text->str, -1, NULL));
  g_string_free (text, TRUE);

  g_assert_cmpint (tool_run_va (dir, NULL, NULL, "train", "--series", csv,
          "--epochs", "3", "-q", "-o", "auto.safetensors", NULL), ==, 0);
  g_assert_cmpint (tool_run_va (dir, NULL, NULL, "train", "--series", csv,
          "--epochs", "3", "--lags", "0,11,1", "-q", "-o", "list.safetensors",
          NULL), ==, 0);
  g_assert_cmpint (tool_run_va (dir, NULL, NULL, "train", "--series", csv,
          "--epochs", "3", "--lags", "none", "-q", "-o", "none.safetensors",
          NULL), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    g_autofree gchar *name = g_strconcat (models[i], ".safetensors", NULL);
    g_autofree gchar *path = g_build_filename (dir, name, NULL);
    g_autofree gchar *loss = g_strconcat (models[i], ".loss.csv", NULL);
    g_autofree gchar *lpath = g_build_filename (dir, loss, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = lstm_model_load (path, &error);
    LstmLayerInfo li;

    g_assert_no_error (error);
    g_assert_true (lstm_model_get_layer_info (m, 0, &li));
    if (i == 2) {
      g_assert_cmpint (li.type, ==, LSTM_LAYER_GRU);
    } else {
      g_assert_cmpint (li.type, ==, LSTM_LAYER_LAG);
      if (i == 0) {
        /* the season, 12, is in reach: AIC keeps lag 11 (12 rows back) */
        g_assert_cmpuint (li.n_lags, >=, 12);
        g_assert_cmpuint (li.lags[li.n_lags - 1], ==, li.n_lags - 1);
      } else {
        g_assert_cmpuint (li.n_lags, ==, 3);
        g_assert_cmpuint (li.lags[1], ==, 11);
      }
      g_assert_true (lstm_model_get_layer_info (m, 2, &li));
      g_assert_cmpstr (li.skip, ==, "lag");
    }
    g_remove (path);
    g_remove (lpath);
  }

  /* refused */
  {
    static const gchar *const bad[][2] = {
      {"--lags", "1,x"}, {"--lags", "5000"}, {"--lags", "399"},
      {"--season", "-1"},
    };
    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autofree gchar *err = NULL;
      g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
              bad[i][0], bad[i][1], "-q", "-o", "bad.safetensors", NULL), !=,
          0);
      /* the option named, as the table names it (a lag the rows cannot
       * hold is liblstm's refusal) */
      g_assert_nonnull (strstr (err, bad[i][0] + 2));
    }
  }
  g_remove (csv);
  g_rmdir (dir);
}

static void
test_series_defaults (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-defaults-XXXXXX", NULL);
  g_autofree gchar *csv = NULL, *f32 = NULL, *m_new = NULL, *m_old = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GRand) r = g_rand_new_with_seed (23);
  const gsize N = 200, n_train = 160;
  float x[200];
  double e = 0, pers = 0, rmse_new, rmse_old;
  GString *s = g_string_new ("level\n");
  gsize t;

  for (t = 0; t < N; t++) {
    e = 0.7 * e + g_rand_double_range (r, -1.0, 1.0);
    x[t] = (float) (50.0 + 0.4 * t + 5.0 * sin (2 * G_PI * t / 12.0) + e);
    if (t < n_train)
      g_string_append_printf (s, "%.9g\n", (double) x[t]);
  }
  csv = g_build_filename (dir, "train.csv", NULL);
  f32 = g_build_filename (dir, "all.f32", NULL);
  m_new = g_build_filename (dir, "new.safetensors", NULL);
  m_old = g_build_filename (dir, "old.safetensors", NULL);
  g_assert_true (g_file_set_contents (csv, s->str, -1, NULL));
  g_string_free (s, TRUE);
  g_assert_true (g_file_set_contents (f32, (const gchar *) x, sizeof x,
          NULL));

  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "-q", "-o", m_new, NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (tool_run_va (dir, NULL, &err, "train", "--series", csv,
          "--no-residual", "--cell", "lstm", "--hidden", "64", "--epochs",
          "20", "--batch-size", "32", "--window", "64", "--lr", "1e-3",
          "--patience", "0", "--weight-decay", "0", "-q", "-o", m_old, NULL),
      ==, 0);
  g_clear_pointer (&err, g_free);
  for (t = n_train; t < N; t++)
    pers += (double) (x[t - 1] - x[t]) * (x[t - 1] - x[t]);
  pers = sqrt (pers / (N - n_train));
  rmse_new = run_rmse (dir, m_new, f32, x, N, n_train);
  rmse_old = run_rmse (dir, m_old, f32, x, N, n_train);
  g_test_message ("last 40 rows: defaults %g, previous defaults %g, "
      "persistence %g", rmse_new, rmse_old, pers);
  g_assert_cmpfloat (rmse_new, <, pers);
  g_assert_cmpfloat (rmse_new, <, rmse_old);

  {
    const gchar *files[] = { "train.csv", "all.f32", "new.safetensors",
      "new.loss.csv", "old.safetensors", "old.loss.csv"
    };
    guint i;
    for (i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree gchar *p = g_build_filename (dir, files[i], NULL);
      g_remove (p);
    }
    g_rmdir (dir);
  }
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/residual/forward", test_forward);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/residual/invalid/%s",
        bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_invalid);
  }
  g_test_add_func ("/residual/train", test_train);
  g_test_add_func ("/forecast/closed-loop", test_forecast);
  g_test_add_func ("/forecast/closed-loop-lag", test_forecast_lag);
  g_test_add_func ("/forecast/errors", test_forecast_errors);
  g_test_add_func ("/forecast/cli", test_cli);
  g_test_add_func ("/forecast/series-lags", test_series_lags);
  g_test_add_func ("/forecast/series-defaults", test_series_defaults);
  return g_test_run ();
}
