"""Junctions: one single-lane connecting road per lane-to-lane movement.

Each connecting road's reference line runs along the inner border of its lane (the border
nearer the centre line), so it starts exactly on the inner border of the approach lane and
ends exactly on the inner border of the departing lane, with the same headings; its lane
-1 has the same constant width as the lanes it joins. The ASAM horizontal-gap check then
finds both borders of every joint within 1 cm (they match to ~1e-9 m).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .arm import CrossSection, bus_rules
from .geometry import Pose, path_length, straight_path, turn_path, wrap
from .layout import SIDE_NAMES, NodePlan, TrafficLane
from .movements import STRAIGHT, ApproachLane, Movement, plan_movements
from .spec import BUS
from .xodr import Connection, Junction, Lane, LaneSection, Poly3, Road, RoadLinkEnd

MAX_CONNECTIONS = 100  # connecting road ids are 100 * junction id + n


@dataclass(frozen=True)
class EndLane:
    """A driving lane at an arm end; ``t_inner`` [m] is its border nearer the centre line."""

    lane_id: int
    role: str
    traffic: TrafficLane
    t_inner: float


@dataclass(frozen=True)
class ArmEnd:
    """One arm seen from a node: the lanes arriving at it and the lanes leaving it."""

    road_id: int
    at_start: bool  # the node is at s = 0 of the arm
    pose: Pose  # reference line point and road heading at this end
    approach: tuple[EndLane, ...]
    departing: tuple[EndLane, ...]
    speed_kmh: float
    general_left_turns: bool

    def travel_heading(self, arriving: bool) -> float:
        """Heading [rad] of traffic arriving at / leaving the node on this arm."""
        forward = arriving != self.at_start  # right lanes arrive at the end node
        return wrap(self.pose.hdg + (0.0 if forward else math.pi))

    def lane_pose(self, lane: EndLane, arriving: bool) -> Pose:
        x, y = self.pose.at(0.0, lane.t_inner)
        return Pose(x, y, self.travel_heading(arriving))


def arm_end(cs: CrossSection, at_start: bool) -> ArmEnd:
    plan = cs.plan
    s = 0.0 if at_start else plan.length
    general = TrafficLane("general")

    def driving(left: bool) -> tuple[EndLane, ...]:
        return tuple(
            EndLane(lane_id, lane.role, lane.traffic or general, t_in)
            for lane_id, lane, t_in, _ in cs.borders(s, left)
            if lane.lane_type == "driving"
        )

    x = plan.x0 + s * math.cos(plan.heading)
    y = plan.y0 + s * math.sin(plan.heading)
    return ArmEnd(
        road_id=plan.road_id,
        at_start=at_start,
        pose=Pose(x, y, plan.heading),
        approach=driving(left=at_start),
        departing=driving(left=not at_start),
        speed_kmh=plan.road_class.speed_kmh,
        general_left_turns=plan.road_class.general_left_turns,
    )


def _connection_rules(src: EndLane, dst: EndLane) -> TrafficLane | None:
    """Bus rule a connecting lane carries: it enters a bus lane or leaves an all-day one."""
    if src.traffic.bus_all_day:
        return TrafficLane(BUS)
    if dst.traffic.is_bus:
        return dst.traffic
    return None


def build_junction(
    node: NodePlan, ends: dict[int, ArmEnd], lane_width: float
) -> tuple[Junction, tuple[Road, ...]]:
    """The ``<junction>`` of ``node`` (without controllers) and its connecting roads."""
    moves = plan_movements(
        {
            a: tuple(ApproachLane(e.role, e.traffic) for e in end.approach)
            for a, end in ends.items()
        },
        {a: tuple(e.traffic for e in end.departing) for a, end in ends.items()},
        {a: end.general_left_turns for a, end in ends.items()},
    )
    if len(moves) > MAX_CONNECTIONS:
        raise ValueError(f"junction {node.junction_id} needs {len(moves)} connecting roads")
    roads, connections = [], []
    for n, move in enumerate(moves):
        road = _connecting_road(node, n, move, ends, lane_width)
        roads.append(road)
        src = ends[move.from_side].approach[move.from_index]
        connections.append(
            Connection(n, ends[move.from_side].road_id, road.id, "start", ((src.lane_id, -1),))
        )
    junction = Junction(node.junction_id, f"node_{node.i}_{node.j}", tuple(connections))
    return junction, tuple(roads)


def _connecting_road(
    node: NodePlan, n: int, move: Movement, ends: dict[int, ArmEnd], lane_width: float
) -> Road:
    a_end, x_end = ends[move.from_side], ends[move.to_side]
    src, dst = a_end.approach[move.from_index], x_end.departing[move.to_index]
    start, end = a_end.lane_pose(src, arriving=True), x_end.lane_pose(dst, arriving=False)
    geometry = straight_path(start, end) if move.turn == STRAIGHT else turn_path(start, end)
    access, user_data = bus_rules(_connection_rules(src, dst))
    lane = Lane(
        id=-1,
        type="driving",
        widths=((0.0, Poly3(lane_width)),),
        predecessors=(src.lane_id,),
        successors=(dst.lane_id,),
        access=access,
        user_data=user_data,
    )
    section = LaneSection(0.0, (), Lane(id=0, type="none"), (lane,))
    name = (
        f"node_{node.i}_{node.j}_{SIDE_NAMES[move.from_side]}{move.from_index}"
        f"_{move.turn}_{SIDE_NAMES[move.to_side]}{move.to_index}"
    )
    return Road(
        id=100 * node.junction_id + n,
        name=name,
        length=path_length(geometry),
        geometry=geometry,
        sections=(section,),
        junction=node.junction_id,
        predecessor=RoadLinkEnd("road", a_end.road_id, "start" if a_end.at_start else "end"),
        successor=RoadLinkEnd("road", x_end.road_id, "start" if x_end.at_start else "end"),
        speed_kmh=min(a_end.speed_kmh, x_end.speed_kmh),
    )
