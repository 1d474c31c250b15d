#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds the audio-tagger dataset from real recordings shipped in Debian packages.

Five classes, one label per clip:
  speech       a human voice talking (asterisk prompts in four languages,
               espeak-ng, flite and festival voices), also telephone band and
               over low background noise;
  music        tonal music (game soundtracks, MIDI rendered by timidity with
               freepats);
  percussion   drums and percussion alone (patterns assembled from the
               hydrogen-drumkits one-shots);
  environment  every other active sound (game and desktop effects);
  silence      no active source: every 50 ms window at or below -50 dBFS
               (digital zero, noise floors, hum, quiet stretches of recordings).

The split is by source: a file, a synthetic voice, a MIDI program set or a drum
kit goes wholly to train, val or test, and every clip (noise mixtures
included) is made from sources of its own split. Clips are 16 kHz mono FLAC,
written into a cache outside the repository together with train.csv, val.csv,
test.csv (`path,label`, the rows `lstm train --manifest` reads) and
sources.csv (source, package, licence, split, class). Everything is seeded.

    /usr/bin/python3 models/audio-tagger/make_dataset.py [--out DIR] [--clips N]

The script installs nothing: it lists the Debian packages it needs and prints
the `apt-get install` line for the missing ones.
"""
import argparse
import csv
import dataclasses
import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import soundfile

RATE = 16000
CLASSES = ("speech", "music", "percussion", "environment", "silence")
SPLITS = ("train", "val", "test")
SILENCE_DBFS = -50.0
SEED = 20260

# Reserved data: never read, whatever is installed. Checked against every
# package a source comes from.
RESERVED_PACKAGES = (
    "ktuberling-data", "codec2-examples", "pocketsphinx-testdata", "minetest-data",
    "extremetuxracer-data", "openttd-openmsx", "lmms-common", "asterisk-moh-opsound-wav",
    "asterisk-core-sounds-en-wav", "tuxpaint-*", "sonic-pi-samples",
    "fluid-soundfont-gm", "timgm6mb-soundfont", "supersonic-scsynth-samples",
)
# timidity reads its system configuration before ours, which may name these
# soundfonts: MIDI is rendered only where they are absent.
TIMIDITY_FORBIDDEN = ("fluid-soundfont-gm", "timgm6mb-soundfont")

PACKAGES = {
    "python3-numpy": "numpy", "python3-soundfile": "soundfile", "sox": "sox",
    "asterisk-core-sounds-fr-wav": "speech", "asterisk-core-sounds-es-wav": "speech",
    "asterisk-core-sounds-it-wav": "speech", "asterisk-core-sounds-ru-wav": "speech",
    "espeak-ng": "speech", "flite": "speech", "festival": "speech",
    "festvox-kallpc16k": "speech", "festvox-us-slt-hts": "speech",
    "timidity": "music", "freepats": "music", "colobot-common-sounds": "music, environment",
    "drascula-music": "music", "frozen-bubble-data": "music, environment",
    "fb-music-high": "music", "chromium-bsu-data": "music, environment",
    "hydrogen-drumkits": "percussion", "sound-theme-freedesktop": "environment",
    "pingus-data": "environment", "lincity-ng-data": "music, environment",
    "btanks-data": "music, environment", "lbreakout2-data": "environment",
    "alienblaster-data": "environment", "pinball-data": "music, environment",
    "fluidsynth": "music, percussion", "musescore-general-soundfont-small": "music, percussion",
    "wesnoth-1.16-music": "music", "wesnoth-1.16-data": "environment",
    "supertux-data": "music, environment", "hedgewars-data": "music, environment",
    "flare-game": "music, environment",
}

AUDIO_EXT = (".wav", ".ogg", ".oga", ".flac", ".aiff", ".aif")

WORDS = ("the of and to in is you that it was for on are as with they at be this have "
         "from or one had by word but not what all were we when your can said there use "
         "each which she do how their if will up other about out many then them these so "
         "some her would make like him into time has look two more write go see number "
         "no way could people my than first water been call who now find long down day "
         "did get come made may part over new sound take only little work know place "
         "year live me back give most very after thing our just name good sentence man "
         "think say great where help through much before line right too mean old any same "
         "tell boy follow came want show also around form three small set put end does "
         "another well large must big even such because turn here why ask went men read "
         "need land different home us move try kind hand picture again change off play "
         "spell air away animal house point page letter mother answer found study still "
         "learn should world river morning window garden station market winter").split()

ESPEAK_VOICES = {
    "train": ["en-us", "en-gb", "en-gb-scotland", "de", "fr-fr", "es", "it", "nl", "pl",
              "pt", "sv", "cs", "fi", "el", "hu", "ro", "tr", "id", "vi", "af", "sw", "hi"],
    "val": ["da", "sk", "lv"],
    "test": ["ca", "hr", "pt-br", "en-029"],
}
ESPEAK_VARIANTS = ["", "+m1", "+m3", "+m7", "+f1", "+f2", "+f4", "+klatt", "+croak", "+whisper"]
FLITE_VOICES = {"train": ["kal", "awb", "rms"], "val": ["kal16"], "test": ["slt"]}
FESTIVAL_VOICES = {"train": ["kal_diphone"], "test": ["cmu_us_slt_arctic_hts"]}
ASTERISK_SPLIT = {"fr": "train", "es": "train", "it": "val", "ru": "test"}
# MIDI pieces rendered per split; each split has its own freepats programs
MIDI_PIECES = {"train": 28, "val": 5, "test": 10}
# the same for the MuseScore General soundfont (rendered by fluidsynth)
SF_PIECES = {"train": 40, "val": 8, "test": 12}
# its drum kits (bank 128 presets) by family: a family goes wholly to one
# split; left out: the orchestra kit (timpani), the metronome, the marching
# kits (one instrument each)
SF_KITS = {"standard": list(range(0, 8)), "room": list(range(8, 16)),
           "power": list(range(16, 20)), "electronic": [24], "tr-808": [25],
           "jazz": list(range(32, 37)), "brush": [40, 41, 42]}
SF_KIT_PIECES = 8
# General MIDI percussion notes used by the drum pieces (35-81 without the
# two whistles, 71 and 72, the only tonal ones)
GM_KICKS, GM_SNARES, GM_HATS = (35, 36), (37, 38, 39, 40), (42, 44, 46)
GM_TOMS, GM_CYMBALS = (41, 43, 45, 47, 48, 50), (49, 51, 52, 53, 55, 57, 59)
GM_HAND = (54, 56, 58, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 73, 74, 75, 76, 77, 78, 79,
           80, 81)
KIT_EXCLUDE = re.compile(r"zap|fx|whistle|synth|vox|voice|chord|pad", re.I)


@dataclasses.dataclass
class Source:
    key: str          # a file path, or "tool:voice" for synthesised speech
    package: str
    cls: str
    group: str        # clips are drawn evenly over the groups of a class
    split: str
    kind: str         # file, espeak, flite, festival, midi, kit, generated
    arg: object = None


# ------------------------------------------------------------------ packages

def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip().endswith("installed") \
        and "not-installed" not in r.stdout


def is_reserved(pkg):
    return any(pkg == r or (r.endswith("*") and pkg.startswith(r[:-1]))
               for r in RESERVED_PACKAGES)


def check_packages():
    """Every needed package installed, none reserved; exits with the apt line otherwise."""
    bad = [p for p in PACKAGES if is_reserved(p)]
    if bad:
        sys.exit(f"make_dataset.py: reserved packages in the source list: {bad}")
    missing = [p for p in PACKAGES if not installed(p)]
    if missing:
        sys.exit("make_dataset.py: missing Debian packages; install them with\n"
                 f"  apt-get install -y --no-install-recommends {' '.join(missing)}")
    forbidden = [p for p in TIMIDITY_FORBIDDEN if installed(p)]
    if forbidden:
        sys.exit("make_dataset.py: timidity's system configuration would load the "
                 f"reserved soundfont(s) {forbidden}; remove them (apt-get remove) to render MIDI")


def package_files(pkg):
    r = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True, check=True)
    return sorted(p for p in r.stdout.splitlines()
                  if p.lower().endswith(AUDIO_EXT) and os.path.isfile(p))


_licences = {}


def _copyright(pkg):
    if pkg not in _licences:
        path = f"/usr/share/doc/{pkg}/copyright"
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        stanzas = []
        for para in re.split(r"\n\s*\n", text):
            files = re.search(r"^Files:(.*(?:\n[ \t].*)*)", para, re.M)
            lic = re.search(r"^License:[ \t]*(\S[^\n]*)$", para, re.M)
            if files and lic:
                stanzas.append((files.group(1).split(), lic.group(1).strip()))
        names = []
        for m in re.finditer(r"^License:[ \t]*(\S[^\n]*)$", text, re.M):
            if m.group(1).strip() not in names:
                names.append(m.group(1).strip())
        if not names:
            for m in re.finditer(r"common-licenses/([A-Za-z0-9.+-]+[A-Za-z0-9+])", text):
                if m.group(1) not in names:
                    names.append(m.group(1))
        union = " / ".join(names) if names else f"see {path}"
        _licences[pkg] = (stanzas, union)
    return _licences[pkg]


def licence(pkg, path=None):
    """The licence /usr/share/doc/PKG/copyright gives for `path` (machine-readable
    copyright files: the most specific Files: stanza matching it), else every
    licence the file names, joined."""
    stanzas, union = _copyright(pkg)
    if path is None or not stanzas:
        return union
    tokens = pkg.split("-")
    best, best_len, default = None, -1, None
    for patterns, lic in stanzas:
        for p in patterns:
            if p == "*":
                default = default or lic
                continue
            if p.startswith("debian/"):
                continue
            stem = re.sub(r"\.h2drumkit$", "", p)
            hit = (fnmatch.fnmatch(path, "*/" + p) or fnmatch.fnmatch(path, "*/" + stem)
                   or fnmatch.fnmatch(path, "*/" + stem.rstrip("*").rstrip("/") + "/*")
                   or any(fnmatch.fnmatch(t + "-x", p) for t in tokens)
                   or os.path.basename(path).split(" ")[0] == os.path.basename(stem))
            if hit and len(p) > best_len:
                best, best_len = lic, len(p)
    return best or default or union


# ------------------------------------------------------------------ audio helpers

def upsample2(x):
    """8 kHz -> 16 kHz by the ideal (band-limited) interpolation."""
    n = len(x)
    spec = np.fft.rfft(x.astype(np.float64))
    wide = np.zeros(n + 1, dtype=np.complex128)
    wide[:len(spec)] = spec
    if n % 2 == 0:
        wide[n // 2] *= 0.5  # the Nyquist bin of the input splits in two
    return (np.fft.irfft(wide, 2 * n) * 2).astype(np.float32)


def decode(path, start=0.0, seconds=None):
    """Any file sox reads -> float32 mono at RATE (8 and 16 kHz WAV read directly)."""
    if path.lower().endswith(".wav") and not start and not seconds:
        try:
            info = soundfile.info(path)
        except RuntimeError:
            info = None
        if info is not None and info.samplerate in (RATE // 2, RATE) and info.frames > 0:
            x, _ = soundfile.read(path, dtype="float32", always_2d=True)
            x = x.mean(axis=1)
            return upsample2(x) if info.samplerate == RATE // 2 else x.copy()
    cmd = ["sox", "-V1"]
    if path.lower().endswith(".oga"):
        cmd += ["-t", "ogg"]
    cmd += [path, "-t", "f32", "-c", "1", "-r", str(RATE), "-"]
    if start or seconds:
        cmd += ["trim", f"{start:.3f}"] + ([f"{seconds:.3f}"] if seconds else [])
    r = subprocess.run(cmd, capture_output=True, check=True)
    return np.frombuffer(r.stdout, dtype=np.float32).copy()


def duration(path):
    r = subprocess.run(["soxi", "-D", path], capture_output=True, text=True)
    try:
        return float(r.stdout.strip())
    except ValueError:
        return 0.0


def frame_db(x, win=400, hop=160):
    """RMS in dBFS of 25 ms windows every 10 ms."""
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    n = 1 + (len(x) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    e = np.mean(x[idx].astype(np.float64) ** 2, axis=1)
    return 10 * np.log10(e + 1e-20)


def rms_db(x):
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)


def max_window_db(x):
    """Loudest 50 ms window (hop 25 ms), dBFS."""
    return float(frame_db(x, 800, 400).max())


def longest_run(mask):
    best = cur = 0
    for v in mask:
        cur = cur + 1 if v else 0
        best = max(best, cur)
    return best


def active_ok(x):
    """An active clip: most frames above -50 dBFS, no quiet run of 0.4 s or more."""
    if np.abs(x).max() > 0.999:
        return False
    db = frame_db(x)
    quiet = db <= SILENCE_DBFS
    return quiet.mean() <= 0.3 and longest_run(quiet) < 40


def silence_ok(x):
    return max_window_db(x) <= SILENCE_DBFS - 1.0


def regions(x, min_gap=0.3, min_len=0.2, min_quiet=0.15):
    """Split a recording at its quiet runs: (active pieces, quiet pieces).

    Quiet frames are 35 dB below the recording's loud frames (or below -70
    dBFS); a quiet run of `min_gap` seconds ends an active piece, and every
    quiet run of `min_quiet` seconds or more is kept (room tone, noise floor)
    for the silence class.
    """
    db = frame_db(x)
    if len(db) == 0:
        return [], []
    thr = max(np.percentile(db, 95) - 35.0, -70.0)
    quiet = db < thr
    active, silent = [], []
    start, k, n = None, 0, len(db)
    gap = int(min_gap * 100)
    while k < n:
        if not quiet[k]:
            if start is None:
                start = k
            k += 1
            continue
        j = k
        while j < n and quiet[j]:
            j += 1
        if j - k >= gap or j == n:
            if start is not None and (k - start) >= min_len * 100:
                active.append(x[start * 160:k * 160 + 240])
            start = None
        if j - k >= min_quiet * 100:
            silent.append(x[k * 160 + 240:j * 160])
        k = j
    if start is not None and (n - start) >= min_len * 100:
        active.append(x[start * 160:])
    return active, silent


def quiet_fill(quiet, rng, n):
    """n samples of quiet stretches (room tone, noise floors) joined end to end."""
    pieces, keys = [], []
    while sum(len(p) for p in pieces) < n:
        q, key = quiet[int(rng.integers(0, len(quiet)))]
        pieces.append(fade(q, 5))
        if key not in keys:
            keys.append(key)
    return np.concatenate(pieces)[:n].astype(np.float32), keys


def band_limit(x, cutoff=4000.0, low=0.0):
    """Round trip through 8 kHz: everything above `cutoff` removed (ideal resampler)."""
    spec = np.fft.rfft(x.astype(np.float64))
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)
    spec[(f >= cutoff) | (f < low)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def fade(x, ms=10):
    k = min(len(x) // 2, int(RATE * ms / 1000))
    if k > 0:
        r = np.linspace(0, 1, k, dtype=np.float32)
        x = x.copy()
        x[:k] *= r
        x[-k:] *= r[::-1]
    return x


def seeded(*parts):
    h = hashlib.sha256(("/".join(str(p) for p in parts)).encode()).digest()
    return np.random.default_rng([SEED, int.from_bytes(h[:8], "little")])


# ------------------------------------------------------------------ synthesis

def sentence(rng, lang_digits=False):
    words = list(rng.choice(WORDS, size=int(rng.integers(6, 14))))
    if lang_digits or rng.random() < 0.3:
        words.insert(int(rng.integers(0, len(words))), str(int(rng.integers(2, 99999))))
    return " ".join(words)


def synth(src, n_sentences):
    """Sentences of one synthetic voice, decoded to RATE."""
    rng = seeded("synth", src.key)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "s.wav")
        for i in range(n_sentences):
            text = sentence(rng, src.kind == "espeak")
            if src.kind == "espeak":
                voice = src.arg + str(rng.choice(ESPEAK_VARIANTS))
                cmd = ["espeak-ng", "-v", voice, "-s", str(int(rng.integers(110, 220))),
                       "-p", str(int(rng.integers(15, 85))), "-w", wav, text]
            elif src.kind == "flite":
                cmd = ["flite", "-voice", src.arg, "--setf",
                       f"duration_stretch={rng.uniform(0.8, 1.3):.2f}", "--setf",
                       f"int_f0_target_mean={rng.uniform(80, 200):.0f}", "-t", text, "-o", wav]
            else:
                txt = os.path.join(tmp, "s.txt")
                with open(txt, "w") as f:
                    f.write(text + ".\n")
                cmd = ["text2wave", "-eval", f"(voice_{src.arg})", "-o", wav, txt]
            subprocess.run(cmd, check=True, capture_output=True)
            out.append(decode(wav))
    return out


def midi_bytes(rng, programs, drums, kit=None):
    """A type-0 MIDI file: melody, chords and bass, optional drums on channel 10
    (drum kit `kit`, a program of bank 128, when given)."""
    tpq = 480
    tempo = int(rng.integers(70, 160))
    events = []  # (tick, bytes)
    if drums and kit is not None:
        events.append((0, bytes([0xC9, kit])))
    key = int(rng.integers(45, 58))
    scale = [0, 2, 4, 5, 7, 9, 11] if rng.random() < 0.6 else [0, 2, 3, 5, 7, 8, 10]
    bars = int(rng.integers(8, 12))
    prog_mel, prog_chord, prog_bass = programs
    for ch, p in ((0, prog_mel), (1, prog_chord), (2, prog_bass)):
        events.append((0, bytes([0xC0 | ch, p])))
        events.append((0, bytes([0xB0 | ch, 7, int(rng.integers(80, 120))])))
    degrees = [0, 3, 4, 5, 0, 5, 3, 4]
    pos = 0
    for bar in range(bars):
        r = degrees[(bar + int(rng.integers(0, 2))) % len(degrees)]
        root = scale[r]
        chord = [key + 12 + scale[(r + k) % 7] + 12 * ((r + k) // 7) for k in (0, 2, 4)]
        length = 4 * tpq
        for n in chord:
            events.append((pos, bytes([0x91, n, int(rng.integers(50, 80))])))
            events.append((pos + length - 10, bytes([0x81, n, 0])))
        bass = key - 12 + root
        for b in range(0, length, tpq * 2):
            events.append((pos + b, bytes([0x92, bass, 90])))
            events.append((pos + b + tpq * 2 - 20, bytes([0x82, bass, 0])))
        t = 0
        while t < length:
            d = int(rng.choice([tpq // 2, tpq // 2, tpq, tpq, tpq * 2 // 3, tpq // 4 * 3]))
            d = min(d, length - t)
            if rng.random() < 0.88:
                n = key + 24 + scale[int(rng.integers(0, 7))] + 12 * int(rng.integers(0, 2))
                events.append((pos + t, bytes([0x90, n, int(rng.integers(70, 120))])))
                events.append((pos + t + d - 10, bytes([0x80, n, 0])))
            t += d
        if drums:
            for s in range(16):
                tick = pos + s * tpq // 4
                for note, prob in ((36, 0.9 if s % 4 == 0 else 0.1), (38, 0.9 if s % 8 == 4 else 0.05),
                                   (42, 0.8 if s % 2 == 0 else 0.3)):
                    if rng.random() < prob:
                        events.append((tick, bytes([0x99, note, int(rng.integers(60, 110))])))
                        events.append((tick + tpq // 8, bytes([0x89, note, 0])))
        pos += length
    return midi_file(events, tempo, tpq)


def midi_file(events, tempo, tpq):
    """Type-0 MIDI file bytes of (tick, message) events."""
    events.sort(key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))
    track = bytearray(b"\x00\xff\x51\x03" + int(60_000_000 / tempo).to_bytes(3, "big"))
    last = 0
    for tick, data in events:
        delta = tick - last
        last = tick
        var = [delta & 0x7F]
        delta >>= 7
        while delta:
            var.insert(0, (delta & 0x7F) | 0x80)
            delta >>= 7
        track += bytes(var) + data
    track += b"\x00\xff\x2f\x00"
    return (b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
            + tpq.to_bytes(2, "big") + b"MTrk" + len(track).to_bytes(4, "big") + bytes(track))


def render_timidity(midi):
    """A MIDI file (bytes) rendered by timidity with freepats, mono at RATE."""
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = os.path.join(tmp, "m.mid"), os.path.join(tmp, "m.wav")
        with open(mid, "wb") as f:
            f.write(midi)
        subprocess.run(["timidity", "-c", "/etc/timidity/freepats.cfg", "-Ow", "-s", str(RATE),
                        "--output-mono", "-o", wav, mid], check=True, capture_output=True)
        return decode(wav)


def render_midi(src):
    rng = seeded("midi", src.key)
    progs = [int(rng.choice(src.arg)) for _ in range(3)]
    return [render_timidity(midi_bytes(rng, progs, rng.random() < 0.35))]


def drum_midi_bytes(rng, kit=None):
    """A type-0 MIDI file of drums and percussion alone on channel 10: a
    groove (kick, snare, hi-hat or ride, tom fills, crashes), a hand
    percussion pattern, or free one-shots; kit: a bank 128 program or None."""
    tpq = 480
    tempo = int(rng.integers(60, 190))
    step = tpq // 4
    events = [(0, bytes([0xC9, kit]))] if kit is not None else []
    events.append((0, bytes([0xB9, 7, int(rng.integers(90, 127))])))

    def hit(tick, note, lo=50, hi=120):
        tick = max(0, tick + int(rng.integers(-8, 9)))
        events.append((tick, bytes([0x99, note, int(rng.integers(lo, hi))])))
        events.append((tick + tpq // 8, bytes([0x89, note, 0])))

    bars = int(rng.integers(6, 10))
    style = rng.choice(["groove", "groove", "hand", "free"])
    if style == "free":
        notes = rng.choice(GM_KICKS + GM_SNARES + GM_TOMS + GM_CYMBALS + GM_HAND,
                           size=int(rng.integers(3, 8)), replace=False)
        t, end = 0, bars * 4 * tpq
        while t < end:
            hit(t, int(rng.choice(notes)))
            t += int(rng.uniform(0.15, 1.2) * tpq)
        return midi_file(events, tempo, tpq)
    if style == "hand":
        voices = [int(n) for n in rng.choice(GM_HAND, size=int(rng.integers(2, 5)),
                                             replace=False)]
    else:
        voices = [int(rng.choice(GM_KICKS)), int(rng.choice(GM_SNARES[1:])),
                  int(rng.choice(GM_HATS[:2] + (51, 59)))]
        if rng.random() < 0.4:
            voices.append(int(rng.choice(GM_HAND)))
    grid = []
    for k, note in enumerate(voices):
        if style == "groove" and k == 0:
            g = [s % 4 == 0 or rng.random() < 0.15 for s in range(16)]
        elif style == "groove" and k == 1:
            g = [s % 8 == 4 or rng.random() < 0.06 for s in range(16)]
        elif style == "groove" and k == 2:
            every = int(rng.choice([1, 2, 2, 4]))
            g = [s % every == 0 for s in range(16)]
        else:
            g = [rng.random() < rng.uniform(0.2, 0.7) for _ in range(16)]
        grid.append(g)
    for bar in range(bars):
        pos = bar * 16 * step
        fill = style == "groove" and bar % 4 == 3 and rng.random() < 0.6
        for s in range(16):
            if fill and s >= 8:
                if rng.random() < 0.7:
                    hit(pos + s * step, int(rng.choice(GM_TOMS + GM_SNARES[1:2])), 70, 125)
                continue
            for note, g in zip(voices, grid):
                if g[s] and rng.random() < 0.95:
                    hit(pos + s * step, note)
        if style == "groove" and (bar % 4 == 0) and rng.random() < 0.7:
            hit(pos, int(rng.choice(GM_CYMBALS)), 80, 125)
    return midi_file(events, tempo, tpq)


def soundfont():
    """The MuseScore General soundfont file."""
    return [f for f in subprocess.run(["dpkg", "-L", "musescore-general-soundfont-small"],
                                      capture_output=True, text=True, check=True)
            .stdout.splitlines() if f.endswith(".sf3")][0]


def render_fluidsynth(midis):
    """MIDI files (bytes) rendered one after the other by fluidsynth with the
    MuseScore General soundfont, mono at RATE."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, m in enumerate(midis):
            paths.append(os.path.join(tmp, f"m{i}.mid"))
            with open(paths[-1], "wb") as f:
                f.write(m)
        wav = os.path.join(tmp, "m.wav")
        subprocess.run(["fluidsynth", "-ni", "-q", "-o", "synth.dynamic-sample-loading=1",
                        "-o", "synth.cpu-cores=1", "-r", str(RATE), "-g", "0.5", "-F", wav,
                        soundfont()] + paths, check=True, capture_output=True)
        return decode(wav)


