/* bf16 weights (LSTM_PRECISION_BF16) against fp32 on the golden models
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For every bf16 kernel table this build and CPU run:
 * - rounding: lstm_bf16_from_float() gives the nearer of the two bf16
 *   neighbours of a float, ties to the even one;
 * - products: on every weight matrix of every golden model (and on shapes
 *   with ragged rows and columns), each output of the bf16 product obeys
 *   the bound of bf16 rounding plus float32 summation:
 *     |y - y_exact| <= (u_w + u_x + u_w u_x) S_wx + g(k + 4) (1 + u_w)
 *                      (1 + u_x) S + 2^-126 k (max|w| + max|x|)
 *   with y_exact the product of the fp32 weights in double, S_wx =
 *   sum |w x|, S = S_wx + |b|, u_w = 2^-8 (bf16's unit roundoff, round to
 *   nearest), u_x = 2^-8 where the inputs are rounded too (vdpbf16ps) else
 *   0, g(n) = n 2^-24 / (1 - n 2^-24), and the last term for the values
 *   below bf16's normal range that vdpbf16ps flushes to zero;
 *   the widening tables give the bits of their fp32 variant run on the
 *   bf16-rounded weights (products and the fused LSTM step);
 * - models: each streamable golden model, bf16 state, is chunking
 *   invariant (bitwise), and with a widening table equals bitwise the
 *   fp32 model whose weight matrices were rounded to bf16; the largest
 *   difference from fp32 is reported;
 * - the state API: fp32 states as lstm_state_new(), errors for unknown
 *   tables and precisions, copies of bf16 states.
 */
#include "config.h"

#include <math.h>
#include <string.h>

/* The library's own objects are linked in, for the kernel tables. */
#include "lstm-private.h"

#define U_BF16 (1.0 / 256.0)
#define U_F32 (1.0 / 16777216.0)

static double
gamma_n (gsize n)
{
  return n * U_F32 / (1.0 - n * U_F32);
}

/* The fp32 variant a bf16 table widens with ("bf16-avx2" -> "avx2"), or
 * NULL for the table that rounds its inputs too. */
static const gchar *
widening_base (const gchar *bf16_name)
{
  if (strcmp (bf16_name, "bf16-avx512bf16") == 0)
    return NULL;
  return bf16_name + strlen ("bf16-");
}

/* The fp32 variant whose sigmoid/tanh a bf16 table uses. */
static const gchar *
fp32_variant (const gchar *bf16_name)
{
  const gchar *b = widening_base (bf16_name);
  return b ? b : "avx512";
}

static float
round_bf16 (float v)
{
  return lstm_bf16_to_float (lstm_bf16_from_float (v));
}

static void
test_rounding (void)
{
  guint i, n_ties = 0;

  for (i = 0; i < 200000; i++) {
    guint32 bits = g_test_rand_int ();
    guint32 lo_bits = bits & 0xffff0000u, hi_bits = lo_bits + 0x10000u;
    float v, lo, hi, r;
    double dlo, dhi, dv;

    if (i % 4 == 0)
      bits = lo_bits | 0x8000u;         /* an exact tie */
    memcpy (&v, &bits, 4);
    if (!isfinite (v))
      continue;
    memcpy (&lo, &lo_bits, 4);
    memcpy (&hi, &hi_bits, 4);
    r = round_bf16 (v);
    dv = v;
    dlo = fabs (dv - lo);
    /* past the largest bf16 the upper neighbour is 2^128 (infinity) */
    dhi = isinf (hi) ? fabs (copysign (ldexp (1.0, 128), dv) - dv) :
        fabs (dv - hi);
    if (dlo < dhi)
      g_assert_true (memcmp (&r, &lo, 4) == 0);
    else if (dhi < dlo)
      g_assert_true (memcmp (&r, &hi, 4) == 0);
    else {
      n_ties++;
      g_assert_true (memcmp (&r, (lo_bits & 0x10000u) ? &hi : &lo, 4) == 0);
    }
  }
  g_assert_cmpuint (n_ties, >, 0);
}

/* One (n_out, k) matrix through table @kt: the bound, and for a widening
 * table the bits of its fp32 variant on the rounded weights. */
