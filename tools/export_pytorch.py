#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write and read gst-lstm model files (safetensors) from PyTorch.

Debian 12 has no `safetensors` Python package, so this module carries its
own small writer and reader (standard library + numpy; torch for modules).

Export a module whose children are nn.LSTM / nn.GRU / nn.Linear, in order:

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


def describe(module, activations=None):
    """The architecture list of a module's nn.LSTM/nn.GRU/nn.Linear children."""
    import torch.nn as nn
    activations = activations or {}
    arch = []
    for name, m in module.named_children():
        if isinstance(m, (nn.LSTM, nn.GRU)):
            if getattr(m, "proj_size", 0):
                raise ValueError(f"{name}: proj_size is not supported")
            layer = {"type": "lstm" if isinstance(m, nn.LSTM) else "gru",
                     "name": name, "input_size": m.input_size,
                     "hidden_size": m.hidden_size, "num_layers": m.num_layers}
            if m.bidirectional:
                layer["bidirectional"] = True
            if not m.bias:
                layer["bias"] = False
        elif isinstance(m, nn.Linear):
            layer = {"type": "linear", "name": name, "in_features": m.in_features,
                     "out_features": m.out_features,
                     "activation": activations.get(name, "none")}
            if m.bias is None:
                layer["bias"] = False
        else:
            continue
        arch.append(layer)
    if not arch:
        raise ValueError("the module has no nn.LSTM, nn.GRU or nn.Linear child")
    return arch


def export(module, path, activations=None, architecture=None, task=None,
           labels=None, features=None, description=None, training=None,
           input_mean=None, input_std=None, state_dict=None, dtype="F32",
           residual=None, horizon=None):
    """Write `module` (or an explicit `architecture` + `state_dict`) to `path`.

    `dtype` ("F32", "F16" or "BF16") is how the layers' weights are stored;
    liblstm widens F16 and BF16 to float32 when it loads them.

    `residual` (a list of input indices, one per output, e.g. [0]) marks a
    residual forecaster: output j = last linear layer's output j +
    x_raw[..., residual[j]], the frame's un-normalised input (the last layer
    must be linear without activation). `horizon` records how many rows
    ahead a forecaster predicts (lstm.horizon)."""
    if dtype not in ("F32", "F16", "BF16"):
        raise ValueError(f"dtype {dtype!r}: F32, F16 or BF16")
    arch = architecture if architecture is not None else describe(module, activations)
    sd = state_dict if state_dict is not None else module.state_dict()
    names = {layer["name"] for layer in arch}
    tensors = {}
    for k, v in sd.items():
        if k.split(".")[0] in names or any(k.startswith(n + ".") for n in names):
            v = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
            tensors[k] = v.astype(np.float32)
    if input_mean is not None:
        tensors["input.mean"] = np.asarray(input_mean, dtype=np.float32)
    if input_std is not None:
        tensors["input.std"] = np.asarray(input_std, dtype=np.float32)
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
    narrow = {k: dtype for k in tensors if dtype != "F32" and not k.startswith("input.")}
    write_safetensors(path, tensors, md, narrow)


def to_torch(path):
    """Load one of our files into nn.LSTM/nn.GRU/nn.Linear modules.

    Returns (net, metadata): `net` is an nn.Module whose children carry the
    file's layer names and whose forward(x) runs them in order on
    (batch, time, features) input, applying each linear layer's activation
    and the input normalisation, and for a residual model (lstm.residual)
    adding x[..., residual] (the raw input) to the last layer's output.
    Peephole LSTMs have no nn.LSTM equivalent.
    """
    import torch
    import torch.nn as nn
    tensors, md = read_safetensors(path)
    arch = json.loads(md["lstm.architecture"])

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.acts = {}
            for layer in arch:
                t = layer["type"]
                if layer.get("peephole"):
                    raise ValueError("peephole LSTMs have no nn.LSTM equivalent")
                if t in ("lstm", "gru"):
                    cls = nn.LSTM if t == "lstm" else nn.GRU
                    m = cls(layer["input_size"], layer["hidden_size"],
                            num_layers=layer.get("num_layers", 1),
                            bias=layer.get("bias", True),
                            bidirectional=layer.get("bidirectional", False),
                            batch_first=True)
                else:
                    m = nn.Linear(layer["in_features"], layer["out_features"],
                                  bias=layer.get("bias", True))
                    self.acts[layer["name"]] = layer.get("activation", "none")
                self.add_module(layer["name"], m)
            self.mean = tensors.get("input.mean")
            self.std = tensors.get("input.std")
            self.residual = (json.loads(md["lstm.residual"])
                             if "lstm.residual" in md else None)

        def forward(self, x):
            raw = x
            if self.mean is not None:
                x = x - torch.from_numpy(self.mean)
            if self.std is not None:
                x = x / torch.from_numpy(self.std)
            for name, m in self.named_children():
                if isinstance(m, (nn.LSTM, nn.GRU)):
                    x, _ = m(x)
                else:
                    x = m(x)
                    a = self.acts[name]
                    if a == "softmax":
                        x = torch.softmax(x, dim=-1)
                    elif a == "sigmoid":
                        x = torch.sigmoid(x)
                    elif a == "tanh":
                        x = torch.tanh(x)
                    elif a == "relu":
                        x = torch.relu(x)
            if self.residual is not None:
                x = x + raw[..., self.residual]
            return x

    net = Net()
    sd = {k: torch.from_numpy(v) for k, v in tensors.items()
          if not k.startswith("optim.") and not k.startswith("input.")}
    net.load_state_dict(sd, strict=True)
    return net, md


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
