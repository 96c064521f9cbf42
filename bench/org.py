#!/usr/bin/env python3
"""The nightly org scan, measured: `keyhound org` over many local
repositories, first night, an unchanged night, a night after new commits
in some repositories, against `keyhound git` run on every repository and
(if installed) Kingfisher scanning them all, in one run.

Usage: bench/org.py [--small N] [--forks N] [--copies N] [--real REPO]
                    [--jobs N] [--work DIR]

Repositories (under WORK/src), mixed as an organisation's are:
- N small generated ones (git fast-import: 5-60 commits of a few files);
- N forks of keyhound's own history (sharing all its blobs, one commit of
  their own each);
- N copies of a real history (REPO, a bare repository, e.g. one brought by
  the `fetch` tool: BurntSushi/ripgrep), each with a commit of its own.
Every repository is a distinct `git clone --no-local` (own packs), so a
fork's blobs are read from its own mirror, as for a real org.

The mirrors are cloned in the first run; the clone time is part of it, as
it is for a user's first night. Output: a Markdown table on stdout (wall,
CPU, peak RSS, blobs scanned, ratio to the first run) and WORK/org.json.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
KEY = "ghp_" + "IwdMx9WFWRRfMhTYiaVjZ78Jfuamvn0YWRM0"[0:36]  # keyhound:allow
ENV = dict(
    os.environ,
    GIT_AUTHOR_NAME="bench",
    GIT_AUTHOR_EMAIL="bench@localhost",
    GIT_COMMITTER_NAME="bench",
    GIT_COMMITTER_EMAIL="bench@localhost",
)


def git(*args, cwd=None, input=None):
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, input=input,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def small_repo(path, rng):
    """A generated repository: text files rewritten over a few commits."""
    os.makedirs(path)
    git("init", "-q", path)
    commits = rng.randint(5, 60)
    files = [f"src/mod{i}.py" for i in range(rng.randint(3, 10))]
    stream = []
    mark = 0
    for c in range(commits):
        mark += 1
        stream.append(f"commit refs/heads/main\nmark :{mark}\n"
                      f"committer bench <bench@localhost> {1700000000 + c * 60} +0000\n"
                      f"data 9\ncommit {c:02d}\n")
        for f in rng.sample(files, rng.randint(1, len(files))):
            body = "".join(f"value_{rng.randrange(10**9)} = {rng.random()!r}\n"
                           for _ in range(rng.randint(20, 80)))
            data = body.encode()
            stream.append(f"M 100644 inline {f}\ndata {len(data)}\n")
            stream.append(data.decode() + "\n")
    git("fast-import", "--quiet", cwd=path, input="".join(stream).encode())
    git("checkout", "-q", "main", cwd=path)


def commit(path, name, text, message):
    with open(os.path.join(path, name), "w") as f:
        f.write(text)
    git("add", name, cwd=path)
    git("commit", "-q", "-m", message, cwd=path)


def build(work, small, forks, copies, real):
    src = os.path.join(work, "src")
    if os.path.isdir(src):
        shutil.rmtree(src)
    os.makedirs(src)
    rng = random.Random(7)
    names = []
    for i in range(small):
        p = os.path.join(src, f"small-{i:03d}")
        small_repo(p, rng)
        if i % 25 == 0:
            commit(p, "deploy.env", f"GITHUB_TOKEN={KEY}\n", "deploy settings")
        names.append(p)
    for i in range(forks):
        p = os.path.join(src, f"keyhound-fork-{i:03d}")
        git("clone", "-q", "--no-local", TOP, p)
        commit(p, "FORK.md", f"fork {i}\n", f"fork {i}")
        names.append(p)
    for i in range(copies):
        p = os.path.join(src, f"real-copy-{i:03d}")
        git("clone", "-q", "--no-local", real, p)
        commit(p, "COPY.md", f"copy {i}\n", f"copy {i}")
        names.append(p)
    with open(os.path.join(work, "repos.txt"), "w") as f:
        for p in names:
            f.write(f"file://{p} name={os.path.basename(p)}\n")
    return names


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss * 1024, "code": code, "stderr": err[-2000:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=150)
    ap.add_argument("--forks", type=int, default=40)
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--real", default="/work/.mirror/BurntSushi+ripgrep/repo")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--work", default=os.path.join(HERE, "work", "org"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    subprocess.run(["cargo", "build", "-q", "--release"], cwd=TOP, check=True)
    kh = os.path.join(TOP, "target", "release", "keyhound")
    repos = build(a.work, a.small, a.forks, a.copies, a.real)
    print(f"{len(repos)} repositories under {a.work}/src, {os.cpu_count()} cores",
          file=sys.stderr)
    cache, state = os.path.join(a.work, "cache"), os.path.join(a.work, "state.db")
    for p in (cache, state):
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    org = (f"{kh} org --repos {a.work}/repos.txt --cache {cache} --state {state} "
           f"--jobs {a.jobs} --format json -o {a.work}/REPORT.json")
    rows = []

    def phase(label, cmd, report=None):
        r = timed(cmd)
        r["label"] = label
        if report:
            with open(report) as f:
                doc = json.load(f)
            r["blobs"] = doc.get("stats", {}).get("blobs_scanned")
            r["findings"] = len(doc.get("findings", []))
        assert r["code"] in (0, 1), f"{label}: exit {r['code']}: {r['stderr']}"
        rows.append(r)
        print(f"{label}: {r['wall']:.2f} s", file=sys.stderr)

    phase("org, first night (clone + full scan)",
          org.replace("REPORT", "first"), f"{a.work}/first.json")
    phase("org, unchanged night", org.replace("REPORT", "second"), f"{a.work}/second.json")
    for p in repos[:: max(1, len(repos) // 10)][:10]:
        commit(p, "tonight.env", f"TOKEN={KEY}\n", "tonight")
    phase("org, 10 repositories with a new commit",
          org.replace("REPORT", "third"), f"{a.work}/third.json")
    # The same repositories scanned one by one with `keyhound git`, as a
    # team without `org` would (jobs at a time).
    listing = os.path.join(a.work, "paths.txt")
    with open(listing, "w") as f:
        f.write("\n".join(repos) + "\n")
    phase(f"keyhound git on each repository ({a.jobs} at a time)",
          f"xargs -P {a.jobs} -I{{}} sh -c '{kh} git {{}} --format json -o /dev/null; "
          f"[ $? -le 1 ]' < {listing}")
    # What a nightly `keyhound git` needs first: the mirrors brought up to
    # date, the same `git fetch --prune` org runs.
    mirrors = os.path.join(a.work, "mirrors.txt")
    with open(mirrors, "w") as f:
        f.write("\n".join(os.path.join(cache, d) for d in sorted(os.listdir(cache))) + "\n")
    phase(f"git fetch + keyhound git on each mirror ({a.jobs} at a time)",
          f"xargs -P {a.jobs} -I{{}} sh -c 'git -C {{}} fetch -q --prune; {kh} git {{}} "
          f"--format json -o /dev/null; [ $? -le 1 ]' < {mirrors}")
    if shutil.which("kingfisher"):
        phase("kingfisher scan of every repository (its multi-path mode)",
              f"kingfisher scan {' '.join(repos)} -n --no-update-check -q "
              f"--git-history full --format json -o /dev/null; [ $? -ne 2 ] || exit 2")
    first = rows[0]["wall"]
    second = rows[1]["wall"]
    print("| run | wall s | CPU s | peak RSS MiB | blobs scanned | findings | this / first night | this / unchanged night |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss'] / 2**20:.0f} "
              f"| {r.get('blobs', '')} | {r.get('findings', '')} | {r['wall'] / first:.2f}x "
              f"| {r['wall'] / second:.1f}x |")
    with open(os.path.join(a.work, "org.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
