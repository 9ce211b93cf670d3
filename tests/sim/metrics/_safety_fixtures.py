"""Synthetic world states and a metric driver shared by the safety-metric tests."""

from __future__ import annotations

import functools

import numpy as np

from sim.engines.base import SignalSnapshot
from sim.metrics.base import MetricReport, RunContext, StepInput
from sim.state import empty_state

DT_US = 50_000
DT = DT_US / 1e6
CAR_L, CAR_W = 4.9, 1.86


@functools.cache
def net(name: str = "gangnam_grid"):
    from scenarios.map_registry import build_map
    from sim.roadnet.loader import load_network_text

    return load_network_text(build_map(name), source=name)


def context(network=None, dt_us: int = DT_US, route_xy=None, route_lanes=(), **kw) -> RunContext:
    route_xy = np.zeros((2, 2)) if route_xy is None else np.asarray(route_xy, float)
    length = float(np.hypot(*np.diff(route_xy, axis=0).T).sum())
    return RunContext(network=network if network is not None else net(), ego_row=0,
                      dt_us=dt_us, clock_start_s=0.0, duration_s=60.0,
                      route_lanes=np.asarray(route_lanes, np.int32), route_xy=route_xy,
                      route_length_m=length, goal_xy=tuple(route_xy[-1]), **kw)


def actor(kind=0, x=0.0, y=0.0, yaw=0.0, speed=0.0, length=CAR_L, width=CAR_W, lane=-1,
          s=0.0, d=0.0, accel=0.0, yaw_rate=0.0, valid=True) -> dict:
    return dict(kind=kind, x=x, y=y, yaw=yaw, speed=speed, length=length, width=width,
                lane=lane, s=s, d=d, accel=accel, yaw_rate=yaw_rate, valid=valid)


def state(k: int, actors: list[dict], dt_us: int = DT_US):
    """World state number k (time k * dt) holding ``actors`` in rows 0, 1, ..."""
    n = len(actors)
    st = empty_state(n, time_us=k * dt_us)

    def col(name, dtype=float):
        return np.array([a[name] for a in actors], dtype)

    return st.replace(valid=col("valid", bool), kind=col("kind", np.int8),
                      actor_id=np.arange(100, 100 + n, dtype=np.int32), x=col("x"), y=col("y"),
                      yaw=col("yaw"), speed=col("speed"), length=col("length"),
                      width=col("width"), lane=col("lane", np.int32), s=col("s"), d=col("d"),
                      accel=col("accel"), yaw_rate=col("yaw_rate"))


def run(metric, ctx: RunContext, states, contacts=None) -> tuple[MetricReport, list]:
    """Run a metric over the states; contacts: {k: ((a, b), ...)} new contacts at step k."""
    sig = SignalSnapshot(0, np.zeros(ctx.network.lanes.n, np.int8),
                         np.zeros(ctx.network.crosswalks.n, np.int8))
    metric.start(ctx, states[0])
    stepped = []
    for k in range(1, len(states)):
        stepped += metric.update(StepInput(k, states[k - 1], states[k], sig,
                                           tuple((contacts or {}).get(k, ()))))
    return metric.finish(states[-1]), stepped
