/* Unit tests: chunking invariance and the no-allocation contract of
 * lstm_model_forward(), on every kernel variant.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * design.md section 4: the same frames give bitwise identical outputs
 * however they are split into calls. Sizes straddle the kernels' 8-wide
 * blocks and 4-frame tiles and the 64-frame forward blocks.
 */
#include "config.h"

#include <string.h>

#include "alloc-counter.h"
#include "lstm-private.h"

#define N_FRAMES 2000u

typedef struct {
  const gchar *name;
  const gchar *arch;
  gboolean normalise;
  const gchar *residual;        /* lstm.residual, or NULL */
} ModelCase;

static const ModelCase models[] = {
  { "lstm-1x1", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":1,"
        "\"hidden_size\":1}]", FALSE, NULL },
  { "lstm-7x8-2layers", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":7,"
        "\"hidden_size\":8,\"num_layers\":2}]", FALSE, NULL },
  { "lstm-9x17-peephole", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":9,\"hidden_size\":17,\"peephole\":true},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":3,"
        "\"activation\":\"softmax\"}]", FALSE, NULL },
  { "lstm-33x7-peephole-3layers", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":33,\"hidden_size\":7,\"num_layers\":3,"
        "\"peephole\":true}]", TRUE, NULL },
  { "lstm-8x33-nobias", "[{\"type\":\"lstm\",\"name\":\"r\",\"input_size\":8,"
        "\"hidden_size\":33,\"bias\":false},{\"type\":\"linear\","
        "\"name\":\"o\",\"out_features\":9,\"activation\":\"sigmoid\","
        "\"bias\":false}]", FALSE, NULL },
  { "gru-1x9", "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":1,"
        "\"hidden_size\":9},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":1,\"activation\":\"tanh\"}]", FALSE, NULL },
  { "gru-17x16-2layers", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":17,\"hidden_size\":16,\"num_layers\":2}]", TRUE, NULL },
  { "gru-reset-before-17x16-2layers", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":17,\"hidden_size\":16,\"num_layers\":2,"
        "\"reset_after\":false}]", TRUE, NULL },
  { "gru-reset-before-5x12", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":5,\"hidden_size\":12,\"reset_after\":false},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":4}]",
    FALSE, NULL },
  { "gru-reset-before-3x9-nobias", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":3,\"hidden_size\":9,\"bias\":false,"
        "\"reset_after\":false},{\"type\":\"linear\",\"name\":\"o\","
        "\"out_features\":2,\"activation\":\"softmax\"}]", FALSE, NULL },
  { "lstm-gru-linear-stack", "[{\"type\":\"lstm\",\"name\":\"a\","
        "\"input_size\":15,\"hidden_size\":9},{\"type\":\"gru\",\"name\":\"b\","
        "\"hidden_size\":33,\"bias\":false},{\"type\":\"linear\","
        "\"name\":\"c\",\"out_features\":7,\"activation\":\"relu\"},"
        "{\"type\":\"linear\",\"name\":\"d\",\"out_features\":8}]", TRUE, NULL },
  { "linear-only", "[{\"type\":\"linear\",\"name\":\"a\","
        "\"in_features\":17,\"out_features\":9,\"activation\":\"tanh\"},"
        "{\"type\":\"linear\",\"name\":\"b\",\"out_features\":4,"
        "\"activation\":\"softmax\"}]", TRUE, NULL },
  { "lstm-5x9-residual", "[{\"type\":\"lstm\",\"name\":\"r\","
        "\"input_size\":5,\"hidden_size\":9},{\"type\":\"linear\","
        "\"name\":\"o\",\"out_features\":3}]", TRUE, "[4,0,4]" },
  { "gru-2x17-2layers-residual", "[{\"type\":\"gru\",\"name\":\"g\","
        "\"input_size\":2,\"hidden_size\":17,\"num_layers\":2},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":2}]",
        FALSE, "[1,0]" },
  /* lag layers: the past frames live in the state; lag 70 reaches across
   * the 64-frame forward blocks */
  { "lag-gru-skip-residual", "[{\"type\":\"lag\",\"name\":\"lag\","
        "\"input_size\":1,\"lags\":[0,1,2,11,70]},{\"type\":\"gru\","
        "\"name\":\"rnn\",\"hidden_size\":9},{\"type\":\"linear\","
        "\"name\":\"head\",\"out_features\":1,\"skip\":\"lag\"}]",
        TRUE, "[0]" },
  { "lag-lstm-2layers-skip-softmax", "[{\"type\":\"lag\",\"name\":\"l\","
        "\"input_size\":3,\"lags\":[5,0,1]},{\"type\":\"lstm\","
        "\"name\":\"r\",\"hidden_size\":7,\"num_layers\":2},"
        "{\"type\":\"linear\",\"name\":\"o\",\"out_features\":4,"
        "\"activation\":\"softmax\",\"skip\":\"l\"}]", FALSE, NULL },
  { "lag-only", "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":2,"
        "\"lags\":[3,0,129]}]", TRUE, NULL },
};

