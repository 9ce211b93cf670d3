"""Identifiers shared by every ETSI ITS message: message ids, BTP ports, ITS-AIDs.

Sources: ETSI TS 102 894-2 (ItsPduHeader.messageID), ETSI TS 103 248 (BTP port numbers),
ETSI TS 102 965 (ITS-AID / IEEE 1609.2 PSID). Facts: ``shared/design/v2x.md``.
"""

from __future__ import annotations

from enum import IntEnum


class MessageId(IntEnum):
    """ItsPduHeader.messageID."""

    DENM = 1
    CAM = 2
    SPATEM = 4
    MAPEM = 5
    IVIM = 6
    CPM = 14


# ItsPduHeader.protocolVersion kav sends, per message. These are the versions Debian's
# Wireshark 4.0 dissects as the current (non-"v1") definitions.
PROTOCOL_VERSION = {
    MessageId.DENM: 2,
    MessageId.CAM: 2,
    MessageId.SPATEM: 2,
    MessageId.MAPEM: 2,
    MessageId.IVIM: 2,
    MessageId.CPM: 1,
}

# BTP-B well-known destination ports (ETSI TS 103 248)
BTP_PORT = {
    MessageId.CAM: 2001,
    MessageId.DENM: 2002,
    MessageId.MAPEM: 2003,
    MessageId.SPATEM: 2004,
    MessageId.IVIM: 2006,
    MessageId.CPM: 2009,
}
MESSAGE_FOR_PORT = {port: mid for mid, port in BTP_PORT.items()}

# ITS-AID (IEEE 1609.2 PSID) carried in the security header
ITS_AID = {
    MessageId.CAM: 36,
    MessageId.DENM: 37,
    MessageId.SPATEM: 137,
    MessageId.MAPEM: 138,
    MessageId.IVIM: 139,
    MessageId.CPM: 639,
}


class StationType(IntEnum):
    """ETSI StationType (TS 102 894-2)."""

    UNKNOWN = 0
    PEDESTRIAN = 1
    CYCLIST = 2
    MOPED = 3
    MOTORCYCLE = 4
    PASSENGER_CAR = 5
    BUS = 6
    LIGHT_TRUCK = 7
    HEAVY_TRUCK = 8
    TRAILER = 9
    SPECIAL_VEHICLE = 10
    TRAM = 11
    ROAD_SIDE_UNIT = 15