static void
check_product (const LstmKernels *kt, const float *w, guint n_out, guint k,
    const gchar *what, double *worst_ratio)
{
  const gsize T = 5;
  const gchar *base = widening_base (kt->name);
  double u_x = base ? 0 : U_BF16;
  g_autofree guint16 *p16 = g_new0 (guint16, lstm_packed_size_bf16 (n_out,
          k));
  g_autofree float *x = g_new (float, T * k), *b = g_new (float, n_out);
  g_autofree float *y = g_new (float, T * n_out);
  LstmPackedMatrix pm;
  double max_w = 0, max_x = 0;
  gsize t, j, i;

  for (i = 0; i < T * k; i++) {
    x[i] = g_test_rand_double_range (-1, 1);
    max_x = MAX (max_x, fabs (x[i]));
  }
  for (j = 0; j < n_out; j++)
    b[j] = g_test_rand_double_range (-0.5, 0.5);
  for (i = 0; i < (gsize) n_out * k; i++)
    max_w = MAX (max_w, fabs (w[i]));
  lstm_pack_matrix_bf16 (w, n_out, k, p16, &pm);
  kt->matmul_packed (&pm, b, x, k, y, n_out, T);

  for (t = 0; t < T; t++)
    for (j = 0; j < n_out; j++) {
      double exact = b[j], swx = 0, bound, err;
      for (i = 0; i < k; i++) {
        exact += (double) w[j * k + i] * x[t * k + i];
        swx += fabs ((double) w[j * k + i] * x[t * k + i]);
      }
      bound = (U_BF16 + u_x + U_BF16 * u_x) * swx + gamma_n (k + 4) *
          (1 + U_BF16) * (1 + u_x) * (swx + fabs (b[j])) +
          ldexp (1.0, -126) * k * (max_w + max_x);
      err = fabs (y[t * n_out + j] - exact);
      if (!(err <= bound))
        g_error ("[%s] %s: output (%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT
            ") is %.9g, exactly %.9g: error %.3g over the bound %.3g",
            kt->name, what, t, j, (double) y[t * n_out + j], exact, err,
            bound);
      if (bound > 0)
        *worst_ratio = MAX (*worst_ratio, err / bound);
    }

  if (base != NULL) {
    const LstmKernels *k32 = lstm_kernels_get (base);
    g_autofree float *wr = g_new (float, (gsize) n_out * k);
    g_autofree float *p32 = g_new0 (float, lstm_packed_size (n_out, k));
    g_autofree float *y32 = g_new (float, T * n_out);
    LstmPackedMatrix pm32;

    g_assert_nonnull (k32);
    for (i = 0; i < (gsize) n_out * k; i++)
      wr[i] = round_bf16 (w[i]);
    lstm_pack_matrix (wr, n_out, k, p32, &pm32);
    k32->matmul_packed (&pm32, b, x, k, y32, n_out, T);
    g_assert_cmpmem (y, T * n_out * sizeof (float), y32,
        T * n_out * sizeof (float));
  }
}

static gint
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static GPtrArray *
golden_models (void)
{
  g_autofree gchar *dir = g_test_build_filename (G_TEST_DIST, "golden",
      "data", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const gchar *n;
  guint i;

  g_assert_nonnull (d);
  while ((n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, ".safetensors"))
      g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, cmp_names);
  for (i = 0; i < names->len; i++)
    g_ptr_array_add (paths, g_build_filename (dir, names->pdata[i], NULL));
  g_assert_cmpuint (paths->len, >=, 10);
  return paths;
}

