#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks that a shared liblstm exports only lstm_* symbols (plus the
# linker's own markers), and that each has a gtk-doc block (`/**` then
# ` * name:`) in the library's sources.
# Usage: check-exports.sh NM LIBRARY [LIBRARY_SOURCE_DIR]
set -eu
nm=$1
lib=$2
syms=$("$nm" -D --defined-only "$lib" | awk '{ print $NF }')
if ! printf '%s\n' "$syms" | grep -qx 'lstm_model_load'; then
  echo "$lib: lstm_model_load is not exported"
  exit 1
fi
bad=$(printf '%s\n' "$syms" |
  grep -Ev '^(lstm_[a-z0-9_]+|_init|_fini|_edata|_end|__bss_start)$' || true)
if [ -n "$bad" ]; then
  echo "$lib exports symbols outside the lstm_ namespace:"
  printf '%s\n' "$bad"
  exit 1
fi
if [ $# -ge 3 ]; then
  documented=$(mktemp)
  grep -rhoE '^ \* lstm_[a-z0-9_]+:' "$3" | sed 's/^ \* //; s/:$//' |
    sort -u > "$documented"
  undocumented=$(printf '%s\n' "$syms" | grep '^lstm_' | sort |
    comm -23 - "$documented")
  rm -f "$documented"
  if [ -n "$undocumented" ]; then
    echo "$lib exports symbols without a doc block:"
    printf '%s\n' "$undocumented"
    exit 1
  fi
fi
echo "$lib: $(printf '%s\n' "$syms" | grep -c '^lstm_') lstm_* symbols, each documented, nothing else"
