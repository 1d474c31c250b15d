/* Unit tests: every layer's backward pass against finite differences.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The loss is a fixed random projection of the outputs (and of the final
 * state), L = sum r * y, summed in double. Each weight, input and initial
 * state value is moved by +-eps and the central difference
 * (L+ - L-) / (p+ - p-) (with the float values actually stored) is
 * compared to the analytic gradient. The check is per tensor: the relative
 * error ||analytic - numeric|| / max(||analytic||, ||numeric||) must stay
 * under THRESHOLD; a sign error, a missing term or a wrong gate order gives
 * errors of order 1.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "layers.h"
#include "kernels/train-kernels.h"

#define EPS 1e-2
#define THRESHOLD 1e-2

static GRand *rnd;

static float *
rand_buf (gsize n, double scale)
{
  float *p = lstm_aligned_alloc (n);
  gsize i;
  for (i = 0; i < n; i++)
    p[i] = (float) g_rand_double_range (rnd, -scale, scale);
  return p;
}

static float *
zero_buf (gsize n)
{
  return lstm_aligned_try_alloc0 (n);
}

static double
dot_d (const float *a, const float *r, gsize n)
{
  double s = 0;
  gsize i;
  for (i = 0; i < n; i++)
    s += (double) a[i] * r[i];
  return s;
}

typedef double (*LossFunc) (gpointer ctx);

/* Compares @analytic with central differences of @loss over @n values at
 * @p; returns the relative error and prints it. */
static double
check_tensor (const gchar *what, float *p, const float *analytic, gsize n,
    LossFunc loss, gpointer ctx)
{
  double num2 = 0, ana2 = 0, diff2 = 0, worst = 0, rel;
  gsize i;

  for (i = 0; i < n; i++) {
    float saved = p[i], up, down;
    double lp, lm, g;

    up = (float) (saved + EPS);
    down = (float) (saved - EPS);
    p[i] = up;
    lp = loss (ctx);
    p[i] = down;
    lm = loss (ctx);
    p[i] = saved;
    g = (lp - lm) / ((double) up - (double) down);
    num2 += g * g;
    ana2 += (double) analytic[i] * analytic[i];
    diff2 += (g - analytic[i]) * (g - analytic[i]);
    worst = MAX (worst, fabs (g - analytic[i]));
  }
  rel = sqrt (diff2) / MAX (MAX (sqrt (num2), sqrt (ana2)), 1e-12);
  g_test_message ("%-10s n=%-4" G_GSIZE_FORMAT " |grad|=%.4g  relative "
      "error %.3g  largest abs error %.3g", what, n, sqrt (ana2), rel, worst);
  g_assert_cmpfloat (sqrt (ana2), >, 1e-6);   /* the check checks something */
  g_assert_cmpfloat (rel, <, THRESHOLD);
  return rel;
}

/* ---- LSTM / GRU layer ---- */

typedef struct {
  gboolean gru;
  gboolean reset_before;        /* GRU with reset_after FALSE */
  gboolean peephole;
  gboolean reverse;
  gboolean bias;
  guint I, H;
  gsize T;
  LstmRnnParams p, dp;
  float *x, *h0, *c0;
  float *ry, *rh, *rc;          /* loss projections */
  /* forward outputs */
  float *y, *gates, *aux, *h, *c, *gh;
} RnnCase;

static double
rnn_loss (gpointer data)
{
  RnnCase *rc = data;
  const LstmKernels *k = lstm_kernels_get ("ref");
  guint H = rc->H;
  double L;

  memcpy (rc->h, rc->h0, H * sizeof (float));
  memcpy (rc->c, rc->c0, H * sizeof (float));
  if (rc->gru)
    lstm_gru_layer_forward (&rc->p, H, !rc->reset_before, k, rc->x, rc->I,
        rc->T, rc->h, rc->y, H, rc->reverse, rc->gates, rc->aux, rc->gh);
  else
    lstm_layer_forward (&rc->p, H, rc->peephole, k, rc->x, rc->I, rc->T,
        rc->h, rc->c, rc->y, H, rc->reverse, rc->gates, rc->aux, rc->gh);
  L = dot_d (rc->y, rc->ry, rc->T * H) + dot_d (rc->h, rc->rh, H);
  if (!rc->gru)
    L += dot_d (rc->c, rc->rc, H);
  return L;
}

