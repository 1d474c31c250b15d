#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write balance-labels.txt: the label track of balance.f32.

balance.f32 (written by make-placeholders.py) is 10 s of two-channel frames
at 100 frames/s in stretches where one channel dominates: "left" (channel 0
larger) or "right". This replays the same random draws to recover the
stretches and writes them as an Audacity label track (start, end, label in
seconds, TAB-separated), the lstmtrain label-file example's labels. It
checks the result against the frames themselves.

    /usr/bin/python3 examples/data/make-balance-labels.py
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = 100
N = 10 * RATE


def main():
    rng = np.random.RandomState(20240601)
    spans = []
    total = 0
    while total < N:
        n = int(rng.randint(RATE // 2, 2 * RATE))
        side = int(rng.randint(2))
        for _ in range(n):
            rng.normal(0, 0.15)
            rng.normal(0, 0.1)
        spans.append((total, min(total + n, N), side))
        total += n

    x = np.fromfile(os.path.join(HERE, "balance.f32"), "<f4").reshape(-1, 2)
    assert len(x) == N
    for a, b, side in spans:
        dominant = np.argmax(x[a:b], axis=1)
        assert np.all(dominant == side), (a, b, side)

    with open(os.path.join(HERE, "balance-labels.txt"), "w") as f:
        for a, b, side in spans:
            f.write("%.2f\t%.2f\t%s\n" % (a / RATE, b / RATE,
                                          ("left", "right")[side]))
    print("balance-labels.txt: %d stretches" % len(spans))


if __name__ == "__main__":
    main()
