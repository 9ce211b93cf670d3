"""SPATEM and MAPEM <-> UPER bytes via pycrate (``pycrate_asn1dir.ITS_IS``: TS 103 301 v1.3.1
PDUs over the ISO TS 19091 DSRC module, version 2; Wireshark 4.0 dissects them for
``protocolVersion`` 2). Regional extensions are neither sent nor accepted.

As in :mod:`v2x.codec.denm_asn1`: ``*_to_value``/``*_from_value`` map the SI dataclasses
to/from pycrate's value tree (with all range checks), ``encode_*``/``decode_*`` add the bytes.
"""

from __future__ import annotations

from v2x.codec.denm_asn1 import (
    check_int,
    from_bits,
    from_units,
    header_value,
    only,
    to_bits,
    to_enum,
    to_units,
    typed,
    uper_decode,
    uper_encode,
)
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.common import MessageId
from v2x.messages.mapem import (
    MAPEM,
    AllowedManeuvers,
    Connection,
    IntersectionGeometry,
    Lane,
    LaneDirection,
    LaneSharing,
    LaneType,
)
from v2x.messages.spatem import (
    SPATEM,
    IntersectionRef,
    IntersectionState,
    IntersectionStatus,
    MovementEvent,
    MovementPhaseState,
    MovementState,
    TimeChange,
)

_PDUS: dict = {}
_PHASES = ("unavailable", "dark", "stop-Then-Proceed", "stop-And-Remain", "pre-Movement",
           "permissive-Movement-Allowed", "protected-Movement-Allowed", "permissive-clearance",
           "protected-clearance", "caution-Conflicting-Traffic")
_LANE_TYPES = ("vehicle", "crosswalk", "bikeLane", "sidewalk", "median", "striping",
               "trackedVehicle", "parking")
# (exclusive bound [cm], variant): node offsets use the smallest that holds both axes
_XY = ((512, "node-XY1"), (1024, "node-XY2"), (2048, "node-XY3"), (4096, "node-XY4"),
       (8192, "node-XY5"), (32768, "node-XY6"))
_MARKS = (("start_s", "startTime"), ("max_end_s", "maxEndTime"), ("likely_s", "likelyTime"),
          ("next_s", "nextTime"))
_MOY_MAX, _MOY_INVALID = 527039, 527040  # MinuteOfTheYear 527040 = invalid
_DSECOND_MAX, _DSECOND_UNAVAILABLE = 65534, 65535
_TIME_MARK_MAX, _TIME_MARK_UNKNOWN = 36000, 36001


def _pdu(name: str):
    if name not in _PDUS:  # pycrate modules take a while to import: only when first needed
        from pycrate_asn1dir import ITS_IS

        _PDUS["SPATEM"] = ITS_IS.SPATEM_PDU_Descriptions.SPATEM
        _PDUS["MAPEM"] = ITS_IS.MAPEM_PDU_Descriptions.MAPEM
    return _PDUS[name]


def _items(items, lo: int, hi: int, path: str) -> tuple:
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise MessageRangeError(path, items, f"a sequence of {lo}..{hi} items")
    items = tuple(items)
    if not lo <= len(items) <= hi:
        raise MessageRangeError(path, f"{len(items)} items", f"{lo}..{hi} items")
    return items


def _ref(ref, path: str) -> dict:
    ref = typed(ref, IntersectionRef, path)
    v = {"id": check_int(ref.id, 0, 65535, f"{path}.id")}
    if ref.region is not None:
        v["region"] = check_int(ref.region, 0, 65535, f"{path}.region")
    return v


def _ref_from(v: dict) -> IntersectionRef:
    return IntersectionRef(id=v["id"], region=v.get("region"))


def _opt(target: dict, key: str, value, conv) -> None:
    if value is not None:
        target[key] = conv(value)


def _present(v: dict, key: str, missing):
    """Optional component, with its "unavailable" code read as absent."""
    x = v.get(key)
    return None if x == missing else x


# ---- SPATEM --------------------------------------------------------------------------

def _timing(t, path: str) -> dict:
    t = typed(t, TimeChange, path)
    v = {"minEndTime": to_units(t.min_end_s, 10, 0, _TIME_MARK_MAX, f"{path}.min_end_s",
                                unavailable=_TIME_MARK_UNKNOWN)}
    for attr, key in _MARKS:
        _opt(v, key, getattr(t, attr),
             lambda x, a=attr: to_units(x, 10, 0, _TIME_MARK_MAX, f"{path}.{a}"))
    _opt(v, "confidence", t.confidence, lambda x: check_int(x, 0, 15, f"{path}.confidence"))
    return v