/* Frames per call; 0 means random sizes (1..150, seeded). */
static const guint chunkings[] = { 1, 3, 7, 8, 15, 16, 17, 63, 64, 65, 100,
  129, 0, N_FRAMES
};

typedef struct {
  const gchar *variant;
  const ModelCase *model;
} TestData;

static LstmModel *
make_model (const ModelCase *mc)
{
  g_autoptr (GError) error = NULL;
  LstmModelOptions opts = { 0 };
  g_autofree float *mean = NULL, *std = NULL;
  g_autoptr (LstmModel) probe = lstm_model_new (mc->arch, NULL, &error);
  LstmModel *m;
  guint i, I;

  g_assert_no_error (error);
  I = lstm_model_get_input_size (probe);
  opts.seed = 99;
  if (mc->normalise) {
    mean = g_new (float, I);
    std = g_new (float, I);
    for (i = 0; i < I; i++) {
      mean[i] = 0.25f * (float) i - 1.0f;
      std[i] = 0.5f + 0.125f * (float) (i % 5);
    }
    opts.input_mean = mean;
    opts.input_std = std;
  }
  m = lstm_model_new (mc->arch, &opts, &error);
  g_assert_no_error (error);
  if (mc->residual) {
    LstmModel *r = lstm_model_with_metadata (m, "lstm.residual",
        mc->residual, &error);
    g_assert_no_error (error);
    g_assert_nonnull (lstm_model_get_residual (r));
    lstm_model_unref (m);
    m = r;
  }
  return m;
}

static float *
make_frames (guint n, guint dim)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (4242 + dim);
  float *x = g_new (float, (gsize) n * dim);
  gsize i;
  for (i = 0; i < (gsize) n * dim; i++)
    x[i] = (float) g_rand_double_range (r, -3.0, 3.0);
  return x;
}

/* The kernel variants to run: the one LSTM_KERNELS names when it is set
 * as the test starts (the per-variant meson tests set it), else every
 * variant this build and CPU run. NULL when the named one cannot run
 * here. */
static const gchar *const *
variants_to_test (void)
{
  static const gchar *one[2];
  static gboolean done;
  const gchar *const *all = lstm_kernels_list ();
  const gchar *forced;
  guint v;

  if (done)
    return one[0] ? one : all;
  done = TRUE;
  forced = g_getenv ("LSTM_KERNELS");
  if (forced == NULL || *forced == '\0')
    return all;
  for (v = 0; all[v] != NULL; v++)
    if (strcmp (all[v], forced) == 0)
      one[0] = all[v];
  return one[0] ? one : NULL;
}

static void
use_variant (const gchar *variant)
{
  g_setenv ("LSTM_KERNELS", variant, TRUE);
}

static void
run_chunked (LstmModel *m, LstmState *s, const float *x, float *y, guint chunk,
    guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  guint I = lstm_model_get_input_size (m), O = lstm_model_get_output_size (m);
  gsize done = 0;

  while (done < N_FRAMES) {
    gsize n = chunk ? chunk : (gsize) g_rand_int_range (r, 1, 151);
    g_autoptr (GError) error = NULL;
    n = MIN (n, N_FRAMES - done);
    g_assert_true (lstm_model_forward (m, s, x + done * I, n, y + done * O,
            &error));
    g_assert_no_error (error);
    done += n;
  }
}

