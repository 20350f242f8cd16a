#!/usr/bin/env python3
"""Builds the Debian packages of a build tree (packaging/build-debs) and checks
what each one holds with dpkg-deb, then runs lintian (no error allowed).

  check_debs.py --build BUILD_DIR --source SOURCE_DIR --version X.Y.Z
"""
import argparse
import gzip
import pathlib
import re
import subprocess
import sys
import tempfile

# Package -> (programs, unit, configuration sample).
PACKAGES = {
    "cpns-server": (["cpns-server"], "cpns-server.service", "server.toml"),
    "cpns-gateway": (["cpns-gw"], "cpns-gw.service", "gw.toml"),
    "cpns-tools": (["cpns-pne", "cpns-keytool"], None, None),
    "libcpns-dev": ([], None, None),
}
DAEMON_USERS = {"cpns-server": "_cpns-server", "cpns-gateway": "_cpns-gw"}
DAEMON_STATE = {"cpns-server": "/var/lib/cpns", "cpns-gateway": "/var/lib/cpns-gw"}


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, ok, what):
        if not ok:
            self.failures.append(what)


def files_of(deb):
    """Every regular file and symlink of the package, as absolute paths."""
    paths = []
    for line in run("dpkg-deb", "--contents", deb).splitlines():
        mode, path = line.split()[0], line.split(maxsplit=5)[5].split(" -> ")[0]
        if not mode.startswith("d"):
            paths.append(path.removeprefix("."))
    return paths


def directory_owner_and_mode(deb, path):
    """'drwxr-xr-x root/root' for the directory path of the package, or None."""
    for line in run("dpkg-deb", "--contents", deb).splitlines():
        fields = line.split(maxsplit=5)
        if fields[5].removeprefix(".").rstrip("/") == path:
            return f"{fields[0]} {fields[1]}"
    return None


def control_file(deb, name, tmp):
    out = pathlib.Path(tmp) / pathlib.Path(deb).name / "DEBIAN"
    if not out.exists():
        out.parent.mkdir(parents=True)
        run("dpkg-deb", "--control", deb, str(out))
    path = out / name
    return path.read_text() if path.exists() else None


def check_package(c, pkg, deb, source, tmp):
    programs, unit, conf = PACKAGES[pkg]
    files = files_of(deb)
    where = f"{pkg}: "
    c.expect(not [f for f in files if f.startswith("/usr/local")], where + "files under /usr/local")
    binaries = sorted(f for f in files if "/bin/" in f)
    c.expect(binaries == sorted(f"/usr/bin/{p}" for p in programs),
             where + f"programs {binaries}, expected {programs}")
    for f in (f"/usr/share/doc/{pkg}/copyright", f"/usr/share/doc/{pkg}/changelog.Debian.gz"):
        c.expect(f in files, where + f"no {f}")
    for p in programs:
        page = f"/usr/share/man/man1/{p}.1.gz"
        c.expect(page in files, where + f"no man page {page}")
    # Units and samples as the source tree has them now (before or after they exist).
    etc = sorted(f for f in files if f.startswith("/etc/"))
    expected_etc = []
    if conf and (source / "packaging/etc" / conf).exists():
        expected_etc.append(f"/etc/cpns/{conf}")
    c.expect(etc == expected_etc, where + f"/etc holds {etc}, expected {expected_etc}")
    conffiles = (control_file(deb, "conffiles", tmp) or "").split()
    c.expect(sorted(conffiles) == etc, where + f"conffiles {conffiles}, files under /etc {etc}")
    units = sorted(f for f in files if "/systemd/" in f)
    expected_units = []
    if unit and (source / "packaging/systemd" / unit).exists():
        expected_units.append(f"/lib/systemd/system/{unit}")
    c.expect(units == expected_units, where + f"units {units}, expected {expected_units}")
    check_control(c, pkg, deb, tmp)


