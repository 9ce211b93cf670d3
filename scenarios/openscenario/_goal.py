"""A goal for an imported ego that has none (OpenSCENARIO has no notion of one).

kav's ego needs a destination for its planner. Unless the ego entity carries a
``kav:goal`` property, the import places one :data:`GOAL_AHEAD` metres ahead of the ego's
start along its lane on the referenced OpenDRIVE map, taking the straightest successor at
each lane end (see :func:`scenarios.positions.walk_lane`), and stopping short at a dead
end; less than :data:`MIN_AHEAD` metres of road ahead is an error asking for ``kav:goal``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from scenarios.positions import (
    PositionError,
    lane_index,
    neighbour,
    on_lane,
    snap,
    walk_lane,
)
from scenarios.storyboard import LanePosition, Position, WorldPosition

GOAL_AHEAD = 300.0  # [m] along the ego's lane
MIN_AHEAD = 30.0  # [m]
_DEAD_END_MARGIN = 5.0  # [m] short of a lane that ends without a successor


@functools.lru_cache(maxsize=8)
def _network(path: str, mtime_ns: int):
    from sim.roadnet.loader import load_network

    return load_network(path)


def network(path: Path):
    """The road network of ``path`` (cached per file version: tests import one map often)."""
    return _network(str(path), path.stat().st_mtime_ns)


def _lane_s(net, pos: Position, starts: dict[str, Position], seen: tuple[str, ...],
            where: str) -> tuple[int, float]:
    if isinstance(pos, WorldPosition):
        p = snap(net, pos.x, pos.y, pos.heading, where=where)
        return p.lane, p.s
    if isinstance(pos, LanePosition):
        return lane_index(net, pos.road, pos.lane, pos.s, where)
    if pos.entity in seen or pos.entity not in starts:
        raise PositionError(f"{where}: cannot place relative to {pos.entity!r} (unknown or "
                            "circular start positions)")
    lane0, s0 = _lane_s(net, starts[pos.entity], starts, (*seen, pos.entity), where)
    lane = neighbour(net, lane0, pos.dlane)
    if lane < 0:
        raise PositionError(f"{where}: no lane {pos.dlane:+d} from {pos.entity!r}'s lane")
    return walk_lane(net, lane, s0, pos.ds)


def derive_goal(xodr: Path, start: Position, starts: dict[str, Position],
                ahead: float = GOAL_AHEAD) -> WorldPosition:
    """A world position [m] ``ahead`` metres along the lane from ``start`` (the ego's);
    ``starts`` are every actor's start, for a start relative to another actor.
    PositionError if the start cannot be placed or the road ends too soon."""
    net = network(xodr)
    where = "ego start"
    lane, s = _lane_s(net, start, starts, ("ego",), where)
    length = net.lanes.length
    travelled = 0.0
    for _ in range(1000):
        room = float(length[lane]) - s
        if ahead - travelled <= room:
            s += ahead - travelled
            travelled = ahead
            break
        nxt, _s = walk_lane(net, lane, float(length[lane]), 1e-9)
        if nxt == lane:  # a dead end: stop short of it
            s_end = max(float(length[lane]) - _DEAD_END_MARGIN, s)
            travelled += s_end - s
            s = s_end
            break
        travelled += room
        lane, s = nxt, 0.0
    if travelled < MIN_AHEAD:
        raise PositionError(f"{where}: only {travelled:.0f} m of road ahead of the ego; give "
                            "the ego entity a <Property name=\"kav:goal\" value=\"x y\"/>")
    p = on_lane(net, lane, s)
    return WorldPosition(round(p.x, 2), round(p.y, 2))