static void
test_products (void)
{
  static const guint shapes[][2] = { {8, 8}, {13, 21}, {37, 5}, {64, 128},
  {40, 3}, {512, 80}, {24, 1}
  };
  const gchar *const *tables = lstm_kernels_list_bf16 ();
  g_autoptr (GPtrArray) paths = golden_models ();
  guint v, s, i, l, r;

  for (v = 0; tables[v] != NULL; v++) {
    const LstmKernels *kt = lstm_kernels_get_bf16 (tables[v]);
    double worst = 0;
    guint n_mat = 0;

    g_assert_nonnull (kt);
    g_assert_true (kt->bf16);
    for (s = 0; s < G_N_ELEMENTS (shapes); s++) {
      gsize n = (gsize) shapes[s][0] * shapes[s][1], q;
      g_autofree float *w = g_new (float, n);
      g_autofree gchar *what = g_strdup_printf ("random %u x %u",
          shapes[s][0], shapes[s][1]);
      for (q = 0; q < n; q++)
        w[q] = g_test_rand_double_range (-1, 1) *
            exp2 (g_test_rand_int_range (-12, 4));
      check_product (kt, w, shapes[s][0], shapes[s][1], what, &worst);
      n_mat++;
    }
    for (i = 0; i < paths->len; i++) {
      g_autoptr (GError) error = NULL;
      g_autoptr (LstmModel) m = lstm_model_load (paths->pdata[i], &error);
      g_autofree gchar *base = g_path_get_basename (paths->pdata[i]);

      g_assert_no_error (error);
      for (l = 0; l < m->n_layers; l++) {
        LstmLayer *L = &m->layers[l];
        if (L->type == LSTM_LAYER_LINEAR) {
          check_product (kt, L->weight, L->output_size, L->input_size, base,
              &worst);
          n_mat++;
        } else if (L->type != LSTM_LAYER_LAG) {
          guint G = (L->type == LSTM_LAYER_LSTM ? 4 : 3) * L->hidden_size;
          for (r = 0; r < L->num_layers * L->num_dirs; r++) {
            check_product (kt, L->rnn[r].w_ih, G, L->rnn[r].in, base,
                &worst);
            check_product (kt, L->rnn[r].w_hh, G, L->hidden_size, base,
                &worst);
            n_mat += 2;
          }
        }
      }
    }
    g_test_message ("[%s] %u matrices: largest error %.2f of the bound",
        tables[v], n_mat, worst);
  }
}

/* The fused step of a widening table equals its fp32 variant's on the
 * rounded weights, bitwise. */
static void
test_step (void)
{
  const gchar *const *tables = lstm_kernels_list_bf16 ();
  static const guint Hs[] = { 8, 16, 40 };
  guint v, h, flags;

  for (v = 0; tables[v] != NULL; v++) {
    const LstmKernels *kt = lstm_kernels_get_bf16 (tables[v]);
    const gchar *base = widening_base (tables[v]);
    const LstmKernels *k32 = base ? lstm_kernels_get (base) : NULL;

    if (k32 == NULL)
      continue;
    for (h = 0; h < G_N_ELEMENTS (Hs); h++)
      for (flags = 0; flags < 4; flags++) {
        guint H = Hs[h];
        gsize G = 4 * (gsize) H, i;
        g_autofree float *w = g_new (float, G * H);
        g_autofree float *wr = g_new (float, G * H);
        g_autofree guint16 *p16 = g_new0 (guint16, lstm_packed_size_bf16 (G,
                H));
        g_autofree float *p32 = g_new0 (float, lstm_packed_size (G, H));
        g_autofree float *bh = g_new (float, G), *peep = g_new (float, 3 * H);
        g_autofree float *x = g_new (float, H), *c1 = g_new (float, H);
        g_autofree float *c2 = g_new (float, H), *g1 = g_new (float, G);
        g_autofree float *g2 = g_new (float, G), *h1 = g_new (float, H);
        g_autofree float *h2 = g_new (float, H);
        LstmPackedMatrix pm16, pm32;

        for (i = 0; i < G * H; i++) {
          w[i] = g_test_rand_double_range (-0.5, 0.5);
          wr[i] = round_bf16 (w[i]);
        }
        for (i = 0; i < G; i++) {
          bh[i] = g_test_rand_double_range (-0.5, 0.5);
          g1[i] = g2[i] = g_test_rand_double_range (-2, 2);
        }
        for (i = 0; i < H; i++) {
          x[i] = g_test_rand_double_range (-1, 1);
          c1[i] = c2[i] = g_test_rand_double_range (-2, 2);
        }
        for (i = 0; i < 3 * H; i++)
          peep[i] = g_test_rand_double_range (-0.5, 0.5);
        lstm_pack_matrix_bf16 (w, G, H, p16, &pm16);
        lstm_pack_matrix (wr, G, H, p32, &pm32);
        kt->lstm_step (&pm16, flags & 1 ? bh : NULL, flags & 2 ? peep : NULL,
            x, c1, h1, g1, H);
        k32->lstm_step (&pm32, flags & 1 ? bh : NULL, flags & 2 ? peep : NULL,
            x, c2, h2, g2, H);
        g_assert_cmpmem (h1, H * sizeof (float), h2, H * sizeof (float));
        g_assert_cmpmem (c1, H * sizeof (float), c2, H * sizeof (float));
        g_assert_cmpmem (g1, G * sizeof (float), g2, G * sizeof (float));
      }
  }
}

