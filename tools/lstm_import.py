#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Import ONNX, Keras and TF.js Layers models as gst-lstm model files.

This is the reader behind `lstm import INPUT OUTPUT.safetensors`. It is
Python, not C, because ONNX files are protobuf messages and Keras files are
HDF5: Debian's python3-onnx and python3-h5py read them, where the C tool
would need protobuf and HDF5 libraries for one command. The C command runs
this script and then loads the result with liblstm.

    lstm_import.py INPUT OUTPUT.safetensors [--labels A,B,C|FILE]
                   [--task classification|regression|forecast]

INPUT, by its name:
  *.onnx             an ONNX graph: LSTM / GRU nodes (as torch.onnx.export
                     writes nn.LSTM / nn.GRU), MatMul + Add or Gemm (nn.Linear),
                     Relu / Tanh / Sigmoid / Softmax after a linear layer, and
                     the layout plumbing between them (Transpose, Squeeze,
                     Reshape of the two directions, Identity, Dropout).
  *.h5, *.hdf5       a Keras model saved whole (model.save("m.h5")).
  *.keras            a Keras v3 archive (config.json + model.weights.h5).
  *.json             a TF.js Layers model (model.json + its weight files).

Gate orders, converted to PyTorch's (LSTM i, f, g, o; GRU r, z, n):
ONNX LSTM i, o, f, c with peepholes P in i, o, f; ONNX GRU z, r, h; Keras
LSTM i, f, c, o; Keras GRU z, r, h. Both GRU forms are imported: the reset
gate after the recurrent product (ONNX linear_before_reset=1, Keras
reset_after=True, PyTorch's nn.GRU) and before it (ONNX
linear_before_reset=0, the ONNX default; Keras reset_after=False, the only
form TF.js builds), the latter as a `gru` layer with `"reset_after": false`.
Anything that liblstm cannot compute exactly is refused with ImportFailure
naming the node or layer and the attribute: ONNX `activations` other than
the defaults, `clip`, `input_forget`, a `reverse`-only direction; Keras
recurrent_activation other than sigmoid (hard_sigmoid included),
return_sequences=False, Masking, and any other layer or op.
"""

import json
import os
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_pytorch import write_safetensors  # noqa: E402

ACTIVATIONS = ("none", "softmax", "sigmoid", "tanh", "relu")


class ImportFailure(Exception):
    """A model that cannot be imported exactly; the message says why."""


# ---------------------------------------------------------------- common

def _f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _rnn_layer(name, cell, input_size, hidden, bidirectional, bias, peephole,
               reset_after=True):
    layer = {"type": cell, "name": name, "input_size": int(input_size),
             "hidden_size": int(hidden), "num_layers": 1}
    if bidirectional:
        layer["bidirectional"] = True
    if not bias:
        layer["bias"] = False
    if peephole:
        layer["peephole"] = True
    if not reset_after:
        layer["reset_after"] = False
    return layer


def _merge_stacks(arch, tensors):
    """Consecutive recurrent layers of the same kind (cell, direction, bias,
    peephole, GRU form, hidden size) become one layer of num_layers, named
    as PyTorch names a stacked nn.LSTM's tensors."""
    out = []
    new = {}
    for layer in arch:
        prev = out[-1] if out else None
        same = (prev is not None and layer["type"] in ("lstm", "gru")
                and prev["type"] == layer["type"]
                and all(prev.get(k) == layer.get(k) for k in
                        ("hidden_size", "bidirectional", "bias", "peephole",
                         "reset_after")))
        src = layer["name"]
        if same:
            k = prev["num_layers"]
            prev["num_layers"] += 1
            name = prev["name"]
        else:
            layer = dict(layer)
            out.append(layer)
            k = 0
            name = layer["name"]
        for t, v in tensors.items():
            if t.startswith(src + "."):
                rest = t[len(src) + 1:]
                if layer["type"] in ("lstm", "gru") or same:
                    rest = rest.replace("_l0", f"_l{k}")
                new[f"{name}.{rest}"] = v
    return out, new


def _set_activation(arch, act, where):
    if not arch or arch[-1]["type"] != "linear":
        raise ImportFailure(f"{where}: activation {act} does not follow a linear "
                            "layer; liblstm applies activations only as a linear "
                            "layer's activation")
    if arch[-1]["activation"] != "none":
        raise ImportFailure(f"{where}: a second activation ({act}) after linear "
                            f"layer {arch[-1]['name']}, which already has "
                            f"{arch[-1]['activation']}")
    arch[-1]["activation"] = act


# ---------------------------------------------------------------- ONNX

ONNX_LSTM_GATES = [0, 2, 3, 1]     # ONNX i, o, f, c -> i, f, c(g), o
ONNX_GRU_GATES = [1, 0, 2]         # ONNX z, r, h -> r, z, n
ONNX_PEEP = [0, 2, 1]              # ONNX P i, o, f -> i, f, o


def _blocks(w, order, n):
    """Row blocks of w (n blocks along axis 0) in `order`."""
    parts = np.split(np.asarray(w), n, axis=0)
    return np.concatenate([parts[i] for i in order], axis=0)


