"""The modelled radio channel: which frames reach which receivers, when, at what power.

:meth:`ChannelModel.links` is called by the air broker once per batch of frames sent at the
same simulation time. Per (frame, receiver) link it decides the state from geometry (a
structure box the 3-D antenna-to-antenna segment touches -> NLOS; a vehicle box crossed in
plan view -> NLOSv, with TR 37.885's blockage by antenna heights vs the vehicle's; else LOS),
the TR 37.885 path loss with shadowing, the delivery draw of the profile's PER curve times the
congestion loss at the receiver's CBR, and the latency. Random numbers come from the caller's
``numpy.random.Generator`` only, so a run is reproducible from its seed.

Shadowing is drawn independently per frame and link (no spatial correlation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from v2x.channel import _kernels as K
from v2x.channel import _reference as R
from v2x.channel import pathloss as PL
from v2x.channel.profiles import WAVE, CongestionTracker, RadioProfile, profile

LOS, NLOSV, NLOS, OUT_OF_RANGE, SELF = K.LOS, K.NLOSV, K.NLOS, K.OUT_OF_RANGE, K.SELF
GRID_CELL_M = 25.0  # broad-phase cell: a 500 m link walks ~20-40 cells


def _arr(obj, name, dtype, n=None):
    a = np.ascontiguousarray(getattr(obj, name), dtype=dtype)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        raise ValueError(f"{name} must be a 1-D array of length {n}, not shape {a.shape}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    object.__setattr__(obj, name, a)
    return a


@dataclass(frozen=True)
class TxBatch:
    """n frames sent together. sender: (n,) int64 index of the sender in the RxSet, or -1
    (e.g. an RSU that does not listen); x, y: (n,) float64 [m] antenna position;
    antenna_h: (n,) float64 [m]; tx_power_dbm: (n,) float64 [dBm]; size_bytes: (n,) int64
    bytes handed to the radio (GeoNetworking header onwards)."""

    sender: np.ndarray
    x: np.ndarray
    y: np.ndarray
    antenna_h: np.ndarray
    tx_power_dbm: np.ndarray
    size_bytes: np.ndarray

    def __post_init__(self):
        n = _arr(self, "sender", np.int64).shape[0]
        for name in ("x", "y", "antenna_h", "tx_power_dbm"):
            _arr(self, name, np.float64, n)
        if np.any(_arr(self, "size_bytes", np.int64, n) <= 0):
            raise ValueError("size_bytes must be > 0")
        if np.any(self.antenna_h < 0) or np.any(self.sender < -1):
            raise ValueError("antenna_h must be >= 0 and sender >= -1")

    @property
    def n(self) -> int:
        return int(self.sender.shape[0])


@dataclass(frozen=True)
class RxSet:
    """m receivers. ids: (m,) int64 unique station ids (keys of the CongestionTracker);
    x, y: (m,) float64 [m]; antenna_h: (m,) float64 [m]."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    antenna_h: np.ndarray

    def __post_init__(self):
        m = _arr(self, "ids", np.int64).shape[0]
        for name in ("x", "y", "antenna_h"):
            _arr(self, name, np.float64, m)
        if len(np.unique(self.ids)) != m:
            raise ValueError("ids must be unique")
        if np.any(self.antenna_h < 0):
            raise ValueError("antenna_h must be >= 0")

    @property
    def m(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Blockers:
    """Vehicle boxes that may block links (k,): x, y [m] centre, yaw [rad], length, width,
    height [m] (TR 37.885: car 1.6 m, truck/bus 3 m), valid bool. A box containing a link's
    end point in plan view is that station's own vehicle and never blocks its links."""

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray
    valid: np.ndarray

    def __post_init__(self):
        k = _arr(self, "x", np.float64).shape[0]
        for name in ("y", "yaw", "length", "width", "height"):
            _arr(self, name, np.float64, k)
        _arr(self, "valid", bool, k)


@dataclass(frozen=True)
class LinkResult:
    """Outcome of one batch, (n frames, m receivers). delivered: bool; latency_us: int64
    [us] >= 1 (meaningful where delivered); rx_power_dbm: float32 [dBm] (-inf out of range
    and for the sender itself); state: int8 LOS 0 / NLOSV 1 / NLOS 2 / OUT_OF_RANGE 3 /
    SELF 4; cbr: (m,) float64 channel busy ratio [0-1] each receiver was given."""

    delivered: np.ndarray
    latency_us: np.ndarray
    rx_power_dbm: np.ndarray
    state: np.ndarray
    cbr: np.ndarray


@dataclass(frozen=True)
class ChannelConfig:
    """profile: RadioProfile or its name; environment: "urban" | "highway" (LOS formula and
    LOS probability; NLOS always uses the urban NLOS formula); frequency_ghz [GHz];
    filter_distance_m [m]: links longer in plan view are out of range; shadowing: bool;
    vehicle_blockage: "geometry" (Blockers boxes), "probability" (TR 37.885 LOS probability
    draws LOS vs NLOSv, car blocker 1.6 m; Blockers ignored) or "off";
    blocking_structure_types: Structures types that block (poles and vegetation do not by
    default); pdr [0-1]: scenario delivery factor applied on top; extra_latency_us >= 0;
    blackouts: ((start_us, end_us or None), ...) half-open windows delivering nothing."""

    profile: RadioProfile | str = WAVE
    environment: str = "urban"
    frequency_ghz: float = PL.FREQ_GHZ
    filter_distance_m: float = 500.0
    shadowing: bool = True
    vehicle_blockage: str = "geometry"
    blocking_structure_types: tuple[str, ...] = ("building", "obstacle", "barrier")
    pdr: float = 1.0
    extra_latency_us: int = 0
    blackouts: tuple[tuple[int, int | None], ...] = ()

    def __post_init__(self):
        if isinstance(self.profile, str):
            object.__setattr__(self, "profile", profile(self.profile))
        if not isinstance(self.profile, RadioProfile):
            raise ValueError("profile must be a RadioProfile or a profile name")
        if self.environment not in ("urban", "highway"):
            raise ValueError(f"environment must be 'urban' or 'highway', not "
                             f"{self.environment!r}")
        if not 0.5 <= self.frequency_ghz <= 100.0:
            raise ValueError("frequency_ghz must be in [0.5, 100] GHz")
        if not self.filter_distance_m > 0.0:
            raise ValueError("filter_distance_m must be > 0")
        if self.vehicle_blockage not in ("geometry", "probability", "off"):
            raise ValueError("vehicle_blockage must be 'geometry', 'probability' or 'off'")
        object.__setattr__(self, "blocking_structure_types",
                           tuple(self.blocking_structure_types))
        if not 0.0 <= self.pdr <= 1.0:
            raise ValueError("pdr must be in [0, 1]")
        if int(self.extra_latency_us) != self.extra_latency_us or self.extra_latency_us < 0:
            raise ValueError("extra_latency_us must be an integer >= 0")
        windows = tuple((int(s), None if e is None else int(e)) for s, e in self.blackouts)
        for s, e in windows:
            if s < 0 or (e is not None and e <= s):
                raise ValueError(f"blackouts: window ({s}, {e}) must have 0 <= start < end")
        object.__setattr__(self, "blackouts", windows)

    def in_blackout(self, time_us: int) -> bool:
        """True if ``time_us`` falls in a blackout window [start, end)."""
        return any(s <= time_us and (e is None or time_us < e) for s, e in self.blackouts)


class ChannelModel:
    """The channel of one radio technology over one map.

    structures: the map's :class:`sim.roadnet.network.Structures` (or None); only types in
    ``config.blocking_structure_types`` block. backend: "numba" or "reference" (the plain
    twins, for tests and timing).
    """

    def __init__(self, config: ChannelConfig, structures=None, backend: str = "numba"):
        if backend not in ("numba", "reference"):
            raise ValueError("backend must be 'numba' or 'reference'")
        self.config = config
        self.backend = backend
        keep = np.zeros(0, bool)
        if structures is not None and structures.n > 0:
            keep = np.isin(np.asarray(structures.type), config.blocking_structure_types)
        self._static = tuple(np.ascontiguousarray(getattr(structures, a)[keep], np.float64)
                             if keep.size else np.zeros(0)
                             for a in ("x", "y", "yaw", "length", "width", "height"))

    def links(self, time_us: int, tx: TxBatch, rx: RxSet, blockers: Blockers | None,
              rng: np.random.Generator, congestion: CongestionTracker | None = None
              ) -> LinkResult:
        """Channel outcome of the frames ``tx`` sent at ``time_us`` [us] to receivers ``rx``.

        congestion: the broker's tracker; this batch's heard airtime is recorded into it and
        the CBR read back (this batch included). Without one the CBR is 0 (no congestion).
        """
        cfg, prof = self.config, self.config.profile
        n, m = tx.n, rx.m
        if np.any(tx.sender >= m):
            raise ValueError("sender must index the RxSet or be -1")
        if n == 0 or m == 0:
            z = np.zeros((n, m))
            return LinkResult(z.astype(bool), z.astype(np.int64) + 1, z.astype(np.float32),
                              z.astype(np.int8) + OUT_OF_RANGE, np.zeros(m))
        # frames from the same antenna position share geometry and median path loss
        order = np.lexsort((tx.antenna_h, tx.y, tx.x))
        sx, sy, sh = tx.x[order], tx.y[order], tx.antenna_h[order]
        new = np.ones(n, bool)
        new[1:] = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1]) | (sh[1:] != sh[:-1])
        inv = np.empty(n, np.int64)
        inv[order] = np.cumsum(new) - 1
        first = order[new]
        ux, uy, uh = tx.x[first], tx.y[first], tx.antenna_h[first]

        ob = [a for a in self._static]
        is_veh = np.zeros(ob[0].shape[0], bool)
        if blockers is not None and cfg.vehicle_blockage == "geometry":
            v = blockers.valid
            ob = [np.concatenate([a, getattr(blockers, f)[v]]) for a, f in
                  zip(ob, ("x", "y", "yaw", "length", "width", "height"))]
            is_veh = np.concatenate([is_veh, np.ones(int(v.sum()), bool)])
        highway = cfg.environment == "highway"
        shape = (ux.shape[0], m)
        if self.backend == "numba":
            g_state, g_below = np.empty(shape, np.int8), np.empty(shape, np.int8)
            g_dist, g_pl, g_mu = np.empty(shape), np.empty(shape), np.empty(shape)
            K.link_geometry(ux, uy, uh, rx.x, rx.y, rx.antenna_h, *ob, is_veh,
                            cfg.filter_distance_m, highway, cfg.frequency_ghz, GRID_CELL_M,
                            g_state, g_below, g_dist, g_pl, g_mu)
        else:
            g_state, g_below, g_dist, g_pl, g_mu = R.link_geometry_ref(
                ux, uy, uh, rx.x, rx.y, rx.antenna_h, *ob, is_veh, cfg.filter_distance_m,
                highway, cfg.frequency_ghz)

        use_prob = cfg.vehicle_blockage == "probability"
        p_los, p_below, p_mu = np.zeros((0, 0)), np.zeros((0, 0), np.int8), np.zeros((0, 0))
        if use_prob:
            p_los = PL.p_los(g_dist, cfg.environment)
            p_below = PL.antennas_below(uh[:, None], rx.antenna_h[None, :],
                                        PL.BLOCKER_HEIGHT_M["car"]).astype(np.int8)
            p_mu = PL.blockage_params_db(g_dist, p_below)[0]
        # how many random numbers the kernels consume (see the _kernels docstring)
        live = g_state != OUT_OF_RANGE
        cand = (g_state == NLOSV) | ((g_state == LOS) & (p_below > 0) if use_prob else False)
        rows = np.flatnonzero(tx.sender >= 0)
        self_pair = (inv[rows], tx.sender[rows])
        n_live = int(live.sum(1)[inv].sum() - live[self_pair].sum())
        n_cand = int(cand.sum(1)[inv].sum() - cand[self_pair].sum())
        z_sf = rng.standard_normal(n_live) if cfg.shadowing else np.zeros(0)
        z_b = rng.standard_normal(n_cand)
        u_los = rng.random(n_live) if use_prob else np.zeros(0)
        u_del = rng.random(n_live)
        u_acc = rng.random(n)
        e_acc = rng.standard_exponential(n)

        airtime = prof.airtime_us(tx.size_bytes)
        gain = prof.tx_gain_dbi + prof.rx_gain_dbi
        budget = (inv, tx.sender, tx.tx_power_dbm, gain, g_state, g_below, g_pl, g_mu, use_prob,
                  p_los, p_below, p_mu, PL.SIGMA_LOS_DB, PL.SIGMA_NLOSV_DB, PL.SIGMA_NLOS_DB,
                  cfg.shadowing, z_sf, z_b, u_los, prof.cs_threshold_dbm, airtime)
        if self.backend == "numba":
            power, state, heard = np.empty((n, m)), np.empty((n, m), np.int8), np.empty(m)
            K.link_budget(*budget, power, state, heard)
        else:
            power, state, heard = R.link_budget_ref(*budget)

        if congestion is not None:
            congestion.record(time_us, rx.ids, heard)
            cbr = congestion.cbr(time_us, rx.ids)
        else:
            cbr = np.zeros(m)
        pdr = 0.0 if cfg.in_blackout(time_us) else cfg.pdr
        deliver = (inv, tx.sender, tx.size_bytes, airtime, power, state, g_dist, cbr,
                   prof.cs_threshold_dbm, prof.sensitivity_dbm, prof.per_slope_db,
                   float(prof.reference_bytes), float(prof.overhead_bytes),
                   prof.collision_at_ref, prof.cbr_ref, prof.collision_exponent,
                   prof.collision_max, pdr, u_del, prof.latency_floor_us, prof.access_uniform_us,
                   prof.access_exp_mean_us, prof.cbr_latency_cap, u_acc, e_acc,
                   int(cfg.extra_latency_us))
        if self.backend == "numba":
            delivered, latency = np.empty((n, m), bool), np.empty((n, m), np.int64)
            K.link_delivery(*deliver, delivered, latency)
        else:
            delivered, latency = R.link_delivery_ref(*deliver)
        return LinkResult(delivered, latency, power.astype(np.float32), state, cbr)
