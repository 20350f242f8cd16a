#!/usr/bin/env python3
"""Runs each cpns figure interleaved with its ceiling and prints the ratios.

Called by scripts/bench, which builds the binaries and starts PostgreSQL.
Each goal is a pair of Google Benchmark functions (or of programs, for the
start-up goal) run alternately, round after round, so that both sides see
the same moment of a shared machine; a goal's value is the median of the
per-round ratios. The last lines are `ratio <name> <value>`, one per goal.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Goal:
    name: str
    binary: str            # in <build>/bench, or "" for the start-up goal
    cpns: str              # benchmark name (exact) of the cpns figure
    ceiling: str           # benchmark name (exact) of its ceiling
    target: str            # the goal, as text: ">= 0.85"
    # "rate": cpns items/s over ceiling items/s (higher is better);
    # "time": cpns time over ceiling time (lower is better).
    kind: str = "rate"
    needs_pg: bool = False
    counters: list = field(default_factory=list)  # user counters to show


GOALS = [
    Goal("assignment_vs_echo_1", "cpns_assignment_bench",
         "BM_AssignEUKeyOverUnixSocket/real_time/threads:1",
         "BM_EchoOverUnixSocket/real_time/threads:1", ">= 0.85",
         counters=["p50_us", "p99_us"]),
    Goal("assignment_vs_echo_4", "cpns_assignment_bench",
         "BM_AssignEUKeyOverUnixSocket/real_time/threads:4",
         "BM_EchoOverUnixSocket/real_time/threads:4", ">= 0.85",
         counters=["p50_us", "p99_us"]),
    Goal("auth_vs_echo_1", "cpns_auth_bench",
         "BM_AuthenticateOverTls/real_time/threads:1",
         "BM_EchoPairOverTls/real_time/threads:1", ">= 0.85"),
    Goal("auth_vs_echo_4", "cpns_auth_bench",
         "BM_AuthenticateOverTls/real_time/threads:4",
         "BM_EchoPairOverTls/real_time/threads:4", ">= 0.85"),
    Goal("derivation_vs_hmac", "cpns_kdf_bench",
         "BM_FullAssignmentDerivation", "BM_TwoHmacLimit", ">= 0.6"),
    Goal("sqlite_issue_vs_commit_8", "cpns_store_bench",
         "sqlite/IssueFirstSeedNewGateway/real_time/threads:8",
         "sqlite/RawOneRowCommit/real_time/threads:8", ">= 3"),
    Goal("pg_issue_vs_commit_8", "cpns_store_bench",
         "postgres/IssueFirstSeedNewGateway/real_time/threads:8",
         "postgres/RawOneRowCommit/real_time/threads:8", ">= 2", needs_pg=True),
    Goal("lookup_1m_vs_1k", "cpns_store_bench",
         "sqlite/LookUpKnownGateway1M/real_time",
         "sqlite/LookUpKnownGateway1K/real_time", "<= 1.2", kind="time",
         counters=["rss_anon_mib", "max_rss_mib"]),
]

STARTUP = Goal("cli_startup_ms_over_true", "", "cpns-pne --version", "/bin/true", "<= 3",
               kind="ms")


def run_benchmark(path, name, min_time, env):
    """One process, one benchmark; returns its JSON entry."""
    filt = "^" + name + "$"
    out = subprocess.run(
        [path, f"--benchmark_filter={filt}", "--benchmark_format=json",
         f"--benchmark_min_time={min_time}"],
        check=True, capture_output=True, text=True, env=env, timeout=600)
    entries = [b for b in json.loads(out.stdout)["benchmarks"] if b["name"] == name]
    if not entries:
        raise RuntimeError(f"{os.path.basename(path)} has no benchmark named {name}")
    entry = entries[0]
    if entry.get("error_occurred"):
        raise RuntimeError(f"{name}: {entry.get('error_message')}")
    return entry


def figure(entry, kind):
    if kind == "rate":
        if "items_per_second" not in entry:
            raise RuntimeError(f"{entry['name']} reports no items_per_second")
        return entry["items_per_second"]
    return entry["real_time"]  # in the entry's time_unit, the same on both sides


def spawn_ms(argv, env):
    start = time.perf_counter_ns()
    quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=quiet)
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {status}")
    return elapsed


def startup_rounds(build, calls, env):
    """Median of (cpns-pne --version) - (/bin/true), spawned alternately."""
    pne = [os.path.join(build, "bin", "cpns-pne"), "--version"]
    true = ["/bin/true"]
    for argv in (pne, true):  # warm the page cache
        spawn_ms(argv, env)
    diffs, pne_ms, true_ms = [], [], []
    for _ in range(calls):
        a = spawn_ms(pne, env)
        b = spawn_ms(true, env)
        pne_ms.append(a)
        true_ms.append(b)
        diffs.append(a - b)
    return statistics.median(pne_ms), statistics.median(true_ms), statistics.median(diffs)


def fmt(entry, kind):
    if kind == "rate":
        return f"{entry['items_per_second']:,.0f}/s"
    return f"{entry['real_time']:,.2f} {entry['time_unit']}"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated goal names")
    args = ap.parse_args()
    rounds, min_time, calls = (3, 0.5, 300) if args.quick else (7, 2, 2000)
    env = dict(os.environ)
    have_pg = bool(env.get("CPNS_BENCH_PG_URL"))
    only = set(filter(None, args.only.split(",")))
    goals = [g for g in GOALS if not only or g.name in only]
    ratios = {g.name: [] for g in goals}
    last = {}
    for r in range(rounds):
        for g in goals:
            if g.needs_pg and not have_pg:
                continue
            path = os.path.join(args.build, "bench", g.binary)
            sides = [g.cpns, g.ceiling] if r % 2 == 0 else [g.ceiling, g.cpns]
            got = {name: run_benchmark(path, name, min_time, env) for name in sides}
            ratios[g.name].append(figure(got[g.cpns], g.kind) / figure(got[g.ceiling], g.kind))
            last[g.name] = got
            print(f"round {r + 1}/{rounds} {g.name}: {ratios[g.name][-1]:.3f}", file=sys.stderr)
    results = []
    print(f"\n{'goal':<26} {'cpns (last round)':>22} {'ceiling (last round)':>22} "
          f"{'rounds':>24} {'median':>7}  target")
    for g in goals:
        if not ratios[g.name]:
            print(f"{g.name:<26} skipped (no PostgreSQL: CPNS_BENCH_PG_URL unset)")
            continue
        got = last[g.name]
        value = statistics.median(ratios[g.name])
        rounds_text = " ".join(f"{x:.2f}" for x in ratios[g.name])
        print(f"{g.name:<26} {fmt(got[g.cpns], g.kind):>22} {fmt(got[g.ceiling], g.kind):>22} "
              f"{rounds_text:>24} {value:>7.3f}  {g.target}")
        for c in g.counters:
            shown = [f"{side}={got[n][c]:.1f}" for side, n in (("cpns", g.cpns), ("ceiling", g.ceiling))
                     if c in got[n]]
            if shown:
                print(f"{'':<26}   {c}: {' '.join(shown)}")
        results.append((g.name, value))
    if not only or STARTUP.name in only:
        pne, true, diff = startup_rounds(args.build, calls, env)
        print(f"{STARTUP.name:<26} {pne:>20.2f}ms {true:>20.2f}ms {calls:>17} calls {diff:>7.3f}  "
              f"{STARTUP.target} ms")
        results.append((STARTUP.name, diff))
    print()
    for name, value in results:
        print(f"ratio {name} {value:.3f}")


if __name__ == "__main__":
    main()
