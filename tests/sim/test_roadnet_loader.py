"""OpenDRIVE -> RoadNetwork: geometry in kav's frame, attributes CARLA does not expose."""

import math

import carla
import numpy as np

from sim.roadnet.network import (
    LANE_BUS_ONLY,
    LANE_SIGNALISED,
    PT_CHILD_ZONE,
    PT_LC_LEFT,
    LaneType,
    Turn,
)
from sim.roadnet.queries import lane_access_mask


def _lane(net, road, lane_id, section=0):
    ln = net.lanes
    return int(np.flatnonzero((ln.road == road) & (ln.odr_id == lane_id)
                              & (ln.section == section))[0])


def test_single_road_geometry_is_right_handed(single_road):
    net = single_road
    # road 1 starts at the origin with heading 0.5 rad; lane -1 is 1.625 m to its right
    i = _lane(net, 1, -1)
    sl = net.lane_points(i)
    x0, y0, h0 = net.points.x[sl][0], net.points.y[sl][0], net.points.heading[sl][0]
    assert math.isclose(h0, 0.5, abs_tol=1e-5)
    assert math.isclose(x0, 1.625 * math.sin(0.5), abs_tol=1e-3)
    assert math.isclose(y0, -1.625 * math.cos(0.5), abs_tol=1e-3)
    # left lanes travel the other way
    j = _lane(net, 1, 1)
    assert math.isclose(abs(net.points.heading[net.lane_points(j)][0] - 0.5), math.pi, abs_tol=1e-4)
    assert math.isclose(net.lanes.length[i], 100.0, abs_tol=0.01)


def test_single_road_attributes(single_road):
    net, ln = single_road, single_road.lanes
    m1, m2, p1 = _lane(net, 1, -1), _lane(net, 1, -2), _lane(net, 1, 1)
    assert ln.type[_lane(net, 1, -3)] == LaneType.SIDEWALK
    assert ln.right[m1] == m2 and ln.left[m2] == m1 and ln.left[m1] == -1  # no opposite lanes
    assert ln.right[m2] == -1  # the sidewalk is not a neighbour
    assert ln.flags[p1] & LANE_BUS_ONLY
    assert ln.bus_hours[ln.bus_hours_ptr[p1]:ln.bus_hours_ptr[p1 + 1]].tolist() == [
        [7 * 3600, 10 * 3600], [17 * 3600, 20 * 3600]]
    # the painted stop line (s = 45) wins over the signal position (s = 46)
    assert math.isclose(ln.stop_s[m1], 45.0, abs_tol=0.05) and ln.flags[m1] & LANE_SIGNALISED
    assert np.isnan(ln.stop_s[p1])
    assert np.allclose(net.points.speed_limit[net.lane_points(m1)], 50 / 3.6)
    zone = (net.points.flags[net.lane_points(m1)] & PT_CHILD_ZONE) > 0
    s = net.points.s[net.lane_points(m1)]
    assert zone[(s > 11) & (s < 29)].all() and not zone[(s < 9) | (s > 31)].any()
    assert net.crosswalks.n == 1 and net.crosswalks.signalised[0]
    # both driving lanes of each direction cross the crosswalk around s = 48..52
    lanes_crossing = net.crosswalks.lane_cw.size
    assert lanes_crossing == 3  # -1, -2 and +1 (the bus lane)
    assert np.all(net.crosswalks.lane_s0 > 46.5) and np.all(net.crosswalks.lane_s1 < 53.5)
    assert "lat_0=37.5772" in net.geo_reference


def test_bus_lane_open_only_outside_hours(single_road):
    p1 = _lane(single_road, 1, 1)
    assert not lane_access_mask(single_road, 0, 8 * 3600)[p1]
    assert lane_access_mask(single_road, 0, 12 * 3600)[p1]
    assert lane_access_mask(single_road, 1, 8 * 3600)[p1]  # buses always


def test_sangam_topology(sangam):
    net, ln = sangam, sangam.lanes
    drv = ln.type == LaneType.DRIVING
    assert drv.sum() > 500
    assert np.all(np.diff(ln.succ_ptr)[drv] > 0), "every driving lane must lead somewhere"
    # successor links are geometrically continuous
    for i in np.flatnonzero(drv)[::7]:
        end = net.lane_xy(int(i))[-1]
        for j in ln.successors(int(i)):
            assert np.hypot(*(net.lane_xy(int(j))[0] - end)) < 0.2
    turns = np.bincount(ln.turn[ln.junction >= 0], minlength=5)
    assert turns[Turn.STRAIGHT] and turns[Turn.LEFT] and turns[Turn.RIGHT]
    assert np.any(ln.flags & LANE_BUS_ONLY)
    assert np.any(net.points.flags & PT_CHILD_ZONE)
    assert np.any(net.points.flags & PT_LC_LEFT)
    assert net.junctions.signalised.sum() >= 6
    signalised = np.flatnonzero(ln.flags & LANE_SIGNALISED)
    assert np.all(np.isfinite(ln.stop_s[signalised]))
    assert net.crosswalks.n >= 20


def test_points_match_carla_in_kav_frame(sangam, sangam_path):
    """Spot-check samples against CARLA waypoints with y mirrored (the one frame change)."""
    cmap = carla.Map("check", sangam_path.read_text())
    net, ln = sangam, sangam.lanes
    for i in np.flatnonzero(ln.type == LaneType.DRIVING)[::50]:
        k = net.lane_points(int(i)).start + 1
        wp = cmap.get_waypoint_xodr(int(ln.road[i]), int(ln.odr_id[i]), float(net.points.road_s[k]))
        assert math.isclose(wp.transform.location.x, net.points.x[k], abs_tol=1e-3)
        assert math.isclose(-wp.transform.location.y, net.points.y[k], abs_tol=1e-3)
