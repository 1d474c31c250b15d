#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Trains models/audio-tagger with the project's own trainer on real
# recordings, in two steps, then evaluates it on the by-source test split:
#
# 1. clips (train.csv): lstm train's clip recipe (the clip's mean scores
#    scored, classes balanced with seeded augmented copies, environment
#    clips mixed in as backgrounds), validated on val.csv (other sources)
#    for early stopping and the best epoch;
# 2. the same training clips joined into 30 s recordings with label tracks
#    (train-tracks.csv): 14 epochs of fine-tuning on every frame, so that
#    the streaming tagger learns to follow class changes, not only whole
#    clips (14 rather than 8: better on the validation clips and
#    recordings).
#
# Every training option is given explicitly, at the value the model was
# trained with, so that a change of lstm train's defaults does not change
# the model (the augmentation's ranges, which have no options, are those of
# tools/lstm-augment.c).
#
#   sh models/audio-tagger/recipe.sh [DATA_DIR]
#
# Environment: LSTM (the lstm tool, default build/tools/lstm of this
# repository), OUT (the model written, default audio-tagger.safetensors in
# DATA_DIR; copy it here when it is better than the shipped one). Seeded
# throughout: the same packages and tool give the same bytes.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-lstm/audio-tagger}
lstm=${LSTM:-$top/build/tools/lstm}
out=${OUT:-$data/audio-tagger.safetensors}
features='{"kind":"fbank","sample_frequency":16000,"num_mel_bins":40,"frame_length":25.0,"frame_shift":10.0,"waveform_scale":32768}'

if [ ! -x "$lstm" ]; then
  echo "recipe.sh: no lstm tool at $lstm (build the project, or set LSTM)" >&2
  exit 1
fi

start=$(date +%s)
/usr/bin/python3 "$here/make_dataset.py" --out "$data" --tracks train,val,test
built=$(date +%s)

# the new model of step 1; the trainer's options shared by both steps
model="--cell lstm --hidden 128 --layers 1 --forget-bias 1"
common="--optimizer adam --batch-size 32 --sequence-length 0 --clip-norm 1 \
  --weight-decay 0 --loss cross-entropy --schedule constant --patience 10"
# shellcheck disable=SC2086
"$lstm" train --manifest "$data/train.csv" --features "$features" \
  --val-manifest "$data/val.csv" --mix-with environment --augment 1 \
  --clip-loss mean --epochs 20 --lr 1e-3 $model $common --seed 1 \
  -o "$data/clips.safetensors"
# shellcheck disable=SC2086
"$lstm" train --manifest "$data/train-tracks.csv" \
  --init "$data/clips.safetensors" --chunk 400 --val-fraction 0.1 \
  --epochs 14 --lr 5e-4 $common --seed 1 -o "$out"
trained=$(date +%s)

"$lstm" eval "$out" --manifest "$data/test.csv"
# the same test clips joined into 30 s recordings: streaming, class changes
"$lstm" eval "$out" --manifest "$data/test-tracks.csv"
echo "dataset $((built - start)) s, training $((trained - built)) s"
