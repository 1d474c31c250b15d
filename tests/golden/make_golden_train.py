#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden training data: PyTorch trains small models, liblstm must follow.

For each case this writes, under tests/golden/train/:
  CASE.init.safetensors    the initial model (tools/export_pytorch.py)
  CASE.golden.safetensors  the data, the per-step losses and the final
                           weights after training, with metadata
                           golden.version = "1" and golden.config (JSON:
                           optimizer, schedule, loss, batching...)

The reference loop is the trainer's contract, written plainly: epochs of
consecutive mini-batches (no shuffling), each sequence of a batch run on
its own ("lane") window by window with its state carried and detached
between windows (truncated BPTT), the loss of a window summed over the
lanes' counted targets and divided by their number (MSELoss / L1Loss /
BCEWithLogitsLoss element means, CrossEntropyLoss frame means), then
clip_grad_norm_ and one torch.optim step per window; the learning rate
follows StepLR / CosineAnnealingLR per epoch.

Run with Debian's python3-torch:  /usr/bin/python3 make_golden_train.py
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from export_pytorch import ResetBeforeGRU, export, write_safetensors  # noqa: E402
from make_golden import ResetBeforeGRURef  # noqa: E402

OUT = os.path.join(HERE, "train")
VERSION = "1"


class Net(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        for layer in arch:
            if layer["type"] == "lag":
                continue      # no parameters: its past frames are state
            if layer["type"] in ("lstm", "gru"):
                cls = nn.LSTM if layer["type"] == "lstm" else nn.GRU
                if not layer.get("reset_after", True):
                    cls = ResetBeforeGRU
                m = cls(layer["input_size"], layer["hidden_size"],
                        num_layers=layer.get("num_layers", 1),
                        bias=layer.get("bias", True),
                        bidirectional=layer.get("bidirectional", False),
                        batch_first=True)
                if cls is ResetBeforeGRU:
                    # the reset-before GRU (no PyTorch cell): the explicit
                    # reference of make_golden.py, its gradients by autograd
                    m = ResetBeforeGRURef(m)
            else:
                m = nn.Linear(layer["in_features"], layer["out_features"],
                              bias=layer.get("bias", True))
            self.add_module(layer["name"], m)

    def forward(self, x, state):
        """x: (1, T, I); state: list per recurrent layer (or None).
        Returns (outputs, logits, new state)."""
        new = []
        k = 0
        logits = None
        outs = {}
        for layer in self.arch:
            if layer["type"] == "lag":
                # the last P frames before this window (edge-filled with the
                # sequence's first frame at its start), then the lags
                P = max(layer["lags"])
                hist = state[k] if state is not None else x[:, :1].expand(-1, P, -1)
                xp = torch.cat([hist, x], dim=1)
                T = x.shape[1]
                new.append(xp[:, xp.shape[1] - P:])
                k += 1
                x = torch.cat([xp[:, P - lag:P - lag + T] for lag in layer["lags"]],
                              dim=-1)
                outs[layer["name"]] = x
                continue
            m = getattr(self, layer["name"])
            if layer.get("skip"):
                x = torch.cat([x, outs[layer["skip"]]], dim=-1)
            if layer["type"] in ("lstm", "gru"):
                x, s = m(x, state[k] if state is not None else None)
                new.append(s)
                k += 1
            else:
                x = m(x)
                logits = x
                act = layer.get("activation", "none")
                if act == "softmax":
                    x = torch.softmax(x, dim=-1)
                elif act == "sigmoid":
                    x = torch.sigmoid(x)
                elif act == "tanh":
                    x = torch.tanh(x)
                elif act == "relu":
                    x = torch.relu(x)
        if logits is None or self.arch[-1]["type"] != "linear":
            logits = x
        return x, logits, new


def detach(state):
    out = []
    for s in state:
        out.append(tuple(t.detach() for t in s) if isinstance(s, tuple)
                   else s.detach())
    return out


def lr_at(cfg, epoch):
    lr = cfg["learning_rate"]
    if cfg["schedule"] == "step":
        return lr * cfg["gamma"] ** (epoch // cfg["step_size"])
    if cfg["schedule"] == "cosine":
        lo = cfg.get("min_lr", 0.0)
        return lo + (lr - lo) * (1 + math.cos(math.pi * epoch / cfg["epochs"])) / 2
    return lr


def window_loss(cfg, out, logits, tgt, cnt_only=False):
    """Summed loss and count over one lane's window."""
    kind, loss = cfg["kind"], cfg["loss"]
    if kind == "values":
        y, mask = tgt                      # (T, O), (T,)
        keep = mask > 0
        n = int(keep.sum()) * y.shape[1]
        if n == 0:
            return None, 0
        if loss == "mse":
            s = ((out[keep] - y[keep]) ** 2).sum()
        elif loss == "mae":
            s = (out[keep] - y[keep]).abs().sum()
        else:
            s = nn.functional.binary_cross_entropy_with_logits(
                logits[keep], y[keep], reduction="sum")
        return s, n
    cls = tgt                              # (T,) long, -1 = ignored
    if cfg.get("clip_loss") == "mean":
        # the clip's mean softmax scores against its class: one target,
        # scored in the window that holds the whole clip
        if int(cls[0]) < 0:
            return None, 0
        p = torch.softmax(logits, dim=-1).mean(dim=0)
        return -torch.log(p[int(cls[0])]), 1
    keep = cls >= 0
    n = int(keep.sum())
    if n == 0:
        return None, 0
    s = nn.functional.cross_entropy(logits[keep], cls[keep], reduction="sum")
    return s, n


def train(cfg, net, seqs):
    params = list(net.parameters())
    if cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=cfg["learning_rate"],
                               betas=(cfg["beta1"], cfg["beta2"]),
                               eps=cfg["eps"], weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.SGD(params, lr=cfg["learning_rate"],
                              momentum=cfg["momentum"],
                              nesterov=cfg["nesterov"],
                              weight_decay=cfg["weight_decay"])
    B = cfg["batch_size"]
    losses = []
    for epoch in range(cfg["epochs"]):
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, epoch)
        for b0 in range(0, len(seqs), B):
            lanes = seqs[b0:b0 + B]
            L = max(len(s["x"]) for s in lanes)
            W = cfg["sequence_length"] or L
            states = [None] * len(lanes)
            for w0 in range(0, L, W):
                total, count = 0.0, 0
                opt.zero_grad()
                parts = []
                for i, s in enumerate(lanes):
                    T = min(W, len(s["x"]) - w0)
                    if T <= 0:
                        continue
                    x = torch.from_numpy(s["x"][w0:w0 + T]).unsqueeze(0)
                    out, logits, st = net(x, states[i])
                    states[i] = detach(st)
                    tgt = s["target"](w0, T)
                    lsum, n = window_loss(cfg, out[0], logits[0], tgt)
                    if n:
                        parts.append(lsum)
                        count += n
                if count == 0:
                    continue
                total = sum(parts) / count
                total.backward()
                if cfg["clip_norm"] > 0:
                    nn.utils.clip_grad_norm_(params, cfg["clip_norm"])
                opt.step()
                losses.append(total.item())
    return losses


def make_case(name, arch, cfg, lengths, seed, scale=None, forget_bias=0.0,
              amplitude=1.0, ignore_fraction=0.0, mask_fraction=0.0):
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    net = Net(arch)
    with torch.no_grad():
        for pname, p in net.named_parameters():
            if scale:
                p.mul_(scale)
            if forget_bias and "bias_ih" in pname and arch[0]["type"] == "lstm":
                H = p.shape[0] // 4
                p[H:2 * H] += forget_bias
    acts = {l["name"]: l.get("activation", "none") for l in arch
            if l["type"] == "linear"}
    os.makedirs(OUT, exist_ok=True)
    export(net, os.path.join(OUT, name + ".init.safetensors"),
           activations=acts, architecture=arch)

    I = arch[0]["input_size"]
    O = arch[-1]["out_features"]
    n = len(lengths)
    Tmax = max(lengths)
    X = np.zeros((n, Tmax, I), np.float32)
    Y = np.zeros((n, Tmax, O), np.float32)
    M = np.zeros((n, Tmax), np.float32)
    C = np.full((n, Tmax), -1.0, np.float32)
    S = np.zeros((n,), np.float32)
    seqs = []
    for i, T in enumerate(lengths):
        x = (rng.randn(T, I) * amplitude).astype(np.float32)
        X[i, :T] = x
        s = {"x": x}
        if cfg["kind"] == "values":
            if cfg["loss"] == "binary-cross-entropy":
                y = (rng.rand(T, O) < 0.4).astype(np.float32)
            else:
                y = (rng.randn(T, O) * 0.7).astype(np.float32)
            m = (rng.rand(T) >= mask_fraction).astype(np.float32)
            Y[i, :T] = y
            M[i, :T] = m
            s["target"] = (lambda y, m: lambda w0, T: (
                torch.from_numpy(y[w0:w0 + T]), torch.from_numpy(m[w0:w0 + T])))(y, m)
        elif cfg["kind"] == "frame-class":
            c = rng.randint(0, O, size=T)
            c[rng.rand(T) < ignore_fraction] = -1
            C[i, :T] = c
            s["target"] = (lambda c: lambda w0, T: torch.from_numpy(
                c[w0:w0 + T].astype(np.int64)))(c)
        else:
            k = int(rng.randint(0, O))
            S[i] = k
            every = cfg.get("every_frame", False) or \
                cfg.get("clip_loss") == "mean"
            c = np.full(T, k if every else -1, np.int64)
            c[T - 1] = k
            s["target"] = (lambda c: lambda w0, T: torch.from_numpy(
                c[w0:w0 + T]))(c)
        seqs.append(s)

    losses = train(cfg, net, seqs)
    tensors = {"x": X, "lengths": np.asarray(lengths, np.float32)}
    if cfg["kind"] == "values":
        tensors["y"] = Y
        tensors["mask"] = M
    elif cfg["kind"] == "frame-class":
        tensors["classes"] = C
    else:
        tensors["class"] = S
    tensors["expected.losses"] = np.asarray(losses, np.float32)
    for k, v in net.state_dict().items():
        tensors["expected." + k] = v.detach().numpy().astype(np.float32)
    write_safetensors(os.path.join(OUT, name + ".golden.safetensors"), tensors,
                      {"golden.version": VERSION,
                       "golden.config": json.dumps(cfg),
                       "golden.generator": "make_golden_train.py, torch "
                       + torch.__version__})
    print(f"{name}: {len(losses)} steps, loss {losses[0]:.5f} -> {losses[-1]:.5f}")


def base(**kw):
    cfg = {"optimizer": "adam", "learning_rate": 1e-2, "beta1": 0.9,
           "beta2": 0.999, "eps": 1e-8, "momentum": 0.0, "nesterov": False,
           "weight_decay": 0.0, "clip_norm": 0.0, "schedule": "constant",
           "step_size": 1, "gamma": 1.0, "min_lr": 0.0, "epochs": 5,
           "batch_size": 3, "sequence_length": 0, "every_frame": False}
    cfg.update(kw)
    return cfg


def lstm(i, h, **kw):
    d = {"type": "lstm", "name": "rnn", "input_size": i, "hidden_size": h}
    d.update(kw)
    return d


def gru(i, h, **kw):
    d = {"type": "gru", "name": "rnn", "input_size": i, "hidden_size": h}
    d.update(kw)
    return d


def lag(i, lags):
    return {"type": "lag", "name": "lag", "input_size": i, "lags": lags}


def linear(i, o, act="none"):
    return {"type": "linear", "name": "head", "in_features": i,
            "out_features": o, "activation": act}


def main():
    torch.set_num_threads(1)

    # plain Adam, MSE, PyTorch's default init
    make_case("lstm-adam-mse",
              [lstm(3, 8), linear(8, 2)],
              base(kind="values", loss="mse"), [20] * 6, seed=1)
    # weights x3, forget bias +1, inputs x4: saturated gates, long memory
    make_case("lstm-scaled-adam-mse",
              [lstm(3, 8), linear(8, 2)],
              base(kind="values", loss="mse", epochs=4, learning_rate=3e-3),
              [24] * 4, seed=2, scale=3.0, forget_bias=1.0, amplitude=4.0)
    # 2 layers, truncated BPTT over variable lengths, MAE through tanh,
    # weight decay, clipping, cosine schedule, masked frames
    make_case("lstm2-tbptt-varlen-mae",
              [lstm(2, 6, num_layers=2), linear(6, 2, "tanh")],
              base(kind="values", loss="mae", batch_size=2, sequence_length=8,
                   weight_decay=1e-2, clip_norm=0.5, schedule="cosine",
                   min_lr=1e-3, epochs=3),
              [25, 17, 9, 30, 12], seed=3, mask_fraction=0.2)
    # GRU stack, per-frame classes with ignored frames, SGD + Nesterov
    # momentum + weight decay, step schedule
    make_case("gru2-ce-frames-sgd",
              [gru(4, 7, num_layers=2), linear(7, 5, "softmax")],
              base(kind="frame-class", loss="cross-entropy", optimizer="sgd",
                   learning_rate=0.2, momentum=0.9, nesterov=True,
                   weight_decay=1e-3, schedule="step", step_size=2, gamma=0.5,
                   epochs=4, batch_size=4, sequence_length=5),
              [15] * 8, seed=4, ignore_fraction=0.25)
    # bidirectional LSTM, one class per sequence on the last frame,
    # variable lengths, clipping
    make_case("lstm-bi-ce-last",
              [lstm(3, 5, bidirectional=True), linear(10, 3, "softmax")],
              base(kind="sequence-class", loss="cross-entropy",
                   learning_rate=5e-3, clip_norm=1.0, epochs=8, batch_size=4),
              [12, 7, 15, 10], seed=5)
    # GRU, multi-label binary cross-entropy on a sigmoid head, masked frames
    make_case("gru-bce",
              [gru(3, 6), linear(6, 2, "sigmoid")],
              base(kind="values", loss="binary-cross-entropy", batch_size=2,
                   sequence_length=6, epochs=5),
              [14] * 4, seed=6, mask_fraction=0.3)
    # no bias, plain SGD, sequence class on every frame
    make_case("lstm-nobias-sgd-every-frame",
              [lstm(3, 6, bias=False), linear(6, 4, "softmax")],
              base(kind="sequence-class", loss="cross-entropy",
                   optimizer="sgd", learning_rate=0.5, every_frame=True,
                   epochs=6, batch_size=2),
              [10, 13, 8, 11], seed=7)
    # LSTM clip classifier scored on its mean softmax scores over every
    # frame (the clip loss lstm train uses for clips), variable lengths
    make_case("lstm-ce-clip-mean",
              [lstm(3, 6), linear(6, 4, "softmax")],
              base(kind="sequence-class", loss="cross-entropy",
                   clip_loss="mean", learning_rate=1e-2, epochs=6,
                   batch_size=3),
              [9, 14, 6, 11, 12, 7], seed=8)
    # lag layer (its past frames carried across truncated-BPTT windows) +
    # GRU + a head that also reads the lag output (skip), masked MSE
    make_lag_case()
    # the reset-before GRU (Keras reset_after=False), 2 layers, per-frame
    # classes, truncated BPTT with the state carried, clipping
    make_case("grurb2-adam-ce-frames-tbptt",
              [gru(4, 6, num_layers=2, reset_after=False),
               linear(6, 3, "softmax")],
              base(kind="frame-class", loss="cross-entropy", batch_size=2,
                   sequence_length=6, clip_norm=1.0, epochs=4),
              [16, 11, 14, 9], seed=41, amplitude=2.0, ignore_fraction=0.2)
    # bidirectional, no bias, SGD with momentum, MSE on a linear head
    make_case("bigrurb-nobias-sgd-mse",
              [gru(3, 5, bidirectional=True, bias=False, reset_after=False),
               linear(10, 2)],
              base(kind="values", loss="mse", optimizer="sgd", learning_rate=0.1,
                   momentum=0.9, epochs=5, batch_size=2),
              [12, 9, 15, 10], seed=42, scale=2.0)


def make_lag_case():
    head = linear(8 + 6, 2)
    head["skip"] = "lag"
    make_case("lag-gru-skip-adam-mse-tbptt",
              [lag(2, [0, 1, 4]), gru(6, 8), head],
              base(kind="values", loss="mse", sequence_length=7, epochs=4),
              [23, 17, 30], seed=31, amplitude=2.0, mask_fraction=0.2)


if __name__ == "__main__":
    main()