def render_sf(src):
    """One source of the soundfont: a melodic piece (sfmidi) or a kit family's
    drum pieces (sfkit)."""
    rng = seeded("sf", src.key)
    if src.kind == "sfmidi":
        progs, kits = src.arg
        drums = rng.random() < 0.35
        return render_fluidsynth([midi_bytes(rng, [int(rng.choice(progs)) for _ in range(3)],
                                             drums, int(rng.choice(kits)))])
    return render_fluidsynth([drum_midi_bytes(rng, int(rng.choice(src.arg)))
                              for _ in range(SF_KIT_PIECES)])


def render_freepats_drums(src):
    """Drum pieces rendered by timidity with freepats' drum set."""
    rng = seeded("freepats drums", src.key)
    return [render_timidity(drum_midi_bytes(rng)) for _ in range(SF_KIT_PIECES)]


def kit_samples(kit_dir):
    files = sorted(os.path.join(kit_dir, f) for f in os.listdir(kit_dir)
                   if f.lower().endswith(AUDIO_EXT) and not KIT_EXCLUDE.search(f))
    out = []
    for f in files:
        x = decode(f, 0.0, 1.2)
        if len(x) > RATE // 50 and np.abs(x).max() > 1e-3:
            env = np.ones(len(x), np.float32)
            k = min(len(x), RATE // 5)
            env[-k:] = np.linspace(1, 0, k)
            out.append(x * env / np.abs(x).max())
    return out


def drum_patterns(src, n_patterns=10, seconds=8.0):
    """Patterns and free one-shot sequences from one kit's samples."""
    rng = seeded("kit", src.key)
    samples = kit_samples(src.arg)
    out = []
    for _ in range(n_patterns):
        n = int(seconds * RATE)
        y = np.zeros(n + RATE * 2, np.float32)
        chosen = rng.choice(len(samples), size=min(len(samples), int(rng.integers(3, 7))), replace=False)
        if rng.random() < 0.7:
            step = 60.0 / rng.uniform(70, 180) / 4
            probs = [rng.uniform(0.15, 0.8) for _ in chosen]
            grid = [[rng.random() < p for _ in range(16)] for p in probs]
            t, s = 0.0, 0
            while t < seconds:
                for c, g in zip(chosen, grid):
                    if g[s % 16] and (rng.random() < 0.93):
                        a = int(t * RATE)
                        smp = samples[c] * rng.uniform(0.35, 1.0)
                        y[a:a + len(smp)] += smp
                t += step
                s += 1
        else:
            t = 0.0
            while t < seconds:
                a = int(t * RATE)
                smp = samples[int(rng.choice(chosen))] * rng.uniform(0.35, 1.0)
                y[a:a + len(smp)] += smp
                t += rng.uniform(0.08, 0.35)
        y = y[:n]
        out.append(y / (np.abs(y).max() + 1e-9) * 0.9)
    return out


# ------------------------------------------------------------------ sources

def stratified(keys, name, fractions=(0.7, 0.1, 0.2)):
    """Whole keys to splits, deterministic; a test share for every group of 2 or more."""
    keys = sorted(keys)
    rng = seeded("split", name)
    order = [keys[i] for i in rng.permutation(len(keys))]
    n = len(order)
    n_test = 0 if n < 2 else max(1, int(round(fractions[2] * n)))
    n_val = 0 if n < 4 else max(1, int(round(fractions[1] * n)))
    split = {}
    for i, k in enumerate(order):
        split[k] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return split


def asterisk_sources():
    out = []
    for lang, split in ASTERISK_SPLIT.items():
        pkg = f"asterisk-core-sounds-{lang}-wav"
        for f in package_files(pkg):
            if "/silence/" in f:
                continue
            out.append(Source(f, pkg, "speech", f"asterisk-{lang}", split, "file"))
    return out


def file_group(pkg, files, cls, group):
    split = stratified(files, group)
    return [Source(f, pkg, cls, group, split[f], "file") for f in files]


def find_sources():
    src = asterisk_sources()
    for split, voices in ESPEAK_VOICES.items():
        src += [Source(f"espeak-ng:{v}", "espeak-ng", "speech", "espeak-ng", split, "espeak", v)
                for v in voices]
    for split, voices in FLITE_VOICES.items():
        src += [Source(f"flite:{v}", "flite", "speech", "flite", split, "flite", v) for v in voices]
    for split, voices in FESTIVAL_VOICES.items():
        pkg = "festvox-kallpc16k" if voices[0].startswith("kal") else "festvox-us-slt-hts"
        src += [Source(f"festival:{v}", pkg, "speech", "festival", split, "festival", v)
                for v in voices]
    # music
    colobot = package_files("colobot-common-sounds")
    src += file_group("colobot-common-sounds", [f for f in colobot if "/music/" in f],
                      "music", "colobot music")
    src += file_group("drascula-music",
                      [f for f in package_files("drascula-music") if "/drascula/audio/" in f],
                      "music", "drascula music")
    fb = package_files("frozen-bubble-data")
    fb_music = [f for f in fb if "zik" in os.path.basename(f)]
    fb_high = [f for f in package_files("fb-music-high") if "zik" in os.path.basename(f)]
    src += file_group("frozen-bubble-data", fb_music, "music", "frozen-bubble music")
    for f in fb_high:
        src.append(Source(f, "fb-music-high", "music", "frozen-bubble music", "train", "file"))
    bsu = package_files("chromium-bsu-data")
    src += file_group("chromium-bsu-data", [f for f in bsu if "music" in os.path.basename(f)],
                      "music", "chromium-bsu music")
    bt = package_files("btanks-data")
    src += file_group("btanks-data", [f for f in bt if "/tunes/" in f], "music", "btanks music")
    lc = package_files("lincity-ng-data")
    src += file_group("lincity-ng-data", [f for f in lc if "/music/" in f], "music",
                      "lincity-ng music")
    pb = package_files("pinball-data")
    src += file_group("pinball-data", [f for f in pb if f.endswith(".ogg")], "music",
                      "pinball music")
    programs = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+Tone_000/",
                                                       open("/etc/timidity/freepats.cfg").read(), re.M)]
    # pitched instruments only: no sound effects (120-127), no unpitched woodblocks
    programs = sorted(p for p in programs if p < 112 or p == 114)
    prog_split = stratified([str(p) for p in programs], "freepats programs")
    for split, n in MIDI_PIECES.items():
        progs = [p for p in programs if prog_split[str(p)] == split]
        src += [Source(f"timidity+freepats:{split}:{i:02d}", "freepats", "music",
                       "freepats midi", split, "midi", progs) for i in range(n)]
    # the MuseScore General soundfont: its melodic programs split like
    # freepats', its drum kit families each wholly in one split
    kit_split = stratified(list(SF_KITS), "musescore kits")
    split_kits = {sp: [k for f, ks in SF_KITS.items() if kit_split[f] == sp for k in ks]
                  for sp in SPLITS}
    sf_progs = [p for p in range(128) if p < 112 or p == 114]
    sf_prog_split = stratified([str(p) for p in sf_progs], "musescore programs")
    for split, n in SF_PIECES.items():
        progs = [p for p in sf_progs if sf_prog_split[str(p)] == split]
        src += [Source(f"fluidsynth+musescore:{split}:{i:02d}", "musescore-general-soundfont-small",
                       "music", "musescore midi", split, "sfmidi", (progs, split_kits[split]))
                for i in range(n)]
    src += [Source(f"fluidsynth+musescore:kit:{f}", "musescore-general-soundfont-small",
                   "percussion", "musescore drums", kit_split[f], "sfkit", ks)
            for f, ks in SF_KITS.items()]
    src.append(Source("timidity+freepats:drums", "freepats", "percussion", "freepats drums",
                      "train", "fpdrums"))
    # more soundtracks
    src += file_group("wesnoth-1.16-music",
                      [f for f in package_files("wesnoth-1.16-music")
                       if "/music/" in f and "silence" not in os.path.basename(f)],
                      "music", "wesnoth music")
    stx = package_files("supertux-data")
    src += file_group("supertux-data", [f for f in stx if "/music/" in f], "music",
                      "supertux music")
    hw = package_files("hedgewars-data")
    src += file_group("hedgewars-data", [f for f in hw if "/Music/" in f], "music",
                      "hedgewars music")
    fl = package_files("flare-game")
    src += file_group("flare-game", [f for f in fl if "/music/" in f and "ambient" not in f],
                      "music", "flare music")
    # percussion
    root = "/usr/share/hydrogen/data/drumkits"
    kits = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    kit_split = stratified(kits, "hydrogen kits")
    src += [Source(os.path.join(root, k), "hydrogen-drumkits", "percussion", "hydrogen",
                   kit_split[k], "kit", os.path.join(root, k)) for k in kits]
    # environment
    src += file_group("colobot-common-sounds", [f for f in colobot if "/sounds/" in f],
                      "environment", "colobot sounds")
    src += file_group("frozen-bubble-data",
                      [f for f in fb if "zik" not in os.path.basename(f) and "noh" not in f],
                      "environment", "frozen-bubble sounds")
    src += file_group("chromium-bsu-data", [f for f in bsu if "music" not in os.path.basename(f)],
                      "environment", "chromium-bsu sounds")
    src += file_group("sound-theme-freedesktop",
                      [f for f in package_files("sound-theme-freedesktop")
                       if "audio-channel" not in f], "environment", "freedesktop sounds")
    src += file_group("pingus-data",
                      [f for f in package_files("pingus-data") if "/sounds/" in f
                       and not re.search(r"letsgo|ohno|yipee|goodidea", f)],
                      "environment", "pingus sounds")
    src += file_group("lincity-ng-data",
                      [f for f in lc if "/sounds/" in f and not re.search(r"School|University", f)],
                      "environment", "lincity-ng sounds")
    src += file_group("btanks-data",
                      [f for f in bt if "/sounds/" in f
                       and not re.search(r"deadman|laugh|scream", os.path.basename(f))],
                      "environment", "btanks sounds")
    src += file_group("lbreakout2-data",
                      [f for f in package_files("lbreakout2-data") if "/sounds/" in f
                       and not re.search(r"dammit|damn|excellent|verygood|wontgiveup", f)],
                      "environment", "lbreakout2 sounds")
    src += file_group("alienblaster-data",
                      [f for f in package_files("alienblaster-data") if "intro" not in f],
                      "environment", "alienblaster sounds")
    src += file_group("pinball-data", [f for f in pb if f.endswith(".wav")], "environment",
                      "pinball sounds")
    # human voices (cries, words), jingles, musical notes and drums left out
    src += file_group("wesnoth-1.16-data",
                      [f for f in package_files("wesnoth-1.16-data")
                       if "/sounds/" in f and "/horn-signals/" not in f and not re.search(
                           r"human|dwarf|elf-|orc-|goblin|troll|ogre|lich|naga|mermaid|mermen|"
                           r"groan|ugg|wail|laugh|fanfare|wardrums|World_Conquest",
                           f.split("/sounds/")[-1])],
                      "environment", "wesnoth sounds")
    src += file_group("supertux-data",
                      [f for f in stx if "/sounds/" in f and not re.search(
                          r"excellent|welldone|grunts|gna|hurt|tada|lifeup|savebell|invincible"
                          r"|upgrade|yeti_roar", os.path.basename(f))],
                      "environment", "supertux sounds")
    src += file_group("hedgewars-data",
                      [f for f in hw if "/Sounds/" in f and "/voices/" not in f
                       and not re.search(r"^\d[A-G]\.|Yoohoo|Kiss|hogchant|hell_|Hellish|valkyries"
                                         r"|countdown|custom|Whistle|suddendeath|BirdyLay"
                                         r"|extratime|homerun", os.path.basename(f))],
                      "environment", "hedgewars sounds")
    src += file_group("flare-game",
                      [f for f in fl if "/soundfx/" in f and "/npcs/" not in f
                       and not re.search(r"male_|warcry|level_up|_ment", os.path.basename(f))]
                      + [f for f in fl if "wind_ambient" in f],
                      "environment", "flare sounds")
    # silence: generated floors per split (the recordings' quiet stretches join them)
    for split in SPLITS:
        for kind in ("zero", "noise", "hum"):
            src.append(Source(f"generated:{kind}:{split}", "-", "silence", kind, split,
                              "generated", kind))
    for s in src:
        if s.package != "-" and is_reserved(s.package):
            raise RuntimeError(f"reserved package {s.package} in the sources")
    return src


