#!/usr/bin/env python3
"""Independent implementation of pairing by code (docs/PROTOCOL.md section 11),
in Python: SPAKE2+ (RFC 9383, P256-SHA256-HKDF-SHA256-HMAC-SHA256) on its own
P-256 arithmetic, PBKDF2 from hashlib, HKDF written from RFC 5869 with hmac,
and AES-256-GCM from the `cryptography` package. It shares no code with the
C++ implementation and runs none of its programs.

  pairing_crosscheck.py --generate VECTORS.json   write the vector file
  pairing_crosscheck.py VECTORS.json              recompute every value of the
                                                  file (and of the RFC 9383
                                                  vector in it) from its inputs;
                                                  exit 1 naming the first mismatch
"""
import hashlib
import hmac
import json
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# ---------------------------------------------------------------- P-256 (SEC 2)
P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
A = P - 3
B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)
INF = None


def on_curve(pt):
    x, y = pt
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def add(p1, p2):
    if p1 is INF:
        return p2
    if p2 is INF:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return INF
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, P - 2, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, P - 2, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return (x3, (lam * (x1 - x3) - y1) % P)


def neg(pt):
    return INF if pt is INF else (pt[0], (-pt[1]) % P)


def mul(k, pt):
    out = INF
    for bit in bin(k % N)[2:]:
        out = add(out, out)
        if bit == "1":
            out = add(out, pt)
    return out


def encode(pt):
    assert pt is not INF
    return b"\x04" + pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def decode(data):
    if len(data) == 65 and data[0] == 4:
        pt = (int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
    elif len(data) == 33 and data[0] in (2, 3):
        x = int.from_bytes(data[1:], "big")
        y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)  # P = 3 mod 4
        pt = (x, y if y % 2 == data[0] % 2 else P - y)
    else:
        raise ValueError("not a SEC1 point")
    if not on_curve(pt):
        raise ValueError("point not on P-256")
    return pt


# RFC 9383 section 4, for P-256.
M = decode(bytes.fromhex("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"))
NPT = decode(bytes.fromhex("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49"))

# ------------------------------------------------------------------ hashes, KDFs