def _timing_from(v: dict) -> TimeChange:
    def mark(key):
        x = v.get(key)
        return None if x is None else from_units(x, 10, unavailable=_TIME_MARK_UNKNOWN)

    return TimeChange(min_end_s=mark("minEndTime"), start_s=mark("startTime"),
                      max_end_s=mark("maxEndTime"), likely_s=mark("likelyTime"),
                      confidence=v.get("confidence"), next_s=mark("nextTime"))


def _movement(ms, path: str) -> dict:
    ms = typed(ms, MovementState, path)
    events = []
    for k, ev in enumerate(_items(ms.events, 1, 16, f"{path}.events")):
        p = f"{path}.events[{k}]"
        ev = typed(ev, MovementEvent, p)
        e = {"eventState": _PHASES[to_enum(ev.state, MovementPhaseState, f"{p}.state")]}
        _opt(e, "timing", ev.timing, lambda t, p=p: _timing(t, f"{p}.timing"))
        events.append(e)
    return {"signalGroup": check_int(ms.signal_group, 1, 255, f"{path}.signal_group"),
            "state-time-speed": events}


def _movement_from(v: dict, path: str) -> MovementState:
    only(v, {"signalGroup", "state-time-speed"}, path)
    if v["signalGroup"] == 0:  # "not available": a movement kav cannot refer to
        raise DecodeError("unsupported", f"{path}.signalGroup 0")
    events = []
    for e in v["state-time-speed"]:
        only(e, {"eventState", "timing"}, f"{path}.state-time-speed")
        timing = e.get("timing")
        events.append(MovementEvent(MovementPhaseState(_PHASES.index(e["eventState"])),
                                    None if timing is None else _timing_from(timing)))
    return MovementState(signal_group=v["signalGroup"], events=tuple(events))


def _intersection_state(s, path: str) -> dict:
    s = typed(s, IntersectionState, path)
    v = {"id": _ref(s.ref, f"{path}.ref"),
         "revision": check_int(s.revision, 0, 127, f"{path}.revision"),
         "status": to_bits(s.status, 16, f"{path}.status"),
         "states": [_movement(m, f"{path}.states[{k}]")
                    for k, m in enumerate(_items(s.states, 1, 255, f"{path}.states"))]}
    _opt(v, "moy", s.moy, lambda x: check_int(x, 0, _MOY_MAX, f"{path}.moy"))
    _opt(v, "timeStamp", s.timestamp_ms,
         lambda x: check_int(x, 0, _DSECOND_MAX, f"{path}.timestamp_ms"))
    return v


def spatem_to_value(m: SPATEM) -> dict:
    """SPATEM -> pycrate value tree; raises MessageRangeError (dotted field path)."""
    m = typed(m, SPATEM, "spatem")
    spat = {"intersections": [_intersection_state(s, f"intersections[{k}]") for k, s in
                              enumerate(_items(m.intersections, 1, 32, "intersections"))]}
    _opt(spat, "timeStamp", m.moy, lambda x: check_int(x, 0, _MOY_MAX, "moy"))
    return {"header": header_value(m.station_id, MessageId.SPATEM), "spat": spat}


def spatem_from_value(v: dict) -> SPATEM:
    """pycrate value tree -> SPATEM; DecodeError("unsupported") for parts kav cannot hold."""
    spat = only(v["spat"], {"timeStamp", "intersections"}, "spat")
    inters = []
    for k, s in enumerate(spat["intersections"]):
        p = f"spat.intersections[{k}]"
        only(s, {"id", "revision", "status", "moy", "timeStamp", "states"}, p)
        inters.append(IntersectionState(
            ref=_ref_from(s["id"]), revision=s["revision"],
            states=tuple(_movement_from(ms, f"{p}.states[{j}]")
                         for j, ms in enumerate(s["states"])),
            status=IntersectionStatus(from_bits(s["status"], 16, f"{p}.status")),
            moy=_present(s, "moy", _MOY_INVALID),
            timestamp_ms=_present(s, "timeStamp", _DSECOND_UNAVAILABLE)))
    return SPATEM(station_id=v["header"]["stationID"], intersections=tuple(inters),
                  moy=_present(spat, "timeStamp", _MOY_INVALID))


def encode_spatem(m: SPATEM) -> bytes:
    """SPATEM -> UPER bytes. Raises MessageRangeError for values the wire cannot carry."""
    return uper_encode(_pdu("SPATEM"), spatem_to_value(m))


def decode_spatem(data: bytes) -> SPATEM:
    """UPER bytes -> SPATEM. Raises only DecodeError ("malformed" or "unsupported")."""
    return uper_decode(_pdu("SPATEM"), data, MessageId.SPATEM, spatem_from_value)


