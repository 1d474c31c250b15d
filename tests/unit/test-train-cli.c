/* Unit tests: lstm train / eval / generate, as a user runs them
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "tool-util.h"

static gchar *tmpdir;

/* `lstm ARGS..., NULL` run in tmpdir */
#define lstm(out, err, ...) tool_run_va (tmpdir, out, err, __VA_ARGS__)

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_file (const gchar *name, const gchar *text)
{
  g_autofree gchar *path = tmp_path (name);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
write_sine (const gchar *name, guint n, guint phase)
{
  GString *s = g_string_new ("t,value,noise\n");
  guint i;
  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%u,%.5f,%.3f\n", i + phase,
        sin (0.2 * (i + phase)) + 0.3 * sin (0.05 * (i + phase)),
        0.01 * ((i * 7919) % 13));
  write_file (name, s->str);
  g_string_free (s, TRUE);
}

/* ---- bad input: clear errors naming the line ---- */

typedef struct {
  const gchar *name;
  const gchar *csv;             /* written as bad.csv, or NULL */
  const gchar *text;            /* written as bad.txt, or NULL */
  const gchar *args[8];
  const gchar *expect;          /* in stderr */
} BadCase;

static const BadCase bad_cases[] = {
  {"nan-in-series", "t,value\n0,1\n1,2\n2,nan\n3,4\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:4: column 'value': NaN in the series"},
  {"inf-in-series", "t,value\n0,1\n1,inf\n2,3\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:3: column 'value': an infinite value"},
  {"not-a-number", "t,value\n# a comment\n0,1\n1,abc\n2,3\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:4: column 'value': 'abc' is not a number"},
  {"ragged-row", "t,value\n0,1\n1,2,3\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:3: 3 cells, but the header names 2 columns"},
  {"unclosed-quote", "t,\"value\n0,1\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:1: a quote is not closed"},
  /* a quoted column name holding a comma is one column */
  {"quoted-column", "t,\"a, b\"\n0,1\n1,x\n2,3\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "bad.csv:3: column 'a, b': 'x' is not a number"},
  {"unknown-column", "t,value\n0,1\n1,2\n2,3\n", NULL,
      {"train", "--series", "bad.csv", "--columns", "nope", "-o",
          "m.safetensors"},
      "unknown column 'nope' (the columns are: t, value)"},
  {"empty-dataset", "t,value\n", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "empty dataset"},
  {"empty-file", "", NULL,
      {"train", "--series", "bad.csv", "-o", "m.safetensors"},
      "no header row"},
  {"one-label", "x,label\n0,a\n1,a\n", NULL,
      {"train", "--series", "bad.csv", "--label-column", "label", "-o",
          "m.safetensors"},
      "1 distinct labels"},
  {"text-not-utf8", NULL, "abc\ndef\xff\xfe\n",
      {"train", "--text", "bad.txt", "-o", "m.safetensors"},
      "bad.txt:2: not valid UTF-8"},
  {"text-empty", NULL, "",
      {"train", "--text", "bad.txt", "-o", "m.safetensors"},
      "empty"},
  {"manifest", NULL, NULL,
      {"train", "--manifest", "clips.csv", "-o", "m.safetensors"},
      "clips.csv: cannot read"},
  {"no-output", "t,value\n0,1\n", NULL,
      {"train", "--series", "bad.csv"},
      "-o MODEL is required"},
  {"two-sources", "t,value\n0,1\n", "ab",
      {"train", "--series", "bad.csv", "--text", "bad.txt", "-o", "m"},
      "exactly one of"},
  {"bad-cell", "t,value\n0,1\n", NULL,
      {"train", "--series", "bad.csv", "--cell", "rnn", "-o", "m"},
      "--cell must be lstm or gru"},
  {"bad-optimizer", "t,value\n0,1\n", NULL,
      {"train", "--series", "bad.csv", "--optimizer", "rmsprop", "-o", "m"},
      "--optimizer must be adam or sgd"},
  {"missing-file", NULL, NULL,
      {"train", "--series", "missing.csv", "-o", "m"},
      "missing.csv: cannot read"},
};

static void
test_bad_input (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree gchar *err = NULL;
  gint status;

  if (c->csv)
    write_file ("bad.csv", c->csv);
  if (c->text)
    write_file ("bad.txt", c->text);
  status = lstm (NULL, &err, c->args[0], c->args[1], c->args[2], c->args[3],
      c->args[4], c->args[5], c->args[6], c->args[7], NULL);
  g_test_message ("exit %d: %s", status, err);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, c->expect));
}

/* ---- series: train, files written, eval ---- */

