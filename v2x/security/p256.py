"""NIST P-256 ECDSA with deterministic nonces (RFC 6979) in pure Python integers.

Why this exists: ``cryptography`` signs with a random nonce, so two runs of the same
scenario would put different signature bytes on the air. A replayed run must be
bit-identical, so kav signs with the RFC 6979 nonce (HMAC-SHA256 DRBG keyed by the private
key and the digest) and does the curve arithmetic here. Verification stays with
``cryptography`` (OpenSSL), which also proves the signatures interoperate.

Everything works on the 32-byte *digest* ``e`` that IEEE 1609.2 signs (its own
hash-of-hashes, see :mod:`v2x.security.certificates`), i.e. ECDSA in "prehashed" mode.
Not constant-time: fine for a simulation testbed, not for protecting real keys.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Curve parameters (FIPS 186-4 D.1.2.3 / SEC 2 secp256r1); a = -3
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

PREHASHED_SHA256 = ec.ECDSA(utils.Prehashed(hashes.SHA256()))

_Jac = tuple[int, int, int]  # Jacobian (X, Y, Z): x = X/Z^2, y = Y/Z^3; Z == 0 is infinity
_INF: _Jac = (1, 1, 0)


def _double(pt: _Jac) -> _Jac:
    x, y, z = pt
    if z == 0 or y == 0:
        return _INF
    # dbl-2001-b (a = -3): 3M + 5S
    zz = z * z % P
    yy = y * y % P
    beta = x * yy % P
    alpha = 3 * (x - zz) * (x + zz) % P
    x3 = (alpha * alpha - 8 * beta) % P
    z3 = ((y + z) * (y + z) - yy - zz) % P
    y3 = (alpha * (4 * beta - x3) - 8 * yy * yy) % P
    return x3, y3, z3


def _add_affine(pt: _Jac, qx: int, qy: int) -> _Jac:
    """Jacobian + affine (mixed addition, madd-2007-bl)."""
    x1, y1, z1 = pt
    if z1 == 0:
        return qx, qy, 1
    z1z1 = z1 * z1 % P
    u2 = qx * z1z1 % P
    s2 = qy * z1 * z1z1 % P
    h = (u2 - x1) % P
    r = (s2 - y1) % P
    if h == 0:
        return _double(pt) if r == 0 else _INF
    hh = h * h % P
    i = 4 * hh % P
    j = h * i % P
    rr = 2 * r % P
    v = x1 * i % P
    x3 = (rr * rr - j - 2 * v) % P
    y3 = (rr * (v - x3) - 2 * y1 * j) % P
    z3 = ((z1 + h) * (z1 + h) - z1z1 - hh) % P
    return x3, y3, z3


def _to_affine(pt: _Jac) -> tuple[int, int] | None:
    x, y, z = pt
    if z == 0:
        return None
    zi = pow(z, -1, P)
    zi2 = zi * zi % P
    return x * zi2 % P, y * zi2 * zi % P


def scalar_mult(k: int, px: int, py: int) -> tuple[int, int] | None:
    """k * (px, py) by double-and-add (affine result; None for the point at infinity)."""
    acc = _INF
    for bit in bin(k % N)[2:]:
        acc = _double(acc)
        if bit == "1":
            acc = _add_affine(acc, px, py)
    return _to_affine(acc)


# Fixed-base comb for G: _TABLE[i][j] = (j * 16^i) * G (affine), so k*G costs 64 mixed
# additions and no doublings. Built lazily (about 1000 points, tens of ms, once).
_TABLE: list[list[tuple[int, int]]] = []


def _build_table() -> None:
    bx, by = GX, GY
    for _ in range(64):
        row, acc = [(bx, by)], (bx, by, 1)
        for _ in range(14):
            acc = _add_affine(acc, bx, by)
            row.append(_to_affine(acc))
        _TABLE.append(row)
        nxt = (bx, by, 1)
        for _ in range(4):
            nxt = _double(nxt)
        bx, by = _to_affine(nxt)


def base_mult(k: int) -> tuple[int, int] | None:
    """k * G (affine; None for infinity)."""
    if not _TABLE:
        _build_table()
    k %= N
    acc = _INF
    for i in range(64):
        nib = (k >> (4 * i)) & 0xF
        if nib:
            acc = _add_affine(acc, *_TABLE[i][nib - 1])
    return _to_affine(acc)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def rfc6979_nonces(d: int, digest: bytes):
    """Candidate nonces k of RFC 6979 §3.2 for P-256 / HMAC-SHA256 (qlen = hlen = 256)."""
    x = d.to_bytes(32, "big")
    h1 = (int.from_bytes(digest, "big") % N).to_bytes(32, "big")  # bits2octets
    v, key = b"\x01" * 32, b"\x00" * 32
    key = _hmac(key, v + b"\x00" + x + h1)
    v = _hmac(key, v)
    key = _hmac(key, v + b"\x01" + x + h1)
    v = _hmac(key, v)
    while True:
        v = _hmac(key, v)
        k = int.from_bytes(v, "big")
        if 1 <= k < N:
            yield k
        key = _hmac(key, v + b"\x00")
        v = _hmac(key, v)


def sign_digest(d: int, digest: bytes) -> tuple[int, int]:
    """Deterministic ECDSA signature (r, s) of a 32-byte ``digest`` with private scalar d."""
    if len(digest) != 32 or not 1 <= d < N:
        raise ValueError("P-256 signing needs a 32-byte digest and 1 <= d < n")
    e = int.from_bytes(digest, "big")
    for k in rfc6979_nonces(d, digest):
        r = base_mult(k)[0] % N
        if r == 0:
            continue
        s = pow(k, -1, N) * (e + r * d) % N
        if s:
            return r, s
    raise AssertionError("unreachable")  # pragma: no cover


def _openssl_deterministic():
    """The RFC 6979 mode of OpenSSL (3.2+, cryptography 43+), or None where unavailable."""
    try:
        algo = ec.ECDSA(PREHASHED_SHA256.algorithm, deterministic_signing=True)
    except TypeError:  # an older cryptography
        return None
    try:
        ec.derive_private_key(7, ec.SECP256R1()).sign(bytes(32), algo)
    except Exception:  # an OpenSSL without deterministic nonces  # noqa: BLE001
        return None
    return algo


_DETERMINISTIC = _openssl_deterministic()


def sign_digest_deterministic(key: ec.EllipticCurvePrivateKey, digest: bytes) -> tuple[int, int]:
    """RFC 6979 ECDSA (r, s), by OpenSSL where it offers deterministic nonces (about 25x
    faster than :func:`sign_digest`, same result), else by :func:`sign_digest`."""
    if _DETERMINISTIC is None:
        return sign_digest(private_scalar(key), digest)
    return utils.decode_dss_signature(key.sign(digest, _DETERMINISTIC))


def sign_digest_random(key: ec.EllipticCurvePrivateKey, digest: bytes) -> tuple[int, int]:
    """ECDSA (r, s) with OpenSSL's random nonce (faster, not reproducible)."""
    return utils.decode_dss_signature(key.sign(digest, PREHASHED_SHA256))


