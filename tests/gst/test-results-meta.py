#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The results of lstminfer output-mode=passthrough, read from PyGObject
through the GstLstmResults custom meta (examples/read-results.py), equal
bit for bit the scores lstminfer outputs in its default mode, frame for
frame; the padded last buffer of lstmfeatures (GstLstmPadding, read from
Python too) has results for its real frames only.

Usage: test-results-meta.py EXAMPLES_DIR MODEL AUDIO
"""

import importlib.util
import os
import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402
import numpy  # noqa: E402

FPB = 7


def load_example(examples):
    spec = importlib.util.spec_from_file_location(
        "read_results", os.path.join(examples, "read-results.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def reference_scores(model, audio):
    """Every frame's scores from lstminfer's default output, unpadded."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{audio}" ! decodebin ! audioconvert ! '
        f'audioresample ! lstmfeatures model="{model}" '
        f'frames-per-buffer={FPB} pad-buffers=false ! '
        f'lstminfer model="{model}" message-interval=0 ! '
        f'appsink name=sink sync=false')
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    chunks, n_values = [], None
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        dims = sample.get_caps().get_structure(0).get_value("dimensions")
        n_values = int(dims.split(":")[0])
        buf = sample.get_buffer()
        chunks.append(buf.extract_dup(0, buf.get_size()))
    pipeline.set_state(Gst.State.NULL)
    assert n_values is not None, "no output from the reference pipeline"
    return numpy.frombuffer(b"".join(chunks), numpy.float32).reshape(
        -1, n_values)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    examples, model, audio = argv[1:]
    Gst.init(None)
    rr = load_example(examples)
    ref = reference_scores(model, audio)
    got, paddings, labels = [], [], []

    def take(buf):
        res = rr.results_of(buf)
        assert res is not None, "a buffer without GstLstmResults"
        label, index, scores = res
        pad = rr.valid_frames(buf)
        real = FPB if pad is None else pad
        assert scores.shape[0] == real, (scores.shape, real)
        if pad is not None:
            paddings.append(pad)
        labels.append((label, index))
        got.append(numpy.array(scores))

    status = rr.run(model, audio, FPB, take)
    if status != 0:
        return status
    got = numpy.concatenate(got)
    print(f"{got.shape[0]} frames, {len(labels)} buffers, "
          f"padded buffers {paddings}")
    if got.shape != ref.shape or not numpy.array_equal(got, ref):
        print(f"FAIL: passthrough results {got.shape} differ from the "
              f"scores output {ref.shape}", file=sys.stderr)
        return 1
    expect_pad = [ref.shape[0] % FPB] if ref.shape[0] % FPB else []
    if paddings != expect_pad:
        print(f"FAIL: padded buffers {paddings}, expected {expect_pad}",
              file=sys.stderr)
        return 1
    for label, index in labels:
        # a decided class names its label; undecided: "unknown"
        if (index >= 0) != (label not in (None, "unknown")):
            print(f"FAIL: label {label} with index {index}", file=sys.stderr)
            return 1
    print("ok: GstLstmResults from Python equal lstminfer's scores")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
