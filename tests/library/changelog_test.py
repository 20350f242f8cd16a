#!/usr/bin/env python3
"""CHANGELOG.md keeps the Keep a Changelog shape and names the version of
the tree: an [Unreleased] section first, then one "## [X.Y.Z] - YYYY-MM-DD"
section per release, newest first, one of them the project version (so a
version bump without its changelog section fails).

  changelog_test.py CHANGELOG.md PROJECT_VERSION
"""

import re
import sys

HEADING = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$", re.M)
KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def main(path, version):
    text = open(path).read()
    sections = HEADING.findall(text)
    if not sections or sections[0] != ("Unreleased", ""):
        return "the first section must be ## [Unreleased]"
    releases = sections[1:]
    for name, date in releases:
        if not re.fullmatch(r"\d+\.\d+\.\d+", name) or not date:
            return f"## [{name}] is not a release heading '## [X.Y.Z] - YYYY-MM-DD'"
    numbers = [tuple(map(int, name.split("."))) for name, _ in releases]
    if numbers != sorted(numbers, reverse=True) or len(set(numbers)) != len(numbers):
        return "releases must be listed newest first, each once"
    if version not in [name for name, _ in releases]:
        return f"no section for the project version {version} (CMakeLists.txt)"
    for kind in re.findall(r"^### (.+?)\s*$", text, re.M):
        if kind not in KINDS:
            return f"### {kind} is not one of {sorted(KINDS)}"
    print(f"ok: CHANGELOG.md has [Unreleased] and {len(releases)} release(s), "
          f"{version} among them")
    return None


if __name__ == "__main__":
    error = main(sys.argv[1], sys.argv[2])
    if error:
        sys.exit(f"FAIL: CHANGELOG.md: {error}")
