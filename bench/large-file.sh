#!/usr/bin/env bash
# One large file, streamed: peak RSS and time of `keyhound scan` on a file of
# real (non-sparse) text with credentials at its start, middle and end and
# straddling a chunk boundary, against `grep -c` over the same file in the
# same run (the baseline: reading it once and matching one literal).
#
#   bench/large-file.sh [GiB] [RUNS]      (default: 4 GiB, 3 runs)
#
# The file is made in /tmp (or $KEYHOUND_BENCH_DIR), outside the repository,
# and kept for reruns. Target (docs/robustness.md): peak RSS < 200 MiB, every
# key found once at its line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
gib=${1:-4}
runs=${2:-3}
work=${KEYHOUND_BENCH_DIR:-/tmp/keyhound-bench}
mkdir -p "$work"
input="$work/large-${gib}g.log"

if [ ! -s "$input" ]; then
  python3 - "$input" "$gib" <<'PY'
import sys
path, gib = sys.argv[1], int(sys.argv[2])
size = gib << 30
chunk = 8 << 20                     # the default chunk size
ids = ["AKIAYTAZMROB6K6IVLAU", "AKIAYUNFMU2Q4OJT2ORH", "ASIAW2K6W2UGTIAK3E4I"]  # keyhound:allow (rule examples)
line = b"2026-12-04T12:00:00Z INFO request served in 12 ms from cache node 7\n"
block = line * ((1 << 20) // len(line))
with open(path, "wb") as f:
    def key(i):
        f.write(b"aws_access_key_id = %s\n" % ids[i % 3].encode())
    key(0)                          # start
    written = f.tell()
    boundary = 100 * chunk          # a chunk boundary near 800 MiB
    middle = size // 2
    while written < size - len(block):
        nxt = written + len(block)
        if written < boundary <= nxt:
            cut = boundary - written - 10   # the id runs across the boundary
            f.write(block[:cut])
            f.write(b" AKIAYUNFMU2Q4OJT2ORH ")  # keyhound:allow
            f.write(block[cut:])
        elif written < middle <= nxt:
            f.write(block); key(2)  # middle
        else:
            f.write(block)
        written = f.tell()
    key(0 + 1)                      # end (a different id)
PY
fi
bytes=$(stat -c %s "$input")
echo "input: $input ($((bytes >> 20)) MiB), $(nproc) cores" >&2

(cd "$top" && cargo build -q --release)
kh="$top/target/release/keyhound"

"$kh" scan "$input" --format json --all-locations -o "$work/large.json" || [ $? -eq 1 ]
python3 - "$work/large.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
places = sorted((f["rule_id"], f["line"], f["column"]) for f in doc["findings"])
print("findings:", places, file=sys.stderr)
print("large:", doc.get("large"), file=sys.stderr)
assert len(doc["findings"]) == 4, doc["findings"]
PY

python3 "$here/measure.py" --runs "$runs" --baseline grep --json "$work/large.json.bench" \
  "grep=grep -c AKIA $input > $work/grep.out" \
  "keyhound=$kh scan $input --format json -o /dev/null"
