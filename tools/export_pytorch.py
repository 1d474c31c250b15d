#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write and read gst-lstm model files (safetensors) from PyTorch.

Debian 12 has no `safetensors` Python package, so this module carries its
own small writer and reader (standard library + numpy; torch for modules).

Export a module made of nn.LSTM / nn.GRU / nn.Linear (and the activation,
container and no-op modules describe() lists), in registration order;
anything else raises ValueError naming the module:

    import torch.nn as nn
    from export_pytorch import export

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(40, 128, num_layers=2, batch_first=True)
            self.head = nn.Linear(128, 3)

    export(Tagger(), "tagger.safetensors", activations={"head": "softmax"},
           task="classification", labels=["speech", "music", "noise"],
           features={"kind": "fbank", "sample_frequency": 16000,
                     "num_mel_bins": 40})

The tensors keep their `state_dict` names (`rnn.weight_ih_l0`, ...), so the
file loads back with `load_state_dict` (see `to_torch`).

Peephole LSTMs: PyTorch has no peephole nn.LSTM, so this module defines
one, `PeepholeLSTM` (same arguments, parameters and outputs as nn.LSTM, plus
`weight_ch_l{k}` of 3 x hidden_size: the peepholes of the i, f and o gates,
in that order). export() writes it as an `lstm` layer with `peephole`, and
to_torch() gives it back:

    from export_pytorch import PeepholeLSTM
    rnn = PeepholeLSTM(40, 64, num_layers=2, batch_first=True)

The original GRU: nn.GRU applies the reset gate after the recurrent
product, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) (Keras'
reset_after=True, ONNX linear_before_reset=1). Keras' reset_after=False and
ONNX's default linear_before_reset=0 apply it before: n = tanh(W_in x + b_in
+ W_hn (r * h) + b_hn). This module defines that cell, `ResetBeforeGRU`
(same arguments, parameters, gate rows r, z, n and outputs as nn.GRU);
export() writes it as a `gru` layer with `"reset_after": false`, and
to_torch() gives it back:

    from export_pytorch import ResetBeforeGRU
    rnn = ResetBeforeGRU(40, 64, num_layers=2, batch_first=True)

Command line:  export_pytorch.py info MODEL
               export_pytorch.py check MODEL  (runs it in PyTorch on random
               input and prints the output shape; proves it loads)