# ---- MAPEM ---------------------------------------------------------------------------

def _nodes(nodes, path: str) -> tuple:
    out, px, py = [], 0, 0
    for k, pt in enumerate(_items(nodes, 2, 63, path)):
        p = f"{path}[{k}]"
        if not hasattr(pt, "__len__") or len(pt) != 2:
            raise MessageRangeError(p, pt, "an (x, y) pair [m]")
        x = to_units(pt[0], 100, -10**9, 10**9, f"{p}.x")
        y = to_units(pt[1], 100, -10**9, 10**9, f"{p}.y")
        dx, dy = x - px, y - py
        variant = next((name for lim, name in _XY if -lim <= dx < lim and -lim <= dy < lim),
                       None)
        if variant is None:
            raise MessageRangeError(p, pt, "within -327.68..327.67 m of the previous node "
                                    "(the first: of the reference point) on each axis")
        out.append({"delta": (variant, {"x": dx, "y": dy})})
        px, py = x, y
    return ("nodes", out)


def _nodes_from(v, path: str) -> tuple:
    kind, nodes = v
    if kind != "nodes":
        raise DecodeError("unsupported", f"{path}: {kind}")
    out, x, y = [], 0, 0
    for node in nodes:
        only(node, {"delta"}, path)
        variant, d = node["delta"]
        if not variant.startswith("node-XY"):
            raise DecodeError("unsupported", f"{path}: {variant}")
        x, y = x + d["x"], y + d["y"]
        out.append((from_units(x, 100), from_units(y, 100)))
    return tuple(out)


def _connection(c, path: str) -> dict:
    c = typed(c, Connection, path)
    lane = {"lane": check_int(c.lane_id, 0, 255, f"{path}.lane_id")}
    _opt(lane, "maneuver", c.maneuver, lambda x: to_bits(x, 12, f"{path}.maneuver"))
    v = {"connectingLane": lane}
    _opt(v, "signalGroup", c.signal_group,
         lambda x: check_int(x, 1, 255, f"{path}.signal_group"))
    _opt(v, "connectionID", c.connection_id,
         lambda x: check_int(x, 0, 255, f"{path}.connection_id"))
    return v


def _connection_from(v: dict, path: str) -> Connection:
    only(v, {"connectingLane", "signalGroup", "connectionID"}, path)
    lane = only(v["connectingLane"], {"lane", "maneuver"}, path)
    man = lane.get("maneuver")
    return Connection(lane_id=lane["lane"],
                      maneuver=None if man is None else AllowedManeuvers(from_bits(man, 12, path)),
                      signal_group=_present(v, "signalGroup", 0),
                      connection_id=v.get("connectionID"))


def _lane(ln, path: str) -> dict:
    ln = typed(ln, Lane, path)
    lt = to_enum(ln.lane_type, LaneType, f"{path}.lane_type")
    v = {"laneID": check_int(ln.lane_id, 0, 255, f"{path}.lane_id"),
         "laneAttributes": {
             "directionalUse": to_bits(ln.directional_use, 2, f"{path}.directional_use"),
             "sharedWith": to_bits(ln.shared_with, 10, f"{path}.shared_with"),
             "laneType": (_LANE_TYPES[lt], to_bits(ln.type_attributes,
                                                   8 if lt == LaneType.VEHICLE else 16,
                                                   f"{path}.type_attributes"))},
         "nodeList": _nodes(ln.nodes_m, f"{path}.nodes_m")}
    _opt(v, "ingressApproach", ln.ingress_approach,
         lambda x: check_int(x, 0, 15, f"{path}.ingress_approach"))
    _opt(v, "egressApproach", ln.egress_approach,
         lambda x: check_int(x, 0, 15, f"{path}.egress_approach"))
    _opt(v, "maneuvers", ln.maneuvers, lambda x: to_bits(x, 12, f"{path}.maneuvers"))
    conns = _items(ln.connects_to, 0, 16, f"{path}.connects_to")
    if conns:
        v["connectsTo"] = [_connection(c, f"{path}.connects_to[{k}]")
                           for k, c in enumerate(conns)]
    return v


