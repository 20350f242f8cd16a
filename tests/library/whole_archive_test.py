#!/usr/bin/env python3
"""libcpns.a needs nothing it does not declare.

Installs the dev component into a temporary prefix, then links ALL of
libcpns.a (--whole-archive) into a shared object with --no-undefined, once
with exactly the flags `pkg-config --static --libs cpns` gives and once
through the CMake package (cpns::cpns): every object of the archive must
resolve against the declared dependencies, not only those the example
happens to pull in. Also: the archive holds no object of the daemons' side
and references no logging, database, HTTP or metrics library.

  whole_archive_test.py --build-dir B --cmake CMAKE --generator G --cxx CXX
      [--flags 'SANITIZER FLAGS']
"""

import argparse
import os
import re
import shlex
import sys
import tempfile

from installed_library_test import expect, install, run

# Symbols of libraries the client must never need (demangled names).
FORBIDDEN = re.compile(r"\b(spdlog::|fmt::|sqlite3_\w+|PQ[a-z]\w*|mg_\w+|prometheus::)")
# Objects of cpns_wire_server: the daemons' side of the wire.
SERVER_OBJECTS = ("listener", "listen_socket", "connection_table", "unix_peers", "preface_gate",
                  "health", "tls_reload", "crl", "mem_file")
CMAKE_PROJECT = """cmake_minimum_required(VERSION 3.25)
project(whole_archive LANGUAGES CXX)
find_package(cpns REQUIRED)
file(WRITE ${CMAKE_BINARY_DIR}/empty.cc "")
add_library(whole SHARED ${CMAKE_BINARY_DIR}/empty.cc)
target_link_libraries(whole PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,cpns::cpns>")
target_link_options(whole PRIVATE -Wl,--no-undefined)
"""


def check_contents(archive):
    members = run(["ar", "t", archive]).stdout.split()
    shipped = [m for m in members if m.removesuffix(".o").removesuffix(".cc") in SERVER_OBJECTS]
    expect(not shipped, f"libcpns.a holds objects of the daemons' side: {shipped}")
    symbols = run(["nm", "-C", archive]).stdout
    found = sorted({m.group(1) for m in FORBIDDEN.finditer(symbols)})
    expect(not found, f"libcpns.a references libraries it does not declare: {found[:10]}")


def link_with_pkg_config(args, pkg_env, out):
    flags = shlex.split(run(["pkg-config", "--static", "--libs", "cpns"], env=pkg_env).stdout)
    expect("-lcpns" in flags, f"pkg-config --libs cpns gives no -lcpns: {flags}")
    whole = ["-Wl,--whole-archive", "-lcpns", "-Wl,--no-whole-archive"]
    at = flags.index("-lcpns")
    flags[at:at + 1] = whole
    empty = os.path.join(out, "empty.cc")
    open(empty, "w").close()
    library = os.path.join(out, "libwhole_pc.so")
    run([args.cxx, "-shared", "-fPIC", *shlex.split(args.flags), "-o", library, empty,
         "-Wl,--no-undefined", *flags])
    expect(os.path.isfile(library), "no shared object was linked through pkg-config")


def link_with_cmake(args, prefix, out):
    source = os.path.join(out, "project")
    os.makedirs(source)
    with open(os.path.join(source, "CMakeLists.txt"), "w") as f:
        f.write(CMAKE_PROJECT)
    build = os.path.join(out, "build-cmake")
    run([args.cmake, "-S", source, "-B", build, "-G", args.generator,
         f"-DCMAKE_PREFIX_PATH={prefix}", f"-DCMAKE_CXX_COMPILER={args.cxx}",
         f"-DCMAKE_CXX_FLAGS={args.flags}", f"-DCMAKE_SHARED_LINKER_FLAGS={args.flags}"])
    built = run([args.cmake, "--build", build, "--verbose"]).stdout
    expect("--whole-archive" in built, "the CMake build did not link libcpns.a whole")


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--build-dir", "--cmake", "--generator", "--cxx"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--flags", default="", help="sanitizer flags the library was built with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cpns-whole-archive.") as scratch:
        prefix = os.path.join(scratch, "prefix")
        libdir = install(args, prefix)
        check_contents(os.path.join(prefix, libdir, "libcpns.a"))
        pkg_env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, libdir, "pkgconfig"))
        link_with_pkg_config(args, pkg_env, scratch)
        link_with_cmake(args, prefix, scratch)
    print("ok: all of libcpns.a links into a shared object with --no-undefined through "
          "pkg-config and through the CMake package, and it needs no undeclared library")
    return 0


if __name__ == "__main__":
    sys.exit(main())
