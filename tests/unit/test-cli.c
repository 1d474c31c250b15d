/* Unit tests: the `lstm info`, `lstm run` and `lstm import` command line
 * (the binary in $LSTM_TOOL): errors on stderr with a non-zero exit, and
 * outputs equal to the library's. (`lstm import` of real ONNX and Keras
 * files is tested in tests/interop.)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <lstm/lstm.h>

#include "tool-util.h"

#define ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":5}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":3," \
  "\"activation\":\"softmax\"}]"
#define N_FRAMES 50

static gchar *dir;

typedef struct {
  const gchar *name;
  /* arguments after `lstm`; "@" is replaced by the fixture folder */
  const gchar *args[7];
  gint exit_status;             /* expected; 1 = any failure but usage */
  const gchar *needle;          /* in stderr */
} CliCase;

static const CliCase cases[] = {
  { "no-command", { NULL }, 2, "Usage: lstm COMMAND" },
  { "unknown-command", { "fly", NULL }, 2, "unknown command 'fly'" },
  { "info-usage", { "info", NULL }, 2, "Usage: lstm info" },
  { "info-missing-file", { "info", "@/nothing.safetensors", NULL }, 1,
      "@/nothing.safetensors: cannot read" },
  { "info-truncated-model", { "info", "@/truncated.safetensors", NULL }, 1,
      "@/truncated.safetensors: header length" },
  { "run-usage", { "run", "@/model.safetensors", NULL }, 2,
      "Usage: lstm run" },
  { "run-missing-model", { "run", "@/nothing.safetensors", "@/ok.f32",
          NULL }, 1, "@/nothing.safetensors: cannot read" },
  { "run-missing-input", { "run", "@/model.safetensors", "@/nothing.f32",
          NULL }, 1, "@/nothing.f32: cannot open" },
  { "run-f32-wrong-size", { "run", "@/model.safetensors", "@/bad-size.f32",
          NULL }, 1, "@/bad-size.f32: 398 bytes is not a whole number of "
        "2-value float32 frames (8 bytes each)" },
  { "run-f32-nan", { "run", "--nan-policy", "error", "@/model.safetensors",
          "@/nan.f32", "@/o.f32", NULL }, 1,
      "@/nan.f32: frame 0, value 1 is nan (not finite)" },
  { "run-csv-bad-field", { "run", "@/model.safetensors", "@/bad-field.csv",
          "@/o.csv", NULL }, 1, "@/bad-field.csv:4: field 2 is not a number" },
  { "run-csv-bad-count", { "run", "@/model.safetensors", "@/bad-count.csv",
          "@/o.csv", NULL }, 1,
      "@/bad-count.csv:3: 3 values, the model takes 2 per frame" },
  { "run-csv-inf", { "run", "--nan-policy=error", "@/model.safetensors",
          "@/inf.csv", "@/o.csv", NULL }, 1,
      "@/inf.csv:2: field 1 is not a finite number" },
  { "run-unknown-input-type", { "run", "@/model.safetensors", "@/in.txt",
          NULL }, 1, "@/in.txt: unknown input type" },
  { "run-unknown-output-type", { "run", "@/model.safetensors", "@/ok.f32",
          "@/out.wav", NULL }, 1, "@/out.wav: unknown output type" },
  { "run-unwritable-output", { "run", "@/model.safetensors", "@/ok.f32",
          "@/no-such-dir/out.f32", NULL }, 1,
      "@/no-such-dir/out.f32: cannot create" },
  { "run-input-is-dir", { "run", "@/model.safetensors", "@/dir.f32", NULL },
      1, "@/dir.f32: is a directory" },
  { "import-usage", { "import", "@/model.safetensors", NULL }, 2,
      "Usage: lstm import" },
  { "import-missing-input", { "import", "@/nothing.onnx", "@/o.safetensors",
          NULL }, 1, "@/nothing.onnx: no such file" },
  { "import-bad-task", { "import", "@/model.safetensors", "@/o.safetensors",
          "--task", "fly", NULL }, 2, "--task fly" },
  { "import-unknown-option", { "import", "--fast", "@/model.safetensors",
          "@/o.safetensors", NULL }, 2, "unknown option --fast" },
};