def _lane_from(v: dict, path: str) -> Lane:
    only(v, {"laneID", "ingressApproach", "egressApproach", "laneAttributes", "maneuvers",
             "nodeList", "connectsTo"}, path)
    attrs = only(v["laneAttributes"], {"directionalUse", "sharedWith", "laneType"}, path)
    kind, bits = attrs["laneType"]
    if kind not in _LANE_TYPES:
        raise DecodeError("unsupported", f"{path}.laneType {kind}")
    lt = LaneType(_LANE_TYPES.index(kind))
    man = v.get("maneuvers")
    return Lane(
        lane_id=v["laneID"],
        directional_use=LaneDirection(from_bits(attrs["directionalUse"], 2, path)),
        nodes_m=_nodes_from(v["nodeList"], f"{path}.nodeList"),
        lane_type=lt,
        type_attributes=from_bits(bits, 8 if lt == LaneType.VEHICLE else 16, path),
        shared_with=LaneSharing(from_bits(attrs["sharedWith"], 10, path)),
        ingress_approach=v.get("ingressApproach"), egress_approach=v.get("egressApproach"),
        maneuvers=None if man is None else AllowedManeuvers(from_bits(man, 12, path)),
        connects_to=tuple(_connection_from(c, f"{path}.connectsTo")
                          for c in v.get("connectsTo", ())))


def _geometry(g, path: str) -> dict:
    g = typed(g, IntersectionGeometry, path)
    ref = {"lat": to_units(g.ref_lat_deg, 1e7, -900000000, 900000000, f"{path}.ref_lat_deg"),
           "long": to_units(g.ref_lon_deg, 1e7, -1800000000, 1800000000,
                            f"{path}.ref_lon_deg")}
    _opt(ref, "elevation", g.ref_elevation_m,
         lambda x: to_units(x, 10, -4095, 61439, f"{path}.ref_elevation_m"))
    v = {"id": _ref(g.ref, f"{path}.ref"),
         "revision": check_int(g.revision, 0, 127, f"{path}.revision"),
         "refPoint": ref,
         "laneSet": [_lane(ln, f"{path}.lanes[{k}]")
                     for k, ln in enumerate(_items(g.lanes, 1, 255, f"{path}.lanes"))]}
    _opt(v, "laneWidth", g.lane_width_m,
         lambda x: to_units(x, 100, 0, 32767, f"{path}.lane_width_m"))
    return v


def _geometry_from(v: dict, path: str) -> IntersectionGeometry:
    only(v, {"id", "revision", "refPoint", "laneWidth", "laneSet"}, path)
    ref = only(v["refPoint"], {"lat", "long", "elevation"}, f"{path}.refPoint")
    if ref["lat"] == 900000001 or ref["long"] == 1800000001:
        raise DecodeError("unsupported", f"{path}.refPoint unavailable")
    elevation = _present(ref, "elevation", -4096)  # -4096 = unknown
    width = v.get("laneWidth")
    return IntersectionGeometry(
        ref=_ref_from(v["id"]), revision=v["revision"],
        ref_lat_deg=from_units(ref["lat"], 1e7), ref_lon_deg=from_units(ref["long"], 1e7),
        lanes=tuple(_lane_from(ln, f"{path}.laneSet[{k}]")
                    for k, ln in enumerate(v["laneSet"])),
        ref_elevation_m=None if elevation is None else from_units(elevation, 10),
        lane_width_m=None if width is None else from_units(width, 100))


def mapem_to_value(m: MAPEM) -> dict:
    """MAPEM -> pycrate value tree; raises MessageRangeError (dotted field path)."""
    m = typed(m, MAPEM, "mapem")
    body = {"msgIssueRevision": check_int(m.msg_issue_revision, 0, 127, "msg_issue_revision")}
    inters = _items(m.intersections, 0, 32, "intersections")
    if inters:
        body["intersections"] = [_geometry(g, f"intersections[{k}]")
                                 for k, g in enumerate(inters)]
    _opt(body, "timeStamp", m.moy, lambda x: check_int(x, 0, _MOY_MAX, "moy"))
    return {"header": header_value(m.station_id, MessageId.MAPEM), "map": body}


def mapem_from_value(v: dict) -> MAPEM:
    """pycrate value tree -> MAPEM; DecodeError("unsupported") for parts kav cannot hold."""
    body = only(v["map"], {"timeStamp", "msgIssueRevision", "intersections"}, "map")
    return MAPEM(station_id=v["header"]["stationID"],
                 msg_issue_revision=body["msgIssueRevision"],
                 intersections=tuple(_geometry_from(g, f"map.intersections[{k}]")
                                     for k, g in enumerate(body.get("intersections", ()))),
                 moy=_present(body, "timeStamp", _MOY_INVALID))


def encode_mapem(m: MAPEM) -> bytes:
    """MAPEM -> UPER bytes. Raises MessageRangeError for values the wire cannot carry."""
    return uper_encode(_pdu("MAPEM"), mapem_to_value(m))


def decode_mapem(data: bytes) -> MAPEM:
    """UPER bytes -> MAPEM. Raises only DecodeError ("malformed" or "unsupported")."""
    return uper_decode(_pdu("MAPEM"), data, MessageId.MAPEM, mapem_from_value)