def verify_digest(key: ec.EllipticCurvePublicKey, digest: bytes, r: int, s: int) -> bool:
    """True when (r, s) is a valid signature of ``digest`` under ``key`` (OpenSSL)."""
    if not (1 <= r < N and 1 <= s < N):
        return False
    try:
        key.verify(utils.encode_dss_signature(r, s), digest, PREHASHED_SHA256)
    except Exception:  # InvalidSignature, or anything OpenSSL dislikes
        return False
    return True


def derive_scalar(seed: bytes, label: bytes) -> int:
    """Private scalar in [1, n-1] from ``seed`` and ``label``: HMAC-SHA256(seed, label ||
    counter) in counter mode with rejection sampling (no modulo bias)."""
    for counter in range(1 << 32):
        t = _hmac(seed, label + counter.to_bytes(4, "big"))
        d = int.from_bytes(t, "big")
        if 1 <= d < N:
            return d
    raise AssertionError("unreachable")  # pragma: no cover


def private_key(d: int) -> ec.EllipticCurvePrivateKey:
    """``cryptography`` key object for private scalar d."""
    return ec.derive_private_key(d, ec.SECP256R1())


def private_scalar(key: ec.EllipticCurvePrivateKey) -> int:
    return key.private_numbers().private_value


def compressed_point(key: ec.EllipticCurvePublicKey) -> tuple[int, bytes]:
    """(y parity 0/1, 32-byte x) of a public key, as EccP256CurvePoint compressed-y-0/1."""
    raw = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    return raw[0] & 1, raw[1:]


def public_key_from_point(prefix: int, body: bytes) -> ec.EllipticCurvePublicKey:
    """SEC 1 point (``prefix`` 2/3 with x, or 4 with x||y) -> public key; ValueError if the
    point is not on the curve."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes([prefix]) + body)

