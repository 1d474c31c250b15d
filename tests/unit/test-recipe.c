/* liblstm: the recipe of new models, the table of training options and the
 * input statistics that lstm train and lstmtrain share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <lstm/lstm.h>

/* The recipe gives bitwise the model of the architecture it describes,
 * with the forget bias set as lstm_model_with_forget_bias() sets it. */
static void
test_recipe_equals_architecture (void)
{
  const gchar *const labels[] = { "a", "b", "c", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) r = NULL, plain = NULL, expect = NULL;
  g_autoptr (GBytes) b1 = NULL, b2 = NULL;
  LstmModelOptions mo = { 0 };
  LstmModelRecipe recipe;
  guint cell;

  for (cell = 0; cell < 2; cell++) {
    lstm_model_recipe_init (&recipe);
    recipe.cell = cell ? LSTM_LAYER_GRU : LSTM_LAYER_LSTM;
    recipe.input_size = 5;
    recipe.hidden_size = 7;
    recipe.num_layers = 2;
    recipe.output_size = 3;
    recipe.labels = labels;
    recipe.seed = 11;
    r = lstm_model_new_from_recipe (&recipe, &error);
    g_assert_no_error (error);
    g_assert_cmpint (lstm_model_get_task (r), ==, LSTM_TASK_CLASSIFICATION);

    mo.seed = 11;
    mo.task = LSTM_TASK_CLASSIFICATION;
    mo.labels = labels;
    plain = lstm_model_new (cell ? "[{\"type\":\"gru\",\"name\":\"rnn\","
        "\"input_size\":5,\"hidden_size\":7,\"num_layers\":2},{\"type\":"
        "\"linear\",\"name\":\"head\",\"out_features\":3,\"activation\":"
        "\"softmax\"}]" : "[{\"type\":\"lstm\",\"name\":\"rnn\","
        "\"input_size\":5,\"hidden_size\":7,\"num_layers\":2},{\"type\":"
        "\"linear\",\"name\":\"head\",\"out_features\":3,\"activation\":"
        "\"softmax\"}]", &mo, &error);
    g_assert_no_error (error);
    expect = cell ? lstm_model_ref (plain) :
        lstm_model_with_forget_bias (plain, 1.0f, &error);
    g_assert_no_error (error);
    b1 = lstm_model_save_to_bytes (r, &error);
    b2 = lstm_model_save_to_bytes (expect, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (b1, b2));
    g_clear_pointer (&r, lstm_model_unref);
    g_clear_pointer (&plain, lstm_model_unref);
    g_clear_pointer (&expect, lstm_model_unref);
    g_clear_pointer (&b1, g_bytes_unref);
    g_clear_pointer (&b2, g_bytes_unref);
  }

  /* forget bias none: PyTorch's init, the plain model */
  lstm_model_recipe_init (&recipe);
  recipe.input_size = 2;
  recipe.output_size = 1;
  recipe.forget_bias = NAN;
  r = lstm_model_new_from_recipe (&recipe, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lstm_model_get_task (r), ==, LSTM_TASK_REGRESSION);

  /* bad recipes */
  recipe.output_size = 0;
  g_assert_null (lstm_model_new_from_recipe (&recipe, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  recipe.output_size = 2;
  recipe.labels = labels;
  g_assert_null (lstm_model_new_from_recipe (&recipe, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

/* Every option parses its default back, refuses what is out of range
 * (leaving the settings alone), and the aliases find their option. */
static void
test_table (void)
{
  const LstmTrainOption *opts;
  LstmTrainSettings s, before;
  guint n, i;

  opts = lstm_train_options_list (&n);
  lstm_train_settings_init (&s);
  for (i = 0; i < n; i++) {
    g_autofree gchar *text = lstm_train_option_to_string (&opts[i], &s);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *above = NULL;

    g_test_message ("%s = %s", opts[i].name, text);
    g_assert_true (lstm_train_option_find (opts[i].name) == &opts[i]);
    if (opts[i].alias)
      g_assert_true (lstm_train_option_find (opts[i].alias) == &opts[i]);
    g_assert_nonnull (opts[i].blurb);
    g_assert_true (lstm_train_option_parse (&opts[i], &s, text, &error));
    g_assert_no_error (error);
    before = s;
    g_assert_false (lstm_train_option_parse (&opts[i], &s, "nonsense",
            &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, opts[i].name));
    g_clear_error (&error);
    if (opts[i].type != LSTM_TRAIN_OPTION_UINT64 &&
        opts[i].maximum < 1e300) {
      g_assert_false (lstm_train_option_set_value (&opts[i], &s,
              opts[i].maximum + 1, &error));
      g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    }
    g_assert_true (memcmp (&before, &s, sizeof s) == 0);
  }
  /* a few by name: where they go */
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("lr"), &s,
          "0", NULL));
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("optimizer"), &s, "sgd", NULL));
  lstm_train_settings_resolve (&s);
  g_assert_cmpfloat (s.trainer.learning_rate, ==, 1e-2);
  g_assert_cmpint (s.trainer.optimizer, ==, LSTM_OPTIMIZER_SGD);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("seed"),
          &s, "18446744073709551615", NULL));
  g_assert_cmpuint (s.trainer.seed, ==, G_MAXUINT64);
  g_assert_cmpuint (s.model.seed, ==, G_MAXUINT64);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("forget-bias"), &s, "none", NULL));
  g_assert_true (isnan (s.model.forget_bias));
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("cell"),
          &s, "gru", NULL));
  g_assert_cmpint (s.model.cell, ==, LSTM_LAYER_GRU);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("clip-loss"), &s, "every-frame", NULL));
  g_assert_cmpint (s.trainer.clip_loss, ==, LSTM_CLIP_LOSS_EVERY_FRAME);
  g_assert_null (lstm_train_option_find ("no-such-option"));
  /* the forecasting choices: a switch, lags as text, the season */
  g_assert_false (s.series.no_residual);
  g_assert_cmpint (s.series.lags_mode, ==, LSTM_LAGS_AUTO);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find
          ("no-residual"), &s, "true", NULL));
  g_assert_true (s.series.no_residual);
  g_assert_cmpfloat (lstm_train_option_get_value (lstm_train_option_find
          ("no-residual"), &s), ==, 1);
  g_assert_true (lstm_train_option_set_value (lstm_train_option_find
          ("no-residual"), &s, 0, NULL));
  g_assert_false (s.series.no_residual);
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("lags"),
          &s, "0,1,12", NULL));
  g_assert_cmpint (s.series.lags_mode, ==, LSTM_LAGS_LIST);
  g_assert_cmpuint (s.series.n_lags, ==, 3);
  g_assert_cmpuint (s.series.lags[2], ==, 12);
  {
    g_autofree gchar *text = lstm_train_option_to_string
        (lstm_train_option_find ("lags"), &s);
    g_autoptr (GError) error = NULL;
    g_assert_cmpstr (text, ==, "0,1,12");
    /* lags are text only */
    g_assert_false (lstm_train_option_set_value (lstm_train_option_find
            ("lags"), &s, 1, &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_assert_cmpuint (s.series.n_lags, ==, 3);
  }
  g_assert_true (lstm_train_option_parse (lstm_train_option_find ("season"),
          &s, "12", NULL));
  g_assert_cmpuint (s.series.season, ==, 12);
  /* and the defaults again */
  lstm_train_settings_init (&s);
  g_assert_cmpint (s.series.lags_mode, ==, LSTM_LAGS_AUTO);
  g_assert_cmpuint (s.series.n_lags, ==, 0);
  g_assert_cmpuint (s.series.season, ==, 0);
}

/* lstm_compute_statistics is what datasets report, bitwise; two-pass in
 * double, std 1 for a constant column. */
static void
test_statistics (void)
{
  g_autoptr (LstmDataset) ds = lstm_dataset_new (3, LSTM_TARGET_FRAME_CLASS,
      2, NULL);
  float x[50 * 3], m1[3], s1[3], m2[3], s2[3];
  guint c[50], t, j;
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);

  for (t = 0; t < 50; t++) {
    x[t * 3] = (float) g_rand_double_range (rng, -5, 100);
    x[t * 3 + 1] = 7.0f;
    x[t * 3 + 2] = (float) g_rand_double_range (rng, 1e6, 1e6 + 1);
    c[t] = t % 2;
  }
  g_assert_true (lstm_dataset_add_with_frame_classes (ds, x, 50, c, NULL));
  g_assert_true (lstm_dataset_get_statistics (ds, m1, s1, NULL, NULL));
  lstm_compute_statistics (x, 50, 3, NULL, m2, s2);
  g_assert_true (memcmp (m1, m2, sizeof m1) == 0);
  g_assert_true (memcmp (s1, s2, sizeof s1) == 0);
  g_assert_cmpfloat (s2[1], ==, 1.0f);
  for (j = 0; j < 3; j += 2) {
    double mean = 0, var = 0;
    for (t = 0; t < 50; t++)
      mean += x[t * 3 + j];
    mean /= 50;
    for (t = 0; t < 50; t++)
      var += (x[t * 3 + j] - mean) * (x[t * 3 + j] - mean);
    g_assert_cmpfloat (fabs (m2[j] - mean), <=, 1e-6 * fabs (mean));
    g_assert_cmpfloat (fabs (s2[j] - sqrt (var / 49)), <=,
        1e-6 * sqrt (var / 49));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recipe/equals-architecture",
      test_recipe_equals_architecture);
  g_test_add_func ("/recipe/options-table", test_table);
  g_test_add_func ("/recipe/statistics", test_statistics);
  return g_test_run ();
}
