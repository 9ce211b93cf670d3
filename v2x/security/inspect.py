"""Read a secured packet without verifying it: for capture analysis and export tools only.

What Wireshark does when it dissects a signed frame: show the payload and the header
fields. A receiver that acts on messages uses :class:`v2x.security.Verifier`; nothing here
decides whether a message is trustworthy.
"""

from __future__ import annotations

from dataclasses import dataclass

from v2x.errors import DecodeError
from v2x.security import wire


@dataclass(frozen=True)
class Unverified:
    """The parts of a signed ``Ieee1609Dot2Data``, as sent (unchecked): ``inner`` payload,
    ``psid``, ``generation_time_us`` (Time64) and whether a full certificate was attached."""

    inner: bytes
    psid: int
    generation_time_us: int | None
    full_certificate: bool


def peek(secured: bytes) -> Unverified:
    """The payload and header of a signed packet; DecodeError when it is not one."""
    val = wire.decode_exact(wire.DATA, secured)
    try:
        kind, signed = val["content"]
        if kind != "signedData":
            raise DecodeError("unsupported", f"content {kind}")
        tbs = signed["tbsData"]
        pkind, inner = tbs["payload"]["data"]["content"]
        if pkind != "unsecuredData":
            raise DecodeError("unsupported", f"payload {pkind}")
        head = tbs["headerInfo"]
        return Unverified(bytes(inner), int(head["psid"]), head.get("generationTime"),
                          signed["signer"][0] == "certificate")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise DecodeError("malformed", f"not signed data: {exc}") from exc
