"""MAPEM (ETSI TS 103 301 v1.3.1, ``protocolVersion`` 2, carrying the ISO TS 19091 MapData)
as frozen SI-unit dataclasses.

Lane geometry is held as node positions [m] (x east, y north) relative to the intersection
reference point, at 1 cm resolution; the codec turns them into the node-to-node offsets the
wire carries (the first node relative to the reference point), each in the smallest
NodeOffsetPointXY variant that fits (node-XY1 +-5.11 m .. node-XY6 +-327.67 m).

Korea: right turn on red and signed U-turns are lane maneuvers
(:attr:`AllowedManeuvers.RIGHT_TURN_ON_RED`, :attr:`AllowedManeuvers.U_TURN`).

Ranges are checked by :func:`quantise` and the encoder (MessageRangeError with the dotted
field path); nothing is clipped or wrapped. ``decode_mapem(encode_mapem(m)) == quantise(m)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from v2x.messages.spatem import IntersectionRef

__all__ = ["AllowedManeuvers", "Connection", "IntersectionGeometry", "IntersectionRef", "Lane",
           "LaneDirection", "LaneSharing", "LaneType", "MAPEM", "quantise"]  # ref re-exported


class AllowedManeuvers(IntFlag):
    """AllowedManeuvers: bit k of the 12-bit ASN.1 BIT STRING is ``1 << k``."""

    STRAIGHT = 1 << 0
    LEFT = 1 << 1
    RIGHT = 1 << 2
    U_TURN = 1 << 3
    LEFT_TURN_ON_RED = 1 << 4
    RIGHT_TURN_ON_RED = 1 << 5
    LANE_CHANGE = 1 << 6
    NO_STOPPING = 1 << 7
    YIELD_ALWAYS_REQUIRED = 1 << 8
    GO_WITH_HALT = 1 << 9  # stop first, then proceed (with RIGHT_TURN_ON_RED: Korea's rule)
    CAUTION = 1 << 10
    RESERVED1 = 1 << 11


class LaneDirection(IntFlag):
    """LaneDirection: travel towards the intersection (ingress) and/or away (egress)."""

    INGRESS = 1 << 0
    EGRESS = 1 << 1


class LaneSharing(IntFlag):
    """LaneSharing (10 bits): who else uses the lane."""

    OVERLAPPING_LANE_DESCRIPTION_PROVIDED = 1 << 0
    MULTIPLE_LANES_TREATED_AS_ONE_LANE = 1 << 1
    OTHER_NON_MOTORIZED_TRAFFIC_TYPES = 1 << 2
    INDIVIDUAL_MOTORIZED_VEHICLE_TRAFFIC = 1 << 3
    BUS_VEHICLE_TRAFFIC = 1 << 4
    TAXI_VEHICLE_TRAFFIC = 1 << 5
    PEDESTRIANS_TRAFFIC = 1 << 6
    CYCLIST_VEHICLE_TRAFFIC = 1 << 7
    TRACKED_VEHICLE_TRAFFIC = 1 << 8
    PEDESTRIAN_TRAFFIC = 1 << 9


class LaneType(IntEnum):
    """LaneTypeAttributes choice. Type attribute bits: 8 for VEHICLE, 16 for the others."""

    VEHICLE = 0
    CROSSWALK = 1
    BIKE_LANE = 2
    SIDEWALK = 3
    MEDIAN = 4
    STRIPING = 5
    TRACKED_VEHICLE = 6
    PARKING = 7


@dataclass(frozen=True)
class Connection:
    """Where a lane leads: ``lane_id`` 0..255 of the connecting (egress) lane, the optional
    ``maneuver`` used, the controlling ``signal_group`` 1..255 and ``connection_id`` 0..255
    (links SPaT maneuver assist), ``None`` = absent."""

    lane_id: int
    maneuver: AllowedManeuvers | None = None
    signal_group: int | None = None
    connection_id: int | None = None


@dataclass(frozen=True)
class Lane:
    """GenericLane. ``nodes_m``: 2..63 (x, y) points [m] from the reference point (x east,
    y north), 1 cm; successive points at most 327.67 m apart per axis. Approaches 0..15.
    ``type_attributes``: the lane type's attribute bits (bit k = ``1 << k``)."""

    lane_id: int
    directional_use: LaneDirection
    nodes_m: tuple[tuple[float, float], ...]
    lane_type: LaneType = LaneType.VEHICLE
    type_attributes: int = 0
    shared_with: LaneSharing = LaneSharing(0)
    ingress_approach: int | None = None
    egress_approach: int | None = None
    maneuvers: AllowedManeuvers | None = None
    connects_to: tuple[Connection, ...] = ()


@dataclass(frozen=True)
class IntersectionGeometry:
    """One intersection: ``revision`` 0..127, reference point ``ref_lat_deg`` /
    ``ref_lon_deg`` [deg] (1e-7) and optional ``ref_elevation_m`` (-409.5..6143.9 m, 0.1 m),
    default ``lane_width_m`` 0..327.67 [m] (1 cm), ``lanes`` 1..255."""

    ref: IntersectionRef
    revision: int
    ref_lat_deg: float
    ref_lon_deg: float
    lanes: tuple[Lane, ...]
    ref_elevation_m: float | None = None
    lane_width_m: float | None = None


@dataclass(frozen=True)
class MAPEM:
    """A MAPEM: ItsPduHeader ``station_id`` (0..2**32-1), MapData ``msg_issue_revision``
    0..127, ``intersections`` 0..32 and optional ``moy`` timestamp [min of the year]."""

    station_id: int
    msg_issue_revision: int
    intersections: tuple[IntersectionGeometry, ...]
    moy: int | None = None


def quantise(msg: MAPEM) -> MAPEM:
    """What :func:`~v2x.codec.is_asn1.decode_mapem` returns after encoding ``msg``."""
    # one SI <-> wire mapping (in the codec) serves both, so they cannot disagree
    from v2x.codec.is_asn1 import mapem_from_value, mapem_to_value

    return mapem_from_value(mapem_to_value(msg))
