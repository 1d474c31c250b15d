#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate the golden data that tests/golden/test-golden.c checks liblstm against.

Run with Debian's python3 (python3-torch, python3-numpy, python3-onnx):

    /usr/bin/python3 tests/golden/make_golden.py [OUTDIR]

OUTDIR defaults to tests/golden/data. For every case NAME it writes

  NAME.safetensors  the model, written by tools/export_pytorch.py with
                    PyTorch's state_dict names (F16/BF16 for two cases);
  NAME.golden       the input frames and expected outputs.

The expected outputs are computed in float64 (PyTorch modules converted
with .double(), or the numpy LSTM reference that python3-onnx ships for
peephole LSTMs) from exactly the weights the model file holds (F16/BF16
weights widened first), then rounded to float32. The header also records how
far PyTorch's own float32 run is from that reference, for comparison.

.golden format, version 1 (all integers little-endian):

  8 bytes   magic "LSTMGOLD"
  u32       format version (1)
  u32       N, length of the JSON header
  N bytes   JSON header (UTF-8):
              {"case": NAME, "model": "NAME.safetensors",
               "mode": "stream" | "sequence",
               "description": text,
               "reference": how the expected outputs were computed,
               "f32_max_abs": PyTorch float32 vs the reference (or null),
               "tensors": [{"name": ..., "shape": [...], "offset": BYTES}, ...]}
  data      float32 little-endian values; each tensor starts `offset` bytes
            after the end of the JSON header.

Tensors: "input" (T x I), "output" (T x O); optionally, for an initial state,
"h0.K" / "c0.K" (PyTorch's h_0 / c_0 of the architecture's layer K,
num_layers*directions x H) and the final "hn.K" / "cn.K".

