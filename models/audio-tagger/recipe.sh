#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Trains models/audio-tagger with the project's own trainer on real recordings:
# builds the dataset (make_dataset.py), trains on train.csv (the loss on every
# frame, as a streaming tagger needs), evaluates on the by-source test split,
# clip by clip and as recordings with label tracks. Seeded throughout.
#
#   sh models/audio-tagger/recipe.sh [DATA_DIR]
#
# Environment: LSTM (the lstm tool, default build/tools/lstm of this
# repository), EPOCHS (default 30), OUT (the model written, default
# audio-tagger.safetensors in DATA_DIR; copy it here once it is good enough).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-lstm/audio-tagger}
lstm=${LSTM:-$top/build/tools/lstm}
epochs=${EPOCHS:-30}
out=${OUT:-$data/audio-tagger.safetensors}
features='{"kind":"fbank","sample_frequency":16000,"num_mel_bins":40,"frame_length":25.0,"frame_shift":10.0,"waveform_scale":32768}'

if [ ! -x "$lstm" ]; then
  echo "recipe.sh: no lstm tool at $lstm (build the project, or set LSTM)" >&2
  exit 1
fi

start=$(date +%s)
/usr/bin/python3 "$here/make_dataset.py" --out "$data"
built=$(date +%s)

"$lstm" train --manifest "$data/train.csv" --features "$features" \
  --hidden 64 --epochs "$epochs" --clip 1 --every-frame --seed 1 -o "$out"
trained=$(date +%s)

"$lstm" eval "$out" --manifest "$data/test.csv"
# the same test clips joined into 30 s recordings: streaming, with class changes
"$lstm" eval "$out" --manifest "$data/test-tracks.csv"
echo "dataset $((built - start)) s, training $((trained - built)) s"