def load(src):
    """(active pieces, quiet pieces) of one source."""
    if src.kind == "file":
        start, secs = 0.0, None
        if src.cls == "music":
            d = duration(src.key)
            secs = 75.0
            start = min(5.0, d * 0.05) if d > 0 else 0.0
        x = decode(src.key, start, secs)
        return regions(x)
    if src.kind in ("espeak", "flite", "festival"):
        n = {"espeak": 10, "flite": 12, "festival": 10}[src.kind]
        pieces, quiet = [], []
        for x in synth(src, n):
            a, q = regions(x)
            pieces += a
            quiet += q
        return pieces, quiet
    if src.kind == "midi":
        return regions(render_midi(src)[0])
    if src.kind in ("sfmidi", "sfkit"):
        return regions(render_sf(src))
    if src.kind == "fpdrums":
        pieces = []
        for x in render_freepats_drums(src):
            pieces += regions(x)[0]
        return pieces, []
    if src.kind == "kit":
        pieces = []
        for x in drum_patterns(src):
            pieces += regions(x)[0]
        return pieces, []
    return [], []


def load_all(sources, jobs):
    todo = [s for s in sources if s.kind != "generated"]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(load, todo, chunksize=4))
    return {s.key: r for s, r in zip(todo, results)}


def streams(sources, loaded, cls, split):
    """Per group, the concatenation of its sources' active pieces (short gaps between)."""
    out = {}
    for s in sources:
        if s.cls != cls or s.split != split or s.key not in loaded:
            continue
        out.setdefault(s.group, []).extend((p, s.key) for p in loaded[s.key][0])
    result = {}
    for group, pieces in sorted(out.items()):
        rng = seeded("stream", cls, split, group)
        order = rng.permutation(len(pieces))
        parts, keys, owners = [], [], []
        pos = 0
        for i in order:
            p, key = pieces[i]
            p = fade(p / (np.abs(p).max() + 1e-9) * 0.5)
            gap = np.zeros(int(rng.uniform(0.03, 0.2) * RATE), np.float32)
            parts += [p, gap]
            owners.append((pos, pos + len(p), key))
            pos += len(p) + len(gap)
            keys.append(key)
        if parts:
            x = np.concatenate(parts)
            result[group] = (x, owners, len(x) / RATE)
    return result


