"""Sejong BRT corridor preset: median bus lanes, an island platform, a signalised crossing.

Road 1 runs east along y = 0 from x = -700 m (s = 0) to x = 700 m, with turnaround loops at
both ends. Per direction from the centre line out: half of a 2 m median, the BRT lane
(3.5 m, bus only all day, blue double line), two 3.25 m general lanes, a 4.5 m sidewalk.
At the station the median lanes widen (cubic tapers) into a 6 m island platform (lane type
sidewalk) between the two BRT lanes while the sidewalks narrow, so the kerb line stays
straight. Just east of it a signalised mid-block crosswalk spans the road; lane sections
break at its edges so the lanes just past each stop line carry the signal state.
"""

from __future__ import annotations

import dataclasses

from sim.roadnet.conventions import USERDATA_BUS_STOP

from .corridor import CorridorSpec, LaneDef, RoadDef
from .corridor_parts import crosswalk, mirrored, signal_head, stop_line, with_loops
from .xodr import Controller, UserData

BRT_X0, BRT_LENGTH = -700.0, 1400.0  # [m] road 1 start x and length
BRT_SPEED = 50.0
MEDIAN_HALF, PLATFORM_HALF = 1.0, 3.0  # [m] median / platform width per side of the centre
WALK, WALK_AT_STATION = 4.5, 2.5
STATION = (600.0, 640.0)  # [m] platform s range (full width), 20 m tapers either side
TAPER = 20.0
CROSSWALK_S, CROSSWALK_W, STOP_GAP = 670.0, 4.0, 2.0  # [m]
DOCK = (605.0, 635.0)  # [m] where a bus stands along the platform
CONTROLLER_ID = 50


def _side(med: LaneDef, walk: LaneDef) -> tuple[LaneDef, ...]:
    return (
        med,
        LaneDef("bus", "driving", 3.5, mark="bus", bus=True),
        LaneDef("g1", "driving", 3.25, mark="broken"),
        LaneDef("g2", "driving", 3.25, mark="solid"),
        walk,
    )


def _median(width: float, width_end: float | None = None, kind: str = "median") -> LaneDef:
    return LaneDef("med", kind, width, width_end, mark="yellow")


def sejong_brt() -> CorridorSpec:
    """Sejong BRT-like corridor, 1.4 km plus loops, 50 km/h; platform at s 600-640 m
    (x -100..-60 m), crosswalk at s 670 m (x -30 m) with vehicle signal heads 4 m either side
    at the stop lines, and ``kav:busStop`` docking records s 605-635 m on lanes -2 / +2."""
    s0, s1 = STATION
    normal = _side(_median(MEDIAN_HALF), LaneDef("walk", "sidewalk", WALK))
    cw0, cw1 = CROSSWALK_S - CROSSWALK_W / 2.0, CROSSWALK_S + CROSSWALK_W / 2.0
    sections = (
        mirrored(0.0, normal),
        mirrored(s0 - TAPER, _side(_median(MEDIAN_HALF, PLATFORM_HALF),
                                   LaneDef("walk", "sidewalk", WALK, WALK_AT_STATION))),
        mirrored(s0, _side(_median(PLATFORM_HALF, kind="sidewalk"),
                           LaneDef("walk", "sidewalk", WALK_AT_STATION))),
        mirrored(s1, _side(_median(PLATFORM_HALF, MEDIAN_HALF),
                           LaneDef("walk", "sidewalk", WALK_AT_STATION, WALK))),
        mirrored(s1 + TAPER, normal),
        mirrored(cw0, normal),  # the crosswalk's own section: past both stop lines
        mirrored(cw1, normal),
    )
    bare = RoadDef(1, "brt_corridor", (BRT_X0, 0.0, 0.0), ((BRT_LENGTH, None),), sections,
                   BRT_SPEED, road_type="town")
    east_line, west_line = cw0 - STOP_GAP, cw1 + STOP_GAP
    objects = (
        crosswalk(bare, 70, CROSSWALK_S, CROSSWALK_W),
        stop_line(bare, 71, east_line, left=False),
        stop_line(bare, 72, west_line, left=True),
    )
    signals = (signal_head(bare, 61, east_line, left=False),
               signal_head(bare, 62, west_line, left=True))
    docks = (UserData(USERDATA_BUS_STOP, f"{DOCK[0]:g} {DOCK[1]:g} -2"),
             UserData(USERDATA_BUS_STOP, f"{DOCK[0]:g} {DOCK[1]:g} 2"))
    road = dataclasses.replace(bare, objects=objects, signals=signals, user_data=docks)
    controller = Controller(CONTROLLER_ID, "brt_station_crossing", (61, 62))
    return with_loops("sejong_brt", "sejong", (road,), road, road, controllers=(controller,))
