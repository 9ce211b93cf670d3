"""Road-network kernels against their plain-Python references."""

import numpy as np
import pytest

from sim.roadnet import _kernels as K
from sim.roadnet import _reference as R
from sim.roadnet.queries import RouteError, lane_change_ok, locate, pose_at, route, route_lanes


def test_locate_matches_reference_single_road(single_road):
    net = single_road
    rng = np.random.default_rng(0)
    along, side = rng.uniform(-5, 105, 300), rng.uniform(-20, 20, 300)
    qx = along * np.cos(0.5) - side * np.sin(0.5)  # around the road (heading 0.5 rad)
    qy = along * np.sin(0.5) + side * np.cos(0.5)
    ok = np.ones(net.lanes.n, bool)
    got = locate(net, qx, qy, max_dist=15.0, lane_ok=ok)
    ref = R.locate_points_ref(qx, qy, 15.0, ok, net.points.x, net.points.y, net.points.s,
                              net.points.lane)
    assert np.array_equal(got.lane, ref[0])
    hit = got.lane >= 0
    assert hit.sum() > 100
    assert np.allclose(got.s[hit], ref[1][hit], atol=1e-9)
    assert np.allclose(got.d[hit], ref[2][hit], atol=1e-9)


def test_locate_matches_reference_sangam(sangam):
    net = sangam
    rng = np.random.default_rng(1)
    qx = rng.uniform(net.points.x.min(), net.points.x.max(), 40)
    qy = rng.uniform(net.points.y.min(), net.points.y.max(), 40)
    ok = net.lanes.type == 1
    got = locate(net, qx, qy, max_dist=60.0, lane_ok=ok)
    ref = R.locate_points_ref(qx, qy, 60.0, ok, net.points.x, net.points.y, net.points.s,
                              net.points.lane)
    assert np.array_equal(got.lane, ref[0])
    assert np.allclose(got.dist, ref[3])


def test_locate_on_centreline_and_offset(sangam):
    net = sangam
    lane = int(np.flatnonzero(net.lanes.type == 1)[10])
    x, y, h = pose_at(net, [lane], [net.lanes.length[lane] / 2])
    nx, ny = -np.sin(h[0]), np.cos(h[0])
    loc = locate(net, x[0] + 0.4 * nx, y[0] + 0.4 * ny, lane_ok=net.lanes.type == 1)
    assert loc.lane[0] == lane
    assert abs(loc.d[0] - 0.4) < 1e-6  # left of the lane is positive


def test_pose_matches_reference(sangam):
    net = sangam
    rng = np.random.default_rng(2)
    lanes = rng.integers(0, net.lanes.n, 200).astype(np.int32)
    s = rng.uniform(-1, 1.1, 200) * net.lanes.length[lanes]
    got = pose_at(net, lanes, s)
    ref = R.pose_on_lanes_ref(lanes, s, net.lanes.pt_ptr, net.points.s, net.points.x,
                              net.points.y)
    for a, b in zip(got, ref):
        assert np.allclose(a, b, atol=1e-9)


def test_shortest_path_matches_reference(sangam):
    net, ln = sangam, sangam.lanes
    lc_l, lc_r = lane_change_ok(net)
    allowed = ln.type == 1
    drv = np.flatnonzero(allowed)
    rng = np.random.default_rng(3)
    prev = np.empty(2 * ln.n, np.int32)
    cost = np.empty(2 * ln.n)
    found = 0
    for _ in range(25):
        a, b = (int(v) for v in rng.choice(drv, 2))
        sa = float(rng.uniform(0, ln.length[a]))
        node = K.shortest_lane_path(a, sa, b, False, ln.length, ln.succ_ptr, ln.succ, ln.left,
                                    ln.right, lc_l, lc_r, allowed, 30.0, prev, cost)
        rnode, rprev, rcost = R.shortest_lane_path_ref(a, sa, b, False, ln.length, ln.succ_ptr,
                                                       ln.succ, ln.left, ln.right, lc_l, lc_r,
                                                       allowed, 30.0)
        assert node == rnode
        if node >= 0:
            found += 1
            assert cost[node] == pytest.approx(rcost[node], abs=1e-9)
            assert np.array_equal(prev, rprev)
    assert found >= 20


def test_route_between_points_is_connected(sangam):
    net, ln = sangam, sangam.lanes
    r = route(net, (30.0, 176.0), (850.0, 364.0))
    assert r.length > 800
    for k in range(1, len(r.lanes)):
        a, b = int(r.lanes[k - 1]), int(r.lanes[k])
        if r.lane_change[k]:
            assert b in (ln.left[a], ln.right[a])
        else:
            assert b in ln.successors(a)


def test_route_errors(single_road):
    with pytest.raises(RouteError, match="more than 10.0 m from any lane"):
        route(single_road, (500.0, 500.0), (10.0, -5.0))
    lane = int(np.flatnonzero(single_road.lanes.odr_id == -1)[0])
    with pytest.raises(RouteError, match="no route"):
        route_lanes(single_road, lane, 50.0, lane, 10.0)  # behind us on a dead-end road
    assert route_lanes(single_road, lane, 10.0, lane, 50.0).length == pytest.approx(40.0)
