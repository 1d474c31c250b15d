/* Slow test: clip training on real recordings beats a linear baseline
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * tests/data/clips holds real clips of five classes (speech, music,
 * percussion, environment, silence) cut from Debian packages by
 * make_clips.py, with train.csv and test.csv split by source (no file,
 * voice or pack in both). `lstm train --manifest train.csv --features
 * fbank` with its defaults trains a model; each test clip then gets the
 * class of its mean per-frame scores from `lstm run` (what lstminfer's
 * messages average), and the accuracy must beat a baseline computed here:
 * multinomial logistic regression on each clip's per-value feature means
 * and standard deviations (the same fbank frames, from `lstm features`),
 * fitted on the training clips. tests/data/clips/cross_split.py runs the
 * same comparison over more by-source splits (folds of these clips, clips
 * of other sources), which is how the clip defaults were chosen.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "tool-util.h"

static gchar *tmpdir;

#define lstm(out, ...) tool_run_va (tmpdir, out, NULL, __VA_ARGS__)

typedef struct {
  gchar *path;                  /* absolute */
  guint label;
} Clip;

static float *
read_f32 (const gchar *name, gsize *n)
{
  g_autofree gchar *p = g_build_filename (tmpdir, name, NULL);
  gchar *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (p, &data, &len, NULL));
  g_assert_cmpuint (len % 4, ==, 0);
  *n = len / 4;
  return (float *) data;
}

/* The rows of a clips manifest (path,label, header row), labels indexed in
 * @labels (added in order of appearance). */
static GArray *
read_manifest (const gchar *name, GPtrArray *labels)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data",
      "clips", name, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *clips = g_array_new (FALSE, FALSE, sizeof (Clip));
  guint i, k;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (i = 1; lines[i]; i++) {
    g_auto (GStrv) cells = NULL;
    Clip c;
    if (lines[i][0] == '\0' || lines[i][0] == '#')
      continue;
    cells = g_strsplit (g_strstrip (lines[i]), ",", 2);
    g_assert_nonnull (cells[1]);
    for (k = 0; k < labels->len; k++)
      if (strcmp (labels->pdata[k], cells[1]) == 0)
        break;
    if (k == labels->len)
      g_ptr_array_add (labels, g_strdup (cells[1]));
    c.path = g_build_filename (dir, cells[0], NULL);
    c.label = k;
    g_array_append_val (clips, c);
  }
  return clips;
}

static void
free_clips (GArray *clips)
{
  guint i;
  for (i = 0; i < clips->len; i++)
    g_free (g_array_index (clips, Clip, i).path);
  g_array_free (clips, TRUE);
}

/* Per-value mean and standard deviation of a clip's feature frames. */
static void
clip_statistics (const gchar *model, const Clip *c, guint D, double *out)
{
  g_autofree float *v = NULL;
  gsize n, T, t;
  guint j;

  g_assert_cmpint (lstm (NULL, "features", model, c->path, "f.f32", NULL),
      ==, 0);
  v = read_f32 ("f.f32", &n);
  T = n / D;
  g_assert_cmpuint (T, >, 0);
  for (j = 0; j < D; j++) {
    double s = 0, s2 = 0, m;
    for (t = 0; t < T; t++)
      s += v[t * D + j];
    m = s / T;
    for (t = 0; t < T; t++)
      s2 += (v[t * D + j] - m) * (v[t * D + j] - m);
    out[j] = m;
    out[D + j] = sqrt (s2 / T);
  }
}

/* Softmax regression on standardised inputs, full-batch gradient descent
 * with a little L2: a plain, well-converged linear classifier. */
static void
fit_linear (const double *x, const guint *y, guint n, guint d, guint C,
    double *w /* C x (d + 1) */)
{
  g_autofree double *g = g_new (double, C * (d + 1));
  g_autofree double *p = g_new (double, C);
  const double lr = 0.5, l2 = 1e-3;
  guint it, i, c, j;

  memset (w, 0, C * (d + 1) * sizeof (double));
  for (it = 0; it < 3000; it++) {
    memset (g, 0, C * (d + 1) * sizeof (double));
    for (i = 0; i < n; i++) {
      double mx = -G_MAXDOUBLE, sum = 0;
      for (c = 0; c < C; c++) {
        double z = w[c * (d + 1) + d];
        for (j = 0; j < d; j++)
          z += w[c * (d + 1) + j] * x[i * d + j];
        p[c] = z;
        mx = MAX (mx, z);
      }
      for (c = 0; c < C; c++)
        sum += (p[c] = exp (p[c] - mx));
      for (c = 0; c < C; c++) {
        double e = p[c] / sum - (c == y[i]);
        for (j = 0; j < d; j++)
          g[c * (d + 1) + j] += e * x[i * d + j] / n;
        g[c * (d + 1) + d] += e / n;
      }
    }
    for (c = 0; c < C; c++)
      for (j = 0; j <= d; j++)
        w[c * (d + 1) + j] -= lr * (g[c * (d + 1) + j] + (j < d ? l2 *
                w[c * (d + 1) + j] : 0));
  }
}