class _Onnx:
    def __init__(self, path):
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError as e:
            raise ImportFailure("reading ONNX needs the python3-onnx package "
                                f"({e})") from e
        self.onnx = onnx
        self.nh = numpy_helper
        try:
            model = onnx.load(path)
        except Exception as e:
            raise ImportFailure(f"not a readable ONNX file ({e})") from e
        g = model.graph
        if not g.node:
            raise ImportFailure("the graph has no nodes (not an ONNX model, or an "
                                "empty one)")
        self.graph = g
        self.producer = f"{model.producer_name} {model.producer_version}".strip()
        self.consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.nodes = list(g.node)
        self.visited = set()
        for i, n in enumerate(self.nodes):
            if n.op_type == "Constant":
                self.consts[n.output[0]] = self._constant_value(n)
                self.visited.add(i)
        self.consumers = {}
        for i, n in enumerate(self.nodes):
            for x in n.input:
                if x:
                    self.consumers.setdefault(x, []).append(i)
        self.producers = {o: i for i, n in enumerate(self.nodes) for o in n.output}

    def _constant_value(self, n):
        for a in n.attribute:
            if a.name == "value":
                return self.nh.to_array(a.t)
            if a.name in ("value_float", "value_int"):
                return np.array(self.onnx.helper.get_attribute_value(a))
            if a.name in ("value_floats", "value_ints"):
                return np.array(self.onnx.helper.get_attribute_value(a))
        raise ImportFailure(f"{self.where(n)}: a Constant of an unsupported form")

    @staticmethod
    def where(n):
        return f"node {n.name or '(unnamed)'} ({n.op_type})"

    def attrs(self, n):
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in n.attribute}

    def const(self, name, n, what):
        if name not in self.consts:
            raise ImportFailure(f"{self.where(n)}: {what} '{name}' is computed in the "
                                "graph; only constant weights (initializers) can be "
                                "imported")
        return np.asarray(self.consts[name])

    def is_zero(self, name, n):
        """Whether input `name` is a constant zero (an initial state),
        marking the nodes that build it as used."""
        if name in self.consts and name not in self.producers:
            return not np.any(self.consts[name])
        i = self.producers.get(name)
        if i is None:
            return False
        p = self.nodes[i]
        if p.op_type == "Constant":
            return not np.any(self.consts[name])
        if p.op_type == "ConstantOfShape":
            value = self.attrs(p).get("value")
            zero = value is None or not np.any(self.nh.to_array(value))
            if zero:
                self._mark_support(i)
            return zero
        if p.op_type in ("Expand", "Tile", "Reshape", "Identity", "Unsqueeze",
                         "Cast"):
            if self.is_zero(p.input[0], n):
                self._mark_support(i)
                return True
        return False

    def _mark_support(self, i):
        """Marks node i and the nodes computing its inputs (shapes) as used."""
        stack = [i]
        while stack:
            j = stack.pop()
            if j in self.visited:
                continue
            self.visited.add(j)
            for x in self.nodes[j].input:
                if x in self.producers:
                    stack.append(self.producers[x])


