#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes demo.wav, demo.txt and DEMO-SOURCES.md next to this script.

demo.wav is 16 kHz mono, about 46 s, assembled from real recordings of
sources in the TEST split of make_dataset.py only (never a training source):
telephone-band Russian speech (asterisk prompts), English speech (the flite
slt voice, alone and over low background noise), game music, drum patterns
from held-out hydrogen kits, game sound effects and ambiences, and silence
(room tone scaled below -50 dBFS, digital zero, low hum). demo.txt is its
label track (Audacity's format: start TAB end TAB label, in seconds) and
DEMO-SOURCES.md names the package, file and licence of every stretch.

    /usr/bin/python3 models/audio-tagger/make_demo.py
"""
import os
import sys

import numpy as np
import soundfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import make_dataset as md  # noqa: E402

RATE = md.RATE
# (label, group or silence kind, seconds, level dBFS RMS, background group)
PLAN = [
    ("silence", "quiet", 1.0, None, None),
    ("speech", "asterisk-ru", 5.0, -24.0, None),
    ("music", "drascula music", 6.0, -20.0, None),
    ("silence", "zero", 0.8, None, None),
    ("percussion", "hydrogen", 5.0, -22.0, None),
    ("environment", "lincity-ng sounds", 5.0, -24.0, None),
    ("speech", "flite", 5.0, -22.0, None),
    ("silence", "hum", 1.2, None, None),
    ("music", "colobot music", 5.0, -24.0, None),
    ("environment", "btanks sounds", 4.0, -26.0, None),
    ("percussion", "hydrogen", 3.0, -18.0, None),
    ("speech", "flite", 4.0, -24.0, "lincity-ng sounds"),
    ("speech", "asterisk-ru", 4.0, -36.0, None),
    ("silence", "quiet", 1.0, None, None),
]


def stretch(groups, rng, group, n, level):
    """A validated active stretch of n samples from one group's stream."""
    for _ in range(200):
        y, keys = md.take(groups[group], rng, n)
        if len(y) < n:
            continue
        z = md.set_level(y, level)
        if np.abs(z).max() < 0.98 and md.active_ok(z):
            return z, keys
    raise RuntimeError(f"no clean {n / RATE:.1f} s stretch in {group}")


def silence(kind, quiet, rng, n):
    if kind == "zero":
        return np.zeros(n, np.float32), ["generated:zero:test"]
    if kind == "hum":
        t = np.arange(n) / RATE
        y = sum(0.5 / k * np.sin(2 * np.pi * 50.0 * k * t) for k in range(1, 6))
        y = y + rng.standard_normal(n) * 0.05
        y = (y * 10 ** ((-62.0 - md.max_window_db(y.astype(np.float32))) / 20)).astype(np.float32)
        return y, ["generated:hum:test"]
    y, keys = md.quiet_fill(quiet, rng, n)
    return y * np.float32(10 ** ((-58.0 - md.max_window_db(y)) / 20)), keys


def main():
    md.check_packages()
    wanted = {g for _, g, _, _, _ in PLAN} | {b for *_, b in PLAN if b}
    sources = [s for s in md.find_sources() if s.split == "test"
               and (s.group in wanted or s.group.startswith("asterisk"))]
    md.check_disjoint(sources)
    loaded = md.load_all(sources, 2)
    by_key = {s.key: s for s in sources}
    groups = {}
    for cls in md.CLASSES[:-1]:
        groups.update(md.streams(sources, loaded, cls, "test"))
    quiet = [(q, k) for q, k in md.quiet_stretches(sources, loaded, "test")
             if by_key[k].group == "asterisk-ru"]
    rng = md.seeded("demo")
    audio, labels, rows = [], [], []
    pos = 0
    for label, what, seconds, level, background in PLAN:
        n = int(seconds * RATE)
        if label == "silence":
            y, keys = silence(what, quiet, rng, n)
            assert md.silence_ok(y)
        else:
            y, keys = stretch(groups, rng, what, n, level)
            if background:
                z, zkeys = stretch(groups, rng, background, n, level - 14.0)
                y = y + z
                keys = keys + zkeys
            y = md.fade(y, 5)
        audio.append(y)
        labels.append((pos / RATE, (pos + n) / RATE, label))
        rows.append((pos / RATE, (pos + n) / RATE, label, keys))
        pos += n
    wav = np.concatenate(audio)
    soundfile.write(os.path.join(here, "demo.wav"), wav, RATE, subtype="PCM_16")
    with open(os.path.join(here, "demo.txt"), "w") as f:
        for a, b, lab in labels:
            f.write(f"{a:.6f}\t{b:.6f}\t{lab}\n")
    with open(os.path.join(here, "DEMO-SOURCES.md"), "w") as f:
        f.write("# Sources of demo.wav\n\n"
                "Written by `make_demo.py`. Every stretch comes from a source of the test\n"
                "split of `make_dataset.py` (none was used in training). Licences are those\n"
                "named in each package's `/usr/share/doc/PACKAGE/copyright`; `generated`\n"
                "stretches are computed by the script.\n\n"
                "| start (s) | end (s) | label | package | source | licence |\n"
                "|---|---|---|---|---|---|\n")
        for a, b, lab, keys in rows:
            pk = "; ".join(sorted({by_key[k].package for k in keys if k in by_key})) or "-"
            lic = "; ".join(sorted({md.licence(by_key[k].package, k) for k in keys
                                    if k in by_key and by_key[k].package != "-"})) or "generated"
            f.write(f"| {a:.2f} | {b:.2f} | {lab} | {pk} | {'; '.join(keys)} | {lic} |\n")
    print(f"demo.wav: {len(wav) / RATE:.1f} s, {len(PLAN)} stretches")


if __name__ == "__main__":
    main()
