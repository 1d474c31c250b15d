#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyTorch round trip, both ways (exit 77 = skipped when torch is absent).

1. PyTorch -> liblstm: a module exported with tools/export_pytorch.py and
   run by `lstm run` (.f32 and .csv) gives PyTorch's outputs.
2. liblstm -> PyTorch: a model written by liblstm's own writer
   (write-model, calling lstm_model_new + lstm_model_save) loads into
   nn.LSTM / nn.GRU / nn.Linear with load_state_dict (strict) through
   export_pytorch.to_torch(), and PyTorch's outputs equal `lstm run`'s.

Environment (set by meson): LSTM_TOOL, LSTM_WRITE_MODEL, LSTM_SOURCE_ROOT.
"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    print(f"1..0 # SKIP PyTorch/numpy not available: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.environ["LSTM_SOURCE_ROOT"], "tools"))
import export_pytorch as ep  # noqa: E402

TOOL = os.environ["LSTM_TOOL"]
WRITE_MODEL = os.environ["LSTM_WRITE_MODEL"]
TOLERANCE = 1e-5
failures = []


def compare(what, got, want):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        failures.append(f"{what}: shape {got.shape}, expected {want.shape}")
        print(f"FAIL {what}: shape {got.shape}, expected {want.shape}")
        return
    err = np.abs(got - want)
    big = np.abs(want) >= 1e-3
    rel = float(np.max(err[big] / np.abs(want[big]))) if big.any() else 0.0
    bad = int(np.sum(err > TOLERANCE * np.maximum(1.0, np.abs(want))))
    status = "ok  " if bad == 0 else "FAIL"
    print(f"{status} {what}: max abs error {err.max():.3g}, max rel error {rel:.3g}"
          + (f", {bad} values beyond {TOLERANCE:g}" if bad else ""))
    if bad:
        failures.append(what)


def lstm_run(model, inp, out):
    r = subprocess.run([TOOL, "run", model, inp, out], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"lstm run {model} failed ({r.returncode}): {r.stderr}")


def run_torch(net, x):
    with torch.no_grad():
        return net(torch.from_numpy(x)[None])[0].numpy()


