/* Benchmark: lstm_model_forward throughput on one stream (batch 1).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: bench-forward MODEL FRAMES CHUNK
 * Prints one JSON object: seconds per frame, best of several runs, for
 * FRAMES frames fed CHUNK frames per call. bench_forward.py runs it next to
 * PyTorch in the same run and prints the ratios.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <lstm/lstm.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree float *in = NULL, *out = NULL;
  gsize frames, chunk, done, i;
  guint I, O, rep;
  double best = 1e30;

  if (argc != 4) {
    fprintf (stderr, "usage: bench-forward MODEL FRAMES CHUNK\n");
    return 2;
  }
  model = lstm_model_load (argv[1], &error);
  if (model == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  frames = strtoul (argv[2], NULL, 10);
  chunk = strtoul (argv[3], NULL, 10);
  I = lstm_model_get_input_size (model);
  O = lstm_model_get_output_size (model);
  in = g_new (float, frames * I);
  out = g_new (float, frames * O);
  for (i = 0; i < frames * I; i++)
    in[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
  state = lstm_state_new (model);
  for (rep = 0; rep < 5; rep++) {
    gint64 t0 = g_get_monotonic_time ();
    lstm_state_reset (state);
    for (done = 0; done < frames; done += chunk) {
      gsize n = MIN (chunk, frames - done);
      if (!lstm_model_forward (model, state, in + done * I, n, out + done * O,
              &error)) {
        fprintf (stderr, "%s\n", error->message);
        return 1;
      }
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
  }
  printf ("{\"kernels\": \"%s\", \"seconds_per_frame\": %.9g}\n",
      lstm_state_get_kernels (state), best / frames);
  return 0;
}
