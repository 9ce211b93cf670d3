"""DENM <-> UPER bytes via pycrate (``pycrate_asn1dir.ITS_DENM_3``: EN 302 637-3 v1.3.1 with
ITS-Container v1.3.1, which Wireshark 4.0 dissects for ``protocolVersion`` 2).

Two layers: ``denm_to_value``/``denm_from_value`` map the SI dataclasses to/from the plain
Python value tree pycrate uses (dicts, ``(name, value)`` choices, ``(int, nbits)`` bit strings)
and do all range checking; ``encode_denm``/``decode_denm`` add the bytes. The small helpers
at the top are shared with :mod:`v2x.codec.is_asn1`.
"""

from __future__ import annotations

import math
import numbers
import threading

from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.common import PROTOCOL_VERSION, MessageId, StationType
from v2x.messages.denm import (
    ALTITUDE_CONFIDENCES_M,
    DEFAULT_VALIDITY_S,
    DENM,
    RELEVANCE_DISTANCES_M,
    ActionId,
    LocationContainer,
    ManagementContainer,
    PathPoint,
    RelevanceTrafficDirection,
    RoadType,
    SituationContainer,
    Termination,
)

# pycrate PDU objects hold their value as mutable state, and the PER codec keeps a global
# ALIGNED flag: serialise every pycrate call made by kav's codecs.
PYCRATE_LOCK = threading.Lock()


# ---- shared helpers (also used by is_asn1) -------------------------------------------------

