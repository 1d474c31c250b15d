/* lstm import INPUT OUTPUT.safetensors [--labels ...] [--task ...]
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Models from ONNX (.onnx), Keras (.h5, .keras) and TF.js Layers
 * (model.json) become gst-lstm model files.
 *
 * The reading is done by tools/lstm_import.py, installed beside the tool in
 * $datadir/gst-lstm: ONNX files are protobuf messages and Keras files are
 * HDF5, which Debian's python3-onnx and python3-h5py read; doing it in C
 * would add protobuf and HDF5 to the tool's dependencies for one command.
 * The script writes a temporary file beside OUTPUT; this command then
 * loads it with liblstm (every tensor checked against the architecture)
 * and only then renames it into place, so a file that liblstm would refuse
 * never replaces OUTPUT.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lstm-tool.h"

static const gchar usage_text[] =
    "Usage: lstm import INPUT OUTPUT.safetensors [--labels A,B,C|FILE] "
    "[--task TASK]\n\n"
    "Converts a model from another framework to a gst-lstm model file:\n"
    "  *.onnx          ONNX (LSTM, GRU, MatMul+Add/Gemm, Relu, Tanh, "
    "Sigmoid, Softmax),\n"
    "                  as torch.onnx.export writes nn.LSTM/nn.GRU/nn.Linear\n"
    "  *.h5, *.keras   a Keras model (LSTM, GRU, Bidirectional, Dense)\n"
    "  *.json          a TF.js Layers model.json beside its weight files\n"
    "Anything liblstm cannot compute exactly is refused with the layer and\n"
    "the reason. --labels names the outputs (comma-separated, or a file with\n"
    "one label a line); --task is classification, regression or forecast.\n\n"
    "Environment: LSTM_IMPORT_SCRIPT (the importer, default the installed\n"
    "lstm_import.py), LSTM_PYTHON (its interpreter, default " LSTM_PYTHON3
    ").\n";

/* The importer script: $LSTM_IMPORT_SCRIPT, the installed one, or the one
 * in the source tree this tool was built from. */
static gchar *
find_script (GError **error)
{
  const gchar *env = g_getenv ("LSTM_IMPORT_SCRIPT");

  if (env != NULL && *env != '\0') {
    if (!g_file_test (env, G_FILE_TEST_IS_REGULAR)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
          "LSTM_IMPORT_SCRIPT=%s: no such file", env);
      return NULL;
    }
    return g_strdup (env);
  }
  if (g_file_test (LSTM_IMPORT_SCRIPT_INSTALLED, G_FILE_TEST_IS_REGULAR))
    return g_strdup (LSTM_IMPORT_SCRIPT_INSTALLED);
  if (g_file_test (LSTM_IMPORT_SCRIPT_SOURCE, G_FILE_TEST_IS_REGULAR))
    return g_strdup (LSTM_IMPORT_SCRIPT_SOURCE);
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
      "the importer lstm_import.py is neither at %s nor at %s "
      "(set LSTM_IMPORT_SCRIPT)", LSTM_IMPORT_SCRIPT_INSTALLED,
      LSTM_IMPORT_SCRIPT_SOURCE);
  return NULL;
}

/* A fresh temporary file name beside @path, created empty (so that no one
 * else takes it) and registered for removal on a signal. */
static gchar *
temp_beside (const gchar *path, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *base = g_path_get_basename (path);
  g_autofree gchar *tmpl = g_strdup_printf (".%s.import-XXXXXX", base);
  gchar *tmp = g_build_filename (dir, tmpl, NULL);
  int fd = lstm_tool_tmp_create (tmp, O_RDWR, 0600);

  if (fd < 0) {
    int e = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot create a "
        "temporary file there: %s", path, g_strerror (e));
    g_free (tmp);
    return NULL;
  }
  close (fd);
  return tmp;
}

int
lstm_tool_import (int argc, char **argv, GError **error)
{
  g_autofree gchar *script = NULL;
  g_autofree gchar *tmp = NULL;
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (LstmModel) model = NULL;
  const gchar *python = g_getenv ("LSTM_PYTHON");
  const gchar *input = NULL, *output = NULL;
  const gchar *labels = NULL, *task = NULL;
  int i, status = 0, ret = 1;

  for (i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs (usage_text, stdout);
      return 0;
    }
    if (strcmp (argv[i], "--labels") == 0 || strcmp (argv[i], "--task") == 0) {
      if (i + 1 >= argc) {
        fprintf (stderr, "lstm import: %s needs a value\n", argv[i]);
        return 2;
      }
      if (argv[i][2] == 'l')
        labels = argv[++i];
      else
        task = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf (stderr, "lstm import: unknown option %s\n\n%s", argv[i],
          usage_text);
      return 2;
    } else if (input == NULL) {
      input = argv[i];
    } else if (output == NULL) {
      output = argv[i];
    } else {
      fputs (usage_text, stderr);
      return 2;
    }
  }
  if (input == NULL || output == NULL) {
    fputs (usage_text, stderr);
    return 2;
  }
  if (task != NULL) {
    LstmTask t;
    if (!lstm_task_from_string (task, &t)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "--task %s: "
          "classification, regression or forecast", task);
      return 2;
    }
  }
  if (!g_file_test (input, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: no such file", input);
    return 1;
  }
  script = find_script (error);
  if (script == NULL)
    return 1;
  tmp = temp_beside (output, error);
  if (tmp == NULL)
    return 1;

  args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) (python && *python ? python :
          LSTM_PYTHON3));
  g_ptr_array_add (args, script);
  g_ptr_array_add (args, (gpointer) input);
  g_ptr_array_add (args, tmp);
  if (labels != NULL) {
    g_ptr_array_add (args, (gpointer) "--labels");
    g_ptr_array_add (args, (gpointer) labels);
  }
  if (task != NULL) {
    g_ptr_array_add (args, (gpointer) "--task");
    g_ptr_array_add (args, (gpointer) task);
  }
  g_ptr_array_add (args, NULL);

  /* the script's messages go straight to our stderr */
  if (!g_spawn_sync (NULL, (gchar **) args->pdata, NULL,
          G_SPAWN_CHILD_INHERITS_STDIN | G_SPAWN_SEARCH_PATH, NULL, NULL,
          NULL, NULL, &status,
          error))
    goto out;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    /* the script printed why; a usage error keeps its status */
    ret = WIFEXITED (status) && WEXITSTATUS (status) == 2 ? 2 : 1;
    goto out;
  }
  model = lstm_model_load (tmp, error);
  if (model == NULL) {
    g_prefix_error (error, "%s: the imported model does not load: ", input);
    goto out;
  }
  if (g_rename (tmp, output) != 0) {
    int e = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: %s", output,
        g_strerror (e));
    goto out;
  }
  lstm_tool_tmp_unregister (tmp);
  g_clear_pointer (&tmp, g_free);
  printf ("%s: %u layer%s, %u -> %u values per frame, %" G_GUINT64_FORMAT
      " parameters, %s\n", output, lstm_model_get_n_layers (model),
      lstm_model_get_n_layers (model) == 1 ? "" : "s",
      lstm_model_get_input_size (model), lstm_model_get_output_size (model),
      (guint64) lstm_model_get_n_params (model),
      lstm_model_get_metadata (model, "lstm.description") ?
      lstm_model_get_metadata (model, "lstm.description") : "");
  ret = 0;

out:
  if (tmp != NULL) {
    g_unlink (tmp);
    lstm_tool_tmp_unregister (tmp);
  }
  return ret;
}
