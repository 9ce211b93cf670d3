"""Korean fixed-time signal control, derived from junction geometry.

OpenDRIVE only says which approaches have signal heads; the phase plan comes from here:
- phase order "straight first, then left" (since 2010): for a four-way junction
  [axis A straight+right, axis A left, axis B straight+right, axis B left]; for a T
  [main straight+right, main left, side road]; phases without movements are dropped;
- vehicle yellow Y = Tb + V/(2d) + (W+L)/V - Ts with Tb = 1.0 s, d = 5.0 m/s^2,
  Ts = 1.5 s; yellow is capped at 5 s and the rest (at least 1 s, at most 2 s) is all-red;
- pedestrian green = 7 s + 1 s per metre of crossing, given in the phase whose protected
  movements cross that crosswalk least (turning traffic yields), stretching that phase;
- right turns run with their approach's straight phase; on red they are allowed after a
  full stop (a driver rule, applied by the traffic model, not a signal state).
The plan is a pure function of time: ``lane_states(plan, t)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.roadnet.frame import wrap_angle
from sim.roadnet.network import LANE_SIGNALISED, RoadNetwork, Turn

SIG_NONE, SIG_RED, SIG_YELLOW, SIG_GREEN = 0, 1, 2, 3
PED_NONE, PED_DONT_WALK, PED_WALK = 0, 1, 2

US = 1_000_000


@dataclass(frozen=True)
class SignalTiming:
    """Timing policy [s]. Korean defaults from the Road Traffic Authority manual."""

    straight_green: float = 30.0
    left_green: float = 15.0
    side_green: float = 20.0
    reaction_time: float = 1.0  # Tb
    decel: float = 5.0  # d [m/s^2]
    vehicle_length: float = 4.9  # L [m]
    start_loss: float = 1.5  # Ts
    max_yellow: float = 5.0
    ped_base: float = 7.0
    ped_per_metre: float = 1.0
    green_wave_speed: float = 50.0 / 3.6  # [m/s] offsets along x; 0 disables


def yellow_and_all_red(speed: float, width: float, t: SignalTiming) -> tuple[float, float]:
    """Korean clearance interval for approach speed [m/s] and junction width [m] -> (Y, AR) [s]."""
    speed = max(speed, 1.0)
    y = (t.reaction_time + speed / (2.0 * t.decel) + (width + t.vehicle_length) / speed
         - t.start_loss)
    yellow = min(max(y, 3.0), t.max_yellow)
    return yellow, float(np.clip(y - yellow, 1.0, 2.0))


def pedestrian_green(length: float, t: SignalTiming) -> float:
    """Pedestrian green [s] for a crossing of ``length`` [m]: 7 s + 1 s/m."""
    return t.ped_base + t.ped_per_metre * length


@dataclass(frozen=True)
class Phase:
    name: str
    lanes: tuple[int, ...]  # junction lanes given green
    green_s: float
    yellow_s: float
    all_red_s: float


@dataclass(frozen=True)
class JunctionPlan:
    junction: int  # OpenDRIVE id
    offset_s: float
    phases: tuple[Phase, ...]

    @property
    def cycle_s(self) -> float:
        return sum(p.green_s + p.yellow_s + p.all_red_s for p in self.phases)


@dataclass(frozen=True)
class SignalPlan:
    """Fixed-time plan as per-lane and per-crosswalk windows within each cycle [us].

    Lanes (n_lanes,) int64: cycle (0 = unsignalised), offset, green start/end, yellow end.
    Crosswalks (n_cw,) int64: cycle (0 = unsignalised), offset, walk start/end.
    """

    cycle_us: np.ndarray
    offset_us: np.ndarray
    green_start_us: np.ndarray
    green_end_us: np.ndarray
    yellow_end_us: np.ndarray
    cw_cycle_us: np.ndarray
    cw_offset_us: np.ndarray
    cw_walk_start_us: np.ndarray
    cw_walk_end_us: np.ndarray
    junctions: tuple[JunctionPlan, ...] = field(default=())


def lane_states(plan: SignalPlan, time_us: int) -> np.ndarray:
    """Signal state of every lane's movement at ``time_us``: (n_lanes,) int8 SIG_*."""
    return _window_states(plan.cycle_us, plan.offset_us, plan.green_start_us, plan.green_end_us,
                          plan.yellow_end_us, time_us, SIG_NONE, SIG_GREEN, SIG_YELLOW, SIG_RED)


