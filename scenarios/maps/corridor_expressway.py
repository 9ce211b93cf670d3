"""K-City expressway preset: toll plaza, tunnel and a work zone on one divided road.

Road 1 runs east along y = 0 from x = -1600 m (s = 0) to x = 1600 m, with turnaround loops
at both ends. Per direction: half of a 3 m median, three 3.6 m lanes (d1 inner .. d3
outer), a 3 m shoulder; 100 km/h, 80 km/h from s 400 to 900 m (plaza) and 2000 to 2500 m
(work zone). Lane speeds carry the lower limits; the road type speed is 100.

* Toll plaza: eastbound, from s 500 to 580 m three booth lanes (b1..b3) grow from zero
  width on the median side (cubic), run 40 m between traffic islands (s 580-620 m, six
  booth lanes per direction, solid lines), then close one by one (b1, b2, b3, 40 m each)
  by s 740 m; westbound mirrored in s. They open on the median side because NPC lane
  changes keep right, which clears them again; a closing lane is ``restricted`` and has a
  driving lane on its right, so the last NPCs in it merge out.
* Tunnel: s 1200-1700 m, ``<tunnel>`` plus ``kav:tunnel`` userData.
* Work zone (eastbound only): d3 tapers to zero over s 2100-2200 m (that stretch of d3 is
  ``restricted``: closed, traffic merges left) while a ``restricted`` lane ("work") grows
  beside it, stays closed to s 2350 m, and d3 reopens by s 2430 m.
  Cones every 10 m along the closed area's edge.
"""

from __future__ import annotations

import dataclasses

from sim.roadnet.conventions import USERDATA_TUNNEL

from .corridor import CorridorSpec, LaneDef, RoadDef, SectionDef, lane_borders
from .corridor_parts import cones, mirrored, with_loops
from .xodr import RoadObject, Tunnel, UserData

KC_X0, KC_LENGTH = -1600.0, 3200.0
W, MEDIAN_HALF, SHOULDER, BOOTH_W = 3.6, 1.5, 3.0, 3.5
PLAZA_START = 460.0  # [m] plaza sections every 40 m from here to +280 m; booths 580-620 m
BOOTHS = (580.0, 620.0)
SLOW_ZONES = ((400.0, 900.0), (2000.0, 2500.0))  # [m] 80 km/h stretches
TUNNEL = (1200.0, 1700.0)
WORK = (2100.0, 2200.0, 2350.0, 2430.0)  # [m] closing taper, closed, reopening taper end


Booth = tuple[float, float, str]  # (start width, end width) [m] along s, lane type


def _lanes(speed: float | None, booths: tuple[Booth | None, ...] = (),
           d3: tuple[float, float] | None = (W, W), work: tuple[float, float] | None = None,
           booth_mark: str = "broken", d3_type: str = "driving") -> tuple[LaneDef, ...]:
    """One side from the centre out. ``booths``: b1..b3 (None: absent here); ``d3`` /
    ``work``: (start, end) widths [m] of lane d3 and the closed area (None: absent).
    A lane that tapers out in its driving direction is ``restricted`` (closed), so NPCs
    still on it are made to merge into the driving lane beside it."""
    out = [LaneDef("med", "median", MEDIAN_HALF, mark="yellow")]
    for i, b in enumerate(booths, start=1):
        if b is not None:
            out.append(LaneDef(f"b{i}", b[2], b[0], b[1], mark=booth_mark,
                               speed_kmh=speed if b[2] == "driving" else None))
    d2_mark = "broken" if d3 is not None else "solid"
    out += [LaneDef("d1", "driving", W, mark=booth_mark if booths else "broken",
                    speed_kmh=speed),
            LaneDef("d2", "driving", W, mark=d2_mark, speed_kmh=speed)]
    if d3 is not None:
        out.append(LaneDef("d3", d3_type, d3[0], d3[1], mark="solid",
                           speed_kmh=speed if d3_type == "driving" else None))
    if work is not None:
        out.append(LaneDef("work", "restricted", work[0], work[1]))
    out.append(LaneDef("sh", "shoulder", SHOULDER))
    return tuple(out)


