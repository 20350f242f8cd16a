#!/usr/bin/env python3
"""An independent device side of cpns pairing by code (docs/PROTOCOL.md 11).

Written from docs/PROTOCOL.md and its test vectors alone, to show that
another implementation interoperates with cpns-gw: gRPC through generic
unary calls on the method paths of section 2.1, messages encoded by hand
(protowire.py), SPAKE2+ of its own (spake2plus_prover.py).

  pairing_client.py --gateway HOST:PORT --entity-type PNE --entity-id ID \
      --user-id ID --code-file F [--timeout 10]
  pairing_client.py --self-test tests/vectors/pairing_vectors.json

On success it prints one JSON object with the assignment, the 2nd seed's
fingerprint (section 9.5) and the identity echoed by the gateway; on failure it exits 1 with "CODE: message" on
stderr, CODE a gRPC status name.
"""

import argparse
import hmac
import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import protowire  # noqa: E402
import spake2plus_prover as sp  # noqa: E402


class Failure(Exception):
    """Ends the exchange with a gRPC status name and a message."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


def is_identifier(value):
    """PROTOCOL.md 3: 1 to 255 bytes of printable ASCII 0x21-0x7E."""
    raw = value.encode("utf-8")
    return 1 <= len(raw) <= 255 and all(0x21 <= b <= 0x7E for b in raw)


def malformed(what):
    return Failure("DATA_LOSS", f"pairing: the gateway's answer is malformed: {what}")


def not_authentic(what):
    return Failure("UNAUTHENTICATED",
                   f"pairing: {what}: the gateway does not hold this code's verifier, or a "
                   "message was changed on the way; no key was accepted")


def check_start(start):
    """PROTOCOL.md 11.4 step 2, before any work on the answer."""
    checks = [
        (len(start["session_id"]) == 16, f"session_id is {len(start['session_id'])} bytes, not 16"),
        (len(start["pbkdf_salt"]) == 32, f"pbkdf_salt is {len(start['pbkdf_salt'])} bytes, not 32"),
        (1000 <= start["pbkdf_iterations"] <= 1000000,
         f"pbkdf_iterations {start['pbkdf_iterations']} is outside 1000..1000000"),
        (len(start["share_v"]) == 65, f"share_v is {len(start['share_v'])} bytes, not 65"),
        (is_identifier(start["gw_id"]), "gw_id is not a valid identifier"),
    ]
    for ok, what in checks:
        if not ok:
            raise malformed(what)


def check_assignment(a, args, gw_id):
    """PROTOCOL.md 5.2 "Assignee processing of the response", then 11.4 step 6."""
    checks = [
        (len(a["second_seed"]) == 32, "second_seed is not 32 bytes"),
        (len(a["eukey"]) == 32, "eukey is not 32 bytes"),
        (a["seed_epoch"] >= 1, "seed_epoch is 0"),
        (is_identifier(a["gw_id"]), "gw_id is not a valid identifier"),
        (a["entity_id"] in ("", args.entity_id) and a["user_id"] in ("", args.user_id),
         "the key is bound to another entity or user than requested"),
        (a["entity_type"] in (0, protowire.ENTITY_TYPES[args.entity_type]),
         "the key is bound to another entity type than requested"),
        (a["gw_id"] == gw_id, f"the assignment is from {a['gw_id']}, the exchange with {gw_id}"),
    ]
    for ok, what in checks:
        if not ok:
            raise Failure("DATA_LOSS", f"EUKey Assignment Response is malformed: {what}")


class Gateway:
    """Generic unary calls on PROTOCOL.md 2.1's paths, one deadline for all."""

    def __init__(self, address, timeout):
        import grpc  # only the exchange needs it, not --self-test
        self._grpc = grpc
        self._channel = grpc.insecure_channel(address)
        self._deadline = time.monotonic() + timeout

    def call(self, method, request):
        rpc = self._channel.unary_unary(f"/cpns.v1.PairingService/{method}",
                                        request_serializer=None, response_deserializer=None)
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise Failure("DEADLINE_EXCEEDED", f"no time left for {method}")
        try:
            return rpc(request, timeout=remaining)
        except self._grpc.RpcError as e:
            raise Failure(e.code().name, e.details() or "") from e

    def close(self):
        self._channel.close()


def parse_answer(parser, data, what):
    try:
        return parser(data)
    except protowire.WireError as e:
        raise malformed(f"{what} is not protobuf: {e}") from e


