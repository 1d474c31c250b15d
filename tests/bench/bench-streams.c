/* Benchmark: how many real-time streams one process sustains, batched.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: bench-streams [THREADS] [FRAMES_PER_SECOND]
 *
 * The SMALL model of the benchmarks (in 40, LSTM 128 x 2, linear 10, seeded
 * weights) runs N streams, each with its own state, one batch step of N
 * frames at a time (lstm_model_forward_batch(), what lstmbatch calls), on
 * THREADS threads (default 2, the streams split between them, as two
 * lstmbatch elements would). For N = 250, 500, 1000, 2000, 4000 it prints
 * the time of one step (best of several) and whether every stream keeps up
 * with FRAMES_PER_SECOND (default 100) frames a second: N streams are
 * sustained when one step takes at most 1 / FRAMES_PER_SECOND seconds.
 * The last line gives the largest N sustained, measured in this run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <lstm/lstm.h>

#define SMALL \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":40," \
  "\"hidden_size\":128,\"num_layers\":2},{\"type\":\"linear\"," \
  "\"name\":\"head\",\"out_features\":10}]"

typedef struct {
  LstmModel *model;
  LstmState **states;
  guint n;
  float *in, *out;
  guint steps;
  gboolean ok;
} Part;

static gpointer
run_part (gpointer data)
{
  Part *p = data;
  guint s;

  p->ok = TRUE;
  for (s = 0; s < p->steps && p->ok; s++)
    p->ok = lstm_model_forward_batch (p->model, p->states, p->n,
        LSTM_NAN_POLICY_RESET, p->in, p->out, NULL, NULL);
  return NULL;
}

/* Seconds per step for @n streams on @threads threads, best of @reps. */
static double
time_step (LstmModel *model, guint n, guint threads, guint reps)
{
  const guint I = lstm_model_get_input_size (model);
  const guint O = lstm_model_get_output_size (model);
  Part *parts = g_new0 (Part, threads);
  GThread **th = g_new0 (GThread *, threads);
  double best = 1e30;
  guint t, i, r, at = 0;

  for (t = 0; t < threads; t++) {
    Part *p = &parts[t];
    p->model = model;
    p->n = n / threads + (t < n % threads);
    p->states = g_new (LstmState *, MAX (p->n, 1));
    for (i = 0; i < p->n; i++)
      p->states[i] = lstm_state_new (model);
    p->in = g_new (float, (gsize) MAX (p->n, 1) * I);
    p->out = g_new (float, (gsize) MAX (p->n, 1) * O);
    for (i = 0; i < p->n * I; i++)
      p->in[i] = (float) (((at + i) * 2654435761u) % 2001) / 1000.0f - 1.0f;
    at += p->n * I;
  }
  for (r = 0; r < reps; r++) {
    /* enough steps for about 50 ms of work, at least 2 */
    guint steps = MAX (2, 5000000 / (n * 300 + 1));
    gint64 t0 = g_get_monotonic_time ();
    for (t = 0; t < threads; t++) {
      parts[t].steps = steps;
      th[t] = g_thread_new ("streams", run_part, &parts[t]);
    }
    for (t = 0; t < threads; t++) {
      g_thread_join (th[t]);
      if (!parts[t].ok) {
        fprintf (stderr, "bench-streams: the batch step failed\n");
        exit (1);
      }
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6 / steps);
  }
  for (t = 0; t < threads; t++) {
    for (i = 0; i < parts[t].n; i++)
      lstm_state_free (parts[t].states[i]);
    g_free (parts[t].states);
    g_free (parts[t].in);
    g_free (parts[t].out);
  }
  g_free (parts);
  g_free (th);
  return best;
}

int
main (int argc, char **argv)
{
  static const guint counts[] = { 250, 500, 1000, 2000, 4000 };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) probe = NULL;
  LstmModelOptions opts = { 0 };
  guint threads = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 2;
  double fps = argc > 2 ? strtod (argv[2], NULL) : 100.0;
  guint i, sustained = 0;

  if (threads == 0 || fps <= 0) {
    fprintf (stderr, "usage: bench-streams [THREADS] [FRAMES_PER_SECOND]\n");
    return 2;
  }
  opts.seed = 1;
  model = lstm_model_new (SMALL, &opts, &error);
  if (model == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  probe = lstm_state_new (model);
  printf ("SMALL model, %u thread(s), kernels %s, real time = %g frames/s "
      "per stream\n", threads, lstm_state_get_kernels (probe), fps);
  printf ("%8s %14s %14s %10s\n", "streams", "step (ms)", "us/frame",
      "real time");
  for (i = 0; i < G_N_ELEMENTS (counts); i++) {
    double s = time_step (model, counts[i], threads, 3);
    gboolean ok = s <= 1.0 / fps;
    printf ("%8u %14.3f %14.3f %10s\n", counts[i], s * 1e3,
        s * 1e6 * threads / counts[i], ok ? "yes" : "no");
    if (ok)
      sustained = counts[i];
  }
  printf ("{\"threads\": %u, \"fps\": %g, \"streams_sustained\": %u}\n",
      threads, fps, sustained);
  return 0;
}
