#!/usr/bin/env python3
"""keyhound org benchmark: many local repositories, first night against
second night, in one run.

Usage: bench/org.py [--work DIR] [--repos N] [--forks F] [--jobs J]

Builds N repositories under WORK (default /tmp/keyhound-org-bench, outside
the repository): F forks of this repository's own history (each with one
commit of its own, so forks share nearly all blobs) and N - F generated
ones (git fast-import: 20 commits over 40 files, a few with a planted
credential). Then times, each against the first run:

  first    keyhound org, fresh cache and state (clone + full scan)
  second   the same again, nothing changed (fetch + incremental scan)
  git-each keyhound git on every mirror, one process per repository (what
           a team without org would run each night)
  commit10 after one new commit in 10 repositories

and reports wall time, CPU time (user + system of the process tree) and
peak RSS. Ratios in one run on one machine; absolute times mean little on
a shared one.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
KH = os.path.join(TOP, "target", "release", "keyhound")
# A GitHub token shape with a valid checksum (from the test suite's fixtures).
TOKEN = "ghp_" + "IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn0YWRM0"  # keyhound:allow


def run(cmd, **kw):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code, err


def git(*args, cwd=None, stdin=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@localhost",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@localhost")
    subprocess.run(["git", *args], cwd=cwd, input=stdin, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def generated(path, seed):
    """A repository of 20 commits over 40 files, made with fast-import."""
    os.makedirs(path)
    git("init", "-q", "--bare", path)
    lines = []
    mark = 0
    for c in range(20):
        mark += 1
        msg = f"commit {c}".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"mark :{mark}\n".encode())
        lines.append(f"committer bench <b@localhost> {1700000000 + c * 3600} +0000\n".encode())
        lines.append(f"data {len(msg)}\n".encode() + msg + b"\n")
        for f in range(40 if c == 0 else 3):
            n = f if c == 0 else (seed + c * 7 + f) % 40
            body = "".join(f"setting_{i} = {seed}-{c}-{n}-{i}\n" for i in range(60))
            if c == 5 and n == 3 and seed % 8 == 0:
                body += f"GITHUB_TOKEN={TOKEN}\n"
            data = body.encode()
            lines.append(f"M 644 inline src/file{n}.txt\n".encode())
            lines.append(f"data {len(data)}\n".encode() + data + b"\n")
    git("fast-import", "--quiet", cwd=path, stdin=b"".join(lines))
    git("gc", "-q", cwd=path)


def commit_one(path):
    """One new commit with one new blob, in a work tree or a bare repository."""
    if os.path.isdir(os.path.join(path, ".git")):
        with open(os.path.join(path, "NIGHT.md"), "a") as f:
            f.write("one more line\n")
        git("add", "NIGHT.md", cwd=path)
        git("commit", "-q", "-m", "night", cwd=path)
        return
    data = b"one more line\n"
    stream = (b"commit refs/heads/main\ncommitter bench <b@localhost> 1800000000 +0000\n"
              b"data 5\nnight\nfrom refs/heads/main^0\nM 644 inline NIGHT.md\n"
              + f"data {len(data)}\n".encode() + data + b"\n")
    git("fast-import", "--quiet", cwd=path, stdin=stream)


def build(work, n, forks):
    src = os.path.join(work, "src")
    if os.path.isdir(src) and len(os.listdir(src)) == n:
        return sorted(os.path.join(src, d) for d in os.listdir(src))
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    repos = []
    for i in range(n):
        path = os.path.join(src, f"r{i:03d}")
        if i < forks:
            git("clone", "-q", "--no-local", TOP, path)
            with open(os.path.join(path, "FORK.md"), "w") as f:
                f.write(f"fork {i}\n")
            git("add", "FORK.md", cwd=path)
            git("commit", "-q", "-m", f"fork {i}", cwd=path)
        else:
            generated(path, i)
        repos.append(path)
    return repos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/keyhound-org-bench")
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--forks", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=4)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "-q", "--release"], cwd=TOP, check=True)
    repos = build(a.work, a.repos, a.forks)
    listing = os.path.join(a.work, "repos.txt")
    with open(listing, "w") as f:
        f.write("\n".join(repos) + "\n")
    cache, state = os.path.join(a.work, "cache"), os.path.join(a.work, "state.db")
    for p in (cache, state, state + "-wal", state + "-shm"):
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.remove(p))
    org = [KH, "org", "--repos", listing, "--cache", cache, "--state", state,
           "--jobs", str(a.jobs), "--format", "json", "-o", os.path.join(a.work, "report.json")]

    results = {}

    def timed(name, cmd, ok=(0, 1)):
        wall, cpu, rss, code, err = run(cmd)
        if code not in ok:
            sys.exit(f"{name}: exit {code}: {err}")
        results[name] = {"wall": wall, "cpu": cpu, "rss": rss}
        if cmd[:2] == [KH, "org"]:
            with open(os.path.join(a.work, "report.json")) as f:
                r = json.load(f)["stats"]
            results[name]["blobs_scanned"] = r["blobs_scanned"]
            results[name]["findings"] = r["findings"]
        print(f"{name}: {wall:.2f}s wall, {cpu:.2f}s cpu, {rss / 2**20:.0f} MiB", file=sys.stderr)

    timed("first", org)
    timed("second", org)
    mirrors = sorted(os.path.join(cache, d) for d in os.listdir(cache))
    script = os.path.join(a.work, "git-each.sh")
    with open(script, "w") as f:
        f.write("set -e\n" + "".join(
            f"{KH} git {m} --format json -o /dev/null || [ $? -eq 1 ]\n" for m in mirrors))
    timed("git-each", ["bash", script])
    for path in repos[:: max(1, len(repos) // 10)][:10]:
        commit_one(path)
    timed("commit10", org)

    first = results["first"]
    print(f"\n{a.repos} repositories ({a.forks} forks of this repository), {os.cpu_count()} cores, --jobs {a.jobs}\n")
    print("| run | wall s | x first | cpu s | x first | peak RSS MiB | blobs scanned |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['wall']:.2f} | {r['wall'] / first['wall']:.3f} | {r['cpu']:.2f} | "
              f"{r['cpu'] / first['cpu']:.3f} | {r['rss'] / 2**20:.0f} | {r.get('blobs_scanned', '')} |")
    s, g = results["second"], results["git-each"]
    print(f"\nsecond night: {first['wall'] / s['wall']:.1f}x faster than the first (wall), "
          f"{first['cpu'] / s['cpu']:.1f}x (cpu); {g['wall'] / s['wall']:.1f}x faster than "
          f"keyhound git on each repository (wall), {g['cpu'] / s['cpu']:.1f}x (cpu)")
    with open(os.path.join(a.work, "org.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
