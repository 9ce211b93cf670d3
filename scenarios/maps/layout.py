"""Grid topology: nodes, arms, what each arm end needs, junction box sizes, ids.

Id scheme (CARLA tells junctions from roads by id, so the sets never overlap):

* E-W arm from node (i, j) to (i+1, j): ``10000 + 100*j + i``
* N-S arm from node (i, j) to (i, j+1): ``20000 + 100*j + i``
* junction at node (i, j):              ``30000 + 100*j + i``
* connecting road n of junction J:      ``100*J + n``  (n < 100)

Sides of a node are numbered counter-clockwise, E=0, N=1, W=2, S=3, so the travel heading
of a side is ``side * pi/2`` and traffic arriving from side ``a`` goes straight to side
``a+2``, left to ``a+3`` and right to ``a+1`` (mod 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .spec import BUS, ArmOverride, GridSpec, RoadClass

E, N, W, S = 0, 1, 2, 3
SIDE_NAMES = "ENWS"

SLOT_NONE, SLOT_POCKET, SLOT_MEDIAN = "none", "pocket", "median"
MIN_MID_LENGTH = 5.0  # [m] plain road left between the two approach zones of an arm


def straight_of(side: int) -> int:
    return (side + 2) % 4


def left_of(side: int) -> int:
    return (side + 3) % 4


def right_of(side: int) -> int:
    return (side + 1) % 4


def ew_arm_id(i: int, j: int) -> int:
    return 10000 + 100 * j + i


def ns_arm_id(i: int, j: int) -> int:
    return 20000 + 100 * j + i


def junction_id(i: int, j: int) -> int:
    return 30000 + 100 * j + i


@dataclass(frozen=True)
class TrafficLane:
    """A through lane: general traffic, or bus only (all day, or in ``hours`` only)."""

    kind: str
    hours: str | None = None

    @property
    def bus_all_day(self) -> bool:
        return self.kind == BUS and self.hours is None

    @property
    def is_bus(self) -> bool:
        return self.kind == BUS


@dataclass(frozen=True)
class EndDesign:
    """What one arm end needs for the traffic approaching its node.

    ``slot``: a lane inside the approach lanes, a left-turn pocket or a hatched median that
    keeps through lanes aligned with an opposite arm that has a pocket; it comes with the
    half-lane centreline shift. ``slip``: an outermost right-turn lane.
    """

    signalised: bool
    slot: str = SLOT_NONE
    slip: bool = False

    @property
    def zone(self) -> bool:
        return self.slot != SLOT_NONE or self.slip


@dataclass(frozen=True)
class ArmPlan:
    """One arm: a straight road from ``start_node`` to ``end_node`` (s = 0 .. length [m])."""

    road_id: int
    start_node: tuple[int, int]
    end_node: tuple[int, int]
    x0: float
    y0: float
    heading: float
    length: float
    road_class: RoadClass
    lanes: tuple[TrafficLane, ...]
    start: EndDesign
    end: EndDesign
    child_zone: bool = False
    mid_crosswalk: bool = False
    bus_shelter_m: float | None = None


@dataclass(frozen=True)
class NodePlan:
    """Junction node; ``half_x`` [m] is how far its box reaches along x (where the E/W arms
    begin), ``half_y`` along y. ``arms`` maps side -> arm road id."""

    i: int
    j: int
    junction_id: int
    x: float
    y: float
    half_x: float
    half_y: float
    arms: tuple[tuple[int, int], ...]

    @property
    def sides(self) -> tuple[int, ...]:
        return tuple(side for side, _ in self.arms)

    @property
    def signalised(self) -> bool:
        return len(self.arms) >= 3


@dataclass(frozen=True)
class GridPlan:
    nodes: tuple[NodePlan, ...]
    arms: tuple[ArmPlan, ...]


def node_sides(spec: GridSpec, i: int, j: int) -> tuple[int, ...]:
    sides = []
    if i < spec.n_cols - 1:
        sides.append(E)
    if j < spec.n_rows - 1:
        sides.append(N)
    if i > 0:
        sides.append(W)
    if j > 0:
        sides.append(S)
    return tuple(sides)


def arm_at(i: int, j: int, side: int) -> tuple[int, int, str]:
    """(i, j, toward) of the arm on ``side`` of node (i, j)."""
    return {E: (i, j, "E"), N: (i, j, "N"), W: (i - 1, j, "E"), S: (i, j - 1, "N")}[side]


def _override(spec: GridSpec, key: tuple[int, int, str]) -> ArmOverride | None:
    for ov in spec.arm_overrides:
        if (ov.i, ov.j, ov.toward) == key:
            return ov
    return None


def _arm_class(spec: GridSpec, key: tuple[int, int, str]) -> RoadClass:
    ov = _override(spec, key)
    if ov is not None and ov.road_class is not None:
        return ov.road_class
    i, j, toward = key
    table = dict(spec.row_classes if toward == "E" else spec.col_classes)
    return table.get(j if toward == "E" else i, spec.default_class)


def _arm_lanes(spec: GridSpec, key: tuple[int, int, str]) -> tuple[TrafficLane, ...]:
    lanes = [TrafficLane(kind) for kind in _arm_class(spec, key).lanes]
    ov = _override(spec, key)
    if ov is not None and ov.bus_lane_hours is not None:
        lanes[-1] = TrafficLane(BUS, ov.bus_lane_hours)
    return tuple(lanes)


def _has_pocket(spec: GridSpec, i: int, j: int, side: int, sides: tuple[int, ...]) -> bool:
    if len(sides) < 3 or left_of(side) not in sides:
        return False
    cls = _arm_class(spec, arm_at(i, j, side))
    can_go_straight = straight_of(side) in sides
    return cls.left_pockets and (cls.general_left_turns or not can_go_straight)


def end_design(spec: GridSpec, i: int, j: int, side: int) -> EndDesign:
    """Design of the end of the arm on ``side`` of node (i, j)."""
    sides = node_sides(spec, i, j)
    if len(sides) < 3:
        return EndDesign(signalised=False)
    opposite = straight_of(side)
    if _has_pocket(spec, i, j, side, sides):
        slot = SLOT_POCKET
    elif opposite in sides and _has_pocket(spec, i, j, opposite, sides):
        slot = SLOT_MEDIAN
    else:
        slot = SLOT_NONE
    slip = _arm_class(spec, arm_at(i, j, side)).right_slips and right_of(side) in sides
    return EndDesign(signalised=True, slot=slot, slip=slip)


def end_extents(n_lanes: int, design: EndDesign, lane_width: float) -> tuple[float, float]:
    """Outer edges [m] from the arm's axis of the approach and departing lanes at its end."""
    slot = design.slot != SLOT_NONE
    shift = lane_width / 2.0 if slot else 0.0
    approach = (n_lanes + int(slot) + int(design.slip)) * lane_width - shift
    return approach, n_lanes * lane_width + shift


