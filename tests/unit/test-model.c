/* Unit tests: model creation, metadata, save/load, state, forward basics.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#define ARCH_LSTM_HEAD \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":6,\"hidden_size\":9," \
  "\"num_layers\":2},{\"type\":\"linear\",\"name\":\"head\"," \
  "\"out_features\":3,\"activation\":\"softmax\"}]"

static LstmModel *
new_model (const gchar *arch, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  LstmModelOptions opts = { 0 };
  LstmModel *m;

  opts.seed = seed;
  m = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static float *
random_frames (guint n, guint dim, guint32 seed, float scale)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, (gsize) n * dim);
  for (gsize i = 0; i < (gsize) n * dim; i++)
    x[i] = (float) g_rand_double_range (r, -scale, scale);
  g_rand_free (r);
  return x;
}

static void
test_new_sizes (void)
{
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 1);
  LstmLayerInfo li;

  g_assert_cmpuint (lstm_model_get_input_size (m), ==, 6);
  g_assert_cmpuint (lstm_model_get_output_size (m), ==, 3);
  g_assert_cmpuint (lstm_model_get_n_layers (m), ==, 2);
  /* 4H(I+H) + 8H for layer 0, 4H(H+H) + 8H for layer 1, 3*9 + 3 head */
  g_assert_cmpuint (lstm_model_get_n_params (m), ==,
      4 * 9 * (6 + 9) + 8 * 9 + 4 * 9 * 18 + 8 * 9 + 27 + 3);
  g_assert_true (lstm_model_get_layer_info (m, 0, &li));
  g_assert_cmpint (li.type, ==, LSTM_LAYER_LSTM);
  g_assert_cmpstr (li.name, ==, "rnn");
  g_assert_cmpuint (li.hidden_size, ==, 9);
  g_assert_cmpuint (li.num_layers, ==, 2);
  g_assert_true (lstm_model_get_layer_info (m, 1, &li));
  g_assert_cmpint (li.activation, ==, LSTM_ACTIVATION_SOFTMAX);
  g_assert_false (lstm_model_get_layer_info (m, 2, &li));
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_CLASSIFICATION);
  g_assert_true (lstm_model_is_streamable (m));
  g_assert_cmpuint (lstm_model_get_flops_per_frame (m), >,
      2 * lstm_model_get_n_params (m) - 200);
}

/* PyTorch's init: every value within +-1/sqrt(H) (recurrent) or
 * +-1/sqrt(in) (linear); same seed, same weights; other seed, others. */
static void
test_new_init (void)
{
  const gchar *arch = "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":4,"
      "\"hidden_size\":16},{\"type\":\"linear\",\"name\":\"o\","
      "\"out_features\":2}]";
  g_autoptr (LstmModel) a = new_model (arch, 7);
  g_autoptr (LstmModel) b = new_model (arch, 7);
  g_autoptr (LstmModel) c = new_model (arch, 8);
  g_autoptr (GBytes) ba = lstm_model_save_to_bytes (a, NULL);
  g_autoptr (GBytes) bb = lstm_model_save_to_bytes (b, NULL);
  g_autoptr (GBytes) bc = lstm_model_save_to_bytes (c, NULL);
  g_autofree float *x = random_frames (5, 4, 1, 1.0f);
  float ya[10], yc[10];

  g_assert_true (g_bytes_equal (ba, bb));
  g_assert_false (g_bytes_equal (ba, bc));
  g_assert_true (lstm_model_forward_sequence (a, x, 5, ya, NULL));
  g_assert_true (lstm_model_forward_sequence (c, x, 5, yc, NULL));
  g_assert_true (memcmp (ya, yc, sizeof ya) != 0);
  g_assert_cmpint (lstm_model_get_task (a), ==, LSTM_TASK_REGRESSION);

  {
    /* weights as stored: look at the file's floats through a reload of a
     * model whose bounds we know: all |w| <= 1/sqrt(16) = 0.25 except the
     * head's, <= 1/sqrt(16) too (in_features 16). */
    gsize size;
    const guint8 *d = g_bytes_get_data (ba, &size);
    guint64 hl = 0;
    float maxabs = 0;
    for (guint i = 0; i < 8; i++)
      hl |= (guint64) d[i] << (8 * i);
    for (gsize off = 8 + hl; off + 4 <= size; off += 4) {
      float v;
      memcpy (&v, d + off, 4);
      maxabs = MAX (maxabs, fabsf (v));
    }
    g_assert_cmpfloat (maxabs, <=, 0.25f);
    g_assert_cmpfloat (maxabs, >, 0.2f);
  }
}

