#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An installed liblstm works for applications (standard library only).

Installs the build tree with `meson install --destdir` into a temporary
folder, compiles examples/infer-offline.c with the flags of the installed
liblstm.pc (read from a copy whose prefix= line points into the staging
folder; every other path in it must derive from ${prefix}), so that
`#include <lstm/lstm.h>` resolves to the installed headers only, then runs
it against the installed library and checks that its output equals
`lstm run`'s.

Environment (set by meson): LSTM_MESON, LSTM_CC, LSTM_SANITIZE,
LSTM_BUILD_ROOT, LSTM_SOURCE_ROOT, LSTM_TOOL.
"""

import os
import random
import shlex
import struct
import subprocess
import sys
import tempfile

env = os.environ
SRC = env["LSTM_SOURCE_ROOT"]
BUILD = env["LSTM_BUILD_ROOT"]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        sys.exit(1)
    return r.stdout


def main():
    with tempfile.TemporaryDirectory(prefix="lstm-install-") as tmp:
        root = os.path.join(tmp, "root")
        run([env["LSTM_MESON"], "install", "-C", BUILD, "--destdir", root,
             "--no-rebuild", "--quiet"])

        pcs = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
               if f == "liblstm.pc"]
        if len(pcs) != 1:
            print(f"FAIL: expected one installed liblstm.pc, found {pcs}")
            return 1
        pc_text = open(pcs[0]).read()
        print(f"installed {os.path.relpath(pcs[0], root)}:\n{pc_text}")
        prefix = next(line.split("=", 1)[1] for line in pc_text.splitlines()
                      if line.startswith("prefix="))
        headers = [os.path.relpath(os.path.join(d, f), root)
                   for d, _, fs in os.walk(root) for f in fs if f.endswith(".h")]
        print("installed headers: " + " ".join(sorted(headers)))

        # Only liblstm's own prefix moves: its Requires (glib, json-glib)
        # stay where the system has them.
        pcdir = os.path.join(tmp, "pkgconfig")
        os.makedirs(pcdir)
        with open(os.path.join(pcdir, "liblstm.pc"), "w") as f:
            f.write(pc_text.replace(f"prefix={prefix}\n",
                                    f"prefix={root}{prefix}\n", 1))
        pkg_env = dict(env, PKG_CONFIG_PATH=pcdir)
        flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "liblstm"],
                                env=pkg_env))
        print("pkg-config --cflags --libs liblstm: " + " ".join(flags))
        if not any(f.startswith("-I" + root) for f in flags):
            print("FAIL: the include path does not point into the installation")
            return 1

        exe = os.path.join(tmp, "infer-offline")
        cc = shlex.split(env["LSTM_CC"])
        san = env.get("LSTM_SANITIZE", "none")
        extra = [f"-fsanitize={san}"] if san not in ("", "none") else []
        run(cc + extra + ["-std=c11", "-Wall", "-Werror", "-o", exe,
                          os.path.join(SRC, "examples", "infer-offline.c")] + flags)

        libdirs = [f[2:] for f in flags if f.startswith("-L" + root)]
        run_env = dict(env, LD_LIBRARY_PATH=":".join(libdirs))
        rng = random.Random(7)
        for model in ("lstm2-default-softmax", "bilstm2-default-softmax",
                      "peephole2-strong"):
            path = os.path.join(SRC, "tests", "golden", "data", model + ".safetensors")
            info = run([env["LSTM_TOOL"], "info", path])
            dim = int(next(line.split()[1] for line in info.splitlines()
                           if line.startswith("input")))
            frames = os.path.join(tmp, model + ".f32")
            with open(frames, "wb") as f:
                for _ in range(333 * dim):
                    f.write(struct.pack("<f", rng.uniform(-4, 4)))
            # the example must run on the installed library, not the build's
            ldd = run(["ldd", exe], env=run_env) if os.path.exists("/usr/bin/ldd") else ""
            if ldd and root not in ldd:
                print(f"FAIL: infer-offline does not use the installed liblstm:\n{ldd}")
                return 1
            got = run([exe, path, frames], env=run_env)
            want = run([env["LSTM_TOOL"], "run", path, frames, "-"])
            if got != want or len(got.splitlines()) != 333:
                print(f"FAIL: {model}: infer-offline's output differs from lstm run's")
                return 1
            print(f"ok {model}: 333 frames, output equal to lstm run's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
