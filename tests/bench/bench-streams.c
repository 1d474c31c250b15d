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
 *
 * On a loaded machine the wall time counts the other processes' turns too,
 * so each row also gives the CPU time the stream threads used per frame
 * (CLOCK_THREAD_CPUTIME_ID, best of the repeats) and the streams sustained
 * from it ("cpu": one step's CPU time per thread at most 1 /
 * FRAMES_PER_SECOND), and the first row is run a second time with each
 * stream's frame through lstm_model_forward_checked() alone, the baseline
 * of the batched kernels in the same run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
  gboolean alone;       /* each stream alone, not batched */
  gboolean ok;
  double cpu;           /* CPU seconds of the thread */
} Part;

static double
thread_cpu (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gpointer
run_part (gpointer data)
{
  Part *p = data;
  const guint I = lstm_model_get_input_size (p->model);
  const guint O = lstm_model_get_output_size (p->model);
  double c0 = thread_cpu ();
  guint s, i;

  p->ok = TRUE;
  for (s = 0; s < p->steps && p->ok; s++) {
    if (!p->alone) {
      p->ok = lstm_model_forward_batch (p->model, p->states, p->n,
          LSTM_NAN_POLICY_RESET, p->in, p->out, NULL, NULL);
      continue;
    }
    for (i = 0; i < p->n && p->ok; i++)
      p->ok = lstm_model_forward_checked (p->model, p->states[i],
          LSTM_NAN_POLICY_RESET, p->in + (gsize) i * I, 1,
          p->out + (gsize) i * O, NULL, NULL, NULL);
  }
  p->cpu = thread_cpu () - c0;
  return NULL;
}

/* Seconds per step for @n streams on @threads threads, best of @reps;
 * @cpu: the best CPU seconds per step, summed over the threads. */
static double
time_step (LstmModel *model, guint n, guint threads, guint reps,
    gboolean alone, double *cpu)
{
  const guint I = lstm_model_get_input_size (model);
  const guint O = lstm_model_get_output_size (model);
  Part *parts = g_new0 (Part, threads);
  GThread **th = g_new0 (GThread *, threads);
  double best = 1e30, best_cpu = 1e30;
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
    double c = 0;
    for (t = 0; t < threads; t++) {
      parts[t].steps = steps;
      parts[t].alone = alone;
      th[t] = g_thread_new ("streams", run_part, &parts[t]);
    }
    for (t = 0; t < threads; t++) {
      g_thread_join (th[t]);
      if (!parts[t].ok) {
        fprintf (stderr, "bench-streams: the batch step failed\n");
        exit (1);
      }
      c += parts[t].cpu;
    }
    best = MIN (best, (g_get_monotonic_time () - t0) / 1e6 / steps);
    best_cpu = MIN (best_cpu, c / steps);
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
  *cpu = best_cpu;
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
  guint i, sustained = 0, sustained_cpu = 0;
  double alone_cpu, first_cpu = 0;

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
  printf ("%8s %12s %12s %12s %10s %10s\n", "streams", "step (ms)",
      "wall us/fr", "cpu us/fr", "real time", "(cpu)");
  for (i = 0; i < G_N_ELEMENTS (counts); i++) {
    double cpu, s = time_step (model, counts[i], threads, 3, FALSE, &cpu);
    gboolean ok = s <= 1.0 / fps, ok_cpu = cpu / threads <= 1.0 / fps;
    printf ("%8u %12.3f %12.3f %12.3f %10s %10s\n", counts[i], s * 1e3,
        s * 1e6 * threads / counts[i], cpu * 1e6 / counts[i],
        ok ? "yes" : "no", ok_cpu ? "yes" : "no");
    if (ok)
      sustained = counts[i];
    if (ok_cpu)
      sustained_cpu = counts[i];
    if (i == 0)
      first_cpu = cpu;
  }
  time_step (model, counts[0], threads, 3, TRUE, &alone_cpu);
  printf ("%u streams each alone (lstm_model_forward_checked): cpu %.3f "
      "us/frame; batched %.2fx faster\n", counts[0],
      alone_cpu * 1e6 / counts[0], alone_cpu / first_cpu);
  printf ("{\"threads\": %u, \"fps\": %g, \"streams_sustained\": %u, "
      "\"streams_sustained_cpu\": %u, \"batched_speedup\": %.2f}\n",
      threads, fps, sustained, sustained_cpu, alone_cpu / first_cpu);
  return 0;
}
