#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`lstm import` against the source frameworks' own runtimes.

Reference outputs come from the frameworks, never from our code:
- ONNX: models written by torch.onnx.export (nn.LSTM / nn.GRU / nn.Linear)
  and peephole LSTM graphs built with onnx.helper, run by ONNX Runtime
  (onnxruntime-node);
- Keras: models built by TensorFlow.js's Layers API (make_tfjs_models.js),
  saved in the TF.js Layers format with their own outputs; the same
  weights written as Keras .h5 and .keras files (laid out as Keras writes
  them) carry the same expected outputs. TF.js builds GRUs only as Keras'
  reset_after=False (the reset gate before the recurrent kernel); Keras
  GRUs with reset_after=True (which TF.js cannot build) are checked against
  ONNX Runtime running the ONNX GRU (linear_before_reset=1) with the same
  weights. ONNX GRUs of both forms (linear_before_reset=1 as torch writes
  them, 0 in graphs built with onnx.helper and in torch's graphs edited)
  run in ONNX Runtime.
Every accepted form: `lstm import` then `lstm run` equals the reference
within 1e-5 (relative to max(1, |reference|)) over 1000 frames. Every
refused form: `lstm import` fails naming the layer or node and the reason.

The runtimes are installed from the npm registry (package.json and
package-lock.json beside this script) into a cache folder outside the
source tree: $LSTM_INTEROP_CACHE, default ~/.cache/gst-lstm/interop-HASH.
Without npm, or with the registry unreachable, the test is skipped (exit
77) with the reason, except under CI=true where that is a failure.

Environment (set by meson): LSTM_TOOL, LSTM_SOURCE_ROOT.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("LSTM_TOOL")
ROOT = os.environ.get("LSTM_SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
FRAMES = 1000
TOLERANCE = 1e-5
failures = []
passed = 0


def skip(why):
    if os.environ.get("CI") == "true":
        print(f"FAIL {why} (CI must run this test)")
        sys.exit(1)
    print(f"1..0 # SKIP {why}")
    sys.exit(77)


try:
    import numpy as np
    import h5py
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    import torch
    import torch.nn as nn
except ImportError as e:
    skip(f"python3 module missing ({e}): python3-numpy, python3-h5py, "
         "python3-onnx, python3-torch")

sys.path.insert(0, os.path.join(ROOT, "tools"))
import export_pytorch as ep  # noqa: E402


def report(ok, what):
    global passed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failures.append(what)


# ------------------------------------------------------------ runtimes

def runtimes():
    """The node_modules folder holding onnxruntime-node and @tensorflow/tfjs,
    installed with `npm ci` from the committed lock file if needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        skip("node and npm are needed to install the reference runtimes "
             "(Debian: apt-get install nodejs npm)")
    with open(os.path.join(HERE, "package-lock.json"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    cache = os.environ.get("LSTM_INTEROP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "gst-lstm", "interop-" + digest)
    mods = os.path.join(cache, "node_modules")
    stamp = os.path.join(cache, ".installed")
    if os.path.exists(stamp):
        return mods
    os.makedirs(cache, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, name), cache)
    # --ignore-scripts: onnxruntime-node's install script only fetches GPU
    # providers from outside the registry; its CPU build is in the package.
    r = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                        "--prefix", cache], capture_output=True, text=True,
                       timeout=1800)
    if r.returncode != 0:
        skip("npm could not install onnxruntime-node and @tensorflow/tfjs "
             "(registry unreachable?): " + r.stderr.strip().splitlines()[-1]
             if r.stderr.strip() else "npm ci failed")
    open(stamp, "w").close()
    return mods


def node_run(mods, script, *args):
    env = dict(os.environ, NODE_PATH=mods)
    r = subprocess.run(["node", os.path.join(HERE, script), *args], env=env,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"{script} failed: {r.stderr.strip()[-2000:]}")


# ------------------------------------------------------------ helpers

def close(got, want):
    got = np.asarray(got, np.float64).reshape(-1)
    want = np.asarray(want, np.float64).reshape(-1)
    if got.shape != want.shape:
        return False, float("inf"), float("inf")
    err = np.abs(got - want)
    rel = err / np.maximum(1.0, np.abs(want))
    return bool(np.all(rel <= TOLERANCE)), float(err.max()), float(rel.max())


def lstm_import(src, out):
    r = subprocess.run([TOOL, "import", src, out], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def lstm_run(model, x_path, out):
    r = subprocess.run([TOOL, "run", model, x_path, out], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.fromfile(out, "<f4"), None


def check_accepted(tag, src, x_path, want, tmp):
    out = os.path.join(tmp, tag + ".safetensors")
    rc, msg = lstm_import(src, out)
    if rc != 0:
        report(False, f"{tag}: lstm import refused an accepted form: {msg}")
        return
    got, err = lstm_run(out, x_path, os.path.join(tmp, tag + ".out.f32"))
    if got is None:
        report(False, f"{tag}: lstm run failed: {err}")
        return
    ok, e, rel = close(got, want)
    report(ok, f"{tag}: lstm run vs reference over {FRAMES} frames, max abs "
           f"error {e:.3g}, max relative {rel:.3g}")


def check_refused(tag, src, names, tmp):
    out = os.path.join(tmp, tag + ".safetensors")
    rc, msg = lstm_import(src, out)
    ok = rc != 0 and all(n in msg for n in names) and not os.path.exists(out)
    report(ok, f"{tag}: refused ({msg})" if rc else
           f"{tag}: lstm import accepted a form it cannot compute")


# ------------------------------------------------------------ ONNX

class Head(nn.Module):
    """A recurrent layer, then linear layers with activations between."""

    def __init__(self, rnn, dims, acts, final=None):
        super().__init__()
        self.rnn = rnn
        self.fcs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims, dims[1:])])
        self.acts = acts
        self.final = final

    def forward(self, x):
        y, _ = self.rnn(x)
        for fc, act in zip(self.fcs, self.acts):
            y = fc(y)
            if act is not None:
                y = act(y)
        if self.final is not None:
            y = self.final(y)
        return y


def scaled(module, factor):
    """Weights x factor and forget-gate biases +1 (long memory, saturated
    gates)."""
    with torch.no_grad():
        for name, p in module.rnn.named_parameters():
            p.mul_(factor)
            if name.startswith("bias_ih") and isinstance(module.rnn, nn.LSTM):
                H = module.rnn.hidden_size
                p[H:2 * H] += 1.0
    return module


def torch_models():
    torch.manual_seed(2026)
    return [
        # name, module, input size, batch_first, dynamic axes, opset
        ("onnx-lstm-softmax", Head(nn.LSTM(6, 16, batch_first=True), [16, 4], [None],
                                   lambda y: torch.softmax(y, -1)), 6, True, False, 14),
        ("onnx-lstm-softmax-dynamic",
         Head(nn.LSTM(6, 16, batch_first=True), [16, 4], [None],
              lambda y: torch.softmax(y, -1)), 6, True, True, 14),
        ("onnx-gru-bidirectional-2layer",
         Head(nn.GRU(5, 8, num_layers=2, bidirectional=True), [16, 10, 3],
              [torch.relu, None]), 5, False, False, 14),
        ("onnx-gru-opset11-dynamic",
         Head(nn.GRU(4, 6, batch_first=True), [6, 3], [None]), 4, True, True, 11),
        ("onnx-lstm-3layer-scaled",
         scaled(Head(nn.LSTM(4, 10, num_layers=3, batch_first=True), [10, 2],
                     [torch.sigmoid]), 3.0), 4, True, False, 17),
        ("onnx-lstm-bidirectional-nobias",
         Head(nn.LSTM(3, 7, bidirectional=True, bias=False, batch_first=True),
              [14, 2], [torch.tanh]), 3, True, False, 9),
    ]


def export_onnx(m, size, batch_first, dynamic, opset, path):
    shape = (1, FRAMES, size) if batch_first else (FRAMES, 1, size)
    x = torch.zeros(shape)
    kw = {}
    if dynamic:
        kw["dynamic_axes"] = {"x": {0: "batch", 1: "time"} if batch_first else
                              {0: "time", 1: "batch"}, "y": {0: "n0", 1: "n1"}}
    torch.onnx.export(m.eval(), (x,), path, input_names=["x"], output_names=["y"],
                      opset_version=opset, **kw)
    return list(shape)


def lstm_blocks_to_onnx(w):
    """PyTorch gate rows i, f, g, o -> ONNX i, o, f, c."""
    i, f, g, o = np.split(w, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def peephole_onnx(path, size, H, out, bidirectional, seed):
    """An ONNX LSTM with peepholes (P, ordered i, o, f) and a linear head,
    from a PeepholeLSTM's weights, weights x2 and peepholes x3."""
    torch.manual_seed(seed)
    rnn = ep.PeepholeLSTM(size, H, bidirectional=bidirectional)
    fc = nn.Linear(H * (2 if bidirectional else 1), out)
    dirs = 2 if bidirectional else 1
    sd = {k: v.detach().numpy() * (3.0 if "weight_ch" in k else 2.0)
          for k, v in rnn.state_dict().items()}
    W, R, B, P = [], [], [], []
    for d in range(dirs):
        s = "_reverse" if d else ""
        W.append(lstm_blocks_to_onnx(sd["weight_ih_l0" + s]))
        R.append(lstm_blocks_to_onnx(sd["weight_hh_l0" + s]))
        B.append(np.concatenate([lstm_blocks_to_onnx(sd["bias_ih_l0" + s]),
                                 lstm_blocks_to_onnx(sd["bias_hh_l0" + s])]))
        pi, pf, po = np.split(sd["weight_ch_l0" + s], 3)
        P.append(np.concatenate([pi, po, pf]))
    inits = [numpy_helper.from_array(np.stack(a).astype(np.float32), n)
             for a, n in ((W, "W"), (R, "R"), (B, "B"), (P, "P"))]
    inits.append(numpy_helper.from_array(fc.weight.detach().numpy().T.copy(), "fcw"))
    inits.append(numpy_helper.from_array(fc.bias.detach().numpy(), "fcb"))
    nodes = [helper.make_node("LSTM", ["x", "W", "R", "B", "", "", "", "P"], ["Y"],
                              name="peephole_lstm", hidden_size=H,
                              direction="bidirectional" if bidirectional
                              else "forward")]
    if bidirectional:
        inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), "shp"))
        nodes += [helper.make_node("Transpose", ["Y"], ["Yt"], perm=[0, 2, 1, 3]),
                  helper.make_node("Reshape", ["Yt", "shp"], ["Yr"])]
        last = "Yr"
    else:
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "ax"))
        nodes.append(helper.make_node("Squeeze", ["Y", "ax"], ["Yr"]))
        last = "Yr"
    nodes += [helper.make_node("MatMul", [last, "fcw"], ["mm"]),
              helper.make_node("Add", ["mm", "fcb"], ["y"])]
    graph = helper.make_graph(
        nodes, "peephole", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                          [FRAMES, 1, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [FRAMES, 1, out])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return [FRAMES, 1, size]


def gru_reset_before_onnx(path, size, H, out, bidirectional, bias, seed):
    """An ONNX GRU with linear_before_reset=0 (the attribute left out: its
    default) and a linear head: gates z, r, h in W, R and B = [Wb, Rb],
    Rb non-zero, weights uniform in +-2/sqrt(H) (saturated gates)."""
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    a = 2.0 / np.sqrt(H)
    W = rng.uniform(-a, a, (dirs, 3 * H, size)).astype(np.float32)
    R = rng.uniform(-a, a, (dirs, 3 * H, H)).astype(np.float32)
    B = rng.uniform(-0.5, 0.5, (dirs, 6 * H)).astype(np.float32)
    fcw = rng.uniform(-0.5, 0.5, (H * dirs, out)).astype(np.float32)
    fcb = rng.uniform(-0.3, 0.3, out).astype(np.float32)
    inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"),
             numpy_helper.from_array(fcw, "fcw"), numpy_helper.from_array(fcb, "fcb")]
    ins = ["x", "W", "R"]
    if bias:
        inits.append(numpy_helper.from_array(B, "B"))
        ins.append("B")
    nodes = [helper.make_node("GRU", ins, ["Y"], name="reset_before_gru",
                              hidden_size=H, direction="bidirectional"
                              if bidirectional else "forward")]
    if bidirectional:
        inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), "shp"))
        nodes += [helper.make_node("Transpose", ["Y"], ["Yt"], perm=[0, 2, 1, 3]),
                  helper.make_node("Reshape", ["Yt", "shp"], ["Yr"])]
    else:
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "ax"))
        nodes.append(helper.make_node("Squeeze", ["Y", "ax"], ["Yr"]))
    nodes += [helper.make_node("MatMul", ["Yr", "fcw"], ["mm"]),
              helper.make_node("Add", ["mm", "fcb"], ["y"])]
    graph = helper.make_graph(
        nodes, "reset_before_gru",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [FRAMES, 1, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [FRAMES, 1, out])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return [FRAMES, 1, size]


def edited(src, dst, edit):
    m = onnx.load(src)
    edit(m.graph)
    onnx.save(m, dst)
    return dst


def node_of(g, op):
    return next(n for n in g.node if n.op_type == op)


def set_attr(op, **attrs):
    def edit(g):
        n = node_of(g, op)
        keep = [a for a in n.attribute if a.name not in attrs]
        del n.attribute[:]
        n.attribute.extend(keep)
        for k, v in attrs.items():
            n.attribute.append(helper.make_attribute(k, v))
    return edit


def set_attr_all(op, **attrs):
    """set_attr on every node of type op."""
    def edit(g):
        for n in g.node:
            if n.op_type != op:
                continue
            keep = [a for a in n.attribute if a.name not in attrs]
            del n.attribute[:]
            n.attribute.extend(keep)
            for k, v in attrs.items():
                n.attribute.append(helper.make_attribute(k, v))
    return edit


def rename_op(old, new):
    def edit(g):
        node_of(g, old).op_type = new
    return edit


def state_output(g):
    n = node_of(g, "LSTM")
    while len(n.output) < 2:
        n.output.append("")
    n.output[1] = "final_h"
    g.output.append(helper.make_tensor_value_info("final_h", TensorProto.FLOAT,
                                                  [1, 1, 16]))


def onnx_forms(mods, tmp):
    rng = np.random.default_rng(99)
    jobs, cases = [], []
    for name, m, size, bf, dyn, opset in torch_models():
        path = os.path.join(tmp, name + ".onnx")
        shape = export_onnx(m, size, bf, dyn, opset, path)
        cases.append((name, path, size, shape))
    cases.append(("onnx-peephole-lstm",
                  os.path.join(tmp, "onnx-peephole-lstm.onnx"), 5, None))
    cases[-1] = cases[-1][:3] + (peephole_onnx(cases[-1][1], 5, 9, 3, False, 5),)
    cases.append(("onnx-peephole-bidirectional",
                  os.path.join(tmp, "onnx-peephole-bidirectional.onnx"), 4, None))
    cases[-1] = cases[-1][:3] + (peephole_onnx(cases[-1][1], 4, 6, 2, True, 6),)
    # GRUs with linear_before_reset=0: built with onnx.helper (the
    # attribute at its default), and torch's GRU graphs with it set to 0 on
    # every GRU node (ONNX Runtime then computes the other form on the same
    # weights)
    for name, size, H, out, bidir, bias, seed in (
            ("onnx-gru-reset-before", 5, 12, 3, False, True, 7),
            ("onnx-gru-reset-before-bidirectional", 4, 8, 2, True, True, 8),
            ("onnx-gru-reset-before-nobias", 3, 10, 2, False, False, 9)):
        path = os.path.join(tmp, name + ".onnx")
        cases.append((name, path, size,
                      gru_reset_before_onnx(path, size, H, out, bidir, bias, seed)))
    for src, name in ((2, "onnx-gru-bidirectional-2layer-lbr0"),
                      (3, "onnx-gru-opset11-dynamic-lbr0")):
        path = edited(cases[src][1], os.path.join(tmp, name + ".onnx"),
                      set_attr_all("GRU", linear_before_reset=0))
        cases.append((name, path) + cases[src][2:])
    for name, path, size, shape in cases:
        x = (3.0 * rng.standard_normal((FRAMES, size))).astype(np.float32)
        xp = os.path.join(tmp, name + ".in.f32")
        x.tofile(xp)
        jobs.append({"model": path, "input": xp, "shape": shape,
                     "output": os.path.join(tmp, name + ".want.f32")})
    # the Keras GRUs (reset_after=True) run as ONNX GRUs with their weights
    keras_gru = keras_gru_models(tmp, rng)
    for k in keras_gru:
        jobs.append(k["job"])
    with open(os.path.join(tmp, "onnx-jobs.json"), "w") as f:
        json.dump(jobs, f)
    node_run(mods, "run_onnx.js", os.path.join(tmp, "onnx-jobs.json"))
    for (name, path, size, shape), job in zip(cases, jobs):
        want = np.fromfile(job["output"], "<f4")
        check_accepted(name, path, job["input"], want, tmp)

    base = cases[0][1]
    gru = cases[2][1]
    gru_node = next(n.name for n in onnx.load(gru).graph.node if n.op_type == "GRU")
    lstm_node = next(n.name for n in onnx.load(base).graph.node if n.op_type == "LSTM")
    refused = [
        ("activations", base, set_attr("LSTM", activations=["Sigmoid", "Tanh", "Relu"]),
         [lstm_node, "activations"]),
        ("clip", base, set_attr("LSTM", clip=3.0), [lstm_node, "clip"]),
        ("input-forget", base, set_attr("LSTM", input_forget=1),
         [lstm_node, "input_forget"]),
        ("reverse", base, set_attr("LSTM", direction="reverse"),
         [lstm_node, "direction"]),
        ("gru-activations", gru, set_attr("GRU", activations=["Sigmoid", "Relu"] * 2),
         [gru_node, "activations"]),
        ("log-softmax", base, rename_op("Softmax", "LogSoftmax"), ["LogSoftmax"]),
        ("final-state-output", base, state_output, [lstm_node, "final state"]),
    ]
    for tag, src, edit, names in refused:
        dst = edited(src, os.path.join(tmp, f"onnx-refused-{tag}.onnx"), edit)
        check_refused(f"onnx-refused-{tag}", dst, names, tmp)
    return keras_gru


# ------------------------------------------------------------ Keras files

def tfjs_layers(doc):
    """(layer configs [(class, config)], {layer name: [arrays]}) of a TF.js
    model.json, weights in the manifest's order."""
    topo = doc["modelTopology"]
    cfg = topo.get("model_config", topo)
    layers = [(lay["class_name"], lay["config"]) for lay in cfg["config"]["layers"]
              if lay["class_name"] != "InputLayer"]
    folder = doc["_folder"]
    arrays = {}
    for group in doc["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        off = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"]))
            a = np.frombuffer(data, "<f4", n, off).reshape(spec["shape"])
            off += 4 * n
            arrays.setdefault(spec["name"].split("/")[0], []).append(
                (spec["name"], a))
    return layers, arrays