Cases are not gentle (design.md section 9): PyTorch's default init, weights
x3 with the forget-gate bias +1 ("strong"; for GRUs the update gate's),
inputs of amplitude 5, 1024+ frames, and a model trained here for a few
hundred steps. A case must be well-conditioned: PyTorch's own float32 run
within CONDITIONING of the float64 reference, or the script fails.
"""

import copy
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import export_pytorch as ep  # noqa: E402

try:
    from onnx.backend.test.case.node.lstm import LSTM_Helper
except ImportError:  # pragma: no cover
    LSTM_Helper = None

FORMAT_VERSION = 1
MAGIC = b"LSTMGOLD"
T_DEFAULT = 1024
# A case is kept only if PyTorch's (or numpy's) own float32 run stays within
# this of the float64 reference: half the 1e-5 budget the tests allow.
CONDITIONING = 5e-6


def write_golden(path, info, tensors):
    """info: dict for the JSON header; tensors: name -> float array."""
    info = dict(info)
    info["tensors"] = []
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype="<f4")
        assert np.all(np.isfinite(arr)), name
        info["tensors"].append({"name": name, "shape": list(arr.shape),
                                "offset": offset})
        blobs.append(arr.tobytes())
        offset += len(blobs[-1])
    text = json.dumps(info, indent=1, sort_keys=True).encode("utf-8")
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<II", FORMAT_VERSION, len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---- models ----

class Net(nn.Module):
    """Children run in order; `acts` gives each linear layer's activation."""

    def __init__(self, layers, acts=None):
        super().__init__()
        for name, m in layers:
            self.add_module(name, m)
        self.acts = acts or {}

    def forward(self, x, states=None):
        """x: (1, T, I). states: name -> h0 or (h0, c0). Returns (y, finals)."""
        finals = {}
        for name, m in self.named_children():
            if isinstance(m, (nn.LSTM, nn.GRU, ep.ResetBeforeGRU,
                              ResetBeforeGRURef)):
                s = (states or {}).get(name)
                x, finals[name] = m(x, s) if s is not None else m(x)
            else:
                x = activate(m(x), self.acts.get(name, "none"))
        return x, finals


class LagNet(nn.Module):
    """lag -> rnn -> head, the head reading [rnn output, lag output]."""

    def __init__(self, lag, rnn_, head):
        super().__init__()
        self.lag = lag
        self.rnn = rnn_
        self.head = head

    def forward(self, x, states=None):
        z = self.lag(x)
        h, fin = self.rnn(z)
        return self.head(torch.cat([h, z], dim=-1)), {"rnn": fin}


class ResetBeforeGRURef(nn.Module):
    """The reference for GRUs with the reset gate before the recurrent
    product (Keras GRU(reset_after=False), ONNX GRU linear_before_reset=0),
    which PyTorch has no cell for: written out here per time step from the
    equations, with nn.GRU's parameter names and gate rows r, z, n:
        r = s(W_ir x + b_ir + W_hr h + b_hr)
        z = s(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
        h' = (1 - z) * n + z * h
    Built from (and holding the parameters of) the model file's module,
    tools/export_pytorch.py's ResetBeforeGRU, whose own forward is checked
    against this one. Batch-first (1, T, I) input; returns (y, h_n)."""

    def __init__(self, src):
        super().__init__()
        self.H = src.hidden_size
        self.L = src.num_layers
        self.dirs = 2 if src.bidirectional else 1
        self.bias = src.bias
        for name, p in src.named_parameters():
            self.register_parameter(name, nn.Parameter(p.detach().clone()))

    def forward(self, x, h0=None):
        H = self.H
        hs = []
        for k in range(self.L):
            outs = []
            for d in range(self.dirs):
                sfx = "_reverse" if d else ""
                w_ih = getattr(self, f"weight_ih_l{k}{sfx}")
                w_hh = getattr(self, f"weight_hh_l{k}{sfx}")
                zero = x.new_zeros(3 * H)
                b_ih = getattr(self, f"bias_ih_l{k}{sfx}") if self.bias else zero
                b_hh = getattr(self, f"bias_hh_l{k}{sfx}") if self.bias else zero
                h = (h0[k * self.dirs + d, 0] if h0 is not None
                     else x.new_zeros(H))
                T = x.shape[1]
                ys = [None] * T
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    xt = x[0, t]
                    r = torch.sigmoid(w_ih[:H] @ xt + b_ih[:H]
                                      + w_hh[:H] @ h + b_hh[:H])
                    z = torch.sigmoid(w_ih[H:2 * H] @ xt + b_ih[H:2 * H]
                                      + w_hh[H:2 * H] @ h + b_hh[H:2 * H])
                    n = torch.tanh(w_ih[2 * H:] @ xt + b_ih[2 * H:]
                                   + w_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
                    h = (1 - z) * n + z * h
                    ys[t] = h
                outs.append(torch.stack(ys))
                hs.append(h)
            x = torch.cat(outs, dim=-1)[None]
        return x, torch.stack(hs)[:, None]


def reference_net(net):
    """A copy of `net` whose ResetBeforeGRU children are ResetBeforeGRURef."""
    ref = copy.deepcopy(net)
    for name, m in list(ref.named_children()):
        if type(m) is ep.ResetBeforeGRU:
            setattr(ref, name, ResetBeforeGRURef(m))
    return ref


def activate(x, act):
    if act == "softmax":
        return torch.softmax(x, dim=-1)
    if act == "sigmoid":
        return torch.sigmoid(x)
    if act == "tanh":
        return torch.tanh(x)
    if act == "relu":
        return torch.relu(x)
    assert act == "none"
    return x


def strengthen(net):
    """Weights x3, forget-gate bias +1 (GRU: the update gate's)."""
    with torch.no_grad():
        for m in net.children():
            for _, p in m.named_parameters():
                p.mul_(3.0)
            if isinstance(m, (nn.LSTM, nn.GRU, ep.ResetBeforeGRU)) and m.bias:
                H = m.hidden_size
                for name, p in m.named_parameters():
                    if name.startswith("bias_ih"):
                        p[H:2 * H] += 1.0  # LSTM i,f,g,o: f; GRU r,z,n: z


def apply_narrowing(net, dtype):
    """Round the module's weights as the file will store them."""
    if dtype == "F32":
        return
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(ep.widen(p.numpy(), dtype)))


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def torch_case(outdir, name, net, acts, x, description, mode="stream",
               dtype="F32", states=None, input_mean=None, input_std=None,
               task=None, labels=None, training=None, residual=None, skips=None):
    """Exports `net`, computes the float64 reference and writes both files.

    `residual`: input indices, one per output: a residual forecaster, whose
    output j is the net's plus the raw input x[..., residual[j]]."""
    net.eval()
    apply_narrowing(net, dtype)
    path = os.path.join(outdir, name + ".safetensors")
    ep.export(net, path, activations=acts, task=task, labels=labels,
              input_mean=input_mean, input_std=input_std, dtype=dtype,
              training=training, residual=residual, skips=skips,
              description=f"golden case {name}: {description}")

    # The file must hold exactly the weights the reference uses.
    tensors, _ = ep.read_safetensors(path)
    for k, v in net.state_dict().items():
        assert np.array_equal(tensors[k].astype(np.float32), v.numpy()), k

    def run(model, dt):
        xin = torch.from_numpy(x).to(dt)
        if input_mean is not None:
            xin = xin - torch.from_numpy(np.asarray(input_mean, np.float32)).to(dt)
        if input_std is not None:
            xin = xin / torch.from_numpy(np.asarray(input_std, np.float32)).to(dt)
        st = {}
        for k, v in (states or {}).items():
            # PyTorch's h_0 / c_0: (num_layers * directions, batch, H)
            if isinstance(v, tuple):
                st[k] = tuple(torch.from_numpy(a).to(dt).unsqueeze(1) for a in v)
            else:
                st[k] = torch.from_numpy(v).to(dt).unsqueeze(1)
        with torch.no_grad():
            y, finals = model(xin.unsqueeze(0), st)
            if residual is not None:
                y = y + torch.from_numpy(x).to(dt)[None][..., residual]
        return y[0].numpy(), finals

    # reset-before GRUs: the explicit reference module of this script; the
    # exported module (export_pytorch's ResetBeforeGRU) must agree with it
    ref = reference_net(net)
    ref64 = copy.deepcopy(ref).double()
    y64, finals = run(ref64, torch.float64)
    y32, _ = run(ref, torch.float32)
    if ref is not net:
        y64e, _ = run(copy.deepcopy(net).double(), torch.float64)
        assert max_abs(y64e, y64) < 1e-12, (name, max_abs(y64e, y64))

    out = {"input": x, "output": y64}
    if states is not None:
        names = [n for n, _ in net.named_children()]
        for lname, v in states.items():
            k = names.index(lname)
            if isinstance(v, tuple):
                out[f"h0.{k}"] = v[0]
                out[f"c0.{k}"] = v[1]
                out[f"hn.{k}"] = finals[lname][0][:, 0, :].numpy()
                out[f"cn.{k}"] = finals[lname][1][:, 0, :].numpy()
            else:
                out[f"h0.{k}"] = v
                out[f"hn.{k}"] = finals[lname][:, 0, :].numpy()
    info = {"case": name, "model": name + ".safetensors", "mode": mode,
            "description": description,
            "reference": f"PyTorch {torch.__version__} in float64 (module.double())"
                         + (f" on the {dtype} weights widened" if dtype != "F32" else ""),
            "f32_max_abs": max_abs(y32, y64)}
    write_golden(os.path.join(outdir, name + ".golden"), info, out)
    return info


# ---- peephole LSTMs: numpy reference from python3-onnx ----

IFGO_TO_IOFC = (0, 3, 1, 2)   # ONNX gate blocks i, o, f, c from ours i, f, g, o
IFO_TO_IOF = (0, 2, 1)        # ONNX peepholes i, o, f from ours i, f, o


def reorder(a, order, H):
    return np.concatenate([a[g * H:(g + 1) * H] for g in order], axis=0)


def onnx_lstm_layer(x, w_ih, w_hh, b_ih, b_hh, w_ch, H, dt):
    """One peephole LSTM layer over x (T, I) with ONNX's LSTM_Helper."""
    W = reorder(w_ih, IFGO_TO_IOFC, H)[None].astype(dt)
    R = reorder(w_hh, IFGO_TO_IOFC, H)[None].astype(dt)
    B = np.concatenate([reorder(b_ih, IFGO_TO_IOFC, H),
                        reorder(b_hh, IFGO_TO_IOFC, H)])[None].astype(dt)
    P = reorder(w_ch, IFO_TO_IOF, H)[None].astype(dt)
    helper = LSTM_Helper(X=x[:, None, :].astype(dt), W=W, R=R, B=B, P=P,
                         initial_h=np.zeros((1, 1, H), dt),
                         initial_c=np.zeros((1, 1, H), dt))
    y, _ = helper.step()
    return y[:, 0, 0, :].astype(dt)


def peephole_case(outdir, name, I, H, L, head, x, description, strong, bias,
                  seed):
    """head: None or (out_features, activation)."""
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    sd = {}
    arch = [{"type": "lstm", "name": "rnn", "input_size": I, "hidden_size": H,
             "num_layers": L, "peephole": True}]
    if not bias:
        arch[0]["bias"] = False
    for l in range(L):
        n_in = I if l == 0 else H
        sd[f"rnn.weight_ih_l{l}"] = rng.uniform(-k, k, (4 * H, n_in))
        sd[f"rnn.weight_hh_l{l}"] = rng.uniform(-k, k, (4 * H, H))
        if bias:
            sd[f"rnn.bias_ih_l{l}"] = rng.uniform(-k, k, 4 * H)
            sd[f"rnn.bias_hh_l{l}"] = rng.uniform(-k, k, 4 * H)
        sd[f"rnn.weight_ch_l{l}"] = rng.uniform(-k, k, 3 * H)
    if head is not None:
        kh = 1.0 / np.sqrt(H)
        arch.append({"type": "linear", "name": "head", "in_features": H,
                     "out_features": head[0], "activation": head[1]})
        sd["head.weight"] = rng.uniform(-kh, kh, (head[0], H))
        sd["head.bias"] = rng.uniform(-kh, kh, head[0])
    if strong:
        for key in sd:
            sd[key] = sd[key] * 3.0
            if key.startswith("rnn.bias_ih"):
                sd[key][H:2 * H] += 1.0
    sd = {key: v.astype(np.float32) for key, v in sd.items()}
    path = os.path.join(outdir, name + ".safetensors")
    ep.export(None, path, architecture=arch, state_dict=sd,
              description=f"golden case {name}: {description}")

    def run(dt):
        h = x.astype(dt)
        for l in range(L):
            zeros = np.zeros(4 * H, np.float32)
            h = onnx_lstm_layer(h, sd[f"rnn.weight_ih_l{l}"], sd[f"rnn.weight_hh_l{l}"],
                                sd.get(f"rnn.bias_ih_l{l}", zeros),
                                sd.get(f"rnn.bias_hh_l{l}", zeros),
                                sd[f"rnn.weight_ch_l{l}"], H, dt)
        if head is not None:
            z = torch.from_numpy(h @ sd["head.weight"].astype(dt).T
                                 + sd["head.bias"].astype(dt))
            h = activate(z, head[1]).numpy()
        return h

    with np.errstate(over="ignore"):  # the helper's exp(-x) saturates: fine
        y64 = run(np.float64)
        y32 = run(np.float32)
    info = {"case": name, "model": name + ".safetensors", "mode": "stream",
            "description": description,
            "reference": "python3-onnx's numpy LSTM_Helper (peepholes) in float64",
            "f32_max_abs": max_abs(y32, y64)}
    write_golden(os.path.join(outdir, name + ".golden"), info,
                 {"input": x, "output": y64})
    return info


# ---- a trained model ----

def make_task_batch(gen, B, T):
    """3 noisy inputs; the class (0..3) says which input's recent average is
    largest, or 3 when all are below zero. Inputs are offset and scaled so
    that the model's input normalisation matters."""
    x = torch.randn(B, T, 3, generator=gen)
    smooth = torch.zeros(B, 3)
    y = torch.empty(B, T, dtype=torch.long)
    for t in range(T):
        smooth = 0.8 * smooth + 0.2 * x[:, t]
        best = smooth.argmax(dim=1)
        y[:, t] = torch.where(smooth.max(dim=1).values < 0, torch.full_like(best, 3), best)
    return 2.0 + 4.0 * x, y


def trained_case(outdir, name, x_len):
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    net = Net([("rnn", nn.LSTM(3, 16, batch_first=True)),
               ("head", nn.Linear(16, 4))])
    mean = np.array([2.0, 2.0, 2.0], np.float32)
    std = np.array([4.0, 4.0, 4.0], np.float32)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    losses = []
    for step in range(300):
        xb, yb = make_task_batch(gen, 16, 60)
        xb = (xb - torch.from_numpy(mean)) / torch.from_numpy(std)
        logits, _ = net(xb)
        loss = nn.functional.cross_entropy(logits.reshape(-1, 4), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    xs, ys = make_task_batch(gen, 1, x_len)
    with torch.no_grad():
        logits, _ = net((xs - torch.from_numpy(mean)) / torch.from_numpy(std))
    acc = float((logits.argmax(-1) == ys).float().mean())
    training = (f"synthetic 4-class task, Adam lr 0.02, 300 steps of 16x60 frames; "
                f"loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}; "
                f"accuracy on the golden input {acc:.3f}")
    print(f"  {name}: {training}")
    net.acts = {"head": "softmax"}  # trained on logits; the model outputs probabilities
    return torch_case(outdir, name, net, {"head": "softmax"},
                      xs[0].numpy().astype(np.float32),
                      "LSTM + softmax head trained in PyTorch, input normalisation",
                      input_mean=mean, input_std=std, task="classification",
                      labels=["first", "second", "third", "none"],
                      training=training)


# ---- the cases ----

def inputs(seed, T, I, amp):
    """Gaussian frames of standard deviation `amp`, plus slow sines so that
    long memory matters."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    x = rng.standard_normal((T, I)) + np.sin(2 * np.pi * t / (50 + 37 * np.arange(I)))
    return (amp * x).astype(np.float32)


def rnn(cls, I, H, L=1, **kw):
    return cls(I, H, num_layers=L, batch_first=True, **kw)


def build(outdir):
    cases = []
    T = T_DEFAULT

    def tc(name, seed, layers, acts, I, amp, description, strong=False, **kw):
        torch.manual_seed(seed)
        net = Net([(n, m()) for n, m in layers], acts)
        if strong:
            strengthen(net)
        cases.append(torch_case(outdir, name, net, acts,
                                inputs(seed, kw.pop("T", T), I, amp),
                                description, **kw))

    lin = nn.Linear
    # LSTM, 1 to 3 stacked layers; default init and strong.
    tc("lstm1-default", 1, [("rnn", lambda: rnn(nn.LSTM, 4, 16))], {}, 4, 1.0,
       "LSTM 4->16, default init, no head")
    tc("lstm2-default-softmax", 2,
       [("rnn", lambda: rnn(nn.LSTM, 4, 16, 2)), ("head", lambda: lin(16, 5))],
       {"head": "softmax"}, 4, 1.0, "2-layer LSTM + softmax head, default init")
    tc("lstm3-strong-none", 3,
       [("rnn", lambda: rnn(nn.LSTM, 3, 12, 3)), ("head", lambda: lin(12, 4))],
       {"head": "none"}, 3, 5.0, "3-layer LSTM + linear head, strong, inputs x5",
       strong=True)
    tc("lstm1-strong-sigmoid", 4,
       [("rnn", lambda: rnn(nn.LSTM, 5, 24)), ("head", lambda: lin(24, 6))],
       {"head": "sigmoid"}, 5, 5.0, "LSTM + sigmoid head, strong, inputs x5",
       strong=True, T=1500)
    tc("lstm2-strong", 5, [("rnn", lambda: rnn(nn.LSTM, 4, 20, 2))], {}, 4, 5.0,
       "2-layer LSTM, strong, inputs x5, no head", strong=True)
    # GRU
    tc("gru1-default-tanh", 6,
       [("rnn", lambda: rnn(nn.GRU, 4, 16)), ("head", lambda: lin(16, 4))],
       {"head": "tanh"}, 4, 1.0, "GRU + tanh head, default init")
    tc("gru2-strong-relu", 7,
       [("rnn", lambda: rnn(nn.GRU, 3, 20, 2)), ("head", lambda: lin(20, 5))],
       {"head": "relu"}, 3, 5.0, "2-layer GRU + relu head, strong, inputs x5",
       strong=True)
    tc("gru3-strong", 8, [("rnn", lambda: rnn(nn.GRU, 4, 12, 3))], {}, 4, 5.0,
       "3-layer GRU, strong, inputs x5, no head", strong=True)
    # Bidirectional (whole sequences)
    tc("bilstm2-default-softmax", 9,
       [("rnn", lambda: rnn(nn.LSTM, 4, 12, 2, bidirectional=True)),
        ("head", lambda: lin(24, 3))],
       {"head": "softmax"}, 4, 1.0, "2-layer bidirectional LSTM + softmax head",
       mode="sequence")
    tc("bilstm1-strong", 10,
       [("rnn", lambda: rnn(nn.LSTM, 3, 10, bidirectional=True))], {}, 3, 5.0,
       "bidirectional LSTM, strong, inputs x5, no head", strong=True,
       mode="sequence")
    tc("bigru2-strong-tanh", 11,
       [("rnn", lambda: rnn(nn.GRU, 4, 12, 2, bidirectional=True)),
        ("head", lambda: lin(24, 4))],
       {"head": "tanh"}, 4, 5.0, "2-layer bidirectional GRU + tanh head, strong",
       strong=True, mode="sequence")
    # No bias (PyTorch's bias=False)
    tc("lstm2-nobias-strong-softmax", 12,
       [("rnn", lambda: rnn(nn.LSTM, 4, 16, 2, bias=False)),
        ("head", lambda: lin(16, 3, bias=False))],
       {"head": "softmax"}, 4, 5.0, "2-layer LSTM and head without biases, strong",
       strong=True)
    tc("gru1-nobias-strong-relu", 13,
       [("rnn", lambda: rnn(nn.GRU, 5, 16, bias=False)),
        ("head", lambda: lin(16, 4))],
       {"head": "relu"}, 5, 5.0, "GRU without biases + relu head, strong",
       strong=True)
    tc("bigru1-nobias", 14,
       [("rnn", lambda: rnn(nn.GRU, 3, 8, bias=False, bidirectional=True)),
        ("head", lambda: lin(16, 3))],
       {"head": "sigmoid"}, 3, 5.0, "bidirectional GRU without biases + sigmoid head",
       mode="sequence")
    # Narrow weight files
    tc("lstm2-f16-softmax", 15,
       [("rnn", lambda: rnn(nn.LSTM, 4, 16, 2)), ("head", lambda: lin(16, 4))],
       {"head": "softmax"}, 4, 5.0, "2-layer LSTM + softmax head, F16 weights, strong",
       strong=True, dtype="F16")
    tc("gru2-bf16-sigmoid", 16,
       [("rnn", lambda: rnn(nn.GRU, 4, 16, 2)), ("head", lambda: lin(16, 4))],
       {"head": "sigmoid"}, 4, 5.0, "2-layer GRU + sigmoid head, BF16 weights, strong",
       strong=True, dtype="BF16")

    # GRU with the reset gate before the recurrent product (Keras
    # reset_after=False, ONNX linear_before_reset=0): no PyTorch cell, the
    # reference is ResetBeforeGRURef above
    rbg = ep.ResetBeforeGRU
    tc("grurb1-default-tanh", 24,
       [("rnn", lambda: rnn(rbg, 4, 16)), ("head", lambda: lin(16, 4))],
       {"head": "tanh"}, 4, 1.0, "reset-before GRU + tanh head, default init")
    tc("grurb2-strong-softmax", 25,
       [("rnn", lambda: rnn(rbg, 3, 20, 2)), ("head", lambda: lin(20, 5))],
       {"head": "softmax"}, 3, 5.0,
       "2-layer reset-before GRU + softmax head, strong, inputs x5", strong=True)
    tc("grurb1-nobias-strong", 26, [("rnn", lambda: rnn(rbg, 5, 12, bias=False))],
       {}, 5, 5.0, "reset-before GRU without biases, strong, inputs x5, no head",
       strong=True)
    tc("bigrurb2-strong-relu", 27,
       [("rnn", lambda: rnn(rbg, 4, 10, 2, bidirectional=True)),
        ("head", lambda: lin(20, 3))],
       {"head": "relu"}, 4, 5.0,
       "2-layer bidirectional reset-before GRU + relu head, strong",
       strong=True, mode="sequence")

    # Residual forecaster (lstm.residual): output j = head_j + raw x[j'],
    # on a trending series far from the input normalisation's mean.
    torch.manual_seed(21)
    net = Net([("rnn", rnn(nn.LSTM, 3, 16, 2)), ("head", nn.Linear(16, 3))],
              {"head": "none"})
    strengthen(net)
    xr = inputs(21, T, 3, 5.0) + (np.arange(T, dtype=np.float32)[:, None]
                                  * np.float32([0.02, -0.01, 0.03]))
    cases.append(torch_case(outdir, "residual-lstm2-trend", net, {"head": "none"},
                            xr.astype(np.float32),
                            "residual forecaster: 2-layer LSTM + linear head "
                            "adding raw inputs [2, 0, 1], normalised input, "
                            "trending series, strong",
                            input_mean=[1.0, -2.0, 0.5], input_std=[4.0, 2.0, 8.0],
                            task="forecast", residual=[2, 0, 1]))

    # Lag forecaster: a lag layer (past inputs kept in the stream's state,
    # edge-filled before the first frame) feeding a GRU, and a head that
    # also reads the lag layer's output (skip), residual output.
    torch.manual_seed(23)
    net = LagNet(ep.lag_module(2, [0, 1, 3, 12, 70]), rnn(nn.GRU, 10, 16),
                 nn.Linear(16 + 10, 2))
    strengthen(net)
    xl = inputs(23, T, 2, 5.0) + (np.arange(T, dtype=np.float32)[:, None]
                                  * np.float32([0.01, -0.02]))
    cases.append(torch_case(outdir, "lag-gru-skip-residual", net, {"head": "none"},
                            xl.astype(np.float32),
                            "lag layer (lags 0,1,3,12,70) + GRU + linear head "
                            "with the lag output as skip input, residual [1, 0], "
                            "normalised input, strong",
                            input_mean=[0.5, -1.0], input_std=[3.0, 2.0],
                            task="forecast", residual=[1, 0], skips={"head": "lag"}))

    # Initial state: (h0, c0) of a 2-layer LSTM and h0 of a GRU after it.
    torch.manual_seed(17)
    net = Net([("rnn", rnn(nn.LSTM, 4, 12, 2)), ("gru", rnn(nn.GRU, 12, 10)),
               ("head", nn.Linear(10, 3))], {"head": "none"})
    strengthen(net)
    rng = np.random.default_rng(17)
    states = {"rnn": (rng.uniform(-0.9, 0.9, (2, 12)).astype(np.float32),
                      rng.uniform(-3, 3, (2, 12)).astype(np.float32)),
              "gru": rng.uniform(-0.9, 0.9, (1, 10)).astype(np.float32)}
    cases.append(torch_case(outdir, "state-init-strong", net, {"head": "none"},
                            inputs(17, T, 4, 5.0),
                            "LSTM(2 layers) + GRU + linear from a given (h0, c0) / h0, strong",
                            states=states))

    # Peephole LSTMs against ONNX's numpy reference.
    if LSTM_Helper is None:
        raise SystemExit("python3-onnx is needed for the peephole cases")
    cases.append(peephole_case(outdir, "peephole1-default-softmax", 4, 16, 1,
                               (3, "softmax"), inputs(18, T, 4, 1.0),
                               "peephole LSTM + softmax head, PyTorch-like init",
                               strong=False, bias=True, seed=18))
    cases.append(peephole_case(outdir, "peephole2-strong", 3, 16, 2, None,
                               inputs(19, T, 3, 5.0),
                               "2-layer peephole LSTM, strong, inputs x5",
                               strong=True, bias=True, seed=19))
    # Without biases there is no forget bias to add, and x3 weights make
    # peephole LSTMs nearly chaotic: float32 itself then drifts 1e-5..3e-5
    # from float64 within 1000 frames (seeds 20 and 22; CONDITIONING below
    # refuses such cases). This one keeps PyTorch-scale weights, inputs x5.
    cases.append(peephole_case(outdir, "peephole1-nobias-tanh", 4, 12, 1,
                               (4, "tanh"), inputs(20, T, 4, 5.0),
                               "peephole LSTM without biases + tanh head, inputs x5",
                               strong=False, bias=False, seed=20))

    cases.append(trained_case(outdir, "trained-lstm-softmax", 2000))

    for c in cases:
        if c["f32_max_abs"] > CONDITIONING:
            raise SystemExit(
                f"{c['case']}: a float32 run is {c['f32_max_abs']:.2e} from the "
                f"float64 reference: the case is too ill-conditioned for the "
                f"1e-5 contract to be meaningful (limit {CONDITIONING:g})")
    return cases


def main(argv):
    outdir = argv[1] if len(argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    cases = build(outdir)
    total = 0
    for c in cases:
        for ext in (".safetensors", ".golden"):
            total += os.path.getsize(os.path.join(outdir, c["case"] + ext))
        print(f"{c['case']:32s} {c['mode']:8s} PyTorch f32 vs f64 reference: "
              f"max abs {c['f32_max_abs']:.2e}")
    print(f"{len(cases)} cases, {total / 1024:.0f} KiB in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
