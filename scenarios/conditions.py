"""Trigger conditions measured on a world state (the storyboard's sensors).

Measures follow OpenSCENARIO 1.x: distances between centres or, with ``freespace``,
between box outlines (approximated along the line of sight by the half lengths, as most
tools do); headway and time to collision along the triggering actor's heading.
"""

from __future__ import annotations

import math

from scenarios.positions import resolve
from scenarios.storyboard import (
    EventState,
    ReachPosition,
    RelativeDistance,
    SimulationTime,
    Speed,
    TimeHeadway,
    TimeToCollision,
    compare,
)
from sim.roadnet.network import RoadNetwork
from sim.state import WorldState


def _gap_along(state: WorldState, i: int, j: int, freespace: bool) -> float:
    """Distance [m] from i to j along i's heading (negative: j is behind i)."""
    c, s = math.cos(state.yaw[i]), math.sin(state.yaw[i])
    along = (state.x[j] - state.x[i]) * c + (state.y[j] - state.y[i]) * s
    if freespace:
        half = 0.5 * (state.length[i] + state.length[j])
        along = along - half if along > 0 else along + half
    return float(along)


def distance(state: WorldState, i: int, j: int, coordinate: str, freespace: bool) -> float:
    """Relative distance [m] of actor rows i and j."""
    if coordinate == "longitudinal":
        return abs(_gap_along(state, i, j, freespace))
    d = math.hypot(state.x[j] - state.x[i], state.y[j] - state.y[i])
    if freespace:
        d = max(0.0, d - 0.5 * (state.length[i] + state.length[j]))
    return float(d)


def headway(state: WorldState, i: int, j: int, freespace: bool) -> float:
    """Time headway [s] of i behind j: gap along i's heading / i's speed."""
    gap = _gap_along(state, i, j, freespace)
    v = float(state.speed[i])
    if gap <= 0.0 and not freespace:
        return math.inf
    if v < 0.1:
        return math.inf
    return max(gap, 0.0) / v


def time_to_collision(state: WorldState, i: int, j: int, freespace: bool) -> float:
    """TTC [s] of i with j: gap along i's heading / closing speed along it."""
    gap = _gap_along(state, i, j, freespace)
    c, s = math.cos(state.yaw[i]), math.sin(state.yaw[i])
    v_j = state.speed[j] * (math.cos(state.yaw[j]) * c + math.sin(state.yaw[j]) * s)
    closing = float(state.speed[i] - v_j) if gap >= 0 else float(v_j - state.speed[i])
    if closing <= 1e-6:
        return math.inf
    return max(abs(gap), 0.0) / closing


class Measure:
    """Evaluates one condition's test (no edge, no delay) on a state."""

    def __init__(self, net: RoadNetwork, rows: dict[str, int], events):
        self.net, self.rows, self.events = net, rows, events

    def __call__(self, cond, state: WorldState) -> bool:
        t = state.time_us / 1e6
        if isinstance(cond, SimulationTime):
            return compare(t, cond.rule, cond.value)
        if isinstance(cond, EventState):
            ev = self.events[cond.event]
            return (ev.started_s if cond.state == "start" else ev.ended_s) is not None
        i = self.rows[cond.entity]
        if not state.valid[i]:
            return False
        if isinstance(cond, Speed):
            return compare(float(state.speed[i]), cond.rule, cond.value)
        if isinstance(cond, ReachPosition):
            p = resolve(self.net, cond.position, state, self.rows, vehicle=False,
                        where="reach position")
            return math.hypot(state.x[i] - p.x, state.y[i] - p.y) < cond.tolerance
        j = self.rows[cond.ref]
        if not state.valid[j]:
            return False
        if isinstance(cond, RelativeDistance):
            value = distance(state, i, j, cond.coordinate, cond.freespace)
        elif isinstance(cond, TimeHeadway):
            value = headway(state, i, j, cond.freespace)
        elif isinstance(cond, TimeToCollision):
            value = time_to_collision(state, i, j, cond.freespace)
        else:  # pragma: no cover - the schema admits no other condition
            raise TypeError(f"unsupported condition {cond!r}")
        return compare(value, cond.rule, cond.value)  # inf (never closing) is > anything
