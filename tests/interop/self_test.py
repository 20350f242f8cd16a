"""pairing_client.py --self-test: the prover's math against the published vectors.

Recomputes, from each vector's inputs, every value the device side computes
(docs/PROTOCOL.md 11.13; tests/vectors/pairing_vectors.json) and opens its
sealed assignment. The first value that differs ends the test, named.
"""

import json
import sys

import protowire
import spake2plus_prover as sp


class Mismatch(Exception):
    pass


def expect(vector, name, got, want):
    if isinstance(got, bytes):
        got = got.hex()
    if got != want:
        raise Mismatch(f"{vector}: {name} is {got}, the vector says {want}")


def check_rfc9383(v):
    """RFC 9383's vector for the suite: w0, w1 given, prover side from x."""
    w0, w1, x = sp.scalar(bytes.fromhex(v["w0"])), sp.scalar(bytes.fromhex(v["w1"])), \
        sp.scalar(bytes.fromhex(v["x"]))
    expect("rfc9383", "L", sp.encode_point(sp.mul(w1, sp.G)), v["L"])
    share_p = sp.share_p(w0, x)
    expect("rfc9383", "shareP", share_p, v["shareP"])
    keys = sp.prover_keys(v["context"].encode(), v["id_prover"].encode(),
                          v["id_verifier"].encode(), w0, w1, x, share_p,
                          bytes.fromhex(v["shareV"]))
    for name in ("Z", "V", "TT", "K_main", "K_confirmP", "K_confirmV", "confirmP", "confirmV",
                 "K_shared"):
        expect("rfc9383", name, keys[name], v[name])


def check_pairing(vector):
    i, o = vector["inputs"], vector["outputs"]
    name = i["name"]
    code = sp.canonical_code(i["code_formatted"])
    expect(name, "canonical code", code, i["code"])
    pbkdf = sp.pbkdf2_output(code, bytes.fromhex(i["salt"]), i["iterations"])
    expect(name, "PBKDF2 output", pbkdf, o["pbkdf_output"])
    w0, w1 = sp.w0_w1(pbkdf)
    expect(name, "w0", sp.scalar_bytes(w0), o["w0"])
    expect(name, "w1", sp.scalar_bytes(w1), o["w1"])
    expect(name, "L", sp.encode_point(sp.mul(w1, sp.G)), o["L"])
    idp = sp.id_prover(i["entity_type"], i["entity_id"], i["user_id"])
    expect(name, "idProver", idp, o["id_prover"])
    x = sp.scalar(bytes.fromhex(i["x"]))
    share_p = sp.share_p(w0, x)
    expect(name, "shareP", share_p, o["shareP"])
    keys = sp.prover_keys(sp.CONTEXT, idp, i["gw_id"].encode(), w0, w1, x, share_p,
                          bytes.fromhex(o["shareV"]))
    for field in ("Z", "V", "TT", "K_main", "K_confirmP", "K_confirmV", "confirmP", "confirmV",
                  "K_shared"):
        expect(name, field, keys[field], o[field])
    key = sp.assignment_key(keys["K_shared"])
    expect(name, "assignment_key", key, o["assignment_key"])
    sealed = bytes.fromhex(o["sealed_assignment"])
    expect(name, "GCM nonce", sealed[:12], i["nonce"])
    plain = sp.open_sealed(key, sealed)
    expect(name, "assignment plaintext", plain, o["assignment_plaintext"])
    check_plaintext(name, protowire.parse_assignment_response(plain), i["assignment"])


def check_plaintext(name, got, want):
    for field in ("second_seed", "eukey"):
        expect(name, f"assignment {field}", got[field], want[field])
    for field in ("gw_id", "seed_epoch", "not_after", "entity_id", "user_id"):
        expect(name, f"assignment {field}", got[field], want[field])
    expect(name, "assignment entity_type",
           protowire.ENTITY_TYPE_NAMES.get(got["entity_type"]), want["entity_type"])


def run(path):
    try:
        with open(path, encoding="utf-8") as f:
            vectors = json.load(f)
        expect("file", "context", sp.CONTEXT.decode(), vectors["context"])
        expect("file", "M", sp.M_BYTES, vectors["M"])
        expect("file", "N", sp.N_BYTES, vectors["N"])
        expect("file", "assignment key info", sp.ASSIGNMENT_KEY_INFO.decode(),
               vectors["assignment_key_info"])
        check_rfc9383(vectors["rfc9383"])
        for vector in vectors["pairing"]:
            check_pairing(vector)
    except (OSError, ValueError, KeyError) as e:
        print(f"self-test: cannot use {path}: {e!r}", file=sys.stderr)
        return 2
    except Mismatch as e:
        print(f"self-test: MISMATCH {e}", file=sys.stderr)
        return 1
    names = ", ".join(v["inputs"]["name"] for v in vectors["pairing"])
    print(f"self-test: the RFC 9383 vector and the pairing vectors {names} reproduce")
    return 0
