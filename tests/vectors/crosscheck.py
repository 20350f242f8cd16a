#!/usr/bin/env python3
"""Independent implementation of the CPNS KDFs (docs/PROTOCOL.md), in Python.

It shares no code with the C++ implementation. Used two ways:
  crosscheck.py --generate VECTORS.json   write the vector file (inputs + outputs)
  crosscheck.py VECTORS.json KEYTOOL      check every vector against this
                                          implementation and against
                                          `cpns-keytool derive`; exit 1 on a mismatch.
"""
import hashlib
import hmac
import json
import struct
import subprocess
import sys


def kdf(key: bytes, fc: int, *params: bytes) -> bytes:
    s = bytes([fc])
    for p in params:
        s += p + struct.pack(">H", len(p))
    return hmac.new(key, s, hashlib.sha256).digest()


def second_seed(v) -> bytes:
    return kdf(bytes.fromhex(v["first_seed"]), 0x70, b"CPNS-2nd-seed", v["gw_id"].encode(),
               v["entity_type"].encode(), v["entity_id"].encode(), v["user_id"].encode(),
               bytes.fromhex(v["nonce"]))


def eukey(v, second: bytes) -> bytes:
    return kdf(bytes.fromhex(v["first_seed"]) + second, 0x71, b"CPNS-EUKey", v["gw_id"].encode(),
               struct.pack(">I", v["seed_epoch"]), v["entity_type"].encode(),
               v["entity_id"].encode(), v["user_id"].encode(), struct.pack(">q", v["not_after"]))


def proof(v, second: bytes, key: bytes) -> bytes:
    return kdf(key, 0x72, b"CPNS-auth", bytes.fromhex(v["challenge"]), bytes.fromhex(v["client_nonce"]),
               v["gw_id"].encode(), struct.pack(">I", v["seed_epoch"]), v["entity_type"].encode(),
               v["entity_id"].encode(), v["user_id"].encode(), second, struct.pack(">q", v["not_after"]))


def fingerprint(second: bytes) -> bytes:
    return hashlib.sha256(b"CPNS-2nd-seed-fingerprint" + second).digest()


# Challenges are opaque to the client; any bytes serve for the vectors.
CHALLENGES = [("01" + "11" * 16 + "0000000069000000" + "22" * 16, "33" * 16),
              ("01" + "ab" * 16 + "00000000ffffffff" + "cd" * 16, "00" * 15 + "01")]

INPUTS = [
    dict(name="pne-basic", first_seed="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         gw_id="gw-0001", seed_epoch=1, entity_type="PNE", entity_id="headset-42",
         user_id="alice@example.com", nonce="f0e0d0c0b0a090807060504030201000",
         not_after=1767225600),
    dict(name="pngw-as-assignee", first_seed="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         gw_id="gw-0001", seed_epoch=1, entity_type="PNGW", entity_id="car-unit-7",
         user_id="alice@example.com", nonce="f0e0d0c0b0a090807060504030201000",
         not_after=1767225600),
    dict(name="other-nonce", first_seed="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         gw_id="gw-0001", seed_epoch=1, entity_type="PNE", entity_id="headset-42",
         user_id="alice@example.com", nonce="00000000000000000000000000000001",
         not_after=1767225600),
    dict(name="high-epoch-late-expiry", first_seed="ff" * 32,
         gw_id="urn-like:gw/42", seed_epoch=4294967295, entity_type="PNE", entity_id="sensor#9",
         user_id="bob", nonce="ffffffffffffffffffffffffffffffff", not_after=253402300799),
    dict(name="max-length-identifiers", first_seed="5a" * 32,
         gw_id="G" * 255, seed_epoch=2, entity_type="PNGW", entity_id="E" * 255,
         user_id="U" * 255, nonce="0123456789abcdef0123456789abcdef", not_after=1),
    dict(name="single-byte-identifiers", first_seed="a5" * 32,
         gw_id="g", seed_epoch=7, entity_type="PNE", entity_id="e", user_id="u",
         nonce="00" * 16, not_after=1700000000),
]


def generate(path):
    out = {"description": "CPNS KDF test vectors; see docs/PROTOCOL.md. All byte strings are hex.",
           "kdf_rfc5448_case1": {
               "key": "5349fbe098649f948f5d2e973a81c00f9744871ad32bf9bbd1dd5ce54e3e2e5a",
               "fc": "20", "params": ["574c414e", "bb52e91c747a"],
               "output": kdf(bytes.fromhex("5349fbe098649f948f5d2e973a81c00f9744871ad32bf9bbd1dd5ce54e3e2e5a"),
                             0x20, b"WLAN", bytes.fromhex("bb52e91c747a")).hex()},
           "eukey": []}
    for i, v in enumerate(INPUTS):
        s = second_seed(v)
        k = eukey(v, s)
        challenge, client_nonce = CHALLENGES[i % len(CHALLENGES)]
        entry = dict(v, second_seed=s.hex(), eukey=k.hex(), challenge=challenge, client_nonce=client_nonce)
        entry["proof"] = proof(entry, s, k).hex()
        entry["second_seed_fingerprint"] = fingerprint(s).hex()
        out["eukey"].append(entry)
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


def check(path, keytool):
    with open(path) as f:
        data = json.load(f)
    failures = 0
    rfc = data["kdf_rfc5448_case1"]
    got = kdf(bytes.fromhex(rfc["key"]), int(rfc["fc"], 16), *[bytes.fromhex(p) for p in rfc["params"]]).hex()
    # RFC 5448 Appendix C, test case 1: CK' || IK'.
    if got != "0093962d0dd84aa5684b045c9edffa04ccfc230ca74fcc96c0a5d61164f5a76c" or got != rfc["output"]:
        print("FAIL rfc5448 case 1:", got)
        failures += 1
    for v in data["eukey"]:
        s = second_seed(v)
        k = eukey(v, s)
        if (s.hex() != v["second_seed"] or k.hex() != v["eukey"] or proof(v, s, k).hex() != v["proof"]
                or fingerprint(s).hex() != v["second_seed_fingerprint"]):
            print("FAIL python vs vector file:", v["name"])
            failures += 1
        res = subprocess.run([keytool, "derive", "--first-seed", v["first_seed"], "--gw-id", v["gw_id"],
                              "--epoch", str(v["seed_epoch"]), "--entity-type", v["entity_type"],
                              "--entity-id", v["entity_id"], "--user-id", v["user_id"],
                              "--nonce", v["nonce"], "--not-after", str(v["not_after"]),
                              "--challenge", v["challenge"], "--client-nonce", v["client_nonce"]],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print("FAIL keytool exited", res.returncode, "for", v["name"], res.stderr.strip())
            failures += 1
            continue
        out = json.loads(res.stdout)
        if (out.get("second_seed") != v["second_seed"] or out.get("eukey") != v["eukey"]
                or out.get("proof") != v["proof"]
                or out.get("second_seed_fingerprint") != v["second_seed_fingerprint"]):
            print("FAIL keytool vs python:", v["name"], out)
            failures += 1
        else:
            print("ok", v["name"])
    print(f"{len(data['eukey']) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        generate(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[1], sys.argv[2]))
