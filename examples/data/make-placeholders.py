#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the placeholder models and input streams of examples/data.

PLACEHOLDERS: these models are not trained on real data. Their weights are
set by hand (plus one least-squares fit of a 2-value output layer), so that
the example pipelines, the element docs and the tests have small models
whose outputs mean something and follow their input:

  placeholder-balance.safetensors  classifier, 2 values per frame in, labels
      "left" / "right": which of two input channels has been larger lately.
      An LSTM of 2 cells integrates tanh(0.1 x) of each channel with a
      forget gate of about 0.88 (a time constant of ~8 frames); a softmax
      head compares the two cells.
  balance.f32   10 s of two-channel levels at 100 frames/s (raw float32,
      interleaved): stretches of 0.5-2 s where one channel dominates.

  placeholder-sine.safetensors  forecaster, 1 value in, 1 out: the next
      value of a 2 Hz sine sampled at 100 frames/s. One LSTM cell keeps
      tanh(tanh(0.1 x(t))), a second the same of the previous frame; the
      linear head, fitted by least squares, applies x(t+1) = 2 cos(w) x(t)
      - x(t-1).
  sine.f32      10 s of that sine at 100 frames/s (raw float32).

  placeholder-tones.safetensors  audio classifier, labels "low" / "high":
      which of two tones (440 Hz, 2500 Hz) is playing. Its lstm.features is
      a Kaldi filterbank of 16 mel bins at 16 kHz (25 ms windows every
      10 ms), computed by lstmfeatures or `lstm run` from audio. One LSTM
      cell integrates tanh(0.05 (bins 1-3 - bins 9-10) + 0.64), where a
      440 Hz tone fills bins 1-3 and a 2500 Hz tone bins 9-10; a second
      cell the opposite; a softmax head compares them.
  tones.wav     3 s of those tones at 16 kHz (mono, 16-bit): low 0.8 s,
      high 0.7 s, low 0.5 s, high 1 s, over faint noise.

Needs numpy only (and tools/export_pytorch.py for the file format):
    /usr/bin/python3 examples/data/make-placeholders.py