static void
test_rnn_gradcheck (gconstpointer data)
{
  const RnnCase *tmpl = data;
  RnnCase rc = *tmpl;
  guint H = rc.H, I = rc.I, G = rc.gru ? 3 : 4;
  gsize T = rc.T;
  float *dx, *dh, *dc, *dg, *tmp;

  /* large enough weights that the gates leave their linear range */
  rc.p.in = rc.dp.in = I;
  rc.p.w_ih = rand_buf (G * H * I, 0.8);
  rc.p.w_hh = rand_buf (G * H * H, 0.8);
  rc.dp.w_ih = zero_buf (G * H * I);
  rc.dp.w_hh = zero_buf (G * H * H);
  if (rc.bias) {
    rc.p.b_ih = rand_buf (G * H, 0.5);
    rc.p.b_hh = rand_buf (G * H, 0.5);
    rc.dp.b_ih = zero_buf (G * H);
    rc.dp.b_hh = zero_buf (G * H);
  }
  if (rc.peephole) {
    rc.p.w_ch = rand_buf (3 * H, 0.8);
    rc.dp.w_ch = zero_buf (3 * H);
  }
  rc.x = rand_buf (T * I, 1.5);
  rc.h0 = rand_buf (H, 0.7);
  rc.c0 = rand_buf (H, 1.0);
  rc.ry = rand_buf (T * H, 1.0);
  rc.rh = rand_buf (H, 1.0);
  rc.rc = rand_buf (H, 1.0);
  rc.y = zero_buf (T * H);
  rc.gates = zero_buf (T * G * H);
  rc.aux = zero_buf (T * H);
  rc.h = zero_buf (H);
  rc.c = zero_buf (H);
  rc.gh = zero_buf (G * H);
  dx = zero_buf (T * I);
  dh = zero_buf (H);
  dc = zero_buf (H);
  dg = zero_buf (T * 6 * H);
  tmp = zero_buf (H);

  /* analytic: forward once, then backward with dL/dy = ry and the final
   * state's gradient rh, rc */
  rnn_loss (&rc);
  memcpy (dh, rc.rh, H * sizeof (float));
  memcpy (dc, rc.rc, H * sizeof (float));
  if (rc.gru)
    lstm_gru_layer_backward (&rc.p, &rc.dp, H, !rc.reset_before, rc.x, I, T,
        rc.h0, rc.y, H, rc.reverse, rc.gates, rc.aux, rc.ry, H, dh, dx, I, dg,
        tmp);
  else
    lstm_layer_backward (&rc.p, &rc.dp, H, rc.peephole, rc.x, I, T, rc.h0,
        rc.c0, rc.y, H, rc.reverse, rc.gates, rc.aux, rc.ry, H, dh, dc, dx,
        I, dg, tmp, NULL);

  check_tensor ("weight_ih", rc.p.w_ih, rc.dp.w_ih, G * H * I, rnn_loss,
      &rc);
  check_tensor ("weight_hh", rc.p.w_hh, rc.dp.w_hh, G * H * H, rnn_loss,
      &rc);
  if (rc.bias) {
    check_tensor ("bias_ih", rc.p.b_ih, rc.dp.b_ih, G * H, rnn_loss, &rc);
    check_tensor ("bias_hh", rc.p.b_hh, rc.dp.b_hh, G * H, rnn_loss, &rc);
  }
  if (rc.peephole)
    check_tensor ("weight_ch", rc.p.w_ch, rc.dp.w_ch, 3 * H, rnn_loss, &rc);
  check_tensor ("input", rc.x, dx, T * I, rnn_loss, &rc);
  check_tensor ("h0", rc.h0, dh, H, rnn_loss, &rc);
  if (!rc.gru)
    check_tensor ("c0", rc.c0, dc, H, rnn_loss, &rc);

  lstm_aligned_free (rc.p.w_ih);
  lstm_aligned_free (rc.p.w_hh);
  lstm_aligned_free (rc.p.b_ih);
  lstm_aligned_free (rc.p.b_hh);
  lstm_aligned_free (rc.p.w_ch);
  lstm_aligned_free (rc.dp.w_ih);
  lstm_aligned_free (rc.dp.w_hh);
  lstm_aligned_free (rc.dp.b_ih);
  lstm_aligned_free (rc.dp.b_hh);
  lstm_aligned_free (rc.dp.w_ch);
  lstm_aligned_free (rc.x);
  lstm_aligned_free (rc.h0);
  lstm_aligned_free (rc.c0);
  lstm_aligned_free (rc.ry);
  lstm_aligned_free (rc.rh);
  lstm_aligned_free (rc.rc);
  lstm_aligned_free (rc.y);
  lstm_aligned_free (rc.gates);
  lstm_aligned_free (rc.aux);
  lstm_aligned_free (rc.h);
  lstm_aligned_free (rc.c);
  lstm_aligned_free (rc.gh);
  lstm_aligned_free (dx);
  lstm_aligned_free (dh);
  lstm_aligned_free (dc);
  lstm_aligned_free (dg);
  lstm_aligned_free (tmp);
}