def pick_group(groups, rng):
    """A group, drawn with a weight of the square root of its duration."""
    names = sorted(groups)
    w = np.sqrt(np.array([groups[g][2] for g in names], dtype=np.float64))
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def quiet_stretches(sources, loaded, split):
    out = []
    for s in sources:
        if s.split == split and s.key in loaded:
            out += [(q, s.key) for q in loaded[s.key][1]
                    if len(q) >= RATE // 8 and max_window_db(q) > -100.0]
    return out


# ------------------------------------------------------------------ clips

def take(stream, rng, n):
    x, owners = stream[0], stream[1]
    if len(x) <= n:
        a = 0
    else:
        a = int(rng.integers(0, len(x) - n))
    y = x[a:a + n]
    keys = sorted({k for s, e, k in owners if s < a + n and e > a})
    return y, keys


def set_level(x, db):
    return x * np.float32(10 ** ((db - rms_db(x)) / 20))


def active_clip(cls, groups, noise_groups, rng, n):
    """One validated active clip of class `cls` (None when none passes)."""
    for _ in range(8):
        group = pick_group(groups, rng)
        y, keys = take(groups[group], rng, n)
        if len(y) < n:
            continue
        y = y.copy()
        bandlimited = group.startswith("asterisk")
        p_tel = {"speech": 0.35, "music": 0.12, "percussion": 0.1, "environment": 0.12}[cls]
        if not bandlimited and rng.random() < p_tel:
            y = band_limit(y, 4000.0, 300.0 if cls == "speech" else 0.0)
        p_mix = {"speech": 0.3, "music": 0.2, "percussion": 0.1, "environment": 0.0}[cls]
        if noise_groups and rng.random() < p_mix:
            ng = pick_group(noise_groups, rng)
            z, zkeys = take(noise_groups[ng], rng, n)
            if len(z) == n and rms_db(z) > -80:
                snr = rng.uniform(6.0, 20.0)
                y = y + set_level(z, rms_db(y) - snr)
                keys = keys + zkeys
        level = rng.uniform(-40.0, -12.0)
        for attempt in range(3):
            z = set_level(y, level)
            peak = np.abs(z).max()
            if peak > 0.98:
                z = z * np.float32(0.98 / peak)
            if active_ok(z):
                return z.astype(np.float32), keys
            level += 8.0
    return None, None


def silence_clip(split, quiet, groups, rng, n):
    kind = rng.choice(["zero", "noise", "hum", "quiet", "quiet", "attenuated"],
                      p=[0.12, 0.2, 0.15, 0.25, 0.15, 0.13])
    target = rng.uniform(-85.0, -53.0)
    keys = [f"generated:{kind}:{split}"] if kind in ("zero", "noise", "hum") else []
    if kind == "zero":
        return np.zeros(n, np.float32), keys
    if kind == "noise":
        w = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1.0 / RATE)
        f[0] = f[1]
        w /= f ** rng.uniform(0.0, 1.0)
        y = np.fft.irfft(w, n).astype(np.float32)
    elif kind == "hum":
        t = np.arange(n) / RATE
        f0 = rng.choice([50.0, 60.0])
        y = sum(rng.uniform(0.05, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3))
                for k in range(1, 8)).astype(np.float32)
        y += rng.standard_normal(n).astype(np.float32) * rng.uniform(0.0, 0.2)
    elif kind in ("quiet",) and quiet:
        y, keys = quiet_fill(quiet, rng, n)
        level = max_window_db(y)
        if level <= SILENCE_DBFS - 2:  # already quiet: keep its own level
            return y.astype(np.float32), keys
    else:  # an active recording attenuated below the threshold
        group = pick_group(groups, rng)
        y, keys = take(groups[group], rng, n)
        if len(y) < n:
            return np.zeros(n, np.float32), [f"generated:zero:{split}"]
    y = y * np.float32(10 ** ((target - max_window_db(y)) / 20))
    return y.astype(np.float32), keys