"""

import json
import os
import struct
import sys
import tempfile

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"),
          "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "U8": np.dtype("u1")}


def bf16_bits(arr):
    """float32 values rounded to bfloat16 (nearest, ties to even): uint16 bits."""
    u = np.ascontiguousarray(arr, dtype=np.float32).view(np.uint32).astype(np.uint64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("bfloat16 conversion of non-finite values")
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def widen(arr, dtype):
    """The float32 values a file of `dtype` ("F32", "F16", "BF16") holds for `arr`."""
    arr = np.asarray(arr, dtype=np.float32)
    if dtype == "F16":
        return arr.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return (bf16_bits(arr).astype(np.uint32) << 16).view(np.float32)
    return arr.copy()


def write_safetensors(path, tensors, metadata=None, dtypes=None):
    """Write `tensors` (name -> numpy array, order kept) atomically.

    `dtypes` may map a tensor name to "F16" or "BF16": that float tensor is
    then stored narrowed (rounded to nearest)."""
    header = {}
    dtypes = dtypes or {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        code = {np.dtype("float32"): "F32", np.dtype("float16"): "F16",
                np.dtype("int64"): "I64", np.dtype("uint8"): "U8",
                np.dtype("float64"): "F64", np.dtype("int32"): "I32"}[arr.dtype]
        if dtypes.get(name) == "BF16":
            code = "BF16"
            data = bf16_bits(arr).astype("<u2").tobytes()
        else:
            if name in dtypes:
                code = dtypes[name]
            data = arr.astype(DTYPES[code], copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read_safetensors(path):
    """Return (tensors: name -> float32/other numpy array, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        if t["dtype"] == "BF16":
            u = np.frombuffer(data[begin:end], dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(data[begin:end], dtype=DTYPES[t["dtype"]])
        tensors[name] = arr.reshape(t["shape"]).copy()
    return tensors, metadata


ACTIVATION_NAMES = ("none", "softmax", "sigmoid", "tanh", "relu")

_PEEPHOLE_LSTM = None


def _peephole_lstm_class():
    """The PeepholeLSTM class, made on first use (torch is imported lazily)."""
    global _PEEPHOLE_LSTM
    if _PEEPHOLE_LSTM is not None:
        return _PEEPHOLE_LSTM
    import math
    import torch
    import torch.nn as nn

    class PeepholeLSTM(nn.Module):
        """nn.LSTM with Gers' peephole connections: the project's convention.

        Arguments, parameter names and shapes, input and output are those of
        nn.LSTM (no proj_size, no dropout), plus `weight_ch_l{k}` (and
        `weight_ch_l{k}_reverse`) of shape (3 * hidden_size,): the
        peepholes of the input, forget and output gates, in that order (ONNX
        orders its P input i, o, f). Gate rows of the other weights are
        i, f, g, o as in nn.LSTM. Equations, per direction and layer:
            i = s(W_ii x + b_ii + W_hi h + b_hi + p_i * c)
            f = s(W_if x + b_if + W_hf h + b_hf + p_f * c)
            g = tanh(W_ig x + b_ig + W_hg h + b_hg)
            c' = f * c + i * g
            o = s(W_io x + b_io + W_ho h + b_ho + p_o * c')
            h' = o * tanh(c')
        Parameters start as nn.LSTM's do: uniform in +-1/sqrt(hidden_size).
        """

        def __init__(self, input_size, hidden_size, num_layers=1, bias=True,
                     batch_first=False, bidirectional=False):
            super().__init__()
            self.input_size = input_size
            self.hidden_size = hidden_size
            self.num_layers = num_layers
            self.bias = bias
            self.batch_first = batch_first
            self.bidirectional = bidirectional
            H = hidden_size
            dirs = 2 if bidirectional else 1
            for k in range(num_layers):
                size = input_size if k == 0 else H * dirs
                for sfx in ([""] if dirs == 1 else ["", "_reverse"]):
                    self.register_parameter(f"weight_ih_l{k}{sfx}",
                                            nn.Parameter(torch.empty(4 * H, size)))
                    self.register_parameter(f"weight_hh_l{k}{sfx}",
                                            nn.Parameter(torch.empty(4 * H, H)))
                    if bias:
                        self.register_parameter(f"bias_ih_l{k}{sfx}",
                                                nn.Parameter(torch.empty(4 * H)))
                        self.register_parameter(f"bias_hh_l{k}{sfx}",
                                                nn.Parameter(torch.empty(4 * H)))
                    self.register_parameter(f"weight_ch_l{k}{sfx}",
                                            nn.Parameter(torch.empty(3 * H)))
            bound = 1.0 / math.sqrt(H)
            for p in self.parameters():
                nn.init.uniform_(p, -bound, bound)

        def _direction(self, x, k, sfx, h, c, reverse):
            """One layer and direction over x (time, batch, features)."""
            H = self.hidden_size
            w_ih = getattr(self, f"weight_ih_l{k}{sfx}")
            w_hh = getattr(self, f"weight_hh_l{k}{sfx}")
            p_i, p_f, p_o = getattr(self, f"weight_ch_l{k}{sfx}").split(H)
            gx = x @ w_ih.t()
            if self.bias:
                gx = gx + getattr(self, f"bias_ih_l{k}{sfx}")
            ys = [None] * x.shape[0]
            steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
            for t in steps:
                g = h @ w_hh.t()
                if self.bias:
                    g = g + getattr(self, f"bias_hh_l{k}{sfx}")
                ai, af, ag, ao = (gx[t] + g).split(H, dim=-1)
                i = torch.sigmoid(ai + p_i * c)
                f = torch.sigmoid(af + p_f * c)
                c = f * c + i * torch.tanh(ag)
                o = torch.sigmoid(ao + p_o * c)
                h = o * torch.tanh(c)
                ys[t] = h
            return torch.stack(ys), h, c

        def forward(self, x, hx=None):
            if self.batch_first:
                x = x.transpose(0, 1)
            dirs = 2 if self.bidirectional else 1
            shape = (self.num_layers * dirs, x.shape[1], self.hidden_size)
            h0, c0 = hx if hx is not None else (x.new_zeros(shape), x.new_zeros(shape))
            hs, cs = [], []
            for k in range(self.num_layers):
                outs = []
                for d, sfx in enumerate([""] if dirs == 1 else ["", "_reverse"]):
                    y, h, c = self._direction(x, k, sfx, h0[k * dirs + d],
                                              c0[k * dirs + d], d == 1)
                    outs.append(y)
                    hs.append(h)
                    cs.append(c)
                x = torch.cat(outs, dim=-1)
            if self.batch_first:
                x = x.transpose(0, 1)
            return x, (torch.stack(hs), torch.stack(cs))

    _PEEPHOLE_LSTM = PeepholeLSTM
    return PeepholeLSTM


_RESET_BEFORE_GRU = None


def _reset_before_gru_class():
    """The ResetBeforeGRU class, made on first use (torch is imported lazily)."""
    global _RESET_BEFORE_GRU
    if _RESET_BEFORE_GRU is not None:
        return _RESET_BEFORE_GRU
    import math
    import torch
    import torch.nn as nn

    class ResetBeforeGRU(nn.Module):
        """The original GRU, reset gate before the recurrent product: the
        project's convention for Keras GRU(reset_after=False) and ONNX GRU
        with linear_before_reset=0 (a `gru` layer with `"reset_after":
        false` in the model file).

        Arguments, parameter names and shapes (`weight_ih_l{k}` 3H x in,
        `weight_hh_l{k}` 3H x H, `bias_ih_l{k}`, `bias_hh_l{k}` 3H, gate
        rows r, z, n), input and output are those of nn.GRU (no dropout).
        Equations, per direction and layer:
            r = s(W_ir x + b_ir + W_hr h + b_hr)
            z = s(W_iz x + b_iz + W_hz h + b_hz)
            n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
            h' = (1 - z) * n + z * h
        Parameters start as nn.GRU's do: uniform in +-1/sqrt(hidden_size).
        """

        def __init__(self, input_size, hidden_size, num_layers=1, bias=True,
                     batch_first=False, bidirectional=False):
            super().__init__()
            self.input_size = input_size
            self.hidden_size = hidden_size
            self.num_layers = num_layers
            self.bias = bias
            self.batch_first = batch_first
            self.bidirectional = bidirectional
            H = hidden_size
            dirs = 2 if bidirectional else 1
            for k in range(num_layers):
                size = input_size if k == 0 else H * dirs
                for sfx in ([""] if dirs == 1 else ["", "_reverse"]):
                    self.register_parameter(f"weight_ih_l{k}{sfx}",
                                            nn.Parameter(torch.empty(3 * H, size)))
                    self.register_parameter(f"weight_hh_l{k}{sfx}",
                                            nn.Parameter(torch.empty(3 * H, H)))
                    if bias:
                        self.register_parameter(f"bias_ih_l{k}{sfx}",
                                                nn.Parameter(torch.empty(3 * H)))
                        self.register_parameter(f"bias_hh_l{k}{sfx}",
                                                nn.Parameter(torch.empty(3 * H)))
            bound = 1.0 / math.sqrt(H)
            for p in self.parameters():
                nn.init.uniform_(p, -bound, bound)

        def _direction(self, x, k, sfx, h, reverse):
            """One layer and direction over x (time, batch, features)."""
            H = self.hidden_size
            w_ih = getattr(self, f"weight_ih_l{k}{sfx}")
            w_hr, w_hz, w_hn = getattr(self, f"weight_hh_l{k}{sfx}").split(H)
            gx = x @ w_ih.t()
            b_hr = b_hz = b_hn = 0.0
            if self.bias:
                gx = gx + getattr(self, f"bias_ih_l{k}{sfx}")
                b_hr, b_hz, b_hn = getattr(self, f"bias_hh_l{k}{sfx}").split(H)
            ys = [None] * x.shape[0]
            steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
            for t in steps:
                ar, az, an = gx[t].split(H, dim=-1)
                r = torch.sigmoid(ar + h @ w_hr.t() + b_hr)
                z = torch.sigmoid(az + h @ w_hz.t() + b_hz)
                n = torch.tanh(an + (r * h) @ w_hn.t() + b_hn)
                h = (1 - z) * n + z * h
                ys[t] = h
            return torch.stack(ys), h

        def forward(self, x, hx=None):
            if self.batch_first:
                x = x.transpose(0, 1)
            dirs = 2 if self.bidirectional else 1
            shape = (self.num_layers * dirs, x.shape[1], self.hidden_size)
            h0 = hx if hx is not None else x.new_zeros(shape)
            hs = []
            for k in range(self.num_layers):
                outs = []
                for d, sfx in enumerate([""] if dirs == 1 else ["", "_reverse"]):
                    y, h = self._direction(x, k, sfx, h0[k * dirs + d], d == 1)
                    outs.append(y)
                    hs.append(h)
                x = torch.cat(outs, dim=-1)
            if self.batch_first:
                x = x.transpose(0, 1)
            return x, torch.stack(hs)

    _RESET_BEFORE_GRU = ResetBeforeGRU
    return ResetBeforeGRU


def __getattr__(name):
    """`PeepholeLSTM` and `ResetBeforeGRU` are made on first access, so that
    importing this module needs no torch."""
    if name == "PeepholeLSTM":
        return _peephole_lstm_class()
    if name == "ResetBeforeGRU":
        return _reset_before_gru_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
CONTAINER_TYPES = ("Sequential", "ModuleList", "ModuleDict", "Module")


def lag_module(input_size, lags):
    """A `lag` layer as an nn.Module: output k * input_size + j of frame t is
    input j of frame t - lags[k]; frames before the sequence's first are
    taken to equal it (what liblstm's state does at a stream's start).
    Export it like any layer; a nn.Linear reading torch.cat([previous
    output, lag output], -1) is declared with export(skips={path: lag
    path})."""
    import torch
    import torch.nn as nn

    class Lag(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_size = int(input_size)
            self.lags = [int(v) for v in lags]
            if not self.lags or min(self.lags) < 0:
                raise ValueError("lags: a non-empty list of lags >= 0")

        def forward(self, x):
            p = max(self.lags)
            xp = torch.cat([x[:, :1].expand(-1, p, -1), x], dim=1) if p else x
            t = x.shape[1]
            return torch.cat([xp[:, p - lag:p - lag + t] for lag in self.lags], dim=-1)

    return Lag()


def _is_lag(m):
    return type(m).__name__ == "Lag" and hasattr(m, "lags") and hasattr(m, "input_size")


def _where(path, m):
    return f"{path or '<root>'} ({type(m).__module__}.{type(m).__qualname__})"


def _flatten(module, prefix=""):
    """(attribute path, module) of the leaves, in registration order: the
    containers nn.Sequential, nn.ModuleList, nn.ModuleDict and plain
    nn.Module are entered, anything else is a leaf."""
    import torch.nn as nn
    out = []
    for name, m in module.named_children():
        path = prefix + name
        if type(m) in (nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.Module):
            out.extend(_flatten(m, path + "."))
        else:
            out.append((path, m))
    return out


def _activation_of(m):
    """The `activation` an activation module stands for, None if `m` is none."""
    import torch.nn as nn
    t = type(m)
    if t is nn.ReLU:
        return "relu"
    if t is nn.Tanh:
        return "tanh"
    if t is nn.Sigmoid:
        return "sigmoid"
    if t is nn.Softmax:
        return "softmax" if m.dim == -1 else False
    return None


def describe(module, activations=None, skips=None):
    """The architecture list of `module`, or ValueError naming the first
    module (attribute path and type) that cannot be represented exactly.

    Accepted, in registration order (containers entered): nn.LSTM, nn.GRU,
    PeepholeLSTM, ResetBeforeGRU (exact types), nn.Linear, an activation module nn.ReLU / nn.Tanh /
    nn.Sigmoid / nn.Softmax(dim=-1) right after a nn.Linear without
    activation (it becomes that layer's `activation`), nn.Identity, and
    nn.Dropout when it is the identity (eval mode or p = 0). `activations`
    maps a linear layer's attribute path to its activation (for activations
    applied functionally in forward). A lag_module() is a `lag` layer (the
    first one only); `skips` maps a linear layer's path to the lag layer
    whose output its forward appends to its input."""
    import torch.nn as nn
    activations = dict(activations or {})
    peephole_lstm = _peephole_lstm_class()
    reset_before_gru = _reset_before_gru_class()
    skips = dict(skips or {})
    arch = []
    for path, m in _flatten(module):
        where = _where(path, m)
        t = type(m)
        act = _activation_of(m)
        if _is_lag(m):
            if arch:
                raise ValueError(f"{where}: a lag layer must be the first layer")
            arch.append({"type": "lag", "name": path, "input_size": m.input_size,
                         "lags": list(m.lags)})
        elif t is peephole_lstm or t is reset_before_gru:
            layer = {"type": "lstm" if t is peephole_lstm else "gru", "name": path,
                     "input_size": m.input_size, "hidden_size": m.hidden_size,
                     "num_layers": m.num_layers}
            if t is peephole_lstm:
                layer["peephole"] = True
            else:
                layer["reset_after"] = False
            if m.bidirectional:
                layer["bidirectional"] = True
            if not m.bias:
                layer["bias"] = False
            arch.append(layer)
        elif t in (nn.LSTM, nn.GRU):
            if getattr(m, "proj_size", 0):
                raise ValueError(f"{where}: proj_size={m.proj_size} is not supported")
            if m.training and m.dropout > 0 and m.num_layers > 1:
                raise ValueError(f"{where}: dropout={m.dropout} in train mode is not "
                                 "deterministic (call .eval() first)")
            layer = {"type": "lstm" if t is nn.LSTM else "gru",
                     "name": path, "input_size": m.input_size,
                     "hidden_size": m.hidden_size, "num_layers": m.num_layers}
            if m.bidirectional:
                layer["bidirectional"] = True
            if not m.bias:
                layer["bias"] = False
            arch.append(layer)
        elif t is nn.Linear:
            a = activations.pop(path, "none")
            if a not in ACTIVATION_NAMES:
                raise ValueError(f"{where}: activation {a!r} is not one of "
                                 f"{', '.join(ACTIVATION_NAMES)}")
            layer = {"type": "linear", "name": path, "in_features": m.in_features,
                     "out_features": m.out_features, "activation": a}
            if path in skips:
                layer["skip"] = skips.pop(path)
            if m.bias is None:
                layer["bias"] = False
            arch.append(layer)
        elif act is False:
            raise ValueError(f"{where}: softmax over dim={m.dim}; only dim=-1 (the "
                             "features) can be represented")
        elif act is not None:
            if not arch or arch[-1]["type"] != "linear":
                raise ValueError(f"{where}: an activation can only follow a nn.Linear "
                                 "(it becomes that layer's activation); here it "
                                 "cannot fold")
            if arch[-1]["activation"] != "none":
                raise ValueError(f"{where}: the preceding linear layer "
                                 f"{arch[-1]['name']} already has activation "
                                 f"{arch[-1]['activation']!r}")
            arch[-1]["activation"] = act
        elif t is nn.Identity:
            continue
        elif t is nn.Dropout:
            if m.training and m.p > 0:
                raise ValueError(f"{where}: dropout p={m.p} in train mode is not "
                                 "deterministic (call .eval() first)")
            continue
        else:
            raise ValueError(f"{where}: this module cannot be represented exactly "
                             "(accepted: nn.LSTM, nn.GRU, PeepholeLSTM, "
                             "ResetBeforeGRU, nn.Linear, "
                             "nn.ReLU, nn.Tanh, "
                             "nn.Sigmoid, nn.Softmax(dim=-1), nn.Identity, nn.Dropout "
                             "in eval mode)")
    if activations:
        raise ValueError(f"activations names {sorted(activations)}, which are not "
                         "nn.Linear layers of the module")
    if skips:
        raise ValueError(f"skips names {sorted(skips)}, which are not nn.Linear "
                         "layers of the module")
    if not arch:
        raise ValueError("the module has no nn.LSTM, nn.GRU or nn.Linear child")
    return arch


def export(module, path, activations=None, architecture=None, task=None,
           labels=None, features=None, description=None, training=None,
           input_mean=None, input_std=None, state_dict=None, dtype="F32",
           residual=None, horizon=None, verify=True, skips=None):
    """Write `module` (or an explicit `architecture` + `state_dict`) to `path`.

    `dtype` ("F32", "F16" or "BF16") is how the layers' weights are stored;
    liblstm widens F16 and BF16 to float32 when it loads them.

    `residual` (a list of input indices, one per output, e.g. [0]) marks a
    residual forecaster: output j = last linear layer's output j +
    x_raw[..., residual[j]], the frame's un-normalised input (the last layer
    must be linear without activation). `horizon` records how many rows
    ahead a forecaster predicts (lstm.horizon). `skips` (see describe())
    marks linear layers whose input is the previous layer's output followed
    by a lag layer's.

    `module` is described by describe(): anything it cannot represent
    exactly raises ValueError naming the module (attribute path and type),
    and so does a parameter or buffer outside the exported layers. Buffers
    `input_mean` / `input_std` on the module itself become the input
    normalisation (the forward must compute (x - input_mean) / input_std
    first). With `verify` (the default), a module that defines forward is
    run on random input next to the file's model and must agree within
    1e-5; this catches what the module tree cannot show (functional ops,
    reordering, a transpose). `architecture` + `state_dict` bypass all
    of this: the caller vouches for them."""
    if dtype not in ("F32", "F16", "BF16"):
        raise ValueError(f"dtype {dtype!r}: F32, F16 or BF16")
    arch = (architecture if architecture is not None
            else describe(module, activations, skips))
    sd = state_dict if state_dict is not None else module.state_dict()
    names = [layer["name"] for layer in arch]
    tensors = {}
    buffers = {}
    for k, v in sd.items():
        v = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
        if any(k.startswith(n + ".") for n in names):
            tensors[k] = v.astype(np.float32)
        elif k in ("input_mean", "input_std") and architecture is None:
            buffers[k] = v.astype(np.float32)
        elif architecture is None:
            raise ValueError(f"{k} ({type(module).__qualname__}): a parameter or "
                             "buffer outside the exported layers cannot be represented")
    for key, arg in (("input_mean", input_mean), ("input_std", input_std)):
        if arg is not None and key in buffers:
            raise ValueError(f"{key}: given both as an argument and as the module's "
                             "buffer")
        if arg is not None:
            buffers[key] = np.asarray(arg, dtype=np.float32)
    if "input_mean" in buffers:
        tensors["input.mean"] = buffers["input_mean"]
    if "input_std" in buffers:
        tensors["input.std"] = buffers["input_std"]
    md = {"lstm.format": "1", "lstm.architecture": json.dumps(arch)}
    if task:
        md["lstm.task"] = task
    if labels is not None:
        md["lstm.labels"] = json.dumps(list(labels))
    if features is not None:
        md["lstm.features"] = features if isinstance(features, str) else json.dumps(features)
    if description:
        md["lstm.description"] = description
    if training:
        md["lstm.training"] = training
    if residual is not None:
        last = arch[-1]
        if last["type"] != "linear" or last.get("activation", "none") != "none":
            raise ValueError("residual needs a last linear layer without activation")
        if len(residual) != last["out_features"]:
            raise ValueError(f"residual has {len(residual)} entries for "
                             f"{last['out_features']} outputs")
        md["lstm.residual"] = json.dumps([int(i) for i in residual])
    if horizon is not None:
        md["lstm.horizon"] = str(int(horizon))
    if verify and architecture is None and state_dict is None:
        _verify(module, arch, tensors, md, input_mean, input_std, residual)
    narrow = {k: dtype for k in tensors if dtype != "F32" and not k.startswith("input.")}
    write_safetensors(path, tensors, md, narrow)


def _verify(module, arch, tensors, md, arg_mean, arg_std, residual):
    """Run `module`'s own forward and the file's model (built as to_torch
    builds it, from the float32 weights) on the same random input; they must
    agree within 1e-5, or the forward does something the file cannot say.
    Normalisation and a residual given as export() arguments are applied
    around the module (it is fed normalised input and computes the rest);
    `input_mean` / `input_std` buffers must be applied by its forward."""
    import torch
    import torch.nn as nn
    if type(module).forward is nn.Module.forward:
        return        # no forward: the children's order is the model
    first = arch[0]
    size = first.get("input_size", first.get("in_features"))
    rnns = [m for m in module.modules()
            if type(m) in (nn.LSTM, nn.GRU, _peephole_lstm_class(),
                           _reset_before_gru_class())]
    batch_first = rnns[0].batch_first if rnns else True
    gen = torch.Generator().manual_seed(20261206)
    x = torch.randn(1, 64, size, generator=gen)
    net = _build(arch, tensors, md)
    try:
        with torch.no_grad():
            want = net(x)
            xin = x
            if arg_mean is not None:
                xin = xin - torch.as_tensor(np.asarray(arg_mean, np.float32))
            if arg_std is not None:
                xin = xin / torch.as_tensor(np.asarray(arg_std, np.float32))
            got = module(xin if batch_first else xin.transpose(0, 1))
            if isinstance(got, (tuple, list)):
                got = got[0]
            if not batch_first:
                got = got.transpose(0, 1)
            if residual is not None:
                got = got + x[..., [int(i) for i in residual]]
    except Exception as e:
        raise ValueError(f"<root> ({type(module).__qualname__}): its forward does not "
                         f"run on (1, time, {size}) input ({e}); pass verify=False "
                         "only if you have checked the file's outputs yourself") from e
    if tuple(got.shape) != tuple(want.shape) or not torch.all(
            (got - want).abs() <= 1e-5 * torch.clamp(want.abs(), min=1.0)):
        raise ValueError(f"<root> ({type(module).__qualname__}): its forward does not "
                         "compute its modules in registration order as the file would "
                         "(a functional op, reordered or skipped module, residual or "
                         "normalisation not declared); max difference "
                         + (f"{float((got - want).abs().max()):.3g}"
                            if got.shape == want.shape else
                            f"n/a, shape {tuple(got.shape)} vs {tuple(want.shape)}"))


def _build(arch, tensors, md):
    """The nn.Module that computes `arch` with `tensors` (see to_torch)."""
    import torch
    import torch.nn as nn
    ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                          "softmax": lambda: nn.Softmax(dim=-1)}

    peephole_lstm = _peephole_lstm_class()
    reset_before_gru = _reset_before_gru_class()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.acts = {}
            for layer in arch:
                t = layer["type"]
                if t == "lag":
                    m = lag_module(layer["input_size"], layer["lags"])
                elif t in ("lstm", "gru"):
                    cls = nn.LSTM if t == "lstm" else nn.GRU
                    if layer.get("peephole"):
                        cls = peephole_lstm
                    if t == "gru" and not layer.get("reset_after", True):
                        cls = reset_before_gru
                    m = cls(layer["input_size"], layer["hidden_size"],
                            num_layers=layer.get("num_layers", 1),
                            bias=layer.get("bias", True),
                            bidirectional=layer.get("bidirectional", False),
                            batch_first=True)
                else:
                    m = nn.Linear(layer["in_features"], layer["out_features"],
                                  bias=layer.get("bias", True))
                # a dotted name (head.0) lives in plain nn.Module containers
                *parents, leaf = layer["name"].split(".")
                holder = self
                for p in parents:
                    if not hasattr(holder, p):
                        holder.add_module(p, nn.Module())
                    holder = getattr(holder, p)
                holder.add_module(leaf, m)
                act = ACTIVATION_MODULES.get(layer.get("activation", "none"))
                if t == "linear" and act is not None:
                    # a module, so that export() of this net folds it back
                    holder.add_module(leaf + "_activation", act())
                    self.acts[layer["name"]] = ".".join(parents + [leaf + "_activation"])
            self.order = [layer["name"] for layer in arch]
            self.skips = {layer["name"]: layer["skip"] for layer in arch
                          if layer.get("skip")}
            for key, name in (("input.mean", "input_mean"), ("input.std", "input_std")):
                if key in tensors:
                    self.register_buffer(name, torch.from_numpy(np.array(tensors[key])))
                else:
                    setattr(self, name, None)
            self.residual = (json.loads(md["lstm.residual"])
                             if "lstm.residual" in md else None)

        def forward(self, x):
            raw = x
            if self.input_mean is not None:
                x = x - self.input_mean
            if self.input_std is not None:
                x = x / self.input_std
            outs = {}
            for name in self.order:
                m = self.get_submodule(name)
                if isinstance(m, (nn.LSTM, nn.GRU, peephole_lstm, reset_before_gru)):
                    x, _ = m(x)
                else:
                    if name in self.skips:
                        x = torch.cat([x, outs[self.skips[name]]], dim=-1)
                    x = m(x)
                    if name in self.acts:
                        x = self.get_submodule(self.acts[name])(x)
                outs[name] = x
            if self.residual is not None:
                x = x + raw[..., self.residual]
            return x

    net = Net()
    sd = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()
          if not k.startswith("optim.") and not k.startswith("input.")}
    for key, name in (("input.mean", "input_mean"), ("input.std", "input_std")):
        if key in tensors:
            sd[name] = torch.from_numpy(np.array(tensors[key]))
    net.load_state_dict(sd, strict=True)
    return net.eval()


def to_torch(path):
    """Load one of our files into nn.LSTM/nn.GRU/nn.Linear modules.

    Returns (net, metadata): `net` is an nn.Module whose submodules carry
    the file's layer names (a dotted name such as `head.0` sits in a plain
    nn.Module container `head`) and whose forward(x) runs them in order on
    (batch, time, features) input, applying each linear layer's activation
    and the input normalisation (buffers `input_mean`, `input_std`), and
    for a residual model (lstm.residual) adding x[..., residual] (the raw
    input) to the last layer's output. A `lag` layer is a lag_module(), and
    a linear layer with `skip` reads torch.cat([previous output, the skip
    layer's output], -1). Everything export() accepts comes back; peephole
    LSTMs come back as PeepholeLSTM modules, GRUs with `"reset_after":
    false` as ResetBeforeGRU modules.
    """
    tensors, md = read_safetensors(path)
    arch = json.loads(md["lstm.architecture"])
    return _build(arch, tensors, md), md


def main(argv):
    if len(argv) != 3 or argv[1] not in ("info", "check"):
        print(__doc__)
        return 2
    tensors, md = read_safetensors(argv[2])
    if argv[1] == "info":
        for k, v in sorted(md.items()):
            print(f"{k}: {v}")
        for k, v in tensors.items():
            print(f"{k}: {v.dtype} {list(v.shape)}")
        return 0
    import torch
    net, md = to_torch(argv[2])
    arch = json.loads(md["lstm.architecture"])
    first = arch[0]
    x = torch.randn(1, 10, first.get("input_size", first.get("in_features")))
    print(tuple(net(x).shape))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