static gchar *
fixture (const gchar *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
write_file (const gchar *name, gconstpointer data, gssize len)
{
  g_autofree gchar *path = fixture (name);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

static float *
frames (void)
{
  float *x = g_new (float, N_FRAMES * 2);
  guint i;
  for (i = 0; i < N_FRAMES * 2; i++)
    x[i] = (float) ((i * 37) % 19) / 4.0f - 2.0f;
  return x;
}

static void
setup_fixtures (void)
{
  static const gchar *labels[] = { "left", "middle", "right", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree float *x = frames ();
  g_autofree gchar *model_path = fixture ("model.safetensors");
  g_autofree gchar *sub = fixture ("dir.f32");
  LstmModelOptions opts = { 0 };
  GString *csv = g_string_new ("# a comment\nx,y\n");
  guint i;
  float nan_frame[4] = { 1.0f, 2.0f, 0.0f, 0.0f };
  guint32 nan_bits = 0x7fc00000;

  opts.seed = 5;
  opts.labels = labels;
  m = lstm_model_new (ARCH, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (lstm_model_save (m, model_path, &error));
  g_assert_no_error (error);
  bytes = lstm_model_save_to_bytes (m, &error);
  write_file ("truncated.safetensors", g_bytes_get_data (bytes, NULL), 100);

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
    write_file ("ok.f32", x, N_FRAMES * 2 * sizeof (float));
    write_file ("bad-size.f32", x, 49 * 8 + 6);
    memcpy (&nan_frame[1], &nan_bits, 4);
    write_file ("nan.f32", nan_frame, sizeof nan_frame);
  }
  for (i = 0; i < N_FRAMES; i++)
    g_string_append_printf (csv, "%.9g, %.9g\n", (double) x[2 * i],
        (double) x[2 * i + 1]);
  write_file ("ok.csv", csv->str, (gssize) csv->len);
  g_string_free (csv, TRUE);
  write_file ("bad-field.csv", "a,b\n1,2\n3,4\n5,x\n", -1);
  write_file ("bad-count.csv", "1,2\n\n1,2,3\n", -1);
  write_file ("inf.csv", "1,2\ninf,3\n", -1);
  write_file ("in.txt", "1,2\n", -1);
  g_mkdir (sub, 0755);
}

/* Runs `lstm ARGS...`; "@" in ARGS becomes the fixture folder. */
static gint
run_tool (const gchar *const *args, gchar **out, gchar **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; args[i]; i++) {
    g_auto (GStrv) parts = g_strsplit (args[i], "@", -1);
    g_ptr_array_add (argv, g_strjoinv (dir, parts));
  }
  g_ptr_array_add (argv, NULL);
  return tool_run (NULL, (const gchar * const *) argv->pdata, out, err);
}

static void
test_error (gconstpointer data)
{
  const CliCase *c = data;
  g_autofree gchar *out = NULL, *err = NULL;
  g_auto (GStrv) parts = g_strsplit (c->needle, "@", -1);
  g_autofree gchar *needle = g_strjoinv (dir, parts);
  gint status;

  if (G_BYTE_ORDER != G_LITTLE_ENDIAN && strstr (c->name, "f32")) {
    g_test_skip ("fixtures are little-endian");
    return;
  }
  status = run_tool (c->args, &out, &err);
  g_test_message ("exit %d, stderr: %s", status, err);
  g_assert_cmpint (status, ==, c->exit_status);
  if (strstr (err, needle) == NULL)
    g_error ("%s: stderr '%s' lacks '%s'", c->name, err, needle);
}

static float *
read_f32 (const gchar *path, gsize *n)
{
  g_autoptr (GError) error = NULL;
  gchar *data = NULL;
  gsize len;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len % 4, ==, 0);
  *n = len / 4;
  return (float *) data;
}

/* lstm run gives lstm_model_forward's outputs, bitwise, from .f32 and .csv
 * inputs to .f32 and .csv outputs. */
static void
test_run_outputs (void)
{
  const gchar *f32_args[] = { "run", "@/model.safetensors", "@/ok.f32",
    "@/out.f32", NULL
  };
  const gchar *csv_args[] = { "run", "@/model.safetensors", "@/ok.csv",
    "@/out2.f32", NULL
  };
  const gchar *stdout_args[] = { "run", "@/model.safetensors", "@/ok.csv",
    "-", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *model_path = fixture ("model.safetensors");
  g_autoptr (LstmModel) m = lstm_model_load (model_path, &error);
  g_autoptr (LstmState) s = NULL;
  g_autofree float *x = frames (), *want = g_new (float, N_FRAMES * 3);
  g_autofree float *got = NULL, *got2 = NULL;
  g_autofree gchar *out = NULL, *err = NULL, *p1 = fixture ("out.f32");
  g_autofree gchar *p2 = fixture ("out2.f32");
  g_auto (GStrv) lines = NULL;
  gsize n;
  guint i;

  if (G_BYTE_ORDER != G_LITTLE_ENDIAN) {
    g_test_skip ("fixtures are little-endian");
    return;
  }
  g_assert_no_error (error);
  s = lstm_state_new (m);
  g_assert_true (lstm_model_forward (m, s, x, N_FRAMES, want, NULL));

  g_assert_cmpint (run_tool (f32_args, NULL, NULL), ==, 0);
  got = read_f32 (p1, &n);
  g_assert_cmpuint (n, ==, N_FRAMES * 3);
  g_assert_cmpmem (got, n * 4, want, N_FRAMES * 3 * 4);

  g_assert_cmpint (run_tool (csv_args, NULL, NULL), ==, 0);
  got2 = read_f32 (p2, &n);
  g_assert_cmpmem (got2, n * 4, want, N_FRAMES * 3 * 4);

  /* CSV on stdout: %.9g round-trips every float32 */
  g_assert_cmpint (run_tool (stdout_args, &out, &err), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, N_FRAMES + 1);
  for (i = 0; i < N_FRAMES; i++) {
    g_auto (GStrv) v = g_strsplit (lines[i], ",", -1);
    guint j;
    g_assert_cmpuint (g_strv_length (v), ==, 3);
    for (j = 0; j < 3; j++)
      g_assert_cmpfloat ((float) g_ascii_strtod (v[j], NULL), ==,
          want[i * 3 + j]);
  }
}

static void
test_run_timeline_and_info (void)
{
  const gchar *timeline_args[] = { "run", "@/model.safetensors", "@/ok.csv",
    NULL
  };
  const gchar *info_args[] = { "info", "@/model.safetensors", NULL };
  g_autofree gchar *out = NULL, *err = NULL, *info = NULL;

  /* a classification model without OUTPUT prints a label timeline */
  g_assert_cmpint (run_tool (timeline_args, &out, &err), ==, 0);
  g_test_message ("timeline:\n%s", out);
  g_assert_true (strstr (out, "left") || strstr (out, "middle") ||
      strstr (out, "right"));
  g_assert_cmpint (run_tool (info_args, &info, NULL), ==, 0);
  g_test_message ("info:\n%s", info);
  g_assert_nonnull (strstr (info, "rnn"));
  g_assert_nonnull (strstr (info, "softmax"));
  /* 4*5*(2+5) + 8*5 + 3*5 + 3 parameters */
  g_assert_nonnull (strstr (info, "198"));
  g_assert_nonnull (strstr (info, "middle"));
}

/* From a pipe the size cannot be checked at open: a trailing partial frame
 * must still be an error, not silently dropped. */
static void
test_run_pipe_partial_frame (void)
{
  g_autofree gchar *fifo = fixture ("pipe.f32");
  g_autofree gchar *model = fixture ("model.safetensors");
  g_autofree gchar *script = NULL, *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *argv[] = { "/bin/sh", "-c", NULL, NULL };
  gint status;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  /* 3 whole frames (8 bytes each) and 5 more bytes */
  script = g_strdup_printf ("head -c 29 /dev/zero > '%s' & exec '%s' run "
      "'%s' '%s' '%s/pipe-out.f32'", fifo, g_getenv ("LSTM_TOOL"), model,
      fifo, dir);
  argv[2] = script;
  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
      &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err, "ends with a partial frame (5 of 8 bytes) "
          "after frame 3"));
  g_unlink (fifo);
}

