"""Procedural Korean urban grid maps: ``build_grid(spec) -> xodr text`` and presets.

A closed grid: arms only between neighbouring nodes, corner nodes are unsignalised bends
(innermost lane on ``GridSpec.corner_radius``), edge nodes signalised T-junctions,
interior nodes signalised 4-way junctions, so every driving lane has a way on. The same
spec always gives byte-identical text.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sim.roadnet.conventions import USERDATA_CHILD_ZONE

from .arm import CrossSection, build_cross_section, lane_sections
from .junction import arm_end, build_junction
from .layout import E, GridPlan, N, plan_grid
from .spec import BUS, GENERAL, ArmOverride, GridSpec, RoadClass
from .traffic_control import arm_control, controllers
from .xml_writer import num, to_xml
from .xodr import (
    Geometry,
    Header,
    Junction,
    OpenDrive,
    Road,
    RoadLinkEnd,
    RoadObject,
    UserData,
)
from .zones import proj_string, zone

__all__ = [
    "GridSpec",
    "RoadClass",
    "ArmOverride",
    "build_document",
    "build_grid",
    "sangam_dmc_grid",
    "benchmark_grid",
    "write_xodr",
]


def build_document(spec: GridSpec) -> OpenDrive:
    """The typed OpenDRIVE model of ``spec`` (ValueError naming a bad field)."""
    spec.validate()
    plan = plan_grid(spec)
    sections = {
        arm.road_id: build_cross_section(
            arm, spec.lane_width, spec.sidewalk_width, spec.pocket_length, spec.taper_length
        )
        for arm in plan.arms
    }
    jid = {(n.i, n.j): n.junction_id for n in plan.nodes}
    roads, heads = [], []
    for arm in plan.arms:
        cs = sections[arm.road_id]
        control = arm_control(cs, spec.crosswalk_width, spec.stop_line_gap, spec.sidewalk_width)
        heads += control.heads
        user_data = ()
        if arm.child_zone:  # whole arm; it has sidewalks, so 30 km/h applies
            user_data = (UserData(USERDATA_CHILD_ZONE, f"0 {num(arm.length)} 1"),)
        roads.append(
            Road(
                id=arm.road_id,
                name=f"arm_{arm.start_node[0]}_{arm.start_node[1]}_"
                f"{'E' if arm.heading == 0.0 else 'N'}",
                length=arm.length,
                geometry=(Geometry(0.0, arm.x0, arm.y0, arm.heading, arm.length),),
                sections=lane_sections(cs),
                predecessor=RoadLinkEnd("junction", jid[arm.start_node]),
                successor=RoadLinkEnd("junction", jid[arm.end_node]),
                speed_kmh=arm.road_class.speed_kmh,
                lane_offsets=cs.offsets,
                objects=control.objects + (_buildings(cs, spec) if spec.buildings else ())
                + _shelter(cs, spec),
                signals=control.signals,
                user_data=user_data,
            )
        )
    ctrls, refs = controllers(heads, jid)
    junctions: list[Junction] = []
    for node in plan.nodes:
        ends = {}
        for side, road_id in node.arms:
            at_start = side in (E, N)  # E/N arms begin at this node
            ends[side] = arm_end(sections[road_id], at_start)
        junction, connecting = build_junction(node, ends, spec.lane_width)
        roads += connecting
        junctions.append(
            Junction(junction.id, junction.name, junction.connections, refs.get(junction.id, ()))
        )
    header = Header(
        name=spec.name,
        date=spec.date,
        geo_reference=proj_string(spec.lat0, spec.lon0),
        bounds=_bounds(plan),
    )
    return OpenDrive(header, tuple(roads), ctrls, tuple(junctions))


BUILDING_END_GAP = 4.0  # [m] left open at each arm end, so corners stay walkable


def _buildings(cs: CrossSection, spec: GridSpec) -> tuple[RoadObject, ...]:
    """One building along each side of an arm, clear of its widest cross-section."""
    length = cs.plan.length - 2 * BUILDING_END_GAP
    if length <= 1.0:
        return ()
    ss = [cs.plan.length * k / 20 for k in range(21)]
    out = []
    for k, left in enumerate((True, False)):
        reach = max(abs(b[-1][3]) for b in (cs.borders(s, left) for s in ss) if b)
        t = reach + spec.building_setback + spec.building_depth / 2
        out.append(RoadObject(
            id=10 * cs.plan.road_id + 7 + k, type="building", name=f"building_{k}",
            s=cs.plan.length / 2, t=t if left else -t, length=length, width=spec.building_depth,
            height=spec.building_height))
    return tuple(out)


SHELTER = (6.0, 1.5, 2.7)  # length along the kerb, depth, height [m]


def _shelter(cs: CrossSection, spec: GridSpec) -> tuple[RoadObject, ...]:
    """The arm's bus shelter on the right-hand sidewalk, if it has one: in the middle of
    the sidewalk, so a pedestrian standing behind it (kerb side away) is hidden."""
    at = cs.plan.bus_shelter_m
    if at is None:
        return ()
    s = cs.plan.length - at
    if not (SHELTER[0] / 2 <= s <= cs.plan.length - SHELTER[0] / 2):
        raise ValueError(f"bus_shelter_m={at!r} m puts the shelter off arm "
                         f"{cs.plan.start_node} (length {cs.plan.length:.1f} m)")
    reach = abs(cs.borders(s, False)[-1][3])  # outer edge of the right-hand sidewalk
    t = -(reach - spec.sidewalk_width / 2)
    length, width, height = SHELTER
    return (RoadObject(id=10 * cs.plan.road_id + 9, type="obstacle", subtype="busShelter",
                       name="bus_shelter", s=s, t=t, length=length, width=width,
                       height=height),)


def _bounds(plan: GridPlan) -> tuple[float, float, float, float]:
    """north, south, east, west [m]: the outermost junction boxes."""
    north = max(n.y + n.half_y for n in plan.nodes)
    south = min(n.y - n.half_y for n in plan.nodes)
    east = max(n.x + n.half_x for n in plan.nodes)
    west = min(n.x - n.half_x for n in plan.nodes)
    return north, south, east, west


def build_grid(spec: GridSpec) -> str:
    """OpenDRIVE 1.8 text of ``spec``: deterministic, same spec -> same bytes."""
    return to_xml(build_document(spec))


def write_xodr(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + os.replace)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# -- presets ------------------------------------------------------------------------------

COLLECTOR = RoadClass("collector", (GENERAL, GENERAL))
ARTERIAL = RoadClass("arterial", (GENERAL, GENERAL, GENERAL), right_slips=True)
MEDIAN_BUS_ARTERIAL = RoadClass(
    "median_bus_arterial", (BUS, GENERAL, GENERAL), left_pockets=False, general_left_turns=False
)
LOCAL_30 = RoadClass("local_30", (GENERAL,), speed_kmh=30.0, left_pockets=False)
CURB_BUS_HOURS = "07:00-09:00,17:00-19:00"


def sangam_dmc_grid() -> GridSpec:
    """Sangam DMC-like grid: 5 x 4 nodes, 220 m x 180 m blocks, anchored on Sangam.

    Row 1 is a Worldcup-buk-ro-like arterial with a 24/7 median bus lane and two general
    lanes per direction (no general left turns at interior nodes), row 2 a 3-lane arterial
    with right-turn slip lanes and one curb bus lane with peak hours (arm (1, 2) -> E), the
    other roads 2-lane collectors; arm (2, 2) -> N is a 1+1-lane 30 km/h local road in a
    child protection zone with an unsignalised mid-block crosswalk. All others 50 km/h.
    """
    anchor = zone("sangam")
    return GridSpec(
        name="sangam_dmc",
        n_cols=5,
        n_rows=4,
        block_x=220.0,
        block_y=180.0,
        lat0=anchor.lat,
        lon0=anchor.lon,
        default_class=COLLECTOR,
        row_classes=((1, MEDIAN_BUS_ARTERIAL), (2, ARTERIAL)),
        arm_overrides=(
            ArmOverride(1, 2, "E", bus_lane_hours=CURB_BUS_HOURS),
            ArmOverride(2, 2, "N", road_class=LOCAL_30, child_zone=True, mid_crosswalk=True),
        ),
    )


def benchmark_grid(n_cols: int = 10, n_rows: int = 10, block: float = 300.0) -> GridSpec:
    """Plain grid for traffic benchmarks (~10,000 vehicles at the default size).

    Every road 3 lanes per direction with left pockets and right slip lanes, ``block`` [m]
    between node centres, 50 km/h; anchored on Sangam.
    """
    anchor = zone("sangam")
    return GridSpec(
        name=f"benchmark_{n_cols}x{n_rows}",
        n_cols=n_cols,
        n_rows=n_rows,
        block_x=block,
        block_y=block,
        lat0=anchor.lat,
        lon0=anchor.lon,
        default_class=ARTERIAL,
    )