def make_clips(sources, loaded, split, count, rng, lengths=(1.0, 3.0)):
    """count clips per class of one split: list of (audio, label, source keys)."""
    out, dropped = [], 0
    env = streams(sources, loaded, "environment", split)
    all_active = {}
    per_class = {}
    for cls in CLASSES[:-1]:
        per_class[cls] = streams(sources, loaded, cls, split)
        for g, s in per_class[cls].items():
            all_active[f"{cls}/{g}"] = s
    quiet = quiet_stretches(sources, loaded, split)
    for cls in CLASSES:
        made = 0
        while made < count:
            n = int(rng.uniform(*lengths) * RATE)
            if cls == "silence":
                y, keys = silence_clip(split, quiet, all_active, rng, n)
                ok = silence_ok(y)
            else:
                y, keys = active_clip(cls, per_class[cls], env, rng, n)
                ok = y is not None
            if not ok:
                dropped += 1
                if dropped > 20 * count * len(CLASSES):
                    raise RuntimeError(f"too many clips failed validation ({split}/{cls})")
                continue
            out.append((y, cls, keys))
            made += 1
    return out, dropped


def write_clips(clips, folder, prefix, manifest, rel_to):
    os.makedirs(folder, exist_ok=True)
    rows = []
    for i, (y, cls, keys) in enumerate(clips):
        path = os.path.join(folder, f"{prefix}{cls}-{i:05d}.flac")
        soundfile.write(path, y, RATE, subtype="PCM_16")
        rows.append((os.path.relpath(path, rel_to), cls, keys))
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for p, cls, _ in rows:
            w.writerow([p, cls])
    return rows


