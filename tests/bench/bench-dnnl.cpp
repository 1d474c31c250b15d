/* Benchmark reference: the same stacked LSTM + linear head through oneDNN.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: bench-dnnl INPUT HIDDEN LAYERS CLASSES FRAMES CHUNK BATCH REPEATS
 * Runs BATCH independent sequences of FRAMES frames, CHUNK frames per call
 * (the recurrent state carried from call to call, as a stream does), through
 * one oneDNN LSTM primitive per stacked layer (weights in the layout the
 * primitive prefers, reordered once before timing) and a matmul for the head.
 * Prints one JSON object: seconds per frame (per frame of one sequence:
 * the time of a pass divided by FRAMES * BATCH), best of REPEATS passes.
 * Times are the process's CPU time (run with OMP_NUM_THREADS=1), so that
 * time spent waiting for a shared core is not counted. bench_forward.py
 * runs it next to liblstm and PyTorch.
 */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <time.h>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

static double
cpu_seconds ()
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Layer {
  lstm_forward prim;
  memory src_layer, dst_layer, w_layer, w_iter, bias;
  memory iter[2], iter_c[2];    /* h and c, double-buffered across calls */
};

static void
fill (memory &m, std::mt19937 &rng, float scale)
{
  std::uniform_real_distribution<float> u (-scale, scale);
  float *p = static_cast<float *> (m.get_data_handle ());
  size_t n = m.get_desc ().get_size () / sizeof (float);
  for (size_t i = 0; i < n; i++)
    p[i] = u (rng);
}

