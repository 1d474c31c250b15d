/* write-model: creates a randomly initialised model with liblstm's own
 * writer, for the PyTorch round-trip test (test-roundtrip.py).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   write-model ARCHITECTURE SEED OUT.safetensors [LABELS [MEAN STD]]
 *
 * LABELS, MEAN and STD are comma-separated lists ("-" for none).
 */
#include "config.h"

#include <stdlib.h>

#include <lstm/lstm.h>

static float *
parse_floats (const gchar *csv, guint want)
{
  g_auto (GStrv) parts = g_strsplit (csv, ",", -1);
  float *v;
  guint i;

  if (g_strv_length (parts) != want) {
    g_printerr ("write-model: '%s' has %u values, the model takes %u\n", csv,
        g_strv_length (parts), want);
    exit (2);
  }
  v = g_new (float, want);
  for (i = 0; i < want; i++)
    v[i] = (float) g_ascii_strtod (parts[i], NULL);
  return v;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) probe = NULL, model = NULL;
  g_auto (GStrv) labels = NULL;
  g_autofree float *mean = NULL, *std = NULL;
  LstmModelOptions opts = { 0 };

  if (argc != 4 && argc != 5 && argc != 7) {
    g_printerr ("Usage: write-model ARCHITECTURE SEED OUT [LABELS [MEAN "
        "STD]]\n");
    return 2;
  }
  opts.seed = g_ascii_strtoull (argv[2], NULL, 10);
  if (argc >= 5 && g_strcmp0 (argv[4], "-") != 0) {
    labels = g_strsplit (argv[4], ",", -1);
    opts.labels = (const gchar * const *) labels;
  }
  if (argc == 7) {
    probe = lstm_model_new (argv[1], NULL, &error);
    if (probe == NULL)
      goto fail;
    mean = parse_floats (argv[5], lstm_model_get_input_size (probe));
    std = parse_floats (argv[6], lstm_model_get_input_size (probe));
    opts.input_mean = mean;
    opts.input_std = std;
  }
  opts.description = "written by liblstm's writer for the round-trip test";
  model = lstm_model_new (argv[1], &opts, &error);
  if (model == NULL || !lstm_model_save (model, argv[3], &error))
    goto fail;
  return 0;

fail:
  g_printerr ("write-model: %s\n", error->message);
  return 1;
}
