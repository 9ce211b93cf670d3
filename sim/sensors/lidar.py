"""Spinning lidar: ``n_beams`` x ``n_azimuth`` rays from a roof mount, nearest hit per ray
against the ground plane z = 0, every other actor's 3-D box and every map structure.

Actors have no height in the world state, so their boxes get the height of their kind
(:data:`KIND_HEIGHT_M`) and stand on z = 0; structures use their own ``height``. Beam
elevations are evenly spaced from ``elev_min_rad`` to ``elev_max_rad``; azimuth column k
points ``2 pi k / n_azimuth`` counter-clockwise from the ego heading. A ray that hits
nothing within ``range_m`` returns no point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.actors import ActorKind
from sim.roadnet.network import Structures
from sim.sensors import _kernels as K
from sim.sensors.objects import check_ego_row
from sim.state import WorldState

HIT_GROUND = K.HIT_GROUND
HIT_STRUCTURE = K.HIT_STRUCTURE

_HEIGHTS = {
    ActorKind.CAR: 1.5,
    ActorKind.BUS: 3.2,
    ActorKind.TRUCK: 3.5,
    ActorKind.MOTORCYCLE: 1.4,  # with rider
    ActorKind.PEDESTRIAN: 1.75,
    ActorKind.CYCLIST: 1.7,  # with rider
}
KIND_HEIGHT_M = np.array([_HEIGHTS[k] for k in ActorKind], dtype=np.float64)
"""Box height [m] per :class:`ActorKind` value: (N_KINDS,) float64."""


@dataclass(frozen=True)
class LidarConfig:
    """n_beams, n_azimuth: rays per column / per revolution; elev_min_rad, elev_max_rad
    [rad]: lowest and highest beam (in (-pi/2, pi/2)); range_m [m]; mount_x [m] ahead of the
    ego's box centre along its heading; mount_z [m] above the ground (> 0); range_sigma_m [m]:
    Gaussian noise on each range; dropout [-]: probability a hit is lost."""

    n_beams: int = 32
    elev_min_rad: float = math.radians(-25.0)
    elev_max_rad: float = math.radians(15.0)
    n_azimuth: int = 1800
    range_m: float = 100.0
    mount_x: float = 0.0
    mount_z: float = 1.9
    range_sigma_m: float = 0.0
    dropout: float = 0.0

    def __post_init__(self):
        for name in ("n_beams", "n_azimuth"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        lo, hi = self.elev_min_rad, self.elev_max_rad
        if not (-0.5 * math.pi < lo <= hi < 0.5 * math.pi):
            raise ValueError("need -pi/2 < elev_min_rad <= elev_max_rad < pi/2 [rad], got "
                             f"{lo}, {hi}")
        if self.n_beams > 1 and lo == hi:
            raise ValueError(f"{self.n_beams} beams need elev_min_rad < elev_max_rad")
        if not (math.isfinite(self.range_m) and self.range_m > 0.0):
            raise ValueError(f"range_m must be a positive finite distance [m], got {self.range_m}")
        if not math.isfinite(self.mount_x):
            raise ValueError(f"mount_x must be finite [m], got {self.mount_x}")
        if not (math.isfinite(self.mount_z) and self.mount_z > 0.0):
            raise ValueError(f"mount_z must be a positive height [m], got {self.mount_z}")
        if not (math.isfinite(self.range_sigma_m) and self.range_sigma_m >= 0.0):
            raise ValueError(f"range_sigma_m must be finite and >= 0 [m], got "
                             f"{self.range_sigma_m}")
        if not (0.0 <= self.dropout <= 1.0):
            raise ValueError(f"dropout must be a probability in [0, 1], got {self.dropout}")

    def elevations(self) -> np.ndarray:
        """Beam elevations [rad], ascending: (n_beams,) float64."""
        return np.linspace(self.elev_min_rad, self.elev_max_rad, int(self.n_beams))


@dataclass(frozen=True)
class PointCloud:
    """Lidar returns at ``time_us``, beam by beam, azimuth column by column.

    x, y, z: (k,) float64 [m] world frame; ring: (k,) int16 beam index (0 = lowest);
    hit: (k,) int32 what the ray hit (ground truth): actor row >= 0, HIT_GROUND (-1),
    HIT_STRUCTURE (-2). origin: (x, y, z) [m] of the sensor.
    """

    time_us: int
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    ring: np.ndarray
    hit: np.ndarray
    origin: tuple[float, float, float]

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def scene_boxes(state: WorldState, structures: Structures, ego_row: int):
    """Every box the lidar sees, actors (row order, ego left out) then structures:
    (x, y, yaw, length, width, height, code), each (n_boxes,) float64 but code int32
    (actor row, or HIT_STRUCTURE)."""
    rows = np.flatnonzero(state.valid)
    rows = rows[rows != ego_row]
    ns = structures.n
    cat = np.concatenate
    return (cat([state.x[rows], structures.x]).astype(np.float64),
            cat([state.y[rows], structures.y]).astype(np.float64),
            cat([state.yaw[rows], structures.yaw]).astype(np.float64),
            cat([state.length[rows], structures.length]).astype(np.float64),
            cat([state.width[rows], structures.width]).astype(np.float64),
            cat([KIND_HEIGHT_M[state.kind[rows]], structures.height]).astype(np.float64),
            cat([rows, np.full(ns, HIT_STRUCTURE)]).astype(np.int32))


def sensor_origin(state: WorldState, ego_row: int, cfg: LidarConfig) -> tuple[float, float, float]:
    """(x, y, z) [m] of the lidar on the ego."""
    yaw = float(state.yaw[ego_row])
    return (float(state.x[ego_row]) + cfg.mount_x * math.cos(yaw),
            float(state.y[ego_row]) + cfg.mount_x * math.sin(yaw), float(cfg.mount_z))


def range_image(state: WorldState, structures: Structures, ego_row: int,
                cfg: LidarConfig) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free (range [m], hit code) per ray, each (n_beams, n_azimuth): float64 with inf
    where nothing is hit, int32 with ``_kernels.NO_HIT`` there."""
    ego_row = check_ego_row(state, ego_row)
    ox, oy, oz = sensor_origin(state, ego_row, cfg)
    rng_img = np.empty((int(cfg.n_beams), int(cfg.n_azimuth)))
    hit_img = np.empty((int(cfg.n_beams), int(cfg.n_azimuth)), np.int32)
    K.lidar_scan(ox, oy, oz, float(state.yaw[ego_row]), cfg.elevations(), float(cfg.range_m),
                 *scene_boxes(state, structures, ego_row), rng_img, hit_img)
    return rng_img, hit_img


