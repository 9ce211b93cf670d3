"""``kav-ref``: kav's reference driving stack, one replaceable stage after another.

sense (object-list sensor or lidar clustering) -> track (Kalman filter bank, fused with
objects reported over V2X) -> predict (lane following for vehicles, constant velocity for
the rest) -> behave (Korean rules -> constraints on the corridor) -> plan (Frenet lattice)
-> control (pure pursuit + speed PID). The lattice replans every ``replan_period_us``;
control runs every step on the latest plan. An automaker replaces a stage by subclassing
and overriding its method (``perceive``, ``predict``, ``behave``, ``plan_motion``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from planners.base import (
    Plan,
    Planner,
    PlannerInit,
    PlannerInput,
    SensorRequest,
    Trajectory,
)
from planners.behaviour.corridor import Corridor, build_corridor
from planners.behaviour.geometry import project_polyline
from planners.behaviour.layer import BehaviourLayer
from planners.behaviour.types import BehaviourConfig, EgoView, Perceived
from planners.control import ControlConfig, TrajectoryTracker
from planners.lattice.frenet import reference_path, to_frenet
from planners.lattice.planner import (
    Constraints,
    FrenetState,
    LatticeConfig,
    LatticePlanner,
    Obstacles,
)
from planners.lattice.time_gap import with_time_gap
from planners.perception.clustering import ClusterConfig, cluster_points
from planners.perception.fusion import ExternalObjects, fuse
from planners.perception.tracking import Measurements, TrackerBank, TrackerConfig
from planners.prediction.motion import brake_along, predict_cv, predict_lane_following
from sim.actors import ActorKind
from sim.sensors.lidar import LidarConfig
from sim.sensors.objects import ObjectSensorConfig

STITCH_D_M = 0.5  # [m] plan-to-position deviation up to which re-plans start from the plan
RECOVERY_BAND_M = 1.0  # [m] the lateral band grows by this when nothing fits it
#: a surround camera + radar suite as the stack assumes by default: 120 m all round,
#: 0.15 m / 0.3 m/s / 1 deg noise, 2 % missed detections per cycle (the tracker bridges them)
DEFAULT_OBJECT_SENSOR = ObjectSensorConfig(range_m=120.0, pos_sigma_m=0.15, vel_sigma_mps=0.3,
                                           yaw_sigma_rad=0.0175, dropout=0.02)
ACCEL_WINDOW_US = 500_000  # [us] speed history an acceleration estimate spans
BRAKING = 0.5  # [m/s^2] decelerations above this are predicted
LANE_CHANGE_RATE = 0.4  # [m/s] lateral speed across its lane that marks a lane change
_EXTERNAL_FIELDS = ("x", "y", "yaw", "speed", "length", "width", "kind", "age_us", "pos_sigma",
                    "source")


@dataclass(frozen=True)
class ReferenceStackConfig:
    """perception: "objects" (object-list sensor), "lidar" (clustered point cloud) or
    "ground_truth" (every other actor exactly, for debugging a planner in isolation);
    replan_period_us [us]: lattice re-plans this often, control runs every step;
    time_gap_s / time_gap_from_s [s]: the gap plans keep to predicted obstacles."""

    perception: str = "objects"
    replan_period_us: int = 100_000
    #: plans keep this time gap [s] to every predicted obstacle (where it was time_gap_s
    #: earlier), tested from time_gap_from_s [s] into the plan on
    time_gap_s: float = 1.0
    time_gap_from_s: float = 1.5
    lattice: LatticeConfig = field(default_factory=LatticeConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    control: ControlConfig = field(default_factory=ControlConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    objects: ObjectSensorConfig = field(default_factory=lambda: DEFAULT_OBJECT_SENSOR)
    lidar: LidarConfig = field(default_factory=LidarConfig)
    clustering: ClusterConfig = field(default_factory=ClusterConfig)

    def __post_init__(self) -> None:
        if self.perception not in ("objects", "lidar", "ground_truth"):
            raise ValueError(f"ReferenceStackConfig.perception: {self.perception!r}; expected "
                             f"'objects', 'lidar' or 'ground_truth'")
        if self.replan_period_us <= 0:
            raise ValueError("ReferenceStackConfig.replan_period_us must be > 0")
        if not (self.time_gap_s >= 0.0 and self.time_gap_from_s >= 0.0):
            raise ValueError("ReferenceStackConfig.time_gap_s and time_gap_from_s must be "
                             ">= 0 [s]")


class ReferenceStack(Planner):
    """The full perception-to-control stack (see the module docstring)."""

    name = "kav-ref"
    warm_up_call = True  # compiles its Numba kernels outside the timed loop

    def __init__(self, config: ReferenceStackConfig | None = None) -> None:
        super().__init__()
        self.cfg = config or ReferenceStackConfig()
        c = self.cfg
        self.sensors = SensorRequest(
            objects=c.objects if c.perception == "objects" else None,
            lidar=c.lidar if c.perception == "lidar" else None)

    # -- contract ------------------------------------------------------------------------
    def initialize(self, init: PlannerInit) -> None:
        self.init = init
        v = init.vehicle
        self.behaviour = BehaviourLayer(init.network, self.cfg.behaviour,
                                        dict(init.rules.uturn_plates),
                                        init.rules.bus_lane_exempt, init.clock_start_s)
        self.lattice: LatticePlanner | None = None  # sized to the ego's box on first use
        self.tracker = TrackerBank(self.cfg.tracker)
        self._speed_hist: dict[int, list[tuple[int, float]]] = {}
        self.control_loop = TrajectoryTracker(self.cfg.control, v.wheelbase, v.max_steer,
                                              v.max_accel, v.max_decel)
        self.trajectory: Trajectory | None = None
        self._traj_a: np.ndarray | None = None
        self.last_plan_us: int | None = None
        self.changing_to = -1
        self.last_decision = None
        self.last_result = None  # the latest LatticeResult (for inspection and stitching)

    def compute_plan(self, inp: PlannerInput) -> Plan:
        st, e = inp.state, self.init.ego_row
        due = self.last_plan_us is None or \
            inp.time_us - self.last_plan_us >= self.cfg.replan_period_us
        objs = self.perceive(inp)
        if due:
            cor = self._corridor(inp, objs)
            decision = self.behave(inp, cor, objs)
            self.trajectory, self._traj_a = self.plan_motion(inp, cor, objs, decision)
            self.last_plan_us = inp.time_us
            self.last_decision = decision
        tr = self.trajectory
        accel, steer = self.control_loop.control(
            inp.time_us, float(st.x[e]), float(st.y[e]), float(st.yaw[e]), float(st.speed[e]),
            self.init.dt_us / 1e6, tr.t_us, tr.x, tr.y, tr.v, self._traj_a)
        return Plan(accel=accel, steer=steer, trajectory=tr)

    # -- stages --------------------------------------------------------------------------
    def perceive(self, inp: PlannerInput) -> Perceived:
        """Objects around the ego, from the configured perception, fused with the objects
        other stations reported (:meth:`external_objects`)."""
        st, e = inp.state, self.init.ego_row
        if self.cfg.perception == "ground_truth":
            rows = np.flatnonzero(st.valid)
            rows = rows[rows != e]
            return Perceived(st.x[rows], st.y[rows], st.speed[rows] * np.cos(st.yaw[rows]),
                             st.speed[rows] * np.sin(st.yaw[rows]), st.length[rows],
                             st.width[rows], st.kind[rows], st.accel[rows], st.yaw[rows])
        needed = inp.lidar if self.cfg.perception == "lidar" else inp.objects
        if needed is None:
            raise ValueError(f"kav-ref (perception={self.cfg.perception!r}) got no "
                             f"{'lidar' if self.cfg.perception == 'lidar' else 'objects'} in "
                             f"its PlannerInput: the caller must read the sensors named in "
                             f"Planner.sensors (scenarios.runner.Sensing does)")
        if self.cfg.perception == "lidar":
            cloud = inp.lidar
            det = cluster_points(cloud.x, cloud.y, cloud.z, self.cfg.clustering)
            k = len(det.x)
            # a box's long axis has no front: its heading is not a measurement of motion
            meas = Measurements(
                x=det.x, y=det.y, yaw=det.yaw, speed=np.full(k, np.nan), length=det.length,
                width=det.width, kind=_kind_from_size(det.length, det.width),
                pos_sigma=np.full(k, 0.3), vel_sigma=np.full(k, np.nan),
                yaw_sigma=np.full(k, np.nan))
        else:
            ol = inp.objects
            k = ol.n
            sig = max(self.cfg.objects.pos_sigma_m, 0.1)
            vsig = max(self.cfg.objects.vel_sigma_mps, 0.2)
            meas = Measurements(x=ol.x, y=ol.y, yaw=ol.yaw, speed=ol.speed, length=ol.length,
                                width=ol.width, kind=ol.kind, pos_sigma=np.full(k, sig),
                                vel_sigma=np.full(k, vsig))
        tracks = fuse(self.tracker, inp.time_us, meas, self.external_objects(inp))
        ok = tracks.confirmed
        accel = self._accel_estimates(inp.time_us, tracks.track_id[ok], tracks.speed[ok])
        return Perceived(tracks.x[ok], tracks.y[ok], tracks.vx[ok], tracks.vy[ok],
                         tracks.length[ok], tracks.width[ok], tracks.kind[ok], accel,
                         tracks.yaw[ok])

    def external_objects(self, inp: PlannerInput) -> ExternalObjects | None:
        """Objects reported by other stations (V2X CPM, roadside detectors) in this step's
        inbox, merged into one batch; None when there are none. Only verified messages
        reach the inbox, so everything here is trusted to the tracker's gating."""
        batches = [m for m in inp.inbox if isinstance(m, ExternalObjects)]
        if not batches:
            return None
        ext = ExternalObjects(**{f: np.concatenate([getattr(b, f) for b in batches])
                                 for f in _EXTERNAL_FIELDS})
        # roadside detectors and other vehicles report the ego too: a report whose centre
        # lies within the ego's own box (plus a metre) is the ego itself, not an obstacle
        st, e = inp.state, self.init.ego_row
        c, s = math.cos(float(st.yaw[e])), math.sin(float(st.yaw[e]))
        dx, dy = ext.x - float(st.x[e]), ext.y - float(st.y[e])
        own = ((np.abs(c * dx + s * dy) <= 0.5 * float(st.length[e]) + 1.0)
               & (np.abs(-s * dx + c * dy) <= 0.5 * float(st.width[e]) + 1.0))
        if not own.any():
            return ext
        keep = ~own
        return ExternalObjects(**{f: getattr(ext, f)[keep] for f in _EXTERNAL_FIELDS})

    def _accel_estimates(self, time_us: int, ids: np.ndarray, speed: np.ndarray) -> np.ndarray:
        """Longitudinal acceleration [m/s^2] of each track from its filtered speed about
        ACCEL_WINDOW_US ago (0 for tracks younger than that): the constant-velocity filter
        has no acceleration state, and a lead braking hard must be predicted braking."""
        out = np.zeros(len(ids))
        hist = self._speed_hist
        for i, (tid, v) in enumerate(zip(ids.tolist(), speed.tolist())):
            h = hist.setdefault(tid, [])
            h.append((time_us, v))
            while len(h) > 2 and time_us - h[1][0] >= ACCEL_WINDOW_US:
                h.pop(0)
            t0, v0 = h[0]
            if time_us - t0 >= ACCEL_WINDOW_US // 2:
                out[i] = float(np.clip((v - v0) / ((time_us - t0) / 1e6), -9.0, 4.0))
        alive = set(ids.tolist())
        for tid in [t for t in hist if t not in alive]:
            del hist[tid]
        return out

    def predict(self, objs: Perceived) -> Obstacles:
        """Future boxes of every perceived object on the lattice's time grid."""
        lc = self.cfg.lattice
        n_t = lc.n_t
        speed = objs.speed
        yaw = np.arctan2(objs.vy, objs.vx)
        if objs.yaw is not None:  # a standing object's velocity has no direction
            yaw = np.where(speed > 0.5, yaw, objs.yaw)
        veh = objs.kind != int(ActorKind.PEDESTRIAN)
        x = np.empty((objs.n, n_t))
        y = np.empty((objs.n, n_t))
        h = np.empty((objs.n, n_t))
        valid = np.ones((objs.n, n_t), bool)
        if veh.any():
            p = predict_lane_following(self.init.network, objs.x[veh], objs.y[veh], yaw[veh],
                                       speed[veh], objs.length[veh], objs.width[veh],
                                       lc.dt, n_t)
            x[veh], y[veh], h[veh], valid[veh] = p.x, p.y, p.yaw, p.valid
            # a vehicle moving across its lane (cutting in, changing lanes) is not going to
            # settle back onto it: keep its velocity instead
            lateral = speed[veh] * np.abs(np.sin(yaw[veh] - p.yaw[:, 0]))
            veh[np.flatnonzero(veh)[(p.lane >= 0) & (lateral > LANE_CHANGE_RATE)]] = False
        if (~veh).any():
            p = predict_cv(objs.x[~veh], objs.y[~veh], yaw[~veh], speed[~veh],
                           objs.length[~veh], objs.width[~veh], lc.dt, n_t)
            x[~veh], y[~veh], h[~veh], valid[~veh] = p.x, p.y, p.yaw, p.valid
        if objs.accel is not None:
            brake_along(x, y, h, speed, objs.accel, lc.dt, BRAKING)
        return Obstacles(x=x, y=y, yaw=h, length=objs.length.astype(np.float64),
                         width=objs.width.astype(np.float64), valid=valid)

    def behave(self, inp: PlannerInput, cor: Corridor, objs: Perceived):
        """The behaviour layer's decision (constraints and the rules behind them)."""
        st, e = inp.state, self.init.ego_row
        ego = EgoView(self._ego_sd[0], float(st.speed[e]), 0.5 * float(st.length[e]),
                      float(st.width[e]))
        route = self.init.route
        goal_k = cor.index_of(int(route.lanes[-1]))
        goal_s = cor.path_s(goal_k, route.goal_s) if goal_k >= 0 and \
            cor.route_index[goal_k] == len(route.lanes) - 1 else math.inf
        return self.behaviour.decide(inp.time_us, cor, ego, objs, inp.signals.lanes,
                                     inp.signals.crosswalks, goal_s, self.time_to_change(inp),
                                     inp.signals.arrows)

    def time_to_change(self, inp: PlannerInput) -> np.ndarray | None:
        """Seconds until each movement's signal changes (n_lanes,), NaN where unknown, from
        SPaT: the first inbox item that carries ``lane_time_to_change_s`` (the V2X layer's
        SPATEM view, already checked for freshness); None without one, when the behaviour
        layer decides from the signal state alone."""
        for m in inp.inbox:
            ttc = getattr(m, "lane_time_to_change_s", None)
            if ttc is not None:
                return np.asarray(ttc, dtype=np.float64)
        return None

    def plan_motion(self, inp: PlannerInput, cor: Corridor, objs: Perceived, decision):
        """The lattice's trajectory under the decision's constraints, and its acceleration
        profile (n_t,) [m/s^2] for the controller's feed-forward."""
        st, e = inp.state, self.init.ego_row
        path = self._path
        s, d = self._ego_sd
        k = int(np.clip(np.searchsorted(path.s, s), 0, len(path.s) - 1))
        rel = math.remainder(float(st.yaw[e]) - float(path.heading[k]), 2.0 * math.pi)
        v = float(st.speed[e])
        # the lattice caps speed with one number: turn the stop point into the speed from
        # which the vehicle still stops there at comfortable deceleration (an IDM-like
        # approach), so it neither stops early nor reaches the line fast
        front = s + 0.5 * float(st.length[e])
        room = max(float(decision.s_stop) - front - self.cfg.lattice.stop_margin, 0.0)
        v_max = min(float(decision.v_max), self.init.vehicle.max_speed,
                    math.sqrt(2.0 * self.cfg.behaviour.comfort_decel * room) + 0.5)
        s_d = v * math.cos(rel)
        # Start acceleration from the previous plan at this instant (plan stitching), not
        # from the measurement: a measured acceleration fed back into each new plan locks
        # the loop onto itself (braking begets harder braking, a car at rest never pulls
        # away, a car at the cap ratchets above it).
        s_dd = self._planned_accel(inp.time_us)
        if s_d > v_max:
            s_dd = min(s_dd, 0.0)
        if s_d < 0.3:
            s_dd = max(s_dd, 0.0)  # braking from rest would plan a reverse first
        d_d, d_dd = self._planned_lateral(inp.time_us, d, v * math.sin(rel))
        state = FrenetState(s=s, s_d=s_d, s_dd=s_dd, d=d, d_d=d_d, d_dd=d_dd)
        cons = Constraints(v_max=v_max, s_stop=float(decision.s_stop),
                           d_min=float(decision.d_min), d_max=float(decision.d_max),
                           d_pref=float(decision.d_pref))
        if self.lattice is None:
            veh = self.init.vehicle  # the plan must be drivable by this vehicle's steering
            kappa = math.tan(veh.max_steer) / max(veh.wheelbase, 1e-6)
            self.lattice = LatticePlanner(dataclasses.replace(
                self.cfg.lattice, ego_length=float(st.length[e]), ego_width=float(st.width[e]),
                kappa_max=min(self.cfg.lattice.kappa_max, kappa)))
        obstacles = self.predict(objs)
        lc = self.cfg.lattice
        gapped = with_time_gap(obstacles, int(round(self.cfg.time_gap_s / lc.dt)),
                               int(round(self.cfg.time_gap_from_s / lc.dt)))
        res = self.lattice.plan(path, state, gapped, cons)
        if res.emergency:  # no room for the time gap: avoiding contact is what must hold
            res = self.lattice.plan(path, state, obstacles, cons)
        if res.emergency:
            # Nothing fits the band: usually a heading error (turn entry, after an evasive
            # move) the lateral quintic cannot absorb inside it. Recover on a wider band
            # before braking at the limit.
            wide = dataclasses.replace(cons, d_min=cons.d_min - RECOVERY_BAND_M,
                                       d_max=cons.d_max + RECOVERY_BAND_M)
            retry = self.lattice.plan(path, state, obstacles, wide)
            if not retry.emergency:
                res = retry
        self.last_result = res
        t_us = (inp.time_us + np.round(res.t * 1e6)).astype(np.int64)
        return Trajectory(t_us=t_us, x=res.x, y=res.y, v=res.v), res.a

    # -- helpers -------------------------------------------------------------------------
    def _planned_accel(self, time_us: int) -> float:
        tr = self.trajectory
        if tr is None or self._traj_a is None:
            return 0.0
        return float(np.interp((time_us - tr.t_us[0]) / 1e6, (tr.t_us - tr.t_us[0]) / 1e6,
                               self._traj_a))

    def _planned_lateral(self, time_us: int, d: float, d_d_measured: float):
        """Lateral rate and acceleration to start the next plan from: the previous plan's at
        this instant while the vehicle is on it (within STITCH_D_M), else the measured rate.
        Starting from the measured heading error instead lets a turn-entry lag feed into the
        plan, which pure pursuit then follows: the car drifts out of the bend."""
        res, tr = self.last_result, self.trajectory
        if res is None or tr is None or res.emergency:
            return d_d_measured, 0.0
        t = (time_us - tr.t_us[0]) / 1e6
        if not 0.0 <= t < res.t[-1] or abs(float(np.interp(t, res.t, res.d)) - d) > STITCH_D_M:
            return d_d_measured, 0.0
        rate = np.gradient(res.d, res.t)
        return float(np.interp(t, res.t, rate)), float(np.interp(t, res.t,
                                                                  np.gradient(rate, res.t)))

    def _corridor(self, inp: PlannerInput, objs: Perceived) -> Corridor:
        st, e = inp.state, self.init.ego_row
        net, route = self.init.network, self.init.route
        pos = int(st.memory.route_pos[e])
        lane, s = int(st.lane[e]), float(st.s[e])
        ahead = self.cfg.behaviour.lookahead_m + 40.0
        tgt = self._lane_change_target(inp, objs, pos, lane, s)
        if tgt >= 0:
            s_t = s * net.lanes.length[tgt] / max(net.lanes.length[lane], 1e-6)
            cor = build_corridor(net, route, tgt, s_t, pos + 1, ahead)
        else:
            cor = build_corridor(net, route, lane, s, pos, ahead)
        self._path = reference_path(np.stack([cor.x, cor.y], 1))
        s_e, d_e = to_frenet(self._path, np.array([st.x[e]]), np.array([st.y[e]]))
        self._ego_sd = (float(s_e[0]), float(d_e[0]))  # the ego on this path [m]
        return cor

    def _lane_change_target(self, inp, objs: Perceived, pos: int, lane: int, s: float) -> int:
        """The neighbour lane the route asks for, once its gap is free (then kept until the
        engine sees the ego there)."""
        route, net = self.init.route, self.init.network
        if pos + 1 >= len(route.lanes) or not route.lane_change[pos + 1]:
            self.changing_to = -1
            return -1
        tgt = int(route.lanes[pos + 1])
        if self.changing_to == tgt:
            return tgt
        st, e = inp.state, self.init.ego_row
        v = float(st.speed[e])
        sl = net.lane_points(tgt)
        px, py = net.points.x[sl], net.points.y[sl]
        s_t = s * net.lanes.length[tgt] / max(net.lanes.length[lane], 1e-6)
        veh = objs.kind != int(ActorKind.PEDESTRIAN)
        if veh.any() and len(px) >= 2:
            so, do = project_polyline(px, py, objs.x[veh], objs.y[veh])
            on = np.abs(do) < 0.5 * float(net.points.width[sl.start])
            clear = 0.5 * float(st.length[e]) + 6.0 + v
            if np.any(on & (np.abs(so - s_t) < clear + 0.5 * objs.length[veh])):
                return -1
        self.changing_to = tgt
        return tgt


def _kind_from_size(length: np.ndarray, width: np.ndarray) -> np.ndarray:
    """A lidar cluster's kind from its footprint (a classifier stand-in)."""
    kind = np.full(len(length), int(ActorKind.CAR), np.int8)
    kind[np.maximum(length, width) < 1.2] = int(ActorKind.PEDESTRIAN)
    kind[np.maximum(length, width) > 7.0] = int(ActorKind.BUS)
    return kind
