/* Slow tests: saves survive SIGKILL.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `lstm train` (a checkpoint every epoch, then the model) and a
 * `gst-launch-1.0` pipeline with `lstmtrain` (a checkpoint at its location
 * every epoch, then the model) are killed with SIGKILL at random moments
 * (seeded) over the span of a whole run, many times. After each kill, every
 * destination holds the old file or a new complete one, which loads and
 * validates, and at most one temporary file of a killed save is left per
 * destination (the next save removes the earlier ones). The kill times are
 * drawn over the measured duration of an uninterrupted run, so many land
 * in a save (saves are a large part of these runs: a big model, little
 * data).
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "gst-test-util.h"

#define N_KILLS 50
#define N_ROWS 1500

/* Temporary files ".BASE.*" of @base in @dir. */
static guint
count_temporaries (const gchar *dir, const gchar *base)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree gchar *prefix = g_strdup_printf (".%s.", base);
  const gchar *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    n += g_str_has_prefix (name, prefix);
  return n;
}

/* Starts @argv in @cwd, its output discarded. */
static GPid
start (const gchar *cwd, const gchar *const *argv)
{
  g_autoptr (GError) error = NULL;
  GPid pid = 0;

  g_assert_true (g_spawn_async (cwd, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
          NULL, &pid, &error));
  g_assert_no_error (error);
  return pid;
}

/* Runs @argv to its end; returns how long it took, in microseconds. */
static gint64
run_whole (const gchar *cwd, const gchar *const *argv)
{
  gint64 t0 = g_get_monotonic_time ();
  GPid pid = start (cwd, argv);
  int status = 0;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  return g_get_monotonic_time () - t0;
}

/* Kills a run of @argv after @delay microseconds (or lets it finish). */
static gboolean
run_killed (const gchar *cwd, const gchar *const *argv, gint64 delay)
{
  GPid pid = start (cwd, argv);
  gint64 until = g_get_monotonic_time () + delay;
  int status = 0;

  for (;;) {
    gint64 left = until - g_get_monotonic_time ();
    if (waitpid (pid, &status, WNOHANG) == pid)
      return FALSE;             /* finished before the kill */
    if (left <= 0)
      break;
    g_usleep ((gulong) MIN (left, 2000));
  }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return WIFSIGNALED (status);
}

/* @path loads and validates (a model, or a checkpoint, whose optimizer
 * tensors the loader skips). */
static void
assert_loads (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
}

/* The body shared by both front ends: @argv, run in @dir, writes @dests
 * (relative to it) on each save; an uninterrupted run in a sub-folder gives
 * the duration and the final bytes of the first destination. */
