#!/usr/bin/python3
# Golden data for liblstm's audio features: torchaudio's own output.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes, with Debian's python3-torch / python3-torchaudio:
#   tests/data/{speech,sweep,noise}-{8000,16000,44100}.wav
#       2 s of mono S16 audio: speech synthesised by espeak-ng (needed only
#       here) with a -60 dB noise floor, an exponential tone sweep, white
#       noise.
#   tests/golden/features/manifest.json
#       one case per (configuration, audio file): the configuration (our
#       JSON, torchaudio's argument names), how to compare, and the file
#       holding torchaudio's features.
#   tests/golden/features/*.bin
#       "LSTMFEAT" magic, u32 version (1), u32 frames, u32 values per frame,
#       u32 reserved (0), then frames x values float32, all little-endian.
#   Raw windows are stored as the SHA-256 of torch's float32 bytes.
#
# The features are computed from the WAV's samples exactly as liblstm
# reads them (int16 / 32768 as float32, times waveform_scale).
#
# Usage: /usr/bin/python3 tests/golden/make_golden_features.py

import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi
import torchaudio.functional as AF
import torchaudio.transforms as T

VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "features")
RATES = [8000, 16000, 44100]
DURATION = 2.0
SPEECH = "Seven foxes jumped at dawn."


def write_wav(path, samples_i16, rate):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples_i16.astype("<i2").tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data, rate


def to_i16(x):
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def fade(x, rate):
    n = int(0.01 * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def make_audio():
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(20240501)
    tmp = tempfile.mkdtemp()
    try:
        wav = os.path.join(tmp, "speech.wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "170", "-w", wav,
                        SPEECH], check=True)
        speech, srate = read_wav(wav)
    finally:
        shutil.rmtree(tmp)
    speech = torch.from_numpy(speech.astype(np.float32) / 32768.0)
    for rate in RATES:
        n = int(DURATION * rate)
        s = AF.resample(speech, srate, rate).numpy().astype(np.float64)
        s = np.pad(s, (0, max(0, n - len(s))))[:n]
        s = 0.5 * s / np.abs(s).max() + 1e-3 * rng.standard_normal(n)
        write_wav(os.path.join(DATA, "speech-%d.wav" % rate), to_i16(s),
                  rate)
        t = np.arange(n) / rate
        f0, f1 = 60.0, 0.45 * rate
        k = math.log(f1 / f0) / DURATION
        sweep = 0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)
        write_wav(os.path.join(DATA, "sweep-%d.wav" % rate),
                  to_i16(fade(sweep, rate)), rate)
        noise = np.clip(0.15 * rng.standard_normal(n), -0.9, 0.9)
        write_wav(os.path.join(DATA, "noise-%d.wav" % rate), to_i16(noise),
                  rate)


def load(name, rate, scale=1.0):
    data, r = read_wav(os.path.join(DATA, "%s-%d.wav" % (name, rate)))
    assert r == rate
    x = torch.from_numpy(data.astype(np.float32)) / 32768.0
    if scale != 1.0:
        x = x * torch.tensor(scale, dtype=torch.float32)
    return x


# ---- the configurations: our JSON and the torchaudio call it stands for

def kaldi_args(cfg):
    skip = {"kind", "waveform_scale", "channel", "deltas", "delta_win_length"}
    return {k: v for k, v in cfg.items() if k not in skip}


def with_deltas(base, cfg):
    order = cfg.get("deltas", 0)
    win = cfg.get("delta_win_length", 5)
    parts = [base]
    d = base.T
    for _ in range(order):
        d = AF.compute_deltas(d, win_length=win)
        parts.append(d.T)
    return torch.cat(parts, dim=1)


def fbank(cfg, x):
    return with_deltas(kaldi.fbank(x[None], **kaldi_args(cfg)), cfg)


def mfcc(cfg, x):
    return with_deltas(kaldi.mfcc(x[None], **kaldi_args(cfg)), cfg)


MELSPEC_ARGS = {"sample_rate", "n_fft", "win_length", "hop_length", "f_min",
                "f_max", "pad", "n_mels", "power", "normalized", "center",
                "pad_mode", "onesided", "norm", "mel_scale"}