static void
round_model_weights (LstmModel *m)
{
  guint l, r;
  gsize i;

  for (l = 0; l < m->n_layers; l++) {
    LstmLayer *L = &m->layers[l];
    if (L->type == LSTM_LAYER_LINEAR) {
      for (i = 0; i < (gsize) L->output_size * L->input_size; i++)
        L->weight[i] = round_bf16 (L->weight[i]);
    } else if (L->type != LSTM_LAYER_LAG) {
      gsize G = (L->type == LSTM_LAYER_LSTM ? 4 : 3) * L->hidden_size;
      for (r = 0; r < L->num_layers * L->num_dirs; r++) {
        for (i = 0; i < G * L->rnn[r].in; i++)
          L->rnn[r].w_ih[i] = round_bf16 (L->rnn[r].w_ih[i]);
        for (i = 0; i < G * L->hidden_size; i++)
          L->rnn[r].w_hh[i] = round_bf16 (L->rnn[r].w_hh[i]);
      }
    }
  }
  lstm_model_invalidate_packed (m);
}

/* Runs @m over @in (T frames) in chunks of @chunk (0: all at once) on a
 * fresh state of @precision. */
static void
run (LstmModel *m, LstmPrecision precision, const float *in, gsize T,
    gsize chunk, float *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmState) s = lstm_state_new_with_precision (m, precision,
      &error);
  gsize I = lstm_model_get_input_size (m), O = lstm_model_get_output_size (m);
  gsize done;

  g_assert_no_error (error);
  g_assert_cmpint (lstm_state_get_precision (s), ==, precision);
  if (chunk == 0)
    chunk = T;
  for (done = 0; done < T; done += chunk) {
    gsize n = MIN (chunk, T - done);
    g_assert_true (lstm_model_forward (m, s, in + done * I, n,
            out + done * O, &error));
    g_assert_no_error (error);
  }
}

static void
test_models (void)
{
  static const gsize chunkings[] = { 0, 1, 7, 64, 333 };
  const gchar *const *tables = lstm_kernels_list_bf16 ();
  g_autoptr (GPtrArray) paths = golden_models ();
  const gsize T = 1000;
  guint v, i, c, n_models = 0;

  for (i = 0; i < paths->len; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (LstmModel) m = lstm_model_load (paths->pdata[i], &error);
    g_autoptr (LstmModel) mr = NULL;
    g_autofree gchar *base = g_path_get_basename (paths->pdata[i]);
    g_autofree float *in = NULL, *o32 = NULL, *o16 = NULL, *o = NULL;
    gsize I, O, q;

    g_assert_no_error (error);
    if (!lstm_model_is_streamable (m))
      continue;
    n_models++;
    mr = lstm_model_load (paths->pdata[i], &error);
    g_assert_no_error (error);
    round_model_weights (mr);
    I = lstm_model_get_input_size (m);
    O = lstm_model_get_output_size (m);
    in = g_new (float, T * I);
    o32 = g_new (float, T * O);
    o16 = g_new (float, T * O);
    o = g_new (float, T * O);
    for (q = 0; q < T * I; q++)
      in[q] = g_test_rand_double_range (-2, 2);

    for (v = 0; tables[v] != NULL; v++) {
      const gchar *wbase = widening_base (tables[v]);
      double max_abs = 0, max_ref = 0;

      g_setenv ("LSTM_KERNELS_BF16", tables[v], TRUE);
      g_setenv ("LSTM_KERNELS", fp32_variant (tables[v]), TRUE);
      run (m, LSTM_PRECISION_FP32, in, T, 0, o32);
      for (c = 0; c < G_N_ELEMENTS (chunkings); c++) {
        run (m, LSTM_PRECISION_BF16, in, T, chunkings[c], c ? o : o16);
        if (c > 0)
          g_assert_cmpmem (o, T * O * sizeof (float), o16,
              T * O * sizeof (float));
      }
      if (wbase != NULL) {
        run (mr, LSTM_PRECISION_FP32, in, T, 0, o);
        g_assert_cmpmem (o, T * O * sizeof (float), o16,
            T * O * sizeof (float));
      }
      for (q = 0; q < T * O; q++) {
        max_abs = MAX (max_abs, fabs ((double) o16[q] - o32[q]));
        max_ref = MAX (max_ref, fabs (o32[q]));
      }
      g_test_message ("[%s] %s: bf16 vs fp32 (%s), %" G_GSIZE_FORMAT
          " frames: max abs difference %.3g (outputs up to %.3g)",
          tables[v], base, fp32_variant (tables[v]), T, max_abs, max_ref);
    }
    g_unsetenv ("LSTM_KERNELS_BF16");
    g_unsetenv ("LSTM_KERNELS");
  }
  g_assert_cmpuint (n_models, >=, 10);
}

