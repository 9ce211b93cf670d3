"""How kav reads (and its map builders write) Korean road features in OpenDRIVE.

OpenDRIVE 1.8 covers most of what a Korean urban road needs; where it has no element
(bus-lane hours, child protection zones) kav adds ``<userData>`` records with the codes
below. Everything here is plain, schema-valid OpenDRIVE, so the same file loads in CARLA,
esmini or any other tool, which simply ignore our ``userData``.

Coordinate frame (stated once for the whole project)
----------------------------------------------------
kav works in the OpenDRIVE inertial frame: right-handed, x east, y north, z up, yaw
counter-clockwise from +x, in radians. CARLA's world frame is left-handed (its y is
OpenDRIVE's -y and its yaw, in degrees, turns the other way). Every conversion happens in
:mod:`sim.roadnet.frame`; nothing else in kav may touch a ``carla.Location`` directly.

Encodings
---------
Lane types
    ``driving``, ``sidewalk``, ``shoulder``, ``biking``, ``parking``, ``median``,
    ``border``, ``restricted``. A bus-only lane is a ``driving`` lane carrying
    ``<access sOffset=".." rule="allow" restriction="bus"/>`` (CARLA has no bus lane type).
Bus-lane hours
    ``<userData code="kav:busLaneHours" value="07:00-10:00,17:00-20:00"/>`` inside the
    ``<lane>``. Absent on a bus-only lane: the restriction holds all day (Seoul median bus
    lanes, blue double line).
Lane-change permission
    From the ``laneChange`` attribute of each ``<roadMark>`` (``both``, ``increase``,
    ``decrease``, ``none``), which is what CARLA exposes as ``Waypoint.lane_change``.
    Builders must set it: solid lines ``none``, broken lines ``both``.
Speed limits
    ``<lane><speed sOffset=".." max=".." unit="km/h"/>`` wins over the road's
    ``<type><speed/></type>``; with neither, :data:`DEFAULT_SPEED_LIMIT_KMH` (5030 rule).
Child protection zone (어린이보호구역)
    ``<userData code="kav:childProtectionZone" value="S_START S_END SIDEWALK"/>`` inside the
    ``<road>``: road s range [m] and ``1``/``0`` for whether the road has a sidewalk there
    (20 km/h applies without one). The builder also writes the lower lane speed limit.
Bus stops
    ``<userData code="kav:busStop" value="S_START S_END LANE_ID"/>`` inside the ``<road>``,
    one record per docking position: a bus serving the stop stands on lane ``LANE_ID`` of
    that road within road s [``S_START``, ``S_END``] [m], its front bumper at the downstream
    end (``S_END`` for a right lane, negative id, which travels +s; ``S_START`` for a left
    lane). The platform itself is an ordinary ``sidewalk`` lane beside the bus lane.
Tunnels
    The standard ``<objects><tunnel s=".." length=".."/>`` element, repeated for readers that
    skip ``<objects>`` as ``<userData code="kav:tunnel" value="S_START S_END"/>`` inside the
    ``<road>`` (road s range [m]; the whole cross-section).
Work zones
    A closed lane tapers to zero width (cubic ``<width>``), the closed area beside it is a
    ``restricted`` lane, and cones are ``<object type="obstacle" subtype="trafficCone">``.
Stop lines
    ``<object type="roadMark" subtype="stopLine" s=".." t=".." width=".." length=".."
    orientation="+|-"/>`` on the approach road. ``+`` applies to lanes travelling in
    +s (right lanes, negative ids), ``-`` to left lanes. It covers the lanes whose centre
    lies within ``t ± width/2``.
Crosswalks
    ``<object type="crosswalk">`` with an ``<outline>`` of ``cornerLocal`` points: the four
    corners and the first repeated, because CARLA's ``Map.get_crosswalks()`` returns all
    outlines as one flat list and a repeated first point is how it closes a polygon. The
    painted area spans the carriageway; pedestrians wait on the pavement beyond its ends.
    Positions follow the standard ((s, t) from the reference line; CARLA 0.9.16 wrongly
    adds ``<laneOffset>``).
Traffic signals
    One vehicle signal head per signalised approach: ``<signal dynamic="yes"
    country="OpenDRIVE" type="1000001">`` at the stop line's s, with ``<validity>`` naming
    the approach lanes. Optional pedestrian heads use type ``1000002``. Phasing is not
    stored in OpenDRIVE (it only groups heads into controllers); kav derives the Korean
    phase plan from junction geometry (see ``sim.traffic.signals``). A head whose approach
    lanes lead to no junction controls a mid-block crosswalk: its stop line is followed by a
    lane-section boundary and the crosswalk, so the lanes just past the line carry the
    vehicle signal state.
Geo-reference
    ``<geoReference>`` holds a transverse-Mercator PROJ string centred on the pilot-zone
    anchor (``+proj=tmerc +lat_0=.. +lon_0=..``), which CARLA uses for
    ``transform_to_geolocation``.
"""

from __future__ import annotations

XODR_REV_MAJOR = 1
XODR_REV_MINOR = 8

USERDATA_BUS_LANE_HOURS = "kav:busLaneHours"
USERDATA_CHILD_ZONE = "kav:childProtectionZone"
USERDATA_BUS_STOP = "kav:busStop"
USERDATA_TUNNEL = "kav:tunnel"

OBJECT_TYPE_STOP_LINE = "roadMark"
OBJECT_SUBTYPE_STOP_LINE = "stopLine"
OBJECT_TYPE_CROSSWALK = "crosswalk"

SIGNAL_TYPE_VEHICLE = "1000001"
SIGNAL_TYPE_PEDESTRIAN = "1000002"

ACCESS_RESTRICTION_BUS = "bus"

# Korea's "Safe Speed 5030": 50 km/h on urban roads unless signed otherwise.
DEFAULT_SPEED_LIMIT_KMH = 50.0
CHILD_ZONE_SPEED_KMH = 30.0
CHILD_ZONE_NO_SIDEWALK_SPEED_KMH = 20.0


def parse_hours(value: str) -> tuple[tuple[int, int], ...]:
    """Parse ``"07:00-10:00,17:00-20:00"`` into ((start_s, end_s), ...) seconds of day.

    An interval may wrap midnight (``"23:00-05:00"``). Raises ValueError naming the bad part.
    """
    out = []
    for part in value.split(","):
        part = part.strip()
        try:
            start, end = part.split("-")
            out.append((_clock_seconds(start), _clock_seconds(end)))
        except ValueError as exc:
            raise ValueError(f"bad hours interval {part!r} (want HH:MM-HH:MM): {exc}") from None
    return tuple(out)


def _clock_seconds(text: str) -> int:
    hh, mm = text.strip().split(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m != 0):
        raise ValueError(f"{text!r} is not a clock time")
    return h * 3600 + m * 60


def parse_bus_stop(value: str) -> tuple[float, float, int]:
    """Parse a ``kav:busStop`` value ``"S_START S_END LANE_ID"`` -> (s0 [m], s1 [m], lane id).

    Raises ValueError unless s1 > s0 and the lane id is a non-zero integer.
    """
    try:
        s0, s1, lane = value.split()
        out = (float(s0), float(s1), int(lane))
    except ValueError:
        raise ValueError(f"{value!r} is not 'S_START S_END LANE_ID'") from None
    if not out[1] > out[0] or out[2] == 0:
        raise ValueError(f"{value!r}: want S_END > S_START and a non-zero lane id")
    return out
