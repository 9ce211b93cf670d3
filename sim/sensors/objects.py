"""Object-list sensor: the tracked-object output of a fused camera / radar stack, idealised.

An actor is reported when enough of its box outline is seen from the sensor's mount point:
the outline carries ``4 * (samples_per_side - 1)`` sample points (corners and evenly spaced
edge points) and a point is seen when it lies within ``range_m`` of the mount point, inside
the field of view, and (with ``occlusion``) the straight sight line to it touches no other
actor's box (ego and target excluded) and no map structure. Range and field of view are
thus measured per outline point, not to the centre: an actor half out of view has about
half its outline visible. Reported objects carry Gaussian noise on position, velocity and
heading and are dropped at random with probability ``dropout``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.roadnet.network import Structures
from sim.sensors import _kernels as K
from sim.state import WorldState


@dataclass(frozen=True)
class ObjectSensorConfig:
    """range_m [m]; fov_rad [rad] full opening angle, centred on the ego heading (2 pi: all
    round; a front camera-radar is about 1.05); mount_x [m] ahead of the ego's box centre
    along its heading; pos_sigma_m [m], vel_sigma_mps [m/s], yaw_sigma_rad [rad]: standard
    deviations of the noise on x and y, vx and vy, yaw; dropout [-]: probability that an
    otherwise visible object is missed this call; occlusion: test sight lines;
    min_visible_fraction [-]: share of outline points that must be seen, in (0, 1];
    samples_per_side: outline points per box edge counting both corners, >= 2.
    """

    range_m: float = 120.0
    fov_rad: float = 2.0 * math.pi
    mount_x: float = 0.0
    pos_sigma_m: float = 0.0
    vel_sigma_mps: float = 0.0
    yaw_sigma_rad: float = 0.0
    dropout: float = 0.0
    occlusion: bool = True
    min_visible_fraction: float = 0.2
    samples_per_side: int = 3

    def __post_init__(self):
        if not (math.isfinite(self.range_m) and self.range_m > 0.0):
            raise ValueError(f"range_m must be a positive finite distance [m], got {self.range_m}")
        if not (0.0 < self.fov_rad <= 2.0 * math.pi):
            raise ValueError(f"fov_rad must be in (0, 2 pi] [rad], got {self.fov_rad}")
        if not math.isfinite(self.mount_x):
            raise ValueError(f"mount_x must be finite [m], got {self.mount_x}")
        for name in ("pos_sigma_m", "vel_sigma_mps", "yaw_sigma_rad"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"{name} must be a finite standard deviation >= 0, got {v}")
        if not (0.0 <= self.dropout <= 1.0):
            raise ValueError(f"dropout must be a probability in [0, 1], got {self.dropout}")
        if not (0.0 < self.min_visible_fraction <= 1.0):
            raise ValueError("min_visible_fraction must be in (0, 1], got "
                             f"{self.min_visible_fraction}")
        if isinstance(self.samples_per_side, bool) or not isinstance(
                self.samples_per_side, (int, np.integer)) or self.samples_per_side < 2:
            raise ValueError("samples_per_side must be an integer >= 2 (both corners of an "
                             f"edge), got {self.samples_per_side!r}")

    @property
    def n_samples(self) -> int:
        """Outline sample points per target."""
        return 4 * (int(self.samples_per_side) - 1)


@dataclass(frozen=True)
class ObjectList:
    """Objects reported at ``time_us``, one per entry, sorted by world-state row.

    row: (k,) int32 world-state row of the true actor (ground truth, for evaluation only).
    actor_id: (k,) int32; kind: (k,) int8 :class:`sim.actors.ActorKind`.
    x, y: (k,) float64 [m] measured box centre; yaw: (k,) float64 [rad] measured heading in
    (-pi, pi]; vx, vy: (k,) float64 [m/s] measured velocity; speed: (k,) float64 [m/s] the
    measured velocity along the measured heading (negative when reversing).
    length, width: (k,) float64 [m] (exact); visible_fraction: (k,) float64 [-] share of
    outline points seen.
    """

    time_us: int
    row: np.ndarray
    actor_id: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    length: np.ndarray
    width: np.ndarray
    visible_fraction: np.ndarray

    @property
    def n(self) -> int:
        return int(self.row.shape[0])


def mount_point(state: WorldState, ego_row: int, mount_x: float) -> tuple[float, float]:
    """(x, y) [m] of a sensor ``mount_x`` ahead of the ego's box centre along its heading."""
    yaw = float(state.yaw[ego_row])
    return (float(state.x[ego_row]) + mount_x * math.cos(yaw),
            float(state.y[ego_row]) + mount_x * math.sin(yaw))