def scan(state: WorldState, structures: Structures, ego_row: int, cfg: LidarConfig,
         rng: np.random.Generator) -> PointCloud:
    """One full revolution of the ego's lidar on ``state``.

    Draws depend on the config only, never on the scene: n_beams * n_azimuth standard
    normals when range_sigma_m > 0, then as many uniforms when dropout > 0, one per ray in
    (beam, azimuth) order. A noisy range that comes out <= 0 drops the point.
    """
    r_img, hit_img = range_image(state, structures, ego_row, cfg)
    shape = r_img.shape
    noise = rng.standard_normal(shape) if cfg.range_sigma_m > 0.0 else None
    keep_u = rng.random(shape) if cfg.dropout > 0.0 else None
    keep = hit_img != K.NO_HIT
    if keep_u is not None:
        keep &= keep_u >= cfg.dropout
    if noise is not None:
        r_img = r_img + cfg.range_sigma_m * noise
        keep &= r_img > 0.0
    k = int(np.count_nonzero(keep))
    x, y, z = np.empty(k), np.empty(k), np.empty(k)
    ring, hit = np.empty(k, np.int16), np.empty(k, np.int32)
    ox, oy, oz = sensor_origin(state, ego_row, cfg)
    K.lidar_points(ox, oy, oz, float(state.yaw[ego_row]), cfg.elevations(), r_img, hit_img,
                   keep, x, y, z, ring, hit)
    return PointCloud(time_us=int(state.time_us), x=x, y=y, z=z, ring=ring, hit=hit,
                      origin=(ox, oy, oz))
