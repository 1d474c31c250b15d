#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Inference benchmark: liblstm vs PyTorch CPU (one thread), same run.

For a few model sizes, times one stream (batch 1):
  - streaming, one frame per call: PyTorch calls the module per frame with
    (h, c) carried; liblstm calls lstm_model_forward per frame;
  - offline, the whole sequence in one call.
Prints microseconds per frame and the ratio PyTorch / liblstm (above 1:
liblstm is faster). Figures only: it never fails on time.

Usage: bench_forward.py BENCH_FORWARD_BINARY
"""
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

CASES = [
    ("lstm I40 H128 x2 + softmax 4", nn.LSTM, 40, 128, 2, 4),
    ("gru I40 H256 x1 + softmax 4", nn.GRU, 40, 256, 1, 4),
    ("lstm I64 H512 x1 + linear 8", nn.LSTM, 64, 512, 1, 8),
]
STREAM_FRAMES = 2000
SEQ_FRAMES = 2000


class Net(nn.Module):
    def __init__(self, cls, i, h, layers, c):
        super().__init__()
        self.rnn = cls(i, h, num_layers=layers, batch_first=True)
        self.head = nn.Linear(h, c)

    def forward(self, x, state=None):
        y, state = self.rnn(x, state)
        return torch.softmax(self.head(y), -1), state


def best_of(fn, reps=3):
    best = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    binary = sys.argv[1]
    print(f"{'model':34} {'mode':22} {'PyTorch us/f':>12} {'liblstm us/f':>12} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for name, cls, i, h, layers, c in CASES:
            net = Net(cls, i, h, layers, c).eval()
            path = os.path.join(tmp, "m.safetensors")
            export(net, path, activations={"head": "softmax"})
            x = torch.randn(1, STREAM_FRAMES, i)

            def stream():
                state = None
                for t in range(STREAM_FRAMES):
                    _, state = net(x[:, t:t + 1], state)

            def whole():
                net(x[:, :SEQ_FRAMES])

            pt_stream = best_of(stream) / STREAM_FRAMES
            pt_whole = best_of(whole) / SEQ_FRAMES
            for mode, chunk, pt in (("stream, 1 frame/call", 1, pt_stream),
                                    ("sequence, 1 call", SEQ_FRAMES, pt_whole)):
                out = subprocess.run([binary, path, str(STREAM_FRAMES), str(chunk)],
                                     check=True, capture_output=True, text=True).stdout
                ours = json.loads(out)["seconds_per_frame"]
                print(f"{name:34} {mode:22} {pt * 1e6:12.2f} {ours * 1e6:12.2f} {pt / ours:6.2f}x")
    print(f"kernels: {json.loads(out)['kernels']}; torch {torch.__version__}, 1 thread")


if __name__ == "__main__":
    main()
