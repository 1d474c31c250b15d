#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""export() on a zoo of PyTorch modules (exit 77 = skipped without torch).

Every accepted form: the exported file run by `lstm run` equals the
module's own forward within 1e-5 over 1000 frames, and to_torch() rebuilds
a module whose outputs equal the original's (and which exports again to
the same numbers). Every refused form: export() raises ValueError whose
message names the module (its attribute path and its type).

Environment (set by meson): LSTM_TOOL, LSTM_SOURCE_ROOT.
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
    import torch.nn.functional as F
except ImportError as e:
    print(f"1..0 # SKIP PyTorch/numpy not available: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.environ["LSTM_SOURCE_ROOT"], "tools"))
import export_pytorch as ep  # noqa: E402

TOOL = os.environ["LSTM_TOOL"]
TOLERANCE = 1e-5
FRAMES = 1000
failures = []


def report(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def close(got, want):
    """(within 1e-5 relative to max(1, |want|), max abs error)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        return False, float("inf")
    err = np.abs(got - want)
    return bool(np.all(err <= TOLERANCE * np.maximum(1.0, np.abs(want)))), float(err.max())


# ---- accepted forms ----

class SeqHead(nn.Module):
    """LSTM, then an nn.Sequential(Linear, ReLU, Linear) head."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 16, num_layers=2, batch_first=True)
        self.head = nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 4))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class ActModules(nn.Module):
    """Standalone activation modules folding into the linear before them."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(5, 10, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(20, 8)
        self.act = nn.Tanh()
        self.drop = nn.Dropout(0.3)         # identity in eval mode
        self.out = nn.Linear(8, 3)
        self.prob = nn.Softmax(dim=-1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.prob(self.out(self.drop(self.act(self.fc(y)))))


class Normalised(nn.Module):
    """input_mean / input_std buffers applied first by the forward."""

    def __init__(self):
        super().__init__()
        self.register_buffer("input_mean", torch.tensor([3.0, -2.0, 0.5, 10.0]))
        self.register_buffer("input_std", torch.tensor([2.0, 0.25, 1.0, 5.0]))
        self.rnn = nn.LSTM(4, 9, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(18, 2), nn.Sigmoid())

    def forward(self, x):
        y, _ = self.rnn((x - self.input_mean) / self.input_std)
        return self.head(y)


class TimeFirst(nn.Module):
    """batch_first=False: (time, batch, features) in and out."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 11, num_layers=2, dropout=0.2)
        self.head = nn.Linear(11, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class Front(nn.Module):
    """A linear front before the recurrent layers, in an nn.ModuleList."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(7, 10), nn.Tanh()),
                                     nn.GRU(10, 8, batch_first=True),
                                     nn.Identity(),
                                     nn.Linear(8, 5, bias=False)])

    def forward(self, x):
        x = self.blocks[0](x)
        x, _ = self.blocks[1](x)
        return self.blocks[3](self.blocks[2](x))


class Peephole2(nn.Module):
    """PeepholeLSTM (the project's peephole convention), 2 layers, both
    directions, peepholes scaled x3 so that they matter."""

    def __init__(self):
        super().__init__()
        self.rnn = ep.PeepholeLSTM(5, 8, num_layers=2, batch_first=True,
                                   bidirectional=True)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_ch"):
                    p.mul_(3.0)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class PeepholeTimeFirst(nn.Module):
    """PeepholeLSTM without bias, (time, batch, features) in and out."""

    def __init__(self):
        super().__init__()
        self.rnn = ep.PeepholeLSTM(3, 6, bias=False)
        self.head = nn.Sequential(nn.Linear(6, 2), nn.Tanh())

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class ResetBefore2(nn.Module):
    """ResetBeforeGRU (the original GRU, Keras reset_after=False), 2 layers,
    both directions, recurrent weights x3 so that the reset gate matters."""

    def __init__(self):
        super().__init__()
        self.rnn = ep.ResetBeforeGRU(4, 7, num_layers=2, batch_first=True,
                                     bidirectional=True)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.mul_(3.0)
        self.head = nn.Sequential(nn.Linear(14, 3), nn.Softmax(dim=-1))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class ResetBeforeTimeFirst(nn.Module):
    """ResetBeforeGRU without bias, (time, batch, features) in and out."""

    def __init__(self):
        super().__init__()
        self.rnn = ep.ResetBeforeGRU(3, 9, bias=False)
        self.head = nn.Linear(9, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class NoForward(nn.Module):
    """The README's form: children only; activations given by name."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 12, batch_first=True, bias=False)
        self.head = nn.Linear(12, 3)


def no_forward_reference(m, x):
    y, _ = m.rnn(x)
    return torch.softmax(m.head(y), -1)


ACCEPTED = [
    # name, constructor, export() keyword arguments, reference (None: forward)
    ("sequential-head", SeqHead, {}, None),
    ("activation-modules", ActModules, {}, None),
    ("normalisation-buffers", Normalised, {}, None),
    ("batch-first-false", TimeFirst, {}, None),
    ("modulelist-front", Front, {}, None),
    ("peephole-bidirectional", Peephole2, {}, None),
    ("peephole-time-first", PeepholeTimeFirst, {}, None),
    ("reset-before-gru-bidirectional", ResetBefore2, {}, None),
    ("reset-before-gru-time-first", ResetBeforeTimeFirst, {}, None),
    ("no-forward-activations", NoForward, {"activations": {"head": "softmax"}},
     no_forward_reference),
]


def frames(seed, T, size, amp=3.0):
    rng = np.random.default_rng(seed)
    return (amp * rng.standard_normal((T, size))).astype(np.float32)


def module_output(m, x, reference):
    """The module's own output for frames x (T, I) as (T, O)."""
    with torch.no_grad():
        t = torch.from_numpy(x)
        if reference is not None:
            return reference(m, t[None])[0].numpy()
        if any(type(r) in (nn.LSTM, nn.GRU, ep.PeepholeLSTM, ep.ResetBeforeGRU)
               and not r.batch_first
               for r in m.modules()):
            return m(t[:, None])[:, 0].numpy()
        return m(t[None])[0].numpy()


def lstm_run(path, x, tmp, tag):
    inp = os.path.join(tmp, tag + ".in.f32")
    out = os.path.join(tmp, tag + ".out.f32")
    x.tofile(inp)
    r = subprocess.run([TOOL, "run", path, inp, out], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.fromfile(out, "<f4"), None


def accepted(tmp):
    for i, (name, ctor, kwargs, reference) in enumerate(ACCEPTED):
        torch.manual_seed(300 + i)
        m = ctor().eval()
        path = os.path.join(tmp, name + ".safetensors")
        try:
            ep.export(m, path, **kwargs)
        except ValueError as e:
            report(False, f"{name}: export refused an accepted form: {e}")
            continue
        md = ep.read_safetensors(path)[1]
        first = json.loads(md["lstm.architecture"])[0]
        x = frames(i, FRAMES, first.get("input_size", first.get("in_features")))
        want = module_output(m, x, reference)
        got, err = lstm_run(path, x, tmp, name)
        if got is None:
            report(False, f"{name}: lstm run failed: {err}")
            continue
        ok, e = close(got.reshape(-1), want.reshape(-1))
        report(ok and got.size == want.size,
               f"{name}: lstm run vs PyTorch over {FRAMES} frames, max abs error {e:.3g}")
        # to_torch rebuilds it: same outputs as the original module
        back, _ = ep.to_torch(path)
        with torch.no_grad():
            rebuilt = back(torch.from_numpy(x)[None])[0].numpy()
        ok, e = close(rebuilt, want)
        report(ok, f"{name}: to_torch rebuild vs original, max abs error {e:.3g}")
        # and the rebuilt module exports again (verified) to the same numbers
        again = os.path.join(tmp, name + ".again.safetensors")
        try:
            ep.export(back, again)
        except ValueError as e:
            report(False, f"{name}: the to_torch rebuild does not export: {e}")
            continue
        got2, err = lstm_run(again, x, tmp, name + ".again")
        report(got2 is not None and np.array_equal(got2, got),
               f"{name}: export(to_torch(file)) runs bitwise as the file")


# ---- refused forms ----

class Wrap(nn.Module):
    """children in order, forward runs them in order (RNNs unpacked)."""

    def __init__(self, **children):
        super().__init__()
        for k, v in children.items():
            self.add_module(k, v)

    def forward(self, x):
        for m in self.children():
            x = m(x)
            if isinstance(x, tuple):
                x = x[0]
        return x


class Peephole(nn.Module):
    """A hand-written peephole cell, not the PeepholeLSTM convention."""

    def __init__(self):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.zeros(16, 3))
        self.weight_hh_l0 = nn.Parameter(torch.zeros(16, 4))
        self.weight_ch_l0 = nn.Parameter(torch.zeros(12))


class MyLSTM(nn.LSTM):
    def forward(self, x, hx=None):
        y, s = super().forward(x, hx)
        return y * 2, s


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(torch.ones(2))


class FunctionalRelu(nn.Module):
    """F.relu between RNN and head: invisible in the module tree."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 6, batch_first=True)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(F.relu(y))


class Reordered(nn.Module):
    """Registered a, b; forward applies b first."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 5, batch_first=True)
        self.a = nn.Linear(5, 5)
        self.b = nn.Linear(5, 5)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.a(self.b(y))


class UndeclaredLayout(nn.Module):
    """batch_first=True LSTM fed (time, batch, features) by a transpose."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5, batch_first=True)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        y, _ = self.rnn(x.transpose(0, 1))
        return self.head(y.transpose(0, 1))


def train_dropout():
    m = Wrap(rnn=nn.LSTM(3, 4, batch_first=True), drop=nn.Dropout(0.5),
             head=nn.Linear(4, 2))
    return m.train()


def train_lstm_dropout():
    return Wrap(rnn=nn.LSTM(3, 4, num_layers=2, dropout=0.1, batch_first=True),
                head=nn.Linear(4, 2)).train()


REFUSED = [
    # name, constructor, what the message must name (path, type)
    ("embedding", lambda: Wrap(emb=nn.Embedding(10, 3), rnn=nn.LSTM(3, 4, batch_first=True)),
     "emb", "Embedding"),
    ("layernorm", lambda: Wrap(rnn=nn.GRU(3, 4, batch_first=True), norm=nn.LayerNorm(4),
                               head=nn.Linear(4, 2)), "norm", "LayerNorm"),
    ("conv1d", lambda: Wrap(conv=nn.Conv1d(3, 3, 3), rnn=nn.LSTM(3, 4, batch_first=True)),
     "conv", "Conv1d"),
    ("dropout-train", train_dropout, "drop", "Dropout"),
    ("lstm-dropout-train", train_lstm_dropout, "rnn", "LSTM"),
    ("relu-after-rnn", lambda: Wrap(rnn=nn.LSTM(3, 4, batch_first=True), act=nn.ReLU(),
                                    head=nn.Linear(4, 2)), "act", "ReLU"),
    ("double-activation", lambda: Wrap(rnn=nn.LSTM(3, 4, batch_first=True),
                                       head=nn.Sequential(nn.Linear(4, 2), nn.ReLU(),
                                                          nn.Tanh())), "head.2", "Tanh"),
    ("softmax-dim1", lambda: Wrap(rnn=nn.LSTM(3, 4, batch_first=True),
                                  head=nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))),
     "head.1", "Softmax"),
    ("gelu", lambda: Wrap(rnn=nn.LSTM(3, 4, batch_first=True),
                          head=nn.Sequential(nn.Linear(4, 2), nn.GELU())), "head.1", "GELU"),
    ("proj-size", lambda: Wrap(rnn=nn.LSTM(3, 8, proj_size=4, batch_first=True),
                               head=nn.Linear(4, 2)), "rnn", "LSTM"),
    ("peephole-module", lambda: Wrap(cell=Peephole(), head=nn.Linear(4, 2)),
     "cell", "Peephole"),
    ("lstm-subclass", lambda: Wrap(rnn=MyLSTM(3, 4, batch_first=True),
                                   head=nn.Linear(4, 2)), "rnn", "MyLSTM"),
    ("stray-parameter", Scaled, "scale", "Scaled"),
    ("functional-relu", FunctionalRelu, "<root>", "FunctionalRelu"),
    ("reordered-forward", Reordered, "<root>", "Reordered"),
    ("undeclared-layout", UndeclaredLayout, "<root>", "UndeclaredLayout"),
]


def refused(tmp):
    for name, ctor, path_name, type_name in REFUSED:
        torch.manual_seed(7)
        m = ctor()
        if name not in ("dropout-train", "lstm-dropout-train"):
            m.eval()
        out = os.path.join(tmp, name + ".safetensors")
        try:
            ep.export(m, out)
        except ValueError as e:
            msg = str(e)
            ok = path_name in msg and type_name in msg and not os.path.exists(out)
            report(ok, f"{name}: refused: {msg}")
            continue
        report(False, f"{name}: export() accepted a form it cannot represent")
    # an activations= name that is no linear layer is refused too
    try:
        ep.export(SeqHead().eval(), os.path.join(tmp, "typo.safetensors"),
                  activations={"haed": "softmax"})
        report(False, "activations naming no layer: accepted")
    except ValueError as e:
        report("haed" in str(e), f"activations naming no layer: refused: {e}")


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="lstm-export-zoo-") as tmp:
        accepted(tmp)
        refused(tmp)
    if failures:
        print(f"{len(failures)} failure(s): " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
