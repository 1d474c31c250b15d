#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Inference benchmark: liblstm, PyTorch and oneDNN side by side, same run.

Two models, SMALL (in 40, LSTM 128 x 2, linear 10) and LARGE (in 80,
LSTM 512 x 2, linear 10), three ways each:
  - streaming, 1 frame per call (the recurrent state carried across calls);
  - 100 frames per call;
  - offline: 32 sequences x 1000 frames in one batched call (liblstm:
    lstm_model_forward_sequences).
Per row: microseconds per frame (best of a few passes; process CPU time, so
time spent waiting for a shared core is not counted), the ratios
PyTorch / liblstm and oneDNN / liblstm (above 1: liblstm is faster), and
liblstm's GFLOP/s and weight traffic against the machine's measured limits
(bench-machine: FMA peak, read bandwidth of the cache level the weights fit
in). Under each liblstm row, a "bf16" row: liblstm with bf16 weights
(lstm_state_new_with_precision), its ratios against the same fp32 PyTorch
and oneDNN figures (--no-bf16 leaves these rows out). Figures only: it
never fails on time.

Usage: bench_forward.py BENCH_FORWARD [--dnnl BENCH_DNNL] [--machine JSON]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools"))

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("SKIP: python3-torch is not installed")
    sys.exit(77)
from export_pytorch import export  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)

# name, input, hidden, layers, classes, streaming frames, passes
MODELS = [
    ("SMALL", 40, 128, 2, 10, 2000, 5),
    ("LARGE", 80, 512, 2, 10, 300, 3),
]
OFFLINE_BATCH, OFFLINE_FRAMES = 32, 1000


class Net(nn.Module):
    def __init__(self, i, h, layers, c):
        super().__init__()
        self.rnn = nn.LSTM(i, h, num_layers=layers, batch_first=True)
        self.head = nn.Linear(h, c)

    def forward(self, x, state=None):
        y, state = self.rnn(x, state)
        return self.head(y), state