def import_onnx(path):
    o = _Onnx(path)
    g = o.graph
    inputs = [i for i in g.input if i.name not in o.consts]
    if len(inputs) != 1:
        raise ImportFailure(f"the graph has {len(inputs)} inputs "
                            f"({', '.join(i.name for i in inputs)}); one input of "
                            "frames is needed")
    x_in = inputs[0]
    dims = [d.dim_value if d.HasField("dim_value") else None
            for d in x_in.type.tensor_type.shape.dim]
    if len(dims) != 3 or dims[2] is None:
        raise ImportFailure(f"input {x_in.name}: shape {dims}; expected a rank-3 "
                            "input (time, batch, features) or (batch, time, "
                            "features) with a fixed number of features")
    # Labels of the current value's axes: T time, B batch, D directions,
    # F features, "1" an added unit axis; the input's first two axes are
    # "a" and "b" until the first recurrent node says which one is time.
    cur = x_in.name
    labels = ["a", "b", "F"]
    size = {"a": dims[0], "b": dims[1], "F": dims[2]}
    arch, tensors = [], {}
    counter = {"rnn": 0, "linear": 0}

    def resolve(time_label):
        """The input axis `time_label` ("a" or "b") is time, the other batch."""
        other = "b" if time_label == "a" else "a"
        for old, new in ((time_label, "T"), (other, "B")):
            size[new] = size.pop(old)
            labels[labels.index(old)] = new

    def new_name(kind):
        k = counter[kind]
        counter[kind] += 1
        return f"{kind}{k}" if k else kind

    while True:
        # Shape nodes read only the size (of the zero initial state): they
        # must end up marked as used by is_zero(), or they are refused below
        cons = [i for i in o.consumers.get(cur, []) if i not in o.visited
                and o.nodes[i].op_type != "Shape"]
        outs = [x.name for x in g.output]
        if not cons:
            break
        if len(cons) > 1:
            raise ImportFailure(
                "value '" + cur + "' feeds several nodes (" +
                ", ".join(o.where(o.nodes[i]) for i in cons) +
                "); only a chain of layers can be imported")
        i = cons[0]
        n = o.nodes[i]
        a = o.attrs(n)
        w = o.where(n)
        if n.input[0] != cur and n.op_type not in ("MatMul", "Gemm", "Add"):
            raise ImportFailure(f"{w}: takes the frames as input "
                                f"{list(n.input).index(cur)}, not as its data input")
        o.visited.add(i)
        op = n.op_type
        if op in ("LSTM", "GRU"):
            layout = a.get("layout", 0)
            if "a" in labels and len(labels) == 3 and labels[2] == "F":
                resolve(labels[1] if layout == 1 else labels[0])
            need = ["B", "T", "F"] if layout == 1 else ["T", "B", "F"]
            if labels != need:
                raise ImportFailure(f"{w}: its input has axes {labels}, layout={layout} "
                                    f"reads them as {need}")
            for bad in ("clip",):
                if bad in a:
                    raise ImportFailure(f"{w}: attribute {bad}={a[bad]} is not "
                                        "supported (liblstm never clips the cell)")
            if a.get("input_forget", 0):
                raise ImportFailure(f"{w}: attribute input_forget=1 (coupled "
                                    "input and forget gates) is not supported")
            direction = a.get("direction", b"forward")
            direction = direction.decode() if isinstance(direction, bytes) else direction
            if direction not in ("forward", "bidirectional"):
                raise ImportFailure(f"{w}: attribute direction={direction} is not "
                                    "supported (a reverse-only layer has no "
                                    "liblstm form)")
            dirs = 2 if direction == "bidirectional" else 1
            default = (["Sigmoid", "Tanh", "Tanh"] if op == "LSTM"
                       else ["Sigmoid", "Tanh"]) * dirs
            if "activations" in a:
                acts = [s.decode() if isinstance(s, bytes) else s
                        for s in a["activations"]]
                if acts != default:
                    raise ImportFailure(f"{w}: attribute activations={acts} is not "
                                        f"the default {default}; liblstm computes "
                                        "only the default activations")
            for bad in ("activation_alpha", "activation_beta"):
                if bad in a:
                    raise ImportFailure(f"{w}: attribute {bad} is not supported")
            # GRU: linear_before_reset=1 (what torch.onnx.export writes) is
            # PyTorch's cell; 0 (the default) resets h before R_h, which
            # is liblstm's reset_after=false
            reset_after = op != "GRU" or a.get("linear_before_reset", 0) != 0
            G = 4 if op == "LSTM" else 3
            W = o.const(n.input[1], n, "W").astype(np.float32)
            R = o.const(n.input[2], n, "R").astype(np.float32)
            H = W.shape[1] // G
            if "hidden_size" in a and a["hidden_size"] != H:
                raise ImportFailure(f"{w}: hidden_size={a['hidden_size']} but W has "
                                    f"{W.shape[1]} rows")
            if W.shape != (dirs, G * H, size["F"]) or R.shape != (dirs, G * H, H):
                raise ImportFailure(f"{w}: W {list(W.shape)} / R {list(R.shape)} do "
                                    f"not fit {dirs} direction(s), hidden {H}, input "
                                    f"{size['F']}")
            opt = list(n.input) + [""] * (8 - len(n.input))
            B = o.const(opt[3], n, "B").astype(np.float32) if opt[3] else None
            if opt[4]:
                raise ImportFailure(f"{w}: input sequence_lens is not supported "
                                    "(every frame is processed)")
            for k, what in ((5, "initial_h"), (6, "initial_c")):
                if opt[k] and not o.is_zero(opt[k], n):
                    raise ImportFailure(f"{w}: input {what} is not zero; liblstm "
                                        "starts every stream from a zero state")
            P = None
            if op == "LSTM" and opt[7]:
                P = o.const(opt[7], n, "P").astype(np.float32)
                if P.shape != (dirs, 3 * H):
                    raise ImportFailure(f"{w}: P {list(P.shape)}, expected "
                                        f"[{dirs}, {3 * H}]")
                if not np.any(P):
                    P = None
            if B is not None and B.shape != (dirs, 2 * G * H):
                raise ImportFailure(f"{w}: B {list(B.shape)}, expected "
                                    f"[{dirs}, {2 * G * H}]")
            name = new_name("rnn")
            order = ONNX_LSTM_GATES if op == "LSTM" else ONNX_GRU_GATES
            for d in range(dirs):
                sfx = "_reverse" if d else ""
                tensors[f"{name}.weight_ih_l0{sfx}"] = _f32(_blocks(W[d], order, G))
                tensors[f"{name}.weight_hh_l0{sfx}"] = _f32(_blocks(R[d], order, G))
                if B is not None:
                    tensors[f"{name}.bias_ih_l0{sfx}"] = _f32(_blocks(B[d, :G * H], order, G))
                    tensors[f"{name}.bias_hh_l0{sfx}"] = _f32(_blocks(B[d, G * H:], order, G))
                if P is not None:
                    tensors[f"{name}.weight_ch_l0{sfx}"] = _f32(_blocks(P[d], ONNX_PEEP, 3))
            arch.append(_rnn_layer(name, op.lower(), size["F"], H, dirs == 2,
                                   B is not None, P is not None, reset_after))
            for k, extra in enumerate(n.output[1:], 1):
                if extra and (extra in outs or o.consumers.get(extra)):
                    raise ImportFailure(f"{w}: its output {k} ({extra}, the final "
                                        "state) is used; only the per-frame output "
                                        "Y can be imported")
            cur = n.output[0]
            labels = ["B", "T", "D", "F"] if layout == 1 else ["T", "D", "B", "F"]
            size["D"] = dirs
            size["F"] = H
        elif op in ("Transpose",):
            perm = a.get("perm", list(range(len(labels)))[::-1])
            labels = [labels[p] for p in perm]
            cur = n.output[0]
        elif op in ("Squeeze", "Unsqueeze"):
            axes = a.get("axes")
            if axes is None and len(n.input) > 1 and n.input[1]:
                axes = o.const(n.input[1], n, "axes").tolist()
            if op == "Squeeze":
                if axes is None:
                    raise ImportFailure(f"{w}: squeeze without axes is not supported")
                axes = [x % len(labels) for x in axes]
                for x in axes:
                    if labels[x] != "D" or size.get("D") != 1:
                        raise ImportFailure(f"{w}: squeezes axis {x} ({labels[x]}); "
                                            "only a single direction axis can go")
                labels = [l for k, l in enumerate(labels) if k not in axes]
            else:
                rank = len(labels) + len(axes)
                axes = sorted(x % rank for x in axes)
                for x in axes:
                    labels.insert(x, "1")
            cur = n.output[0]
        elif op == "Reshape":
            shape = o.const(n.input[1], n, "shape").tolist()
            if len(shape) != len(labels) - 1 or \
                    labels[-2:] != ["D", "F"]:
                raise ImportFailure(f"{w}: reshape {shape} of axes {labels}; only "
                                    "joining the two directions' features (axes "
                                    "..., D, F -> ..., 2F) is supported")
            joined = size["D"] * size["F"]
            for k, s in enumerate(shape[:-1]):
                if s not in (0, -1) and s != size.get(labels[k]):
                    raise ImportFailure(f"{w}: reshape {shape} changes axis {k} "
                                        f"({labels[k]})")
            if shape[-1] not in (-1, joined) or shape.count(-1) > 1:
                raise ImportFailure(f"{w}: reshape {shape}: the last axis must "
                                    f"become {joined}")
            labels = labels[:-2] + ["F"]
            size["F"] = joined
            size["D"] = 1
            cur = n.output[0]
        elif op in ("MatMul", "Gemm"):
            if n.input[0] != cur:
                raise ImportFailure(f"{w}: the frames are its second operand; only "
                                    "frames x weights is supported")
            Wt = o.const(n.input[1], n, "weight").astype(np.float32)
            bias = None
            if op == "Gemm":
                if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or \
                        a.get("transA", 0):
                    raise ImportFailure(f"{w}: alpha/beta other than 1 or transA "
                                        "are not supported")
                if a.get("transB", 0):
                    Wt = Wt.T
                if len(n.input) > 2 and n.input[2]:
                    bias = o.const(n.input[2], n, "C").astype(np.float32).reshape(-1)
            if Wt.ndim != 2 or Wt.shape[0] != size["F"] or labels[-1] != "F":
                raise ImportFailure(f"{w}: weight {list(Wt.shape)} does not apply "
                                    f"to the {size['F']} features of axes {labels}")
            name = new_name("linear")
            out = Wt.shape[1]
            tensors[f"{name}.weight"] = _f32(Wt.T)
            layer = {"type": "linear", "name": name, "in_features": int(size["F"]),
                     "out_features": int(out), "activation": "none"}
            cur = n.output[0]
            if op == "MatMul":
                nxt = [j for j in o.consumers.get(cur, []) if j not in o.visited]
                if len(nxt) == 1 and o.nodes[nxt[0]].op_type == "Add":
                    add = o.nodes[nxt[0]]
                    other = [x for x in add.input if x != cur]
                    if len(other) == 1 and other[0] in o.consts:
                        bias = np.asarray(o.consts[other[0]], np.float32)
                        if bias.size != out or bias.shape[-1] != out:
                            raise ImportFailure(f"{o.where(add)}: bias "
                                                f"{list(bias.shape)} after a linear "
                                                f"layer of {out} outputs")
                        bias = bias.reshape(-1)
                        o.visited.add(nxt[0])
                        cur = add.output[0]
            if bias is not None:
                if bias.size == 1 and out != 1:
                    bias = np.full(out, bias[0], np.float32)
                if bias.shape != (out,):
                    raise ImportFailure(f"{w}: bias {list(bias.shape)} for {out} "
                                        "outputs")
                tensors[f"{name}.bias"] = _f32(bias)
            else:
                layer["bias"] = False
            arch.append(layer)
            size["F"] = out
        elif op == "Add":
            raise ImportFailure(f"{w}: an addition that is not a linear layer's "
                                "bias is not supported")
        elif op in ("Relu", "Tanh", "Sigmoid"):
            _set_activation(arch, op.lower(), w)
            cur = n.output[0]
        elif op == "Softmax":
            axis = a.get("axis", -1)
            if axis % len(labels) != len(labels) - 1:
                raise ImportFailure(f"{w}: softmax over axis {axis}; only the "
                                    "features (the last axis) can be represented")
            _set_activation(arch, "softmax", w)
            cur = n.output[0]
        elif op in ("Identity", "Dropout"):
            if op == "Dropout" and len(n.input) > 2 and n.input[2]:
                t = o.consts.get(n.input[2])
                if t is None or bool(np.asarray(t)):
                    raise ImportFailure(f"{w}: dropout in training mode")
            cur = n.output[0]
        else:
            raise ImportFailure(f"{w}: op {op} is not supported (accepted: LSTM, "
                                "GRU, MatMul + Add, Gemm, Relu, Tanh, Sigmoid, "
                                "Softmax over the features, and Transpose, Squeeze, "
                                "Reshape, Identity, Dropout for layout)")
    outs = [x.name for x in g.output]
    if outs != [cur]:
        raise ImportFailure(f"graph outputs {outs}: the chain of layers ends at "
                            f"'{cur}', which must be the only output")
    if not arch:
        raise ImportFailure("the graph has no LSTM, GRU or linear layer")
    rest = [x for x in labels
            if x not in ("B", "1", "a", "b") and not (x == "D" and size["D"] == 1)]
    if rest not in (["T", "F"], ["F"]) or labels[-1] != "F":
        raise ImportFailure(f"output axes {labels}: the features of each frame must "
                            "be the last axis (two directions still apart?)")
    left = [o.where(m) for k, m in enumerate(o.nodes) if k not in o.visited]
    if left:
        raise ImportFailure("nodes off the chain of layers: " + ", ".join(left))
    arch, tensors = _merge_stacks(arch, tensors)
    return arch, tensors, f"ONNX ({o.producer})" if o.producer else "ONNX"