/* ---- linear ---- */

typedef struct {
  LstmActivation act;
  guint in, out;
  gsize T;
  float *w, *b, *x, *y, *r;
} LinCase;

static double
linear_loss (gpointer data)
{
  LinCase *lc = data;
  lstm_linear_layer_forward (lc->w, lc->b, lc->act, lc->in, lc->out,
      lstm_kernels_get ("ref"), lc->x, lc->T, lc->y);
  return dot_d (lc->y, lc->r, lc->T * lc->out);
}

static void
test_linear_gradcheck (gconstpointer data)
{
  LinCase lc = { 0 };
  float *dw, *db, *dx, *dz;

  lc.act = GPOINTER_TO_INT (data);
  lc.in = 6;
  lc.out = 5;
  lc.T = 4;
  lc.w = rand_buf (lc.out * lc.in, 0.7);
  lc.b = rand_buf (lc.out, 0.5);
  lc.x = rand_buf (lc.T * lc.in, 1.5);
  lc.y = zero_buf (lc.T * lc.out);
  lc.r = rand_buf (lc.T * lc.out, 1.0);
  dw = zero_buf (lc.out * lc.in);
  db = zero_buf (lc.out);
  dx = zero_buf (lc.T * lc.in);
  dz = zero_buf (lc.T * lc.out);

  linear_loss (&lc);
  lstm_linear_layer_backward (lc.w, lc.act, lc.in, lc.out, lc.x, lc.y, lc.r,
      lc.T, dw, db, dx, dz);
  check_tensor ("weight", lc.w, dw, lc.out * lc.in, linear_loss, &lc);
  check_tensor ("bias", lc.b, db, lc.out, linear_loss, &lc);
  check_tensor ("input", lc.x, dx, lc.T * lc.in, linear_loss, &lc);

  lstm_aligned_free (lc.w);
  lstm_aligned_free (lc.b);
  lstm_aligned_free (lc.x);
  lstm_aligned_free (lc.y);
  lstm_aligned_free (lc.r);
  lstm_aligned_free (dw);
  lstm_aligned_free (db);
  lstm_aligned_free (dx);
  lstm_aligned_free (dz);
}

/* ---- whole stacks through the tape (bidirectional, stacked, mixed) ---- */

typedef struct {
  LstmModel *model;
  LstmTape *tape;
  float *x, *r, *state;
  gsize T;
} StackCase;

static double
stack_loss (gpointer data)
{
  StackCase *sc = data;
  const float *out;

  memset (sc->state, 0, MAX (sc->model->state_size, 1) * sizeof (float));
  out = lstm_tape_forward (sc->tape, sc->x, sc->T, sc->state);
  return dot_d (out, sc->r, sc->T * sc->model->output_size);
}

static void
test_stack_gradcheck (gconstpointer data)
{
  const gchar *arch = data;
  g_autoptr (GError) error = NULL;
  LstmModelOptions opts = { 0 };
  StackCase sc = { 0 };
  float *grads;
  guint i;

  opts.seed = 3;
  sc.model = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  /* scale the default init up: saturating gates, real memory */
  for (i = 0; i < sc.model->n_params; i++)
    sc.model->params[i] *= 2.5f;
  sc.T = 7;
  sc.tape = lstm_tape_new (sc.model, lstm_kernels_get ("ref"), sc.T);
  sc.x = rand_buf (sc.T * sc.model->input_size, 1.5);
  sc.r = rand_buf (sc.T * sc.model->output_size, 1.0);
  sc.state = zero_buf (MAX (sc.model->state_size, 1));
  grads = zero_buf (sc.model->n_params);

  stack_loss (&sc);
  lstm_tape_backward (sc.tape, sc.r, FALSE, grads);
  for (i = 0; i < sc.model->n_tensors; i++) {
    LstmParamTensor *t = &sc.model->tensors[i];
    check_tensor (t->name, sc.model->params + t->offset, grads + t->offset,
        t->size, stack_loss, &sc);
  }

  lstm_aligned_free (grads);
  lstm_aligned_free (sc.x);
  lstm_aligned_free (sc.r);
  lstm_aligned_free (sc.state);
  lstm_tape_free (sc.tape);
  lstm_model_unref (sc.model);
}