WINDOWS = {"hann_window": torch.hann_window,
           "hamming_window": torch.hamming_window,
           "blackman_window": torch.blackman_window,
           "bartlett_window": torch.bartlett_window}


def melspec(cfg, x):
    args = {k: v for k, v in cfg.items() if k in MELSPEC_ARGS}
    if "window_fn" in cfg:
        args["window_fn"] = WINDOWS[cfg["window_fn"]]
    m = T.MelSpectrogram(**args)(x)
    log = cfg.get("log", "none")
    floor = cfg.get("log_floor", 1e-10)
    if log == "natural":
        m = torch.log(torch.clamp(m, min=floor))
    elif log == "db":
        stype = cfg.get("stype", "power")
        m = T.AmplitudeToDB(stype=stype)(torch.clamp(m, min=floor)) \
            if floor != 1e-10 else T.AmplitudeToDB(stype=stype)(m)
    return with_deltas(m.T, cfg)


def raw(cfg, x):
    rate = cfg["sample_rate"]
    if "win_length" in cfg:
        win, hop = cfg["win_length"], cfg.get("hop_length", cfg["win_length"])
    else:
        win = int(rate * cfg.get("frame_length", 25.0) * 0.001)
        hop = int(rate * cfg.get("frame_shift", 10.0) * 0.001)
    return x.unfold(0, win, hop)


KINDS = {"fbank": fbank, "mfcc": mfcc, "melspec": melspec, "raw": raw}

# name, configuration, audio files, comparison
#   log:    natural-log filterbank values (design.md section 5's rule)
#   linear: filterbank energies (compared through their log, same rule)
#   db:     10 log10 (stype power) or 20 log10 (magnitude) of energies
#   mfcc:   cepstra (and their deltas), absolute, on broadband audio
#   sha256: raw windows, bit for bit
CASES = [
    ("fbank-default", {"kind": "fbank"},
     ["speech", "sweep", "noise"], 16000, "log"),
    ("fbank-design", {"kind": "fbank", "sample_frequency": 16000,
                      "num_mel_bins": 40, "frame_length": 25.0,
                      "frame_shift": 10.0, "window_type": "povey",
                      "preemphasis_coefficient": 0.97, "low_freq": 20.0,
                      "high_freq": 0.0, "use_energy": False},
     ["speech", "noise"], 16000, "log"),
    ("fbank-8k-hamming-energy", {"kind": "fbank", "sample_frequency": 8000,
                                 "num_mel_bins": 40, "window_type": "hamming",
                                 "use_energy": True, "low_freq": 64.0,
                                 "high_freq": -200.0,
                                 "waveform_scale": 32768.0},
     ["speech", "sweep", "noise"], 8000, "log"),
    ("fbank-44k-magnitude-htk", {"kind": "fbank", "sample_frequency": 44100,
                                 "num_mel_bins": 64, "frame_length": 20.0,
                                 "window_type": "hanning",
                                 "preemphasis_coefficient": 0.0,
                                 "remove_dc_offset": False,
                                 "round_to_power_of_two": False,
                                 "use_power": False, "raw_energy": False,
                                 "use_energy": True, "htk_compat": True,
                                 "energy_floor": 0.0},
     ["speech", "sweep"], 44100, "log"),
    ("fbank-linear-blackman-vtln", {"kind": "fbank", "num_mel_bins": 30,
                                    "use_log_fbank": False,
                                    "window_type": "blackman",
                                    "vtln_warp": 1.1},
     ["speech", "sweep"], 16000, "linear"),
    ("mfcc-default", {"kind": "mfcc"}, ["speech", "noise"], 16000, "mfcc"),
    ("mfcc-deltas", {"kind": "mfcc", "num_mel_bins": 40, "num_ceps": 20,
                     "deltas": 2},
     ["speech", "noise"], 16000, "mfcc"),
    ("mfcc-8k-energy", {"kind": "mfcc", "sample_frequency": 8000,
                        "use_energy": True, "cepstral_lifter": 0.0,
                        "deltas": 1, "delta_win_length": 9,
                        "waveform_scale": 32768.0},
     ["speech", "noise"], 8000, "mfcc"),
    ("mfcc-44k-htk", {"kind": "mfcc", "sample_frequency": 44100,
                      "num_mel_bins": 40, "htk_compat": True,
                      "high_freq": 8000.0},
     ["speech", "noise"], 44100, "mfcc"),
    ("melspec-design", {"kind": "melspec", "sample_rate": 16000,
                        "n_fft": 400, "hop_length": 160, "n_mels": 40,
                        "log": "natural", "log_floor": 1e-6},
     ["speech", "sweep", "noise"], 16000, "log"),
    ("melspec-default", {"kind": "melspec"}, ["speech"], 16000, "linear"),
    ("melspec-44k-db-slaney", {"kind": "melspec", "sample_rate": 44100,
                               "n_fft": 2048, "hop_length": 512,
                               "n_mels": 80, "f_min": 30.0,
                               "f_max": 21000.0, "norm": "slaney",
                               "mel_scale": "slaney", "log": "db"},
     ["speech", "sweep"], 44100, "db"),
    ("melspec-8k-odd-magnitude", {"kind": "melspec", "sample_rate": 8000,
                                  "n_fft": 255, "win_length": 200,
                                  "hop_length": 80, "n_mels": 32,
                                  "power": 1.0, "log": "db",
                                  "stype": "magnitude",
                                  "window_fn": "hamming_window",
                                  "pad_mode": "constant"},
     ["speech", "sweep", "noise"], 8000, "db"),
    ("melspec-nocenter-normalized", {"kind": "melspec", "sample_rate": 16000,
                                     "n_fft": 512, "win_length": 400,
                                     "hop_length": 160, "n_mels": 40,
                                     "center": False, "normalized": True,
                                     "pad": 100, "log": "natural"},
     ["speech", "noise"], 16000, "log"),
    ("raw-samples", {"kind": "raw", "sample_rate": 16000, "win_length": 400,
                     "hop_length": 160},
     ["speech"], 16000, "sha256"),
    ("raw-ms", {"kind": "raw", "sample_rate": 8000, "frame_length": 32.0,
                "frame_shift": 16.0},
     ["noise"], 8000, "sha256"),
]


