"""Cross-section of one arm: lane sections, lane widths, centreline shift, lane links.

An arm runs s = 0 (start node) .. L (end node). Traffic approaching the end node uses the
right lanes (ids < 0), traffic approaching the start node the left lanes. Each end with a
slot or slip lane gets an approach zone of two lane sections next to the node::

    s: 0 ........ P ...... P+T ............. L-P-T ...... L-P ........ L
       | start full | start taper |    mid    | end taper | end full |

In the taper the new lanes grow from 0 to W along a smooth cubic (zero slope at both
ends) while ``<laneOffset>`` moves the centre line by W/2 toward the departing lanes, so
the carriageway widens by W/2 on each side and the through lanes meet the opposite arm's
through lanes straight across the junction. A lane that starts with zero width has no
predecessor and one that ends with zero width no successor (ASAM rules 1.7
zero_width_at_start / zero_width_at_end).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.roadnet.conventions import (
    ACCESS_RESTRICTION_BUS,
    CHILD_ZONE_SPEED_KMH,
    USERDATA_BUS_LANE_HOURS,
)

from .layout import SLOT_MEDIAN, SLOT_NONE, ArmPlan, EndDesign, TrafficLane
from .xodr import Access, Lane, LaneOffset, LaneSection, Poly3, RoadMark, UserData

FULL, START_TAPER, MID, END_TAPER = "full", "start_taper", "mid", "end_taper"

CENTRE_MARK = RoadMark("solid solid", "yellow", "none")
EDGE_MARK = RoadMark("solid", "white", "none")
LANE_MARK = RoadMark("broken", "white", "both")
BUS_ALL_DAY_MARK = RoadMark("solid solid", "blue", "none")  # blue double line: all day
BUS_HOURS_MARK = RoadMark("broken", "blue", "both")  # single blue line: hours only


@dataclass(frozen=True)
class LaneSpec:
    """A lane of a section; ``role`` pocket | median | through | slip | sidewalk, ``index``
    the through-lane index from the centre (0 = innermost)."""

    role: str
    width: Poly3
    traffic: TrafficLane | None = None
    index: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.role, self.index)

    @property
    def lane_type(self) -> str:
        return {"median": "median", "sidewalk": "sidewalk"}.get(self.role, "driving")


@dataclass(frozen=True)
class SectionSpec:
    """Lanes on [s0, s1] [m]; ``left``/``right`` run from the centre outwards."""

    s0: float
    s1: float
    left: tuple[LaneSpec, ...]
    right: tuple[LaneSpec, ...]


@dataclass(frozen=True)
class CrossSection:
    plan: ArmPlan
    sections: tuple[SectionSpec, ...]
    offsets: tuple[LaneOffset, ...]
    lane_width: float
    mid: tuple[float, float]  # [m] the plain mid-block stretch between the approach zones

    def offset_at(self, s: float) -> float:
        if not self.offsets:
            return 0.0
        rec = self.offsets[0]
        for cand in self.offsets:
            if cand.s <= s:
                rec = cand
        return rec.poly(s - rec.s)

    def section_at(self, s: float) -> SectionSpec:
        for sec in self.sections:
            if s < sec.s1:
                return sec
        return self.sections[-1]

    def borders(self, s: float, left: bool) -> list[tuple[int, LaneSpec, float, float]]:
        """(lane id, lane, t_inner, t_outer) [m] of one side's lanes at ``s``, inside out."""
        sec = self.section_at(s)
        t = self.offset_at(s)
        sign = 1.0 if left else -1.0
        out = []
        for n, lane in enumerate(sec.left if left else sec.right, start=1):
            w = lane.width(s - sec.s0)
            out.append((int(sign) * n, lane, t, t + sign * w))
            t += sign * w
        return out


def _taper(width: float, length: float, growing: bool) -> Poly3:
    """Cubic from 0 to ``width`` (or back) over ``length`` [m] with zero end slopes."""
    c, d = 3.0 * width / length**2, -2.0 * width / length**3
    return Poly3(0.0, 0.0, c, d) if growing else Poly3(width, 0.0, -c, -d)


def _side(
    plan: ArmPlan, design: EndDesign, extra: Poly3 | None, w: float, sidewalk: float
) -> tuple[LaneSpec, ...]:
    """Lanes of one side; ``extra`` is the width of slot/slip lanes here (None: absent)."""
    lanes: list[LaneSpec] = []
    if extra is not None and design.slot != SLOT_NONE:
        lanes.append(LaneSpec(design.slot, extra))
    for k, traffic in enumerate(plan.lanes):
        lanes.append(LaneSpec("through", Poly3(w), traffic, k))
    if extra is not None and design.slip:
        lanes.append(LaneSpec("slip", extra))
    lanes.append(LaneSpec("sidewalk", Poly3(sidewalk)))
    return tuple(lanes)


