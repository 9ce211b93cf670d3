"""Load an OpenDRIVE file into a :class:`RoadNetwork` through the client-side ``carla.Map``.

CARLA evaluates the geometry (reference lines, lane offsets and widths, junction topology,
signal validities); :mod:`sim.roadnet.xodr` supplies what CARLA does not expose. The loader
samples every lane centreline by s, links lanes by CARLA's ``Waypoint.next``, and attaches
speed limits, zones, bus restrictions, stop lines, signal heads and crosswalks.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from sim.roadnet import conventions as cv
from sim.roadnet.carla_map import open_carla_map
from sim.roadnet.frame import from_carla_xy, from_carla_yaw, wrap_angle
from sim.roadnet.geometry import build_crosswalks, build_segment_grid
from sim.roadnet.network import (
    LANE_BUS_ONLY,
    LANE_JUNCTION,
    LANE_SIGNALISED,
    PT_CHILD_ZONE,
    PT_LC_LEFT,
    PT_LC_RIGHT,
    PT_NO_SIDEWALK,
    Junctions,
    LanePoints,
    Lanes,
    LaneType,
    RoadNetwork,
    SignalHeads,
    Structures,
    Turn,
)
from sim.roadnet.xodr import MapError, XodrDoc, XRoad, eval_poly_records, parse_xodr

_LANE_TYPES = {
    "driving": LaneType.DRIVING, "sidewalk": LaneType.SIDEWALK, "shoulder": LaneType.SHOULDER,
    "biking": LaneType.BIKING, "parking": LaneType.PARKING, "median": LaneType.MEDIAN,
    "border": LaneType.BORDER, "restricted": LaneType.RESTRICTED,
    # OpenDRIVE 1.6+ special driving lanes CARLA does not know by name
    "bus": LaneType.DRIVING, "taxi": LaneType.DRIVING, "HOV": LaneType.DRIVING,
    "entry": LaneType.DRIVING, "exit": LaneType.DRIVING, "onRamp": LaneType.DRIVING,
    "offRamp": LaneType.DRIVING, "connectingRamp": LaneType.DRIVING, "slipLane": LaneType.DRIVING,
}
_END_EPS = 1e-4  # [m] CARLA returns no waypoint exactly at a section's end s
_STRAIGHT_MAX = math.radians(30.0)
_UTURN_MIN = math.radians(150.0)


def load_network(path: str | Path, ds: float = 1.0, probe: bool = True) -> RoadNetwork:
    """Load an ``.xodr`` file. ``ds`` [m] is the centreline sampling step.

    Raises :class:`MapError` naming the file and the problem for unreadable, malformed or
    unusable maps.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MapError(f"{path}: cannot read map file ({exc})") from None
    return load_network_text(text, source=str(path), ds=ds, probe=probe)


def load_network_text(text: str, source: str = "<string>", ds: float = 1.0,
                      probe: bool = True) -> RoadNetwork:
    """Load OpenDRIVE from a string; ``source`` names it in error messages."""
    if not (0.05 <= ds <= 10.0):
        raise ValueError(f"sampling step ds must be in [0.05, 10] m, got {ds}")
    doc = parse_xodr(text, source)
    cmap = open_carla_map(text, source, name=doc.name or Path(source).stem, probe=probe)
    builder = _Builder(doc, cmap, ds)
    lanes, points = builder.lanes_and_points()
    if not np.any(lanes.type == LaneType.DRIVING):
        raise MapError(f"{source}: the map has no driving lanes CARLA could read")
    signals = builder.signal_heads(lanes)
    lanes = builder.attach_stop_lines(lanes, points, signals)
    crosswalks = build_crosswalks(doc, builder.reference_pose, lanes, points, signals,
                                  builder.signal_road_s)
    junctions = builder.junctions(lanes, points, signals)
    return RoadNetwork(
        name=doc.name or Path(source).stem,
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        geo_reference=doc.geo_reference,
        lanes=lanes, points=points, crosswalks=crosswalks, signals=signals,
        junctions=junctions, grid=build_segment_grid(points, lanes),
        structures=builder.structures(),
    )


#: OpenDRIVE object types that block line of sight (and radio)
OCCLUDING_TYPES = frozenset({"building", "obstacle", "barrier", "tree", "vegetation", "pole"})
#: height [m] assumed when an occluding object gives none
OCCLUDER_HEIGHT = {"building": 15.0, "obstacle": 2.5, "barrier": 1.0, "tree": 6.0,
                   "vegetation": 1.5, "pole": 4.0}