def write_tracks(clips, folder, manifest, rel_to, seconds=30.0):
    """Recordings of about `seconds` made of consecutive clips, each with its label
    track (Audacity's start TAB end TAB label; neighbours of one class merged),
    and a `path,labels` manifest: streaming tests with class changes."""
    os.makedirs(folder, exist_ok=True)
    rows, k, i = [], 0, 0
    while i < len(clips):
        audio, stretches, t = [], [], 0.0
        while i < len(clips) and t < seconds:
            y, cls, _ = clips[i]
            d = len(y) / RATE
            if stretches and stretches[-1][2] == cls:
                stretches[-1][1] = t + d
            else:
                stretches.append([t, t + d, cls])
            audio.append(y)
            t += d
            i += 1
        wav = os.path.join(folder, f"track-{k:03d}.flac")
        txt = os.path.join(folder, f"track-{k:03d}.txt")
        soundfile.write(wav, np.concatenate(audio), RATE, subtype="PCM_16")
        with open(txt, "w") as f:
            for a, b, cls in stretches:
                f.write(f"{a:.6f}\t{b:.6f}\t{cls}\n")
        rows.append((os.path.relpath(wav, rel_to), os.path.relpath(txt, rel_to)))
        k += 1
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "labels"])
        w.writerows(rows)
    return rows