static void
test_chunking (gconstpointer data)
{
  const TestData *td = data;
  g_autoptr (LstmModel) m = NULL;
  g_autofree float *x = NULL, *ref = NULL, *y = NULL;
  g_autofree float *h_ref = NULL, *h = NULL;
  guint I, O, c;
  gsize out_bytes;
  LstmLayerInfo first;
  gboolean recurrent;

  use_variant (td->variant);
  m = make_model (td->model);
  I = lstm_model_get_input_size (m);
  O = lstm_model_get_output_size (m);
  x = make_frames (N_FRAMES, I);
  out_bytes = (gsize) N_FRAMES * O * sizeof (float);
  ref = g_malloc (out_bytes);
  y = g_malloc (out_bytes);
  h_ref = g_new0 (float, 4096);
  h = g_new0 (float, 4096);
  g_assert_true (lstm_model_get_layer_info (m, 0, &first));
  recurrent = first.type == LSTM_LAYER_LSTM ||
      first.type == LSTM_LAYER_GRU;

  /* reference: all 2000 frames in one call */
  {
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_assert_cmpstr (lstm_state_get_kernels (s), ==, td->variant);
    run_chunked (m, s, x, ref, N_FRAMES, 0);
    if (recurrent)
      g_assert_true (lstm_state_get_hidden (s, 0, h_ref, NULL, NULL));
  }
  for (c = 0; c < G_N_ELEMENTS (chunkings); c++) {
    g_autoptr (LstmState) s = lstm_state_new (m);
    memset (y, 0xff, out_bytes);
    run_chunked (m, s, x, y, chunkings[c], 1000 + c);
    if (memcmp (y, ref, out_bytes) != 0) {
      gsize i;
      for (i = 0; i < (gsize) N_FRAMES * O; i++)
        if (memcmp (y + i, ref + i, sizeof (float)) != 0)
          break;
      g_error ("%s on %s: %u frames per call differs from one call at "
          "frame %" G_GSIZE_FORMAT " value %" G_GSIZE_FORMAT
          ": %.9g vs %.9g", td->model->name, td->variant, chunkings[c],
          i / O, i % O, (double) y[i], (double) ref[i]);
    }
    if (recurrent)
      g_assert_true (lstm_state_get_hidden (s, 0, h, NULL, NULL));
    g_assert_cmpmem (h, 4096 * sizeof (float), h_ref, 4096 * sizeof (float));
  }
  /* the offline entry point computes the same bits */
  g_assert_true (lstm_model_forward_sequence (m, x, N_FRAMES, y, NULL));
  g_assert_cmpmem (y, out_bytes, ref, out_bytes);
  /* a reset state forgets everything (h, c, a lag layer's past frames):
   * it computes what a new one does */
  {
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_assert_true (lstm_model_forward (m, s, x + (gsize) 1000 * I,
            N_FRAMES - 1000, y, NULL));
    lstm_state_reset (s);
    memset (y, 0xff, out_bytes);
    run_chunked (m, s, x, y, N_FRAMES, 0);
    g_assert_cmpmem (y, out_bytes, ref, out_bytes);
  }

  /* a copied state continues exactly as the original */
  {
    g_autoptr (LstmState) s = lstm_state_new (m);
    g_autoptr (LstmState) copy = NULL;
    g_assert_true (lstm_model_forward (m, s, x, 700, y, NULL));
    copy = lstm_state_copy (s);
    g_assert_cmpstr (lstm_state_get_kernels (copy), ==, td->variant);
    g_assert_true (lstm_model_forward (m, copy, x + 700 * I, 300, y, NULL));
    g_assert_cmpmem (y, 300 * O * sizeof (float), ref + 700 * O,
        300 * O * sizeof (float));
  }
  g_unsetenv ("LSTM_KERNELS");
}

/* Once the state exists, lstm_model_forward() allocates nothing, from its
 * first call on, whatever the number of frames per call. */