static void
test_series (void)
{
  g_autofree gchar *out = NULL, *err = NULL, *csv = NULL, *png = NULL;
  g_autofree gchar *svg = NULL, *model_path = tmp_path ("s.safetensors");
  g_autofree gchar *csv_path = tmp_path ("s.loss.csv");
  g_autofree gchar *png_path = tmp_path ("s.png");
  g_autofree gchar *svg_path = tmp_path ("s.svg");
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_auto (GStrv) lines = NULL;
  gsize len;

  write_sine ("train.csv", 600, 0);
  write_sine ("test.csv", 200, 600);
  g_assert_cmpint (lstm (NULL, &err, "train", "--series", "train.csv",
          "--columns", "value", "--hidden", "8", "--epochs", "3",
          "--batch-size", "4", "--window", "20", "--plot", "s.png", "-o",
          "s.safetensors", NULL), ==, 0);
  /* not a terminal: one line per epoch */
  g_assert_nonnull (strstr (err, "epoch 3/3  loss "));
  g_assert_nonnull (strstr (err, "val_loss"));
  g_assert_nonnull (strstr (err, "frames/s"));
  m = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_FORECAST);
  g_assert_nonnull (lstm_model_get_input_mean (m));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"columns\":[\"value\"]"));
  g_assert_nonnull (strstr (lstm_model_get_metadata (m, "lstm.training"),
          "\"target_scaling\":true"));
  /* the loss curve: header + 3 epochs */
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[0], "epoch,loss,val_loss"));
  g_assert_true (g_str_has_prefix (lines[3], "3,"));
  /* PNG and SVG plots */
  g_assert_true (g_file_get_contents (png_path, &png, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "train", "--series", "train.csv",
          "--columns", "value", "--hidden", "4", "--epochs", "1", "-q",
          "--plot", "s.svg", "-o", "s2.safetensors", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_file_get_contents (svg_path, &svg, NULL, NULL));
  g_assert_nonnull (strstr (svg, "<svg"));

  /* a diverging run: an error, the checkpoint kept, no model written */
  g_clear_pointer (&err, g_free);
  {
    g_autofree gchar *dpath = tmp_path ("d.safetensors");
    g_autofree gchar *cpath = tmp_path ("d.ckpt");
    g_assert_cmpint (lstm (NULL, &err, "train", "--series", "train.csv",
            "--columns", "value", "--hidden", "8", "--epochs", "30",
            "--batch-size", "32", "--window", "64",
            "--optimizer", "sgd", "--lr", "1e6", "--checkpoint", "d.ckpt",
            "-o", "d.safetensors", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "training diverged at epoch"));
    g_assert_nonnull (strstr (err, "the last good checkpoint is d.ckpt"));
    g_assert_false (g_file_test (dpath, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (cpath, G_FILE_TEST_EXISTS));
  }

  /* fine-tuning: --init keeps the model, its normalisation and scaling */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "train", "--series", "train.csv",
          "--columns", "value", "--epochs", "1", "--init", "s.safetensors",
          "-o", "ft.safetensors", NULL), ==, 0);
  {
    g_autofree gchar *ft_path = tmp_path ("ft.safetensors");
    g_autoptr (LstmModel) ft = lstm_model_load (ft_path, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (lstm_model_get_input_mean (ft), sizeof (float),
        lstm_model_get_input_mean (m), sizeof (float));
    g_assert_nonnull (strstr (lstm_model_get_metadata (ft, "lstm.training"),
            "\"init\":\"s.safetensors\""));
  }
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "train", "--series", "train.csv",
          "--init", "s.safetensors", "-o", "ft.safetensors", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "s.safetensors: takes 1 inputs"));

  /* eval: as trained (columns and horizon from lstm.training) */
  g_assert_cmpint (lstm (&out, NULL, "eval", "s.safetensors", "--series",
          "test.csv", "--skip", "10", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "189 frames scored, forecasting 1 row"));
  g_assert_nonnull (strstr (out, "persistence_rmse"));
  g_assert_nonnull (strstr (out, "value "));
  g_clear_pointer (&err, g_free);
  /* eval's own bad input */
  write_file ("bad.csv", "t,value\n0,1\n1,nan\n");
  g_assert_cmpint (lstm (NULL, &err, "eval", "s.safetensors", "--series",
          "bad.csv", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "bad.csv:3: column 'value': NaN"));
}

/* ---- labelled frames: classification, metrics ---- */