static void
rm_rf (const gchar *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
      !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
    const gchar *name;
    while (d && (name = g_dir_read_name (d)) != NULL) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* `lstm import` with a stand-in importer (LSTM_IMPORT_SCRIPT): a result
 * that liblstm does not load never replaces OUTPUT, and leaves no temporary
 * file; a valid one is renamed into place. */
static void
test_import_result_checked (void)
{
  g_autofree gchar *script = fixture ("fake-import.py");
  g_autofree gchar *out = fixture ("imported.safetensors");
  g_autofree gchar *model = fixture ("model.safetensors");
  g_autofree gchar *sub = fixture ("import-out");
  g_autofree gchar *sub_out = g_build_filename (sub, "m.safetensors", NULL);
  g_autofree gchar *contents = NULL, *expected = NULL, *err = NULL;
  gsize len, expected_len;
  const gchar *name;
  GDir *d;
  gint status;

  /* argv: INPUT TMP: writes garbage for garbage.onnx, else copies INPUT */
  write_file ("fake-import.py",
      "import shutil, sys\n"
      "if sys.argv[1].endswith('garbage.onnx'):\n"
      "    open(sys.argv[2], 'wb').write(b'not a model')\n"
      "else:\n"
      "    shutil.copy(sys.argv[1], sys.argv[2])\n", -1);
  write_file ("garbage.onnx", "x", -1);
  g_mkdir (sub, 0755);
  g_assert_true (g_file_set_contents (sub_out, "old", -1, NULL));
  g_setenv ("LSTM_IMPORT_SCRIPT", script, TRUE);

  status = tool_run_va (dir, NULL, &err, "import", "garbage.onnx",
      "import-out/m.safetensors", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "the imported model does not load"));
  g_assert_true (g_file_get_contents (sub_out, &contents, &len, NULL));
  g_assert_cmpstr (contents, ==, "old");
  d = g_dir_open (sub, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_cmpstr (name, ==, "m.safetensors");        /* no temporary */
  g_dir_close (d);

  status = tool_run_va (dir, NULL, &err, "import", "model.safetensors",
      "imported.safetensors", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (out, &contents, &len, NULL));
  g_assert_true (g_file_get_contents (model, &expected, &expected_len, NULL));
  g_assert_cmpmem (contents, len, expected, expected_len);
  g_unsetenv ("LSTM_IMPORT_SCRIPT");
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("lstm-cli-XXXXXX", &error);
  g_assert_no_error (error);
  setup_fixtures ();
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/cli/error/%s", cases[i].name);
    g_test_add_data_func (path, &cases[i], test_error);
  }
  g_test_add_func ("/cli/run/outputs", test_run_outputs);
  g_test_add_func ("/cli/run/timeline-and-info", test_run_timeline_and_info);
  g_test_add_func ("/cli/run/pipe-partial-frame", test_run_pipe_partial_frame);
  g_test_add_func ("/cli/import/result-checked", test_import_result_checked);
  ret = g_test_run ();
  rm_rf (dir);
  g_free (dir);
  return ret;
}
