/* Benchmark: training throughput against PyTorch CPU, in the same run.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The same model (one recurrent layer, a softmax head), the same
 * mini-batch and sequence length, frame classes with cross-entropy, Adam:
 * liblstm's trainer and PyTorch (bench_train_torch.py, one thread) each run
 * a number of optimizer steps; frames per second and their ratio are
 * printed, from the CPU time of the training thread (the machines are
 * shared: waiting for a core is not counted). Both train on the same frames and classes (written to a
 * temporary file for the script) from a fresh model, and each prints its
 * mean loss at the last step: equal losses after equal steps show that the
 * same work was done. Nothing passes or fails on time.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include <lstm/lstm.h>

typedef struct {
  const gchar *cell;
  guint input, hidden, classes, batch, length, steps;
} Config;

static const Config configs[] = {
  {"lstm", 32, 128, 10, 32, 64, 10},
  {"gru", 32, 128, 10, 32, 64, 10},
  {"lstm", 64, 256, 10, 32, 64, 4},
};

/* CPU time of the calling thread, in seconds */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
ours (const Config *c, const gchar *data_path, double *last_loss)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *arch = g_strdup_printf ("[{\"type\":\"%s\",\"name\":"
      "\"rnn\",\"input_size\":%u,\"hidden_size\":%u},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":%u,\"activation\":\"softmax\"}]",
      c->cell, c->input, c->hidden, c->classes);
  g_autoptr (LstmModel) m = lstm_model_new (arch, NULL, &error);
  g_autoptr (LstmDataset) ds = lstm_dataset_new (c->input,
      LSTM_TARGET_FRAME_CLASS, c->classes, &error);
  g_autoptr (LstmTrainer) tr = NULL;
  gsize nx = (gsize) c->batch * c->length * c->input;
  g_autofree float *xs = g_new (float, nx);
  g_autofree guint32 *ys = g_new (guint32, (gsize) c->batch * c->length);
  GRand *r = g_rand_new_with_seed (1);
  const LstmEpochStats *hist;
  LstmTrainerOptions o;
  GString *blob;
  double t0, dt;
  guint i, t, n_hist;

  g_assert_no_error (error);
  for (i = 0; i < c->batch; i++) {
    float *x = xs + (gsize) i * c->length * c->input;
    guint32 *y = ys + (gsize) i * c->length;
    for (t = 0; t < c->length * c->input; t++)
      x[t] = (float) g_rand_double_range (r, -1, 1);
    for (t = 0; t < c->length; t++)
      y[t] = g_rand_int_range (r, 0, c->classes);
    g_assert_true (lstm_dataset_add_with_frame_classes (ds, x, c->length, y,
            &error));
  }
  g_rand_free (r);
  /* the same data for PyTorch: the frames (float32), then the classes
   * (uint32), both in the machine's byte order */
  blob = g_string_new_len ((const gchar *) xs, nx * sizeof (float));
  g_string_append_len (blob, (const gchar *) ys,
      (gsize) c->batch * c->length * sizeof (guint32));
  g_assert_true (g_file_set_contents (data_path, blob->str, blob->len,
          &error));
  g_string_free (blob, TRUE);
  /* one batch of whole sequences: one step per epoch */
  lstm_trainer_options_init (&o);
  o.batch_size = c->batch;
  o.epochs = 1;
  tr = lstm_trainer_new (m, &o, &error);
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));  /* warm-up */
  g_clear_pointer (&tr, lstm_trainer_free);
  o.epochs = c->steps;
  tr = lstm_trainer_new (m, &o, &error);
  t0 = cpu_seconds ();
  g_assert_true (lstm_trainer_train (tr, ds, NULL, &error));
  dt = cpu_seconds () - t0;
  g_assert_cmpuint (lstm_trainer_get_step (tr), ==, c->steps);
  hist = lstm_trainer_get_history (tr, &n_hist);
  *last_loss = n_hist > 0 ? hist[n_hist - 1].loss : NAN;
  return (double) c->steps * c->batch * c->length / dt;
}

static gchar *torch_blas;

static double
torch (const Config *c, const gchar *data_path, double *last_loss)
{
  const gchar *py = g_getenv ("LSTM_PYTHON");
  g_autofree gchar *script = g_build_filename (g_getenv ("LSTM_SOURCE_ROOT"),
      "tests", "bench", "bench_train_torch.py", NULL);
  g_autofree gchar *out = NULL, *err = NULL;
  gchar a[6][16];
  gchar *argv[11];
  gint status;

  if (py == NULL)
    return NAN;
  g_snprintf (a[0], 16, "%u", c->input);
  g_snprintf (a[1], 16, "%u", c->hidden);
  g_snprintf (a[2], 16, "%u", c->classes);
  g_snprintf (a[3], 16, "%u", c->batch);
  g_snprintf (a[4], 16, "%u", c->length);
  g_snprintf (a[5], 16, "%u", c->steps);
  argv[0] = (gchar *) py;
  argv[1] = script;
  argv[2] = (gchar *) c->cell;
  argv[3] = a[0];
  argv[4] = a[1];
  argv[5] = a[2];
  argv[6] = a[3];
  argv[7] = a[4];
  argv[8] = a[5];
  argv[9] = (gchar *) data_path;
  argv[10] = NULL;
  if (!g_spawn_sync (NULL, argv, NULL, 0, NULL, NULL, &out, &err, &status,
          NULL) || !g_spawn_check_wait_status (status, NULL))
    return NAN;
  {
    gchar *end;
    double fps = g_ascii_strtod (out, &end);
    *last_loss = g_ascii_strtod (end, &end);
    if (torch_blas == NULL)
      torch_blas = g_strdup (g_strstrip (end));
    return fps;
  }
}

int
main (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("bench-train-XXXXXX", &error);
  g_autofree gchar *data_path = NULL;
  guint i;

  g_assert_no_error (error);
  data_path = g_build_filename (dir, "data.bin", NULL);
  printf ("training throughput, frames/s (Adam, cross-entropy per frame, "
      "one thread, CPU time); mean loss at the last step\n");
  printf ("%-5s %5s %6s %5s %6s %5s %10s %10s %7s %9s %9s\n", "cell",
      "input", "hidden", "batch", "length", "steps", "liblstm", "pytorch",
      "ratio", "loss-ours", "loss-pt");
  for (i = 0; i < G_N_ELEMENTS (configs); i++) {
    const Config *c = &configs[i];
    double la = NAN, lb = NAN;
    double a = ours (c, data_path, &la), b = torch (c, data_path, &lb);
    printf ("%-5s %5u %6u %5u %6u %5u %10.0f %10.0f %7.3f %9.4f %9.4f\n",
        c->cell, c->input, c->hidden, c->batch, c->length, c->steps, a, b,
        a / b, la, lb);
    fflush (stdout);
  }
  g_unlink (data_path);
  g_rmdir (dir);
  printf ("(ratio = liblstm / PyTorch; PyTorch missing: nan)\n");
  if (torch_blas)
    printf ("PyTorch's BLAS: %s\n", torch_blas);
  g_free (torch_blas);
  return 0;
}