static void
test_labels (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  GString *s = g_string_new ("seq,x,label\n");
  guint q, t;

  /* the label says whether x has been rising */
  for (q = 0; q < 24; q++)
    for (t = 0; t < 12; t++) {
      double v = (q % 2 ? 1.0 : -1.0) * t * 0.1 + 0.05 * (q % 5);
      g_string_append_printf (s, "%u,%.3f,%s\n", q, v,
          t == 0 ? "" : q % 2 ? "up" : "down");
    }
  write_file ("labels.csv", s->str);
  g_string_free (s, TRUE);
  g_assert_cmpint (lstm (NULL, &err, "train", "--series", "labels.csv",
          "--label-column", "label", "--sequence-column", "seq", "--hidden",
          "8", "--epochs", "40", "--batch-size", "4", "--lr", "0.02",
          "--val-fraction", "0.25", "-o", "l.safetensors", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "val_accuracy"));
  g_assert_cmpint (lstm (&out, NULL, "eval", "l.safetensors", "--series",
          "labels.csv", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "accuracy: "));
  g_assert_nonnull (strstr (out, "precision  recall"));
  g_assert_nonnull (strstr (out, "confusion matrix"));
  g_assert_nonnull (strstr (out, "(264 frames)"));
  /* an unknown label: the line is named */
  write_file ("bad.csv", "seq,x,label\n0,0.1,up\n0,0.2,sideways\n");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lstm (NULL, &err, "eval", "l.safetensors", "--series",
          "bad.csv", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "bad.csv:3: unknown label 'sideways'"));
}

/* ---- text: train, eval, generate ---- */

