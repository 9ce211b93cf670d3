"""Motion prediction: closed-form models, lane following on the Sangam grid, kernels vs the
plain reference."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from planners.prediction import _reference as R
from planners.prediction import (
    predict,
    predict_ctrv,
    predict_cv,
    predict_lane_following,
)
from sim.roadnet.network import Turn


@pytest.fixture(scope="module")
def net():
    from scenarios.map_registry import build_map
    from sim.roadnet.loader import load_network_text

    return load_network_text(build_map("sangam_dmc_grid", {}))


def dist_to_lane(net, lane, x, y):
    """Distance [m] of each point to the lane's centreline polyline."""
    c = net.lane_xy(lane)
    a, e = c[:-1], c[1:] - c[:-1]
    p = np.stack([x, y], 1)[:, None, :]
    t = np.clip(((p - a) * e).sum(-1) / (e * e).sum(-1), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * e), axis=-1).min(1)


def on_lane(net, lane, s, d=0.0):
    """World pose at (lane, s) shifted d [m] to the left."""
    sl = net.lane_points(lane)
    k = int(np.searchsorted(net.points.s[sl], s))
    h = net.points.heading[sl][k]
    return net.points.x[sl][k] - d * np.sin(h), net.points.y[sl][k] + d * np.cos(h), h


def test_cv_and_ctrv_closed_forms():
    p = predict_cv([0.0, 5.0], [0.0, 1.0], [0.0, np.pi / 2], [10.0, 2.0], 4.5, 1.8, 0.5, 5)
    assert p.x.shape == (2, 5) and p.length.shape == (2,) and p.valid.all()
    assert np.allclose(p.x[0], [0, 5, 10, 15, 20]) and np.allclose(p.y[1], [1, 2, 3, 4, 5])
    assert np.allclose(p.t, [0, 0.5, 1, 1.5, 2])
    # a full circle at w = 0.5 rad/s takes 4 pi s: back at the start, radius v / w = 20 m
    c = predict_ctrv(0.0, 0.0, 0.0, 10.0, 0.5, 4.5, 1.8, np.pi / 10, 41)
    assert np.hypot(c.x[0, -1], c.y[0, -1]) < 1e-9
    assert np.allclose(np.hypot(c.x[0], c.y[0] - 20.0), 20.0)
    assert c.y[0, 20] == pytest.approx(40.0)  # half way round, on the far side
    # zero yaw rate is CV; a wild yaw rate is clipped
    z = predict_ctrv(1.0, 2.0, 0.3, 7.0, 0.0, 4.5, 1.8, 0.1, 20)
    v = predict_cv(1.0, 2.0, 0.3, 7.0, 4.5, 1.8, 0.1, 20)
    assert np.allclose(z.x, v.x) and np.allclose(z.y, v.y)
    w = predict_ctrv(0.0, 0.0, 0.0, 1.0, 5.0, 1, 1, 1.0, 2, max_yaw_rate=1.0)
    assert w.yaw[0, 1] == pytest.approx(1.0)
    nan = predict_cv([np.nan], [0.0], [0.0], [1.0], 1, 1, 0.1, 3)
    assert not nan.valid.any()


def test_lane_following_follows_a_curved_lane(net):
    lane = int(np.flatnonzero(net.lanes.turn == Turn.LEFT)[0])
    length = float(net.lanes.length[lane])
    x0, y0, h0 = on_lane(net, lane, 5.0, d=0.3)
    speed, dt, n_t = 8.0, 0.1, 80
    p = predict_lane_following(net, [x0], [y0], [h0], [speed], [4.5], [1.8], dt, n_t)
    assert p.lane[0] == lane and p.valid.all()
    assert np.hypot(p.x[0, 0] - x0, p.y[0, 0] - y0) < 0.05  # starts where the object is
    inside = 5.0 + speed * p.t < length - 1.0
    d = dist_to_lane(net, lane, p.x[0, inside], p.y[0, inside])
    assert d[p.t[inside] > 4.0].max() < 0.05 and d.max() < 0.31  # offset decays to 0
    turned = (p.yaw[0, inside][-1] - h0 + np.pi) % (2 * np.pi) - np.pi
    assert turned > np.radians(60)  # a left turn: a CV prediction would not turn at all
    # beyond the junction it goes on along the successor
    nxt = int(net.lanes.successors(lane)[0])
    after = 5.0 + speed * p.t > length + 1.0
    assert after.any() and dist_to_lane(net, nxt, p.x[0, after], p.y[0, after]).max() < 0.05
    # speed along the path is the object's: consecutive points 0.8 m apart (chords)
    step = np.hypot(np.diff(p.x[0]), np.diff(p.y[0]))
    assert np.allclose(step[inside[1:]], speed * dt, atol=0.03)