class _Builder:
    """Collects arrays lane by lane; one instance per load."""

    def __init__(self, doc: XodrDoc, cmap, ds: float):
        self.doc, self.cmap, self.ds = doc, cmap, ds
        self.keys: list[tuple[int, int, int]] = []
        self.index: dict[tuple[int, int, int], int] = {}
        self.signal_road_s: list[float] = []
        self.signal_lanes: list[list[int]] = []

    # -- lanes and centreline samples -------------------------------------------------
    def lanes_and_points(self) -> tuple[Lanes, LanePoints]:
        cols: dict[str, list] = {k: [] for k in (
            "x", "y", "heading", "road_s", "width", "speed", "flags")}
        meta: dict[str, list] = {k: [] for k in (
            "road", "section", "odr_id", "junction", "type", "flags", "ptr")}
        bus_hours: list[tuple[tuple[int, int], ...]] = []
        for rid in sorted(self.doc.roads):
            road = self.doc.roads[rid]
            for k, sec in enumerate(road.sections):
                for ln in sorted(sec.lanes, key=lambda lane: lane.odr_id):
                    ltype = _LANE_TYPES.get(ln.type, LaneType.OTHER)
                    if ln.type == "none":
                        continue
                    samples = self._sample_lane(road, k, ln.odr_id)
                    if samples is None:
                        continue
                    meta["ptr"].append(len(cols["x"]))
                    for name, vals in samples.items():
                        cols[name].extend(vals)
                    self._speed_and_zone(road, k, ln, samples["road_s"], cols)
                    self.index[(rid, k, ln.odr_id)] = len(self.keys)
                    self.keys.append((rid, k, ln.odr_id))
                    meta["road"].append(rid)
                    meta["section"].append(k)
                    meta["odr_id"].append(ln.odr_id)
                    meta["junction"].append(road.junction)
                    meta["type"].append(int(ltype))
                    flags = LANE_BUS_ONLY if ln.bus_only else 0
                    flags |= LANE_JUNCTION if road.junction >= 0 else 0
                    meta["flags"].append(flags)
                    bus_hours.append(ln.bus_hours if ln.bus_only else ())
        meta["ptr"].append(len(cols["x"]))
        x = np.asarray(cols["x"], dtype=np.float64)
        y = np.asarray(cols["y"], dtype=np.float64)
        ptr = np.asarray(meta["ptr"], dtype=np.int32)
        n = len(self.keys)
        s = np.zeros_like(x)
        lane_of_pt = np.repeat(np.arange(n, dtype=np.int32), np.diff(ptr))
        step = np.hypot(np.diff(x), np.diff(y))
        same = lane_of_pt[1:] == lane_of_pt[:-1]
        s[1:] = np.cumsum(np.where(same, step, 0.0))
        s -= np.repeat(s[ptr[:-1]], np.diff(ptr))  # restart at 0 on every lane
        length = s[ptr[1:] - 1]
        heading = np.asarray(cols["heading"], dtype=np.float64)
        succ, pred, left, right = self._links(n, meta["type"])
        turn = self._turns(n, ptr, heading, np.asarray(meta["junction"]))
        hours_ptr = np.zeros(n + 1, dtype=np.int32)
        hours_ptr[1:] = np.cumsum([len(h) if h else (1 if f & LANE_BUS_ONLY else 0)
                                   for h, f in zip(bus_hours, meta["flags"])])
        flat = []
        for h, f in zip(bus_hours, meta["flags"]):
            if f & LANE_BUS_ONLY:
                flat.extend(h if h else ((0, 86400),))
        lanes = Lanes(
            road=np.asarray(meta["road"], np.int32), section=np.asarray(meta["section"], np.int32),
            odr_id=np.asarray(meta["odr_id"], np.int32),
            junction=np.asarray(meta["junction"], np.int32),
            type=np.asarray(meta["type"], np.int8), flags=np.asarray(meta["flags"], np.uint8),
            turn=turn, length=length, pt_ptr=ptr, left=left, right=right,
            succ_ptr=succ[0], succ=succ[1], pred_ptr=pred[0], pred=pred[1],
            stop_s=np.full(n, np.nan), signal=np.full(n, -1, np.int32),
            bus_hours_ptr=hours_ptr, bus_hours=np.asarray(flat, np.int32).reshape(-1, 2),
        )
        points = LanePoints(
            x=x, y=y, heading=heading, s=s,
            road_s=np.asarray(cols["road_s"], np.float64),
            width=np.asarray(cols["width"], np.float64),
            speed_limit=np.asarray(cols["speed"], np.float64),
            flags=np.asarray(cols["flags"], np.uint8), lane=lane_of_pt,
        )
        return lanes, points

    def _sample_lane(self, road: XRoad, k: int, odr_id: int) -> dict | None:
        sec = road.sections[k]
        s0, s1 = sec.s, sec.s_end - _END_EPS
        step = min(self.ds, 0.5) if road.junction >= 0 else self.ds
        n = max(2, int(math.ceil((s1 - s0) / step)) + 1)
        road_s = np.linspace(s0, s1, n)
        if odr_id > 0:  # left lanes travel towards decreasing s
            road_s = road_s[::-1]
        out = {"x": [], "y": [], "heading": [], "road_s": [], "width": [], "flags": []}
        mid = 0.5 * (s0 + sec.s_end)
        for rs in road_s:
            wp = self._waypoint(road.id, k, odr_id, float(rs), mid)
            if wp is None:
                continue
            loc, rot = wp.transform.location, wp.transform.rotation
            px, py = from_carla_xy(loc.x, loc.y)
            out["x"].append(px)
            out["y"].append(py)
            out["heading"].append(from_carla_yaw(rot.yaw))
            out["road_s"].append(float(rs))
            out["width"].append(float(wp.lane_width))
            lc = str(wp.lane_change)
            out["flags"].append((PT_LC_LEFT if lc in ("Left", "Both") else 0)
                                | (PT_LC_RIGHT if lc in ("Right", "Both") else 0))
        return out if len(out["x"]) >= 2 else None

    def _waypoint(self, rid: int, k: int, lid: int, s: float, toward: float):
        """CARLA waypoint of lane section ``k`` at road s, nudged up to 1 cm toward ``toward``
        if CARLA has none there or puts it in another section: CARLA keeps s in single
        precision, so past ~1 km ``s_end - 1e-4`` rounds onto the section end (the next
        section's start, or nothing at the road's end)."""
        for nudge in (0.0, 1e-3, 1e-2):
            wp = self.cmap.get_waypoint_xodr(rid, lid, s + math.copysign(nudge, toward - s))
            if wp is not None and wp.section_id == k:
                return wp
        return None

    def _speed_and_zone(self, road: XRoad, k: int, ln, road_s: list, cols: dict) -> None:
        sec = road.sections[k]
        for rs in road_s:
            limit = None
            for off, v in ln.speeds:
                if sec.s + off <= rs + 1e-9:
                    limit = v
            if limit is None:
                for s_type, v in road.type_speeds:
                    if s_type <= rs + 1e-9:
                        limit = v
            if limit is None:
                limit = cv.DEFAULT_SPEED_LIMIT_KMH / 3.6
            cols["speed"].append(limit)
        base = len(cols["flags"]) - len(road_s)  # this lane's samples are the last ones
        for j, rs in enumerate(road_s):
            for z0, z1, has_sidewalk in road.child_zones:
                if z0 <= rs <= z1:
                    zone = PT_CHILD_ZONE | (0 if has_sidewalk else PT_NO_SIDEWALK)
                    cols["flags"][base + j] |= zone

    def _links(self, n: int, lane_types: list[int]):
        succ_lists: list[list[int]] = [[] for _ in range(n)]
        left = np.full(n, -1, np.int32)
        right = np.full(n, -1, np.int32)
        for i, (rid, k, lid) in enumerate(self.keys):
            sec = self.doc.roads[rid].sections[k]
            s_end = sec.s + _END_EPS if lid > 0 else sec.s_end - _END_EPS
            wp = self._waypoint(rid, k, lid, s_end, 0.5 * (sec.s + sec.s_end))
            if wp is not None:
                for nxt in wp.next(0.01):
                    j = self.index.get((nxt.road_id, nxt.section_id, nxt.lane_id))
                    if j is not None and j != i and j not in succ_lists[i]:
                        succ_lists[i].append(j)
            mid = self.cmap.get_waypoint_xodr(rid, lid, 0.5 * (sec.s + sec.s_end))
            if mid is None:
                continue
            for side, out in ((mid.get_left_lane(), left), (mid.get_right_lane(), right)):
                if side is None or (side.lane_id > 0) != (lid > 0) or side.road_id != rid:
                    continue
                j = self.index.get((side.road_id, side.section_id, side.lane_id))
                # Only lanes of one type are neighbours: a car never "changes" onto a sidewalk.
                # Except out of a restricted lane into a driving lane: a closed lane tapering
                # out (work zone, end of an acceleration lane) must let its traffic merge.
                same = lane_types[j] == lane_types[i] if j is not None else False
                merge_out = j is not None and lane_types[i] == LaneType.RESTRICTED and (
                    lane_types[j] == LaneType.DRIVING)
                if same or merge_out:
                    out[i] = j
        pred_lists: list[list[int]] = [[] for _ in range(n)]
        for i, lst in enumerate(succ_lists):
            lst.sort()
            for j in lst:
                pred_lists[j].append(i)
        return _csr(succ_lists), _csr(pred_lists), left, right

    @staticmethod
    def _turns(n: int, ptr: np.ndarray, heading: np.ndarray, junction: np.ndarray) -> np.ndarray:
        turn = np.zeros(n, np.int8)
        for i in range(n):
            if junction[i] < 0:
                continue
            dh = wrap_angle(heading[ptr[i + 1] - 1] - heading[ptr[i]])
            if abs(dh) < _STRAIGHT_MAX:
                turn[i] = Turn.STRAIGHT
            elif abs(dh) > _UTURN_MIN:
                turn[i] = Turn.UTURN
            else:
                turn[i] = Turn.LEFT if dh > 0 else Turn.RIGHT
        return turn

    # -- signals, stop lines, junctions -----------------------------------------------
    def signal_heads(self, lanes: Lanes) -> SignalHeads:
        marks = [lm for lm in self.cmap.get_all_landmarks()
                 if lm.type in (cv.SIGNAL_TYPE_VEHICLE, cv.SIGNAL_TYPE_PEDESTRIAN)]
        marks.sort(key=lambda lm: (lm.road_id, lm.s, str(lm.id)))
        ids, types, road, xs, ys, junc = [], [], [], [], [], []
        for lm in marks:
            road_doc = self.doc.roads.get(lm.road_id)
            if road_doc is None:
                continue
            k = road_doc.sections.index(road_doc.section_at(lm.s))
            orient = str(lm.orientation)
            governed = []
            for lo, hi in lm.get_lane_validities():
                lo, hi = min(lo, hi), max(lo, hi)
                for lid in range(lo, hi + 1):
                    if lid == 0 or (orient == "Positive" and lid > 0) or (
                            orient == "Negative" and lid < 0):
                        continue
                    j = self.index.get((lm.road_id, k, lid))
                    if j is not None and lanes.type[j] == LaneType.DRIVING:
                        governed.append(j)
            loc = lm.transform.location
            px, py = from_carla_xy(loc.x, loc.y)
            j_id = -1
            for j in governed:
                for nxt in lanes.successors(j):
                    if lanes.junction[nxt] >= 0:
                        j_id = int(lanes.junction[nxt])
            ids.append(str(lm.id))
            types.append(str(lm.type))
            road.append(lm.road_id)
            xs.append(px)
            ys.append(py)
            junc.append(j_id)
            self.signal_road_s.append(float(lm.s))
            self.signal_lanes.append(governed if lm.type == cv.SIGNAL_TYPE_VEHICLE else [])
        return SignalHeads(
            odr_id=tuple(ids), type=tuple(types), road=np.asarray(road, np.int32),
            x=np.asarray(xs, np.float64), y=np.asarray(ys, np.float64),
            junction=np.asarray(junc, np.int32),
        )

    def attach_stop_lines(self, lanes: Lanes, points: LanePoints, heads: SignalHeads) -> Lanes:
        stop_s = lanes.stop_s.copy()
        signal = lanes.signal.copy()
        flags = lanes.flags.copy()
        for h, governed in enumerate(self.signal_lanes):
            for j in governed:
                signal[j] = h
                flags[j] |= LANE_SIGNALISED
                stop_s[j] = _lane_s_at_road_s(points, lanes, j, self.signal_road_s[h])
        # Painted stop lines win over the signal position where both exist.
        for rid, road in self.doc.roads.items():
            for obj in road.objects:
                if (obj.type, obj.subtype) != (cv.OBJECT_TYPE_STOP_LINE,
                                               cv.OBJECT_SUBTYPE_STOP_LINE):
                    continue
                k = road.sections.index(road.section_at(obj.s))
                for ln in road.sections[k].lanes:
                    if (obj.orientation == "+" and ln.odr_id > 0) or (
                            obj.orientation == "-" and ln.odr_id < 0):
                        continue
                    j = self.index.get((rid, k, ln.odr_id))
                    if j is None or lanes.type[j] != LaneType.DRIVING:
                        continue
                    t_c = lane_centre_t(road, k, ln.odr_id, obj.s)
                    if abs(t_c - obj.t) <= 0.5 * obj.width + 1e-6:
                        stop_s[j] = _lane_s_at_road_s(points, lanes, j, obj.s)
        return _replace(lanes, stop_s=stop_s, signal=signal, flags=flags)

    def junctions(self, lanes: Lanes, points: LanePoints, heads: SignalHeads) -> Junctions:
        ids = sorted(set(self.doc.junction_ids) | {int(j) for j in lanes.junction if j >= 0})
        xs, ys, sig = [], [], []
        for jid in ids:
            members = np.flatnonzero(lanes.junction == jid)
            idx = np.concatenate([np.arange(lanes.pt_ptr[m], lanes.pt_ptr[m + 1])
                                  for m in members]) if len(members) else np.zeros(0, int)
            xs.append(float(points.x[idx].mean()) if len(idx) else math.nan)
            ys.append(float(points.y[idx].mean()) if len(idx) else math.nan)
            sig.append(bool(np.any(heads.junction == jid)) if heads.n else False)
        return Junctions(odr_id=np.asarray(ids, np.int32), x=np.asarray(xs), y=np.asarray(ys),
                         signalised=np.asarray(sig, bool))

    def structures(self) -> Structures:
        """Occluding objects as oriented boxes; outline-only objects use their outline's
        bounding box. Objects with no footprint are skipped."""
        ids, types, rows = [], [], []
        for rid, road in self.doc.roads.items():
            for obj in road.objects:
                if obj.type not in OCCLUDING_TYPES:
                    continue
                length, width, du, dv = obj.length, obj.width, 0.0, 0.0
                if obj.outline and (length <= 0 or width <= 0):
                    u = [c[0] for c in obj.outline]
                    v = [c[1] for c in obj.outline]
                    length, width = max(u) - min(u), max(v) - min(v)
                    du, dv = 0.5 * (max(u) + min(u)), 0.5 * (max(v) + min(v))
                if length <= 0 or width <= 0:
                    continue
                rx, ry, hdg = self.reference_pose(rid, obj.s)
                ox, oy = rx - obj.t * math.sin(hdg), ry + obj.t * math.cos(hdg)
                yaw = wrap_angle(hdg + obj.hdg)
                c, s_ = math.cos(yaw), math.sin(yaw)
                ids.append(f"{rid}:{obj.id}")
                types.append(obj.type)
                rows.append((ox + du * c - dv * s_, oy + du * s_ + dv * c, yaw, length, width,
                             obj.height or OCCLUDER_HEIGHT.get(obj.type, 2.0)))
        if not rows:
            return Structures.empty()
        a = np.asarray(rows, dtype=np.float64)
        return Structures(tuple(ids), tuple(types), *(np.ascontiguousarray(a[:, i])
                                                      for i in range(6)))

    def reference_pose(self, road_id: int, s: float) -> tuple[float, float, float]:
        """Reference-line point and heading (x, y [m], hdg [rad]) of a road at road s."""
        road = self.doc.roads[road_id]
        s = min(max(s, _END_EPS), road.length - _END_EPS)
        k = road.sections.index(road.section_at(s))
        for ln in sorted(road.sections[k].lanes, key=lambda lane: abs(lane.odr_id)):
            wp = self.cmap.get_waypoint_xodr(road_id, ln.odr_id, s)
            if wp is None:
                continue
            px, py = from_carla_xy(wp.transform.location.x, wp.transform.location.y)
            hdg = from_carla_yaw(wp.transform.rotation.yaw)
            if ln.odr_id > 0:
                hdg = wrap_angle(hdg + math.pi)
            t_c = lane_centre_t(road, k, ln.odr_id, s)
            return px + t_c * math.sin(hdg), py - t_c * math.cos(hdg), hdg
        raise MapError(f"{self.doc.source}: road {road_id}: no lane at s={s:.2f} to place objects")


def lane_centre_t(road: XRoad, k: int, odr_id: int, s: float) -> float:
    """Lateral position t [m] of a lane's centre at road s (left of the reference line +)."""
    sec = road.sections[k]
    ds = s - sec.s
    t = eval_poly_records(road.lane_offsets, s)
    sign = 1 if odr_id > 0 else -1
    for lid in range(sign, odr_id + sign, sign):
        ln = sec.lane(lid)
        w = eval_poly_records(ln.widths, ds) if ln is not None else 0.0
        t += sign * (w if lid != odr_id else 0.5 * w)
    return t


def _lane_s_at_road_s(points: LanePoints, lanes: Lanes, lane: int, road_s: float) -> float:
    a, b = lanes.pt_ptr[lane], lanes.pt_ptr[lane + 1]
    rs, ls = points.road_s[a:b], points.s[a:b]
    if rs[0] > rs[-1]:
        rs, ls = rs[::-1], ls[::-1]
    return float(np.interp(road_s, rs, ls))


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, np.int32)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.asarray([j for x in lists for j in x], np.int32)
    return ptr, flat


def _replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)
