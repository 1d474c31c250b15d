/* Golden tests: liblstm's outputs against PyTorch (and, for peephole LSTMs,
 * python3-onnx's numpy reference) on the committed data that
 * tests/golden/make_golden.py writes (its docstring describes the format).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

/* The library's own objects are linked in, for lstm_kernels_list(). */
#include "lstm-private.h"

#define GOLDEN_MAGIC "LSTMGOLD"
#define GOLDEN_VERSION 1u
/* design.md section 4: 1e-5 absolute for values of order 1; larger values
 * get the same relative budget. */
#define TOLERANCE 1e-5
/* Relative errors are reported for reference values at least this large. */
#define REL_FLOOR 1e-3

/* Every case make_golden.py writes: a missing file fails the test. */
static const gchar *const cases[] = {
  "lstm1-default",
  "lstm2-default-softmax",
  "lstm3-strong-none",
  "lstm1-strong-sigmoid",
  "lstm2-strong",
  "gru1-default-tanh",
  "gru2-strong-relu",
  "gru3-strong",
  "bilstm2-default-softmax",
  "bilstm1-strong",
  "bigru2-strong-tanh",
  "lstm2-nobias-strong-softmax",
  "gru1-nobias-strong-relu",
  "bigru1-nobias",
  "lstm2-f16-softmax",
  "gru2-bf16-sigmoid",
  "grurb1-default-tanh",
  "grurb2-strong-softmax",
  "grurb1-nobias-strong",
  "bigrurb2-strong-relu",
  "state-init-strong",
  "residual-lstm2-trend",
  "lag-gru-skip-residual",
  "peephole1-default-softmax",
  "peephole2-strong",
  "peephole1-nobias-tanh",
  "trained-lstm-softmax",
};

typedef struct {
  gchar *name;
  guint n_dims;
  guint shape[4];
  gsize n;
  float *data;
} GoldenTensor;

typedef struct {
  GBytes *bytes;
  JsonParser *parser;
  JsonObject *info;
  GPtrArray *tensors;           /* GoldenTensor* */
} Golden;

static void
golden_tensor_free (gpointer p)
{
  GoldenTensor *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

static void
golden_free (Golden *g)
{
  g_clear_pointer (&g->bytes, g_bytes_unref);
  g_clear_object (&g->parser);
  g_clear_pointer (&g->tensors, g_ptr_array_unref);
  g_free (g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Golden, golden_free)

static guint32
read_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 |
      (guint32) p[3] << 24;
}

/* Reads a .golden file; every size is checked against the file. */
static Golden *
golden_load (const gchar *path)
{
  g_autoptr (Golden) g = g_new0 (Golden, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) mf = g_mapped_file_new (path, FALSE, &error);
  const guint8 *d;
  gsize size, data_size;
  guint32 version, json_len;
  JsonArray *arr;
  guint i, k;

  g_assert_no_error (error);
  g->bytes = g_mapped_file_get_bytes (mf);
  d = g_bytes_get_data (g->bytes, &size);
  g_assert_cmpuint (size, >=, 16);
  g_assert_cmpmem (d, 8, GOLDEN_MAGIC, 8);
  version = read_u32 (d + 8);
  json_len = read_u32 (d + 12);
  if (version != GOLDEN_VERSION)
    g_error ("%s: golden format version %u, this test reads %u", path,
        version, GOLDEN_VERSION);
  g_assert_cmpuint (json_len, <=, size - 16);
  data_size = size - 16 - json_len;

  g->parser = json_parser_new ();
  json_parser_load_from_data (g->parser, (const gchar *) d + 16, json_len,
      &error);
  g_assert_no_error (error);
  g->info = json_node_get_object (json_parser_get_root (g->parser));
  g->tensors = g_ptr_array_new_with_free_func (golden_tensor_free);
  arr = json_object_get_array_member (g->info, "tensors");
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonObject *o = json_array_get_object_element (arr, i);
    JsonArray *shape = json_object_get_array_member (o, "shape");
    gint64 offset = json_object_get_int_member (o, "offset");
    GoldenTensor *t = g_new0 (GoldenTensor, 1);

    t->name = g_strdup (json_object_get_string_member (o, "name"));
    t->n_dims = json_array_get_length (shape);
    g_assert_cmpuint (t->n_dims, >=, 1);
    g_assert_cmpuint (t->n_dims, <=, 4);
    t->n = 1;
    for (k = 0; k < t->n_dims; k++) {
      gint64 v = json_array_get_int_element (shape, k);
      g_assert_cmpint (v, >, 0);
      g_assert_cmpint (v, <, 1 << 24);
      t->shape[k] = (guint) v;
      t->n *= (gsize) v;
    }
    g_assert_cmpint (offset, >=, 0);
    g_assert_cmpuint ((gsize) offset, <=, data_size);
    g_assert_cmpuint (t->n, <=, (data_size - (gsize) offset) / 4);
    t->data = g_new (float, t->n);
    for (k = 0; k < t->n; k++) {
      guint32 bits = read_u32 (d + 16 + json_len + offset + 4 * (gsize) k);
      memcpy (&t->data[k], &bits, 4);
    }
    g_ptr_array_add (g->tensors, t);
  }
  return g_steal_pointer (&g);
}

