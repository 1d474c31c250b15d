#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyTorch CPU reference for bench-train: the same model, batch and
sequence length, one thread. Prints one line: frames per second, the
mean loss at the last step, the BLAS library.

    bench_train_torch.py CELL INPUT HIDDEN CLASSES BATCH LENGTH STEPS [DATA]

DATA: bench-train's frames (float32, BATCH x LENGTH x INPUT) followed by
its classes (uint32, BATCH x LENGTH); random ones without it. The model
starts from the same initial weights for the timed steps as for the
warm-up step (reloaded), so STEPS steps are counted from a fresh model.
"""

import copy
import sys
import time

import numpy as np
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
    if len(argv) > 8:
        raw = np.fromfile(argv[8], dtype=np.uint8)
        nx = B * T * I * 4
        x = torch.from_numpy(raw[:nx].view(np.float32).reshape(B, T, I).copy())
        y = torch.from_numpy(raw[nx:].view(np.uint32).astype(np.int64)
                             .reshape(B, T))
    else:
        x = torch.randn(B, T, I)
        y = torch.randint(0, C, (B, T))

    def step():
        out, _ = rnn(x)
        loss = nn.functional.cross_entropy(head(out).reshape(-1, C),
                                           y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    fresh = copy.deepcopy((rnn.state_dict(), head.state_dict(),
                           opt.state_dict()))
    step()                                  # warm-up
    rnn.load_state_dict(fresh[0])
    head.load_state_dict(fresh[1])
    opt.load_state_dict(fresh[2])
    t0 = time.process_time()           # CPU time: the machine is shared
    for _ in range(steps):
        last = step()
    dt = time.process_time() - t0
    # which BLAS this PyTorch runs on (Debian's links libblas.so.3, the
    # reference BLAS unless OpenBLAS is installed as the alternative)
    blas = "?"
    with open("/proc/self/maps") as f:
        for line in f:
            if "blas" in line and ".so" in line:
                blas = line.split()[-1]
                break
    print(f"{steps * B * T / dt:.1f} {last:.6f} {blas}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