static void
test_save_load_roundtrip (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *labels[] = { "speech", "music", "noise", NULL };
  const float mean[6] = { 1, 2, 3, 4, 5, 6 };
  const float std[6] = { 2, 2, 2, 0.5f, 0.5f, 0.5f };
  LstmModelOptions opts = { 0 };
  g_autoptr (LstmModel) m = NULL, back = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-test-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree float *x = random_frames (200, 6, 3, 4.0f);
  g_autofree float *y1 = g_new (float, 200 * 3);
  g_autofree float *y2 = g_new (float, 200 * 3);
  g_autoptr (GBytes) b1 = NULL, b2 = NULL;
  g_auto (GStrv) keys = NULL;

  opts.seed = 42;
  opts.labels = labels;
  opts.features = "{\"kind\":\"fbank\",\"num_mel_bins\":6}";
  opts.description = "a test model";
  opts.training = "none";
  opts.input_mean = mean;
  opts.input_std = std;
  m = lstm_model_new (ARCH_LSTM_HEAD, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_save (m, path, &error));
  g_assert_no_error (error);
  back = lstm_model_load (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (lstm_model_get_label (back, 1), ==, "music");
  g_assert_null (lstm_model_get_label (back, 3));
  g_assert_cmpstr (lstm_model_get_features (back), ==,
      "{\"kind\":\"fbank\",\"num_mel_bins\":6}");
  g_assert_cmpstr (lstm_model_get_metadata (back, "lstm.description"), ==,
      "a test model");
  g_assert_cmpfloat (lstm_model_get_input_std (back)[3], ==, 0.5f);
  g_assert_cmpfloat (lstm_model_get_input_mean (back)[5], ==, 6.0f);
  keys = lstm_model_list_metadata (back);
  g_assert_true (g_strv_contains ((const gchar * const *) keys,
          "lstm.architecture"));
  g_assert_true (g_strv_contains ((const gchar * const *) keys,
          "lstm.training"));

  /* the same bytes again, the same outputs */
  b1 = lstm_model_save_to_bytes (m, NULL);
  b2 = lstm_model_save_to_bytes (back, NULL);
  g_assert_true (g_bytes_equal (b1, b2));
  g_assert_true (lstm_model_forward_sequence (m, x, 200, y1, NULL));
  g_assert_true (lstm_model_forward_sequence (back, x, 200, y2, NULL));
  g_assert_cmpmem (y1, 200 * 3 * sizeof (float), y2, 200 * 3 * sizeof (float));

  /* normalisation is applied: moving the input by the mean matters */
  {
    g_autoptr (LstmModel) plain = NULL;
    opts.input_mean = NULL;
    opts.input_std = NULL;
    plain = lstm_model_new (ARCH_LSTM_HEAD, &opts, NULL);
    g_assert_true (lstm_model_forward_sequence (plain, x, 200, y2, NULL));
    g_assert_true (memcmp (y1, y2, 200 * 3 * sizeof (float)) != 0);
  }

  /* the atomic save leaves no temporary file behind */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name (d))
      n++;
    g_assert_cmpuint (n, ==, 1);
  }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_save_unwritable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 1);

  g_assert_false (lstm_model_save (m, "/nonexistent-dir/x.safetensors",
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dir/x.safetensors"));
}

/* Models are immutable: saving one leaves every string it handed out
 * valid and unchanged (its labels, as loaded, included). */
static void
test_save_keeps_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 1);
  g_autoptr (LstmModel) l = NULL, back = NULL;
  g_autoptr (GBytes) b1 = NULL, b2 = NULL, b3 = NULL;
  const gchar *labels;
  g_autofree gchar *copy = NULL;

  /* labels as a file may spell them: spaces, escapes */
  l = lstm_model_with_metadata (m, "lstm.labels",
      "[ \"a\" , \"b\\u00e9\",\"c\" ]", &error);
  g_assert_no_error (error);
  labels = lstm_model_get_metadata (l, "lstm.labels");
  copy = g_strdup (labels);
  b1 = lstm_model_save_to_bytes (l, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (labels, ==, copy);
  g_assert_cmpstr (lstm_model_get_metadata (l, "lstm.labels"), ==, copy);
  b2 = lstm_model_save_to_bytes (l, &error);
  g_assert_true (g_bytes_equal (b1, b2));
  back = lstm_model_load_from_bytes (b1, "saved", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lstm_model_get_label (back, 1), ==, "b\u00e9");
  b3 = lstm_model_save_to_bytes (back, &error);
  g_assert_true (g_bytes_equal (b1, b3));
}

static void
test_with_metadata (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 1);
  g_autoptr (LstmModel) l = NULL, bad = NULL, noarch = NULL;

  l = lstm_model_with_metadata (m, "lstm.labels", "[\"a\",\"b\",\"c\"]",
      &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lstm_model_get_label (l, 2), ==, "c");
  g_assert_null (lstm_model_get_labels (m));

  bad = lstm_model_with_metadata (m, "lstm.labels", "[\"a\",\"b\"]", &error);
  g_assert_null (bad);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "2 labels for 3 outputs"));
  g_clear_error (&error);

  bad = lstm_model_with_metadata (m, "lstm.task", "dancing", &error);
  g_assert_null (bad);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
  g_clear_error (&error);

  noarch = lstm_model_with_metadata (m, "lstm.architecture", "[]", &error);
  g_assert_null (noarch);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

typedef struct {
  const gchar *name;
  const gchar *arch;
  gint code;
  const gchar *needle;
} ArchCase;

