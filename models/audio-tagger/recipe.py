#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trains models/audio-tagger: frame-level silence/speech/music/noise tagging.

Everything is synthesised, so the recipe needs no download:
  speech  espeak-ng (Debian package espeak-ng), many voices, speeds, pitches;
  music   note sequences and chords of harmonic tones with envelopes;
  noise   white, pink, brown and band-limited noise, slowly modulated;
  silence digital zero or very faint noise.
Clips are concatenated into long streams with random class changes, turned
into Kaldi filterbanks with torchaudio (the same numbers liblstm's fbank
computes), and an LSTM is trained in PyTorch to label every frame, carrying
its state across the stream. The model is exported with
tools/export_pytorch.py, with its feature configuration and the input
normalisation (per-bin mean and standard deviation of the training frames).

Run from anywhere (seeded, about 10 minutes on one core):
    /usr/bin/python3 models/audio-tagger/recipe.py
Writes audio-tagger.safetensors and demo.wav (12 s of unseen audio:
silence, speech, music, noise, speech, silence) next to this script, and
prints the held-out frame accuracy.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile
import torch
import torch.nn as nn
import torchaudio

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools"))
from export_pytorch import export  # noqa: E402

RATE = 16000
LABELS = ["silence", "speech", "music", "noise"]
FEATURES = {"kind": "fbank", "sample_frequency": RATE, "num_mel_bins": 40,
            "frame_length": 25.0, "frame_shift": 10.0, "waveform_scale": 32768.0}
torch.manual_seed(1)
torch.set_num_threads(1)

WORDS = ("the a of and to in is you that it he was for on are as with his they "
         "at be this have from or one had by word but not what all were we when "
         "your can said there use an each which she do how their if will up other "
         "about out many then them these so some her would make like him into time "
         "has look two more write go see number no way could people my than first "
         "water been call who oil its now find long down day did get come made may "
         "part over new sound take only little work know place year live me back "
         "give most very after thing our just name good sentence man think say great "
         "where help through much before line right too mean old any same tell boy "
         "follow came want show also around form three small set put end does another "
         "well large must big even such because turn here why ask went men read need "
         "land different home us move try kind hand picture again change off play "
         "spell air away animal house point page letter mother answer found study "
         "still learn should america world stream model signal frame buffer").split()
VOICES = ["en", "en-us", "en+f2", "en+f4", "en+m3", "en+m7", "en-gb-scotland",
          "de", "fr", "es", "it", "nl", "pl", "pt"]


