#!/usr/bin/env bash
# History benchmark: `keyhound git` over a whole repository against the
# inflate baseline `git cat-file --batch-all-objects --batch` and against
# Kingfisher's full-history scan, in the same run.
#
#   bench/history.sh [REPO] [RUNS]
#
# For the million-object repository of the performance targets:
#   CARGO_HOME=bench/work/cargo-home cargo fetch --manifest-path bench/input/Cargo.toml
#   python3 bench/big_repo.py bench/work/big-repo 40000
#   bench/history.sh bench/work/big-repo
#
# Without REPO, builds bench/work/history-repo: the crate sources of
# bench/input (see scan.sh) committed crate by crate under vendor/<name>/,
# so later versions of a crate rewrite the same paths (real modifications,
# real deltas), then packed with `git gc`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
work="$here/work"
mkdir -p "$work"
runs=${2:-3}
command -v kingfisher >/dev/null || pip install -q kingfisher-bin

repo=${1:-}
if [ -z "$repo" ]; then
  repo="$work/history-repo"
  if [ ! -d "$repo/.git" ]; then
    CARGO_HOME="$work/cargo-home" cargo fetch -q --manifest-path "$here/input/Cargo.toml"
    src=$(echo "$work"/cargo-home/registry/src/*/)
    git init -q "$repo"
    export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
    export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
    n=0
    for crate in $(ls "$src" | sort -V); do
      name=${crate%-[0-9]*}
      rm -rf "$repo/vendor/$name"
      mkdir -p "$repo/vendor/$name"
      cp -r "$src/$crate/." "$repo/vendor/$name/"
      # One commit per top-level entry keeps history long and diffs small.
      for entry in $(ls -A "$repo/vendor/$name"); do
        git -C "$repo" add -A -f "vendor/$name/$entry"
        git -C "$repo" commit -q --allow-empty -m "$crate: $entry"
        n=$((n + 1))
      done
    done
    git -C "$repo" gc -q
    echo "built $repo: $n commits" >&2
  fi
fi

(cd "$top" && cargo build -q --release)
kh="$top/target/release/keyhound"
objects=$(git -C "$repo" count-objects -v | awk '/^in-pack/ {print $2}')
size=$(git -C "$repo" count-objects -v | awk '/^size-pack/ {print $2}')
echo "repo: $repo ($objects packed objects, $((size / 1024)) MiB packed), $(nproc) cores" >&2

python3 "$here/measure.py" --runs "$runs" --baseline cat-file --ok-codes 0,1,200,205 --json "$work/history.json" \
  "cat-file=git -C $repo cat-file --batch-all-objects --batch" \
  "keyhound=$kh git $repo --format json -o /dev/null" \
  "kingfisher=kingfisher scan $repo -n --no-update-check -q --git-history full --format json -o /dev/null"

# Pre-push of the last 10 commits: `keyhound git --range`, and the hook as
# git runs it (one stdin line per pushed ref: local ref and sha, remote ref
# and the sha the remote already has).
head=$(git -C "$repo" rev-parse HEAD)
base=$(git -C "$repo" rev-parse HEAD~10)
python3 "$here/measure.py" --runs "$runs" --baseline range --ok-codes 0,1 --json "$work/prepush.json" \
  "range=$kh git $repo --range HEAD~10..HEAD --format json -o /dev/null" \
  "hook=cd $repo && echo 'refs/heads/main $head refs/heads/main $base' | $kh hook pre-push"