# ---------------------------------------------------------------- Keras

KERAS_ACTIVATIONS = {"linear": "none", None: "none", "relu": "relu",
                     "tanh": "tanh", "sigmoid": "sigmoid", "softmax": "softmax"}


def _act_name(v):
    """A Keras activation as serialised (string, or {"class_name": ...})."""
    if isinstance(v, dict):
        v = v.get("config", {}).get("name", v.get("class_name"))
    if isinstance(v, str):
        # TF.js writes camelCase names (hardSigmoid)
        v = "".join("_" + c.lower() if c.isupper() else c for c in v)
    return v


def _keras_layers(config, where):
    """The layer configs of a Sequential or a chain-shaped functional model:
    list of (class_name, config)."""
    if isinstance(config, str):
        config = json.loads(config)
    cls = config.get("class_name")
    cfg = config.get("config", {})
    layers = cfg.get("layers") if isinstance(cfg, dict) else cfg
    if cls not in ("Sequential", "Functional", "Model") or not isinstance(layers, list):
        raise ImportFailure(f"{where}: model class {cls}; a Sequential model or a "
                            "functional chain of layers is needed")
    out = [(layer["class_name"], layer.get("config", {})) for layer in layers]
    if cls != "Sequential":
        prev = None
        for layer in layers:
            inbound = layer.get("inbound_nodes") or []
            names = []
            for node in inbound:
                args = node.get("args") if isinstance(node, dict) else node
                names += [x for x in json.dumps(args).split('"')
                          if x in {lay["config"].get("name") for lay in layers}]
            if prev is not None and set(names) != {prev}:
                raise ImportFailure(f"{where}: layer {layer['config'].get('name')} "
                                    "is not fed by the layer before it; only a chain "
                                    "of layers can be imported")
            prev = layer["config"].get("name")
    return out