def keras2_weight_names(cls, cfg, lname, names):
    """The weight names Keras 2 (tf.keras) gives a layer's weights."""
    out = []
    for full, _ in names:
        base = full.split("/")[-1] + ":0"
        if cls in ("LSTM", "GRU"):
            out.append(f"{lname}/{cls.lower()}_cell/{base}")
        elif cls == "Bidirectional":
            inner = cfg["layer"]["class_name"].lower()
            side = "backward" if "/backward" in full else "forward"
            out.append(f"{lname}/{side}_{cfg['layer']['config']['name']}/"
                       f"{inner}_cell/{base}")
        else:
            out.append(f"{lname}/{base}")
    return out


def write_keras_h5(path, layers, arrays, input_size):
    """A Keras 2 whole-model .h5 (model.save('m.h5')): model_config and
    model_weights/<layer>/<weight name> with weight_names attributes."""
    cfg_layers = [{"class_name": "InputLayer",
                   "config": {"batch_input_shape": [None, None, input_size],
                              "dtype": "float32", "sparse": False, "ragged": False,
                              "name": "input_1"}}]
    for cls, cfg in layers:
        cfg = {k: v for k, v in cfg.items() if k != "batch_input_shape"}
        cfg_layers.append({"class_name": cls, "config": cfg})
    config = {"class_name": "Sequential",
              "config": {"name": "sequential", "layers": cfg_layers}}
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["model_config"] = json.dumps(config).encode()
        mw = f.create_group("model_weights")
        names = ["input_1"] + [cfg["name"] for _, cfg in layers]
        mw.attrs["layer_names"] = [n.encode() for n in names]
        mw.attrs["backend"] = b"tensorflow"
        mw.attrs["keras_version"] = b"2.13.1"
        mw.create_group("input_1").attrs["weight_names"] = np.array([], "S1")
        for cls, cfg in layers:
            g = mw.create_group(cfg["name"])
            ws = arrays.get(cfg["name"], [])
            wn = keras2_weight_names(cls, cfg, cfg["name"], ws)
            g.attrs["weight_names"] = [n.encode() for n in wn]
            for n, (_, a) in zip(wn, ws):
                g.create_dataset(n, data=a)