static void
kill_many (const gchar *what, const gchar *dir, const gchar *const *argv,
    const gchar *const *dests, guint n_dests, guint32 seed)
{
  g_autofree gchar *ref_dir = g_build_filename (dir, "whole", NULL);
  g_autofree gchar *old = NULL, *final = NULL;
  g_autofree gchar *main_dest = g_build_filename (dir, dests[0], NULL);
  g_autofree gchar *ref_dest = g_build_filename (ref_dir, dests[0], NULL);
  GRand *rand = g_rand_new_with_seed (seed);
  gsize old_len = 0, final_len = 0;
  guint i, k, n_killed = 0, n_old = 0, n_new = 0, n_other = 0;
  guint n_in_save = 0;
  gint64 whole;

  /* an uninterrupted run, elsewhere: its duration, its final bytes */
  g_assert_cmpint (g_mkdir_with_parents (ref_dir, 0755), ==, 0);
  /* the shortest of three: one slowed by a busy machine would spread the
   * kills past the end of most runs */
  whole = run_whole (ref_dir, argv);
  for (i = 0; i < 2; i++)
    whole = MIN (whole, run_whole (ref_dir, argv));
  g_assert_true (g_file_get_contents (ref_dest, &final, &final_len, NULL));
  assert_loads (ref_dest);
  g_assert_true (g_file_get_contents (main_dest, &old, &old_len, NULL));
  g_test_message ("%s: a whole run takes %.2f s", what, whole / 1e6);

  for (i = 0; i < N_KILLS; i++) {
    gint64 delay = (gint64) (g_rand_double (rand) * (double) whole * 1.1);
    g_autofree gchar *now = NULL;
    gsize now_len = 0;

    gboolean killed = run_killed (dir, argv, delay);
    guint n_tmp = 0;

    n_killed += killed;
    for (k = 0; k < n_dests; k++) {
      g_autofree gchar *p = g_build_filename (dir, dests[k], NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        assert_loads (p);
      n_tmp = count_temporaries (dir, dests[k]);
      /* the one this kill left, if it was in a save; none of before */
      g_assert_cmpuint (n_tmp, <=, 1);
      n_in_save += killed && n_tmp > 0;
    }
    /* the model: the old one, a checkpoint (lstmtrain saves them at its
     * location), or the final one bit for bit */
    g_assert_true (g_file_get_contents (main_dest, &now, &now_len, NULL));
    if (now_len == old_len && memcmp (now, old, old_len) == 0)
      n_old++;
    else if (now_len == final_len && memcmp (now, final, final_len) == 0)
      n_new++;
    else
      n_other++;
  }
  g_test_message ("%s: %u runs, %u killed (%u times leaving a temporary "
      "file, or one left before); the model was the old one %u times, the "
      "final one %u, a checkpoint %u", what, N_KILLS, n_killed, n_in_save,
      n_old, n_new, n_other);
  /* most kills land before the end (a quarter at least, on a busy
   * machine whose runs vary in length) */
  g_assert_cmpuint (n_killed, >=, N_KILLS / 4);
  /* the kills do land in saves */
  g_assert_cmpuint (n_in_save, >, 0);
  /* a whole run still completes, and leaves no temporary file */
  run_whole (dir, argv);
  for (k = 0; k < n_dests; k++)
    g_assert_cmpuint (count_temporaries (dir, dests[k]), ==, 0);
  g_rand_free (rand);
}

static void
write_series (const gchar *dir)
{
  g_autoptr (GString) csv = g_string_new ("value\n");
  g_autofree float *x = g_new (float, N_ROWS);
  g_autofree gchar *csv_path = g_build_filename (dir, "s.csv", NULL);
  g_autofree gchar *f32_path = g_build_filename (dir, "s.f32", NULL);
  guint t;

  for (t = 0; t < N_ROWS; t++) {
    x[t] = (float) (sin (t * 0.1) + 0.3 * sin (t * 0.37));
    g_string_append_printf (csv, "%.6g\n", x[t]);
  }
  g_assert_true (g_file_set_contents (csv_path, csv->str, -1, NULL));
  g_assert_true (g_file_set_contents (f32_path, (const gchar *) x,
          N_ROWS * sizeof (float), NULL));
}

/* A valid model standing at @name before the runs. */
static void
write_old_model (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (LstmModel) m = tu_model_new ("[{\"type\":\"gru\",\"name\":"
      "\"rnn\",\"input_size\":1,\"hidden_size\":4},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":1}]", LSTM_TASK_FORECAST, NULL, 9,
      NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (lstm_model_save (m, path, &error));
  g_assert_no_error (error);
}

static void
test_kill_lstm_train (void)
{
  g_autofree gchar *dir = g_build_filename (tu_tmpdir (), "cli", NULL);
  g_autofree gchar *whole = g_build_filename (dir, "whole", NULL);
  const gchar *argv[] = { g_getenv ("LSTM_TOOL"), "train", "--series",
    NULL, "--columns", "value", "--hidden", "160", "--epochs", "12",
    "--checkpoint", "c.ckpt", "-o", "m.safetensors", "-q", NULL
  };
  g_autofree gchar *csv = NULL;
  static const gchar *const dests[] = { "m.safetensors", "c.ckpt" };

  g_assert_nonnull (argv[0]);
  g_assert_cmpint (g_mkdir_with_parents (whole, 0755), ==, 0);
  write_series (dir);
  csv = g_build_filename (dir, "s.csv", NULL);
  argv[3] = csv;
  write_old_model (dir, "m.safetensors");
  kill_many ("lstm train", dir, argv, dests, G_N_ELEMENTS (dests), 1234);
}

static void
test_kill_lstmtrain (void)
{
  g_autofree gchar *dir = g_build_filename (tu_tmpdir (), "gst", NULL);
  g_autofree gchar *whole = g_build_filename (dir, "whole", NULL);
  g_autofree gchar *src = NULL;
  const gchar *argv[] = { "gst-launch-1.0", "-q", "filesrc", NULL, "!",
    "queue", "!", "rawaudioparse", "use-sink-caps=false", "format=pcm",
    "pcm-format=f32le", "num-channels=1", "sample-rate=100", "!",
    "lstmtrain", "mode=forecast", "location=g.safetensors",
    "hidden-size=160", "epochs=12", "checkpoint-interval=1", NULL
  };
  static const gchar *const dests[] = { "g.safetensors" };

  g_assert_cmpint (g_mkdir_with_parents (whole, 0755), ==, 0);
  write_series (dir);
  src = g_strdup_printf ("location=%s/s.f32", dir);
  argv[3] = src;
  write_old_model (dir, "g.safetensors");
  kill_many ("lstmtrain", dir, argv, dests, G_N_ELEMENTS (dests), 4321);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crash-saves/lstm-train", test_kill_lstm_train);
  g_test_add_func ("/crash-saves/lstmtrain", test_kill_lstmtrain);
  ret = g_test_run ();
  tu_cleanup ();
  return ret;
}