def _keras_rnn(cls, cfg, weights, name, input_size, where, bidirectional=False):
    """(layer, tensors) for a Keras LSTM/GRU config; `weights` is a list of
    per-direction [kernel, recurrent_kernel, (bias)]."""
    for key, want in (("return_sequences", True), ("return_state", False),
                      ("go_backwards", False), ("time_major", False),
                      ("stateful", None)):
        v = cfg.get(key, want if want is not None else False)
        if want is not None and bool(v) != want and not (key == "go_backwards" and
                                                        bidirectional):
            why = {"return_sequences": "liblstm gives an output for every frame "
                   "(set return_sequences=True)",
                   "return_state": "the final state is not an output",
                   "go_backwards": "a backward-only layer has no liblstm form",
                   "time_major": "time-major input is not supported"}[key]
            raise ImportFailure(f"{where}: {key}={v}: {why}")
    act = _act_name(cfg.get("activation", "tanh"))
    if act != "tanh":
        raise ImportFailure(f"{where}: activation={act}; liblstm computes tanh only")
    rec = _act_name(cfg.get("recurrent_activation", "sigmoid"))
    if rec != "sigmoid":
        raise ImportFailure(f"{where}: recurrent_activation={rec}; liblstm computes "
                            "the exact sigmoid only (hard_sigmoid is a different "
                            "function: retrain or set recurrent_activation="
                            "'sigmoid')")
    use_bias = cfg.get("use_bias", True)
    H = int(cfg["units"])
    tensors = {}
    cell = "lstm" if cls == "LSTM" else "gru"
    # GRU reset_after=True (Keras 2.x/3.x default): PyTorch's cell, two bias
    # rows (input, recurrent); False (Keras 1.x, the only form TF.js has):
    # the reset gate multiplies h before the recurrent kernel, one bias row
    # (the input side's); a config without the key predates the option
    reset_after = cell != "gru" or bool(cfg.get("reset_after", False))
    G = 4 if cell == "lstm" else 3
    for d, ws in enumerate(weights):
        sfx = "_reverse" if d else ""
        want = 3 if use_bias else 2
        if len(ws) != want:
            raise ImportFailure(f"{where}: {len(ws)} weight arrays, expected {want}")
        k, r = np.asarray(ws[0], np.float32), np.asarray(ws[1], np.float32)
        if k.shape != (input_size, G * H) or r.shape != (H, G * H):
            raise ImportFailure(f"{where}: kernel {list(k.shape)} / recurrent_kernel "
                                f"{list(r.shape)} do not fit input {input_size}, "
                                f"{H} units")
        if cell == "lstm":
            # Keras i, f, c, o is PyTorch's i, f, g, o
            tensors[f"{name}.weight_ih_l0{sfx}"] = _f32(k.T)
            tensors[f"{name}.weight_hh_l0{sfx}"] = _f32(r.T)
            if use_bias:
                b = np.asarray(ws[2], np.float32)
                if b.shape != (G * H,):
                    raise ImportFailure(f"{where}: bias {list(b.shape)}")
                tensors[f"{name}.bias_ih_l0{sfx}"] = _f32(b)
                tensors[f"{name}.bias_hh_l0{sfx}"] = np.zeros(G * H, np.float32)
        else:
            order = [1, 0, 2]          # Keras z, r, h -> r, z, n
            tensors[f"{name}.weight_ih_l0{sfx}"] = _f32(_blocks(k.T, order, 3))
            tensors[f"{name}.weight_hh_l0{sfx}"] = _f32(_blocks(r.T, order, 3))
            if use_bias and reset_after:
                b = np.asarray(ws[2], np.float32)
                if b.shape != (2, G * H):
                    raise ImportFailure(f"{where}: bias {list(b.shape)}, expected "
                                        f"[2, {G * H}] (input and recurrent biases)")
                tensors[f"{name}.bias_ih_l0{sfx}"] = _f32(_blocks(b[0], order, 3))
                tensors[f"{name}.bias_hh_l0{sfx}"] = _f32(_blocks(b[1], order, 3))
            elif use_bias:
                b = np.asarray(ws[2], np.float32)
                if b.shape != (G * H,):
                    raise ImportFailure(f"{where}: bias {list(b.shape)}, expected "
                                        f"[{G * H}] (reset_after=False has one bias)")
                tensors[f"{name}.bias_ih_l0{sfx}"] = _f32(_blocks(b, order, 3))
                tensors[f"{name}.bias_hh_l0{sfx}"] = np.zeros(G * H, np.float32)
    layer = _rnn_layer(name, cell, input_size, H, bidirectional, use_bias, False,
                       reset_after)
    return layer, tensors