def crosswalk_states(plan: SignalPlan, time_us: int) -> np.ndarray:
    """Pedestrian signal of every crosswalk at ``time_us``: (n_cw,) int8 PED_*."""
    return _window_states(plan.cw_cycle_us, plan.cw_offset_us, plan.cw_walk_start_us,
                          plan.cw_walk_end_us, plan.cw_walk_end_us, time_us, PED_NONE, PED_WALK,
                          PED_DONT_WALK, PED_DONT_WALK)


def crosswalk_walk_left_us(plan: SignalPlan, time_us: int) -> np.ndarray:
    """Time left in the current walk interval [us] per crosswalk (0 when not walk)."""
    cyc = np.maximum(plan.cw_cycle_us, 1)
    t = (time_us - plan.cw_offset_us) % cyc
    inside = (plan.cw_cycle_us > 0) & (t >= plan.cw_walk_start_us) & (t < plan.cw_walk_end_us)
    return np.where(inside, plan.cw_walk_end_us - t, 0)


def lane_time_to_change_us(plan: SignalPlan, time_us: int) -> np.ndarray:
    """Time until each lane's signal state next changes [us]: (n_lanes,) int64, -1 for
    unsignalised lanes. What an RSU's SPaT carries as minEndTime (a fixed-time plan knows it
    exactly)."""
    return _time_to_change(plan.cycle_us, plan.offset_us, plan.green_start_us,
                           plan.green_end_us, plan.yellow_end_us, time_us)


def crosswalk_time_to_change_us(plan: SignalPlan, time_us: int) -> np.ndarray:
    """As :func:`lane_time_to_change_us` for the pedestrian signals: (n_cw,) int64 [us]."""
    return _time_to_change(plan.cw_cycle_us, plan.cw_offset_us, plan.cw_walk_start_us,
                           plan.cw_walk_end_us, plan.cw_walk_end_us, time_us)


def _time_to_change(cycle, offset, start, end, yellow_end, time_us):
    out = np.full(cycle.shape, -1, np.int64)
    on = np.flatnonzero(cycle)
    c = cycle[on]
    t = (time_us - offset[on]) % c
    s, e, y = start[on], end[on], yellow_end[on]
    nxt = np.where((t >= s) & (t < e), e,
                   np.where((t >= e) & (t < y), y, np.where(t < s, s, s + c)))
    out[on] = nxt - t
    return out


def _window_states(cycle, offset, start, end, yellow_end, time_us, none, go, amber, stop):
    out = np.full(cycle.shape, none, np.int8)
    on = np.flatnonzero(cycle)  # most lanes have no signal: compute only the signalised ones
    t = (time_us - offset[on]) % cycle[on]
    out[on] = np.where((t >= start[on]) & (t < end[on]), go,
                       np.where((t >= end[on]) & (t < yellow_end[on]), amber, stop))
    return out


def korean_plan(net: RoadNetwork, timing: SignalTiming = SignalTiming()) -> SignalPlan:
    """Build the fixed-time Korean plan for every signalised junction of ``net``."""
    ln = net.lanes
    n_cw = net.crosswalks.n
    arrays = {k: np.zeros(ln.n, np.int64) for k in ("cyc", "off", "g0", "g1", "y1")}
    cw = {k: np.zeros(n_cw, np.int64) for k in ("cyc", "off", "w0", "w1")}
    plans = []
    for j_idx in range(net.junctions.n):
        if not net.junctions.signalised[j_idx]:
            continue
        jid = int(net.junctions.odr_id[j_idx])
        approaches = _approaches(net, jid)
        if not approaches:
            continue
        groups = _phase_groups(net, approaches)
        width = _junction_width(net, jid)
        phases = []
        for name, lanes in groups:
            speed = max(float(net.points.speed_limit[net.lanes.pt_ptr[a]]) for a in
                        {p for lane in lanes for p in ln.predecessors(lane)})
            yellow, red = yellow_and_all_red(speed, width, timing)
            base = {"straight": timing.straight_green, "left": timing.left_green}.get(
                name.split(":")[-1], timing.side_green)
            phases.append([name, tuple(sorted(lanes)), base, yellow, red])
        walks = _crosswalk_phases(net, jid, approaches, phases, timing)
        for ph_idx, need in walks.values():
            phases[ph_idx][2] = max(phases[ph_idx][2], need)
        x = float(net.junctions.x[j_idx])
        phase_objs = tuple(Phase(*p) for p in phases)
        cycle = sum(p.green_s + p.yellow_s + p.all_red_s for p in phase_objs)
        offset = (x / timing.green_wave_speed) % cycle if timing.green_wave_speed > 0 else 0.0
        plans.append(JunctionPlan(jid, offset, phase_objs))
        t0 = 0.0
        starts = []
        for p in phase_objs:
            starts.append(t0)
            for lane in p.lanes:
                arrays["cyc"][lane] = round(cycle * US)
                arrays["off"][lane] = round(offset * US)
                arrays["g0"][lane] = round(t0 * US)
                arrays["g1"][lane] = round((t0 + p.green_s) * US)
                arrays["y1"][lane] = round((t0 + p.green_s + p.yellow_s) * US)
            t0 += p.green_s + p.yellow_s + p.all_red_s
        for c, (ph_idx, need) in walks.items():
            cw["cyc"][c] = round(cycle * US)
            cw["off"][c] = round(offset * US)
            cw["w0"][c] = round(starts[ph_idx] * US)
            cw["w1"][c] = round((starts[ph_idx] + need) * US)
    plans += _midblock_plans(net, timing, arrays, cw)
    return SignalPlan(arrays["cyc"], arrays["off"], arrays["g0"], arrays["g1"], arrays["y1"],
                      cw["cyc"], cw["off"], cw["w0"], cw["w1"], tuple(plans))