def best_of(fn, reps):
    best = 1e30
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def torch_blas():
    """The BLAS library PyTorch has loaded (after a matmul), from the maps."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in os.path.basename(path).lower():
                libs.add(os.path.realpath(path))
    return ", ".join(sorted(libs)) or "built-in (none loaded)"


def flops_bytes(i, h, layers, c, chunk, wbytes=4):
    """FLOPs per frame and weight bytes streamed per frame at @chunk frames
    per call (input projections and head: once per call; recurrent
    weights: every frame), with @wbytes bytes per weight-matrix element
    (biases stay float32)."""
    flops, per_call, per_frame = 0, 0, 0
    for l in range(layers):
        inp = i if l == 0 else h
        flops += 2 * 4 * h * (inp + h) + 12 * h
        per_call += wbytes * 4 * h * inp + 4 * 8 * h
        per_frame += wbytes * 4 * h * h
    flops += 2 * h * c
    per_call += wbytes * h * c + 4 * c
    return flops, per_frame + per_call / chunk, per_frame + per_call


def run_ours(binary, path, frames, chunk, reps, env=None, batch=1,
             precision="fp32"):
    out = subprocess.run([binary, path, str(frames), str(chunk), str(reps),
                          precision, str(batch)],
                         check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out)


def run_dnnl(binary, i, h, layers, c, frames, chunk, batch, reps):
    if binary is None:
        return None
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([binary, str(i), str(h), str(layers), str(c),
                          str(frames), str(chunk), str(batch), str(reps)],
                         check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out)


def fmt(v):
    return f"{v * 1e6:9.2f}" if v is not None else f"{'-':>9}"


def ratio(a, b):
    return f"{a / b:6.2f}x" if a is not None and b else f"{'-':>7}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_forward")
    ap.add_argument("--dnnl")
    ap.add_argument("--machine", help="bench-machine's JSON output")
    ap.add_argument("--kernels", help="LSTM_KERNELS for liblstm")
    ap.add_argument("--no-bf16", action="store_true",
                    help="leave out the rows of liblstm with bf16 weights")
    args = ap.parse_args()
    machine = json.loads(args.machine) if args.machine else None
    env = dict(os.environ)
    if args.kernels:
        env["LSTM_KERNELS"] = args.kernels
    dnnl_version = None

    print(f"{'row':34} {'liblstm':>9} {'PyTorch':>9} {'oneDNN':>9} "
          f"{'PT/ours':>7} {'DNNL/ours':>9} {'GFLOP/s':>8} {'%peak':>6} "
          f"{'GB/s':>7} {'%bw':>5} {'bound':>5}")
    print(f"{'':34} {'us/frame':>9} {'us/frame':>9} {'us/frame':>9}")
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for name, i, h, layers, c, frames, reps in MODELS:
            net = Net(i, h, layers, c).eval()
            path = os.path.join(tmp, name + ".safetensors")
            export(net, path)
            x = torch.randn(1, frames, i)
            xb = torch.randn(OFFLINE_BATCH, OFFLINE_FRAMES, i)

            def stream(chunk):
                def go():
                    state = None
                    for t in range(0, frames, chunk):
                        _, state = net(x[:, t:t + chunk], state)
                return go

            rows = [
                ("streaming, 1 frame/call", 1, frames, 1),
                ("100 frames/call", 100, frames, 1),
                (f"offline {OFFLINE_BATCH}x{OFFLINE_FRAMES}", OFFLINE_FRAMES,
                 OFFLINE_FRAMES, OFFLINE_BATCH),
            ]
            for mode, chunk, n, batch in rows:
                r = run_ours(args.bench_forward, path, n, chunk,
                             reps if batch == 1 else max(2, reps - 2), env,
                             batch)
                kernels = r["kernels"]
                ours = r["seconds_per_frame"]
                if batch == 1:
                    pt = best_of(stream(chunk), reps) / n
                else:
                    pt = best_of(lambda: net(xb), max(2, reps - 2)) / (
                        n * batch)
                d = run_dnnl(args.dnnl, i, h, layers, c, n, chunk, batch,
                             reps if batch == 1 else max(2, reps - 2))
                dn = d["seconds_per_frame"] if d else None
                if d:
                    dnnl_version = d["dnnl"]
                precs = ["fp32"] + ([] if args.no_bf16 or batch > 1
                                    else ["bf16"])
                for prec in precs:
                    if prec == "bf16":
                        r = run_ours(args.bench_forward, path, n, chunk, reps,
                                     env, 1, "bf16")
                        kernels_bf16 = r["kernels"]
                        ours = r["seconds_per_frame"]
                    flops, bytes_frame, footprint = flops_bytes(
                        i, h, layers, c, chunk, 2 if prec == "bf16" else 4)
                    if batch > 1:
                        # the batch's frames of one step share one pass over
                        # every weight
                        bytes_frame = footprint / batch
                    gflops = flops / ours / 1e9
                    gbps = bytes_frame / ours / 1e9
                    cols = ""
                    if machine:
                        if footprint <= machine["l2_bytes"]:
                            bw = machine["l2_gbps"]
                        elif footprint <= machine["l3_bytes"]:
                            bw = machine["l3_gbps"]
                        else:
                            bw = machine["dram_gbps"]
                        fp, fb = gflops / machine["peak_gflops"], gbps / bw
                        cols = (f" {100 * fp:5.1f}% {gbps:7.1f} "
                                f"{100 * fb:4.0f}% "
                                f"{'FMA' if fp > fb else 'mem':>5}")
                    label = name + " " + mode + (", bf16" if prec == "bf16"
                                                 else "")
                    print(f"{label:34} {fmt(ours)} {fmt(pt)} "
                          f"{fmt(dn)} {ratio(pt, ours)} {ratio(dn, ours):>9} "
                          f"{gflops:8.2f}{cols}", flush=True)
    if not args.no_bf16:
        print(f"liblstm bf16 rows: kernels {kernels_bf16} (bf16 weight "
              "matrices, float32 sums); PyTorch and oneDNN: float32")
    print(f"liblstm kernels: {kernels}; PyTorch {torch.__version__}, "
          f"1 thread, BLAS: {torch_blas()}; oneDNN "
          f"{dnnl_version or 'not built (libdnnl-dev missing)'}")


if __name__ == "__main__":
    main()
