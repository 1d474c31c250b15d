/* lstm generate: sample text from a character model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-train-tool.h"

/* Index of the label that is the character @c, or -1. */
static gint
label_index (const gchar *const *labels, gunichar c)
{
  guint i;
  for (i = 0; labels[i]; i++)
    if (g_utf8_get_char (labels[i]) == c)
      return (gint) i;
  return -1;
}

/* Draws from the model's probabilities @p sharpened or flattened by
 * @temperature (q ~ p^(1/T)); T = 0 takes the most likely character. */
static guint
sample (const float *p, guint n, double temperature, GRand *rand, double *q)
{
  double sum = 0, u, m = -INFINITY;
  guint i;

  if (temperature <= 0)
    return lstm_tool_argmax (p, n);
  for (i = 0; i < n; i++) {
    q[i] = p[i] > 0 ? log (p[i]) / temperature : -INFINITY;
    m = MAX (m, q[i]);
  }
  for (i = 0; i < n; i++) {
    q[i] = exp (q[i] - m);
    sum += q[i];
  }
  u = g_rand_double (rand) * sum;
  for (i = 0; i < n; i++) {
    u -= q[i];
    if (u < 0)
      return i;
  }
  return lstm_tool_argmax (p, n);
}

int
lstm_tool_generate (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) opt_error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree gchar *seed_text = NULL;
  g_autofree float *x = NULL, *out = NULL;
  g_autofree double *q = NULL;
  const gchar *const *labels;
  double temperature = 1.0;
  gint length = 200;
  gint64 seed = -1;
  GRand *rand;
  guint V, i;
  const gchar *p;
  GOptionEntry entries[] = {
    {"seed-text", 0, 0, G_OPTION_ARG_STRING, &seed_text,
        "Text to start from (printed first)", "TEXT"},
    {"temperature", 0, 0, G_OPTION_ARG_DOUBLE, &temperature,
        "Below 1: safer, above 1: wilder, 0: always the likeliest "
        "(default 1)", "X"},
    {"length", 0, 0, G_OPTION_ARG_INT, &length,
        "Characters to generate (default 200)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed,
        "Random seed (default: random)", "N"},
    {NULL}
  };

  ctx = g_option_context_new ("MODEL");
  g_option_context_set_summary (ctx, "Samples text from a character model "
      "made by 'lstm train --text'.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &opt_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s",
        opt_error->message);
    return 1;
  }
  if (argc != 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "usage: lstm generate MODEL [--seed-text T] [--temperature X] "
        "[--length N]");
    return 1;
  }
  if (!(temperature >= 0) || !isfinite (temperature) || length < 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--temperature must be finite and at least 0, --length at least 0");
    return 1;
  }
  if (seed_text && !g_utf8_validate (seed_text, -1, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "--seed-text is not valid UTF-8");
    return 1;
  }
  model = lstm_model_load (argv[1], error);
  if (model == NULL || !lstm_tool_is_char_model (model, error))
    return 1;
  if (!lstm_model_is_streamable (model)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
        "%s: a bidirectional model cannot generate text", argv[1]);
    return 1;
  }
  labels = lstm_model_get_labels (model);
  V = lstm_model_get_output_size (model);
  state = lstm_state_new (model);
  x = g_new0 (float, V);
  out = g_new0 (float, V);
  q = g_new0 (double, V);
  rand = seed >= 0 ? g_rand_new_with_seed ((guint32) seed ^ (guint32)
      (seed >> 32)) : g_rand_new ();

  /* the seed text, or a start that looks like the start of a line */
  if (seed_text && *seed_text) {
    for (p = seed_text; *p; p = g_utf8_next_char (p)) {
      gint k = label_index (labels, g_utf8_get_char (p));
      if (k < 0) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
            "--seed-text: character '%.*s' is not in the model's vocabulary",
            (int) (g_utf8_next_char (p) - p), p);
        g_rand_free (rand);
        return 1;
      }
      memset (x, 0, V * sizeof (float));
      x[k] = 1.0f;
      if (!lstm_model_forward (model, state, x, 1, out, error)) {
        g_rand_free (rand);
        return 1;
      }
    }
    fputs (seed_text, stdout);
  } else {
    gint k = label_index (labels, '\n');
    memset (x, 0, V * sizeof (float));
    if (k >= 0)
      x[k] = 1.0f;
    if (!lstm_model_forward (model, state, x, 1, out, error)) {
      g_rand_free (rand);
      return 1;
    }
  }
  for (i = 0; i < (guint) length; i++) {
    guint c = sample (out, V, temperature, rand, q);
    fputs (labels[c], stdout);
    memset (x, 0, V * sizeof (float));
    x[c] = 1.0f;
    if (!lstm_model_forward (model, state, x, 1, out, error)) {
      g_rand_free (rand);
      return 1;
    }
  }
  fputc ('\n', stdout);
  g_rand_free (rand);
  return 0;
}
