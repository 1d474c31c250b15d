#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""read-results.py: lstminfer's results on the buffers, read from Python.

Usage: read-results.py MODEL AUDIO [FRAMES_PER_BUFFER]

lstminfer output-mode=passthrough leaves the frames untouched and attaches
its results to each buffer. C reads them as GstLstmMeta (gstlstmmeta.h);
Python reads the same results as the GstLstmResults custom meta, whose
structure holds n-frames, n-values, scores (GLib.Bytes of float32, frame
after frame), index and label. This script prints, per buffer, its time,
label and the scores of its last frame:

    GST_PLUGIN_PATH=build/plugin examples/read-results.py \\
        models/audio-tagger/audio-tagger.safetensors \\
        models/audio-tagger/demo.wav 10

A buffer that lstmfeatures padded to keep the tensor caps fixed (the last
one, or one before a gap) carries the GstLstmPadding custom meta: only its
first valid-frames frames are real, and the results cover those only.
"""

import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

try:
    import numpy
except ImportError:  # the scores as a plain list then
    numpy = None


def results_of(buf):
    """(label, index, scores as n_frames x n_values) of a buffer, or None."""
    meta = buf.get_custom_meta("GstLstmResults")
    if meta is None:
        return None
    s = meta.get_structure()
    n_frames = s.get_value("n-frames")
    n_values = s.get_value("n-values")
    data = s.get_value("scores").get_data()
    if numpy is not None:
        scores = numpy.frombuffer(data, numpy.float32).reshape(
            n_frames, n_values)
    else:
        import array
        flat = array.array("f", data)
        scores = [flat[i * n_values:(i + 1) * n_values]
                  for i in range(n_frames)]
    label = s.get_value("label") if s.has_field("label") else None
    return label, s.get_value("index"), scores


def valid_frames(buf):
    """The real frames of a buffer lstmfeatures padded, else None."""
    meta = buf.get_custom_meta("GstLstmPadding")
    return None if meta is None else meta.get_structure().get_value(
        "valid-frames")


def run(model, audio, frames_per_buffer, on_buffer):
    """Runs the pipeline, calling on_buffer(buf) for each buffer; returns 0
    at EOS, 1 on an error (printed)."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{audio}" ! decodebin ! audioconvert ! '
        f'audioresample ! lstmfeatures model="{model}" '
        f'frames-per-buffer={frames_per_buffer} ! lstminfer model="{model}" '
        f'output-mode=passthrough message-interval=0 ! appsink name=sink '
        f'sync=false emit-signals=false')
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    status = 0
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        on_buffer(sample.get_buffer())
    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    if msg is not None:
        err, debug = msg.parse_error()
        print("read-results.py: %s\n%s" % (err.message, debug or ""),
              file=sys.stderr)
        status = 1
    pipeline.set_state(Gst.State.NULL)
    return status


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    fpb = int(argv[3]) if len(argv) == 4 else 1

    def show(buf):
        res = results_of(buf)
        if res is None:
            return
        label, _, scores = res
        last = scores[len(scores) - 1]
        pad = valid_frames(buf)
        print("%.3f\t%s\t%s%s" % (
            buf.pts / Gst.SECOND, label or "-",
            " ".join("%.4f" % v for v in last),
            "" if pad is None else "\t(%d real frames)" % pad))

    return run(argv[1], argv[2], fpb, show)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