def test_fork_takes_the_straightest_successor(net):
    approach = 809  # a lane that splits into a left turn, a right turn and straight on
    succ = net.lanes.successors(approach)
    turns = net.lanes.turn[succ]
    assert sorted(turns.tolist()) == [Turn.STRAIGHT, Turn.LEFT, Turn.RIGHT]
    straight = int(succ[turns == Turn.STRAIGHT][0])
    x0, y0, h0 = on_lane(net, approach, net.lanes.length[approach] - 10.0)
    p = predict_lane_following(net, [x0], [y0], [h0], [10.0], [4.5], [1.8], 0.1, 30)
    mid = slice(15, 30)  # 5 to 20 m past the stop line, inside the junction
    assert dist_to_lane(net, straight, p.x[0, mid], p.y[0, mid]).max() < 0.05
    for other in succ[turns != Turn.STRAIGHT]:
        assert dist_to_lane(net, int(other), p.x[0, mid][-1:], p.y[0, mid][-1:])[0] > 1.0


def test_objects_off_the_lanes_fall_back_to_cv(net):
    lane = int(np.flatnonzero(net.lanes.turn == Turn.STRAIGHT)[0])
    x0, y0, h0 = on_lane(net, lane, 3.0)
    far_x = net.points.x.max() + 100.0
    xs, ys = [x0, x0, far_x, x0], [y0, y0, 0.0, y0]
    yaws = [h0 + np.pi, h0 + np.radians(60), 0.0, h0]  # wrong way, across, off map, reversing
    p = predict_lane_following(net, xs, ys, yaws, [5.0, 5.0, 5.0, -2.0], 4.5, 1.8, 0.2, 10)
    cv = predict_cv(xs, ys, yaws, [5.0, 5.0, 5.0, -2.0], 4.5, 1.8, 0.2, 10)
    assert (p.lane == -1).all()
    assert np.allclose(p.x, cv.x) and np.allclose(p.y, cv.y)
    ok = predict_lane_following(net, [x0], [y0], [h0 + np.radians(30)], [5.0], 4.5, 1.8, 0.2, 3)
    assert ok.lane[0] == lane  # within 45 deg still snaps


def test_predict_dispatches_on_tracks_like_objects(net):
    lane = int(np.flatnonzero(net.lanes.turn == Turn.LEFT)[0])
    x0, y0, h0 = on_lane(net, lane, 5.0)
    o = SimpleNamespace(x=np.array([x0, 0.0]), y=np.array([y0, -500.0]), yaw=np.array([h0, 0.0]),
                        speed=np.array([6.0, 3.0]), yaw_rate=np.array([0.0, 0.2]),
                        length=np.array([4.5, 0.5]), width=np.array([1.8, 0.5]))
    p = predict(o, 0.1, 30, net=net, model="ctrv")
    ctrv = predict_ctrv(0.0, -500.0, 0.0, 3.0, 0.2, 0.5, 0.5, 0.1, 30)
    assert p.lane.tolist() == [lane, -1]
    assert np.allclose(p.x[1], ctrv.x[0]) and np.allclose(p.y[1], ctrv.y[0])
    assert dist_to_lane(net, lane, p.x[0], p.y[0]).max() < 0.05
    assert np.allclose(predict(o, 0.1, 30).x, predict_cv(o.x, o.y, o.yaw, o.speed, o.length,
                                                          o.width, 0.1, 30).x)


def test_kernels_match_reference(net):
    rng = np.random.default_rng(0)
    p = net.points
    k = rng.integers(0, p.n, 150)
    x = p.x[k] + rng.normal(0, 1.5, k.size)
    y = p.y[k] + rng.normal(0, 1.5, k.size)
    yaw = p.heading[k] + rng.normal(0, 0.6, k.size)
    speed = rng.uniform(0, 15, k.size)
    args = (net, x, y, yaw, speed, 4.5, 1.8, 0.25, 40)
    a = predict_lane_following(*args)
    b = predict_lane_following(*args, kernels=R.as_kernels())
    assert np.array_equal(a.lane, b.lane) and (a.lane >= 0).sum() > 80 and (a.lane < 0).any()
    assert np.allclose(a.x, b.x, atol=1e-7) and np.allclose(a.y, b.y, atol=1e-7)
    assert np.allclose(a.yaw, b.yaw, atol=1e-9)
