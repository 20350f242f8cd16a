#!/usr/bin/env python3
"""Self-test of scripts/check-layers: it must fail on an include outside the
link graph, and name the file, line, header, owner and including target.

  check_layers_test.py [--cmake CMAKE]

The logic is tested on a small tree made here; then the real checker runs on a
copy of this checkout in which a gateway file includes a server header.
"""

import argparse
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "check-layers")
CMAKE = "cmake"


def load_checker():
    loader = importlib.machinery.SourceFileLoader("check_layers", SCRIPT)
    spec = importlib.util.spec_from_loader("check_layers", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


cl = load_checker()

DOT = '''digraph "cpns" {
    "node0" [ label = "cpns_core", shape = octagon ];
    "node1" [ label = "cpns_wire", shape = octagon ];
    "node2" [ label = "cpns_server", shape = octagon ];
    "node3" [ label = "cpns_sqlite", shape = pentagon ];
    "node4" [ label = "cpns-server", shape = egg ];
    "node1" -> "node0"  // cpns_wire -> cpns_core
    "node2" -> "node1" [ style = dotted ] // cpns_server -> cpns_wire
    "node3" -> "node0" [ style = dashed ] // cpns_sqlite -> cpns_core
    "node4" -> "node2" [ style = dotted ] // cpns-server -> cpns_server
}
'''


class LinkGraphTest(unittest.TestCase):
    def test_graphviz_styles_are_visibilities(self):
        links = cl.parse_graphviz(DOT)
        self.assertEqual(links["cpns_wire"], [("cpns_core", "PUBLIC")])
        self.assertEqual(links["cpns_server"], [("cpns_wire", "PRIVATE")])
        self.assertEqual(links["cpns_sqlite"], [("cpns_core", "INTERFACE")])

    def test_private_dependency_is_not_passed_on(self):
        links = cl.parse_graphviz(DOT)
        # cpns-server links cpns_server, which links cpns_wire privately.
        self.assertEqual(cl.reachable(links, "cpns-server"), {"cpns-server", "cpns_server"})
        # cpns_server may use cpns_wire and what cpns_wire exports.
        self.assertEqual(cl.reachable(links, "cpns_server"),
                         {"cpns_server", "cpns_wire", "cpns_core"})

    def test_a_program_is_not_linked(self):
        links = {"cpns_integration_test": [("cpns-server", "PUBLIC")]}
        self.assertEqual(cl.reachable(links, "cpns_integration_test", {"cpns-server"}),
                         {"cpns_integration_test"})


class FixtureTreeTest(unittest.TestCase):
    """A tree of three parts: core; server links core; gateway links core."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="check-layers-test.")
        self.root = os.path.join(self.dir, "src-root")
        self.build = os.path.join(self.dir, "build")
        os.makedirs(self.build)
        self.write("include/cpns/core/id.h", '#include "cpns/core/other.h"\n')
        self.write("include/cpns/core/other.h", "")
        self.write("src/core/id.cc", '#include "cpns/core/id.h"\n#include "core/util.h"\n')
        self.write("src/core/util.h", "#include <string>\n")
        self.write("src/server/challenge.h", '#include "core/util.h"\n')
        self.write("src/server/challenge.cc", '#include "server/challenge.h"\n')
        self.write("src/gateway/pairing.h", '#include "cpns/core/id.h"\n')
        self.write("src/gateway/pairing.cc", '#include "gateway/pairing.h"\n')
        self.links = {"cpns_server": [("cpns_core", "PUBLIC")],
                      "cpns_gateway": [("cpns_core", "PRIVATE")]}

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def targets(self):
        dirs = [os.path.join(self.root, "include"), os.path.join(self.root, "src")]
        src = lambda rel: os.path.join(self.root, rel)
        return {
            "cpns_core": cl.Target("cpns_core", "STATIC_LIBRARY", [src("src/core/id.cc")], dirs),
            "cpns_server": cl.Target("cpns_server", "STATIC_LIBRARY",
                                     [src("src/server/challenge.cc")], dirs),
            "cpns_gateway": cl.Target("cpns_gateway", "STATIC_LIBRARY",
                                      [src("src/gateway/pairing.cc")], dirs),
        }

    def check(self):
        violations, _, _ = cl.check(self.targets(), self.links, self.root, self.build)
        return violations

    def test_includes_within_the_link_graph_pass(self):
        self.assertEqual(self.check(), [])

    def test_gateway_including_a_server_header_fails(self):
        self.write("src/gateway/pairing.cc", '#include "gateway/pairing.h"\n'
                   '#include "server/challenge.h"\n')
        self.assertEqual(self.check(), [
            'src/gateway/pairing.cc:2: includes "server/challenge.h", a header of cpns_server, '
            'but the including target cpns_gateway does not link cpns_server'])

    def test_a_header_is_held_to_its_owners_links(self):
        self.write("src/gateway/pairing.h", '#include "server/challenge.h"\n')
        self.assertEqual(len(self.check()), 1)
        self.assertIn("src/gateway/pairing.h:1:", self.check()[0])

    def test_public_header_including_a_private_one_fails(self):
        self.write("include/cpns/core/id.h", '#include "core/util.h"\n')
        violations = self.check()
        self.assertEqual(len(violations), 1)
        self.assertIn('include/cpns/core/id.h:1: public header includes "core/util.h"',
                      violations[0])

    def test_header_of_no_target_fails(self):
        self.write("src/gateway/stray/orphan.h", "")
        self.write("src/gateway/pairing.cc", '#include "gateway/stray/orphan.h"\n')
        violations = self.check()
        self.assertIn('src/gateway/pairing.cc:1: includes "gateway/stray/orphan.h", which belongs '
                      'to no target (including target cpns_gateway)', violations)


    def test_public_face_exporting_spdlog_fails(self):
        self.links["cpns_core"] = [("spdlog::spdlog", "PUBLIC"), ("absl::strings", "PUBLIC")]
        self.assertEqual(self.check(), [
            "cpns_core exports spdlog::spdlog to the users of include/ (link it PRIVATE where "
            "it is used)"])
        self.links["cpns_core"] = [("spdlog::spdlog", "PRIVATE")]
        self.assertEqual(self.check(), [])


class GraphRulesTest(FixtureTreeTest):
    """A role linking another role, or a library linking apps/, fails even
    when no include shows it."""

    def targets(self):
        targets = super().targets()
        self.write("src/assignee/client.cc", "")
        self.write("apps/common/process.cc", "")
        targets["cpns_assignee"] = cl.Target(
            "cpns_assignee", "STATIC_LIBRARY", [os.path.join(self.root, "src/assignee/client.cc")],
            [])
        targets["cpns_process"] = cl.Target(
            "cpns_process", "STATIC_LIBRARY", [os.path.join(self.root, "apps/common/process.cc")],
            [])
        return targets

    def test_a_role_linking_another_role_fails(self):
        self.links["cpns_gateway"].append(("cpns_assignee", "PRIVATE"))
        self.assertEqual(self.check(), [
            "cpns_gateway (src/gateway) links the role cpns_assignee (src/assignee): roles meet "
            "through the protocol or an interface a program fills"])

    def test_a_role_reaching_another_through_a_shared_part_fails(self):
        self.links["cpns_core"] = [("cpns_server", "PRIVATE")]
        self.assertIn("cpns_gateway (src/gateway) links the role cpns_server (src/server): roles "
                      "meet through the protocol or an interface a program fills", self.check())

    def test_a_library_linking_apps_fails(self):
        self.links["cpns_server"].append(("cpns_process", "PRIVATE"))
        self.assertEqual(self.check(), [
            "cpns_server (src/) links cpns_process (apps/): only programs set process-wide state"])


def copy_checkout(dest):
    ignore = shutil.ignore_patterns(".git", "build*", "__pycache__")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


class RealTreeTest(unittest.TestCase):
    def test_checker_fails_on_a_gateway_file_including_a_server_header(self):
        with tempfile.TemporaryDirectory(prefix="check-layers-copy.") as tmp:
            copy = os.path.join(tmp, "cpns")
            copy_checkout(copy)
            victim = os.path.join(copy, "src", "gateway", "admission.cc")
            with open(victim) as f:
                lines = f.read().split("\n")
            with open(victim, "w") as f:
                f.write("\n".join(lines + ['#include "server/challenge.h"', ""]))
            run = subprocess.run([sys.executable, os.path.join(copy, "scripts", "check-layers"),
                                  "--cmake", CMAKE], capture_output=True, text=True)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn(f'src/gateway/admission.cc:{len(lines) + 1}: includes '
                      '"server/challenge.h", a header of cpns_server, but the including target '
                      'cpns_gateway does not link cpns_server', run.stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cmake", default="cmake")
    args, rest = parser.parse_known_args()
    CMAKE = args.cmake
    unittest.main(argv=[sys.argv[0]] + rest)