def zone_length(spec: GridSpec, design: EndDesign) -> float:
    """Length [m] of an arm end's approach zone (pocket + taper, or crosswalk + stop line)."""
    if design.zone:
        return spec.pocket_length + spec.taper_length
    if design.signalised:
        return spec.crosswalk_width + spec.stop_line_gap + 1.0
    return 0.0


def _box(spec: GridSpec, i: int, j: int, sides: tuple[int, ...]) -> tuple[float, float]:
    """(half_x, half_y) [m] of the junction box of node (i, j).

    Arms begin a curb radius beyond the crossing carriageways. A right turn from arm a into
    arm x has tangent lengths ``h(a) - e_out`` and ``h(x) - e_in`` (h: box half-size along
    the arm, e: lateral offsets of the lanes' inner borders), so where a slip lane turns,
    the box grows until its turn reaches ``slip_radius`` at the lane centre. At a corner
    bend (two arms) the right turners ride the inside of the bend, so the box grows until
    their curb lane turns on ``corner_radius`` at the lane centre; with equal lane counts on
    both arms every bend lane is then a pure arc about one centre, one lane width apart.
    """
    w = spec.lane_width
    ext = {
        side: end_extents(
            len(_arm_lanes(spec, arm_at(i, j, side))), end_design(spec, i, j, side), w
        )
        for side in sides
    }
    need = {0: 0.0, 1: 0.0}  # by arm axis: 0 = E/W arms (half_x), 1 = N/S arms (half_y)
    for side, widths in ext.items():
        need[1 - side % 2] = max(need[1 - side % 2], max(widths) + spec.curb_radius)
    for a in sides:
        x = right_of(a)
        if x not in sides:
            continue
        if end_design(spec, i, j, a).slip:
            radius = spec.slip_radius
        elif len(sides) == 2:
            radius = spec.corner_radius
        else:
            continue
        r_ref = radius + w / 2.0  # the connecting road runs on the lane's inner border
        need[a % 2] = max(need[a % 2], ext[x][1] - w + r_ref)
        need[x % 2] = max(need[x % 2], ext[a][0] - w + r_ref)
    return need[0], need[1]


