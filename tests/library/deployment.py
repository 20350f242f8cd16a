"""A cpns-server and a cpns-gw for a test, started as the integration tests
start them (tests/integration/flow_fixture.cc): a development PKI from
cpns-keytool, the server on 127.0.0.1 port 0 with a fresh SQLite file, the
gateway gw-A on a Unix socket admitting every device. Every wait has a
deadline; the daemons are stopped (then killed) on exit."""

import os
import subprocess
import sys
import time

DEADLINE = 30  # seconds


def _fail(message):
    sys.exit(f"FAIL: {message}")


def _wait_for_file(path, process, log):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    _fail(f"no ready file {path} within {DEADLINE} s:\n{open(log).read()}")


class Deployment:
    def __init__(self, bin_dir, work_dir):
        self.bin = bin_dir
        self.dir = os.path.join(work_dir, "deployment")
        self.processes = []
        self.gateway = None

    def _pki(self, name):
        return os.path.join(self.dir, "pki", name)

    def _start(self, name, argv):
        ready = os.path.join(self.dir, name + ".ready")
        log = os.path.join(self.dir, name + ".log")
        with open(log, "w") as out:
            process = subprocess.Popen(argv + ["--ready-file", ready], stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return _wait_for_file(ready, process, log)

    def __enter__(self):
        os.makedirs(self.dir)
        subprocess.run([os.path.join(self.bin, "cpns-keytool"), "pki", "init", "--out",
                        os.path.join(self.dir, "pki"), "--server-name", "cpns-server.test",
                        "--gateway", "gw-A"], check=True, capture_output=True, timeout=DEADLINE)
        server = self._start("server", [
            os.path.join(self.bin, "cpns-server"), "serve", "--listen", "127.0.0.1:0",
            "--db", os.path.join(self.dir, "seeds.db"), "--cert", self._pki("server.crt"),
            "--key", self._pki("server.key"), "--client-ca", self._pki("ca.crt")])
        socket = os.path.join(self.dir, "gw-A.sock")
        self._start("gateway", [
            os.path.join(self.bin, "cpns-gw"), "serve", "--gw-id", "gw-A",
            "--server", server.splitlines()[0], "--server-ca", self._pki("ca.crt"),
            "--cert", self._pki("gw-gw-A.crt"), "--key", self._pki("gw-gw-A.key"),
            "--state-dir", os.path.join(self.dir, "state-gw-A"), "--pn-listen", "unix:" + socket,
            "--admission", "open", "--rate-limit-per-peer", "0", "--rate-limit-per-entity", "0",
            "--upstream-timeout", "5s"])
        self.gateway = "unix:" + socket
        return self

    def __exit__(self, *exc):
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return False


def check_example(example, gateway, entity_id):
    """The example got a 32-byte EUKey from gw-A and the server accepted its
    proof of possession (which only a correctly derived key passes)."""
    result = subprocess.run([example, gateway, entity_id, "alice"], capture_output=True,
                            text=True, timeout=DEADLINE)
    lines = result.stdout.splitlines()
    if (result.returncode != 0 or len(lines) != 2
            or not lines[0].startswith("EUKey of 32 bytes from gateway gw-A, seed epoch ")
            or lines[1] != "authenticated"):
        _fail(f"{example} {gateway} {entity_id}: exit {result.returncode}\n"
              f"{result.stdout}{result.stderr}")
