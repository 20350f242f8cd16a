#!/usr/bin/env python3
"""The public face compiles as a user of the library sees it.

Compiles one file that includes every header under include/cpns/, with only
include/ and the given third-party include directories (abseil, OpenSSL) on
the path, and fails when that does not compile or when any header it pulls in
is spdlog's, fmt's or one of the tree outside include/.

  public_headers.py --cxx CXX --include DIR [--dirs 'DIR;DIR...']...
"""

import argparse
import os
import subprocess
import sys
import tempfile

FORBIDDEN = ("/spdlog/", "/fmt/")


def public_headers(include_dir):
    found = []
    for dirpath, _, files in os.walk(os.path.join(include_dir, "cpns")):
        found.extend(os.path.relpath(os.path.join(dirpath, f), include_dir)
                     for f in files if f.endswith(".h"))
    return sorted(found)


def dependencies(make_rule):
    """The files of a make rule written by -M."""
    words = make_rule.replace("\\\n", " ").split()
    return [os.path.realpath(w) for w in words[1:]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--include", required=True, help="the tree's include/ folder")
    parser.add_argument("--dirs", action="append", default=[],
                        help="third-party include folders, ';'-separated")
    args = parser.parse_args()
    include = os.path.realpath(args.include)
    source_root = os.path.dirname(include)
    headers = public_headers(include)
    # The compiler's own folders are searched anyway (and -isystem on them
    # breaks libstdc++'s #include_next); on Debian abseil is there too, which
    # is why the dependency list, not the path, proves that no spdlog is used.
    third_party = []
    for d in (d for arg in args.dirs for d in arg.split(";")):
        if d and d not in third_party and d not in ("/usr/include", "/usr/local/include"):
            third_party.append(d)
    with tempfile.TemporaryDirectory(prefix="public-headers.") as tmp:
        tu = os.path.join(tmp, "user.cc")
        with open(tu, "w") as f:
            f.write("".join(f'#include "{h}"\n' for h in headers))
            f.write("int main() { return 0; }\n")
        flags = ["-std=c++20", f"-I{include}"] + [f"-isystem{d}" for d in third_party]
        for mode in (["-fsyntax-only"], ["-M"]):
            run = subprocess.run([args.cxx, *flags, *mode, tu], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"public headers do not compile alone:\n{run.stderr}")
    bad = [d for d in dependencies(run.stdout)
           if any(m in d for m in FORBIDDEN)
           or (d.startswith(source_root + os.sep) and not d.startswith(include + os.sep))]
    if bad:
        print("public headers pull in what a user of the library must not need:")
        print("\n".join(f"  {d}" for d in bad))
        return 1
    print(f"public headers: {len(headers)} headers compile with include/ alone, "
          "no spdlog, fmt or private header")
    return 0


if __name__ == "__main__":
    sys.exit(main())
