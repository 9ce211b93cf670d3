"""What the ego's OBU makes of verified V2X messages, for the planner's inbox.

Input: messages that already passed signature and freshness checks (nothing unverified
gets here), with their arrival times. Output, per planning step:

- :class:`SpatView` from SPATEM + MAPEM: every lane of the ego's map that a received MAPEM
  matches gets its signal state and seconds to the next change. Lanes are matched by
  geometry, as a real OBU matches MAP to its own map: an ingress lane's first node (its
  stop line) must lie within ``match_m`` of a map lane's end, an egress lane's first node
  within ``match_m`` of a map lane's start, and the junction lane joining the two is the
  movement the connection's signal group controls. SPaT older than ``spat_max_age_us``
  (by its own timestamp) is dropped and counted, never shown to the planner.
- :class:`~planners.perception.fusion.ExternalObjects` from CPM perceived objects (RSU
  frame: east/north of the reference position; vehicle frame: rotated by the sender's
  heading) and from CAMs (the senders themselves).
- :class:`Hazard` from DENMs (until terminated or their validity ends).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from planners.perception.fusion import ExternalObjects
from sim.actors import KIND_PROPS, ActorKind
from sim.roadnet.network import RoadNetwork
from sim.traffic.signals import SIG_GREEN, SIG_RED, SIG_YELLOW
from v2x.clock import ItsClock
from v2x.geo import LocalFrame, heading_to_yaw
from v2x.messages.cam import CAM
from v2x.messages.cpm import CPM, ObjectClassKind, OriginatingVehicle, PersonSubclass
from v2x.messages.denm import DENM
from v2x.messages.mapem import MAPEM, LaneDirection
from v2x.messages.spatem import SPATEM, MovementPhaseState, time_to_change_s

_SIG = {MovementPhaseState.PROTECTED_MOVEMENT_ALLOWED: SIG_GREEN,
        MovementPhaseState.PERMISSIVE_MOVEMENT_ALLOWED: SIG_GREEN,
        MovementPhaseState.PROTECTED_CLEARANCE: SIG_YELLOW,
        MovementPhaseState.PERMISSIVE_CLEARANCE: SIG_YELLOW,
        MovementPhaseState.STOP_AND_REMAIN: SIG_RED,
        MovementPhaseState.STOP_THEN_PROCEED: SIG_RED}
_STATION_KIND = {1: ActorKind.PEDESTRIAN, 2: ActorKind.CYCLIST, 3: ActorKind.MOTORCYCLE,
                 4: ActorKind.MOTORCYCLE, 5: ActorKind.CAR, 6: ActorKind.BUS,
                 7: ActorKind.TRUCK, 8: ActorKind.TRUCK, 10: ActorKind.TRUCK}


@dataclass(frozen=True)
class SpatView:
    """SPaT for the behaviour layer: (n_lanes,) arrays over the ego's map lanes.

    lane_time_to_change_s: float64 [s] until the movement's signal changes, NaN unknown;
    lane_state: int8 SIG_* of sim.traffic.signals, -1 unknown; generated_us: oldest
    generation time [us, simulation clock] among the SPATEMs used; age_s: now minus that.
    """

    lane_time_to_change_s: np.ndarray
    lane_state: np.ndarray
    generated_us: int
    age_s: float


@dataclass(frozen=True)
class Hazard:
    """A DENM event: ``cause`` / ``sub_cause`` codes, event position (x, y) [m] in the map
    frame, the sender, and until when it is valid [us, simulation clock]."""

    station_id: int
    sequence_number: int
    cause: int
    sub_cause: int
    x: float
    y: float
    valid_until_us: int


@dataclass
class InboxStats:
    received: Counter = field(default_factory=Counter)  # by message type
    stale_spat_dropped: int = 0
    unmatched_lanes: int = 0


class V2XInbox:
    """Turns verified messages into planner inbox items; keeps the latest of each kind.

    ``frame``: the map's WGS-84 anchor; ``clock``: the run's ITS clock.
    """

    def __init__(self, network: RoadNetwork, frame: LocalFrame, clock: ItsClock, *,
                 spat_max_age_us: int = 1_000_000, object_max_age_us: int = 1_000_000,
                 match_m: float = 1.5):
        self.net, self.frame, self.clock = network, frame, clock
        self.spat_max_age_us, self.object_max_age_us = spat_max_age_us, object_max_age_us
        self.match_m = match_m
        self.stats = InboxStats()
        self._movements: dict[tuple[int, int], dict[int, tuple[int, ...]]] = {}
        self._spat: dict[int, tuple[int, SPATEM]] = {}  # intersection -> (generated, msg)
        self._hazards: dict[tuple[int, int], Hazard] = {}
        lx = network.points.x
        ly = network.points.y
        ptr = network.lanes.pt_ptr
        self._start = np.stack([lx[ptr[:-1]], ly[ptr[:-1]]], axis=1)
        self._end = np.stack([lx[ptr[1:] - 1], ly[ptr[1:] - 1]], axis=1)

    # -- per message ----------------------------------------------------------------------

    def update(self, time_us: int, messages) -> tuple:
        """messages: iterable of (arrival_us, message) received since the last call ->
        the inbox items for the planner at ``time_us``."""
        objects = []
        for _arrival, msg in messages:
            self.stats.received[type(msg).__name__] += 1
            if isinstance(msg, MAPEM):
                self._map(msg)
            elif isinstance(msg, SPATEM):
                for inter in msg.intersections:
                    gen = self._spat_time(time_us, inter.moy, inter.timestamp_ms)
                    old = self._spat.get(inter.ref.id)
                    if old is None or gen >= old[0]:
                        self._spat[inter.ref.id] = (gen, msg)
            elif isinstance(msg, CPM):
                objects.append(self._cpm(time_us, msg))
            elif isinstance(msg, CAM):
                objects.append(self._cam(time_us, msg))
            elif isinstance(msg, DENM):
                self._denm(msg)
        items: list = [o for o in objects if o is not None and o.n]
        spat = self._spat_view(time_us)
        if spat is not None:
            items.append(spat)
        self._hazards = {k: h for k, h in self._hazards.items() if h.valid_until_us >= time_us}
        items += list(self._hazards.values())
        return tuple(items)

    def _map(self, msg: MAPEM) -> None:
        for g in msg.intersections:
            key = (g.ref.id, g.revision)
            if key in self._movements:
                continue
            rx, ry = self.frame.to_xy(g.ref_lat_deg, g.ref_lon_deg)
            ingress, egress = {}, {}
            for lane in g.lanes:
                x0, y0 = rx + lane.nodes_m[0][0], ry + lane.nodes_m[0][1]
                if lane.directional_use & LaneDirection.INGRESS:
                    ingress[lane.lane_id] = (lane, self._nearest(self._end, x0, y0))
                elif lane.directional_use & LaneDirection.EGRESS:
                    egress[lane.lane_id] = self._nearest(self._start, x0, y0)
            groups: dict[int, set[int]] = {}
            ln = self.net.lanes
            for lane, own in ingress.values():
                for c in lane.connects_to:
                    out = egress.get(c.lane_id, -1)
                    if own < 0 or out < 0 or c.signal_group is None:
                        self.stats.unmatched_lanes += 1
                        continue
                    for j in ln.successors(own).tolist():
                        if out in ln.successors(int(j)).tolist():
                            groups.setdefault(c.signal_group, set()).add(int(j))
            self._movements = {k: v for k, v in self._movements.items() if k[0] != g.ref.id}
            self._movements[key] = {sg: tuple(sorted(v)) for sg, v in groups.items()}

    def _nearest(self, pts: np.ndarray, x: float, y: float) -> int:
        d = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
        k = int(np.argmin(d))
        return k if d[k] <= self.match_m else -1

    def _spat_time(self, now_us: int, moy: int | None, dsec_ms: int | None) -> int:
        """Generation time [us, simulation clock] from MinuteOfTheYear + DSecond, or the
        current time when the message carries no timestamp (then it cannot be judged)."""
        if moy is None or dsec_ms is None:
            return now_us
        now_moy, now_ms = self.clock.minute_of_year(now_us)
        delta_ms = (now_moy - moy) * 60_000 + (now_ms - dsec_ms)
        return now_us - delta_ms * 1000

    def _spat_view(self, time_us: int) -> SpatView | None:
        n = self.net.lanes.n
        ttc = np.full(n, np.nan)
        state = np.full(n, -1, np.int8)
        used, oldest = False, time_us
        now_s = self.clock.tenths_into_hour(time_us) / 10.0
        for jid, (gen, msg) in self._spat.items():
            if time_us - gen > self.spat_max_age_us:
                self.stats.stale_spat_dropped += 1
                continue
            movements = next((m for k, m in self._movements.items() if k[0] == jid), None)
            if movements is None:
                continue  # no MAP for it yet: SPaT alone says nothing about our lanes
            inter = next(i for i in msg.intersections if i.ref.id == jid)
            for ms in inter.states:
                lanes = movements.get(ms.signal_group)
                if not lanes or not ms.events:
                    continue
                ev = ms.events[0]
                idx = np.asarray(lanes)
                state[idx] = _SIG.get(ev.state, -1)
                if ev.timing is not None and ev.timing.min_end_s is not None:
                    ttc[idx] = max(time_to_change_s(ev.timing.min_end_s, now_s), 0.0)
                used, oldest = True, min(oldest, gen)
        self._spat = {j: v for j, v in self._spat.items()
                      if time_us - v[0] <= self.spat_max_age_us}
        if not used:
            return None
        return SpatView(ttc, state, oldest, (time_us - oldest) / 1e6)

    # -- objects --------------------------------------------------------------------------

    def _generated_us(self, now_us: int, gdt_ms: int) -> int:
        """Generation time [us] from generationDeltaTime (TimestampIts mod 65536): the
        latest instant not after now with that remainder."""
        now_ms = self.clock.its_ms(now_us)
        return now_us - ((now_ms - gdt_ms) % 65536) * 1000

    def _cpm(self, now_us: int, msg: CPM) -> ExternalObjects | None:
        objs = msg.perceived_objects
        ref = msg.reference_position
        if not objs or ref.latitude_deg is None or ref.longitude_deg is None:
            return None
        gen = self._generated_us(now_us, msg.generation_delta_time_ms)
        ox, oy = self.frame.to_xy(ref.latitude_deg, ref.longitude_deg)
        rot, own_vx, own_vy = 0.0, 0.0, 0.0
        if isinstance(msg.originating, OriginatingVehicle):
            if msg.originating.heading_rad is None:
                return None  # a body frame without its heading cannot be placed
            rot = float(heading_to_yaw(msg.originating.heading_rad))
            # speeds in a vehicle's CPM are relative to it: add its own velocity back
            v = msg.originating.speed_mps or 0.0
            own_vx, own_vy = v * math.cos(rot), v * math.sin(rot)
        c, s = math.cos(rot), math.sin(rot)
        rows = []
        for o in objs:
            age = now_us - gen - o.time_of_measurement_ms * 1000
            if age > self.object_max_age_us:
                continue
            x = ox + c * o.x_distance_m - s * o.y_distance_m
            y = oy + s * o.x_distance_m + c * o.y_distance_m
            vx, vy = o.x_speed_mps or 0.0, o.y_speed_mps or 0.0
            vx, vy = c * vx - s * vy + own_vx, s * vx + c * vy + own_vy
            kind = _object_kind(o)
            props = KIND_PROPS[kind]
            yaw = math.atan2(vy, vx) if math.hypot(vx, vy) > 0.3 else (
                (o.yaw_angle_rad or 0.0) + rot)
            length = _finite(o.planar_dimension2_m, props.length)
            width = _finite(o.planar_dimension1_m, props.width)
            sigma = max(_finite(o.x_distance_confidence_m, 1.0),
                        _finite(o.y_distance_confidence_m, 1.0))
            rows.append((x, y, yaw, math.hypot(vx, vy), length, width, int(kind), age,
                         sigma, msg.station_id))
        return _external(rows)

    def _cam(self, now_us: int, msg: CAM) -> ExternalObjects | None:
        if msg.latitude_deg is None or msg.longitude_deg is None:
            return None
        x, y = self.frame.to_xy(msg.latitude_deg, msg.longitude_deg)
        kind = _STATION_KIND.get(int(msg.station_type), ActorKind.CAR)
        props = KIND_PROPS[kind]
        heading = msg.heading_rad
        yaw = float(heading_to_yaw(heading)) if heading is not None else 0.0
        # None: unavailable; inf: longer / wider than the data element carries
        length = _finite(msg.vehicle_length_m, props.length)
        width = _finite(msg.vehicle_width_m, props.width)
        age = now_us - self._generated_us(now_us, msg.generation_delta_time_ms)
        return _external([(x, y, yaw, msg.speed_mps or 0.0, length, width, int(kind), age,
                           0.5, msg.station_id)])

    def _denm(self, msg: DENM) -> None:
        m = msg.management
        key = (m.action_id.originating_station_id, m.action_id.sequence_number)
        if m.termination is not None:
            self._hazards.pop(key, None)
            return
        if msg.situation is None or m.event_lat_deg is None or m.event_lon_deg is None:
            return
        x, y = self.frame.to_xy(m.event_lat_deg, m.event_lon_deg)
        valid = self.clock.sim_us(m.detection_time_ms) + m.validity_duration_s * 1_000_000
        self._hazards[key] = Hazard(key[0], key[1], msg.situation.cause,
                                    msg.situation.sub_cause, x, y, valid)


def _finite(value, default: float) -> float:
    """``value`` unless it is unavailable (None), zero or out of range (inf)."""
    return float(value) if value is not None and math.isfinite(value) and value > 0 else default


def _object_kind(o) -> ActorKind:
    if not o.classification:
        return ActorKind.CAR
    best = max(o.classification, key=lambda c: c.confidence_pct)
    if best.kind == ObjectClassKind.PERSON:
        return (ActorKind.CYCLIST if best.subclass == PersonSubclass.CYCLIST
                else ActorKind.PEDESTRIAN)
    if best.kind == ObjectClassKind.VEHICLE:
        return {2: ActorKind.MOTORCYCLE, 1: ActorKind.MOTORCYCLE, 4: ActorKind.BUS,
                5: ActorKind.TRUCK, 6: ActorKind.TRUCK}.get(int(best.subclass), ActorKind.CAR)
    return ActorKind.CAR


def _external(rows) -> ExternalObjects:
    a = np.array(rows, dtype=np.float64).reshape(-1, 10)
    return ExternalObjects(x=a[:, 0], y=a[:, 1], yaw=a[:, 2], speed=a[:, 3], length=a[:, 4],
                           width=a[:, 5], kind=a[:, 6].astype(np.int8),
                           age_us=a[:, 7].astype(np.int64), pos_sigma=a[:, 8],
                           source=a[:, 9].astype(np.int64).astype(np.int32))