static const ArchCase arch_cases[] = {
  { "not-json", "[{", LSTM_ERROR_FORMAT, "not valid JSON" },
  { "empty", "[]", LSTM_ERROR_FORMAT, "non-empty" },
  { "object", "{}", LSTM_ERROR_FORMAT, "non-empty" },
  { "unknown-type", "[{\"type\":\"conv\",\"name\":\"c\",\"input_size\":3}]",
      LSTM_ERROR_UNSUPPORTED, "unknown layer type 'conv'" },
  { "no-name", "[{\"type\":\"lstm\",\"input_size\":3,\"hidden_size\":4}]",
      LSTM_ERROR_FORMAT, "'name'" },
  { "dup-name", "[{\"type\":\"lstm\",\"name\":\"a\",\"input_size\":3,"
        "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"a\","
        "\"out_features\":2}]", LSTM_ERROR_FORMAT, "two layers" },
  { "no-input-size", "[{\"type\":\"gru\",\"name\":\"g\",\"hidden_size\":4}]",
      LSTM_ERROR_FORMAT, "'input_size' is required" },
  { "huge-hidden", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":1099511627776}]", LSTM_ERROR_ARGUMENT,
      "1099511627776" },
  { "zero-hidden", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":0}]", LSTM_ERROR_ARGUMENT, "out of range" },
  { "negative-layers", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4,\"num_layers\":-1}]", LSTM_ERROR_ARGUMENT,
      "num_layers" },
  { "float-size", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3.5,"
        "\"hidden_size\":4}]", LSTM_ERROR_FORMAT, "integer" },
  { "too-many-params", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":"
        "1048576,\"hidden_size\":1048576,\"num_layers\":64}]",
      LSTM_ERROR_ARGUMENT, "larger than" },
  { "proj-size", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4,\"proj_size\":2}]", LSTM_ERROR_UNSUPPORTED,
      "proj_size" },
  { "gru-peephole", "[{\"type\":\"gru\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4,\"peephole\":true}]", LSTM_ERROR_UNSUPPORTED,
      "peephole" },
  { "lstm-reset-before", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":3,\"hidden_size\":4,\"reset_after\":false}]",
      LSTM_ERROR_UNSUPPORTED, "only for GRU" },
  { "reset-after-not-bool", "[{\"type\":\"gru\",\"name\":\"r\","
        "\"input_size\":3,\"hidden_size\":4,\"reset_after\":0}]",
      LSTM_ERROR_FORMAT, "true or false" },
  { "reset-after-string", "[{\"type\":\"gru\",\"name\":\"r\","
        "\"input_size\":3,\"hidden_size\":4,\"reset_after\":\"false\"}]",
      LSTM_ERROR_FORMAT, "true or false" },
  { "linear-reset-after", "[{\"type\":\"linear\",\"name\":\"o\","
        "\"in_features\":3,\"out_features\":2,\"reset_after\":false}]",
      LSTM_ERROR_FORMAT, "unknown key 'reset_after'" },
  { "unknown-key", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4,\"colour\":\"red\"}]", LSTM_ERROR_FORMAT,
      "unknown key 'colour'" },
  { "bad-activation", "[{\"type\":\"linear\",\"name\":\"o\","
        "\"in_features\":3,\"out_features\":2,\"activation\":\"gelu\"}]",
      LSTM_ERROR_UNSUPPORTED, "unknown activation 'gelu'" },
  { "size-mismatch", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"o\","
        "\"in_features\":5,\"out_features\":2}]", LSTM_ERROR_SHAPE,
      "does not match" },
  { "bool-as-string", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":3,"
        "\"hidden_size\":4,\"bidirectional\":\"yes\"}]", LSTM_ERROR_FORMAT,
      "true or false" },
  /* lag layers and skip inputs */
  { "lag-not-first", "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":3,"
        "\"hidden_size\":4},{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":4,\"lags\":[0,1]}]", LSTM_ERROR_UNSUPPORTED,
      "must be the first layer" },
  { "lag-no-lags", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":3}]",
      LSTM_ERROR_FORMAT, "'lags'" },
  { "lag-empty", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":3,"
        "\"lags\":[]}]", LSTM_ERROR_ARGUMENT, "0 lags" },
  { "lag-negative", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":3,"
        "\"lags\":[0,-1]}]", LSTM_ERROR_ARGUMENT, "out of range" },
  { "lag-huge", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":3,"
        "\"lags\":[4294967297]}]", LSTM_ERROR_ARGUMENT, "out of range" },
  { "lag-not-integer", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":3,\"lags\":[\"1\"]}]", LSTM_ERROR_FORMAT,
      "not an integer" },
  { "lag-too-wide", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":1048576,\"lags\":[0,1]}]", LSTM_ERROR_ARGUMENT,
      "at most" },
  { "lag-no-input-size", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"lags\":[0]}]", LSTM_ERROR_FORMAT, "'input_size' is required" },
  { "lag-unknown-key", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":1,\"lags\":[0],\"hidden_size\":4}]",
      LSTM_ERROR_FORMAT, "unknown key 'hidden_size'" },
  { "skip-not-lag", "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":3,"
        "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":2,\"skip\":\"g\"}]", LSTM_ERROR_UNSUPPORTED,
      "'skip' must name the first layer" },
  { "skip-unknown", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":1,"
        "\"lags\":[0,1]},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":2,\"skip\":\"nowhere\"}]",
      LSTM_ERROR_UNSUPPORTED, "'nowhere'" },
  { "skip-not-string", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":1,\"lags\":[0,1]},{\"type\":\"linear\","
        "\"name\":\"o\",\"out_features\":2,\"skip\":0}]",
      LSTM_ERROR_FORMAT, "'skip' must be a layer name" },
  { "skip-size-mismatch", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":1,\"lags\":[0,1]},{\"type\":\"gru\",\"name\":\"g\","
        "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"o\","
        "\"in_features\":4,\"out_features\":2,\"skip\":\"l\"}]",
      LSTM_ERROR_SHAPE, "plus the skip layer's" },
};

/* The GRU variant key: reset_after=false saves, loads and shows in the
 * layer info; true is the default, not written (files of PyTorch GRUs stay
 * as they were); the same weights under the two variants give different
 * outputs. */