def _clean_name(s):
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in s)
    return s or "layer"


def keras_model(layers, get_weights, where):
    """Architecture and tensors of Keras layer configs; get_weights(layer
    name, class) returns the layer's arrays in Keras order (for
    Bidirectional: forward's then backward's)."""
    arch, tensors = [], {}
    size = None
    for cls, cfg in layers:
        lname = cfg.get("name", cls)
        w = f"layer {lname} ({cls})"
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if shape is not None and size is None:
            if len(shape) != 3 or shape[-1] is None:
                raise ImportFailure(f"{w}: input shape {shape}; (batch, time, "
                                    "features) with a fixed number of features is "
                                    "needed")
            size = int(shape[-1])
        if cls == "InputLayer":
            continue
        if cls == "Masking":
            raise ImportFailure(f"{w}: masking (mask_value="
                                f"{cfg.get('mask_value')}) skips frames, which "
                                "liblstm never does; remove the layer if no frame "
                                "equals mask_value")
        if cls in ("Dropout", "SpatialDropout1D", "GaussianNoise",
                   "GaussianDropout", "AlphaDropout"):
            continue            # the identity at inference
        if cls == "Activation":
            act = KERAS_ACTIVATIONS.get(_act_name(cfg.get("activation")))
            if act is None:
                raise ImportFailure(f"{w}: activation {cfg.get('activation')} is "
                                    f"not one of {', '.join(ACTIVATIONS)}")
            if act != "none":
                _set_activation(arch, act, w)
            continue
        if size is None:
            raise ImportFailure(f"{w}: the model's input size is not recorded "
                                "(no input shape in the config)")
        name = _clean_name(lname)
        if cls in ("LSTM", "GRU"):
            layer, t = _keras_rnn(cls, cfg, [get_weights(lname, cls)], name, size, w)
        elif cls == "Bidirectional":
            inner = cfg.get("layer", {})
            icls, icfg = inner.get("class_name"), inner.get("config", {})
            if icls not in ("LSTM", "GRU"):
                raise ImportFailure(f"{w}: wraps {icls}; only LSTM and GRU")
            if cfg.get("merge_mode", "concat") != "concat":
                raise ImportFailure(f"{w}: merge_mode={cfg.get('merge_mode')}; only "
                                    "concat (forward then backward features)")
            back = cfg.get("backward_layer")
            if back is not None:
                bcfg = back.get("config", {})
                for key in ("units", "activation", "recurrent_activation",
                            "use_bias", "reset_after"):
                    if _act_name(bcfg.get(key)) != _act_name(icfg.get(key)):
                        raise ImportFailure(f"{w}: backward layer's {key} differs "
                                            "from the forward layer's")
            ws = get_weights(lname, cls)
            half = len(ws) // 2
            layer, t = _keras_rnn(icls, icfg, [ws[:half], ws[half:]], name, size,
                                  w, bidirectional=True)
        elif cls == "Dense" or cls == "TimeDistributed":
            if cls == "TimeDistributed":
                inner = cfg.get("layer", {})
                if inner.get("class_name") != "Dense":
                    raise ImportFailure(f"{w}: wraps {inner.get('class_name')}; only "
                                        "Dense (applied to every frame)")
                cfg = inner.get("config", {})
            act = KERAS_ACTIVATIONS.get(_act_name(cfg.get("activation", "linear")))
            if act is None:
                raise ImportFailure(f"{w}: activation {cfg.get('activation')} is "
                                    f"not one of {', '.join(ACTIVATIONS)}")
            ws = get_weights(lname, cls)
            use_bias = cfg.get("use_bias", True)
            k = np.asarray(ws[0], np.float32)
            out = int(cfg["units"])
            if len(ws) != (2 if use_bias else 1) or k.shape != (size, out):
                raise ImportFailure(f"{w}: weights {[list(np.shape(x)) for x in ws]} "
                                    f"do not fit {size} inputs, {out} units")
            t = {f"{name}.weight": _f32(k.T)}
            layer = {"type": "linear", "name": name, "in_features": size,
                     "out_features": out, "activation": act}
            if use_bias:
                t[f"{name}.bias"] = _f32(np.asarray(ws[1], np.float32).reshape(out))
            else:
                layer["bias"] = False
        else:
            raise ImportFailure(f"{w}: layer class {cls} is not supported (accepted: "
                                "InputLayer, LSTM, GRU, Bidirectional, Dense, "
                                "TimeDistributed(Dense), Activation, Dropout)")
        arch.append(layer)
        tensors.update(t)
        size = layer.get("out_features") or layer["hidden_size"] * (
            2 if layer.get("bidirectional") else 1)
    if not arch:
        raise ImportFailure(f"{where}: no LSTM, GRU or Dense layer")
    return _merge_stacks(arch, tensors)


