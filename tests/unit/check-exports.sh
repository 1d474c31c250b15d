#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks that a shared liblstm exports only lstm_* symbols (plus the
# linker's own markers).  Usage: check-exports.sh NM LIBRARY
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
echo "$lib: $(printf '%s\n' "$syms" | grep -c '^lstm_') lstm_* symbols, nothing else"
