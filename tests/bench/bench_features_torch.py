#!/usr/bin/python3
# torchaudio's side of bench-features: the same features over the same
# samples, one CPU thread (process CPU time); prints {"name": seconds, ...} (best of N runs).
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: bench_features_torch.py SIGNAL.f32 RATE REPEATS

import json
import sys
import time

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi
import torchaudio.functional as AF
import torchaudio.transforms as T


def main():
    path, rate, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    x = torch.from_numpy(np.fromfile(path, dtype="<f4"))
    mel = T.MelSpectrogram(sample_rate=rate, n_fft=400, hop_length=160,
                           n_mels=40)

    def mfcc_deltas():
        m = kaldi.mfcc(x[None], sample_frequency=rate).T
        d = AF.compute_deltas(m)
        return torch.cat([m, d, AF.compute_deltas(d)]).T.contiguous()

    runs = {
        "fbank": lambda: kaldi.fbank(x[None], sample_frequency=rate,
                                     num_mel_bins=40),
        "mfcc+deltas": mfcc_deltas,
        "melspec": lambda: torch.log(torch.clamp(mel(x), min=1e-6)).T
        .contiguous(),
        "raw": lambda: x.unfold(0, 400, 160).contiguous(),
    }
    out = {}
    with torch.no_grad():
        for name, fn in runs.items():
            fn()
            best = float("inf")
            for _ in range(repeats):
                t0 = time.process_time()
                fn()
                best = min(best, time.process_time() - t0)
            out[name] = best
    print(json.dumps(out))


if __name__ == "__main__":
    main()