int
main (int argc, char **argv)
{
  if (argc != 9) {
    std::fprintf (stderr, "usage: bench-dnnl INPUT HIDDEN LAYERS CLASSES "
        "FRAMES CHUNK BATCH REPEATS\n");
    return 2;
  }
  const memory::dim I = std::atol (argv[1]), H = std::atol (argv[2]);
  const int L = std::atoi (argv[3]);
  const memory::dim C = std::atol (argv[4]), F = std::atol (argv[5]);
  const memory::dim T = std::atol (argv[6]), N = std::atol (argv[7]);
  const int repeats = std::atoi (argv[8]);
  engine eng (engine::kind::cpu, 0);
  stream s (eng);
  std::mt19937 rng (1);
  std::vector<Layer> layers (L);
  float scale = 1.0f / std::sqrt ((float) H);

  for (int l = 0; l < L; l++) {
    Layer &y = layers[l];
    memory::dim in = l == 0 ? I : H;
    memory::desc src_md ({T, N, in}, dt::f32, tag::tnc);
    memory::desc dst_md ({T, N, H}, dt::f32, tag::tnc);
    memory::desc iter_md ({1, 1, N, H}, dt::f32, tag::ldnc);
    memory::desc wl_any ({1, 1, in, 4, H}, dt::f32, tag::any);
    memory::desc wi_any ({1, 1, H, 4, H}, dt::f32, tag::any);
    memory::desc bias_md ({1, 1, 4, H}, dt::f32, tag::ldgo);
    lstm_forward::desc d (prop_kind::forward_inference,
        rnn_direction::unidirectional_left2right, src_md, iter_md, iter_md,
        wl_any, wi_any, bias_md, dst_md, iter_md, iter_md);
    lstm_forward::primitive_desc pd (d, eng);
    memory wl_plain ({{1, 1, in, 4, H}, dt::f32, tag::ldigo}, eng);
    memory wi_plain ({{1, 1, H, 4, H}, dt::f32, tag::ldigo}, eng);

    fill (wl_plain, rng, scale);
    fill (wi_plain, rng, scale);
    y.w_layer = memory (pd.weights_layer_desc (), eng);
    y.w_iter = memory (pd.weights_iter_desc (), eng);
    reorder (wl_plain, y.w_layer).execute (s, wl_plain, y.w_layer);
    reorder (wi_plain, y.w_iter).execute (s, wi_plain, y.w_iter);
    y.bias = memory (bias_md, eng);
    fill (y.bias, rng, scale);
    y.src_layer = l == 0 ? memory (src_md, eng) : layers[l - 1].dst_layer;
    y.dst_layer = memory (dst_md, eng);
    for (int k = 0; k < 2; k++) {
      y.iter[k] = memory (iter_md, eng);
      y.iter_c[k] = memory (iter_md, eng);
    }
    y.prim = lstm_forward (pd);
  }

  /* head: (T*N, H) x (H, C) + bias */
  memory::desc hx_md ({T * N, H}, dt::f32, tag::ab);
  memory::desc hw_md ({H, C}, dt::f32, tag::any);
  memory::desc hb_md ({1, C}, dt::f32, tag::ab);
  memory::desc hy_md ({T * N, C}, dt::f32, tag::ab);
  matmul::primitive_desc hpd (matmul::desc (hx_md, hw_md, hb_md, hy_md), eng);
  memory hw_plain ({{H, C}, dt::f32, tag::ab}, eng);
  fill (hw_plain, rng, scale);
  memory hw (hpd.weights_desc (), eng);
  reorder (hw_plain, hw).execute (s, hw_plain, hw);
  memory hb (hb_md, eng), hy (hy_md, eng);
  fill (hb, rng, scale);
  memory hx (hx_md, eng, layers[L - 1].dst_layer.get_data_handle ());
  matmul head (hpd);

  std::vector<float> input ((size_t) F * N * I);
  {
    std::uniform_real_distribution<float> u (-1.0f, 1.0f);
    for (float &v : input)
      v = u (rng);
  }

  double best = 1e30;
  for (int r = 0; r < repeats; r++) {
    for (Layer &y : layers)
      for (int k = 0; k < 2; k++) {
        std::fill_n (static_cast<float *> (y.iter[k].get_data_handle ()),
            N * H, 0.0f);
        std::fill_n (static_cast<float *> (y.iter_c[k].get_data_handle ()),
            N * H, 0.0f);
      }
    double t0 = cpu_seconds ();
    int cur = 0;
    for (memory::dim done = 0; done < F; done += T) {
      /* the chunk's frames, time-major (T, N, I) */
      float *src = static_cast<float *> (layers[0].src_layer.get_data_handle ());
      for (memory::dim t = 0; t < T; t++)
        for (memory::dim n = 0; n < N; n++)
          std::copy_n (&input[((size_t) n * F + done + t) * I], I,
              src + ((size_t) t * N + n) * I);
      for (Layer &y : layers)
        y.prim.execute (s, {
              {DNNL_ARG_SRC_LAYER, y.src_layer},
              {DNNL_ARG_SRC_ITER, y.iter[cur]},
              {DNNL_ARG_SRC_ITER_C, y.iter_c[cur]},
              {DNNL_ARG_WEIGHTS_LAYER, y.w_layer},
              {DNNL_ARG_WEIGHTS_ITER, y.w_iter},
              {DNNL_ARG_BIAS, y.bias},
              {DNNL_ARG_DST_LAYER, y.dst_layer},
              {DNNL_ARG_DST_ITER, y.iter[1 - cur]},
              {DNNL_ARG_DST_ITER_C, y.iter_c[1 - cur]}});
      head.execute (s, {{DNNL_ARG_SRC, hx}, {DNNL_ARG_WEIGHTS, hw},
            {DNNL_ARG_BIAS, hb}, {DNNL_ARG_DST, hy}});
      s.wait ();
      cur = 1 - cur;
    }
    best = std::min (best, cpu_seconds () - t0);
  }
  std::printf ("{\"seconds_per_frame\": %.9g, \"dnnl\": \"%d.%d.%d\"}\n",
      best / ((double) F * N), dnnl_version ()->major,
      dnnl_version ()->minor, dnnl_version ()->patch);
  return 0;
}