def check_int(value, lo: int, hi: int, field: str) -> int:
    """An integer field (not bool) in lo..hi, as a plain int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise MessageRangeError(field, value, f"an integer {lo}..{hi}")
    if not lo <= int(value) <= hi:
        raise MessageRangeError(field, value, f"{lo}..{hi}")
    return int(value)


def typed(obj, cls, field: str):
    """``obj`` if it is a ``cls`` (a nested dataclass), else MessageRangeError."""
    if not isinstance(obj, cls):
        raise MessageRangeError(field, obj, f"a {cls.__name__}")
    return obj


def _real(value, field: str) -> float:
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        try:
            x = float(value)
        except OverflowError:  # an int beyond float range
            raise MessageRangeError(field, value, "a finite number") from None
        if not math.isnan(x):
            return x
    raise MessageRangeError(field, value, "a real number")


def to_units(value, per_unit: float, lo: int, hi: int, field: str, *, unavailable=None,
             beyond=None, angle=False) -> int:
    """SI value -> nearest integer count of ``1/per_unit`` steps, checked against lo..hi.

    ``None`` -> the ``unavailable`` code (error if there is none). ``beyond`` is an ETSI
    "outOfRange" code: ``inf`` or anything above ``hi`` maps to it. ``angle``: value in
    radians, steps in degrees."""
    if value is None:
        if unavailable is None:
            raise MessageRangeError(field, value, "a value is required")
        return unavailable
    x = _real(value, field)
    if beyond is not None and x == math.inf:
        return beyond
    if not math.isfinite(x):
        raise MessageRangeError(field, value, "a finite number")
    n = round((math.degrees(x) if angle else x) * per_unit)
    if lo <= n <= hi:
        return n
    if beyond is not None and n > hi:
        return beyond
    unit = " deg" if angle else ""
    raise MessageRangeError(field, value, f"{lo / per_unit:g}..{hi / per_unit:g}{unit}")


def from_units(n: int, per_unit: float, *, unavailable=None, beyond=None, angle=False):
    """Inverse of :func:`to_units`."""
    if n == unavailable:
        return None
    if n == beyond:
        return math.inf
    x = n / per_unit
    return math.radians(x) if angle else x


def to_class(value, bounds: tuple, field: str, *, unavailable=None) -> int:
    """A non-negative value -> index of the first class bound >= it."""
    if value is None:
        if unavailable is None:
            raise MessageRangeError(field, value, "a value is required")
        return unavailable
    x = _real(value, field)
    if x < 0:
        raise MessageRangeError(field, value, ">= 0")
    return next(i for i, b in enumerate(bounds) if x <= b)


def to_enum(value, cls, field: str):
    """An enum member from a member or its value."""
    try:
        return cls(value)
    except (ValueError, TypeError):
        raise MessageRangeError(field, value, f"one of {[m.value for m in cls]}") from None


def to_bits(flags, nbits: int, field: str) -> tuple[int, int]:
    """Flag int (named bit k = ``1 << k``) -> pycrate BIT STRING (ASN.1 bit 0 first)."""
    v = check_int(flags, 0, (1 << nbits) - 1, field)
    return int(format(v, f"0{nbits}b")[::-1], 2), nbits


def from_bits(val, nbits: int, path: str) -> int:
    """pycrate BIT STRING of exactly ``nbits`` -> flag int (inverse of :func:`to_bits`)."""
    bits, size = val
    if size != nbits:
        raise DecodeError("unsupported", f"{path}: {size} bits, expected {nbits}")
    return int(format(bits, f"0{nbits}b")[::-1], 2)


def only(value: dict, allowed: frozenset | set, path: str) -> dict:
    """Reject components (including unknown extensions) the dataclasses cannot represent."""
    extra = set(value) - allowed
    if extra:
        raise DecodeError("unsupported", f"{path}.{sorted(extra)[0]}")
    return value


def header_value(station_id, mid: MessageId) -> dict:
    return {"protocolVersion": PROTOCOL_VERSION[mid], "messageID": int(mid),
            "stationID": check_int(station_id, 0, 0xFFFFFFFF, "station_id")}


def check_header(value: dict, mid: MessageId) -> int:
    """Station id of a decoded ItsPduHeader of the expected message and version."""
    hdr = value["header"]
    if hdr["messageID"] != mid:
        raise DecodeError("malformed", f"messageID {hdr['messageID']} is not {mid.name}")
    if hdr["protocolVersion"] != PROTOCOL_VERSION[mid]:
        raise DecodeError("unsupported", f"{mid.name} protocolVersion {hdr['protocolVersion']}")
    return hdr["stationID"]


def uper_decode(pdu, data, mid: MessageId, from_value):
    """UPER bytes -> dataclass; any failure is a DecodeError."""
    from pycrate_core.charpy import Charpy

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("malformed", f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise DecodeError("malformed", "empty payload")
    char = Charpy(data)
    with PYCRATE_LOCK:
        try:
            pdu.from_uper(char)
            value = pdu.get_val()
        except Exception as exc:  # pycrate raises many types on bad input
            raise DecodeError("malformed", f"{type(exc).__name__}: {exc}") from None
    if char.len_bit():
        raise DecodeError("malformed", f"{char.len_bit() // 8} trailing bytes")
    try:
        check_header(value, mid)
        return from_value(value)
    except DecodeError:
        raise
    except Exception as exc:  # a value tree our mapping did not foresee
        raise DecodeError("malformed", f"{type(exc).__name__}: {exc}") from None


def uper_encode(pdu, value: dict) -> bytes:
    with PYCRATE_LOCK:
        return pdu.to_uper(value)


# ---- DENM ------------------------------------------------------------------------------

_PDU = None
_TERMINATION = {Termination.CANCELLATION: "isCancellation", Termination.NEGATION: "isNegation"}
_RELEVANCE = ("lessThan50m", "lessThan100m", "lessThan200m", "lessThan500m", "lessThan1000m",
              "lessThan5km", "lessThan10km", "over10km")
_DIRECTION = ("allTrafficDirections", "upstreamTraffic", "downstreamTraffic", "oppositeTraffic")
_ROAD = ("urban-NoStructuralSeparationToOppositeLanes",
         "urban-WithStructuralSeparationToOppositeLanes",
         "nonUrban-NoStructuralSeparationToOppositeLanes",
         "nonUrban-WithStructuralSeparationToOppositeLanes")
_ALT_CONF = ("alt-000-01", "alt-000-02", "alt-000-05", "alt-000-10", "alt-000-20", "alt-000-50",
             "alt-001-00", "alt-002-00", "alt-005-00", "alt-010-00", "alt-020-00", "alt-050-00",
             "alt-100-00", "alt-200-00", "outOfRange", "unavailable")
_TIMESTAMP_MAX = 4398046511103


def _pdu():
    global _PDU
    if _PDU is None:  # pycrate modules take a while to import: only when first needed
        from pycrate_asn1dir import ITS_DENM_3

        _PDU = ITS_DENM_3.DENM_PDU_Descriptions.DENM
    return _PDU


def _cause(cc, sub, path):
    return {"causeCode": check_int(cc, 0, 255, f"{path}.cause"),
            "subCauseCode": check_int(sub, 0, 255, f"{path}.sub_cause")}


def _management(m: ManagementContainer) -> dict:
    p = "management"
    m = typed(m, ManagementContainer, p)
    a = typed(m.action_id, ActionId, f"{p}.action_id")
    v = {
        "actionID": {
            "originatingStationID": check_int(a.originating_station_id, 0, 0xFFFFFFFF,
                                              f"{p}.action_id.originating_station_id"),
            "sequenceNumber": check_int(a.sequence_number, 0, 65535,
                                        f"{p}.action_id.sequence_number")},
        "detectionTime": check_int(m.detection_time_ms, 0, _TIMESTAMP_MAX,
                                   f"{p}.detection_time_ms"),
        "referenceTime": check_int(m.reference_time_ms, 0, _TIMESTAMP_MAX,
                                   f"{p}.reference_time_ms"),
        "eventPosition": {
            "latitude": to_units(m.event_lat_deg, 1e7, -900000000, 900000000,
                                 f"{p}.event_lat_deg", unavailable=900000001),
            "longitude": to_units(m.event_lon_deg, 1e7, -1800000000, 1800000000,
                                  f"{p}.event_lon_deg", unavailable=1800000001),
            "positionConfidenceEllipse": {
                "semiMajorConfidence": to_units(m.semi_major_confidence_m, 100, 0, 4093,
                                                f"{p}.semi_major_confidence_m",
                                                unavailable=4095, beyond=4094),
                "semiMinorConfidence": to_units(m.semi_minor_confidence_m, 100, 0, 4093,
                                                f"{p}.semi_minor_confidence_m",
                                                unavailable=4095, beyond=4094),
                "semiMajorOrientation": to_units(m.semi_major_orientation_rad, 10, 0, 3600,
                                                 f"{p}.semi_major_orientation_rad",
                                                 unavailable=3601, angle=True)},
            "altitude": {
                "altitudeValue": to_units(m.event_altitude_m, 100, -100000, 800000,
                                          f"{p}.event_altitude_m", unavailable=800001),
                "altitudeConfidence": _ALT_CONF[to_class(
                    m.altitude_confidence_m, ALTITUDE_CONFIDENCES_M,
                    f"{p}.altitude_confidence_m", unavailable=15)]}},
        "stationType": check_int(m.station_type, 0, 255, f"{p}.station_type"),
    }
    if m.termination is not None:
        v["termination"] = _TERMINATION[to_enum(m.termination, Termination, f"{p}.termination")]
    if m.relevance_distance_m is not None:
        v["relevanceDistance"] = _RELEVANCE[to_class(m.relevance_distance_m,
                                                     RELEVANCE_DISTANCES_M,
                                                     f"{p}.relevance_distance_m")]
    if m.relevance_traffic_direction is not None:
        v["relevanceTrafficDirection"] = _DIRECTION[to_enum(
            m.relevance_traffic_direction, RelevanceTrafficDirection,
            f"{p}.relevance_traffic_direction")]
    validity = check_int(m.validity_duration_s, 0, 86400, f"{p}.validity_duration_s")
    if validity != DEFAULT_VALIDITY_S:  # canonical PER leaves a DEFAULT value out
        v["validityDuration"] = validity
    if m.transmission_interval_ms is not None:
        v["transmissionInterval"] = check_int(m.transmission_interval_ms, 1, 10000,
                                              f"{p}.transmission_interval_ms")
    return v


def _point(pt: PathPoint, path: str) -> dict:
    pt = typed(pt, PathPoint, path)
    v = {"pathPosition": {
        "deltaLatitude": to_units(pt.delta_lat_deg, 1e7, -131071, 131071,
                                  f"{path}.delta_lat_deg", unavailable=131072),
        "deltaLongitude": to_units(pt.delta_lon_deg, 1e7, -131071, 131071,
                                   f"{path}.delta_lon_deg", unavailable=131072),
        "deltaAltitude": to_units(pt.delta_alt_m, 100, -12700, 12799,
                                  f"{path}.delta_alt_m", unavailable=12800)}}
    if pt.delta_time_s is not None:
        v["pathDeltaTime"] = to_units(pt.delta_time_s, 100, 1, 65535, f"{path}.delta_time_s")
    return v


def _location(loc: LocationContainer) -> dict:
    p = "location"
    loc = typed(loc, LocationContainer, p)
    try:
        traces = tuple(tuple(t) for t in loc.traces)
    except TypeError:
        traces = None
    if traces is None or len(traces) > 7 or any(len(t) > 40 for t in traces):
        raise MessageRangeError(f"{p}.traces", loc.traces, "0..7 traces of 0..40 PathPoints")
    v = {"traces": [[_point(pt, f"{p}.traces[{i}][{j}]") for j, pt in enumerate(t)]
                    for i, t in enumerate(traces)] or [[]]}
    if loc.event_speed_mps is not None or loc.event_speed_confidence_mps is not None:
        v["eventSpeed"] = {
            "speedValue": to_units(loc.event_speed_mps, 100, 0, 16382, f"{p}.event_speed_mps",
                                   unavailable=16383),
            "speedConfidence": max(1, to_units(loc.event_speed_confidence_mps, 100, 0, 125,
                                               f"{p}.event_speed_confidence_mps",
                                               unavailable=127, beyond=126))}
    if loc.event_heading_rad is not None or loc.event_heading_confidence_rad is not None:
        v["eventPositionHeading"] = {
            "headingValue": to_units(loc.event_heading_rad, 10, 0, 3600,
                                     f"{p}.event_heading_rad", unavailable=3601, angle=True),
            "headingConfidence": max(1, to_units(loc.event_heading_confidence_rad, 10, 0, 125,
                                                 f"{p}.event_heading_confidence_rad",
                                                 unavailable=127, beyond=126, angle=True))}
    if loc.road_type is not None:
        v["roadType"] = _ROAD[to_enum(loc.road_type, RoadType, f"{p}.road_type")]
    return v


def denm_to_value(d: DENM) -> dict:
    """DENM -> pycrate value tree; raises MessageRangeError (dotted field path)."""
    d = typed(d, DENM, "denm")
    body = {"management": _management(d.management)}
    s = d.situation
    if s is not None:
        s = typed(s, SituationContainer, "situation")
        body["situation"] = {
            "informationQuality": check_int(s.information_quality, 0, 7,
                                            "situation.information_quality"),
            "eventType": _cause(s.cause, s.sub_cause, "situation")}
        if s.linked_cause is not None:
            if not isinstance(s.linked_cause, tuple) or len(s.linked_cause) != 2:
                raise MessageRangeError("situation.linked_cause", s.linked_cause,
                                        "a (cause, sub_cause) tuple")
            body["situation"]["linkedCause"] = _cause(*s.linked_cause,
                                                      "situation.linked_cause")
    if d.location is not None:
        body["location"] = _location(d.location)
    return {"header": header_value(d.station_id, MessageId.DENM), "denm": body}


def _point_from(v: dict) -> PathPoint:
    pos = v["pathPosition"]
    t = v.get("pathDeltaTime")
    if t is not None and t > 65535:  # PathDeltaTime is extensible; beyond 655.35 s
        raise DecodeError("unsupported", "pathDeltaTime extension value")
    return PathPoint(
        from_units(pos["deltaLatitude"], 1e7, unavailable=131072),
        from_units(pos["deltaLongitude"], 1e7, unavailable=131072),
        from_units(pos["deltaAltitude"], 100, unavailable=12800),
        None if t is None else from_units(t, 100))


def _management_from(m: dict) -> ManagementContainer:
    pos = m["eventPosition"]
    ell, alt = pos["positionConfidenceEllipse"], pos["altitude"]
    st = m["stationType"]
    term = m.get("termination")
    rel = m.get("relevanceDistance")
    direction = m.get("relevanceTrafficDirection")
    alt_conf = _ALT_CONF.index(alt["altitudeConfidence"])
    return ManagementContainer(
        action_id=ActionId(m["actionID"]["originatingStationID"],
                           m["actionID"]["sequenceNumber"]),
        detection_time_ms=m["detectionTime"],
        reference_time_ms=m["referenceTime"],
        event_lat_deg=from_units(pos["latitude"], 1e7, unavailable=900000001),
        event_lon_deg=from_units(pos["longitude"], 1e7, unavailable=1800000001),
        station_type=StationType(st) if st in StationType._value2member_map_ else st,
        termination=None if term is None else (Termination.CANCELLATION
                                               if term == "isCancellation"
                                               else Termination.NEGATION),
        relevance_distance_m=None if rel is None else RELEVANCE_DISTANCES_M[_RELEVANCE.index(rel)],
        relevance_traffic_direction=(None if direction is None else
                                     RelevanceTrafficDirection(_DIRECTION.index(direction))),
        validity_duration_s=m.get("validityDuration", DEFAULT_VALIDITY_S),
        transmission_interval_ms=m.get("transmissionInterval"),
        event_altitude_m=from_units(alt["altitudeValue"], 100, unavailable=800001),
        altitude_confidence_m=None if alt_conf == 15 else ALTITUDE_CONFIDENCES_M[alt_conf],
        semi_major_confidence_m=from_units(ell["semiMajorConfidence"], 100, unavailable=4095,
                                           beyond=4094),
        semi_minor_confidence_m=from_units(ell["semiMinorConfidence"], 100, unavailable=4095,
                                           beyond=4094),
        semi_major_orientation_rad=from_units(ell["semiMajorOrientation"], 10,
                                              unavailable=3601, angle=True))


def _location_from(v: dict) -> LocationContainer:
    traces = tuple(tuple(_point_from(p) for p in t) for t in v["traces"])
    speed = v.get("eventSpeed", {"speedValue": 16383, "speedConfidence": 127})
    heading = v.get("eventPositionHeading", {"headingValue": 3601, "headingConfidence": 127})
    road = v.get("roadType")
    return LocationContainer(
        traces=() if traces == ((),) else traces,
        event_speed_mps=from_units(speed["speedValue"], 100, unavailable=16383),
        event_speed_confidence_mps=from_units(speed["speedConfidence"], 100, unavailable=127,
                                              beyond=126),
        event_heading_rad=from_units(heading["headingValue"], 10, unavailable=3601, angle=True),
        event_heading_confidence_rad=from_units(heading["headingConfidence"], 10,
                                                unavailable=127, beyond=126, angle=True),
        road_type=None if road is None else RoadType(_ROAD.index(road)))


def denm_from_value(v: dict) -> DENM:
    """pycrate value tree -> DENM; DecodeError("unsupported") for parts kav cannot hold."""
    body = only(v["denm"], {"management", "situation", "location"}, "denm")
    only(body["management"], {"actionID", "detectionTime", "referenceTime", "termination",
                              "eventPosition", "relevanceDistance",
                              "relevanceTrafficDirection", "validityDuration",
                              "transmissionInterval", "stationType"}, "denm.management")
    situation = location = None
    if "situation" in body:
        s = only(body["situation"], {"informationQuality", "eventType", "linkedCause"},
                 "denm.situation")
        only(s["eventType"], {"causeCode", "subCauseCode"}, "denm.situation.eventType")
        linked = s.get("linkedCause")
        if linked is not None:
            only(linked, {"causeCode", "subCauseCode"}, "denm.situation.linkedCause")
        situation = SituationContainer(
            cause=s["eventType"]["causeCode"], sub_cause=s["eventType"]["subCauseCode"],
            information_quality=s["informationQuality"],
            linked_cause=None if linked is None else (linked["causeCode"],
                                                      linked["subCauseCode"]))
    if "location" in body:
        location = _location_from(only(body["location"], {"eventSpeed", "eventPositionHeading",
                                                          "traces", "roadType"},
                                       "denm.location"))
    return DENM(station_id=v["header"]["stationID"],
                management=_management_from(body["management"]),
                situation=situation, location=location)


def encode_denm(d: DENM) -> bytes:
    """DENM -> UPER bytes. Raises MessageRangeError for values the wire cannot carry."""
    return uper_encode(_pdu(), denm_to_value(d))


def decode_denm(data: bytes) -> DENM:
    """UPER bytes -> DENM. Raises only DecodeError ("malformed" or "unsupported")."""
    return uper_decode(_pdu(), data, MessageId.DENM, denm_from_value)
