"""crosswalk_compliance against hand-placed pedestrians (gangnam_grid signalised crosswalk)
and the child-zone unsignalised crosswalk of gwangju_grid."""

from __future__ import annotations

import math

import numpy as np

from sim.actors import ActorKind
from sim.metrics.rules_crosswalk import CrosswalkCompliance
from sim.traffic.signals import PED_DONT_WALK, PED_WALK
from tests.sim.metrics.test_rules_signals import (
    HALF,
    context,
    integrate,
    load,
    run,
    snapshot,
    states,
)

PED = ActorKind.PEDESTRIAN


def _setup():
    """(net, route [P, A, next], centre distance where the front enters crosswalk c, c)."""
    net = load("gangnam_grid")
    ln, cw = net.lanes, net.crosswalks
    a = 14  # (10000, 2, -3): crosswalk 0 at s 36.5 m, just past the stop line
    j = int(cw.lane_ptr[a])
    c, s0 = int(cw.lane_cw[j]), float(cw.lane_s0[j])
    p, nxt = int(ln.predecessors(a)[0]), int(ln.successors(a)[0])
    return net, [p, a, nxt], float(ln.length[p]) + s0 - HALF, c


def _axis(net, c):
    """Centroid, unit vector towards kerb end 0, half extent of the polygon along it."""
    cw = net.crosswalks
    poly = cw.polygon(c)
    centre = poly.mean(axis=0)
    u = np.array([cw.end_x[c][0], cw.end_y[c][0]]) - centre
    u /= np.hypot(*u)
    return centre, u, float(np.max((poly - centre) @ u))


def _go(ped, cw_sig=PED_DONT_WALK):
    net, route, entry, c = _setup()
    d, v = integrate(entry - 5.0, [10.0] * 20)  # the front enters the crosswalk at 0.5 s
    rep, _ = run(CrosswalkCompliance(), context(net, route),
                 states(net, route, d, v, others=[ped]), snapshot(net, cw=cw_sig))
    return rep


def test_pedestrian_crossing_or_about_to_cross():
    net, _, _, c = _setup()
    centre, u, half = _axis(net, c)
    rep = _go((PED, centre[0], centre[1], 0.0, 0.0, 7))  # standing on the crosswalk
    assert [e.kind for e in rep.events] == ["crosswalk_yield"]
    assert rep.events[0].actors == (7,) and rep.events[0].time_s == 0.5
    assert rep.values["crosswalk_yield_violations"] == 1.0
    out = centre + u * (half + 1.0)  # 1 m beyond the painted end
    toward = math.atan2(-u[1], -u[0])
    assert _go((PED, out[0], out[1], toward, 1.0, 7)).values["crosswalk_yield_violations"] == 1
    # walking away, or too slowly towards it (0.2 <= 0.3 m/s): not about to cross
    assert not _go((PED, out[0], out[1], toward + math.pi, 1.0, 7)).events
    far = centre + u * (half + 2.5)  # 2.5 m away walking towards it: beyond 2 m
    assert not _go((PED, far[0], far[1], toward, 1.0, 7)).events


def test_waiting_at_the_kerb_counts_only_on_walk():
    net, _, _, c = _setup()
    cw = net.crosswalks
    ped = (PED, float(cw.end_x[c][0]), float(cw.end_y[c][0]), 0.0, 0.0, 9)
    assert _go(ped, PED_WALK).values["crosswalk_yield_violations"] == 1.0
    assert _go(ped, PED_DONT_WALK).values["crosswalk_yield_violations"] == 0.0


def _child(stop_front: float | None):
    """gwangju_grid lane 343 into the unsignalised child-zone crosswalk 14 (s0 37.5 m);
    optionally standing one step with the front ``stop_front`` m before it."""
    net = load("gwangju_grid")
    s0 = float(net.crosswalks.lane_s0[net.crosswalks.lane_ptr[343]])
    if stop_front is None:
        d, v = integrate(10.0, [5.0] * 140)
    else:
        stop = s0 - stop_front - HALF
        d, v = integrate(stop - 5.0, [5.0] * 20)  # 1 s: 5 m, then stand
        d2, v2 = integrate(stop, [0.0] + [5.0] * 80)
        d, v = d[:-1] + d2, v[:-1] + v2
    return run(CrosswalkCompliance(), context(net, [343]), states(net, [343], d, v),
               snapshot(net))[0]


def test_child_zone_unsignalised_crosswalk_needs_a_stop():
    rep = _child(None)
    assert [e.kind for e in rep.events] == ["child_zone_no_stop"]
    assert rep.values["child_zone_stop_violations"] == 1.0
    assert _child(3.0).values["child_zone_stop_violations"] == 0.0
    assert _child(15.0).values["child_zone_stop_violations"] == 1.0  # stood too far back