static void
test_gru_reset_after (void)
{
  static const gchar before[] = "[{\"type\":\"gru\",\"name\":\"g\","
      "\"input_size\":3,\"hidden_size\":5,\"reset_after\":false},"
      "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":2}]";
  static const gchar after[] = "[{\"type\":\"gru\",\"name\":\"g\","
      "\"input_size\":3,\"hidden_size\":5,\"reset_after\":true},"
      "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":2}]";
  g_autoptr (GError) error = NULL;
  LstmModelOptions opts = { 0 };
  g_autoptr (LstmModel) mb = NULL, ma = NULL, back = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree gchar *arch_b = NULL, *arch_a = NULL;
  g_autofree float *x = random_frames (300, 3, 11, 3.0f);
  g_autofree float *y1 = g_new (float, 300 * 2);
  g_autofree float *y2 = g_new (float, 300 * 2);
  LstmLayerInfo li;

  opts.seed = 5;
  mb = lstm_model_new (before, &opts, &error);
  g_assert_no_error (error);
  ma = lstm_model_new (after, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_get_layer_info (mb, 0, &li));
  g_assert_false (li.reset_after);
  g_assert_true (lstm_model_get_layer_info (ma, 0, &li));
  g_assert_true (li.reset_after);
  arch_b = lstm_model_get_architecture (mb);
  arch_a = lstm_model_get_architecture (ma);
  g_assert_nonnull (strstr (arch_b, "\"reset_after\":false"));
  g_assert_null (strstr (arch_a, "reset_after"));

  bytes = lstm_model_save_to_bytes (mb, &error);
  g_assert_no_error (error);
  back = lstm_model_load_from_bytes (bytes, "reset.safetensors", &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_get_layer_info (back, 0, &li));
  g_assert_false (li.reset_after);
  g_assert_true (lstm_model_forward_sequence (mb, x, 300, y1, NULL));
  g_assert_true (lstm_model_forward_sequence (back, x, 300, y2, NULL));
  g_assert_cmpmem (y1, 300 * 2 * sizeof (float), y2, 300 * 2 * sizeof (float));
  /* same seed, same weights: only the variant differs */
  g_assert_true (lstm_model_forward_sequence (ma, x, 300, y2, NULL));
  g_assert_true (memcmp (y1, y2, 300 * 2 * sizeof (float)) != 0);
}

/* A lag model saves and loads with its architecture; its only tensors are
 * the GRU's and the head's (a lag layer has none: a file giving it one is
 * refused); lstm_model_with_tensor() replaces one tensor, checked. */
