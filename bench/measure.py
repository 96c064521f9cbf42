#!/usr/bin/env python3
"""Times commands against a baseline measured in the same run.

Usage: measure.py --runs N --label NAME --baseline NAME -- NAME=CMD [NAME=CMD ...]

Each round runs every command once, in turn (so drift on a shared machine
hits all of them alike); the report gives each command's median wall time,
its peak RSS and CPU time (user + system, from wait4), each as a ratio to
the baseline, and the 1-minute load average before each round (other
users' work shows there). CPU time is the steadier number on a loaded
machine: it does not count time spent waiting for a core. Output is a
Markdown table on stdout and JSON in --json FILE.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux; with a shell wrapper it is the largest
    # process in the tree that the shell waited for.
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss * 1024, cpu, code, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--json")
    ap.add_argument("--ok-codes", default="0,1")
    ap.add_argument("commands", nargs="+")
    args = ap.parse_args()
    ok = {int(c) for c in args.ok_codes.split(",")}
    cmds = []
    for spec in args.commands:
        name, _, cmd = spec.partition("=")
        cmds.append((name, cmd))
    if args.baseline not in {n for n, _ in cmds}:
        sys.exit(f"baseline {args.baseline} is not one of the commands")
    results = {n: {"wall": [], "rss": [], "cpu": []} for n, _ in cmds}
    loads = []
    for r in range(args.runs + 1):
        load = os.getloadavg()[0]
        if r > 0:
            loads.append(load)
        print(f"  round {r}: load {load:.2f}", file=sys.stderr)
        for name, cmd in cmds:
            wall, rss, cpu, code, err = run_once(cmd)
            if code not in ok:
                sys.exit(f"{name} exited {code}: {cmd}\n{err[-2000:]}")
            if r == 0:
                continue  # warm-up round: page cache, rule caches
            results[name]["wall"].append(wall)
            results[name]["rss"].append(rss)
            results[name]["cpu"].append(cpu)
            print(f"  round {r} {name}: {wall:.3f}s cpu {cpu:.3f}s {rss / 2**20:.0f} MiB", file=sys.stderr)
    base = results[args.baseline]
    base_wall = statistics.median(base["wall"])
    base_rss = max(base["rss"])
    base_cpu = statistics.median(base["cpu"])
    rows = []
    print(f"| command | median wall (s) | wall / {args.baseline} | median CPU (s) "
          f"| CPU / {args.baseline} | peak RSS (MiB) | RSS / {args.baseline} |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, cmd in cmds:
        wall = statistics.median(results[name]["wall"])
        cpu = statistics.median(results[name]["cpu"])
        rss = max(results[name]["rss"])
        rows.append({"name": name, "cmd": cmd, "median_wall_s": wall,
                     "wall_ratio": wall / base_wall, "median_cpu_s": cpu,
                     "cpu_ratio": cpu / base_cpu, "peak_rss_bytes": rss,
                     "rss_ratio": rss / base_rss, "walls": results[name]["wall"],
                     "cpus": results[name]["cpu"], "loads": loads})
        print(f"| {name} | {wall:.3f} | {wall / base_wall:.2f} | {cpu:.2f} | {cpu / base_cpu:.2f} "
              f"| {rss / 2**20:.0f} | {rss / base_rss:.2f} |")
    print(f"\n1-minute load average before each measured round: "
          f"{', '.join(f'{l:.2f}' for l in loads)} ({os.cpu_count()} CPUs)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