static void
test_no_allocation (gconstpointer data)
{
  const TestData *td = data;
  static const gsize calls[] = { 1, 7, 64, 65, 500, 1, N_FRAMES - 639 };
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmState) s = NULL;
  g_autofree float *x = NULL, *y = NULL;
  gsize done = 1, max = 0;
  guint64 n;
  guint I, O, c;

  if (!alloc_counter_available ()) {
    g_test_skip ("malloc is not interposed under AddressSanitizer");
    return;
  }
  use_variant (td->variant);
  m = make_model (td->model);
  I = lstm_model_get_input_size (m);
  O = lstm_model_get_output_size (m);
  x = make_frames (N_FRAMES, I);
  y = g_new (float, (gsize) N_FRAMES * O);

  /* the counter sees allocations by liblstm and GLib */
  alloc_counter_start ();
  s = lstm_state_new (m);
  n = alloc_counter_stop (&max);
  g_assert_cmpuint (n, >=, 3);
  g_assert_cmpuint (max, >=, 64 * sizeof (float));

  alloc_counter_start ();
  g_assert_true (lstm_model_forward (m, s, x, 1, y, NULL));
  for (c = 0; c < G_N_ELEMENTS (calls); c++) {
    g_assert_true (lstm_model_forward (m, s, x + done * I, calls[c],
            y + done * O, NULL));
    done += calls[c];
  }
  lstm_state_reset (s);
  g_assert_true (lstm_model_forward (m, s, x, 100, y, NULL));
  n = alloc_counter_stop (NULL);
  g_assert_cmpuint (done, ==, N_FRAMES);
  g_assert_cmpuint (n, ==, 0);

  /* the batched step: the first call on a thread sizes its buffers, later
   * ones (70 streams: a full tile and a partial one) allocate nothing */
  if (lstm_model_is_streamable (m)) {
    LstmState *st[70];
    g_autofree float *bx = make_frames (70, I);
    g_autofree float *by = g_new (float, (gsize) 70 * O);
    guint8 flags[70];

    for (c = 0; c < G_N_ELEMENTS (st); c++)
      st[c] = lstm_state_new (m);
    g_assert_true (lstm_model_forward_batch (m, st, 70,
            LSTM_NAN_POLICY_RESET, bx, by, flags, NULL));
    alloc_counter_start ();
    for (c = 0; c < 5; c++)
      g_assert_true (lstm_model_forward_batch (m, st, 70 - c,
              LSTM_NAN_POLICY_RESET, bx, by, flags, NULL));
    n = alloc_counter_stop (NULL);
    g_assert_cmpuint (n, ==, 0);
    for (c = 0; c < G_N_ELEMENTS (st); c++)
      lstm_state_free (st[c]);
  }
  g_unsetenv ("LSTM_KERNELS");
}

int
main (int argc, char **argv)
{
  const gchar *const *variants;
  GPtrArray *data = g_ptr_array_new_with_free_func (g_free);
  guint v, i;
  int ret;

  if (variants_to_test () == NULL) {
    /* TAP: the whole test is skipped */
    g_print ("1..0 # SKIP LSTM_KERNELS=%s: not supported by this build "
        "or CPU\n", g_getenv ("LSTM_KERNELS"));
    return 0;
  }
  g_test_init (&argc, &argv, NULL);
  variants = variants_to_test ();
  for (v = 0; variants[v]; v++)
    for (i = 0; i < G_N_ELEMENTS (models); i++) {
      TestData *td = g_new0 (TestData, 1);
      g_autofree gchar *p1 = g_strdup_printf ("/chunking/%s/%s", variants[v],
          models[i].name);
      g_autofree gchar *p2 = g_strdup_printf ("/forward/no-allocation/%s/%s",
          variants[v], models[i].name);
      td->variant = variants[v];
      td->model = &models[i];
      g_ptr_array_add (data, td);
      g_test_add_data_func (p1, td, test_chunking);
      g_test_add_data_func (p2, td, test_no_allocation);
    }
  ret = g_test_run ();
  g_ptr_array_unref (data);
  return ret;
}