def pair(args, code):
    """The exchange of PROTOCOL.md 11.4; the checked assignment."""
    gateway = Gateway(args.gateway, args.timeout)
    try:
        start = parse_answer(protowire.parse_start_pairing_response, gateway.call(
            "StartPairing", protowire.start_pairing_request(
                args.entity_type, args.entity_id, args.user_id)), "StartPairingResponse")
        check_start(start)
        try:
            share_v = sp.decode_point(start["share_v"], "share_v")
            del share_v  # validated before any secret touches it (11.5)
        except sp.PairingError as e:
            raise malformed(str(e)) from e
        w0, w1 = sp.w0_w1(sp.pbkdf2_output(code, start["pbkdf_salt"], start["pbkdf_iterations"]))
        x = 1 + secrets.randbelow(sp.N - 1)
        share_p = sp.share_p(w0, x)
        idp = sp.id_prover(args.entity_type, args.entity_id, args.user_id)
        try:
            keys = sp.prover_keys(sp.CONTEXT, idp, start["gw_id"].encode("ascii"), w0, w1, x,
                                  share_p, start["share_v"])
        except sp.PairingError as e:
            raise not_authentic(str(e)) from e
        finish = parse_answer(protowire.parse_finish_pairing_response, gateway.call(
            "FinishPairing", protowire.finish_pairing_request(
                start["session_id"], share_p, keys["confirmP"])), "FinishPairingResponse")
    finally:
        gateway.close()
    # A length this document fixes is a malformed answer (2.5), before the
    # comparison of 11.4 step 5.
    if len(finish["confirm_v"]) != 32:
        raise malformed(f"confirm_v is {len(finish['confirm_v'])} bytes, not 32")
    if not hmac.compare_digest(finish["confirm_v"], keys["confirmV"]):
        raise not_authentic("confirm_v does not match")
    try:
        plain = sp.open_sealed(sp.assignment_key(keys["K_shared"]), finish["sealed_assignment"])
    except sp.PairingError as e:
        raise not_authentic(str(e)) from e
    assignment = parse_answer(protowire.parse_assignment_response, plain, "the sealed assignment")
    check_assignment(assignment, args, start["gw_id"])
    return assignment


def report(assignment, args):
    """What the device keeps (5.2): the requested identity, the received rest."""
    return {
        "gw_id": assignment["gw_id"],
        "seed_epoch": assignment["seed_epoch"],
        "not_after": assignment["not_after"],
        "entity_type": args.entity_type,
        "entity_id": args.entity_id,
        "user_id": args.user_id,
        "second_seed": assignment["second_seed"].hex(),
        "eukey": assignment["eukey"].hex(),
        "fingerprint": sp.fingerprint(assignment["second_seed"]).hex(),
        # What the gateway echoed in the sealed assignment, as received (5.2
        # lets an older gateway leave it empty; the values above are kept).
        "echo": {
            "entity_type": protowire.ENTITY_TYPE_NAMES.get(assignment["entity_type"], ""),
            "entity_id": assignment["entity_id"],
            "user_id": assignment["user_id"],
        },
    }


def read_code(path):
    try:
        with open(path, encoding="ascii") as f:
            typed = f.read().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise Failure("INVALID_ARGUMENT", f"cannot read the pairing code from {path}: {e}") from e
    try:
        return sp.canonical_code(typed)
    except sp.PairingError as e:
        raise Failure("INVALID_ARGUMENT", f"{path}: {e}") from e


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--self-test", metavar="FILE",
                   help="check this implementation against pairing_vectors.json and exit")
    p.add_argument("--gateway", metavar="HOST:PORT")
    p.add_argument("--entity-type", choices=sorted(protowire.ENTITY_TYPES))
    p.add_argument("--entity-id")
    p.add_argument("--user-id")
    p.add_argument("--code-file")
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args(argv)
    if not args.self_test:
        missing = [f"--{n.replace('_', '-')}" for n in
                   ("gateway", "entity_type", "entity_id", "user_id", "code_file")
                   if getattr(args, n) is None]
        if missing:
            p.error("missing " + ", ".join(missing))
        for name in ("entity_id", "user_id"):
            if not is_identifier(getattr(args, name)):
                p.error(f"--{name.replace('_', '-')} is not an identifier (PROTOCOL.md 3)")
    return args


def main(argv):
    args = parse_args(argv)
    if args.self_test:
        import self_test
        return self_test.run(args.self_test)
    try:
        code = read_code(args.code_file)
        print(json.dumps(report(pair(args, code), args)))
        return 0
    except Failure as e:
        print(str(e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