static void
test_lag_model (void)
{
  static const gchar arch[] = "[{\"type\":\"lag\",\"name\":\"lag\","
      "\"input_size\":2,\"lags\":[0,3,1]},{\"type\":\"gru\",\"name\":"
      "\"rnn\",\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"head\","
      "\"out_features\":2,\"skip\":\"lag\"}]";
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_new (arch, NULL, &error);
  g_autoptr (LstmModel) back = NULL, w = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree gchar *a1 = NULL, *a2 = NULL;
  LstmLayerInfo li;
  float v[20];
  guint i;

  g_assert_no_error (error);
  g_assert_cmpuint (lstm_model_get_input_size (m), ==, 2);
  g_assert_true (lstm_model_get_layer_info (m, 0, &li));
  g_assert_cmpint (li.type, ==, LSTM_LAYER_LAG);
  g_assert_cmpuint (li.n_lags, ==, 3);
  g_assert_cmpuint (li.lags[1], ==, 3);
  g_assert_cmpuint (li.output_size, ==, 6);
  g_assert_true (lstm_model_get_layer_info (m, 2, &li));
  g_assert_cmpstr (li.skip, ==, "lag");
  g_assert_cmpuint (li.input_size, ==, 4 + 6);
  /* GRU 6 -> 4: 3*4*6 + 3*4*4 + 2*3*4; head 10 -> 2: 20 + 2 */
  g_assert_cmpuint (lstm_model_get_n_params (m), ==, 72 + 48 + 24 + 22);

  bytes = lstm_model_save_to_bytes (m, &error);
  g_assert_no_error (error);
  back = lstm_model_load_from_bytes (bytes, "lag.safetensors", &error);
  g_assert_no_error (error);
  a1 = lstm_model_get_architecture (m);
  a2 = lstm_model_get_architecture (back);
  g_assert_cmpstr (a1, ==, a2);

  for (i = 0; i < 20; i++)
    v[i] = (float) i;
  w = lstm_model_with_tensor (m, "head.weight", v, 20, &error);
  g_assert_no_error (error);
  g_assert_nonnull (w);
  g_assert_null (lstm_model_with_tensor (m, "head.weight", v, 19, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (lstm_model_with_tensor (m, "lag.weight", v, 1, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  v[3] = NAN;
  g_assert_null (lstm_model_with_tensor (m, "head.weight", v, 20, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
}

static void
test_arch_invalid (gconstpointer data)
{
  const ArchCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_new (c->arch, NULL, &error);

  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, c->code);
  if (strstr (error->message, c->needle) == NULL)
    g_error ("%s: message '%s' lacks '%s'", c->name, error->message,
        c->needle);
}

static void
test_state_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) a = new_model (ARCH_LSTM_HEAD, 1);
  g_autoptr (LstmModel) b = new_model (ARCH_LSTM_HEAD, 2);
  g_autoptr (LstmModel) bi = new_model ("[{\"type\":\"gru\",\"name\":\"g\","
      "\"input_size\":6,\"hidden_size\":4,\"bidirectional\":true}]", 1);
  g_autoptr (LstmState) sa = lstm_state_new (a);
  g_autoptr (LstmState) sbi = lstm_state_new (bi);
  float x[6] = { 0 }, y[8];
  float h[8] = { 0 };

  g_assert_false (lstm_model_forward (b, sa, x, 1, y, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (lstm_model_is_streamable (bi));
  g_assert_false (lstm_model_forward (bi, sbi, x, 1, y, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "bidirectional"));
  g_clear_error (&error);
  /* offline works */
  g_assert_true (lstm_model_forward_sequence (bi, x, 1, y, &error));
  g_assert_no_error (error);

  g_assert_false (lstm_state_set_hidden (sa, 1, h, NULL, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lstm_state_set_hidden (sbi, 0, h, h, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "GRU"));
}

/* Setting (h0, c0), copying and resetting a state. */
static void
test_state_hidden (void)
{
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 5);
  g_autoptr (LstmState) s = lstm_state_new (m);
  g_autoptr (LstmState) copy = NULL;
  g_autofree float *x = random_frames (30, 6, 9, 2.0f);
  float h0[18], c0[18], h[18], c[18], y1[90], y2[90], y3[90];
  guint i;

  for (i = 0; i < 18; i++) {
    h0[i] = 0.05f * i - 0.4f;
    c0[i] = 0.5f - 0.03f * i;
  }
  g_assert_true (lstm_state_set_hidden (s, 0, h0, c0, NULL));
  g_assert_true (lstm_state_get_hidden (s, 0, h, c, NULL));
  g_assert_cmpmem (h, sizeof h, h0, sizeof h0);
  g_assert_cmpmem (c, sizeof c, c0, sizeof c0);

  g_assert_true (lstm_model_forward (m, s, x, 10, y1, NULL));
  copy = lstm_state_copy (s);
  g_assert_true (lstm_model_forward (m, s, x + 60, 20, y1 + 30, NULL));
  g_assert_true (lstm_model_forward (m, copy, x + 60, 20, y2 + 30, NULL));
  g_assert_cmpmem (y1 + 30, 60 * sizeof (float), y2 + 30, 60 * sizeof (float));

  /* reset = fresh state = the offline sequence */
  lstm_state_reset (s);
  g_assert_true (lstm_model_forward (m, s, x, 30, y2, NULL));
  g_assert_true (lstm_model_forward_sequence (m, x, 30, y3, NULL));
  g_assert_cmpmem (y2, sizeof y2, y3, sizeof y3);
  /* and the initial state mattered */
  g_assert_true (memcmp (y1, y2, 30 * sizeof (float)) != 0);
  for (i = 0; i < 30; i++) {
    float sum = y2[3 * i] + y2[3 * i + 1] + y2[3 * i + 2];
    g_assert_cmpfloat_with_epsilon (sum, 1.0f, 1e-6f);
  }
}

/* lstm_model_load_shared(): one model per file while it is in use; a file
 * rewritten since is loaded afresh; the same outputs as lstm_model_load();
 * a missing file is an error. */
static void
test_load_shared (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 5);
  g_autoptr (LstmModel) m2 = new_model (ARCH_LSTM_HEAD, 6);
  g_autoptr (LstmModel) plain = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-test-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree gchar *other = g_build_filename (dir, "o.safetensors", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "none.safetensors",
      NULL);
  g_autofree float *x = random_frames (50, 6, 9, 2.0f);
  g_autofree float *y1 = g_new (float, 50 * 3);
  g_autofree float *y2 = g_new (float, 50 * 3);
  LstmModel *a, *b, *c, *d;
  g_autoptr (LstmState) s1 = NULL, s2 = NULL;

  g_assert_true (lstm_model_save (m, path, &error));
  g_assert_true (lstm_model_save (m, other, &error));
  g_assert_no_error (error);
  a = lstm_model_load_shared (path, 0, &error);
  g_assert_no_error (error);
  b = lstm_model_load_shared (path, 0, &error);
  g_assert_no_error (error);
  g_assert_true (a == b);
  /* another file with the same bytes is another model */
  c = lstm_model_load_shared (other, 0, &error);
  g_assert_no_error (error);
  g_assert_true (c != a);
  /* the same outputs as a plain load */
  plain = lstm_model_load (path, &error);
  g_assert_no_error (error);
  s1 = lstm_state_new (a);
  s2 = lstm_state_new (plain);
  g_assert_true (lstm_model_forward (a, s1, x, 50, y1, &error));
  g_assert_true (lstm_model_forward (plain, s2, x, 50, y2, &error));
  g_assert_cmpmem (y1, 50 * 3 * sizeof (float), y2, 50 * 3 * sizeof (float));
  g_clear_pointer (&s1, lstm_state_free);
  /* rewritten (other weights, a later mtime): loaded afresh */
  g_usleep (20000);
  g_assert_true (lstm_model_save (m2, path, &error));
  g_assert_no_error (error);
  d = lstm_model_load_shared (path, 0, &error);
  g_assert_no_error (error);
  g_assert_true (d != a);
  lstm_model_unref (a);
  lstm_model_unref (b);
  lstm_model_unref (c);
  lstm_model_unref (d);
  /* every reference gone: a new load works (and frees nothing twice) */
  a = lstm_model_load_shared (path, 0, &error);
  g_assert_no_error (error);
  lstm_model_unref (a);
  g_assert_null (lstm_model_load_shared (missing, 0, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_unlink (path);
  g_unlink (other);
  g_rmdir (dir);
}

typedef struct {
  const gchar *path;
  const float *x;
  const float *ref;
  gboolean ok;
} SharedThread;

static gpointer
shared_thread (gpointer data)
{
  SharedThread *t = data;
  float y[20 * 3];
  guint i;

  t->ok = TRUE;
  for (i = 0; i < 50 && t->ok; i++) {
    LstmModel *m = lstm_model_load_shared (t->path, 0, NULL);
    LstmState *s;

    if (m == NULL) {
      t->ok = FALSE;
      break;
    }
    s = lstm_state_new (m);
    t->ok = lstm_model_forward (m, s, t->x, 20, y, NULL) &&
        memcmp (y, t->ref, sizeof y) == 0;
    lstm_state_free (s);
    lstm_model_unref (m);
  }
  return NULL;
}

/* Threads loading, running and dropping the same shared model at once:
 * every run gives the outputs of a private model. */
static void
test_load_shared_threads (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 7);
  g_autoptr (LstmState) s = lstm_state_new (m);
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-test-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree float *x = random_frames (20, 6, 10, 2.0f);
  float ref[20 * 3];
  SharedThread t[8];
  GThread *th[8];
  guint i;

  g_assert_true (lstm_model_save (m, path, &error));
  g_assert_true (lstm_model_forward (m, s, x, 20, ref, &error));
  g_assert_no_error (error);
  for (i = 0; i < G_N_ELEMENTS (t); i++) {
    t[i] = (SharedThread) { path, x, ref, FALSE };
    th[i] = g_thread_new ("shared", shared_thread, &t[i]);
  }
  for (i = 0; i < G_N_ELEMENTS (t); i++) {
    g_thread_join (th[i]);
    g_assert_true (t[i].ok);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* The batched kernels against each stream run alone, per kernel variant
 * (LSTM_KERNELS is read when a state is created) and architecture: the
 * streams join and leave at different steps, come in a shuffled order,
 * some frames are non-finite (reset policy), and the batch is larger than
 * one tile of streams. Then lstm_model_forward_sequences() against
 * lstm_model_forward_sequence() on sequences of different lengths. */
typedef struct {
  const gchar *name;
  const gchar *arch;
  guint n_streams;
} BatchCase;

static const BatchCase batch_cases[] = {
  { "lstm-16x2", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":5,"
        "\"hidden_size\":16,\"num_layers\":2},{\"type\":\"linear\","
        "\"name\":\"o\",\"out_features\":4,\"activation\":\"softmax\"}]",
    300 },
  { "lstm-24-peephole", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":11,\"hidden_size\":24,\"peephole\":true},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":3}]", 130 },
  { "lstm-9x3-peephole", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":4,\"hidden_size\":9,\"num_layers\":3,"
        "\"peephole\":true}]", 70 },
  { "gru-16x2", "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":7,"
        "\"hidden_size\":16,\"num_layers\":2},{\"type\":\"linear\","
        "\"name\":\"o\",\"out_features\":2,\"activation\":\"tanh\"}]",
    200 },
  { "lstm-gru-stack", "[{\"type\":\"lstm\",\"name\":\"a\","
        "\"input_size\":6,\"hidden_size\":8},{\"type\":\"gru\","
        "\"name\":\"b\",\"hidden_size\":13,\"bias\":false},"
        "{\"type\":\"linear\",\"name\":\"c\",\"out_features\":5,"
        "\"activation\":\"relu\"}]", 65 },
  /* the reset-before GRU: two recurrent products, views of the packing */
  { "gru-reset-before-16x2", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":7,\"hidden_size\":16,\"num_layers\":2,"
        "\"reset_after\":false},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":2,\"activation\":\"tanh\"}]", 70 },
  /* H % 8 != 0: the packed n rows start inside a group (12), or no view
   * of them exists (9: the recurrent products on the plain weights) */
  { "gru-reset-before-12", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":5,\"hidden_size\":12,\"reset_after\":false}]", 90 },
  { "gru-reset-before-9-nobias", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":3,\"hidden_size\":9,\"bias\":false,"
        "\"reset_after\":false},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":3}]", 66 },
  { "lag-lstm-skip", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":3,\"lags\":[5,0,1]},{\"type\":\"lstm\","
        "\"name\":\"r\",\"hidden_size\":8,\"num_layers\":2},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":4,"
        "\"activation\":\"softmax\",\"skip\":\"l\"}]", 40 },
};

typedef struct {
  const gchar *variant;
  const BatchCase *bc;
} BatchTest;

/* Whether this CPU runs kernel variant @v (the library checks the same
 * cpuid bits; LSTM_KERNELS naming one it cannot run is not tested here). */
static gboolean
variant_runs (const gchar *v)
{
  if (strcmp (v, "ref") == 0 || strcmp (v, "generic") == 0)
    return TRUE;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (strcmp (v, "avx2") == 0)
    return __builtin_cpu_supports ("avx2");
  if (strcmp (v, "fma") == 0)
    return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  if (strcmp (v, "avx512") == 0)
    return __builtin_cpu_supports ("avx512f") &&
        __builtin_cpu_supports ("avx512vl") &&
        __builtin_cpu_supports ("avx512dq");
#endif
  return FALSE;
}

static void
test_forward_batch_case (gconstpointer data)
{
  const BatchTest *bt = data;
  guint N = bt->bc->n_streams, T = 30, s, t, I, O;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GRand) r = g_rand_new_with_seed (N);
  g_autofree guint *start = g_new (guint, N);
  g_autofree guint *len = g_new (guint, N);
  g_autofree guint *who = g_new (guint, N);
  g_autofree gsize *lens = g_new (gsize, N);
  g_autofree float **x = g_new0 (float *, N);
  g_autofree float **ref = g_new0 (float *, N);
  g_autofree float **got = g_new0 (float *, N);
  g_autofree LstmState **alone = g_new0 (LstmState *, N);
  g_autofree LstmState **batched = g_new0 (LstmState *, N);
  g_autofree LstmState **st = g_new0 (LstmState *, N);
  g_autofree float *in = NULL, *out = NULL;
  g_autofree guint8 *flags = g_new (guint8, N);

  if (!variant_runs (bt->variant)) {
    g_test_skip ("this CPU does not run the variant");
    return;
  }
  g_setenv ("LSTM_KERNELS", bt->variant, TRUE);
  m = new_model (bt->bc->arch, N + 7);
  I = lstm_model_get_input_size (m);
  O = lstm_model_get_output_size (m);
  in = g_new (float, (gsize) N * I);
  out = g_new (float, (gsize) N * O);
  for (s = 0; s < N; s++) {
    start[s] = (guint) g_rand_int_range (r, 0, 10);
    len[s] = (guint) g_rand_int_range (r, s % 7 == 0 ? 0 : 1, (gint32) T);
    x[s] = random_frames (len[s], I, 1000 + s, 3.0f);
    if (s % 17 == 3 && len[s] > 4)
      x[s][(len[s] / 2) * I] = NAN;
    ref[s] = g_new0 (float, len[s] * O + 1);
    got[s] = g_new0 (float, len[s] * O + 1);
    alone[s] = lstm_state_new (m);
    batched[s] = lstm_state_new (m);
    g_assert_true (lstm_model_forward_checked (m, alone[s],
            LSTM_NAN_POLICY_RESET, x[s], len[s], ref[s], NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (lstm_state_get_kernels (batched[s]), ==, bt->variant);
  }
  g_unsetenv ("LSTM_KERNELS");
  for (t = 0; t < T + 10; t++) {
    guint n = 0, k;

    for (s = 0; s < N; s++)
      if (t >= start[s] && t < start[s] + len[s])
        who[n++] = s;
    for (k = n; k > 1; k--) {
      guint j = (guint) g_rand_int_range (r, 0, (gint32) k), tmp = who[k - 1];
      who[k - 1] = who[j];
      who[j] = tmp;
    }
    for (k = 0; k < n; k++) {
      st[k] = batched[who[k]];
      memcpy (in + (gsize) k * I, x[who[k]] + (t - start[who[k]]) * I,
          I * sizeof (float));
    }
    g_assert_true (lstm_model_forward_batch (m, st, n, LSTM_NAN_POLICY_RESET,
            in, out, flags, &error));
    g_assert_no_error (error);
    for (k = 0; k < n; k++) {
      const float *f = x[who[k]] + (t - start[who[k]]) * I;
      memcpy (got[who[k]] + (t - start[who[k]]) * O, out + (gsize) k * O,
          O * sizeof (float));
      g_assert_cmpint (flags[k] != LSTM_FRAME_FINITE, ==, isnan (f[0]));
    }
  }
  for (s = 0; s < N; s++)
    g_assert_cmpmem (got[s], len[s] * O * sizeof (float), ref[s],
        len[s] * O * sizeof (float));

  /* whole sequences (the non-finite frame replaced), lengths differing */
  g_setenv ("LSTM_KERNELS", bt->variant, TRUE);
  for (s = 0; s < N; s++) {
    for (t = 0; t < len[s] * I; t++)
      if (isnan (x[s][t]))
        x[s][t] = 0.5f;
    g_assert_true (lstm_model_forward_sequence (m, x[s], len[s], ref[s],
            &error));
    memset (got[s], 0, len[s] * O * sizeof (float));
    lens[s] = len[s];
  }
  g_assert_true (lstm_model_forward_sequences (m, N,
          (const float *const *) x, lens, got, &error));
  g_assert_no_error (error);
  g_unsetenv ("LSTM_KERNELS");
  for (s = 0; s < N; s++)
    g_assert_cmpmem (got[s], len[s] * O * sizeof (float), ref[s],
        len[s] * O * sizeof (float));

  for (s = 0; s < N; s++) {
    g_free (x[s]);
    g_free (ref[s]);
    g_free (got[s]);
    lstm_state_free (alone[s]);
    lstm_state_free (batched[s]);
  }
}

/* lstm_model_forward_batch(): streams of different lengths joining and
 * leaving the batch, in an order that changes each step, one with a NaN
 * burst: each stream's outputs equal lstm_model_forward_checked() of that
 * stream alone, bit for bit; a state of another model and a NaN under the
 * error policy fail, changing no state. */
static void
test_forward_batch (void)
{
  enum { S = 5, T = 40, I = 6, O = 3 };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = new_model (ARCH_LSTM_HEAD, 11);
  g_autoptr (LstmModel) other = new_model (ARCH_LSTM_HEAD, 12);
  g_autoptr (GRand) r = g_rand_new_with_seed (3);
  static const guint start[S] = { 0, 0, 5, 12, 30 };
  static const guint len[S] = { 40, 17, 30, 28, 10 };
  float *x[S], *ref[S], *got[S];
  LstmState *alone[S], *batched[S];
  float in[S * I], out[S * O];
  guint8 flags[S];
  guint s, t;

  for (s = 0; s < S; s++) {
    x[s] = random_frames (len[s], I, 100 + s, 3.0f);
    ref[s] = g_new (float, len[s] * O);
    got[s] = g_new (float, len[s] * O);
    alone[s] = lstm_state_new (m);
    batched[s] = lstm_state_new (m);
  }
  x[2][7 * I + 1] = NAN;
  x[2][8 * I] = INFINITY;
  for (s = 0; s < S; s++)
    g_assert_true (lstm_model_forward_checked (m, alone[s],
            LSTM_NAN_POLICY_RESET, x[s], len[s], ref[s], NULL, NULL, &error));
  for (t = 0; t < T + 30; t++) {
    LstmState *st[S];
    guint who[S], n = 0, k;

    /* the streams with a frame at step t, in a shuffled order */
    for (s = 0; s < S; s++)
      if (t >= start[s] && t < start[s] + len[s])
        who[n++] = s;
    for (k = n; k > 1; k--) {
      guint j = (guint) g_rand_int_range (r, 0, (gint32) k), tmp = who[k - 1];
      who[k - 1] = who[j];
      who[j] = tmp;
    }
    for (k = 0; k < n; k++) {
      st[k] = batched[who[k]];
      memcpy (in + k * I, x[who[k]] + (t - start[who[k]]) * I,
          I * sizeof (float));
    }
    g_assert_true (lstm_model_forward_batch (m, st, n, LSTM_NAN_POLICY_RESET,
            in, out, flags, &error));
    g_assert_no_error (error);
    for (k = 0; k < n; k++) {
      memcpy (got[who[k]] + (t - start[who[k]]) * O, out + k * O,
          O * sizeof (float));
      g_assert_cmpint (flags[k] != LSTM_FRAME_FINITE, ==,
          who[k] == 2 && (t - start[2] == 7 || t - start[2] == 8));
    }
  }
  for (s = 0; s < S; s++)
    g_assert_cmpmem (got[s], len[s] * O * sizeof (float), ref[s],
        len[s] * O * sizeof (float));

  /* errors: nothing changes */
  {
    g_autoptr (LstmState) foreign = lstm_state_new (other);
    g_autoptr (LstmState) copy = lstm_state_copy (batched[0]);
    LstmState *st[2] = { batched[0], foreign };
    float h1[18], h2[18];

    memcpy (in, x[0], I * sizeof (float));
    memcpy (in + I, x[0], I * sizeof (float));
    g_assert_false (lstm_model_forward_batch (m, st, 2,
            LSTM_NAN_POLICY_RESET, in, out, NULL, &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
    g_clear_error (&error);
    st[1] = batched[1];
    in[I + 2] = NAN;
    g_assert_false (lstm_model_forward_batch (m, st, 2,
            LSTM_NAN_POLICY_ERROR, in, out, NULL, &error));
    g_assert_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT);
    g_clear_error (&error);
    g_assert_true (lstm_state_get_hidden (batched[0], 0, h1, NULL, &error));
    g_assert_true (lstm_state_get_hidden (copy, 0, h2, NULL, &error));
    g_assert_cmpmem (h1, sizeof h1, h2, sizeof h2);
  }
  for (s = 0; s < S; s++) {
    g_free (x[s]);
    g_free (ref[s]);
    g_free (got[s]);
    lstm_state_free (alone[s]);
    lstm_state_free (batched[s]);
  }
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/new/sizes", test_new_sizes);
  g_test_add_func ("/model/new/init", test_new_init);
  g_test_add_func ("/model/save-load/roundtrip", test_save_load_roundtrip);
  g_test_add_func ("/model/gru-reset-after", test_gru_reset_after);
  g_test_add_func ("/model/save/unwritable", test_save_unwritable);
  g_test_add_func ("/model/metadata/with", test_with_metadata);
  g_test_add_func ("/model/lag", test_lag_model);
  g_test_add_func ("/model/save/keeps-model", test_save_keeps_model);
  g_test_add_func ("/model/load-shared", test_load_shared);
  g_test_add_func ("/model/load-shared/threads", test_load_shared_threads);
  g_test_add_func ("/model/forward-batch", test_forward_batch);
  {
    static const gchar *const variants[] = { "ref", "generic", "avx2", "fma",
      "avx512"
    };
    guint v, c;
    for (v = 0; v < G_N_ELEMENTS (variants); v++)
      for (c = 0; c < G_N_ELEMENTS (batch_cases); c++) {
        BatchTest *bt = g_new (BatchTest, 1);
        g_autofree gchar *path = g_strdup_printf ("/model/forward-batch/%s/%s",
            variants[v], batch_cases[c].name);
        bt->variant = variants[v];
        bt->bc = &batch_cases[c];
        g_test_add_data_func_full (path, bt, test_forward_batch_case, g_free);
      }
  }
  for (i = 0; i < G_N_ELEMENTS (arch_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/model/architecture/invalid/%s",
        arch_cases[i].name);
    g_test_add_data_func (path, &arch_cases[i], test_arch_invalid);
  }
  g_test_add_func ("/state/errors", test_state_errors);
  g_test_add_func ("/state/hidden", test_state_hidden);
  return g_test_run ();
}
