"""Errors raised by the V2X layer.

Every decoder and verifier raises only :class:`DecodeError` (or its subclasses) on bad
network input, so a receiver can reject and count a frame without catching anything else.
Encoders raise :class:`MessageRangeError` for a value the wire format cannot carry: values
are never silently clipped or wrapped.
"""

from __future__ import annotations


class V2XError(ValueError):
    """Base class of every V2X error."""


class MessageRangeError(V2XError):
    """A message field is outside what the ETSI data element can carry.

    ``field`` is the dotted path of the field (e.g. ``"perceived_objects[2].x_distance_m"``).
    """

    def __init__(self, field: str, value, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r} is out of range: {allowed}")


class DecodeError(V2XError):
    """Bytes that are not a valid frame or message. ``reason`` is a short, stable tag used
    for rejection counters (e.g. ``"malformed"``, ``"bad-signature"``)."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
