#!/usr/bin/env python3
"""Checks the configuration samples of packaging/etc against the real programs.

  1. Every flag of `PROGRAM serve --help` is a key of the sample's [serve]
     section, and the program's own flags (--log-level, --log-format) keys
     before it, commented out or not; and every key is such a flag: the CLI
     ignores a key it does not know, so a misspelt one would be lost silently.
  2. The sample as shipped gets through the program's parser: run with the
     flags a unit or an operator adds (a KEK made by `cpns-server init`, a
     scratch store or state directory), it fails only on a file it names that
     a package install has and this machine lacks (under /etc/cpns/), with
     exit 1, never a usage error (exit 2).
  3. So does the sample with every commented-out example turned on: each
     example value passes the flag's checks (durations, ranges, choices).

  check_config_samples.py --samples DIR --bin-dir DIR --scratch DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

KEY_RE = re.compile(r"^#?([a-z][a-z0-9-]*) = ")
SECTION_RE = re.compile(r"^\[([a-z-]+)\]")
NOT_CONFIG = {"--help", "--version", "--config"}
# Example keys left off when all are turned on, and why.
EXCLUSIVE = {"uplink-pairing-code"}  # excludes uplink-pairing-code-file, its better form


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def option_flags(help_text):
    """Long flags at the start of each option line of a CLI11 --help; the
    negated form of a flag pair (--no-x) is the same key."""
    flags = set()
    for line in help_text.splitlines():
        m = re.match(r"^\s+(-\w,)?(--[a-z0-9-]+)", line)
        if m and m.group(2) not in NOT_CONFIG:
            flags.add(m.group(2)[2:])
    return flags


def sample_keys(path):
    """{section (None before the first): set of keys}, commented or not."""
    keys, section = {None: set()}, None
    with open(path) as f:
        for line in f:
            s = SECTION_RE.match(line)
            if s:
                section = s.group(1)
                keys.setdefault(section, set())
            k = KEY_RE.match(line)
            if k:
                keys[section].add(k.group(1))
    return keys


def check_keys(program, sample):
    top = option_flags(run([program, "--help"]).stdout)
    serve = option_flags(run([program, "serve", "--help"]).stdout)
    keys = sample_keys(sample)
    name, problems = os.path.basename(sample), []
    for where, flags, have in ((None, top, keys[None]), ("serve", serve, keys.get("serve", set()))):
        label = f"[{where}]" if where else "before [serve]"
        for flag in sorted(flags - have):
            problems.append(f"{name}: --{flag} is not documented {label}")
        for key in sorted(have - flags):
            problems.append(f"{name}: {label} key {key} is not a flag of "
                            f"`{os.path.basename(program)}{' serve' if where else ''} --help`")
    return problems


def all_examples_on(sample, out):
    with open(sample) as f, open(out, "w") as w:
        for line in f:
            k = KEY_RE.match(line)
            if k and k.group(1) in EXCLUSIVE:
                continue
            w.write(line[1:] if line.startswith("#") and k else line)


def expect_fails_on_etc_file(name, argv):
    r = run(argv)
    if r.returncode == 1 and "/etc/cpns/" in r.stderr:
        return []
    return [f"{name}: expected exit 1 on a missing file under /etc/cpns/ from "
            f"{' '.join(argv)}; got exit {r.returncode}:\n{r.stderr}"]


def check_server(bin_dir, sample, scratch):
    program = os.path.join(bin_dir, "cpns-server")
    kek = os.path.join(scratch, "kek")
    if not os.path.exists(kek):
        r = run([program, "init", "--kek-file", kek])
        if r.returncode != 0:
            return [f"cpns-server init: {r.stderr}"]
    overrides = ["--kek-file", kek, "--db", os.path.join(scratch, "seeds.db")]
    every = os.path.join(scratch, "server-all.toml")
    all_examples_on(sample, every)
    return (expect_fails_on_etc_file("server.toml", [program, "--config", sample, "serve", *overrides])
            + expect_fails_on_etc_file("server.toml, all examples on",
                                       [program, "--config", every, "serve", *overrides]))


def check_gateway(bin_dir, sample, scratch):
    program = os.path.join(bin_dir, "cpns-gw")
    local = ["--state-dir", os.path.join(scratch, "gw-state"), "--seal-key-file",
             os.path.join(scratch, "gw-seal-key"), "--pn-listen",
             "unix:" + os.path.join(scratch, "gw.sock")]
    problems = []
    # As shipped, the gateway's identity is left to the operator, and said so.
    r = run([program, "--config", sample, "serve", *local])
    if r.returncode != 2 or "--gw-id" not in r.stderr:
        problems.append(f"gw.toml: expected a usage error naming --gw-id, got exit "
                        f"{r.returncode}:\n{r.stderr}")
    identity = ["--gw-id", "gw-0001", "--server", "127.0.0.1:1"]
    problems += expect_fails_on_etc_file("gw.toml", [program, "--config", sample, "serve",
                                                     *identity, *local])
    every = os.path.join(scratch, "gw-all.toml")
    all_examples_on(sample, every)
    return problems + expect_fails_on_etc_file("gw.toml, all examples on",
                                               [program, "--config", every, "serve", *local])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--scratch", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch, mode=0o700)
    server_toml = os.path.join(args.samples, "server.toml")
    gw_toml = os.path.join(args.samples, "gw.toml")
    problems = (check_keys(os.path.join(args.bin_dir, "cpns-server"), server_toml)
                + check_keys(os.path.join(args.bin_dir, "cpns-gw"), gw_toml)
                + check_server(args.bin_dir, server_toml, args.scratch)
                + check_gateway(args.bin_dir, gw_toml, args.scratch))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("check_config_samples: server.toml and gw.toml document every flag and parse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
