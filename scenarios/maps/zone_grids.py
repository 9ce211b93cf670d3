"""Grid-shaped pilot-zone maps: the road character of each zone's urban core.

All built with :func:`scenarios.maps.grid.build_grid`; sizes are kept small (a few blocks)
so scenarios load fast, but the cross-sections, speeds and special lanes follow
shared/design/korea.md for the zone.
"""

from __future__ import annotations

from .grid import ARTERIAL, COLLECTOR, CURB_BUS_HOURS, LOCAL_30, MEDIAN_BUS_ARTERIAL
from .spec import BUS, GENERAL, ArmOverride, GridSpec, RoadClass
from .zones import zone

# Teheran-ro / Gangnam-daero: 4 general lanes a direction, right-turn slips
GANGNAM_ARTERIAL = RoadClass("gangnam_arterial", (GENERAL,) * 4, right_slips=True)
# alleys and side streets where the night robotaxi must hand over (2 lanes in total)
SIDE_STREET = RoadClass("side_street", (GENERAL,), speed_kmh=30.0, left_pockets=False)
# Osong station forecourt road: an all-day curb bus lane (blue double line)
CURB_BUS_ALL_DAY = RoadClass("curb_bus_all_day", (GENERAL, GENERAL, BUS), left_pockets=True)


def _grid(name: str, zone_key: str, **kw) -> GridSpec:
    anchor = zone(zone_key)
    return GridSpec(name=name, lat0=anchor.lat, lon0=anchor.lon, **kw)


def gangnam_grid() -> GridSpec:
    """3 x 3 nodes: row 1 and column 1 are 8-lane Gangnam arterials, the edges 4-lane
    collectors, and arm (1, 1) -> N narrows to a 2-lane 30 km/h side street (the edge of
    the night robotaxi's >= 4-lane ODD)."""
    return _grid("gangnam", "gangnam", n_cols=3, n_rows=3, block_x=260.0, block_y=230.0,
                 default_class=COLLECTOR, row_classes=((1, GANGNAM_ARTERIAL),),
                 col_classes=((1, GANGNAM_ARTERIAL),),
                 arm_overrides=(ArmOverride(1, 1, "N", road_class=SIDE_STREET),))


def seoul_median_bus_grid() -> GridSpec:
    """4 x 2 nodes along a Seoul median-bus-lane corridor (24/7 bus lane in the median, no
    general left turns), 300 m blocks, collector cross streets."""
    return _grid("seoul_median_bus", "seoul_median_bus", n_cols=4, n_rows=2, block_x=300.0,
                 block_y=220.0, default_class=COLLECTOR,
                 row_classes=((0, MEDIAN_BUS_ARTERIAL),))


PANGYO_SHELTER_M = 9.0  # [m] before the arm's end, i.e. just before the crosswalk


def pangyo_grid() -> GridSpec:
    """3 x 3 nodes of a tech-campus street grid: 2-lane collectors, 3-lane arterial in the
    middle row, V2X-equipped signals at every junction; a bus shelter on the arterial's
    eastbound sidewalk just before junction (1, 1) (the occluded-pedestrian case)."""
    return _grid("pangyo", "pangyo", n_cols=3, n_rows=3, block_x=200.0, block_y=180.0,
                 default_class=COLLECTOR, row_classes=((1, ARTERIAL),),
                 arm_overrides=(ArmOverride(0, 1, "E", bus_shelter_m=PANGYO_SHELTER_M),))


def gwangju_grid() -> GridSpec:
    """3 x 3 nodes of Gwangju arterials (3 lanes a direction, 50 km/h under 5030); arm
    (1, 1) -> N is a 1+1-lane 30 km/h residential street in a child protection zone with an
    unsignalised mid-block crosswalk (school zone)."""
    return _grid("gwangju", "gwangju", n_cols=3, n_rows=3, block_x=240.0, block_y=200.0,
                 default_class=ARTERIAL,
                 arm_overrides=(ArmOverride(1, 1, "N", road_class=LOCAL_30, child_zone=True,
                                            mid_crosswalk=True),))


def osong_grid() -> GridSpec:
    """3 x 2 nodes at Osong KTX station: the forecourt row has an all-day curb bus lane on
    arm (0, 0) -> E and a peak-hours curb bus lane on arm (1, 0) -> E."""
    return _grid("osong", "osong", n_cols=3, n_rows=2, block_x=260.0, block_y=200.0,
                 default_class=COLLECTOR,
                 arm_overrides=(ArmOverride(0, 0, "E", road_class=CURB_BUS_ALL_DAY),
                                ArmOverride(1, 0, "E", road_class=ARTERIAL,
                                            bus_lane_hours=CURB_BUS_HOURS)))
