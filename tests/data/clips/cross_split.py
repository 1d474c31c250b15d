#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares `lstm train --manifest` clip training with a linear baseline on several by-source splits.

The splits (no source, voice, MIDI program set or drum kit on both sides):
  committed   train.csv -> test.csv, the split of the slow test test-real-clips;
  fold1..K    K folds of the 150 committed clips: clips that share a source (a
              file, a voice, a kit, a mixed-in background) form one group, and
              whole groups are dealt to the folds, class by class;
  fresh       (with --fresh DIR) all committed clips -> clips of other sources
              (the `val` sources of models/audio-tagger/make_dataset.py, which
              the committed clips do not use; `--make-fresh DIR` writes them);
  fresh-rev   (with --fresh DIR) the fresh clips -> the committed test clips.
Every split trains `lstm train --manifest TRAIN --features fbank` with each
configuration (`--config NAME='OPTIONS'`, repeatable; default: `defaults`, no
options) and scores the held-out clips with `lstm eval --manifest` (each clip's
class is that of its mean per-frame scores). The baseline is multinomial
logistic regression on each clip's per-value fbank means and standard
deviations, fitted on the same training clips (as in test-real-clips.c).
Prints per-split accuracies and the mean and standard deviation over splits.

    /usr/bin/python3 tests/data/clips/cross_split.py --lstm build/tools/lstm \\
        [--fresh DIR] [--config defaults= --config before='--epochs 60 --patience 10']
"""
import argparse
import collections
import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
CLASSES = ("speech", "music", "percussion", "environment", "silence")


def read_sources_md(path):
    """{clip path relative to the folder: (class, [source keys])} of a SOURCES.md."""
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\| ((?:train|test)/\S+\.flac) \| (\w+) \| (.*) \|$", line)
            if m:
                out[m.group(1)] = (m.group(2), [s.strip() for s in m.group(3).split(";")])
    return out


def groups_of(clips):
    """Clips sharing a source key, directly or through others: lists of indices."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, (_, _, keys) in enumerate(clips):
        for k in keys:
            parent[find(("k", k))] = find(("c", i))
    out = collections.defaultdict(list)
    for i in range(len(clips)):
        out[find(("c", i))].append(i)
    return sorted(out.values())


def folds(clips, k, seed=0):
    """k by-source folds: whole groups, dealt so that each fold gets its share of every class."""
    rng = np.random.default_rng(seed)
    groups = groups_of(clips)
    order = rng.permutation(len(groups))
    # big groups first, each to the fold that lacks most of the group's classes
    order = sorted(order, key=lambda g: -len(groups[g]))
    count = np.zeros((k, len(CLASSES)))
    fold_of = [0] * len(clips)
    for g in order:
        need = np.zeros(len(CLASSES))
        for i in groups[g]:
            need[CLASSES.index(clips[i][1])] += 1
        f = int(np.argmin([(count[j] * need).sum() + 1e-3 * count[j].sum() for j in range(k)]))
        count[f] += need
        for i in groups[g]:
            fold_of[i] = f
    return fold_of


def write_manifest(path, clips):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for p, cls, _ in clips:
            w.writerow([p, cls])


def read_manifest(path):
    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return [(os.path.join(base, r[0]), r[1]) for r in rows if r]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


class Features:
    """fbank frames of clips through `lstm features MODEL`, cached by path."""

    def __init__(self, lstm, tmp):
        self.lstm, self.tmp, self.cache = lstm, tmp, {}

    def stats(self, model, path, dim):
        if path not in self.cache:
            out = os.path.join(self.tmp, f"f{len(self.cache)}.f32")
            run([self.lstm, "features", model, path, out])
            v = np.fromfile(out, dtype=np.float32).astype(np.float64).reshape(-1, dim)
            os.remove(out)
            self.cache[path] = np.concatenate([v.mean(0), v.std(0)])
        return self.cache[path]


def fit_linear(x, y, n_classes, lr=0.5, l2=1e-3, iters=3000):
    """Softmax regression, full-batch gradient descent (as test-real-clips.c)."""
    n, d = x.shape
    w = np.zeros((n_classes, d + 1))
    xb = np.hstack([x, np.ones((n, 1))])
    onehot = np.eye(n_classes)[y]
    for _ in range(iters):
        z = xb @ w.T
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot).T @ xb / n
        g[:, :d] += l2 * w[:, :d]
        w -= lr * g
    return w


def linear_accuracy(feats, model, dim, train, test):
    xtr = np.array([feats.stats(model, p, dim) for p, _, _ in train])
    xte = np.array([feats.stats(model, p, dim) for p, _, _ in test])
    mu, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1.0
    ytr = np.array([CLASSES.index(c) for _, c, _ in train])
    w = fit_linear((xtr - mu) / sd, ytr, len(CLASSES))
    z = np.hstack([(xte - mu) / sd, np.ones((len(test), 1))]) @ w.T
    return float(np.mean(z.argmax(1) == np.array([CLASSES.index(c) for _, c, _ in test])))


def input_size(lstm, model):
    m = re.search(r"^input\s+(\d+)", run([lstm, "info", model]), re.M)
    return int(m.group(1))


