#!/usr/bin/env python3
"""Checks the systemd units of packaging/systemd without starting them (systemd
need not be PID 1 here), with the real programs of the build:

  1. `systemd-analyze security --offline=yes` rates each unit at an overall
     exposure of 2.0 or lower (the tool's own --threshold, and its verdict
     line read back);
  2. `systemd-analyze verify` passes in a staged root (the programs at
     /usr/bin, /bin/kill, the host's units for the targets named), with
     nothing printed: it checks that each Exec*= binary exists and warns about
     unknown keys, which it does not count as failure;
  3. every flag of ExecStart= is a flag of the program (its --help, and the
     subcommand's), and each ${CREDENTIALS_DIRECTORY}/ID it names is loaded
     by a LoadCredential=ID:... of the same unit.

  check_units.py --units DIR --bin-dir DIR --scratch DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

MAX_EXPOSURE = 2.0
UNITS = ("cpns-server.service", "cpns-gw.service")


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def directives(path, key):
    """The values of `key`= in the unit file, in order."""
    with open(path) as f:
        return [line.split("=", 1)[1].strip() for line in f if line.startswith(key + "=")]


def check_security(path):
    threshold = int(MAX_EXPOSURE * 10)  # the tool's scale: exposure 2.0 is 20
    r = run(["systemd-analyze", "security", "--offline=yes", f"--threshold={threshold}",
             "--no-pager", path])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    if not m:
        return [f"{path}: no overall exposure in systemd-analyze's answer:\n{r.stdout}"]
    problems = []
    if float(m.group(1)) > MAX_EXPOSURE or r.returncode != 0:
        problems.append(f"{os.path.basename(path)}: exposure {m.group(1)} is over "
                        f"{MAX_EXPOSURE} (exit {r.returncode}); what counts:\n" +
                        "\n".join(l for l in r.stdout.splitlines() if l.startswith("✗")))
    return problems


def stage_root(root, units_dir, bin_dir):
    """A root with the host's units (for the targets), ours, the programs and kill."""
    if os.path.exists(root):
        shutil.rmtree(root)
    shutil.copytree("/lib/systemd/system", os.path.join(root, "lib/systemd/system"),
                    symlinks=True)
    for unit in UNITS:
        shutil.copy(os.path.join(units_dir, unit), os.path.join(root, "lib/systemd/system"))
    for d in ("usr/bin", "bin"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for program in ("cpns-server", "cpns-gw"):
        target = os.path.join(root, "usr/bin", program)
        try:
            os.link(os.path.join(bin_dir, program), target)  # no copy of a large binary
        except OSError:
            shutil.copy2(os.path.join(bin_dir, program), target)
    shutil.copy2(shutil.which("kill") or "/bin/kill", os.path.join(root, "bin/kill"))


def check_verify(root):
    r = run(["systemd-analyze", "verify", "--man=no", f"--root={root}", *UNITS])
    if r.returncode != 0 or r.stdout.strip():
        return [f"systemd-analyze verify (exit {r.returncode}):\n{r.stdout}"]
    return []


def help_flags(argv):
    r = run(argv + ["--help"])
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", r.stdout))


def check_exec_start(path, bin_dir):
    """Each flag before the subcommand is the program's, each after it the
    subcommand's. The subcommand is the first word that is neither a flag nor
    a flag's value (every flag before it takes one: --config FILE)."""
    unit = os.path.basename(path)
    (exec_start,) = directives(path, "ExecStart")
    words = exec_start.split()
    program = os.path.join(bin_dir, os.path.basename(words[0]))
    known, where, sub = help_flags([program]), f"{words[0]} --help", None
    problems = []
    for i, word in enumerate(words[1:], start=1):
        if word.startswith("-"):
            if word.split("=", 1)[0] not in known:
                problems.append(f"{unit}: ExecStart flag {word} is not in `{where}`")
        elif sub is None and not words[i - 1].startswith("-"):
            sub = word
            known, where = help_flags([program, sub]), f"{words[0]} {sub} --help"
    if sub is None:
        problems.append(f"{unit}: ExecStart names no subcommand: {exec_start}")
    loaded = {c.split(":", 1)[0] for c in directives(path, "LoadCredential")}
    for cred in re.findall(r"\$\{CREDENTIALS_DIRECTORY\}/([\w.-]+)", exec_start):
        if cred not in loaded:
            problems.append(f"{unit}: ExecStart reads credential {cred}, but no "
                            f"LoadCredential={cred}:... loads it")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--scratch", required=True)
    args = parser.parse_args()
    if not shutil.which("systemd-analyze"):
        sys.exit("systemd-analyze not found: run scripts/install-deps (Debian package systemd)")
    problems = []
    for unit in UNITS:
        path = os.path.join(args.units, unit)
        problems += check_security(path)
        problems += check_exec_start(path, args.bin_dir)
    stage_root(args.scratch, args.units, args.bin_dir)
    problems += check_verify(args.scratch)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"check_units: {', '.join(UNITS)}: exposure <= {MAX_EXPOSURE}, verify clean, "
          "ExecStart flags and credentials known")
    return 0


if __name__ == "__main__":
    sys.exit(main())
