#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the small real clip set of the slow tests (tests/data/clips).

150 clips of 1-2 s, 16 kHz mono FLAC, five classes (speech, music,
percussion, environment, silence): 20 per class for training, 10 per class
for testing, split by source exactly as models/audio-tagger/make_dataset.py
splits its sources (this script reuses its code). Writes train/, test/,
train.csv, test.csv and SOURCES.md (package, file and licence of every clip's
sources) next to itself. Seeded: the same packages give the same clips.

    /usr/bin/python3 tests/data/clips/make_clips.py
"""
import argparse
import os
import shutil
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "models", "audio-tagger"))
import make_dataset as md  # noqa: E402

COUNTS = {"train": 20, "test": 10}
LENGTHS = (1.0, 2.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=here, help="output folder (default: this folder)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args()
    md.check_packages()
    sources = [s for s in md.find_sources() if s.split in COUNTS]
    md.check_disjoint(sources)
    loaded = md.load_all(sources, args.jobs)
    by_key = {s.key: s for s in sources}
    rows = {}
    for split, count in COUNTS.items():
        folder = os.path.join(args.out, split)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        rng = md.seeded("test clips", split)
        clips, _ = md.make_clips(sources, loaded, split, count, rng, LENGTHS)
        rows[split] = md.write_clips(clips, folder, "", os.path.join(args.out, f"{split}.csv"),
                                     args.out)
    used = sorted({k for split in rows for _, _, keys in rows[split] for k in keys},
                  key=lambda k: (by_key[k].split, by_key[k].cls, k))
    with open(os.path.join(args.out, "SOURCES.md"), "w") as f:
        f.write("# Sources of the test clips\n\n"
                "Written by `make_clips.py` from Debian packages, split by source (no\n"
                "source is in both train and test). Synthetic speech names its tool and\n"
                "voice, MIDI its renderer and piece; `generated` silence is computed by the\n"
                "script. Licences are those `/usr/share/doc/PACKAGE/copyright` gives for the\n"
                "file (its most specific `Files:` stanza, else every licence it names).\n\n"
                "## Sources\n\n| source | package | licence | split | class |\n|---|---|---|---|---|\n")
        for k in used:
            s = by_key[k]
            lic = md.licence(s.package, k) if s.package != "-" else "generated"
            f.write(f"| {k} | {s.package} | {lic} | {s.split} | {s.cls} |\n")
        for split in COUNTS:
            f.write(f"\n## {split} clips\n\n| clip | class | sources |\n|---|---|---|\n")
            for path, cls, keys in rows[split]:
                f.write(f"| {path} | {cls} | {'; '.join(keys) if keys else '-'} |\n")
    total = sum(len(r) for r in rows.values())
    print(f"wrote {total} clips to {args.out}")


if __name__ == "__main__":
    main()
