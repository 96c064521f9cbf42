#!/usr/bin/env python3
"""Builds a large synthetic git history with `git fast-import`.

    big_repo.py DEST [COMMITS]

File contents are real source text (the crate sources fetched for the
directory benchmark, or any tree given in KEYHOUND_BENCH_SRC), edited a few
lines at a time, so the pack holds realistic deltas. Each commit rewrites
ten files spread over the tree; with the default 40,000 commits the object
database holds about a million objects. Deterministic (fixed seed).
"""
import os
import random
import subprocess
import sys

dest = sys.argv[1]
commits = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
here = os.path.dirname(os.path.abspath(__file__))
src = os.environ.get("KEYHOUND_BENCH_SRC") or os.path.join(here, "work", "cargo-home", "registry", "src")

rng = random.Random(7)
texts = []
for root, _, files in os.walk(src):
    for f in sorted(files):
        if f.endswith((".rs", ".c", ".h", ".md", ".toml", ".json", ".txt")):
            p = os.path.join(root, f)
            try:
                b = open(p, "rb").read()
            except OSError:
                continue
            if 200 < len(b) < 64 * 1024 and b"\0" not in b:
                texts.append(b)
    if len(texts) >= 6000:
        break
texts.sort(key=len)
rng.shuffle(texts)
paths = [f"src/m{d:02d}/s{d % 7}/file{i:04d}.txt" for i in range(4000) for d in [i % 90]]
state = {}

# The history goes on refs/heads/main; HEAD must name it (git's default
# branch name depends on the local configuration).
subprocess.run(["git", "init", "-q", "-b", "main", dest], check=True)
imp = subprocess.Popen(["git", "-C", dest, "fast-import", "--quiet", "--depth=50"],
                       stdin=subprocess.PIPE)
w = imp.stdin.write
t = 1_600_000_000
for c in range(commits):
    w(b"commit refs/heads/main\n")
    w(f"committer bench <bench@localhost> {t + c * 60} +0000\n".encode())
    msg = f"change {c}\n".encode()
    w(f"data {len(msg)}\n".encode() + msg)
    for _ in range(10):
        p = rng.choice(paths)
        base = state.get(p) or texts[rng.randrange(len(texts))]
        lines = base.split(b"\n")
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + f" // edit {c}".encode()
        body = b"\n".join(lines)
        state[p] = body
        w(f"M 100644 inline {p}\n".encode())
        w(f"data {len(body)}\n".encode() + body + b"\n")
    w(b"\n")
imp.stdin.close()
sys.exit(imp.wait())
