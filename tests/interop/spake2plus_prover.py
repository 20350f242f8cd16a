"""The device (prover) side of cpns pairing by code: SPAKE2+ over P-256.

Written from docs/PROTOCOL.md sections 11.5 to 11.10 and 9.5 only: its own
affine P-256 arithmetic (SEC 2 parameters), PBKDF2 from hashlib, HKDF from
RFC 5869 over hmac, AES-256-GCM from python3-cryptography. It is a test
tool, not a constant-time implementation.
"""

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# NIST P-256 (SEC 2, secp256r1).
P = 2**256 - 2**224 + 2**192 + 2**96 - 1
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)

# RFC 9383's M and N for P-256, uncompressed, as PROTOCOL.md 11.5 gives them.
M_BYTES = bytes.fromhex(
    "04886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"
    "5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20")
N_BYTES = bytes.fromhex(
    "04d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49"
    "07d60aa6bfade45008a636337f5168c64d9bd36034808cd564490b1e656edbe7")

CONTEXT = b"CPNS-pairing-v1 SPAKE2+-P256-SHA256-HKDF-HMAC"
ASSIGNMENT_KEY_INFO = b"CPNS-pairing-v1 assignment key"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class PairingError(ValueError):
    """A value the exchange must refuse."""


# --- P-256 ------------------------------------------------------------------
# Points are (x, y) tuples; None is the point at infinity.

def on_curve(pt):
    x, y = pt
    return (y * y - (x * x * x + A * x + B)) % P == 0


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def neg(pt):
    return None if pt is None else (pt[0], (-pt[1]) % P)


def mul(k, pt):
    result = None
    for bit in bin(k % N)[2:]:
        result = add(result, result)
        if bit == "1":
            result = add(result, pt)
    return result


def encode_point(pt):
    if pt is None:
        raise PairingError("the point at infinity has no encoding")
    return b"\x04" + pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def decode_point(data, what):
    """A received share, validated as PROTOCOL.md 11.5 requires."""
    if len(data) != 65:
        raise PairingError(f"{what} is {len(data)} bytes; it must be 65")
    if data[0] != 0x04:
        raise PairingError(f"{what} does not start 04 (it starts {data[0]:02x})")
    x, y = int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big")
    if x >= P or y >= P or not on_curve((x, y)):
        raise PairingError(f"{what} is not a point of P-256")
    return x, y


def scalar(data):
    return int.from_bytes(data, "big")


def scalar_bytes(k):
    return k.to_bytes(32, "big")


# --- code, PBKDF2, HKDF -----------------------------------------------------

def canonical_code(typed):
    """PROTOCOL.md 5.2 / 11.6: ignore case, '-' and spaces; I, L -> 1, O -> 0."""
    code = "".join(c for c in typed.upper() if c not in "- ")
    code = code.replace("I", "1").replace("L", "1").replace("O", "0")
    if len(code) != 10 or any(c not in CROCKFORD for c in code):
        raise PairingError("the pairing code is not 10 symbols of Crockford's base32 "
                           "(shown XXXXX-XXXXX)")
    return code


def pbkdf2_output(code, salt, iterations):
    return hashlib.pbkdf2_hmac("sha256", code.encode("ascii"), salt, iterations, 80)


def w0_w1(pbkdf_output):
    return scalar(pbkdf_output[:40]) % N, scalar(pbkdf_output[40:]) % N


def hkdf(ikm, info, length, salt=b"\x00" * 32):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def id_prover(entity_type, entity_id, user_id):
    return f"{entity_type}\n{entity_id}\n{user_id}".encode("ascii")


def fingerprint(second_seed):
    """PROTOCOL.md 9.5."""
    return hashlib.sha256(b"CPNS-2nd-seed-fingerprint" + second_seed).digest()


# --- SPAKE2+ prover (PROTOCOL.md 11.8 - 11.10) -------------------------------

def _le64_prefixed(*fields):
    return b"".join(struct.pack("<Q", len(f)) + f for f in fields)


def share_p(w0, x):
    """shareP = x*P + w0*M, as two products and one addition."""
    return encode_point(add(mul(x, G), mul(w0, decode_point(M_BYTES, "M"))))


def prover_keys(context, idp, idv, w0, w1, x, share_p_bytes, share_v_bytes):
    """Z, V, TT and the key schedule from the gateway's share."""
    share_v = decode_point(share_v_bytes, "share_v")
    base = add(share_v, neg(mul(w0, decode_point(N_BYTES, "N"))))
    z, v = mul(x, base), mul(w1, base)
    if z is None or v is None:
        raise PairingError("Z or V is the point at infinity")
    out = {"Z": encode_point(z), "V": encode_point(v)}
    out["TT"] = _le64_prefixed(context, idp, idv, M_BYTES, N_BYTES, share_p_bytes,
                               share_v_bytes, out["Z"], out["V"], scalar_bytes(w0))
    out["K_main"] = hashlib.sha256(out["TT"]).digest()
    confirmation = hkdf(out["K_main"], b"ConfirmationKeys", 64)
    out["K_confirmP"], out["K_confirmV"] = confirmation[:32], confirmation[32:]
    out["K_shared"] = hkdf(out["K_main"], b"SharedKey", 32)
    out["confirmP"] = hmac.new(out["K_confirmP"], share_v_bytes, hashlib.sha256).digest()
    out["confirmV"] = hmac.new(out["K_confirmV"], share_p_bytes, hashlib.sha256).digest()
    return out


def assignment_key(k_shared):
    return hkdf(k_shared, ASSIGNMENT_KEY_INFO, 32)


def open_sealed(key, sealed):
    """nonce (12) || ciphertext || tag (16), AES-256-GCM, no AAD."""
    if len(sealed) < 12 + 16:
        raise PairingError(f"sealed_assignment is {len(sealed)} bytes; at least 28 are needed")
    try:
        return AESGCM(key).decrypt(sealed[:12], sealed[12:], None)
    except Exception as e:  # cryptography raises InvalidTag
        raise PairingError("sealed_assignment does not open under the assignment key") from e