KERAS_WEIGHT_ORDER = {"kernel": 0, "recurrent_kernel": 1, "bias": 2}


def _by_keras_names(names, arrays, where):
    """Arrays ordered kernel, recurrent_kernel, bias (per direction: forward
    then backward), from their Keras/TF.js names."""
    def key(n):
        base = n.split("/")[-1].split(":")[0]
        if base not in KERAS_WEIGHT_ORDER:
            raise ImportFailure(f"{where}: unknown weight {n}")
        backward = any(p.startswith("backward") for p in n.split("/")[:-1])
        return (backward, KERAS_WEIGHT_ORDER[base])
    order = sorted(range(len(names)), key=lambda i: key(names[i]))
    return [arrays[i] for i in order]


def _h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportFailure(f"reading Keras files needs the python3-h5py package "
                            f"({e})") from e
    return h5py


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def import_keras_h5(path):
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except Exception as e:
        raise ImportFailure(f"not a readable HDF5 file ({e})") from e
    with f:
        if "model_config" not in f.attrs:
            raise ImportFailure("no model_config attribute: a whole model saved "
                                "with model.save('m.h5') is needed (save_weights "
                                "files carry no architecture)")
        layers = _keras_layers(_text(f.attrs["model_config"]), "model_config")
        mw = f["model_weights"] if "model_weights" in f else f

        def get(lname, cls):
            if lname not in mw:
                raise ImportFailure(f"layer {lname} ({cls}): no weights in the file")
            g = mw[lname]
            names = [_text(n) for n in g.attrs.get("weight_names", [])]
            return _by_keras_names(names, [np.asarray(g[n]) for n in names],
                                   f"layer {lname} ({cls})")
        arch, tensors = keras_model(layers, get, "model_config")
        version = _text(f.attrs.get("keras_version", "?"))
    return arch, tensors, f"Keras {version} .h5"


def _vars_in(group):
    """Arrays under a Keras v3 weights group: `vars/0`, `vars/1`, ... of the
    group, then of its sub-groups (cell, forward_layer, backward_layer) in
    that order (and `layer`, the layer inside TimeDistributed)."""
    out = []
    if "vars" in group:
        v = group["vars"]
        out += [np.asarray(v[k]) for k in sorted(v.keys(), key=int)]
    for sub in ("cell", "forward_layer", "backward_layer", "layer"):
        if sub in group:
            out += _vars_in(group[sub])
    return out


def import_keras_zip(path):
    h5py = _h5py()
    import io
    try:
        z = zipfile.ZipFile(path)
        config = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ImportFailure(f"not a Keras archive with config.json and "
                            f"model.weights.h5 ({e})") from e
    layers = _keras_layers(config, "config.json")
    try:
        meta = json.loads(z.read("metadata.json"))
        version = meta.get("keras_version", "?")
    except (KeyError, ValueError):
        version = "?"
    with h5py.File(io.BytesIO(weights), "r") as f:
        # Keras 3 writes layers/<name>/...; tf.keras 2.13-2.15 wrote
        # _layer_checkpoint_dependencies/<name>/...
        root = f
        for key in ("layers", "_layer_checkpoint_dependencies"):
            if key in f:
                root = f[key]
                break

        def get(lname, cls):
            if lname not in root:
                raise ImportFailure(f"layer {lname} ({cls}): no weights in "
                                    "model.weights.h5")
            return _vars_in(root[lname])
        arch, tensors = keras_model(layers, get, "config.json")
    return arch, tensors, f"Keras {version} .keras"