/* The training forward computes exactly what inference computes: data is
 * an architecture whose output has 4 values per frame and whose input 3. */
static void
test_tape_matches_forward (gconstpointer data)
{
  const gchar *arch = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_new (arch, NULL, &error);
  g_autoptr (LstmState) state = NULL;
  const gsize T = 150;
  float *x = rand_buf (T * 3, 2.0), *state_v, *out;
  LstmTape *tape;
  const float *tout;

  g_assert_no_error (error);
  state = lstm_state_new (m);
  out = zero_buf (T * 4);
  g_assert_true (lstm_model_forward (m, state, x, T, out, &error));
  g_assert_no_error (error);
  tape = lstm_tape_new (m, lstm_kernels_get (lstm_state_get_kernels (state)),
      T);
  state_v = zero_buf (m->state_size);
  tout = lstm_tape_forward (tape, x, T, state_v);
  g_assert_cmpmem (tout, T * 4 * sizeof (float), out,
      T * 4 * sizeof (float));
  lstm_tape_free (tape);
  lstm_aligned_free (x);
  lstm_aligned_free (out);
  lstm_aligned_free (state_v);
}

static RnnCase *
add_rnn (const gchar *path, gboolean gru, gboolean peephole,
    gboolean reverse, gboolean bias, guint I, guint H, gsize T)
{
  RnnCase *rc = g_new0 (RnnCase, 1);
  rc->gru = gru;
  rc->peephole = peephole;
  rc->reverse = reverse;
  rc->bias = bias;
  rc->I = I;
  rc->H = H;
  rc->T = T;
  g_test_add_data_func_full (path, rc, test_rnn_gradcheck, g_free);
  return rc;
}

/* A GRU case of the reset-before variant (reset_after FALSE). */
static void
add_gru_reset_before (const gchar *path, gboolean reverse, gboolean bias,
    guint I, guint H, gsize T)
{
  add_rnn (path, TRUE, FALSE, reverse, bias, I, H, T)->reset_before = TRUE;
}