/* The state API: fp32 is lstm_state_new(); an unknown LSTM_KERNELS_BF16 or
 * precision is an error; a copy of a bf16 state goes on with the same bits;
 * the precision names parse both ways. */
static void
test_state (void)
{
  g_autoptr (GPtrArray) paths = golden_models ();
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (LstmState) s32 = NULL, s16 = NULL, copy = NULL, plain = NULL;
  g_autofree float *in = NULL, *a = NULL, *b = NULL;
  LstmPrecision p;
  gsize I, O, q, T = 50;
  guint i;

  for (i = 0; i < paths->len && m == NULL; i++) {
    m = lstm_model_load (paths->pdata[i], &error);
    g_assert_no_error (error);
    if (!lstm_model_is_streamable (m))
      g_clear_pointer (&m, lstm_model_unref);
  }
  g_assert_nonnull (m);
  I = lstm_model_get_input_size (m);
  O = lstm_model_get_output_size (m);

  s32 = lstm_state_new_with_precision (m, LSTM_PRECISION_FP32, &error);
  g_assert_no_error (error);
  plain = lstm_state_new (m);
  g_assert_cmpstr (lstm_state_get_kernels (s32), ==,
      lstm_state_get_kernels (plain));
  g_assert_cmpint (lstm_state_get_precision (plain), ==, LSTM_PRECISION_FP32);

  g_setenv ("LSTM_KERNELS_BF16", "bf16-nonsense", TRUE);
  g_assert_null (lstm_state_new_with_precision (m, LSTM_PRECISION_BF16,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_unsetenv ("LSTM_KERNELS_BF16");
  g_assert_null (lstm_state_new_with_precision (m, (LstmPrecision) 7,
          &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);

  s16 = lstm_state_new_with_precision (m, LSTM_PRECISION_BF16, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (lstm_state_get_kernels (s16), "bf16-"));
  in = g_new (float, 2 * T * I);
  a = g_new (float, 2 * T * O);
  b = g_new (float, T * O);
  for (q = 0; q < 2 * T * I; q++)
    in[q] = g_test_rand_double_range (-2, 2);
  g_assert_true (lstm_model_forward (m, s16, in, T, a, &error));
  copy = lstm_state_copy (s16);
  g_assert_cmpint (lstm_state_get_precision (copy), ==, LSTM_PRECISION_BF16);
  g_assert_cmpstr (lstm_state_get_kernels (copy), ==,
      lstm_state_get_kernels (s16));
  g_assert_true (lstm_model_forward (m, s16, in + T * I, T, a + T * O,
          &error));
  g_assert_true (lstm_model_forward (m, copy, in + T * I, T, b, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a + T * O, T * O * sizeof (float), b,
      T * O * sizeof (float));

  g_assert_true (lstm_precision_from_string ("BF16", &p, NULL));
  g_assert_cmpint (p, ==, LSTM_PRECISION_BF16);
  g_assert_true (lstm_precision_from_string ("float32", &p, NULL));
  g_assert_cmpint (p, ==, LSTM_PRECISION_FP32);
  g_assert_false (lstm_precision_from_string ("int8", &p, &error));
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_assert_cmpstr (lstm_precision_to_string (LSTM_PRECISION_BF16), ==,
      "bf16");
  g_assert_cmpstr (lstm_precision_to_string (LSTM_PRECISION_FP32), ==,
      "fp32");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("LSTM_KERNELS");
  g_unsetenv ("LSTM_KERNELS_BF16");
  g_test_add_func ("/bf16/rounding", test_rounding);
  g_test_add_func ("/bf16/products", test_products);
  g_test_add_func ("/bf16/step", test_step);
  g_test_add_func ("/bf16/models", test_models);
  g_test_add_func ("/bf16/state", test_state);
  return g_test_run ();
}
