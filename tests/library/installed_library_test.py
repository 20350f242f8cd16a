#!/usr/bin/env python3
"""The installed client library, as a device maker uses it.

Installs the dev component into a temporary prefix, checks what was
installed, builds examples/request_and_authenticate against it out of tree
through find_package(cpns) and through pkg-config (after moving the prefix,
which proves it relocatable), then runs both builds against a real
cpns-server and cpns-gw: each must get an EUKey and authenticate with it.

  installed_library_test.py --build-dir B --source-dir S --cmake CMAKE
      --generator G --cxx CXX --incompatible-version V [--flags 'SANITIZER FLAGS']
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

EXAMPLE = "examples/request_and_authenticate"
DEADLINE = 60  # seconds, for every wait and every command


def run(argv, env=None, cwd=None, check=True):
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=DEADLINE * 5)
    if check and result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {shlex.join(argv)}\n{result.stdout}{result.stderr}")
    return result


def expect(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")


def install(args, prefix):
    run([args.cmake, "--install", args.build_dir, "--prefix", prefix, "--component", "dev"])
    libdir = os.path.dirname(find_one(prefix, "libcpns.a"))
    for rel in ("include/cpns/assignee/eukey_client.h", "include/cpns/assignee/auth_client.h",
                "include/cpns/core/identifiers.h", "share/cpns/proto/cpns/v1/cpns.proto"):
        expect(os.path.isfile(os.path.join(prefix, rel)), f"{rel} is not installed")
    for rel in ("cmake/cpns/cpnsConfig.cmake", "cmake/cpns/cpnsConfigVersion.cmake",
                "cmake/cpns/cpnsTargets.cmake", "pkgconfig/cpns.pc"):
        expect(os.path.isfile(os.path.join(libdir, rel)), f"{rel} is not installed in {libdir}")
    installed = [os.path.join(d, f) for d, _, fs in os.walk(prefix) for f in fs]
    expect(not any(f.endswith((".cc", "_test.h")) or "/src/" in f for f in installed),
           "sources or private headers were installed")
    return os.path.relpath(libdir, prefix)


def find_one(root, name):
    found = [os.path.join(d, name) for d, _, fs in os.walk(root) if name in fs]
    expect(len(found) == 1, f"expected one {name} under {root}, found {found}")
    return found[0]


def check_no_absolute_paths(args, prefix, libdir):
    """The package files name no folder of this build and not the prefix."""
    roots = {os.path.realpath(p) for p in (args.build_dir, args.source_dir, prefix)}
    for d, _, files in os.walk(os.path.join(prefix, libdir)):
        for f in files:
            if f.endswith((".cmake", ".pc")):
                text = open(os.path.join(d, f)).read()
                for root in roots:
                    expect(root not in text, f"{f} names the absolute path {root}")


def check_headers_alone(args, prefix, pkg_env):
    """Every installed header compiles with the installed include dir and the
    cflags of its declared dependencies alone."""
    headers = sorted(os.path.relpath(os.path.join(d, f), os.path.join(prefix, "include"))
                     for d, _, fs in os.walk(os.path.join(prefix, "include")) for f in fs)
    tu = os.path.join(prefix, "..", "all_headers.cc")
    with open(tu, "w") as f:
        f.write("".join(f'#include "{h}"\n' for h in headers))
    cflags = shlex.split(run(["pkg-config", "--cflags", "cpns"], env=pkg_env).stdout)
    run([args.cxx, "-std=c++20", "-fsyntax-only", *cflags, tu])


def build_with_cmake(args, prefix, out):
    example = os.path.join(args.source_dir, EXAMPLE)
    run([args.cmake, "-S", example, "-B", out, "-G", args.generator,
         f"-DCMAKE_PREFIX_PATH={prefix}", f"-DCMAKE_CXX_COMPILER={args.cxx}",
         f"-DCMAKE_CXX_FLAGS={args.flags}", f"-DCMAKE_EXE_LINKER_FLAGS={args.flags}"])
    run([args.cmake, "--build", out])
    return os.path.join(out, "request_and_authenticate")


def build_with_pkg_config(args, pkg_env, out):
    os.makedirs(out)
    example = os.path.join(args.source_dir, EXAMPLE)
    run(["make", "-f", os.path.join(example, "Makefile"), f"VPATH={example}",
         f"CXX={args.cxx}", f"CXXFLAGS=-O1 {args.flags}", f"LDFLAGS={args.flags}"],
        env=pkg_env, cwd=out)
    return os.path.join(out, "request_and_authenticate")


def check_version_policy(args, prefix, scratch):
    """The version file refuses what the compatibility policy calls
    incompatible (docs/COMPATIBILITY.md): the next minor version while the
    major is 0, the next major after that."""
    project = os.path.join(scratch, "version-probe")
    os.makedirs(project)
    with open(os.path.join(project, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.25)\nproject(probe LANGUAGES NONE)\n"
                "find_package(cpns ${WANT} REQUIRED)\n")
    probe = lambda want: run([args.cmake, "-S", project, "-B", os.path.join(project, "b" + want),
                              f"-DWANT={want}", f"-DCMAKE_PREFIX_PATH={prefix}"], check=False)
    refused = probe(args.incompatible_version)
    expect(refused.returncode != 0 and "compatible with requested version" in " ".join(refused.stderr.split()),
           f"find_package(cpns {args.incompatible_version}) was not refused by the version file")


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--build-dir", "--source-dir", "--cmake", "--generator", "--cxx",
                 "--incompatible-version"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--flags", default="", help="sanitizer flags the library was built with")
    args = parser.parse_args()
    # The daemons, deployed the way the integration tests do.
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    import deployment

    with tempfile.TemporaryDirectory(prefix="cpns-library.") as scratch:
        prefix = os.path.join(scratch, "prefix")
        libdir = install(args, prefix)
        check_no_absolute_paths(args, prefix, libdir)
        check_version_policy(args, prefix, scratch)
        by_cmake = build_with_cmake(args, prefix, os.path.join(scratch, "build-cmake"))

        moved = os.path.join(scratch, "moved-prefix")
        os.rename(prefix, moved)
        pkg_env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(moved, libdir, "pkgconfig"))
        check_headers_alone(args, moved, pkg_env)
        moved_cmake = build_with_cmake(args, moved, os.path.join(scratch, "build-cmake-moved"))
        by_pkg_config = build_with_pkg_config(args, pkg_env, os.path.join(scratch, "build-pc"))

        with deployment.Deployment(os.path.join(args.build_dir, "bin"), scratch) as cpns:
            for n, example in enumerate((by_cmake, moved_cmake, by_pkg_config)):
                deployment.check_example(example, cpns.gateway, f"device-{n}")
            refused = run([by_pkg_config, "unix:" + os.path.join(scratch, "none.sock"),
                           "device-x", "alice"], check=False)
            expect(refused.returncode == 1 and refused.stderr.startswith("request: "),
                   f"the example reported no failure without a gateway: {refused}")
    print("ok: installed, relocated, built via find_package and pkg-config, "
          "and each build got an EUKey and authenticated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
