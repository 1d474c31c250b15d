/* lstm info MODEL
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lstm-tool.h"

static void
print_human (const gchar *what, guint64 n)
{
  if (n >= 10000000)
    printf ("%-12s %" G_GUINT64_FORMAT " (%.1f M)\n", what, n, n / 1e6);
  else if (n >= 10000)
    printf ("%-12s %" G_GUINT64_FORMAT " (%.1f k)\n", what, n, n / 1e3);
  else
    printf ("%-12s %" G_GUINT64_FORMAT "\n", what, n);
}

int
lstm_tool_info (int argc, char **argv, GError **error)
{
  g_autoptr (LstmModel) model = NULL;
  g_auto (GStrv) keys = NULL;
  const gchar *const *labels;
  guint i;

  if (argc != 2 || strcmp (argv[1], "--help") == 0) {
    fprintf (argc == 2 ? stdout : stderr,
        "Usage: lstm info MODEL\n\n"
        "Prints a model's architecture, parameter count, FLOPs per frame,\n"
        "task, labels, feature configuration and description.\n");
    return argc == 2 ? 0 : 2;
  }
  model = lstm_model_load (argv[1], error);
  if (model == NULL)
    return 1;

  printf ("%-12s %s\n", "model", argv[1]);
  printf ("%-12s %s\n", "task", lstm_task_to_string (lstm_model_get_task
          (model)));
  printf ("%-12s %u values per frame\n", "input",
      lstm_model_get_input_size (model));
  printf ("%-12s %u values per frame\n", "output",
      lstm_model_get_output_size (model));
  print_human ("parameters", lstm_model_get_n_params (model));
  print_human ("FLOPs/frame", lstm_model_get_flops_per_frame (model));
  printf ("%-12s %s\n", "streaming", lstm_model_is_streamable (model) ? "yes"
      : "no (bidirectional: whole sequences only)");
  printf ("layers:\n");
  for (i = 0; i < lstm_model_get_n_layers (model); i++) {
    LstmLayerInfo li;
    lstm_model_get_layer_info (model, i, &li);
    if (li.type == LSTM_LAYER_LAG) {
      guint k;
      printf ("  %-10s lag     %u -> %u, lags", li.name, li.input_size,
          li.output_size);
      for (k = 0; k < li.n_lags; k++)
        printf ("%s%u", k ? "," : " ", li.lags[k]);
      printf (" (frames back)\n");
    } else if (li.type == LSTM_LAYER_LINEAR)
      printf ("  %-10s linear  %u -> %u, activation %s%s%s%s\n", li.name,
          li.input_size, li.output_size,
          lstm_activation_to_string (li.activation), li.bias ? "" :
          ", no bias", li.skip ? ", input also from " : "",
          li.skip ? li.skip : "");
    else
      printf ("  %-10s %-6s  %u -> %u, hidden %u x %u layer%s%s%s%s%s\n",
          li.name, lstm_layer_type_to_string (li.type), li.input_size,
          li.output_size, li.hidden_size, li.num_layers,
          li.num_layers == 1 ? "" : "s", li.bidirectional ?
          ", bidirectional" : "", li.peephole ? ", peephole" : "",
          li.bias ? "" : ", no bias", li.type == LSTM_LAYER_GRU &&
          !li.reset_after ? ", reset before the recurrent product" : "");
  }
  labels = lstm_model_get_labels (model);
  if (labels != NULL) {
    printf ("labels:");
    for (i = 0; labels[i]; i++)
      printf (" %s", labels[i]);
    printf ("\n");
  }
  if (lstm_model_get_input_mean (model) || lstm_model_get_input_std (model))
    printf ("%-12s%s%s\n", "normalised:", lstm_model_get_input_mean (model)
        ? " mean" : "", lstm_model_get_input_std (model) ? " std" : "");
  keys = lstm_model_list_metadata (model);
  for (i = 0; keys[i]; i++) {
    if (strcmp (keys[i], "lstm.architecture") == 0 ||
        strcmp (keys[i], "lstm.labels") == 0 ||
        strcmp (keys[i], "lstm.task") == 0 ||
        strcmp (keys[i], "lstm.format") == 0)
      continue;
    printf ("%s: %s\n", g_str_has_prefix (keys[i], "lstm.") ? keys[i] + 5 :
        keys[i], lstm_model_get_metadata (model, keys[i]));
  }
  return 0;
}