def write_bin(path, feats):
    feats = np.ascontiguousarray(feats, dtype="<f4")
    with open(path, "wb") as f:
        f.write(b"LSTMFEAT")
        f.write(struct.pack("<IIII", VERSION, feats.shape[0], feats.shape[1],
                            0))
        f.write(feats.tobytes())


def main():
    torch.set_num_threads(1)
    if "--features-only" not in sys.argv:
        make_audio()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".bin"):
            os.unlink(os.path.join(OUT, f))
    cases = []
    for name, cfg, audios, rate, compare in CASES:
        for audio in audios:
            x = load(audio, rate, cfg.get("waveform_scale", 1.0))
            feats = KINDS[cfg["kind"]](cfg, x).contiguous().numpy()
            case = {"name": "%s/%s" % (name, audio), "config": cfg,
                    "audio": "%s-%d.wav" % (audio, rate),
                    "compare": compare, "frames": int(feats.shape[0]),
                    "dim": int(feats.shape[1])}
            if compare == "sha256":
                case["sha256"] = hashlib.sha256(
                    np.ascontiguousarray(feats, dtype="<f4").tobytes()
                ).hexdigest()
            else:
                fname = "%s-%s.bin" % (name, audio)
                write_bin(os.path.join(OUT, fname), feats)
                case["file"] = fname
            if cfg["kind"] in ("fbank", "mfcc") and cfg.get("use_energy"):
                # the log-energy column: a log value, not a filterbank one
                case["energy_column"] = \
                    (cfg.get("num_mel_bins", 23) if cfg["kind"] == "fbank"
                     else cfg.get("num_ceps", 13) - 1) \
                    if cfg.get("htk_compat") else 0
            cases.append(case)
    manifest = {"version": VERSION, "generator": "make_golden_features.py",
                "torch": torch.__version__,
                "torchaudio": torchaudio.__version__,
                "cases": cases}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