def write_keras_v3(path, layers, arrays, input_size, root_name="layers"):
    """A Keras 3 .keras archive: config.json, metadata.json and
    model.weights.h5 with layers/<layer>/[cell/]vars/<i> (tf.keras 2.13 to
    2.15 named the root _layer_checkpoint_dependencies)."""
    cfg_layers = [{"module": "keras.layers", "class_name": "InputLayer",
                   "config": {"batch_shape": [None, None, input_size],
                              "dtype": "float32", "sparse": False,
                              "name": "input_layer"}, "registered_name": None}]
    for cls, cfg in layers:
        cfg = {k: v for k, v in cfg.items() if k != "batch_input_shape"}
        if cls == "Bidirectional":
            cfg["layer"] = dict(cfg["layer"], module="keras.layers",
                                registered_name=None)
        cfg_layers.append({"module": "keras.layers", "class_name": cls,
                           "config": cfg, "registered_name": None})
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"name": "sequential", "trainable": True,
                         "layers": cfg_layers},
              "registered_name": None}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        root = f.create_group(root_name)
        root.create_group("input_layer").create_group("vars")
        for cls, cfg in layers:
            g = root.create_group(cfg["name"])
            g.create_group("vars")
            ws = [a for _, a in arrays.get(cfg["name"], [])]
            if cls in ("LSTM", "GRU"):
                groups = [(g.create_group("cell").create_group("vars"), ws)]
            elif cls == "Bidirectional":
                half = len(ws) // 2
                groups = []
                for side, part in (("forward_layer", ws[:half]),
                                   ("backward_layer", ws[half:])):
                    s = g.create_group(side)
                    s.create_group("vars")
                    groups.append((s.create_group("cell").create_group("vars"), part))
            elif cls == "TimeDistributed":
                inner = g.create_group("layer")
                groups = [(inner.create_group("vars"), ws)]
            else:
                groups = [(g["vars"], ws)]
            for vars_group, part in groups:
                for i, a in enumerate(part):
                    vars_group.create_dataset(str(i), data=a)
        f.create_group("optimizer").create_group("vars")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3",
                                                "date_saved": "2026-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())


