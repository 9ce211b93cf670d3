"""Traffic-model configuration and the per-map tables its kernel reads.

IDM defaults follow Treiber & Kesting for urban traffic; MOBIL's keep-right bias makes it
the right-hand-traffic (Korean) variant.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.actors import N_KINDS, ActorKind
from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import lane_access_mask
from sim.traffic import _kernels as K


@dataclass(frozen=True)
class TrafficConfig:
    """Tunable constants of the NPC model (units in the names)."""

    lookahead_m: float = 60.0  # leader / obstacle search distance at standstill
    lookahead_s: float = 4.0  # ... plus this many seconds of travel
    mobil_b_safe: float = 4.0  # [m/s^2] the new follower may brake this hard at most
    mobil_threshold: float = 0.2  # [m/s^2] incentive needed to change lanes
    mobil_keep_right_bias: float = 0.3  # [m/s^2] extra for left changes, less for right ones
    lane_change_cooldown_s: float = 4.0
    rtor_full_stop_s: float = 1.0  # Korean right turn on red: full stop this long first
    yellow_decel: float = 3.0  # [m/s^2] stop on yellow only if this braking suffices
    pursuit_gain_s: float = 0.6  # pure-pursuit look-ahead = min + gain * speed
    pursuit_min_m: float = 4.0
    merge_clear_m: float = 30.0  # free target lane needed for a right turn on red
    lane_change_min_speed: float = 2.0  # [m/s] no discretionary changes in crawling queues
    lane_change_end_margin_m: float = 15.0  # no discretionary change this close to a lane end
    curve_lat_accel: float = 2.0  # [m/s^2] comfortable lateral acceleration in turns

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise ValueError(f"TrafficConfig.{f.name} must be a finite number >= 0, got {v!r}")
        if self.curve_lat_accel <= 0 or self.lookahead_m <= 0:
            raise ValueError("TrafficConfig.curve_lat_accel and lookahead_m must be positive")

    def vector(self) -> np.ndarray:
        """The kernel's cfg vector (N_CFG,) float64."""
        cfg = np.zeros(K.N_CFG, np.float64)
        cfg[K.C_LOOKAHEAD] = self.lookahead_m
        cfg[K.C_LOOKAHEAD_T] = self.lookahead_s
        cfg[K.C_B_SAFE] = self.mobil_b_safe
        cfg[K.C_LC_THRESHOLD] = self.mobil_threshold
        cfg[K.C_LC_BIAS] = self.mobil_keep_right_bias
        cfg[K.C_LC_COOLDOWN_S] = self.lane_change_cooldown_s
        cfg[K.C_RTOR_WAIT_S] = self.rtor_full_stop_s
        cfg[K.C_YELLOW_DECEL] = self.yellow_decel
        cfg[K.C_PP_GAIN] = self.pursuit_gain_s
        cfg[K.C_PP_MIN] = self.pursuit_min_m
        cfg[K.C_MERGE_CLEAR] = self.merge_clear_m
        cfg[K.C_LC_MIN_SPEED] = self.lane_change_min_speed
        cfg[K.C_LC_END_MARGIN] = self.lane_change_end_margin_m
        return cfg


@dataclass(frozen=True)
class LaneTables:
    """Per-lane values the traffic kernel needs beyond the network itself.

    vcurve: (n_lanes,) float64 [m/s] comfortable speed for the lane's sharpest curvature;
    vmin: (n_lanes,) float64 [m/s] lowest posted limit anywhere on the lane.
    """

    vcurve: np.ndarray
    vmin: np.ndarray


def lane_tables(net: RoadNetwork, cfg: TrafficConfig) -> LaneTables:
    ln, p = net.lanes, net.points
    vcurve = np.full(ln.n, np.inf)
    vmin = np.empty(ln.n)
    for i in range(ln.n):
        a, b = ln.pt_ptr[i], ln.pt_ptr[i + 1]
        vmin[i] = p.speed_limit[a:b].min()
        if b - a < 3:
            continue
        dh = np.abs(np.angle(np.exp(1j * np.diff(p.heading[a:b]))))
        ds = np.maximum(np.diff(p.s[a:b]), 1e-6)
        # curvature over ~3 m windows smooths the sampling noise of short steps
        w = max(1, int(round(3.0 / max(float(np.median(ds)), 1e-3))))
        kappa = np.convolve(dh, np.ones(w), "valid") / np.maximum(
            np.convolve(ds, np.ones(w), "valid"), 1e-6)
        kmax = float(kappa.max()) if kappa.size else 0.0
        if kmax > 1e-4:
            vcurve[i] = float(np.sqrt(cfg.curve_lat_accel / kmax))
    return LaneTables(vcurve=vcurve, vmin=vmin)


def kind_lane_open(net: RoadNetwork, time_of_day_s: float) -> np.ndarray:
    """(N_KINDS, n_lanes) bool: driving lanes each actor kind may use at this time of day."""
    out = np.zeros((N_KINDS, net.lanes.n), dtype=np.bool_)
    for kind in ActorKind:
        out[int(kind)] = lane_access_mask(net, kind, time_of_day_s)
    return out
