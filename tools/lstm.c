/* lstm: command-line front end of liblstm
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "lstm-tool.h"

static const struct {
  const gchar *name;
  LstmToolCommand func;
  const gchar *usage;
} commands[] = {
  { "info", lstm_tool_info,
      "info MODEL                 architecture, parameters, FLOPs, labels, features" },
  { "run", lstm_tool_run,
      "run MODEL INPUT [OUTPUT]   run a model over .f32/.csv frames or audio" },
  { "features", lstm_tool_features,
      "features CONFIG AUDIO OUT  features from audio (CONFIG: JSON or MODEL)" },
  { "train", lstm_tool_train,
      "train [OPTIONS] -o MODEL   train from --series, --text or --manifest (audio)" },
  { "eval", lstm_tool_eval,
      "eval MODEL --series CSV    forecast RMSE/MAE vs persistence, or class metrics" },
  { "forecast", lstm_tool_forecast,
      "forecast MODEL HISTORY --steps N [OUTPUT]   closed-loop series forecast" },
  { "generate", lstm_tool_generate,
      "generate MODEL             sample text from a character model" },
  { "import", lstm_tool_import,
      "import INPUT OUTPUT        a model from ONNX, Keras (.h5, .keras), TF.js" },
};

static void
usage (FILE *out)
{
  guint i;
  fprintf (out, "Usage: lstm COMMAND [ARGS...]\n\nCommands:\n");
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  lstm %s\n", commands[i].usage);
  fprintf (out, "\n'lstm COMMAND --help' describes a command's options.\n");
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  guint i;

  setlocale (LC_ALL, "");
  /* Numbers in files are always written and read with '.' decimals. */
  setlocale (LC_NUMERIC, "C");
  if (argc < 2 || strcmp (argv[1], "--help") == 0 ||
      strcmp (argv[1], "-h") == 0) {
    usage (argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp (argv[1], "--version") == 0) {
    printf ("lstm %s\n", LSTM_VERSION_S);
    return 0;
  }
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0) {
      int ret = commands[i].func (argc - 1, argv + 1, &error);
      if (error != NULL)
        fprintf (stderr, "lstm %s: %s\n", commands[i].name, error->message);
      return ret;
    }
  fprintf (stderr, "lstm: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