def keras_gru_models(tmp, rng):
    """Keras GRU (reset_after=True) stacks + Dense, as .h5 and .keras, with
    an ONNX twin (GRU linear_before_reset=1: the same equations, gates z, r,
    h as Keras orders them) for ONNX Runtime to compute the reference."""
    out = []
    specs = [("keras-gru-reset-after", 5, [8], 3, "softmax"),
             ("keras-gru-stack-reset-after", 4, [9, 6], 2, "linear")]
    for name, size, units, n_out, act in specs:
        layers, arrays = [], {}
        nodes, inits = [], []
        cur, prev = "x", size
        for k, H in enumerate(units):
            lname = f"gru_{k}" if k else "gru"
            kern = (rng.standard_normal((prev, 3 * H)) * 0.8).astype(np.float32)
            rec = (rng.standard_normal((H, 3 * H)) * 0.8).astype(np.float32)
            bias = (rng.standard_normal((2, 3 * H)) * 0.5).astype(np.float32)
            cfg = {"name": lname, "trainable": True, "units": H,
                   "activation": "tanh", "recurrent_activation": "sigmoid",
                   "use_bias": True, "return_sequences": True,
                   "return_state": False, "go_backwards": False,
                   "stateful": False, "unroll": False, "reset_after": True,
                   "dropout": 0.0, "recurrent_dropout": 0.0}
            if k == 0:
                cfg["batch_input_shape"] = [None, None, size]
            layers.append(("GRU", cfg))
            arrays[lname] = [(lname + "/kernel", kern),
                             (lname + "/recurrent_kernel", rec),
                             (lname + "/bias", bias)]
            inits += [numpy_helper.from_array(kern.T[None].copy(), f"W{k}"),
                      numpy_helper.from_array(rec.T[None].copy(), f"R{k}"),
                      numpy_helper.from_array(bias.reshape(1, -1), f"B{k}"),
                      numpy_helper.from_array(np.array([1], np.int64), f"ax{k}")]
            nodes += [helper.make_node("GRU", [cur, f"W{k}", f"R{k}", f"B{k}"],
                                       [f"Y{k}"], hidden_size=H,
                                       linear_before_reset=1),
                      helper.make_node("Squeeze", [f"Y{k}", f"ax{k}"], [f"h{k}"])]
            cur, prev = f"h{k}", H
        dk = (0.5 * rng.standard_normal((prev, n_out))).astype(np.float32)
        db = (rng.standard_normal(n_out) * 0.3).astype(np.float32)
        layers.append(("Dense", {"name": "dense", "units": n_out, "activation": act,
                                 "use_bias": True}))
        arrays["dense"] = [("dense/kernel", dk), ("dense/bias", db)]
        inits += [numpy_helper.from_array(dk, "dk"), numpy_helper.from_array(db, "db")]
        nodes += [helper.make_node("MatMul", [cur, "dk"], ["mm"]),
                  helper.make_node("Add", ["mm", "db"],
                                   ["y" if act == "linear" else "pre"])]
        if act == "softmax":
            nodes.append(helper.make_node("Softmax", ["pre"], ["y"], axis=-1))
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                        [FRAMES, 1, size])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                           [FRAMES, 1, n_out])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        onnx.checker.check_model(model)
        onnx_path = os.path.join(tmp, name + ".twin.onnx")
        onnx.save(model, onnx_path)
        x = (3.0 * rng.standard_normal((FRAMES, size))).astype(np.float32)
        xp = os.path.join(tmp, name + ".in.f32")
        x.tofile(xp)
        out.append({"name": name, "layers": layers, "arrays": arrays, "size": size,
                    "input": xp,
                    "job": {"model": onnx_path, "input": xp, "shape": [FRAMES, 1, size],
                            "output": os.path.join(tmp, name + ".want.f32")}})
    return out