`lstm run examples/data/placeholder-tones.safetensors examples/data/tones.wav`
prints the tones' timeline.
"""

import json
import os
import sys
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from export_pytorch import export  # noqa: E402

RATE = 100  # frames per second of both streams


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_run(sd, x, hidden):
    """numpy reference of the 1-layer LSTM below (gate order i, f, g, o)."""
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    hs = []
    for xt in x:
        z = sd["rnn.weight_ih_l0"] @ xt + sd["rnn.bias_ih_l0"] + \
            sd["rnn.weight_hh_l0"] @ h + sd["rnn.bias_hh_l0"]
        i, f, g, o = np.split(z, 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.array(hs)


def balance():
    H = 2
    w_ih = np.zeros((4 * H, 2), np.float32)
    w_ih[2 * H:3 * H] = np.diag([0.1, 0.1])          # g = tanh(0.1 x)
    bias = np.zeros(4 * H, np.float32)
    bias[0:H] = 8.0                                   # input gate ~1
    bias[H:2 * H] = 2.0                               # forget gate ~0.88
    bias[3 * H:4 * H] = 8.0                           # output gate ~1
    k = 4.0
    sd = {
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": np.zeros((4 * H, H), np.float32),
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * H, np.float32),
        "head.weight": np.array([[k, -k], [-k, k]], np.float32),
        "head.bias": np.zeros(2, np.float32),
    }
    arch = [{"type": "lstm", "name": "rnn", "input_size": 2, "hidden_size": H},
            {"type": "linear", "name": "head", "out_features": 2,
             "activation": "softmax"}]
    export(None, os.path.join(HERE, "placeholder-balance.safetensors"),
           architecture=arch, state_dict=sd, task="classification",
           labels=["left", "right"],
           description="PLACEHOLDER (hand-set weights, not trained): which "
           "of two input channels has been larger lately",
           training="none: weights set by examples/data/make-placeholders.py")

    rng = np.random.RandomState(20240601)
    frames = []
    truth = []
    while len(frames) < 10 * RATE:
        n = int(rng.randint(RATE // 2, 2 * RATE))
        side = int(rng.randint(2))
        lo, hi = 0.1, 1.0
        for _ in range(n):
            a = hi + rng.normal(0, 0.15)
            b = lo + abs(rng.normal(0, 0.1))
            frames.append((a, b) if side == 0 else (b, a))
            truth.append(side)
    x = np.array(frames[:10 * RATE], np.float32)
    x.astype("<f4").tofile(os.path.join(HERE, "balance.f32"))
    h = lstm_run(sd, x.astype(np.float64), H)
    z = h @ sd["head.weight"].T
    acc = float(np.mean(np.argmax(z, 1) == np.array(truth[:len(x)])))
    print("balance: %d frames, frame accuracy against the generating side "
          "%.3f" % (len(x), acc))


def sine():
    H = 2
    a = b = 0.1
    w_ih = np.zeros((4 * H, 1), np.float32)
    w_ih[2 * H + 0, 0] = a                           # g_A = tanh(a x(t))
    w_hh = np.zeros((4 * H, H), np.float32)
    w_hh[2 * H + 1, 0] = b                           # g_B = tanh(b h_A(t-1))
    bias = np.zeros(4 * H, np.float32)
    bias[0:H] = 8.0                                   # input gates ~1
    bias[H:2 * H] = -8.0                              # forget gates ~0
    bias[3 * H:4 * H] = 8.0                           # output gates ~1
    sd = {
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": w_hh,
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * H, np.float32),
    }
    t = np.arange(10 * RATE)
    x = (0.8 * np.sin(2 * np.pi * 2.0 * t / RATE)).astype(np.float32)
    x.astype("<f4").tofile(os.path.join(HERE, "sine.f32"))
    hs = lstm_run(sd, x[:, None].astype(np.float64), H)
    # least squares: head(h(t)) ~ x(t+1), from the third frame on
    A = np.c_[hs[2:-1], np.ones(len(hs) - 3)]
    coef, *_ = np.linalg.lstsq(A, x[3:], rcond=None)
    sd["head.weight"] = coef[None, :2].astype(np.float32)
    sd["head.bias"] = coef[2:].astype(np.float32)
    pred = A @ coef
    rmse = float(np.sqrt(np.mean((pred - x[3:]) ** 2)))
    persist = float(np.sqrt(np.mean((x[2:-1] - x[3:]) ** 2)))
    arch = [{"type": "lstm", "name": "rnn", "input_size": 1, "hidden_size": H},
            {"type": "linear", "name": "head", "out_features": 1}]
    export(None, os.path.join(HERE, "placeholder-sine.safetensors"),
           architecture=arch, state_dict=sd, task="forecast",
           description="PLACEHOLDER (hand-set weights, least-squares head, "
           "not trained): next value of a 2 Hz sine sampled at 100 Hz",
           training=json.dumps({"fit": "least squares on sine.f32",
                                "rmse": round(rmse, 6),
                                "persistence_rmse": round(persist, 6)}))
    print("sine: RMSE %.5f (persistence %.5f)" % (rmse, persist))


def tones():
    rate = 16000
    features = {"kind": "fbank", "sample_frequency": rate,
                "num_mel_bins": 16, "frame_length": 25.0,
                "frame_shift": 10.0}
    H = 2
    low_bins, high_bins = [1, 2, 3], [9, 10]
    w_ih = np.zeros((4 * H, 16), np.float32)
    bias = np.zeros(4 * H, np.float32)
    for cell, sign in ((0, 1.0), (1, -1.0)):
        w_ih[2 * H + cell, low_bins] = 0.05 * sign   # g = tanh(...)
        w_ih[2 * H + cell, high_bins] = -0.05 * sign
        bias[2 * H + cell] = 0.64 * sign   # centres the two tones' sums
    bias[0:H] = 8.0                        # input gates ~1
    bias[H:2 * H] = 2.0                    # forget gates ~0.88
    bias[3 * H:4 * H] = 8.0                # output gates ~1
    k = 4.0
    sd = {
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": np.zeros((4 * H, H), np.float32),
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * H, np.float32),
        "head.weight": np.array([[k, -k], [-k, k]], np.float32),
        "head.bias": np.zeros(2, np.float32),
    }
    arch = [{"type": "lstm", "name": "rnn", "input_size": 16,
             "hidden_size": H},
            {"type": "linear", "name": "head", "out_features": 2,
             "activation": "softmax"}]
    export(None, os.path.join(HERE, "placeholder-tones.safetensors"),
           architecture=arch, state_dict=sd, task="classification",
           labels=["low", "high"], features=features,
           description="PLACEHOLDER (hand-set weights, not trained): which "
           "of two tones (440 Hz 'low', 2500 Hz 'high') is playing",
           training="none: weights set by examples/data/make-placeholders.py")

    rng = np.random.RandomState(20240602)
    parts = []
    for freq, seconds in ((440, 0.8), (2500, 0.7), (440, 0.5), (2500, 1.0)):
        n = int(seconds * rate)
        t = np.arange(n) / rate
        fade = np.minimum(1.0, np.minimum(t, (n - 1) / rate - t) / 0.01)
        parts.append(0.3 * np.sin(2 * np.pi * freq * t) * fade)
    x = np.concatenate(parts)
    x = x + rng.normal(0, 0.002, len(x))
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2")
    with wave.open(os.path.join(HERE, "tones.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    print("tones: %.1f s at %d Hz" % (len(x) / rate, rate))


if __name__ == "__main__":
    balance()
    sine()
    tones()
