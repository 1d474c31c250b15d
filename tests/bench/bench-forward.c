/* Benchmark: lstm_model_forward throughput on one stream, or
 * lstm_model_forward_sequences on a batch of sequences.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: bench-forward MODEL FRAMES CHUNK [REPEATS [PRECISION [BATCH]]]
 * Prints one JSON object: seconds per frame, best of REPEATS (default 5)
 * runs, for FRAMES frames fed CHUNK frames per call, at PRECISION (fp32,
 * the default, or bf16: lstm_state_new_with_precision); with BATCH > 1
 * (fp32), BATCH different sequences of FRAMES frames each in one
 * lstm_model_forward_sequences() call (CHUNK is then ignored), per frame
 * of the BATCH x FRAMES. Times are the
 * process's CPU time, so that time spent waiting for a shared core is not
 * counted. bench_forward.py runs it next to PyTorch and oneDNN in the same
 * run and prints the ratios.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lstm/lstm.h>

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree float *in = NULL, *out = NULL;
  gsize frames, chunk, done, i;
  guint I, O, rep, repeats = 5, batch = 1, b;
  LstmPrecision precision = LSTM_PRECISION_FP32;
  double best = 1e30;

  if (argc < 4 || argc > 7) {
    fprintf (stderr, "usage: bench-forward MODEL FRAMES CHUNK [REPEATS "
        "[PRECISION [BATCH]]]\n");
    return 2;
  }
  model = lstm_model_load (argv[1], &error);
  if (model == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  frames = strtoul (argv[2], NULL, 10);
  chunk = strtoul (argv[3], NULL, 10);
  if (argc >= 5)
    repeats = MAX (1, strtoul (argv[4], NULL, 10));
  if (argc >= 6 && !lstm_precision_from_string (argv[5], &precision,
          &error)) {
    fprintf (stderr, "%s\n", error->message);
    return 2;
  }
  if (argc == 7)
    batch = MAX (1, strtoul (argv[6], NULL, 10));
  I = lstm_model_get_input_size (model);
  O = lstm_model_get_output_size (model);
  in = g_new (float, frames * I * batch);
  out = g_new (float, frames * O * batch);
  for (i = 0; i < frames * I * batch; i++)
    in[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
  state = lstm_state_new_with_precision (model, precision, &error);
  if (state == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  if (batch > 1) {
    g_autofree const float **ins = g_new (const float *, batch);
    g_autofree float **outs = g_new (float *, batch);
    g_autofree gsize *lens = g_new (gsize, batch);

    for (b = 0; b < batch; b++) {
      ins[b] = in + b * frames * I;
      outs[b] = out + b * frames * O;
      lens[b] = frames;
    }
    for (rep = 0; rep < repeats; rep++) {
      double t0 = cpu_seconds ();
      if (!lstm_model_forward_sequences (model, batch, ins, lens, outs,
              &error)) {
        fprintf (stderr, "%s\n", error->message);
        return 1;
      }
      best = MIN (best, cpu_seconds () - t0);
    }
    printf ("{\"kernels\": \"%s\", \"batch\": %u, "
        "\"seconds_per_frame\": %.9g}\n", lstm_state_get_kernels (state),
        batch, best / frames / batch);
    return 0;
  }
  for (rep = 0; rep < repeats; rep++) {
    double t0 = cpu_seconds ();
    lstm_state_reset (state);
    for (done = 0; done < frames; done += chunk) {
      gsize n = MIN (chunk, frames - done);
      if (!lstm_model_forward (model, state, in + done * I, n, out + done * O,
              &error)) {
        fprintf (stderr, "%s\n", error->message);
        return 1;
      }
    }
    best = MIN (best, cpu_seconds () - t0);
  }
  printf ("{\"kernels\": \"%s\", \"precision\": \"%s\", "
      "\"seconds_per_frame\": %.9g}\n", lstm_state_get_kernels (state),
      lstm_precision_to_string (precision), best / frames);
  return 0;
}
