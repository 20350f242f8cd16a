#!/usr/bin/env python3
"""scripts/bench cannot drift from the benchmarks it runs.

Every goal of bench/run.py names two benchmarks; both must exist in the
binary it names (as that binary lists them), and the goals must be exactly
the ones docs/BENCHMARKS.md reports. Times nothing: benchmarks are never
part of the tests.
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys


def load_runner(path):
    spec = importlib.util.spec_from_file_location("bench_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("--doc", required=True)
    args = ap.parse_args()
    run = load_runner(args.runner)
    errors = []
    listed = {}
    for goal in run.GOALS:
        binary = os.path.join(args.bench_dir, goal.binary)
        if goal.binary not in listed:
            # The PostgreSQL benchmarks are listed only with a server named;
            # listing connects to nothing (their rigs are made on first use).
            env = dict(os.environ, CPNS_BENCH_PG_URL="postgresql://unused@127.0.0.1:9/unused")
            out = subprocess.run([binary, "--benchmark_list_tests"], check=True, env=env,
                                 capture_output=True, text=True, timeout=120)
            listed[goal.binary] = set(out.stdout.split())
        for name in (goal.cpns, goal.ceiling):
            if name not in listed[goal.binary]:
                errors.append(f"goal {goal.name}: {goal.binary} has no benchmark {name}")
    names = [g.name for g in run.GOALS] + [run.STARTUP.name]
    if len(set(names)) != len(names):
        errors.append(f"goal names repeat: {names}")
    with open(args.doc, encoding="utf-8") as f:
        doc = f.read()
    documented = set(re.findall(r"^ratio (\w+) ", doc, re.MULTILINE))
    if documented != set(names):
        errors.append(f"docs/BENCHMARKS.md reports {sorted(documented)}, bench/run.py measures "
                      f"{sorted(names)}")
    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print(f"{len(names)} goals, {sum(2 for _ in run.GOALS)} benchmarks found")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