def speech(rng, seconds):
    out = np.zeros(0, dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        while len(out) < seconds * RATE:
            text = " ".join(rng.choice(WORDS, size=rng.integers(6, 16)))
            path = os.path.join(tmp, "s.wav")
            subprocess.run(["espeak-ng", "-v", str(rng.choice(VOICES)),
                            "-s", str(int(rng.integers(110, 210))),
                            "-p", str(int(rng.integers(20, 80))),
                            "-w", path, text], check=True)
            wav, sr = soundfile.read(path, dtype="float32")
            wav = torchaudio.functional.resample(torch.from_numpy(wav), sr, RATE).numpy()
            out = np.concatenate([out, wav, np.zeros(int(rng.integers(0, RATE // 4)), np.float32)])
    out = out[:int(seconds * RATE)]
    return out / (np.abs(out).max() + 1e-9) * rng.uniform(0.1, 0.9)


def music(rng, seconds):
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    pos = 0
    while pos < n:
        dur = int(rng.uniform(0.12, 0.6) * RATE)
        t = np.arange(dur) / RATE
        env = np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(1.0, 8.0))
        for _ in range(int(rng.integers(1, 4))):
            f0 = 110.0 * 2 ** (rng.integers(0, 36) / 12.0)
            tone = sum((0.6 ** k) * np.sin(2 * math.pi * f0 * (k + 1) * t + rng.uniform(0, 6.3))
                       for k in range(int(rng.integers(2, 7))))
            seg = (tone * env).astype(np.float32)
            out[pos:pos + dur] += seg[:max(0, min(dur, n - pos))]
        if rng.random() < 0.3:  # a drum hit
            k = min(int(0.05 * RATE), n - pos)
            out[pos:pos + k] += (rng.standard_normal(k) * np.exp(-np.arange(k) / 200.0)).astype(np.float32) * 0.5
        pos += dur
    return out / (np.abs(out).max() + 1e-9) * rng.uniform(0.1, 0.9)


def coloured_noise(rng, n, kind):
    white = rng.standard_normal(n)
    if kind == "white":
        x = white
    else:
        spec = np.fft.rfft(white)
        f = np.fft.rfftfreq(n, 1.0 / RATE)
        f[0] = f[1]
        if kind == "pink":
            spec /= np.sqrt(f)
        elif kind == "brown":
            spec /= f
        else:  # band-limited
            lo = rng.uniform(100, 3000)
            spec *= (f > lo) & (f < lo * rng.uniform(1.5, 4))
        x = np.fft.irfft(spec, n)
    return x / (np.abs(x).max() + 1e-9)


def noise(rng, seconds):
    n = int(seconds * RATE)
    x = coloured_noise(rng, n, str(rng.choice(["white", "pink", "brown", "band"])))
    t = np.arange(n) / RATE
    x *= 1.0 + 0.3 * np.sin(2 * math.pi * rng.uniform(0.1, 1.0) * t)
    return (x / (np.abs(x).max() + 1e-9) * rng.uniform(0.05, 0.8)).astype(np.float32)


def silence(rng, seconds):
    n = int(seconds * RATE)
    if rng.random() < 0.4:
        return np.zeros(n, dtype=np.float32)
    return (coloured_noise(rng, n, "white") * 10 ** rng.uniform(-4.5, -3.2)).astype(np.float32)


MAKERS = [silence, speech, music, noise]


def stream(rng, n_segments, order=None):
    audio, labels = [], []
    for k in range(n_segments):
        c = order[k] if order else int(rng.integers(0, 4))
        seconds = rng.uniform(0.6, 3.0) if order is None else [1.0, 3.0, 3.0, 2.0, 2.0, 1.0][k]
        x = MAKERS[c](rng, seconds)
        audio.append(x)
        labels.append(np.full(len(x), c, dtype=np.int64))
    return np.concatenate(audio), np.concatenate(labels)


def fbank(audio):
    f = torchaudio.compliance.kaldi.fbank(
        torch.from_numpy(audio)[None] * FEATURES["waveform_scale"],
        sample_frequency=RATE, num_mel_bins=40, frame_length=25.0, frame_shift=10.0,
        dither=0.0)
    return f.numpy()


def frame_labels(labels, n_frames):
    centres = np.arange(n_frames) * 160 + 200
    return labels[np.minimum(centres, len(labels) - 1)]


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(40, 64, batch_first=True)
        self.head = nn.Linear(64, len(LABELS))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


def dataset(seed, n_streams):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n_streams):
        audio, labels = stream(rng, 5)
        f = fbank(audio)
        xs.append(f.astype(np.float32))
        ys.append(frame_labels(labels, len(f)))
    return xs, ys


def main():
    train_x, train_y = dataset(10, 240)
    test_x, test_y = dataset(20, 40)
    allf = np.concatenate(train_x)
    mean = allf.mean(0).astype(np.float32)
    std = (allf.std(0) + 1e-3).astype(np.float32)
    model = Tagger()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(3)
    T = 400
    for step in range(1500):
        batch = rng.integers(0, len(train_x), size=16)
        xb, yb = [], []
        for b in batch:
            s = int(rng.integers(0, max(1, len(train_x[b]) - T)))
            x = train_x[b][s:s + T]
            y = train_y[b][s:s + T]
            if len(x) < T:  # pad short streams by repeating their end
                pad = T - len(x)
                x = np.concatenate([x, np.repeat(x[-1:], pad, 0)])
                y = np.concatenate([y, np.repeat(y[-1:], pad)])
            xb.append((x - mean) / std)
            yb.append(y)
        logits = model(torch.from_numpy(np.stack(xb)))
        loss = nn.functional.cross_entropy(logits.reshape(-1, 4), torch.from_numpy(np.stack(yb)).reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f}", flush=True)

    correct = total = 0
    with torch.no_grad():
        for x, y in zip(test_x, test_y):
            pred = model(torch.from_numpy((x - mean) / std)[None])[0].argmax(-1).numpy()
            correct += int((pred == y).sum())
            total += len(y)
    acc = correct / total
    print(f"held-out frame accuracy {acc:.4f} over {total} frames")

    export(model, os.path.join(here, "audio-tagger.safetensors"), activations={"head": "softmax"},
           task="classification", labels=LABELS, features=json.dumps(FEATURES),
           input_mean=mean, input_std=std,
           description="Frame-level tagging of 16 kHz audio as silence, speech, music or noise "
                       "(synthetic training data: espeak-ng speech, synthesised notes, coloured noise).",
           training=f"models/audio-tagger/recipe.py: PyTorch Adam lr 3e-3, clip 1.0, 1500 steps "
                    f"of 16 x {T}-frame windows from 240 synthetic streams; final loss "
                    f"{loss.item():.4f}; held-out frame accuracy {acc:.4f} ({total} frames)")

    rng = np.random.default_rng(99)
    audio, _ = stream(rng, 6, order=[0, 1, 2, 3, 1, 0])
    soundfile.write(os.path.join(here, "demo.wav"), audio, RATE, subtype="PCM_16")


if __name__ == "__main__":
    main()