def keras_forms(mods, tmp, keras_gru):
    folder = os.path.join(tmp, "tfjs")
    os.makedirs(folder)
    node_run(mods, "make_tfjs_models.js", folder)
    with open(os.path.join(folder, "models.json")) as f:
        listing = json.load(f)
    for m in listing["models"]:
        name = m["name"]
        d = os.path.join(folder, name)
        src = os.path.join(d, "model.json")
        with open(src) as f:
            doc = json.load(f)
        doc["_folder"] = d
        layers, arrays = tfjs_layers(doc)
        h5 = os.path.join(tmp, f"keras-{name}.h5")
        write_keras_h5(h5, layers, arrays, m["input_size"])
        kz = os.path.join(tmp, f"keras-{name}.keras")
        write_keras_v3(kz, layers, arrays, m["input_size"])
        want = np.fromfile(os.path.join(d, "expected.f32"), "<f4")
        x = os.path.join(d, "input.f32")
        forms = [("tfjs", src), ("h5", h5), ("keras", kz)]
        if m["accepted"]:
            kz2 = os.path.join(tmp, f"keras-tf213-{name}.keras")
            write_keras_v3(kz2, layers, arrays, m["input_size"],
                           "_layer_checkpoint_dependencies")
            forms.append(("keras-tf2.13", kz2))
        for tag, path in forms:
            if m["accepted"]:
                check_accepted(f"{tag}-{name}", path, x, want, tmp)
            else:
                check_refused(f"{tag}-{name}", path, [m["refusal"]], tmp)
    for k in keras_gru:
        want = np.fromfile(k["job"]["output"], "<f4")
        h5 = os.path.join(tmp, k["name"] + ".h5")
        write_keras_h5(h5, k["layers"], k["arrays"], k["size"])
        kz = os.path.join(tmp, k["name"] + ".keras")
        write_keras_v3(kz, k["layers"], k["arrays"], k["size"])
        check_accepted(k["name"] + "-h5", h5, k["input"], want, tmp)
        check_accepted(k["name"] + "-keras", kz, k["input"], want, tmp)
    return listing["tfjs"]


def main():
    if TOOL is None:
        print("LSTM_TOOL is not set (run through meson test)")
        return 1
    torch.set_num_threads(1)
    mods = runtimes()
    with tempfile.TemporaryDirectory(prefix="lstm-import-") as tmp:
        keras_gru = onnx_forms(mods, tmp)
        version = keras_forms(mods, tmp, keras_gru)
        print(f"# references: onnxruntime-node, @tensorflow/tfjs {version}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