def _plaza(slow: float) -> tuple[SectionDef, ...]:
    """Plaza sections every 40 m from PLAZA_START. Eastbound (right lanes, +s): b1..b3 grow
    together over 80 m (two cubic halves), booths, then close one after the other from the
    median side (b1, b2, b3), each into the driving lane on its right. Westbound (left
    lanes, -s) is the same in its own driving direction, i.e. mirrored in s."""
    B, H, R, D = BOOTH_W, BOOTH_W / 2.0, "restricted", "driving"
    full = (B, B, D)
    east = (
        (),
        ((0.0, H, D),) * 3,
        ((H, B, D),) * 3,
        (full,) * 3,
        ((B, 0.0, R), full, full),
        (None, (B, 0.0, R), full),
        (None, None, (B, 0.0, R)),
    )
    west = (  # along s; westbound drives these right to left
        (None, None, (0.0, B, R)),
        (None, (0.0, B, R), full),
        ((0.0, B, R), full, full),
        (full,) * 3,
        ((B, H, D),) * 3,
        ((H, 0.0, D),) * 3,
        (),
    )
    out = []
    for k, (e, w) in enumerate(zip(east, west)):
        mark = "solid" if k == 3 else "broken"
        out.append(SectionDef(PLAZA_START + 40.0 * k, _lanes(slow, w, booth_mark=mark),
                              _lanes(slow, e, booth_mark=mark)))
    return tuple(out)


def _sections() -> tuple[SectionDef, ...]:
    slow = 80.0
    w0, w1, w2, w3 = WORK
    normal, normal80 = _lanes(None), _lanes(slow)
    return (
        mirrored(0.0, normal),
        mirrored(SLOW_ZONES[0][0], normal80),
        *_plaza(slow),
        mirrored(PLAZA_START + 280.0, normal80),
        mirrored(SLOW_ZONES[0][1], normal),
        mirrored(SLOW_ZONES[1][0], normal80),
        SectionDef(w0, normal80, _lanes(slow, d3=(W, 0.0), work=(0.0, W), d3_type="restricted")),
        SectionDef(w1, normal80, _lanes(slow, d3=None, work=(W, W))),
        SectionDef(w2, normal80, _lanes(slow, d3=(0.0, W), work=(W, 0.0))),
        mirrored(w3, normal80),
        mirrored(SLOW_ZONES[1][1], normal),
    )


def _islands(road: RoadDef) -> tuple[RoadObject, ...]:
    """Traffic islands between neighbouring booth lanes, both carriageways (ids 100+)."""
    s_mid = 0.5 * (BOOTHS[0] + BOOTHS[1])
    out = []
    for left in (True, False):
        rows = [r for r in lane_borders(road, s_mid, left) if r[1].type == "driving"]
        for _, _, _, t in rows[:-1]:
            out.append(RoadObject(
                id=100 + len(out), type="trafficIsland", name=f"toll_island_{len(out)}",
                s=s_mid, t=t, length=BOOTHS[1] - BOOTHS[0], width=0.6,
            ))
    return tuple(out)


def kcity_expressway() -> CorridorSpec:
    """K-City-like expressway, 3.2 km plus loops; see the module docstring for the layout."""
    bare = RoadDef(1, "kcity_expressway", (KC_X0, 0.0, 0.0), ((KC_LENGTH, None),), _sections(),
                   100.0, road_type="motorway")
    t0, t1 = TUNNEL
    road = dataclasses.replace(
        bare,
        objects=_islands(bare) + cones(bare, 200, WORK[0], WORK[3], "work", left=False),
        tunnels=(Tunnel(80, t0, t1 - t0, name="kcity_tunnel", lighting=1.0, daylight=0.0),),
        user_data=(UserData(USERDATA_TUNNEL, f"{t0:g} {t1:g}"),),
    )
    return with_loops("kcity_expressway", "kcity", (road,), road, road)
