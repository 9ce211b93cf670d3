"""Traffic-model configuration and the per-map tables its kernel reads.

IDM defaults follow Treiber & Kesting for urban traffic; MOBIL's keep-right bias makes it
the right-hand-traffic (Korean) variant.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, fields

import numpy as np

from sim.actors import N_KINDS, ActorKind
from sim.roadnet.network import LaneType, RoadNetwork, Turn
from sim.roadnet.queries import lane_access_mask
from sim.traffic import _kernels as K


@dataclass(frozen=True)
class TrafficConfig:
    """Tunable constants of the NPC model (units in the names)."""

    lookahead_m: float = 60.0  # leader / obstacle search distance at standstill
    lookahead_s: float = 4.0  # ... plus this many seconds of travel
    mobil_b_safe: float = 4.0  # [m/s^2] the new follower may brake this hard at most
    mobil_threshold: float = 0.2  # [m/s^2] incentive needed to change lanes
    mobil_keep_right_bias: float = 0.3  # [m/s^2] extra for left changes, less for right ones
    lane_change_cooldown_s: float = 4.0
    lane_change_period_s: float = 0.5  # MOBIL reconsiders a vehicle this often
    rtor_full_stop_s: float = 1.0  # Korean right turn on red: full stop this long first
    yellow_decel: float = 3.0  # [m/s^2] stop on yellow only if this braking suffices
    steer_preview_m: float = 6.0  # lateral corrections settle over about this distance
    steer_lat_accel: float = 2.5  # [m/s^2] cap on the lateral acceleration of corrections
    merge_clear_m: float = 30.0  # free target lane needed for a right turn on red
    lane_change_min_speed: float = 2.0  # [m/s] no discretionary changes in crawling queues
    lane_change_end_margin_m: float = 15.0  # no discretionary change this close (+2 s) to junctions
    curve_lat_accel: float = 2.0  # [m/s^2] comfortable lateral acceleration in turns

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise ValueError(f"TrafficConfig.{f.name} must be a finite number >= 0, got {v!r}")
        if self.curve_lat_accel <= 0 or self.lookahead_m <= 0:
            raise ValueError("TrafficConfig.curve_lat_accel and lookahead_m must be positive")

    def vector(self, dt_us: int = 50_000) -> np.ndarray:
        """The kernel's cfg vector (N_CFG,) float64 for a step of ``dt_us`` [us]."""
        cfg = np.zeros(K.N_CFG, np.float64)
        cfg[K.C_LC_EVERY] = max(1, round(self.lane_change_period_s * 1e6 / dt_us))
        cfg[K.C_LOOKAHEAD] = self.lookahead_m
        cfg[K.C_LOOKAHEAD_T] = self.lookahead_s
        cfg[K.C_B_SAFE] = self.mobil_b_safe
        cfg[K.C_LC_THRESHOLD] = self.mobil_threshold
        cfg[K.C_LC_BIAS] = self.mobil_keep_right_bias
        cfg[K.C_LC_COOLDOWN_S] = self.lane_change_cooldown_s
        cfg[K.C_RTOR_WAIT_S] = self.rtor_full_stop_s
        cfg[K.C_YELLOW_DECEL] = self.yellow_decel
        cfg[K.C_STEER_LAT] = self.steer_lat_accel
        cfg[K.C_STEER_PREVIEW] = self.steer_preview_m
        cfg[K.C_MERGE_CLEAR] = self.merge_clear_m
        cfg[K.C_LC_MIN_SPEED] = self.lane_change_min_speed
        cfg[K.C_LC_END_MARGIN] = self.lane_change_end_margin_m
        return cfg


@dataclass(frozen=True)
class LaneTables:
    """Per-lane values the traffic kernel needs beyond the network itself.

    vcurve: (n_lanes,) float64 [m/s] comfortable speed for the lane's sharpest curvature;
    vmin: (n_lanes,) float64 [m/s] lowest posted limit anywhere on the lane;
    pt_curv: (n_points,) float64 [1/m] signed centreline curvature at each sample (left +).
    """

    vcurve: np.ndarray
    vmin: np.ndarray
    pt_curv: np.ndarray