int
main (int argc, char **argv)
{
  static const gchar *stacks[][2] = {
    {"/gradcheck/stack/lstm-2-bidirectional-linear-softmax",
        "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,"
          "\"hidden_size\":4,\"num_layers\":2,\"bidirectional\":true},"
          "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3,"
          "\"activation\":\"softmax\"}]"},
    {"/gradcheck/stack/gru-bidirectional-linear-tanh",
        "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":3,"
          "\"hidden_size\":5,\"bidirectional\":true},"
          "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2,"
          "\"activation\":\"tanh\"}]"},
    {"/gradcheck/stack/peephole-lstm-gru-relu-sigmoid",
        "[{\"type\":\"lstm\",\"name\":\"a\",\"input_size\":2,"
          "\"hidden_size\":4,\"peephole\":true},"
          "{\"type\":\"gru\",\"name\":\"b\",\"input_size\":4,"
          "\"hidden_size\":3,\"bias\":false},"
          "{\"type\":\"linear\",\"name\":\"c\",\"out_features\":5,"
          "\"activation\":\"relu\"},"
          "{\"type\":\"linear\",\"name\":\"d\",\"out_features\":2,"
          "\"activation\":\"sigmoid\"}]"},
    /* a lag layer first (no parameters, no input gradient) and heads that
     * also read its output: the gradient splits between the previous
     * layer and the skip input */
    {"/gradcheck/stack/lag-gru-skip-tanh",
        "[{\"type\":\"lag\",\"name\":\"lag\",\"input_size\":2,"
          "\"lags\":[0,2,1]},{\"type\":\"gru\",\"name\":\"g\","
          "\"hidden_size\":4},{\"type\":\"linear\",\"name\":\"head\","
          "\"out_features\":3,\"activation\":\"tanh\",\"skip\":\"lag\"}]"},
    {"/gradcheck/stack/lag-lstm2-relu-skip-sigmoid",
        "[{\"type\":\"lag\",\"name\":\"l\",\"input_size\":3,"
          "\"lags\":[4,0]},{\"type\":\"lstm\",\"name\":\"a\","
          "\"hidden_size\":4,\"num_layers\":2},{\"type\":\"linear\","
          "\"name\":\"c\",\"out_features\":5,\"activation\":\"relu\"},"
          "{\"type\":\"linear\",\"name\":\"d\",\"out_features\":2,"
          "\"activation\":\"sigmoid\",\"skip\":\"l\"}]"},
    /* the reset-before GRU, stacked and bidirectional, under a lstm */
    {"/gradcheck/stack/lstm-gru-reset-before-2-bidirectional-softmax",
        "[{\"type\":\"lstm\",\"name\":\"a\",\"input_size\":3,"
          "\"hidden_size\":4},{\"type\":\"gru\",\"name\":\"g\","
          "\"hidden_size\":5,\"num_layers\":2,\"bidirectional\":true,"
          "\"reset_after\":false},{\"type\":\"linear\",\"name\":\"head\","
          "\"out_features\":3,\"activation\":\"softmax\"}]"},
  };
  static const gchar *tape_archs[][2] = {
    {"/tape/matches-inference-forward",
        "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":3,"
          "\"hidden_size\":9,\"num_layers\":2},{\"type\":\"gru\","
          "\"name\":\"g\",\"input_size\":9,\"hidden_size\":5},"
          "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":4,"
          "\"activation\":\"softmax\"}]"},
    /* H = 16: where the other variant takes the packed path */
    {"/tape/matches-forward-gru-reset-before",
        "[{\"type\":\"gru\",\"name\":\"g\",\"input_size\":3,"
          "\"hidden_size\":16,\"num_layers\":2,\"reset_after\":false},"
          "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":4,"
          "\"activation\":\"softmax\"}]"},
  };
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  rnd = g_rand_new_with_seed (20240601);

  add_rnn ("/gradcheck/lstm/forward", FALSE, FALSE, FALSE, TRUE, 5, 7, 9);
  add_rnn ("/gradcheck/lstm/reverse", FALSE, FALSE, TRUE, TRUE, 4, 6, 8);
  add_rnn ("/gradcheck/lstm/no-bias", FALSE, FALSE, FALSE, FALSE, 3, 5, 6);
  add_rnn ("/gradcheck/lstm/peephole", FALSE, TRUE, FALSE, TRUE, 5, 7, 9);
  add_rnn ("/gradcheck/lstm/peephole-reverse", FALSE, TRUE, TRUE, TRUE, 3,
      6, 7);
  add_rnn ("/gradcheck/lstm/one-frame", FALSE, TRUE, FALSE, TRUE, 3, 4, 1);
  add_rnn ("/gradcheck/gru/forward", TRUE, FALSE, FALSE, TRUE, 5, 7, 9);
  add_rnn ("/gradcheck/gru/reverse", TRUE, FALSE, TRUE, TRUE, 4, 6, 8);
  add_rnn ("/gradcheck/gru/no-bias", TRUE, FALSE, FALSE, FALSE, 3, 5, 6);
  add_rnn ("/gradcheck/gru/one-frame", TRUE, FALSE, FALSE, TRUE, 3, 4, 1);
  for (i = 0; i <= LSTM_ACTIVATION_RELU; i++) {
    g_autofree gchar *path = g_strdup_printf ("/gradcheck/linear/%s",
        lstm_activation_to_string ((LstmActivation) i));
    g_test_add_data_func (path, GINT_TO_POINTER (i), test_linear_gradcheck);
  }
  for (i = 0; i < G_N_ELEMENTS (stacks); i++)
    g_test_add_data_func (stacks[i][0], stacks[i][1], test_stack_gradcheck);
  /* registered last, so that the cases above draw the same random data
   * as before them */
  add_gru_reset_before ("/gradcheck/gru-reset-before/forward", FALSE, TRUE,
      5, 7, 9);
  add_gru_reset_before ("/gradcheck/gru-reset-before/reverse", TRUE, TRUE,
      4, 6, 8);
  add_gru_reset_before ("/gradcheck/gru-reset-before/no-bias", FALSE, FALSE,
      3, 5, 6);
  add_gru_reset_before ("/gradcheck/gru-reset-before/one-frame", FALSE,
      TRUE, 3, 4, 1);
  for (i = 0; i < G_N_ELEMENTS (tape_archs); i++)
    g_test_add_data_func (tape_archs[i][0], tape_archs[i][1],
        test_tape_matches_forward);
  ret = g_test_run ();
  g_rand_free (rnd);
  return ret;
}
