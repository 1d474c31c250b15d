#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyTorch CPU reference for bench-train: the same model, batch and
sequence length, one thread. Prints one line: frames per second.

    bench_train_torch.py CELL INPUT HIDDEN CLASSES BATCH LENGTH STEPS
"""

import sys
import time

import torch
import torch.nn as nn


def main(argv):
    cell, I, H, C, B, T, steps = argv[1], *map(int, argv[2:8])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(I, H, batch_first=True)
    head = nn.Linear(H, C)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(B, T, I)
    y = torch.randint(0, C, (B, T))

    def step():
        out, _ = rnn(x)
        loss = nn.functional.cross_entropy(head(out).reshape(-1, C),
                                           y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()                                  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    # which BLAS this PyTorch runs on (Debian's links libblas.so.3, the
    # reference BLAS unless OpenBLAS is installed as the alternative)
    blas = "?"
    with open("/proc/self/maps") as f:
        for line in f:
            if "blas" in line and ".so" in line:
                blas = line.split()[-1]
                break
    print(f"{steps * B * T / dt:.1f} {blas}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
