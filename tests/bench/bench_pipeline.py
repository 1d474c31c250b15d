#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Whole-pipeline benchmark through gst-launch-1.0 and the lstm plugin.

  - the shipped audio tagger on 10 minutes of generated audio, 16 kHz mono
    and 44.1 kHz stereo (S16 WAV):
    filesrc ! wavparse ! audioconvert ! audioresample ! lstmfeatures
      ! lstminfer ! fakesink
    and the same pipeline without lstminfer (features only) and without
    either (decoding only: with fakesink downstream, audioconvert and
    audioresample pass the audio through untouched);
  - the SMALL model (in 40, LSTM 128 x 2, linear 10) at one frame per buffer
    (raw float frames through rawaudioparse), with lstminfer and with
    identity in its place: the per-buffer cost of the element; with a
    queue after filesrc (a thread hand-off per buffer) and without.
Real-time factor = audio duration / CPU time of the gst-launch process
(CPU time, so that waiting for a shared core is not counted); best of two.

Usage: bench_pipeline.py PLUGIN_DIR
Needs gst-launch-1.0 (and torch for the SMALL row); prints figures only.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
TAGGER = os.path.join(root, "models", "audio-tagger",
                      "audio-tagger.safetensors")
SECONDS = 600
SMALL_FRAMES = 20000


def make_wav(path, rate, channels):
    """Speech-like test audio: chirps, noise bursts and silence."""
    rng = np.random.default_rng(rate + channels)
    n = rate * SECONDS
    t = np.arange(n) / rate
    x = 0.3 * np.sin(2 * np.pi * (200 + 150 * np.sin(0.3 * t)) * t)
    x *= (np.sin(2 * np.pi * 0.2 * t) > -0.3)
    x += 0.05 * rng.standard_normal(n)
    data = np.stack([x * (1 - 0.2 * c) for c in range(channels)], axis=1)
    pcm = np.clip(data * 32767, -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def make_small(tmp):
    """The SMALL model (PyTorch's default init), or None without torch."""
    try:
        import torch
        sys.path.insert(0, os.path.join(root, "tools"))
        from export_pytorch import export
    except ImportError:
        return None

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(40, 128, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(128, 10)

    torch.manual_seed(0)
    path = os.path.join(tmp, "small.safetensors")
    export(Net(), path)
    return path


def cpu_of(cmd, env):
    """CPU seconds of a child process (user + system), best of two."""
    best = 1e30
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, (after.ru_utime - before.ru_utime) +
                   (after.ru_stime - before.ru_stime))
    return best


def main():
    plugin_dir = sys.argv[1]
    launch = shutil.which("gst-launch-1.0")
    if launch is None:
        print("SKIP: gst-launch-1.0 not found")
        return 77
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = plugin_dir
    env.setdefault("GST_REGISTRY", os.path.join(tempfile.gettempdir(),
                                                "bench-pipeline-registry.bin"))
    env["GST_REGISTRY_FORK"] = "no"
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'pipeline (10 min of audio)':44} {'CPU s':>7} "
              f"{'x real time':>12}")
        for rate, ch in ((16000, 1), (44100, 2)):
            wav = os.path.join(tmp, f"a{rate}.wav")
            make_wav(wav, rate, ch)
            head = ["filesrc", f"location={wav}", "!", "wavparse", "!",
                    "audioconvert", "!", "audioresample", "!"]
            feats = ["lstmfeatures", f"model={TAGGER}", "!"]
            infer = ["lstminfer", f"model={TAGGER}", "!"]
            for what, mid in (("decode only", []),
                              ("+ lstmfeatures", feats),
                              ("+ lstmfeatures + lstminfer", feats + infer)):
                cmd = [launch, "-q"] + head + mid + ["fakesink"]
                s = cpu_of(cmd, env)
                label = f"{rate} Hz {'mono' if ch == 1 else 'stereo'}: {what}"
                print(f"{label:44} {s:7.2f} {SECONDS / s:11.0f}x",
                      flush=True)
        small = make_small(tmp)
        if small:
            f32 = os.path.join(tmp, "frames.f32")
            rng = np.random.default_rng(3)
            rng.uniform(-1, 1, (SMALL_FRAMES, 40)).astype("<f4").tofile(f32)
            parse = ["rawaudioparse", "use-sink-caps=false", "format=pcm",
                     "pcm-format=f32le", "num-channels=40",
                     "sample-rate=100", "!"]
            src = ["filesrc", f"location={f32}", "blocksize=160", "!"]
            # with a queue, every buffer is handed from one thread to the
            # other (two wake-ups on a shared core); without, one
            # streaming thread runs the whole pipeline
            for how, head in (("queue", src + ["queue", "!"] + parse),
                              ("no queue", src + parse)):
                res = {}
                for what, mid in (("identity", ["identity"]),
                                  ("lstminfer", ["lstminfer",
                                                 f"model={small}",
                                                 "message-interval=0"])):
                    res[what] = cpu_of([launch, "-q"] + head + mid +
                                       ["!", "fakesink"], env)
                per = {k: v / SMALL_FRAMES * 1e6 for k, v in res.items()}
                print(f"SMALL through lstminfer, 1 frame per buffer, "
                      f"{how}: {per['lstminfer']:.2f} us/frame (identity "
                      f"in its place: {per['identity']:.2f} us/buffer; "
                      f"element + model: "
                      f"{per['lstminfer'] - per['identity']:.2f} us/buffer)",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