static const GoldenTensor *
golden_get (Golden *g, const gchar *name)
{
  guint i;
  for (i = 0; i < g->tensors->len; i++) {
    const GoldenTensor *t = g_ptr_array_index (g->tensors, i);
    if (strcmp (t->name, name) == 0)
      return t;
  }
  return NULL;
}

/* Largest absolute and relative errors of @got against @want; FALSE if an
 * element is out of tolerance. */
static gboolean
compare (const gchar *what, const float *got, const float *want, gsize n,
    guint width)
{
  double max_abs = 0, max_rel = 0;
  gsize worst = 0, i, n_bad = 0;

  for (i = 0; i < n; i++) {
    double a = got[i], b = want[i], err = fabs (a - b);
    if (!(err <= TOLERANCE * MAX (1.0, fabs (b))))
      n_bad++;
    if (!(err <= max_abs)) {
      max_abs = err;
      worst = i;
    }
    if (fabs (b) >= REL_FLOOR)
      max_rel = MAX (max_rel, err / fabs (b));
  }
  g_test_message ("%s: max abs error %.3g (frame %" G_GSIZE_FORMAT
      ", value %" G_GSIZE_FORMAT ": %.9g vs %.9g), max rel error %.3g",
      what, max_abs, worst / width, worst % width, (double) got[worst],
      (double) want[worst], max_rel);
  if (n_bad > 0)
    g_test_message ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
        " values beyond tolerance", what, n_bad, n);
  return n_bad == 0;
}

/* Sets the initial state the case gives (h0.K / c0.K for layer K). */
static void
set_initial_state (Golden *g, LstmState *s, guint n_layers)
{
  guint k;
  for (k = 0; k < n_layers; k++) {
    g_autofree gchar *hn = g_strdup_printf ("h0.%u", k);
    g_autofree gchar *cn = g_strdup_printf ("c0.%u", k);
    const GoldenTensor *h = golden_get (g, hn), *c = golden_get (g, cn);
    g_autoptr (GError) error = NULL;

    if (h == NULL)
      continue;
    g_assert_true (lstm_state_set_hidden (s, k, h->data, c ? c->data : NULL,
            &error));
    g_assert_no_error (error);
  }
}