def build_cross_section(
    plan: ArmPlan, lane_width: float, sidewalk_width: float, pocket: float, taper: float
) -> CrossSection:
    w, length = lane_width, plan.length
    phases: list[tuple[float, float, str, str]] = []  # (s0, s1, phase, which end)
    if plan.start.zone:
        phases += [(0.0, pocket, FULL, "start"), (pocket, pocket + taper, START_TAPER, "start")]
    mid0 = pocket + taper if plan.start.zone else 0.0
    mid1 = length - pocket - taper if plan.end.zone else length
    phases.append((mid0, mid1, MID, ""))
    if plan.end.zone:
        phases += [
            (length - pocket - taper, length - pocket, END_TAPER, "end"),
            (length - pocket, length, FULL, "end"),
        ]
    sections = []
    for s0, s1, phase, which in phases:
        extra = {FULL: Poly3(w), START_TAPER: _taper(w, taper, False)}.get(phase)
        if phase == END_TAPER:
            extra = _taper(w, taper, True)
        left = _side(plan, plan.start, extra if which == "start" else None, w, sidewalk_width)
        right = _side(plan, plan.end, extra if which == "end" else None, w, sidewalk_width)
        sections.append(SectionSpec(s0, s1, left, right))
    offsets = _lane_offsets(plan, w, pocket, taper)
    return CrossSection(plan, tuple(sections), offsets, w, (mid0, mid1))


def _lane_offsets(plan: ArmPlan, w: float, pocket: float, taper: float) -> tuple[LaneOffset, ...]:
    """Centre shift: -W/2 at a start slot, +W/2 at an end slot, 0 mid-block."""
    half, length = w / 2.0, plan.length
    recs: list[LaneOffset] = []
    if plan.start.slot != SLOT_NONE:
        rise = _taper(half, taper, True)
        recs += [
            LaneOffset(0.0, Poly3(-half)),
            LaneOffset(pocket, Poly3(-half, 0.0, rise.c, rise.d)),
            LaneOffset(pocket + taper, Poly3(0.0)),
        ]
    else:
        recs.append(LaneOffset(0.0, Poly3(0.0)))
    if plan.end.slot != SLOT_NONE:
        recs += [
            LaneOffset(length - pocket - taper, _taper(half, taper, True)),
            LaneOffset(length - pocket, Poly3(half)),
        ]
    if len(recs) == 1:
        return ()  # no shift anywhere: leave laneOffset out
    return tuple(recs)


def _mark(lane: LaneSpec, outer: LaneSpec) -> RoadMark | None:
    """Marking on ``lane``'s outer border, next to ``outer``."""
    if lane.role == "sidewalk":
        return None
    if lane.role == SLOT_MEDIAN or outer.role == "sidewalk":
        return EDGE_MARK
    t_in, t_out = lane.traffic, outer.traffic
    if (t_in is not None and t_in.bus_all_day) != (t_out is not None and t_out.bus_all_day):
        return BUS_ALL_DAY_MARK
    if (t_in is not None and t_in.is_bus) != (t_out is not None and t_out.is_bus):
        return BUS_HOURS_MARK
    return LANE_MARK


def bus_rules(traffic: TrafficLane | None) -> tuple[tuple[Access, ...], tuple[UserData, ...]]:
    """``<access>`` and ``<userData>`` records of a (possibly) bus-only lane."""
    if traffic is None or not traffic.is_bus:
        return (), ()
    access = (Access("allow", ACCESS_RESTRICTION_BUS),)
    if traffic.hours is None:
        return access, ()
    return access, (UserData(USERDATA_BUS_LANE_HOURS, traffic.hours),)


def lane_sections(cs: CrossSection) -> tuple[LaneSection, ...]:
    """The xodr lane sections with widths, marks, speeds, bus rules and lane links."""
    speed = CHILD_ZONE_SPEED_KMH if cs.plan.child_zone else None
    out = []
    for n, sec in enumerate(cs.sections):
        prev = cs.sections[n - 1] if n > 0 else None
        nxt = cs.sections[n + 1] if n + 1 < len(cs.sections) else None
        sides = []
        for left in (True, False):
            lanes = sec.left if left else sec.right
            sign = 1 if left else -1
            built = []
            for k, lane in enumerate(lanes):
                outer = lanes[k + 1] if k + 1 < len(lanes) else lane
                access, user_data = bus_rules(lane.traffic)
                driving = lane.lane_type == "driving"
                built.append(
                    Lane(
                        id=sign * (k + 1),
                        type=lane.lane_type,
                        widths=((0.0, lane.width),),
                        road_mark=_mark(lane, outer),
                        predecessors=_link(prev, lane, left),
                        successors=_link(nxt, lane, left),
                        speed_kmh=speed if driving else None,
                        access=access,
                        user_data=user_data,
                    )
                )
            sides.append(tuple(built))
        centre = Lane(id=0, type="none", road_mark=CENTRE_MARK)
        out.append(LaneSection(sec.s0, sides[0], centre, sides[1]))
    return tuple(out)


def _link(other: SectionSpec | None, lane: LaneSpec, left: bool) -> tuple[int, ...]:
    """Id of the same lane in the neighbouring section, if it continues there."""
    if other is None:
        return ()
    lanes = other.left if left else other.right
    for k, cand in enumerate(lanes):
        if cand.key == lane.key:
            return ((k + 1) if left else -(k + 1),)
    return ()
