"""Corridor presets for the rural and motorway pilot zones and Cheonggyecheon, and two
proving-ground straights (arterial, motorway) for the built-in test suites.

Each function returns a frozen :class:`~scenarios.maps.corridor.CorridorSpec`; build it
with :func:`~scenarios.maps.corridor.build_corridor`. The map origin (0, 0) is the zone's
geo anchor. Divided roads end in balloon turnaround loops (``corridor_parts.turnaround``)
so roaming traffic never meets a dead end. Lengths [m], speeds [km/h].

Ids: plain roads 1..9, junction-internal roads 3 digits, junctions 4 digits (CARLA tells
roads from junctions by id, so the sets never overlap).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .corridor import CorridorSpec, JunctionDef, LaneDef, RoadDef, SectionDef
from .corridor_parts import backward_start, divided_lanes, mirrored, with_loops
from .geometry import Pose
from .xodr import RoadLinkEnd

# -- Jeju: rural divided road with gentle curves ------------------------------------------

def jeju_pyeonghwa() -> CorridorSpec:
    """Jeju Pyeonghwa-ro-like rural road: 3 km, 2 x 3.5 m lanes per direction, 80 km/h,
    2 m median, 2 m shoulders; three gentle arcs (R 700-1000 m) between straights."""
    side = divided_lanes(2, 3.5, 1.0, LaneDef("sh", "shoulder", 2.0))
    plan = ((400.0, None), (240.0, 1 / 800), (500.0, None), (400.0, -1 / 1000),
            (600.0, None), (175.0, 1 / 700), (685.0, None))
    main = RoadDef(1, "pyeonghwa_ro", (-1450.0, -60.0, 0.0), plan, (mirrored(0.0, side),),
                   80.0, road_type="rural")
    return with_loops("jeju_pyeonghwa", "jeju", (main,), main, main)


# -- Daegu: motorway with an on-ramp and an acceleration lane -----------------------------

DAEGU_W, DAEGU_MEDIAN = 3.6, 1.5
DAEGU_ACCEL, DAEGU_TAPER = 250.0, 100.0  # [m] parallel acceleration lane, then its taper


def daegu_motorway() -> CorridorSpec:
    """Daegu auto-only road (자동차전용도로): 2 x 3.6 m lanes per direction, 80 km/h, 3 m
    median, 1.8 km plus loops. At x = -100 m an on-ramp (1 lane, 60 km/h) joins the
    eastbound side through junction 1000 and becomes an acceleration lane (lane -4 of road 2)
    that runs 250 m, then tapers to zero width over 100 m (cubic width polynomial; that
    section's lane is type restricted so traffic still in it merges out)."""
    w, a = DAEGU_W, DAEGU_MEDIAN
    shoulder = LaneDef("sh", "shoulder", 2.5)
    side = divided_lanes(2, w, a, shoulder)
    up = RoadDef(1, "main_west", (-1000.0, 0.0, 0.0), ((900.0, None),), (mirrored(0.0, side),),
                 80.0, road_type="motorway", successor=RoadLinkEnd("junction", 1000))
    broken2 = LaneDef("d2", "driving", w, mark="broken")
    accel = (side[0], side[1], broken2, LaneDef("ramp", "driving", w, mark="solid"), shoulder)
    # The taper is "restricted": no one should drive there, and NPCs forced off a closed
    # lane merge left (the loader lets a restricted lane's traffic change into driving lanes).
    taper = (*accel[:3], LaneDef("ramp", "restricted", w, 0.0, mark="solid"), shoulder)
    down = RoadDef(2, "main_east", (-80.0, 0.0, 0.0), ((900.0, None),), (
        SectionDef(0.0, side, accel), SectionDef(DAEGU_ACCEL, side, taper),
        SectionDef(DAEGU_ACCEL + DAEGU_TAPER, side, side),
    ), 80.0, road_type="motorway", predecessor=RoadLinkEnd("junction", 1000))
    through = (side[1], side[2])
    east = RoadDef(101, "merge_east", (-100.0, -a, 0.0), ((20.0, None),),
                   (SectionDef(0.0, (), through),), 80.0, "motorway", 1000,
                   RoadLinkEnd("road", 1, "end"), RoadLinkEnd("road", 2, "start"))
    west = RoadDef(102, "merge_west", (-80.0, a, math.pi), ((20.0, None),),
                   (SectionDef(0.0, (), through),), 80.0, "motorway", 1000,
                   RoadLinkEnd("road", 2, "start"), RoadLinkEnd("road", 1, "end"))
    # The ramp ends 4 m right of the acceleration lane's inner border; an S of two
    # R ~ 225 m arcs over 60 m (road 103) shifts it onto that border, tangent at both ends.
    target = Pose(-80.0, -(a + 2 * w), 0.0)
    ramp_end = Pose(-140.0, target.y - 4.0, 0.0)
    fwd, lat = target.x - ramp_end.x, target.y - ramp_end.y
    alpha = 2.0 * math.atan(abs(lat) / fwd)
    k = math.copysign(2.0 * math.sin(alpha) / fwd, lat)
    ramp_lane = LaneDef("ramp", "driving", w, mark="solid", speed_kmh=None)
    connector = RoadDef(103, "merge_ramp", (ramp_end.x, ramp_end.y, 0.0),
                        ((alpha / abs(k), k), (alpha / abs(k), -k)),
                        (SectionDef(0.0, (), (ramp_lane,)),), 60.0, "motorway", 1000,
                        RoadLinkEnd("road", 3, "end"), RoadLinkEnd("road", 2, "start"))
    ramp_plan = ((150.0, None), (200.0 * 0.6, -1 / 200), (80.0, None))
    ramp = RoadDef(3, "on_ramp", backward_start(ramp_end, ramp_plan), ramp_plan,
                   (SectionDef(0.0, (LaneDef("lsh", "shoulder", 1.0),),
                               (ramp_lane, LaneDef("rsh", "shoulder", 2.0))),),
                   60.0, road_type="motorway", successor=RoadLinkEnd("junction", 1000))
    merge = JunctionDef(1000, "on_ramp_merge", ((1, 101, "start"), (2, 102, "start"),
                                               (3, 103, "start")))
    return with_loops("daegu_motorway", "daegu", (up, down, ramp, east, west, connector),
                      up, down, extra_junctions=(merge,))


# -- Cheonggyecheon: a one-way pair along the stream, closed by two bends -----------------

CGC_LENGTH, CGC_GAP = 600.0, 28.0  # [m] street length, reference-line spacing of the pair
CGC_W, CGC_WALK = 3.25, 4.0
CGC_BAY = (300.0, 360.0)  # [m] road 1 s range of the curb loading bay (plus 10 m tapers)


def _cgc_lanes(mid: str, bay: tuple[float, float] | None = None) -> tuple[LaneDef, ...]:
    """Right lanes of a one-way street: d1 (stream side), d2, curb bay or sidewalk.
    ``mid`` marks the d1/d2 line; ``bay`` (start, end) widths [m] of the loading bay."""
    d1 = LaneDef("d1", "driving", CGC_W, mark=mid)
    d2 = LaneDef("d2", "driving", CGC_W, mark="solid")
    if bay is None:
        return d1, d2, LaneDef("walk", "sidewalk", CGC_WALK)
    b0, b1 = bay
    return (d1, d2, LaneDef("bay", "parking", b0, b1),
            LaneDef("walk", "sidewalk", CGC_WALK - b0, CGC_WALK - b1))


def _street(road_id: int, name: str, start, bay: bool) -> RoadDef:
    secs = [SectionDef(0.0, (), _cgc_lanes("broken")), SectionDef(80.0, (), _cgc_lanes("solid"))]
    if bay:
        b0, b1 = CGC_BAY
        secs += [SectionDef(b0 - 10.0, (), _cgc_lanes("solid", (0.0, 2.5))),
                 SectionDef(b0, (), _cgc_lanes("solid", (2.5, 2.5))),
                 SectionDef(b1, (), _cgc_lanes("solid", (2.5, 0.0))),
                 SectionDef(b1 + 10.0, (), _cgc_lanes("solid"))]
    secs.append(SectionDef(CGC_LENGTH - 80.0, (), _cgc_lanes("broken")))
    prev, nxt = (4, 2) if road_id == 1 else (2, 4)
    return RoadDef(road_id, name, start, ((CGC_LENGTH, None),), tuple(secs), 30.0,
                   predecessor=RoadLinkEnd("road", prev, "end"),
                   successor=RoadLinkEnd("road", nxt, "start"))


def cheonggyecheon_oneway() -> CorridorSpec:
    """Cheonggyecheon-ro-like one-way pair: 600 m streets 28 m apart on either side of the
    stream (south street eastbound, north street westbound), joined by 180-degree bends
    (reference radius 14 m) into a closed loop. Two 3.25 m lanes with a solid line between
    them except the first and last 80 m, a 4 m sidewalk on the outer side, 30 km/h, and a
    60 m curb loading bay (lane type parking, 2.5 m) on the south street at s 300-360 m."""
    r = CGC_GAP / 2.0
    bend = (SectionDef(0.0, (), _cgc_lanes("broken")),)
    x0 = -CGC_LENGTH / 2.0
    south = _street(1, "cheonggyecheon_ro_south", (x0, -r, 0.0), bay=True)
    north = _street(3, "cheonggyecheon_ro_north", (-x0, r, math.pi), bay=False)
    east = RoadDef(2, "bend_east", (-x0, -r, 0.0), ((math.pi * r, 1 / r),), bend, 30.0,
                   predecessor=RoadLinkEnd("road", 1, "end"),
                   successor=RoadLinkEnd("road", 3, "start"))
    west = RoadDef(4, "bend_west", (x0, r, math.pi), ((math.pi * r, 1 / r),), bend, 30.0,
                   predecessor=RoadLinkEnd("road", 3, "end"),
                   successor=RoadLinkEnd("road", 1, "start"))
    return CorridorSpec("cheonggyecheon_oneway", "cheonggyecheon", (south, east, north, west))


# -- K-City test-track straights for the built-in NCAP and R157 suites --------------------
# Not pilot-zone maps: straight roads whose posted limit is a builder parameter, because the
# reference stack drives at the posted limit (0.5 km/h under it) and a suite needs the ego
# at each test speed. Zone "kcity": geo-referenced on K-City, KATRI's proving ground.

ARTERIAL_X0, ARTERIAL_LENGTH = -600.0, 1200.0
ARTERIAL_W, ARTERIAL_CENTRE_HALF, ARTERIAL_WALK = 3.25, 0.25, 4.0
MOTORWAY_X0, MOTORWAY_LENGTH = -1200.0, 2400.0
MOTORWAY_W, MOTORWAY_MEDIAN_HALF, MOTORWAY_SHOULDER = 3.6, 1.5, 3.0


def _limit_kmh(limit_mps: float, name: str) -> float:
    kmh = round(float(limit_mps) * 3.6, 1)
    if not 5.0 <= kmh <= 200.0:
        raise ValueError(f"{name}: limit_mps {limit_mps} is not in [5, 200] km/h")
    return kmh


def straight_arterial(limit_mps: float = 50.0 / 3.6) -> CorridorSpec:
    """Straight Korean urban arterial, 1.2 km along y = 0 (x -600..600 m) plus loops: per
    direction half of a 0.5 m yellow centre-line zone, two 3.25 m lanes (d1 inner, d2 kerb
    side), a 4 m sidewalk; no junctions or crosswalks (mid-block pedestrians only). Posted
    limit ``limit_mps`` [m/s] (default 50 km/h, rounded to 0.1 km/h) on the whole road.
    Lane centres eastbound: y = -1.875 (d1), -5.125 (d2); kerb at y = -6.75."""
    kmh = _limit_kmh(limit_mps, "straight_arterial")
    side = divided_lanes(2, ARTERIAL_W, ARTERIAL_CENTRE_HALF,
                         LaneDef("walk", "sidewalk", ARTERIAL_WALK))
    road = RoadDef(1, "test_arterial", (ARTERIAL_X0, 0.0, 0.0), ((ARTERIAL_LENGTH, None),),
                   (mirrored(0.0, side),), kmh, road_type="town")
    return with_loops("straight_arterial", "kcity", (road,), road, road)


def straight_motorway(limit_mps: float = 100.0 / 3.6) -> CorridorSpec:
    """Straight motorway, 2.4 km along y = 0 (x -1200..1200 m) plus loops: per direction
    half of a 3 m median, three 3.6 m lanes (d1 inner .. d3 outer), a 3 m shoulder. Posted
    limit ``limit_mps`` [m/s] (default 100 km/h, rounded to 0.1 km/h) on the whole road.
    Lane centres eastbound: y = -3.3 (d1), -6.9 (d2), -10.5 (d3)."""
    kmh = _limit_kmh(limit_mps, "straight_motorway")
    side = divided_lanes(3, MOTORWAY_W, MOTORWAY_MEDIAN_HALF,
                         LaneDef("sh", "shoulder", MOTORWAY_SHOULDER))
    road = RoadDef(1, "test_motorway", (MOTORWAY_X0, 0.0, 0.0), ((MOTORWAY_LENGTH, None),),
                   (mirrored(0.0, side),), kmh, road_type="motorway")
    return with_loops("straight_motorway", "kcity", (road,), road, road)


def proving_ground_presets() -> dict[str, Callable[..., CorridorSpec]]:
    """The test-track straights by name; unlike :func:`corridor_presets` they take a keyword
    parameter (``limit_mps``), which the map registry passes on."""
    return {"straight_arterial": straight_arterial, "straight_motorway": straight_motorway}


def corridor_presets() -> dict[str, Callable[[], CorridorSpec]]:
    """Every corridor preset by name (the name is also the map's header name)."""
    from .corridor_brt import sejong_brt
    from .corridor_expressway import kcity_expressway

    return {
        "cheonggyecheon_oneway": cheonggyecheon_oneway,
        "sejong_brt": sejong_brt,
        "daegu_motorway": daegu_motorway,
        "jeju_pyeonghwa": jeju_pyeonghwa,
        "kcity_expressway": kcity_expressway,
    }