TFJS_DTYPES = {"float32": np.dtype("<f4")}


def import_tfjs(path):
    try:
        with open(path, "rb") as fp:
            doc = json.load(fp)
    except ValueError as e:
        raise ImportFailure(f"not JSON ({e})") from e
    if doc.get("format") not in (None, "layers-model") or "modelTopology" not in doc:
        raise ImportFailure(f"format {doc.get('format')}: a TF.js Layers model "
                            "(format layers-model, with modelTopology) is needed")
    topo = doc["modelTopology"]
    config = topo.get("model_config", topo)
    layers = _keras_layers(config, "modelTopology")
    folder = os.path.dirname(os.path.abspath(path))
    arrays = {}
    for group in doc.get("weightsManifest", []):
        data = b""
        for p in group["paths"]:
            full = os.path.join(folder, p)
            if os.path.dirname(os.path.abspath(full)) != folder:
                raise ImportFailure(f"weights path {p} leaves the model's folder")
            with open(full, "rb") as fp:
                data += fp.read()
        offset = 0
        for spec in group["weights"]:
            dt = TFJS_DTYPES.get(spec.get("dtype", "float32"))
            if dt is None or "quantization" in spec:
                raise ImportFailure(f"weight {spec['name']}: dtype "
                                    f"{spec.get('dtype')}"
                                    f"{' quantized' if 'quantization' in spec else ''}"
                                    " is not supported (float32 only)")
            n = int(np.prod(spec["shape"])) * dt.itemsize
            if offset + n > len(data):
                raise ImportFailure(f"weight {spec['name']} runs past the end of "
                                    f"{', '.join(group['paths'])}")
            arrays[spec["name"]] = np.frombuffer(data[offset:offset + n],
                                                 dt).reshape(spec["shape"])
            offset += n
        if offset != len(data):
            raise ImportFailure(f"{', '.join(group['paths'])}: {len(data) - offset} "
                                "bytes left over after the listed weights")

    def get(lname, cls):
        names = [n for n in arrays if n.startswith(lname + "/")]
        if not names:
            raise ImportFailure(f"layer {lname} ({cls}): no weights in the manifest")
        return _by_keras_names(names, [arrays[n] for n in names],
                               f"layer {lname} ({cls})")
    arch, tensors = keras_model(layers, get, "modelTopology")
    return arch, tensors, f"TF.js Layers ({topo.get('keras_version', '?')})"


# ---------------------------------------------------------------- main

def import_model(path):
    """(architecture, tensors, source description) of the model at `path`,
    by its extension; ImportFailure when it cannot be imported exactly."""
    lower = path.lower()
    if lower.endswith(".onnx"):
        return import_onnx(path)
    if lower.endswith((".h5", ".hdf5")):
        return import_keras_h5(path)
    if lower.endswith(".keras"):
        return import_keras_zip(path)
    if lower.endswith(".json"):
        return import_tfjs(path)
    raise ImportFailure("unknown format: the name must end in .onnx, .h5, .hdf5, "
                        ".keras or .json (TF.js Layers)")


def write_model(arch, tensors, source, out, labels=None, task=None):
    md = {"lstm.format": "1", "lstm.architecture": json.dumps(arch),
          "lstm.description": f"imported from {source} by lstm import"}
    if task:
        md["lstm.task"] = task
    if labels is not None:
        n_out = arch[-1].get("out_features") or arch[-1]["hidden_size"] * (
            2 if arch[-1].get("bidirectional") else 1)
        if len(labels) != n_out:
            raise ImportFailure(f"--labels gives {len(labels)} labels for {n_out} "
                                "outputs")
        md["lstm.labels"] = json.dumps(labels)
    write_safetensors(out, tensors, md)


USAGE = """Usage: lstm import INPUT OUTPUT.safetensors [--labels A,B,C|FILE] [--task TASK]

INPUT is an ONNX file (.onnx), a Keras model (.h5 or .keras) or a TF.js
Layers model (model.json beside its weight files). --labels names the
outputs (comma-separated, or a file with one label a line); --task is
classification, regression or forecast."""


def main(argv):
    args = argv[1:]
    labels = task = None
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-h", "--help"):
            print(USAGE)
            return 0
        if a in ("--labels", "--task"):
            if i + 1 >= len(args):
                print(f"lstm import: {a} needs a value", file=sys.stderr)
                return 2
            v = args[i + 1]
            if a == "--task":
                if v not in ("classification", "regression", "forecast"):
                    print(f"lstm import: --task {v}: classification, regression "
                          "or forecast", file=sys.stderr)
                    return 2
                task = v
            elif os.path.isfile(v):
                with open(v, encoding="utf-8") as fp:
                    labels = [line.strip() for line in fp if line.strip()]
            else:
                labels = [s.strip() for s in v.split(",")]
            i += 2
            continue
        if a.startswith("-") and a != "-":
            print(f"lstm import: unknown option {a}\n\n{USAGE}", file=sys.stderr)
            return 2
        pos.append(a)
        i += 1
    if len(pos) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    src, out = pos
    try:
        arch, tensors, source = import_model(src)
        write_model(arch, tensors, f"{source} {os.path.basename(src)}", out,
                    labels, task)
    except ImportFailure as e:
        print(f"lstm import: {src}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"lstm import: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