def visibility(state: WorldState, structures: Structures, ego_row: int,
               cfg: ObjectSensorConfig) -> np.ndarray:
    """Visible outline fraction of every row: (n_actors,) float64 [-], 0 for the ego and
    invalid rows. Deterministic (no noise, no dropout)."""
    ego_row = check_ego_row(state, ego_row)
    ox, oy = mount_point(state, ego_row, cfg.mount_x)
    return _visibility(state, structures, ox, oy, float(state.yaw[ego_row]), ego_row, cfg)


def _visibility(state, structures, ox, oy, yaw, skip_row, cfg) -> np.ndarray:
    # the kernel compares cosines; a full circle disables the test
    cos_half = -2.0 if cfg.fov_rad >= 2.0 * math.pi else math.cos(0.5 * cfg.fov_rad)
    out = np.zeros(state.n_actors)
    K.object_visibility(ox, oy, math.cos(yaw), math.sin(yaw), cos_half, float(cfg.range_m),
                        bool(cfg.occlusion), int(cfg.samples_per_side), state.valid, state.x,
                        state.y, state.yaw, state.length, state.width, skip_row,
                        structures.x, structures.y, structures.yaw, structures.length,
                        structures.width, out)
    return out


def roadside_objects(state: WorldState, structures: Structures, x: float, y: float,
                     heading: float, cfg: ObjectSensorConfig,
                     rng: np.random.Generator) -> ObjectList:
    """The object list of a fixed (roadside) detector at (x, y) [m] looking along
    ``heading`` [rad]: every actor is a possible target. Same noise and draws as
    :func:`detect_objects`."""
    frac = _visibility(state, structures, float(x), float(y), float(heading), -1, cfg)
    return _report(state, frac, cfg, rng)


def detect_objects(state: WorldState, structures: Structures, ego_row: int,
                   cfg: ObjectSensorConfig, rng: np.random.Generator) -> ObjectList:
    """The object list the ego's sensor reports for ``state``.

    Draws a fixed number of variates per call whatever the scene and config: 5 * n_actors
    standard normals (x, y, yaw, vx, vy noise per row) then n_actors uniforms (dropout), so
    the same seed gives the same list and one row's outcome never shifts another's draws.
    """
    return _report(state, visibility(state, structures, ego_row, cfg), cfg, rng)


def _report(state: WorldState, frac: np.ndarray, cfg: ObjectSensorConfig,
            rng: np.random.Generator) -> ObjectList:
    n = state.n_actors
    noise = rng.standard_normal((n, 5))
    keep_u = rng.random(n)
    # min_visible_fraction > 0, so the ego and invalid rows (fraction 0) never pass
    seen = (frac >= cfg.min_visible_fraction) & (keep_u >= cfg.dropout)
    rows = np.flatnonzero(seen)
    z = noise[rows]
    yaw_true = state.yaw[rows]
    speed_true = state.speed[rows]
    x = state.x[rows] + cfg.pos_sigma_m * z[:, 0]
    y = state.y[rows] + cfg.pos_sigma_m * z[:, 1]
    yaw = yaw_true + cfg.yaw_sigma_rad * z[:, 2]
    # wrap into (-pi, pi], leaving in-range headings bit-exact
    yaw = np.where((yaw > np.pi) | (yaw <= -np.pi), np.pi - np.mod(np.pi - yaw, 2.0 * np.pi), yaw)
    vx = speed_true * np.cos(yaw_true) + cfg.vel_sigma_mps * z[:, 3]
    vy = speed_true * np.sin(yaw_true) + cfg.vel_sigma_mps * z[:, 4]
    return ObjectList(
        time_us=int(state.time_us), row=rows.astype(np.int32),
        actor_id=state.actor_id[rows].copy(), kind=state.kind[rows].copy(),
        x=x, y=y, yaw=yaw, speed=vx * np.cos(yaw) + vy * np.sin(yaw), vx=vx, vy=vy,
        length=state.length[rows].copy(), width=state.width[rows].copy(),
        visible_fraction=frac[rows],
    )


def check_ego_row(state: WorldState, ego_row: int) -> int:
    """``ego_row`` as an int; ValueError unless it is a valid actor row of ``state``."""
    if not (0 <= int(ego_row) < state.n_actors) or not state.valid[ego_row]:
        raise ValueError(f"ego_row {ego_row} is not a valid actor row "
                         f"(n_actors={state.n_actors})")
    return int(ego_row)