static gboolean
check_final_state (Golden *g, LstmState *s, guint n_layers,
    const gchar *what)
{
  gboolean ok = TRUE;
  guint k;

  for (k = 0; k < n_layers; k++) {
    g_autofree gchar *hn = g_strdup_printf ("hn.%u", k);
    g_autofree gchar *cn = g_strdup_printf ("cn.%u", k);
    const GoldenTensor *h = golden_get (g, hn), *c = golden_get (g, cn);
    g_autofree float *hv = NULL, *cv = NULL;
    g_autofree gchar *label = NULL;

    if (h == NULL)
      continue;
    hv = g_new (float, h->n);
    cv = c ? g_new (float, c->n) : NULL;
    g_assert_true (lstm_state_get_hidden (s, k, hv, cv, NULL));
    label = g_strdup_printf ("%s: final h of layer %u", what, k);
    ok &= compare (label, hv, h->data, h->n, h->shape[h->n_dims - 1]);
    if (c) {
      g_free (label);
      label = g_strdup_printf ("%s: final c of layer %u", what, k);
      ok &= compare (label, cv, c->data, c->n, c->shape[c->n_dims - 1]);
    }
  }
  return ok;
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
test_case (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *file = g_strconcat (name, ".golden", NULL);
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "golden",
      "data", file, NULL);
  g_autoptr (Golden) g = golden_load (path);
  g_autofree gchar *model_path = g_test_build_filename (G_TEST_DIST, "golden",
      "data", json_object_get_string_member (g->info, "model"), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  const GoldenTensor *in = golden_get (g, "input"), *want = golden_get (g,
      "output");
  const gchar *mode = json_object_get_string_member (g->info, "mode");
  const gchar *const *variants = variants_to_test ();
  const gchar *saved_env = g_getenv ("LSTM_KERNELS");
  g_autofree gchar *saved = g_strdup (saved_env);
  g_autofree float *out = NULL, *first = NULL;
  JsonNode *f32 = json_object_get_member (g->info, "f32_max_abs");
  gsize T, I, O;
  gboolean ok = TRUE;
  guint v;

  g_test_message ("%s: %s", name, json_object_get_string_member (g->info,
          "description"));
  g_test_message ("reference: %s", json_object_get_string_member (g->info,
          "reference"));
  if (f32 && !json_node_is_null (f32))
    g_test_message ("PyTorch's own float32 run: max abs %.3g from the "
        "reference", json_node_get_double (f32));

  g_assert_nonnull (in);
  g_assert_nonnull (want);
  g_assert_cmpstr (json_object_get_string_member (g->info, "case"), ==, name);
  model = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  T = in->shape[0];
  I = in->shape[1];
  O = want->shape[1];
  g_assert_cmpuint (T, >=, 1000);
  g_assert_cmpuint (want->shape[0], ==, T);
  g_assert_cmpuint (lstm_model_get_input_size (model), ==, I);
  g_assert_cmpuint (lstm_model_get_output_size (model), ==, O);
  out = g_new (float, T * O);

  for (v = 0; variants[v] != NULL; v++) {
    g_setenv ("LSTM_KERNELS", variants[v], TRUE);

    if (strcmp (mode, "sequence") == 0) {
      g_autoptr (LstmState) s = lstm_state_new (model);
      g_autofree gchar *what = g_strdup_printf ("[%s] whole sequence",
          variants[v]);

      g_assert_false (lstm_model_is_streamable (model));
      g_assert_false (lstm_model_forward (model, s, in->data, 1, out,
              &error));
      g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
      g_clear_error (&error);
      g_assert_true (lstm_model_forward_sequence (model, in->data, T, out,
              &error));
      g_assert_no_error (error);
      ok &= compare (what, out, want->data, T * O, O);
      continue;
    }

    g_assert_cmpstr (mode, ==, "stream");
    {
      /* Streaming in several chunkings; each must match the reference and
       * (chunking invariance) each other bitwise. */
      static const gsize chunkings[] = { 0 /* all at once */ , 1, 7, 64, 100,
        333
      };
      guint c;

      g_clear_pointer (&first, g_free);
      for (c = 0; c < G_N_ELEMENTS (chunkings); c++) {
        g_autoptr (LstmState) s = lstm_state_new (model);
        gsize chunk = chunkings[c] ? chunkings[c] : T, done;
        g_autofree gchar *what = NULL;

        g_assert_cmpstr (lstm_state_get_kernels (s), ==, variants[v]);
        set_initial_state (g, s, lstm_model_get_n_layers (model));
        for (done = 0; done < T; done += chunk) {
          gsize n = MIN (chunk, T - done);
          g_assert_true (lstm_model_forward (model, s, in->data + done * I, n,
                  out + done * O, &error));
          g_assert_no_error (error);
        }
        what = g_strdup_printf ("[%s] %" G_GSIZE_FORMAT " frames per call",
            variants[v], chunk);
        if (first == NULL) {
          ok &= compare (what, out, want->data, T * O, O);
          ok &= check_final_state (g, s, lstm_model_get_n_layers (model),
              what);
          first = g_memdup2 (out, T * O * sizeof (float));
        } else {
          g_assert_cmpmem (out, T * O * sizeof (float), first,
              T * O * sizeof (float));
        }
      }
      /* The offline entry point gives the same bits (zero initial state). */
      if (golden_get (g, "h0.0") == NULL) {
        g_assert_true (lstm_model_forward_sequence (model, in->data, T, out,
                &error));
        g_assert_no_error (error);
        g_assert_cmpmem (out, T * O * sizeof (float), first,
            T * O * sizeof (float));
      }
    }
  }
  if (saved)
    g_setenv ("LSTM_KERNELS", saved, TRUE);
  else
    g_unsetenv ("LSTM_KERNELS");
  if (!ok)
    g_test_fail_printf ("%s: outputs differ from the reference by more than "
        "%g (see the messages above)", name, TOLERANCE);
}

int
main (int argc, char **argv)
{
  guint i;

  if (variants_to_test () == NULL) {
    /* TAP: the whole test is skipped */
    g_print ("1..0 # SKIP LSTM_KERNELS=%s: not supported by this build "
        "or CPU\n", g_getenv ("LSTM_KERNELS"));
    return 0;
  }
  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/golden/%s", cases[i]);
    g_test_add_data_func (path, cases[i], test_case);
  }
  return g_test_run ();
}
