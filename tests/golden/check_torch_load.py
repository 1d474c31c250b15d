#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that a model trained by `lstm train` runs the same in PyTorch.

    check_torch_load.py MODEL INPUT.f32 OUTPUT.f32

Loads MODEL with tools/export_pytorch.py's to_torch (nn.LSTM/nn.GRU/
nn.Linear through load_state_dict), runs it on INPUT (raw float32 frames)
and compares with OUTPUT (liblstm's outputs for the same frames). Prints
the largest absolute and relative errors; exits 0 when they stay within
1e-5 (absolute, for values of order 1), else 1.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.environ.get("LSTM_SOURCE_ROOT",
                os.path.join(os.path.dirname(__file__), "..", "..")), "tools"))
from export_pytorch import to_torch  # noqa: E402


def main(argv):
    model, inp, out = argv[1:4]
    torch.set_num_threads(1)
    net, md = to_torch(model)
    first = next(iter(net.children()))
    n_in = getattr(first, "input_size", None) or first.in_features
    x = np.fromfile(inp, dtype="<f4").reshape(1, -1, n_in)
    want = np.fromfile(out, dtype="<f4")
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy().reshape(-1)
    if got.shape != want.shape:
        print(f"shape {got.shape} != {want.shape}")
        return 1
    err = np.abs(got - want)
    scale = np.maximum(np.abs(want), 1.0)
    print(f"{model}: {x.shape[1]} frames, max abs {err.max():.3g}, "
          f"max rel {(err / np.maximum(np.abs(want), 1e-3)).max():.3g}")
    return 0 if (err / scale).max() <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