def check_control(c, pkg, deb, tmp):
    where = f"{pkg}: "
    depends = run("dpkg-deb", "--field", deb, "Depends").strip()
    if PACKAGES[pkg][0]:
        # From dpkg-shlibdeps: the programs load Debian's OpenSSL and libc;
        # gRPC, protobuf and abseil are linked in from their static archives
        # (CPNS_STATIC_DEPS), so no package of theirs may be needed.
        for lib in ("libssl3", "libc6"):
            c.expect(re.search(rf"(^|, ){re.escape(lib)}[0-9.]* ", depends) is not None,
                     where + f"Depends has no {lib}: {depends}")
        for lib in ("libgrpc", "libprotobuf", "libabsl"):
            c.expect(re.search(rf"(^|, ){re.escape(lib)}", depends) is None,
                     where + f"Depends names {lib}, which is linked statically: {depends}")
    for field in ("Section", "Priority", "Maintainer", "Description"):
        c.expect(run("dpkg-deb", "--field", deb, field).strip() != "", where + f"no {field}")
    if pkg in DAEMON_USERS:
        c.expect("adduser" in depends, where + "Depends has no adduser (postinst uses it)")
        postinst = control_file(deb, "postinst", tmp) or ""
        c.expect(f"'{DAEMON_USERS[pkg]}'" in postinst, where + "postinst does not create its user")
        postrm = control_file(deb, "postrm", tmp) or ""
        c.expect(f"rm -rf '{DAEMON_STATE[pkg]}'" in postrm, where + "postrm does not purge its state")
        for script in ("postinst", "prerm", "postrm"):
            text = control_file(deb, script, tmp) or ""
            syntax = subprocess.run(["sh", "-n"], input=text, text=True, capture_output=True)
            c.expect(text.startswith("#!/bin/sh\n") and syntax.returncode == 0,
                     where + f"{script} is not a valid sh script: {syntax.stderr}")
        tls = directory_owner_and_mode(deb, "/etc/cpns/tls")
        c.expect(tls == "drwxr-xr-x root/root", where + f"/etc/cpns/tls is {tls}")
    else:
        c.expect(control_file(deb, "postinst", tmp) is None, where + "unexpected postinst")


def check_programs(c, pkg, deb, tmp):
    """The programs are stripped and their man page documents their subcommands."""
    root = pathlib.Path(tmp) / (pkg + ".root")
    run("dpkg-deb", "--extract", deb, str(root))
    for prog in PACKAGES[pkg][0]:
        kind = run("file", "--brief", str(root / "usr/bin" / prog))
        c.expect("not stripped" not in kind and "stripped" in kind, f"{pkg}: {prog} not stripped")
        page = gzip.decompress((root / f"usr/share/man/man1/{prog}.1.gz").read_bytes()).decode()
        c.expect(page.startswith(".\\\" DO NOT MODIFY") and "SUBCOMMANDS" in page.upper()
                 and ".SH" in page, f"{pkg}: man page of {prog} is not help2man's --help")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, type=pathlib.Path)
    ap.add_argument("--source", required=True, type=pathlib.Path)
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    c = Checker()
    changelog = run("dpkg-parsechangelog", "-l", str(args.source / "packaging/debian/changelog"),
                    "-S", "Version").strip()
    c.expect(changelog.split("-")[0] == args.version,
             f"packaging/debian/changelog is at {changelog}, the project at {args.version}")
    with tempfile.TemporaryDirectory(dir=args.build) as tmp:
        out = pathlib.Path(tmp) / "debs"
        subprocess.run([str(args.source / "packaging/build-debs"), str(args.build), str(out)],
                       check=True)
        for pkg in PACKAGES:
            debs = sorted(out.glob(f"{pkg}_*.deb"))
            c.expect(len(debs) == 1, f"{pkg}: {len(debs)} packages built, expected 1")
            if len(debs) != 1:
                continue
            deb = str(debs[0])
            c.expect(debs[0].name.startswith(f"{pkg}_{changelog}_"),
                     f"{debs[0].name}: version is not the changelog's {changelog}")
            check_package(c, pkg, deb, args.source, tmp)
            check_programs(c, pkg, deb, tmp)
        lint = subprocess.run([str(args.source / "packaging/lint-debs"), str(out)])
        c.expect(lint.returncode == 0, "lintian reports errors (above)")
    for f in c.failures:
        print("FAIL:", f)
    print("checked", len(PACKAGES), "packages:", "FAILED" if c.failures else "ok")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