def make_fresh(out, per_class, jobs):
    """Clips of the val sources of the tagger's dataset script (none of them in the committed clips)."""
    sys.path.insert(0, os.path.join(here, "..", "..", "..", "models", "audio-tagger"))
    import make_dataset as md
    md.check_packages()
    sources = [s for s in md.find_sources() if s.split == "val"]
    loaded = md.load_all(sources, jobs)
    rng = md.seeded("fresh clips", "val")
    clips, _ = md.make_clips(sources, loaded, "val", per_class, rng, (1.0, 3.0))
    rows = md.write_clips(clips, os.path.join(out, "clips"), "", os.path.join(out, "clips.csv"),
                          out)
    with open(os.path.join(out, "sources.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "sources"])
        for p, cls, keys in rows:
            w.writerow([p, cls, ";".join(keys)])
    print(f"wrote {len(rows)} clips to {out}")


def read_fresh(folder):
    with open(os.path.join(folder, "sources.csv")) as f:
        rows = list(csv.reader(f))[1:]
    return [(os.path.join(folder, r[0]), r[1], r[2].split(";")) for r in rows if r]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lstm", required=True, help="the lstm tool")
    ap.add_argument("--config", action="append", default=[],
                    help="NAME='lstm train options' (repeatable; default: defaults='')")
    ap.add_argument("--folds", type=int, default=3, help="by-source folds of the committed clips")
    ap.add_argument("--fresh", help="folder of fresh clips (see --make-fresh)")
    ap.add_argument("--make-fresh", metavar="DIR", help="write fresh clips into DIR and exit")
    ap.add_argument("--per-class", type=int, default=30, help="--make-fresh: clips per class")
    ap.add_argument("--splits", help="only these splits (comma-separated names)")
    ap.add_argument("--jobs", type=int, default=2, help="trainings run side by side")
    ap.add_argument("--csv", help="also write the results here")
    args = ap.parse_args()
    if args.make_fresh:
        make_fresh(args.make_fresh, args.per_class, args.jobs)
        return
    lstm = os.path.abspath(args.lstm)
    configs = [c.split("=", 1) if "=" in c else (c, "") for c in args.config] or [("defaults", "")]

    src = read_sources_md(os.path.join(here, "SOURCES.md"))
    committed = {}
    for split in ("train", "test"):
        committed[split] = [(p, c, src[os.path.relpath(p, here)][1])
                            for p, c in read_manifest(os.path.join(here, f"{split}.csv"))]
    every = committed["train"] + committed["test"]
    splits = [("committed", committed["train"], committed["test"])]
    fold_of = folds(every, args.folds)
    for f in range(args.folds):
        splits.append((f"fold{f + 1}", [c for c, g in zip(every, fold_of) if g != f],
                       [c for c, g in zip(every, fold_of) if g == f]))
    if args.fresh:
        fresh = read_fresh(args.fresh)
        splits.append(("fresh", every, fresh))
        splits.append(("fresh-rev", fresh, committed["test"]))
    if args.splits:
        keep = args.splits.split(",")
        splits = [s for s in splits if s[0] in keep]
    for name, train, test in splits:
        tr = {k for _, _, keys in train for k in keys}
        assert not any(k in tr for _, _, keys in test for k in keys), name

    tmp = tempfile.mkdtemp(prefix="lstm-cross-")
    feats = Features(lstm, tmp)

    def train_eval(job):
        (name, train, test), (cname, opts) = job
        d = os.path.join(tmp, f"{name}-{cname}")
        os.makedirs(d)
        write_manifest(os.path.join(d, "train.csv"), train)
        write_manifest(os.path.join(d, "test.csv"), test)
        model = os.path.join(d, "m.safetensors")
        t0 = time.time()
        run([lstm, "train", "--manifest", os.path.join(d, "train.csv"), "--features", "fbank",
             "-q", "-o", model] + shlex.split(opts))
        t1 = time.time()
        out = run([lstm, "eval", model, "--manifest", os.path.join(d, "test.csv")])
        acc = float(re.search(r"accuracy: ([0-9.]+)", out).group(1))
        return name, cname, acc, t1 - t0, model

    jobs = [(s, c) for s in splits for c in configs]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(train_eval, jobs))
    acc = {(n, c): a for n, c, a, _, _ in results}
    secs = collections.defaultdict(list)
    for _, c, _, t, _ in results:
        secs[c].append(t)
    models = {n: m for n, _, _, _, m in results}
    for name, train, test in splits:
        dim = input_size(lstm, models[name])
        acc[(name, "linear")] = linear_accuracy(feats, models[name], dim, train, test)

    names = [c for c, _ in configs] + ["linear"]
    print("split        train  test  " + "  ".join(f"{n:>10}" for n in names))
    for name, train, test in splits:
        print(f"{name:<12} {len(train):5d} {len(test):5d}  " +
              "  ".join(f"{100 * acc[(name, n)]:9.1f}%" for n in names))
    print(f"{'mean':<24}" + "".join(
        f"  {100 * np.mean([acc[(s[0], n)] for s in splits]):9.1f}%" for n in names))
    print(f"{'std':<24}" + "".join(
        f"  {100 * np.std([acc[(s[0], n)] for s in splits]):9.1f}%" for n in names))
    print(f"{'min margin':<24}" + "".join(
        f"  {100 * min(acc[(s[0], n)] - acc[(s[0], 'linear')] for s in splits):+9.1f}%"
        for n in names))
    for c, _ in configs:
        print(f"{c}: mean training time {np.mean(secs[c]):.0f} s (wall clock)")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["split"] + names)
            for name, _, _ in splits:
                w.writerow([name] + [f"{acc[(name, n)]:.4f}" for n in names])
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