static guint
predict_linear (const double *w, const double *x, guint d, guint C)
{
  double best = -G_MAXDOUBLE;
  guint c, j, arg = 0;
  for (c = 0; c < C; c++) {
    double z = w[c * (d + 1) + d];
    for (j = 0; j < d; j++)
      z += w[c * (d + 1) + j] * x[j];
    if (z > best) {
      best = z;
      arg = c;
    }
  }
  return arg;
}

static double
baseline_accuracy (const gchar *model, GArray *train, GArray *test, guint D,
    guint C)
{
  const guint d = 2 * D;
  g_autofree double *xtr = g_new (double, train->len * d);
  g_autofree double *xte = g_new (double, test->len * d);
  g_autofree guint *ytr = g_new (guint, train->len);
  g_autofree double *w = g_new (double, C * (d + 1));
  g_autofree double *mu = g_new0 (double, d);
  g_autofree double *sd = g_new0 (double, d);
  guint i, j, right = 0;

  for (i = 0; i < train->len; i++) {
    clip_statistics (model, &g_array_index (train, Clip, i), D, xtr + i * d);
    ytr[i] = g_array_index (train, Clip, i).label;
  }
  for (i = 0; i < test->len; i++)
    clip_statistics (model, &g_array_index (test, Clip, i), D, xte + i * d);
  /* standardise with the training clips' statistics */
  for (j = 0; j < d; j++) {
    for (i = 0; i < train->len; i++)
      mu[j] += xtr[i * d + j] / train->len;
    for (i = 0; i < train->len; i++)
      sd[j] += (xtr[i * d + j] - mu[j]) * (xtr[i * d + j] - mu[j]) /
          train->len;
    sd[j] = sd[j] > 0 ? sqrt (sd[j]) : 1.0;
    for (i = 0; i < train->len; i++)
      xtr[i * d + j] = (xtr[i * d + j] - mu[j]) / sd[j];
    for (i = 0; i < test->len; i++)
      xte[i * d + j] = (xte[i * d + j] - mu[j]) / sd[j];
  }
  fit_linear (xtr, ytr, train->len, d, C, w);
  for (i = 0; i < test->len; i++)
    right += predict_linear (w, xte + i * d, d, C) ==
        g_array_index (test, Clip, i).label;
  return (double) right / test->len;
}

static void
test_clips_vs_linear (void)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *train_csv = g_test_build_filename (G_TEST_DIST,
      "data", "clips", "train.csv", NULL);
  g_autofree gchar *model_path = g_build_filename (tmpdir, "m.safetensors",
      NULL);
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint *map = NULL;
  GArray *train, *test;
  guint i, j, C, D, right = 0;
  double acc, base;

  train = read_manifest ("train.csv", names);
  test = read_manifest ("test.csv", names);
  g_assert_cmpuint (names->len, ==, 5);

  /* the model, with lstm train's defaults */
  g_assert_cmpint (lstm (NULL, "train", "--manifest", train_csv,
          "--features", "fbank", "-q", "-o", "m.safetensors", NULL), ==, 0);
  m = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  C = lstm_model_get_output_size (m);
  D = lstm_model_get_input_size (m);
  g_assert_cmpuint (C, ==, names->len);
  /* the model's labels are sorted: map the manifests' indices onto them */
  map = g_new (guint, C);
  for (i = 0; i < C; i++)
    for (j = 0; j < C; j++)
      if (strcmp (names->pdata[i], lstm_model_get_label (m, j)) == 0)
        map[i] = j;

  for (i = 0; i < test->len; i++) {
    const Clip *c = &g_array_index (test, Clip, i);
    g_autofree float *out = NULL;
    g_autofree double *mean = g_new0 (double, C);
    gsize n, t;
    guint best = 0;

    g_assert_cmpint (lstm (NULL, "run", "m.safetensors", c->path, "s.f32",
            NULL), ==, 0);
    out = read_f32 ("s.f32", &n);
    g_assert_cmpuint (n % C, ==, 0);
    for (t = 0; t < n / C; t++)
      for (j = 0; j < C; j++)
        mean[j] += out[t * C + j];
    for (j = 1; j < C; j++)
      if (mean[j] > mean[best])
        best = j;
    right += best == map[c->label];
  }
  acc = (double) right / test->len;
  base = baseline_accuracy ("m.safetensors", train, test, D, C);
  g_test_message ("held-out clips: %u (training clips %u); lstm train "
      "defaults %.1f%%, linear classifier on clip means and deviations "
      "%.1f%%", test->len, train->len, 100 * acc, 100 * base);
  g_assert_cmpfloat (acc, >, base);
  free_clips (train);
  free_clips (test);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-clips-XXXXXX", NULL);
  g_test_add_func ("/real/clips/lstm-vs-linear", test_clips_vs_linear);
  ret = g_test_run ();
  {
    const gchar *files[] = { "m.safetensors", "m.loss.csv", "f.f32",
      "s.f32"
    };
    guint i;
    for (i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree gchar *p = g_build_filename (tmpdir, files[i], NULL);
      g_remove (p);
    }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return ret;
}
