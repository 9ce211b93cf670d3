"""Procedural multi-lane roundabout maps: ``build_roundabout(spec) -> xodr text`` and a preset.

The ring is modelled the OpenDRIVE way: one junction per arm (circulating lanes straight
through, entries from the arm, exits onto it) joined by ring road segments, so every
circulating lane is an ordinary lane of an arc road between junctions. Right-hand traffic
circulates counter-clockwise; entries feed the outer circulating lanes lane by lane and
exits leave from them; no signals (entering traffic yields, see ``sim.traffic.model``).
The arms are straight divided roads with sidewalks and an unsignalised crosswalk a car
length back from the ring; at their far ends a balloon loop turns traffic back into the
same arm (or the arm dead-ends), so NPC traffic keeps roaming. The same spec always gives
byte-identical text.
"""

from __future__ import annotations

import math

from .roundabout_roads import arm_road, ring_junction, segment_road, turnaround
from .roundabout_spec import FAR_DEAD_END, FAR_TURNAROUND, RoundaboutSpec
from .xml_writer import to_xml
from .xodr import Header, Junction, OpenDrive, Road
from .zones import proj_string, zone

__all__ = [
    "FAR_DEAD_END",
    "FAR_TURNAROUND",
    "RoundaboutSpec",
    "build_roundabout",
    "build_roundabout_document",
    "jeju_airport_roundabout",
]


def build_roundabout_document(spec: RoundaboutSpec) -> OpenDrive:
    """The typed OpenDRIVE model of ``spec`` (ValueError naming a bad field)."""
    spec.validate()
    lay = spec.layout()
    n = spec.n_arms
    roads: list[Road] = [arm_road(spec, lay, k) for k in range(n)]
    roads += [segment_road(spec, lay, k) for k in range(n)]
    junctions: list[Junction] = []
    for k in range(n):
        junction, connecting = ring_junction(spec, lay, k)
        junctions.append(junction)
        roads += connecting
    if spec.far_ends == FAR_TURNAROUND:
        for k in range(n):
            junction, connecting = turnaround(spec, lay, k)
            junctions.append(junction)
            roads += connecting
    header = Header(name=spec.name, date=spec.date,
                    geo_reference=proj_string(spec.lat0, spec.lon0), bounds=_bounds(roads))
    return OpenDrive(header, tuple(roads), (), tuple(junctions))


def build_roundabout(spec: RoundaboutSpec) -> str:
    """OpenDRIVE 1.8 text of ``spec``: deterministic, same spec -> same bytes."""
    return to_xml(build_roundabout_document(spec))


def _bounds(roads: list[Road]) -> tuple[float, float, float, float]:
    """north, south, east, west [m]: reference lines sampled every ~5 m, padded by the
    widest half cross-section (so lanes and pavements lie inside)."""
    xs, ys, pad = [], [], 0.0
    for road in roads:
        sec = road.sections[0]
        pad = max(pad, sum(ln.widths[0][1].a for ln in sec.left + sec.right if ln.widths))
        for g in road.geometry:
            steps = max(1, math.ceil(g.length / 5.0))
            for q in range(steps + 1):
                ds = g.length * q / steps
                if g.curvature is None:
                    x, y = g.x + ds * math.cos(g.hdg), g.y + ds * math.sin(g.hdg)
                else:
                    k, h = g.curvature, g.hdg + g.curvature * ds
                    x = g.x + (math.sin(h) - math.sin(g.hdg)) / k
                    y = g.y - (math.cos(h) - math.cos(g.hdg)) / k
                xs.append(x)
                ys.append(y)
    return max(ys) + pad, min(ys) - pad, max(xs) + pad, min(xs) - pad


def jeju_airport_roundabout() -> RoundaboutSpec:
    """Two-lane roundabout by Jeju International Airport, anchored on the Jeju zone.

    Inscribed radius 32 m (central island 25 m), four divided 2+2 arms of 230 m at 50 km/h
    (E toward the city, N toward the terminal, W, S), 30 km/h on the ring and the curb.
    The terminal (N) arm has an outbound curb drop-off lane from the ring to its far end.
    Entries yield to circulating traffic (no signals); crosswalks 5 m back from the ring.
    The arms' far ends turn back into the arms (balloon loops), so traffic keeps roaming.
    """
    anchor = zone("jeju")
    return RoundaboutSpec(
        name="jeju_airport_roundabout",
        lat0=anchor.lat,
        lon0=anchor.lon,
        arm_angles_deg=(0.0, 90.0, 180.0, 270.0),
        arm_names=("city", "terminal", "west", "south"),
        circulating_lanes=2,
        inscribed_radius=32.0,
        arm_lanes=2,
        arm_length=230.0,
        arm_speed_kmh=50.0,
        ring_speed_kmh=30.0,
        curb_arm=1,
    )
