/* Models trained by `lstm train` load into PyTorch with equal outputs.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Trains small models with the command-line tool (an LSTM forecaster with
 * input normalisation and target scaling, a GRU character model with a
 * softmax head), runs them with liblstm over 500 frames, and has
 * check_torch_load.py load each file into nn.LSTM/nn.GRU/nn.Linear
 * (tools/export_pytorch.py to_torch) and compare.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

static gchar *tmpdir;

static gint
spawn (gchar **argv, gchar **out)
{
  g_autoptr (GError) error = NULL;
  gchar *o = NULL, *e = NULL;
  gint status;

  g_assert_true (g_spawn_sync (tmpdir, argv, NULL, 0, NULL, NULL, &o, &e,
          &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s%s", o, e);
  if (out)
    *out = o;
  else
    g_free (o);
  g_free (e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static gboolean
have_torch (void)
{
  const gchar *py = g_getenv ("LSTM_PYTHON");
  gchar *argv[] = { (gchar *) py, (gchar *) "-c",
    (gchar *) "import torch, numpy", NULL
  };
  return py != NULL && spawn (argv, NULL) == 0;
}

static void
check (const gchar *model_name, guint in_dim, gboolean one_hot)
{
  g_autofree gchar *model_path = g_build_filename (tmpdir, model_name, NULL);
  g_autofree gchar *in_path = g_build_filename (tmpdir, "in.f32", NULL);
  g_autofree gchar *out_path = g_build_filename (tmpdir, "out.f32", NULL);
  g_autofree gchar *script = g_test_build_filename (G_TEST_DIST, "golden",
      "check_torch_load.py", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_load (model_path, &error);
  g_autofree float *x = NULL, *y = NULL;
  const gsize T = 500;
  guint O, i;
  gchar *argv[] = { (gchar *) g_getenv ("LSTM_PYTHON"), script, model_path,
    in_path, out_path, NULL
  };

  g_assert_no_error (error);
  O = lstm_model_get_output_size (m);
  x = g_new0 (float, T * in_dim);
  y = g_new (float, T * O);
  for (i = 0; i < T; i++) {
    if (one_hot)
      x[i * in_dim + (i * 7 + i / 3) % in_dim] = 1.0f;
    else
      x[i * in_dim] = (float) (sin (0.21 * i) + 0.4 * sin (0.05 * i));
  }
  g_assert_true (lstm_model_forward_sequence (m, x, T, y, &error));
  g_assert_true (g_file_set_contents (in_path, (const gchar *) x,
          T * in_dim * sizeof (float), NULL));
  g_assert_true (g_file_set_contents (out_path, (const gchar *) y,
          T * O * sizeof (float), NULL));
  g_assert_cmpint (spawn (argv, NULL), ==, 0);
}

static void
test_torch_load (void)
{
  gchar *tool = (gchar *) g_getenv ("LSTM_TOOL");
  GString *s;
  guint i;

  if (!have_torch ()) {
    g_test_skip ("PyTorch (Debian's python3-torch) is not available");
    return;
  }
  /* an LSTM forecaster: input normalisation, target scaling folded */
  s = g_string_new ("t,value\n");
  for (i = 0; i < 1500; i++)
    g_string_append_printf (s, "%u,%.5f\n", i, 20.0 + 5.0 *
        (sin (0.21 * i) + 0.4 * sin (0.05 * i)));
  {
    g_autofree gchar *p = g_build_filename (tmpdir, "s.csv", NULL);
    gchar *argv[] = { tool, (gchar *) "train", (gchar *) "--series",
      (gchar *) "s.csv", (gchar *) "--columns", (gchar *) "value",
      (gchar *) "--hidden", (gchar *) "24", (gchar *) "--layers",
      (gchar *) "2", (gchar *) "--epochs", (gchar *) "3", (gchar *) "-q",
      (gchar *) "-o", (gchar *) "lstm.safetensors", NULL
    };
    g_assert_true (g_file_set_contents (p, s->str, -1, NULL));
    g_assert_cmpint (spawn (argv, NULL), ==, 0);
  }
  g_string_free (s, TRUE);
  check ("lstm.safetensors", 1, FALSE);

  /* a GRU character model */
  s = g_string_new (NULL);
  for (i = 0; i < 200; i++)
    g_string_append (s, i % 2 ? "to be or not to be, " : "that is it.\n");
  {
    g_autofree gchar *p = g_build_filename (tmpdir, "t.txt", NULL);
    gchar *argv[] = { tool, (gchar *) "train", (gchar *) "--text",
      (gchar *) "t.txt", (gchar *) "--cell", (gchar *) "gru",
      (gchar *) "--hidden", (gchar *) "32", (gchar *) "--epochs",
      (gchar *) "2", (gchar *) "-q", (gchar *) "-o",
      (gchar *) "gru.safetensors", NULL
    };
    g_assert_true (g_file_set_contents (p, s->str, -1, NULL));
    g_assert_cmpint (spawn (argv, NULL), ==, 0);
  }
  g_string_free (s, TRUE);
  {
    g_autofree gchar *p = g_build_filename (tmpdir, "gru.safetensors", NULL);
    g_autoptr (LstmModel) m = lstm_model_load (p, NULL);
    g_assert_nonnull (m);
    check ("gru.safetensors", lstm_model_get_input_size (m), TRUE);
  }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-torch-XXXXXX", NULL);
  g_test_add_func ("/golden/train/loads-in-pytorch", test_torch_load);
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
  return ret;
}