class Net(nn.Module):
    """nn children in order, with per-linear activations."""

    def __init__(self, layers, acts):
        super().__init__()
        for name, m in layers:
            self.add_module(name, m)
        self.acts = acts

    def forward(self, x):
        for name, m in self.named_children():
            if isinstance(m, (nn.LSTM, nn.GRU)):
                x, _ = m(x)
            else:
                x = m(x)
                a = self.acts.get(name, "none")
                x = {"none": lambda v: v, "softmax": lambda v: torch.softmax(v, -1),
                     "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "relu": torch.relu}[a](x)
        return x


def frames(seed, T, I, amp=3.0):
    rng = np.random.default_rng(seed)
    return (amp * rng.standard_normal((T, I))).astype(np.float32)


def torch_to_lstm(tmp):
    cases = [
        ("lstm2-softmax", lambda: [("rnn", nn.LSTM(5, 12, 2, batch_first=True)),
                                   ("head", nn.Linear(12, 3))], {"head": "softmax"}),
        ("bigru-tanh", lambda: [("enc", nn.GRU(4, 9, 2, batch_first=True,
                                               bidirectional=True)),
                                ("out", nn.Linear(18, 4))], {"out": "tanh"}),
        ("nobias-relu", lambda: [("rnn", nn.LSTM(3, 16, batch_first=True, bias=False)),
                                 ("head", nn.Linear(16, 5, bias=False))],
         {"head": "relu"}),
        ("lstm-gru-sigmoid", lambda: [("a", nn.LSTM(6, 8, batch_first=True)),
                                      ("b", nn.GRU(8, 7, batch_first=True)),
                                      ("c", nn.Linear(7, 2))], {"c": "sigmoid"}),
    ]
    for i, (name, layers, acts) in enumerate(cases):
        torch.manual_seed(100 + i)
        net = Net(layers(), acts).eval()
        path = os.path.join(tmp, name + ".safetensors")
        ep.export(net, path, activations=acts)
        I = next(net.children()).input_size
        x = frames(i, 700, I)
        x.tofile(os.path.join(tmp, name + ".in.f32"))
        want = run_torch(net, x)
        lstm_run(path, os.path.join(tmp, name + ".in.f32"),
                 os.path.join(tmp, name + ".out.f32"))
        got = np.fromfile(os.path.join(tmp, name + ".out.f32"), "<f4").reshape(want.shape)
        compare(f"PyTorch -> lstm run: {name}", got, want)
        # CSV in and out carry the same float32 values (%.9g round-trips).
        np.savetxt(os.path.join(tmp, name + ".in.csv"), x, fmt="%.9g", delimiter=",")
        lstm_run(path, os.path.join(tmp, name + ".in.csv"),
                 os.path.join(tmp, name + ".out.csv"))
        csv = np.loadtxt(os.path.join(tmp, name + ".out.csv"), delimiter=",",
                         dtype=np.float64, ndmin=2).astype(np.float32)
        if not np.array_equal(csv, got):
            failures.append(f"{name}: CSV output differs from .f32 output")
            print(f"FAIL {name}: CSV output differs from .f32 output")


def lstm_to_torch(tmp):
    cases = [
        ("ours-lstm2-softmax",
         [{"type": "lstm", "name": "rnn", "input_size": 5, "hidden_size": 10,
           "num_layers": 2},
          {"type": "linear", "name": "head", "out_features": 3, "activation": "softmax"}],
         "yes,no,maybe", ("1,2,3,4,5", "0.5,1,2,4,8")),
        ("ours-bilstm-none",
         [{"type": "lstm", "name": "rnn", "input_size": 3, "hidden_size": 6,
           "bidirectional": True},
          {"type": "linear", "name": "head", "out_features": 2}], None, None),
        ("ours-gru-nobias-relu",
         [{"type": "gru", "name": "g", "input_size": 4, "hidden_size": 8,
           "num_layers": 3, "bias": False},
          {"type": "linear", "name": "o", "out_features": 4, "activation": "relu",
           "bias": False}], None, ("-1,0,1,2", "3,3,3,3")),
        ("ours-stack-sigmoid",
         [{"type": "gru", "name": "g", "input_size": 2, "hidden_size": 5,
           "bidirectional": True},
          {"type": "lstm", "name": "l", "hidden_size": 7},
          {"type": "linear", "name": "mid", "out_features": 6, "activation": "tanh"},
          {"type": "linear", "name": "o", "out_features": 2, "activation": "sigmoid"}],
         "a,b", None),
    ]
    for i, (name, arch, labels, norm) in enumerate(cases):
        path = os.path.join(tmp, name + ".safetensors")
        args = [WRITE_MODEL, json.dumps(arch), str(7 + i), path]
        if labels or norm:
            args.append(labels or "-")
        if norm:
            args += list(norm)
        subprocess.run(args, check=True)
        net, md = ep.to_torch(path)  # strict load_state_dict
        net.eval()
        if labels and json.loads(md["lstm.labels"]) != labels.split(","):
            failures.append(f"{name}: labels {md['lstm.labels']}")
        x = frames(50 + i, 600, arch[0]["input_size"])
        x.tofile(os.path.join(tmp, name + ".in.f32"))
        want = run_torch(net, x)
        lstm_run(path, os.path.join(tmp, name + ".in.f32"),
                 os.path.join(tmp, name + ".out.f32"))
        got = np.fromfile(os.path.join(tmp, name + ".out.f32"), "<f4").reshape(want.shape)
        compare(f"liblstm writer -> PyTorch: {name}", got, want)


def residual_roundtrip(tmp):
    """A residual forecaster (lstm.residual): export(..., residual=) gives
    `lstm run` PyTorch's head output plus the raw input x[..., idx], and
    to_torch() rebuilds a module computing the same."""
    torch.manual_seed(200)
    net = Net([("rnn", nn.LSTM(3, 10, batch_first=True)),
               ("head", nn.Linear(10, 2))], {"head": "none"}).eval()
    idx = [2, 0]
    mean, std = [5.0, -1.0, 20.0], [2.0, 0.5, 10.0]
    path = os.path.join(tmp, "residual.safetensors")
    ep.export(net, path, task="forecast", residual=idx, horizon=1,
              input_mean=mean, input_std=std)
    x = frames(77, 500, 3) + np.float32(0.1) * np.arange(500, dtype=np.float32)[:, None]
    x = x.astype(np.float32)
    x.tofile(os.path.join(tmp, "residual.in.f32"))
    xn = (torch.from_numpy(x) - torch.tensor(mean)) / torch.tensor(std)
    with torch.no_grad():
        want = (net(xn[None])[0] + torch.from_numpy(x)[:, idx]).numpy()
    lstm_run(path, os.path.join(tmp, "residual.in.f32"),
             os.path.join(tmp, "residual.out.f32"))
    got = np.fromfile(os.path.join(tmp, "residual.out.f32"), "<f4").reshape(want.shape)
    compare("PyTorch -> lstm run: residual forecaster", got, want)
    back, md = ep.to_torch(path)
    if json.loads(md["lstm.residual"]) != idx or md.get("lstm.horizon") != "1":
        failures.append(f"residual: metadata {md}")
        print(f"FAIL residual: metadata {md}")
    compare("to_torch -> PyTorch: residual forecaster", run_torch(back.eval(), x), got)


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="lstm-roundtrip-") as tmp:
        torch_to_lstm(tmp)
        lstm_to_torch(tmp)
        residual_roundtrip(tmp)
    if failures:
        print(f"{len(failures)} failure(s): " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