def plan_grid(spec: GridSpec) -> GridPlan:
    """Lay out the grid; ValueError naming ``block_x``/``block_y`` if an arm is too short."""
    nodes = []
    for j in range(spec.n_rows):
        for i in range(spec.n_cols):
            sides = node_sides(spec, i, j)
            half_x, half_y = _box(spec, i, j, sides)
            arms = []
            for side in sides:
                ai, aj, toward = arm_at(i, j, side)
                rid = ew_arm_id(ai, aj) if toward == "E" else ns_arm_id(ai, aj)
                arms.append((side, rid))
            nodes.append(
                NodePlan(
                    i=i,
                    j=j,
                    junction_id=junction_id(i, j),
                    x=i * spec.block_x,
                    y=j * spec.block_y,
                    half_x=half_x,
                    half_y=half_y,
                    arms=tuple(arms),
                )
            )
    by_ij = {(n.i, n.j): n for n in nodes}
    arms = []
    for j in range(spec.n_rows):
        for i in range(spec.n_cols):
            if i < spec.n_cols - 1:
                arms.append(_plan_arm(spec, by_ij[i, j], by_ij[i + 1, j], "E"))
            if j < spec.n_rows - 1:
                arms.append(_plan_arm(spec, by_ij[i, j], by_ij[i, j + 1], "N"))
    return GridPlan(nodes=tuple(nodes), arms=tuple(arms))


def _plan_arm(spec: GridSpec, a: NodePlan, b: NodePlan, toward: str) -> ArmPlan:
    key = (a.i, a.j, toward)
    east = toward == "E"
    start = end_design(spec, a.i, a.j, E if east else N)
    end = end_design(spec, b.i, b.j, W if east else S)
    ov = _override(spec, key)
    if east:
        x0, y0, heading = a.x + a.half_x, a.y, 0.0
        length = (b.x - b.half_x) - x0
    else:
        x0, y0, heading = a.x, a.y + a.half_y, math.pi / 2.0
        length = (b.y - b.half_y) - y0
    need = zone_length(spec, start) + zone_length(spec, end) + MIN_MID_LENGTH
    if ov is not None and ov.mid_crosswalk:
        need += spec.crosswalk_width + 2.0 * (spec.stop_line_gap + 1.0)
    if length < need:
        field_name = "block_x" if east else "block_y"
        bend = ""
        if len(a.arms) == 2 or len(b.arms) == 2:
            bend = f" (it ends at a corner bend sized by corner_radius={spec.corner_radius!r} m)"
        raise ValueError(
            f"{field_name}={getattr(spec, field_name)!r} m is too short: arm ({a.i}, {a.j}) "
            f"toward {toward} would be {length:.1f} m long between its junction boxes but "
            f"needs >= {need:.1f} m for pockets, tapers, crosswalks and stop lines{bend}"
        )
    return ArmPlan(
        road_id=ew_arm_id(a.i, a.j) if east else ns_arm_id(a.i, a.j),
        start_node=(a.i, a.j),
        end_node=(b.i, b.j),
        x0=x0,
        y0=y0,
        heading=heading,
        length=length,
        road_class=_arm_class(spec, key),
        lanes=_arm_lanes(spec, key),
        start=start,
        end=end,
        child_zone=ov is not None and ov.child_zone,
        mid_crosswalk=ov is not None and ov.mid_crosswalk,
        bus_shelter_m=ov.bus_shelter_m if ov is not None else None,
    )