MIDBLOCK_REACH = 30.0  # [m] heads and crosswalks this close form one mid-block crossing


def _midblock_plans(net: RoadNetwork, timing: SignalTiming, arrays: dict,
                    cw: dict) -> list[JunctionPlan]:
    """Two-phase plans for signalised mid-block crosswalks (heads whose approach lanes lead
    to no junction): vehicles (green on the lanes just past the stop lines), then walk.

    Heads within MIDBLOCK_REACH of each other form one crossing; its plan is recorded as a
    JunctionPlan with junction -1. The vehicle phase gets the straight green, the walk phase
    7 s + 1 s/m of the crosswalk, each followed by the clearance of the approach speed.
    """
    ln, heads, cws = net.lanes, net.signals, net.crosswalks
    approach = [int(a) for a in np.flatnonzero((ln.flags & LANE_SIGNALISED) > 0)
                if heads.junction[ln.signal[a]] < 0 and len(ln.successors(int(a)))]
    groups: list[list[int]] = []  # lists of head indices
    for h in sorted({int(ln.signal[a]) for a in approach}):
        for g in groups:
            if min(math.hypot(heads.x[h] - heads.x[o], heads.y[h] - heads.y[o])
                   for o in g) <= MIDBLOCK_REACH:
                g.append(h)
                break
        else:
            groups.append([h])
    plans = []
    for g in groups:
        lanes = [a for a in approach if int(ln.signal[a]) in g]
        green = sorted({int(v) for a in lanes for v in ln.successors(a)})
        hx, hy = float(np.mean(heads.x[g])), float(np.mean(heads.y[g]))
        walks = []
        for c in range(cws.n):
            poly = cws.polygon(c)
            near = math.hypot(poly[:, 0].mean() - hx, poly[:, 1].mean() - hy) <= MIDBLOCK_REACH
            if cws.signalised[c] and near:
                walks.append(c)
        speed = max(float(net.points.speed_limit[ln.pt_ptr[a]]) for a in lanes)
        cross = max((float(np.hypot(*np.diff(np.stack([cws.end_x[c], cws.end_y[c]]), axis=1)
                                    [:, 0])) for c in walks), default=10.0)
        yellow, red = yellow_and_all_red(speed, 4.0, timing)  # clears a ~4 m crosswalk
        walk = pedestrian_green(cross + 1.0, timing)
        phases = (Phase("midblock:vehicles", tuple(green), timing.straight_green, yellow, red),
                  Phase("midblock:walk", (), walk, 0.0, red))
        cycle = sum(p.green_s + p.yellow_s + p.all_red_s for p in phases)
        for lane in green:
            arrays["cyc"][lane] = round(cycle * US)
            arrays["g0"][lane] = 0
            arrays["g1"][lane] = round(timing.straight_green * US)
            arrays["y1"][lane] = round((timing.straight_green + yellow) * US)
        w0 = timing.straight_green + yellow + red
        for c in walks:
            cw["cyc"][c] = round(cycle * US)
            cw["w0"][c] = round(w0 * US)
            cw["w1"][c] = round((w0 + walk) * US)
        plans.append(JunctionPlan(-1, 0.0, phases))
    return plans


def _approaches(net: RoadNetwork, jid: int) -> dict[tuple[int, int], list[int]]:
    """Signalised approach lanes into junction ``jid``, keyed by (road, direction sign)."""
    ln = net.lanes
    out: dict[tuple[int, int], list[int]] = {}
    for a in np.flatnonzero((ln.flags & LANE_SIGNALISED) > 0):
        if any(ln.junction[v] == jid for v in ln.successors(a)):
            out.setdefault((int(ln.road[a]), int(np.sign(ln.odr_id[a]))), []).append(int(a))
    return dict(sorted(out.items()))