def write_sources(sources, path, used=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "package", "licence", "split", "class"])
        for s in sources:
            if used is not None and s.key not in used:
                continue
            lic = licence(s.package, s.key) if s.package != "-" else "generated (no licence needed)"
            w.writerow([s.key, s.package, lic, s.split, s.cls])


def check_disjoint(sources):
    seen = {}
    for s in sources:
        if seen.setdefault(s.key, s.split) != s.split:
            raise RuntimeError(f"{s.key} is in two splits")


def default_out():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "gst-lstm", "audio-tagger")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=default_out(), help="output folder (default: %(default)s)")
    ap.add_argument("--clips", type=int, default=700,
                    help="training clips per class (val: a sixth, test: a quarter; default 700)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--tracks", default="val,test",
                    help="splits that also get 30 s recordings of their clips with label "
                    "tracks, SPLIT-tracks.csv (default: %(default)s; '' for none)")
    args = ap.parse_args()
    t0 = time.time()
    check_packages()
    sources = find_sources()
    check_disjoint(sources)
    loaded = load_all(sources, args.jobs)
    for sub in ("clips", "tracks"):
        if os.path.isdir(os.path.join(args.out, sub)):
            shutil.rmtree(os.path.join(args.out, sub))
    counts = {"train": args.clips, "val": max(1, args.clips // 6), "test": max(1, args.clips // 4)}
    summary, clip_sources = [], []
    for split in SPLITS:
        rng = seeded("clips", split)
        clips, dropped = make_clips(sources, loaded, split, counts[split], rng)
        order = rng.permutation(len(clips))
        clips = [clips[i] for i in order]
        rows = write_clips(clips, os.path.join(args.out, "clips", split), "",
                           os.path.join(args.out, f"{split}.csv"), args.out)
        clip_sources += [(p, cls, ";".join(keys)) for p, cls, keys in rows]
        if split in args.tracks.split(","):
            write_tracks(clips, os.path.join(args.out, "tracks", split),
                         os.path.join(args.out, f"{split}-tracks.csv"), args.out)
        summary.append(f"{split}: {len(clips)} clips ({counts[split]} per class), "
                       f"{dropped} drafts failed validation")
    write_sources(sources, os.path.join(args.out, "sources.csv"))
    with open(os.path.join(args.out, "clip-sources.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "sources"])
        w.writerows(clip_sources)
    by = {}
    for s in sources:
        by.setdefault((s.split, s.cls), 0)
        by[(s.split, s.cls)] += 1
    for line in summary:
        print(line)
    for split in SPLITS:
        print(f"{split} sources: " + ", ".join(f"{c} {by.get((split, c), 0)}" for c in CLASSES))
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