static void
test_text (void)
{
  g_autofree gchar *out = NULL, *out2 = NULL, *err = NULL;
  GString *s = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = tmp_path ("c.safetensors");
  g_autoptr (LstmModel) m = NULL;
  const gchar *p;
  guint i;

  for (i = 0; i < 60; i++)
    g_string_append (s, i % 3 ? "the cat sat on the mat.\n" :
        "a dog ran to the log.\n");
  write_file ("text.txt", s->str);
  g_string_free (s, TRUE);
  g_assert_cmpint (lstm (NULL, &err, "train", "--text", "text.txt",
          "--hidden", "24", "--epochs", "8", "--batch-size", "8", "--window",
          "32", "--lr", "0.01", "-o", "c.safetensors", NULL), ==, 0);
  m = lstm_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lstm_model_get_input_size (m), ==,
      lstm_model_get_output_size (m));
  g_assert_cmpstr (lstm_model_get_label (m, 0), ==, "\n");

  g_assert_cmpint (lstm (&out, NULL, "eval", "c.safetensors", "--text",
          "text.txt", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "nats/char"));
  g_clear_pointer (&out, g_free);

  /* sampling: seeded, the requested length, only known characters */
  g_assert_cmpint (lstm (&out, NULL, "generate", "c.safetensors",
          "--seed-text", "the ", "--temperature", "0.7", "--length", "80",
          "--seed", "3", NULL), ==, 0);
  g_assert_cmpint (lstm (&out2, NULL, "generate", "c.safetensors",
          "--seed-text", "the ", "--temperature", "0.7", "--length", "80",
          "--seed", "3", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_cmpstr (out, ==, out2);
  g_assert_true (g_str_has_prefix (out, "the "));
  g_assert_cmpint (g_utf8_strlen (out, -1), ==, 4 + 80 + 1);
  for (p = out; *p; p++)
    g_assert_nonnull (strchr ("the catsonm.\nadogrl", *p));
  g_clear_pointer (&out, g_free);
  /* greedy */
  g_assert_cmpint (lstm (&out, NULL, "generate", "c.safetensors",
          "--temperature", "0", "--length", "20", NULL), ==, 0);
  g_clear_pointer (&err, g_free);
  /* characters the model does not know */
  g_assert_cmpint (lstm (NULL, &err, "generate", "c.safetensors",
          "--seed-text", "xyz", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "not in the model's vocabulary"));
  g_clear_pointer (&err, g_free);
  write_file ("other.txt", "the cat\nthe Zebra\n");
  g_assert_cmpint (lstm (NULL, &err, "eval", "c.safetensors", "--text",
          "other.txt", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "other.txt:2:5: character 'Z'"));
  g_clear_pointer (&err, g_free);
  /* a forecaster is not a character model */
  write_sine ("train.csv", 100, 0);
  g_assert_cmpint (lstm (NULL, NULL, "train", "--series", "train.csv",
          "--columns", "value", "--hidden", "4", "--epochs", "1", "-o",
          "f.safetensors", NULL), ==, 0);
  g_assert_cmpint (lstm (NULL, &err, "generate", "f.safetensors", NULL), !=,
      0);
  g_assert_nonnull (strstr (err, "not a character model"));
}

/* ---- Ctrl-C: stop after the step, save, exit 130; resume ---- */

static void
test_sigint (void)
{
  g_autofree gchar *model_path = tmp_path ("int.safetensors");
  g_autofree gchar *ck_path = tmp_path ("int.ckpt");
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL, ck = NULL;
  const gchar *argv[] = { g_getenv ("LSTM_TOOL"), "train", "--series",
    "long.csv", "--columns", "value", "--hidden", "16", "--epochs", "100000",
    "--batch-size", "4", "--window", "10", "--checkpoint", "int.ckpt",
    "--checkpoint-interval", "1000000", "-o", "int.safetensors", NULL
  };
  GPid pid;
  gint status, err_fd;
  gchar buf[256];
  GString *log = g_string_new (NULL);

  write_sine ("long.csv", 2000, 0);
  g_assert_true (g_spawn_async_with_pipes (tmpdir, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, NULL, &err_fd,
          &error));
  g_assert_no_error (error);
  /* wait for the first epoch line */
  while (strstr (log->str, "epoch 2/") == NULL) {
    gssize n = read (err_fd, buf, sizeof buf - 1);
    g_assert_cmpint (n, >, 0);
    buf[n] = '\0';
    g_string_append (log, buf);
  }
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  while (TRUE) {
    gssize n = read (err_fd, buf, sizeof buf - 1);
    if (n <= 0)
      break;
    buf[n] = '\0';
    g_string_append (log, buf);
  }
  close (err_fd);
  g_spawn_close_pid (pid);
  g_test_message ("%s", log->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);
  g_assert_nonnull (strstr (log->str, "interrupted at epoch"));
  g_string_free (log, TRUE);
  /* the model and a checkpoint were saved */
  m = lstm_model_load (model_path, &error);
  g_assert_no_error (error);
  ck = lstm_model_load (ck_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lstm_model_get_metadata (ck, "lstm.checkpoint"));
}

/* A run stopped and resumed from its checkpoint equals an uninterrupted
 * run, through the command line too. */
static void
test_resume (void)
{
  g_autofree gchar *pa = tmp_path ("ra.safetensors");
  g_autofree gchar *pb = tmp_path ("rb.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) a = NULL, b = NULL;
  g_autofree float *x = NULL, *ya = NULL, *yb = NULL;
  guint i;

  write_sine ("r.csv", 400, 0);
  g_assert_cmpint (lstm (NULL, NULL, "train", "--series", "r.csv", "--hidden",
          "6", "--epochs", "4", "--batch-size", "3", "--window", "15",
          "--chunk", "40", "--seed", "9", "-o", "ra.safetensors", NULL), ==,
      0);
  g_assert_cmpint (lstm (NULL, NULL, "train", "--series", "r.csv", "--hidden",
          "6", "--epochs", "2", "--batch-size", "3", "--window", "15",
          "--chunk", "40", "--seed", "9", "--checkpoint", "r.ckpt", "-o",
          "rb.safetensors", NULL), ==, 0);
  g_assert_cmpint (lstm (NULL, NULL, "train", "--series", "r.csv", "--hidden",
          "6", "--epochs", "4", "--batch-size", "3", "--window", "15",
          "--chunk", "40", "--seed", "9", "--checkpoint", "r.ckpt",
          "--resume", "-o", "rb.safetensors", NULL), ==, 0);
  a = lstm_model_load (pa, &error);
  g_assert_no_error (error);
  b = lstm_model_load (pb, &error);
  g_assert_no_error (error);
  x = g_new (float, 50 * 3);
  ya = g_new (float, 50 * 3);
  yb = g_new (float, 50 * 3);
  for (i = 0; i < 150; i++)
    x[i] = sinf (i * 0.3f);
  g_assert_true (lstm_model_forward_sequence (a, x, 50, ya, &error));
  g_assert_true (lstm_model_forward_sequence (b, x, 50, yb, &error));
  g_assert_cmpmem (ya, 50 * 3 * sizeof (float), yb, 50 * 3 * sizeof (float));
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("lstm-cli-XXXXXX", NULL);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/cli/bad-input/%s",
        bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_input);
  }
  g_test_add_func ("/cli/series", test_series);
  g_test_add_func ("/cli/labels", test_labels);
  g_test_add_func ("/cli/text", test_text);
  g_test_add_func ("/cli/sigint", test_sigint);
  g_test_add_func ("/cli/resume", test_resume);
  ret = g_test_run ();
  {
    g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
    const gchar *name;
    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *p = tmp_path (name);
      g_remove (p);
    }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return ret;
}