def lane_tables(net: RoadNetwork, cfg: TrafficConfig) -> LaneTables:
    ln, p = net.lanes, net.points
    vcurve = np.full(ln.n, np.inf)
    vmin = np.empty(ln.n)
    curv = np.zeros(p.n)
    for i in range(ln.n):
        a, b = ln.pt_ptr[i], ln.pt_ptr[i + 1]
        vmin[i] = p.speed_limit[a:b].min()
        if b - a < 3:
            continue
        # central differences of heading over arc length, one-sided at the ends
        h = np.unwrap(p.heading[a:b])
        raw = np.gradient(h, p.s[a:b])
        # CARLA's headings are float32: average over ~2 m to keep steering smooth
        k = max(1, int(round(2.0 / max(float(np.median(np.diff(p.s[a:b]))), 1e-3))))
        pad = np.pad(raw, (k // 2, k - 1 - k // 2), mode="edge")
        curv[a:b] = np.convolve(pad, np.ones(k) / k, mode="valid")
        dh = np.abs(np.angle(np.exp(1j * np.diff(p.heading[a:b]))))
        ds = np.maximum(np.diff(p.s[a:b]), 1e-6)
        # curvature over ~3 m windows smooths the sampling noise of short steps
        w = max(1, int(round(3.0 / max(float(np.median(ds)), 1e-3))))
        kappa = np.convolve(dh, np.ones(w), "valid") / np.maximum(
            np.convolve(ds, np.ones(w), "valid"), 1e-6)
        kmax = float(kappa.max()) if kappa.size else 0.0
        if kmax > 1e-4:
            vcurve[i] = float(np.sqrt(cfg.curve_lat_accel / kmax))
    return LaneTables(vcurve=vcurve, vmin=vmin, pt_curv=curv)


def kind_lane_open(net: RoadNetwork, time_of_day_s: float) -> np.ndarray:
    """(N_KINDS, n_lanes) bool: driving lanes each actor kind may use at this time of day."""
    out = np.zeros((N_KINDS, net.lanes.n), dtype=np.bool_)
    for kind in ActorKind:
        out[int(kind)] = lane_access_mask(net, kind, time_of_day_s)
    return out


def junction_conflicts(net: RoadNetwork, clearance: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Which junction lanes cross or merge with which: CSR (ptr (n_lanes+1,), lanes) int32.

    Two lanes of one junction conflict when their centrelines come closer than
    ``clearance`` [m] (two cars would touch) or when they lead into the same lane. Lanes
    leaving the same approach lane do not: their cars queue in that lane anyway. Who goes
    first between two conflicting lanes: the higher :func:`circulating_lanes` rank, else
    first come, first served.
    """
    ln, p = net.lanes, net.points
    lists: list[list[int]] = [[] for _ in range(ln.n)]
    for jid in np.unique(ln.junction[ln.junction >= 0]):
        members = np.flatnonzero((ln.junction == jid) & (ln.type == 1))
        pts = [np.stack([p.x[ln.pt_ptr[m]:ln.pt_ptr[m + 1]], p.y[ln.pt_ptr[m]:ln.pt_ptr[m + 1]]],
                        axis=1) for m in members]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                la, lb = int(members[a]), int(members[b])
                if set(ln.predecessors(la)) & set(ln.predecessors(lb)):
                    continue
                merge = bool(set(ln.successors(la)) & set(ln.successors(lb)))
                if not merge:
                    pa, pb = pts[a], pts[b]
                    lo = np.maximum(pa.min(0), pb.min(0)) - clearance
                    hi = np.minimum(pa.max(0), pb.max(0)) + clearance
                    if np.any(lo > hi):
                        continue
                    dist = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1))
                    if dist.min() >= clearance:
                        continue
                lists[la].append(lb)
                lists[lb].append(la)
    ptr = np.zeros(ln.n + 1, np.int32)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    return ptr, np.asarray([j for x in lists for j in sorted(x)], np.int32)


RING_MAX_LENGTH = 700.0  # [m] longest lane cycle still taken for a roundabout (r ~ 110 m)


def circulating_lanes(net: RoadNetwork) -> np.ndarray:
    """(n_lanes,) bool: junction lanes that circulate round a roundabout.

    A lane of an unsignalised junction that goes straight or left and lies on a cycle of
    successor lanes (no lane changes) at most ``RING_MAX_LENGTH`` long that turns through
    one full counter-clockwise circle and has no right turn and no signalised junction on
    it. Entries and exits turn right, so they never count; nor does a grid block (its
    loops cross signalised junctions or are longer). Right-hand traffic only (Korea).
    """
    ln, p = net.lanes, net.points
    n = ln.n
    sig = {int(j) for j, s in zip(net.junctions.odr_id, net.junctions.signalised) if s}
    junction = ln.junction >= 0
    ok = (ln.type == LaneType.DRIVING) & ~(junction & np.isin(ln.junction, list(sig)))
    ok &= ~junction | (ln.turn == Turn.STRAIGHT) | (ln.turn == Turn.LEFT)
    out = np.zeros(n, bool)
    for start in np.flatnonzero(ok & junction):
        if out[start]:
            continue
        cycle = _shortest_cycle(ln, ok, int(start), RING_MAX_LENGTH)
        if cycle is None:
            continue
        turn = 0.0
        for a, b in zip(cycle, cycle[1:] + cycle[:1]):
            h = p.heading[ln.pt_ptr[a]:ln.pt_ptr[a + 1]]
            turn += float(np.sum(np.angle(np.exp(1j * np.diff(h)))))
            gap = p.heading[ln.pt_ptr[b]] - h[-1]
            turn += float(np.angle(np.exp(1j * gap)))
        if abs(turn - 2.0 * np.pi) < 0.5:
            out[[c for c in cycle if junction[c]]] = True
    return out


def _shortest_cycle(ln, ok: np.ndarray, start: int, limit: float) -> list[int] | None:
    """Lanes of a successor cycle through ``start`` over ``ok`` lanes, at most ``limit`` [m]
    long (Dijkstra from ``start`` until it leads back to ``start``); None if none."""
    dist = {start: 0.0}
    prev: dict[int, int] = {}
    heap = [(0.0, start)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist.get(a, np.inf):
            continue
        for b in ln.successors(a):
            b = int(b)
            nd = d + float(ln.length[a])
            if not ok[b] or nd > limit:
                continue
            if b == start:
                cycle = [a]
                while cycle[-1] != start:
                    cycle.append(prev[cycle[-1]])
                return cycle[::-1]
            if nd < dist.get(b, np.inf):
                dist[b], prev[b] = nd, a
                heapq.heappush(heap, (nd, b))
    return None
