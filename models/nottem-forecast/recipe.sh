#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Trains models/nottem-forecast: a one-step-ahead forecaster of the monthly
# mean air temperature at Nottingham (R's `nottem`, 1920-1939, degrees F),
# with `lstm train --series` alone. Run from the repository root:
#
#     sh models/nottem-forecast/recipe.sh          # LSTM=path/to/lstm to choose the tool
#
# The series and its split come from tests/data/series (manifest.csv): the
# model learns the rows before the test part (its last 10 % held out for
# validation, the trainer's default); nottem-test.csv is the test part.
# Deterministic (fixed seed): a second run writes the same bytes. About a
# second on one core. The test figures of models/README.md are printed by
#
#     meson test -C build --suite slow test-real-series --verbose
set -eu

LSTM=${LSTM:-build/tools/lstm}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../../tests/data/series
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rows and test_rows of nottem in the manifest (columns found by name)
split=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $col["name"] == "nottem" { print $col["rows"], $col["test_rows"] }' \
  "$data/manifest.csv")
rows=${split% *}
test_rows=${split#* }
train_rows=$((rows - test_rows))

# the CSVs: a header row, then one value per row
head -n $((train_rows + 1)) "$data/nottem.csv" > "$work/train.csv"
{ echo value; tail -n +$((train_rows + 2)) "$data/nottem.csv"; } \
  > "$here/nottem-test.csv"

# Settings chosen on the training rows alone, never on the test part: by
# the mean RMSE (relative to AR(p)) over three validation windows of 48
# months (after 96, 120 and 144 training months) and three seeds. A GRU of
# 16 predicting levels (--no-residual: the series has no trend, and the
# change from the last month was the weaker target there), mini-batches of
# 2 contiguous lanes of BPTT windows of 64 (the series is short: 192 rows),
# all 200 epochs at Adam 3e-3 (--patience 0: the 19 validation rows are too
# few to stop early on).
"$LSTM" train --series "$work/train.csv" --no-residual --cell gru \
  --hidden 16 --window 64 --batch-size 2 --epochs 200 --lr 3e-3 --lags none \
  --patience 0 --seed 0 -q \
  --curve "$work/loss.csv" -o "$here/nottem-forecast.safetensors"
"$LSTM" info "$here/nottem-forecast.safetensors"
