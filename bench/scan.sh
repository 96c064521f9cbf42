#!/usr/bin/env bash
# Directory-scan benchmark: keyhound against a ripgrep search for the same
# keywords (the baseline: reading the files and running one literal
# automaton, which is the least any scanner must do) and against Kingfisher,
# all in the same run. (Kingfisher exits 200/205 when it finds secrets.)
#
#   bench/scan.sh [DIR] [RUNS]
#
# Without DIR, the input is the source of the crates in bench/input/Cargo.toml
# (about 560 MB), fetched into bench/work/cargo-home.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
runs=${2:-5}

command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep; }
command -v kingfisher >/dev/null || pip install -q kingfisher-bin

input=${1:-}
if [ -z "$input" ]; then
  CARGO_HOME="$work/cargo-home" cargo fetch -q --manifest-path "$here/input/Cargo.toml"
  input="$work/cargo-home/registry/src"
fi

(cd "$top" && cargo build -q --release)
kh="$top/target/release/keyhound"

# The keyword list is the prefilter's input: every keyword of every rule.
"$kh" rules list --json | python3 -c '
import json, sys
kws = sorted({k for r in json.load(sys.stdin) for k in r["keywords"]})
print("\n".join(kws))' > "$work/keywords.txt"

files=$(find "$input" -type f | wc -l)
bytes=$(du -sb "$input" | cut -f1)
echo "input: $input ($files files, $((bytes / 1048576)) MiB), $(wc -l < "$work/keywords.txt") keywords, $(nproc) cores" >&2

# Same file set for all: no ignore files, hidden files included.
python3 "$here/measure.py" --runs "$runs" --baseline ripgrep --ok-codes 0,1,200,205 --json "$work/scan.json" \
  "ripgrep=rg -F -i -c --no-ignore --hidden -f $work/keywords.txt $input" \
  "keyhound=$kh scan $input --no-ignore --format json -o /dev/null" \
  "kingfisher=kingfisher scan $input -n --no-update-check -q --format json -o /dev/null"