def hkdf_sha256(ikm, info, length, salt=b""):
    """RFC 5869; no salt means HashLen zero bytes."""
    prk = hmac.new(salt or b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm += block
        i += 1
    return okm[:length]


def lp(data):
    return struct.pack("<Q", len(data)) + data


def spake2plus(ctx, id_p, id_v, w0, w1, x, y):
    """Both sides of RFC 9383 section 3 with given scalars; every value by name."""
    out = {"w0": w0.to_bytes(32, "big"), "w1": w1.to_bytes(32, "big"), "L": encode(mul(w1, G))}
    share_p = add(mul(x, G), mul(w0, M))
    share_v = add(mul(y, G), mul(w0, NPT))
    out["shareP"], out["shareV"] = encode(share_p), encode(share_v)
    # Prover side: Z = x*(shareV - w0*N), V = w1*(shareV - w0*N).
    t_p = add(decode(out["shareV"]), neg(mul(w0, NPT)))
    z, v = mul(x, t_p), mul(w1, t_p)
    # Verifier side must agree: Z = y*(shareP - w0*M), V = y*L.
    t_v = add(decode(out["shareP"]), neg(mul(w0, M)))
    if mul(y, t_v) != z or mul(y, decode(out["L"])) != v:
        raise AssertionError("prover and verifier disagree on Z or V")
    out["Z"], out["V"] = encode(z), encode(v)
    out["TT"] = b"".join(lp(p) for p in (ctx, id_p, id_v, encode(M), encode(NPT), out["shareP"],
                                         out["shareV"], out["Z"], out["V"], out["w0"]))
    out["K_main"] = hashlib.sha256(out["TT"]).digest()
    confirm = hkdf_sha256(out["K_main"], b"ConfirmationKeys", 64)
    out["K_confirmP"], out["K_confirmV"] = confirm[:32], confirm[32:]
    out["confirmP"] = hmac.new(out["K_confirmP"], out["shareV"], hashlib.sha256).digest()
    out["confirmV"] = hmac.new(out["K_confirmV"], out["shareP"], hashlib.sha256).digest()
    out["K_shared"] = hkdf_sha256(out["K_main"], b"SharedKey", 32)
    return out


# ------------------------------------------------------------------- our use
CONTEXT = b"CPNS-pairing-v1 SPAKE2+-P256-SHA256-HKDF-HMAC"
ASSIGNMENT_KEY_INFO = b"CPNS-pairing-v1 assignment key"
ENTITY_TYPE_ENUM = {"PNE": 1, "PNGW": 2}


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def assignment_bytes(a):
    """cpns.v1.EUKeyAssignmentResponse in protobuf's wire format, fields in
    number order, proto3 defaults (0, empty) left out."""
    fields = [(1, bytes.fromhex(a["second_seed"])), (2, bytes.fromhex(a["eukey"])),
              (3, a["gw_id"].encode()), (4, a["seed_epoch"]), (5, a["not_after"]),
              (6, ENTITY_TYPE_ENUM[a["entity_type"]]), (7, a["entity_id"].encode()),
              (8, a["user_id"].encode())]
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            if value:
                out += varint(number << 3) + varint(value)
        elif value:
            out += varint(number << 3 | 2) + varint(len(value)) + value
    return out


def pairing(inp):
    """Every output of one pairing vector, as bytes, in the order of the file."""
    code = inp["code"]
    if code.replace("-", "") != code or inp["code_formatted"] != code[:5] + "-" + code[5:]:
        raise AssertionError("code and code_formatted disagree")
    salt = bytes.fromhex(inp["salt"])
    pbkdf = hashlib.pbkdf2_hmac("sha256", code.encode("ascii"), salt, inp["iterations"], 80)
    w0, w1 = int.from_bytes(pbkdf[:40], "big") % N, int.from_bytes(pbkdf[40:], "big") % N
    id_p = "\n".join([inp["entity_type"], inp["entity_id"], inp["user_id"]]).encode()
    out = {"pbkdf_output": pbkdf, "id_prover": id_p}
    out.update(spake2plus(CONTEXT, id_p, inp["gw_id"].encode(), w0, w1,
                          int(inp["x"], 16), int(inp["y"], 16)))
    out["assignment_key"] = hkdf_sha256(out["K_shared"], ASSIGNMENT_KEY_INFO, 32)
    plain = assignment_bytes(inp["assignment"])
    nonce = bytes.fromhex(inp["nonce"])
    out["assignment_plaintext"] = plain
    out["sealed_assignment"] = nonce + AESGCM(out["assignment_key"]).encrypt(nonce, plain, None)
    return out


# RFC 9383 appendix C, P256-SHA256-HKDF-SHA256-HMAC-SHA256, transcribed.
RFC_9383 = {
    "context": "SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors",
    "id_prover": "client", "id_verifier": "server",
    "w0": "bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3",
    "w1": "7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba",
    "x": "d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539",
    "y": "717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3",
    "L": "04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f00bfedcbd09b2400142d40"
         "a14f2064ef31dfaa903b91d1faea7093d835966efd",
    "shareP": "04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1de127727f418b5966a"
              "fadfdd95a6e4591d171056b333dab97a79c7193e341727",
    "shareV": "04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82f"
              "f2f50665255d76173e09986ab46742c798a9a68437b048",
    "Z": "04bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9"
         "e4e67e2ca633117a4fbd559946ab474356c41839",
    "V": "0458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7"
         "c01edc87faa530db01c2ee405230b18997f16b68",
    "TT": "38000000000000005350414b45322b2d503235362d5348413235362d484b44462d5348413235362d484d414"
          "32d534841323536205465737420566563746f72730600000000000000636c69656e74060000000000000073"
          "6572766572410000000000000004886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8f"
          "a12f5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20410000000000000004d8"
          "bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b4907d60aa6bfade45008a636337f"
          "5168c64d9bd36034808cd564490b1e656edbe7410000000000000004ef3bd051bf78a2234ec0df197f782806"
          "0fe9856503579bb1733009042c15c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c719"
          "3e341727410000000000000004c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810"
          "fb5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048410000000000000004bbfce"
          "7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4e67"
          "e2ca633117a4fbd559946ab474356c4183941000000000000000458bf27c6bca011c9ce1930e8984a797a341"
          "9797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7c01edc87faa530db01c2ee405230b18997f"
          "16b682000000000000000bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3",
    "K_main": "4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29",
    "K_confirmP": "871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a",
    "K_confirmV": "ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680",
    "confirmP": "926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527",
    "confirmV": "9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68",
    "K_shared": "0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7",
}
RFC_INPUTS = ("context", "id_prover", "id_verifier", "w0", "w1", "x", "y")


def rfc_outputs(v):
    return spake2plus(v["context"].encode(), v["id_prover"].encode(), v["id_verifier"].encode(),
                      int(v["w0"], 16), int(v["w1"], 16), int(v["x"], 16), int(v["y"], 16))


def scalar(label):
    """A fixed scalar in [1, n-1] for the vectors, from a label."""
    return "%064x" % (int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (N - 1) + 1)


def pairing_inputs():
    headset = dict(second_seed="01683f3b47f41fa0427927b8a31e9535f6413e9e5c4ad40f37f3f48efd88faf5",
                   eukey="caffe6c07f00759f8aa5c8fb8a951a792168241248a795b134002c49697fabb6",
                   gw_id="gw-0001", seed_epoch=1, not_after=1767225600, entity_type="PNE",
                   entity_id="headset-42", user_id="alice@example.com")
    car = dict(second_seed="ae22e58d070821db96aff8f4a87768ea9a7aaf104198ee453f8c6cf889a02145",
               eukey="16b73763b7277e13b620c0b74796ad41569c76be5717ddb94a25d2fd3f410dde",
               gw_id="gw-0001", seed_epoch=1, not_after=1767225600, entity_type="PNGW",
               entity_id="car-unit-7", user_id="alice@example.com")
    return [
        dict(name="pne-headset", code="7K3QF9M2XP", code_formatted="7K3QF-9M2XP",
             salt=bytes(range(0x10, 0x30)).hex(), iterations=1000, entity_type="PNE",
             entity_id="headset-42", user_id="alice@example.com", gw_id="gw-0001",
             x=scalar("cpns pairing vector pne-headset x"),
             y=scalar("cpns pairing vector pne-headset y"),
             nonce="000102030405060708090a0b", assignment=headset),
        dict(name="pngw-uplink", code="Z9Y8X7W6V5", code_formatted="Z9Y8X-7W6V5",
             salt=bytes(range(0xff, 0xdf, -1)).hex(), iterations=2000, entity_type="PNGW",
             entity_id="car-unit-7", user_id="alice@example.com", gw_id="gw-0001",
             x=scalar("cpns pairing vector pngw-uplink x"),
             y=scalar("cpns pairing vector pngw-uplink y"),
             nonce="cafebabefacedbaddecaf888", assignment=car),
    ]


def as_json(outputs):
    out = {}
    for name, value in outputs.items():
        out[name] = value.hex()
        if name == "id_prover":
            out["id_prover_text"] = value.decode()
    return out


def generate(path):
    rfc_check = rfc_outputs(RFC_9383)
    for name, want in RFC_9383.items():
        if name not in RFC_INPUTS and rfc_check[name].hex() != want:
            raise SystemExit(f"transcribed RFC 9383 value {name} does not recompute")
    data = {
        "description": "Pairing by code (docs/PROTOCOL.md section 11): SPAKE2+ (RFC 9383, "
                       "P256-SHA256-HKDF-SHA256-HMAC-SHA256), key schedule and sealing. Byte "
                       "strings in hex; identifiers and codes as text (their ASCII bytes are used).",
        "suite": "P256-SHA256-HKDF-SHA256-HMAC-SHA256",
        "M": encode(M).hex(), "N": encode(NPT).hex(),
        "context": CONTEXT.decode(), "assignment_key_info": ASSIGNMENT_KEY_INFO.decode(),
        "assignment_plaintext_encoding": "cpns.v1.EUKeyAssignmentResponse with the fields of "
                                         "inputs.assignment, protobuf binary encoding (fields in "
                                         "number order; the bytes protoc --encode gives)",
        "rfc9383": RFC_9383,
        "pairing": [dict(inputs=inp, outputs=as_json(pairing(inp))) for inp in pairing_inputs()],
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def first_mismatch(label, got, want):
    for name, value in got.items():
        if name not in want:
            return f"{label}: {name} missing from the file"
        if want[name] != value:
            return f"{label}: {name} is {want[name]} in the file, recomputed {value}"
    return None


def check(path):
    with open(path) as f:
        data = json.load(f)
    fixed = {"M": encode(M).hex(), "N": encode(NPT).hex(), "context": CONTEXT.decode(),
             "assignment_key_info": ASSIGNMENT_KEY_INFO.decode()}
    problems = [first_mismatch("parameters", fixed, data)]
    rfc = data["rfc9383"]
    recomputed = {k: v.hex() for k, v in rfc_outputs(rfc).items()}
    problems.append(first_mismatch("rfc9383", {k: recomputed[k] for k in RFC_9383
                                               if k not in RFC_INPUTS}, rfc))
    for v in data["pairing"]:
        name = v["inputs"]["name"]
        problems.append(first_mismatch(name, as_json(pairing(v["inputs"])), v["outputs"]))
        out = v["outputs"]
        sealed = bytes.fromhex(out["sealed_assignment"])
        try:
            opened = AESGCM(bytes.fromhex(out["assignment_key"])).decrypt(sealed[:12], sealed[12:],
                                                                          None)
        except InvalidTag:
            opened = b""
        if opened.hex() != out["assignment_plaintext"]:
            problems.append(f"{name}: sealed_assignment does not open to assignment_plaintext")
    problems = [p for p in problems if p]
    if problems:
        print("FAIL", problems[0])
        return 1
    print(f"ok: rfc9383 and {len(data['pairing'])} pairing vectors recomputed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        generate(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[1]))
