#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tag-file.py: run lstminfer over an audio file and print its label segments.

Usage: tag-file.py [--predictions] MODEL AUDIO
       tag-file.py [--predictions] MODEL FRAMES CHANNELS RATE

The same as tag-file.c, through PyGObject (Debian: python3-gi and
python3-gst-1.0). AUDIO is any audio file GStreamer decodes; lstmfeatures
computes the model's features from it. FRAMES is a raw float32 file of
frames. For instance:

    GST_PLUGIN_PATH=build/plugin examples/tag-file.py \\
        examples/data/placeholder-tones.safetensors examples/data/tones.wav
    GST_PLUGIN_PATH=build/plugin examples/tag-file.py \\
        examples/data/placeholder-balance.safetensors \\
        examples/data/balance.f32 2 100

Each lstm-segment message becomes "start end label confidence" (seconds,
tab-separated, Audacity's label-track format, as `lstm run` prints).
"""

import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def pipeline_description(model, path, channels, rate, predictions):
    if channels is None:
        # an audio file: the model's features, at the model's rate
        source = (f'filesrc location="{path}" ! decodebin ! audioconvert ! '
                  f'audioresample ! lstmfeatures model="{model}" ! ')
    else:
        source = (f'filesrc location="{path}" ! queue ! rawaudioparse '
                  f'use-sink-caps=false format=pcm pcm-format=f32le '
                  f'num-channels={channels} sample-rate={rate} ! ')
    interval = 10 if predictions else 0
    return source + f'lstminfer model="{model}" message-interval={interval} ! fakesink'


def main(argv):
    predictions = len(argv) > 1 and argv[1] == "--predictions"
    args = argv[2:] if predictions else argv[1:]
    if len(args) == 2:
        channels = rate = None
    elif len(args) == 4 and args[2].isdigit() and args[3].isdigit():
        channels, rate = int(args[2]), int(args[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    model, path = args[0], args[1]
    pipeline = Gst.parse_launch(
        pipeline_description(model, path, channels, rate, predictions))
    loop = GLib.MainLoop()
    status = [0]

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "lstm-segment":
                print("%.3f\t%.3f\t%s\t%.3f" % (
                    s.get_uint64("start")[1] / Gst.SECOND,
                    s.get_uint64("end")[1] / Gst.SECOND,
                    s.get_string("label"), s.get_double("confidence")[1]))
            elif s.get_name() == "lstm-prediction":
                # scores (classifiers) or values (regression): GST_TYPE_ARRAY
                field = "scores" if s.has_field("scores") else "values"
                values = " ".join("%.4f" % v for v in s.get_value(field))
                label = s.get_string("label") if s.has_field("label") else ""
                print("# %s %s %s" % (
                    Gst.TIME_ARGS(s.get_uint64("stream-time")[1]), label,
                    values))
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("tag-file.py: %s\n%s" % (err.message, debug or ""),
                  file=sys.stderr)
            status[0] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg:
            on_message(bus, msg)
        status[0] = 1
    else:
        loop.run()
    bus.remove_watch()
    pipeline.set_state(Gst.State.NULL)
    return status[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
