"""Message codecs: every kav message to and from its ETSI UPER bytes.

:func:`encode` / :func:`decode` dispatch on the message type / the ItsPduHeader's
messageID. CAMs go through the Numba codec (byte-identical to pycrate, proved by property
tests); DENM, SPATEM and MAPEM through pycrate's ETSI modules; CPM through kav's own UPER
codec (proved against Wireshark). Decoding raises only :class:`v2x.errors.DecodeError`.
"""

from __future__ import annotations

from v2x.errors import DecodeError
from v2x.messages.common import MESSAGE_FOR_PORT, MessageId


def encode(msg) -> bytes:
    """UPER bytes of a CAM, DENM, CPM, SPATEM or MAPEM dataclass."""
    name = type(msg).__name__
    if name == "CAM":
        from v2x.codec.cam_fast import encode_cam_fast

        return encode_cam_fast(msg)
    if name == "DENM":
        from v2x.codec.denm_asn1 import encode_denm

        return encode_denm(msg)
    if name == "CPM":
        from v2x.codec.cpm import encode_cpm

        return encode_cpm(msg)
    if name == "SPATEM":
        from v2x.codec.is_asn1 import encode_spatem

        return encode_spatem(msg)
    if name == "MAPEM":
        from v2x.codec.is_asn1 import encode_mapem

        return encode_mapem(msg)
    raise TypeError(f"no codec for {name}")


def message_id(msg) -> MessageId:
    """The messageID of a message dataclass."""
    return MessageId[type(msg).__name__]


def decode(data: bytes, *, btp_port: int | None = None):
    """The message in ``data`` (UPER, starting at the ItsPduHeader). With ``btp_port``, the
    message must be the one that port carries (a CAM on the DENM port is malformed)."""
    if len(data) < 2:
        raise DecodeError("malformed", "shorter than an ItsPduHeader")
    try:
        mid = MessageId(data[1])
    except ValueError:
        raise DecodeError("unsupported", f"messageID {data[1]}") from None
    if btp_port is not None and MESSAGE_FOR_PORT.get(btp_port) != mid:
        raise DecodeError("malformed", f"{mid.name} on BTP port {btp_port}")
    if mid == MessageId.CAM:
        from v2x.codec.cam_fast import decode_cam_fast

        return decode_cam_fast(data)
    if mid == MessageId.DENM:
        from v2x.codec.denm_asn1 import decode_denm

        return decode_denm(data)
    if mid == MessageId.CPM:
        from v2x.codec.cpm import decode_cpm

        return decode_cpm(data)
    if mid == MessageId.SPATEM:
        from v2x.codec.is_asn1 import decode_spatem

        return decode_spatem(data)
    if mid == MessageId.MAPEM:
        from v2x.codec.is_asn1 import decode_mapem

        return decode_mapem(data)
    raise DecodeError("unsupported", f"no decoder for {mid.name}")