def _approach_heading(net: RoadNetwork, lanes: list[int]) -> float:
    ends = [net.lanes.pt_ptr[a + 1] - 1 for a in lanes]
    return math.atan2(float(np.mean(np.sin(net.points.heading[ends]))),
                      float(np.mean(np.cos(net.points.heading[ends]))))


def _phase_groups(net: RoadNetwork, approaches) -> list[tuple[str, list[int]]]:
    """Korean phase list [(name, junction lanes)] from the approaches' geometry."""
    ln = net.lanes
    keys = list(approaches)
    heading = {k: _approach_heading(net, approaches[k]) for k in keys}
    axes: list[list[tuple[int, int]]] = []
    for k in keys:
        for axis in axes:
            if len(axis) == 1 and abs(wrap_angle(heading[axis[0]] - heading[k] - math.pi)) < 0.5:
                axis.append(k)
                break
        else:
            axes.append([k])
    axes.sort(key=lambda a: (-len(a), a))  # opposed pairs first: the main road of a T

    def movements(axis, turns):
        return [int(v) for k in axis for a in approaches[k] for v in ln.successors(a)
                if ln.junction[v] >= 0 and ln.turn[v] in turns]

    groups = []
    for i, axis in enumerate(axes):
        tag = f"axis{i}"
        if len(axis) == 2:
            groups.append((f"{tag}:straight", movements(axis, (Turn.STRAIGHT, Turn.RIGHT))))
            groups.append((f"{tag}:left", movements(axis, (Turn.LEFT, Turn.UTURN))))
        else:
            groups.append((f"{tag}:side", movements(axis, tuple(Turn))))
    return [(name, sorted(set(lanes))) for name, lanes in groups if lanes]


def _junction_width(net: RoadNetwork, jid: int) -> float:
    """Distance across the junction [m]: the longest straight connecting lane (or 20 m)."""
    ln = net.lanes
    straight = ln.length[(ln.junction == jid) & (ln.turn == Turn.STRAIGHT)]
    return float(straight.max()) if straight.size else 20.0


def _crosswalk_phases(net, jid, approaches, phases, timing) -> dict[int, tuple[int, float]]:
    """Crosswalk index -> (phase index, pedestrian green [s]) for the junction's crosswalks."""
    ln, cws = net.lanes, net.crosswalks
    roads = {road for road, _ in approaches}
    j_idx = int(np.flatnonzero(net.junctions.odr_id == jid)[0])
    out = {}
    for c in range(cws.n):
        if not cws.signalised[c] or int(cws.road[c]) not in roads:
            continue
        if _nearest_junction(net, c) != j_idx:
            continue  # the crosswalk at this road's other end belongs to the other junction
        best = None
        for idx, (_, lanes, green, _, _) in enumerate(phases):
            conflicts = 0
            for v in lanes:
                if ln.turn[v] == Turn.RIGHT:
                    continue  # right turners yield to pedestrians
                conflicts += int(movement_crosses(net, int(v), c))
            key = (conflicts, -green, idx)
            if best is None or key < best[0]:
                best = (key, idx)
        ends = np.hypot(np.diff(cws.end_x[c]), np.diff(cws.end_y[c]))[0]
        out[c] = (best[1], pedestrian_green(float(ends) + 1.0, timing))
    return out


NEAR_JUNCTION = 20.0  # [m] a crosswalk this close to a lane's junction end belongs to it


def movement_crosses(net: RoadNetwork, lane: int, c: int) -> bool:
    """Whether the movement through junction lane ``lane`` drives over crosswalk ``c``: its
    approach lane crosses it just before the junction, or its exit lane just after."""
    ln, cws = net.lanes, net.crosswalks
    for a in ln.predecessors(lane):
        for k in range(cws.lane_ptr[a], cws.lane_ptr[a + 1]):
            if cws.lane_cw[k] == c and cws.lane_s1[k] >= ln.length[a] - NEAR_JUNCTION:
                return True
    for b in ln.successors(lane):
        for k in range(cws.lane_ptr[b], cws.lane_ptr[b + 1]):
            if cws.lane_cw[k] == c and cws.lane_s0[k] <= NEAR_JUNCTION:
                return True
    return False


def _nearest_junction(net: RoadNetwork, c: int) -> int:
    """Index of the junction whose centre is nearest to crosswalk c's centre."""
    poly = net.crosswalks.polygon(c)
    cx, cy = poly[:, 0].mean(), poly[:, 1].mean()
    return int(np.argmin(np.hypot(net.junctions.x - cx, net.junctions.y - cy)))
