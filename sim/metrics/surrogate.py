"""Surrogate safety measures of the ego against every other actor (``shared/design/
metrics.md``, "Surrogate safety measures"; nuPlan ``time_to_collision_within_bound``).

Per state, for every valid other row j:

* box gap g_j [m]: the least distance between the two oriented boxes (0 when touching);
* TTC_j [s] = g_j / closing speed along the line between the centres, constant velocities;
  inf when not closing (the same definition as ``scenarios.criteria.ttc``);
* DRAC_j [m/s^2] = v_c^2 / (2 g_j) for others ahead in the ego's path (centre in front of
  the ego's centre, boxes overlapping laterally across the ego's heading), with v_c the
  closing speed along the ego's heading, v_ego - v_j cos(yaw_j - yaw_ego); counted when
  v_c > 0 and g_j > 0 (a contact is the collision metric's business).
  DRAC > 5 m/s^2 (the Korean L3 emergency trigger) starts an episode; each episode gives
  one ``emergency_braking_required`` event at its start (value = DRAC [m/s^2]).
* nuPlan TTC: ego and others projected at constant velocity at 0.1 s steps up to 3 s;
  TTC = first step at which the projected boxes overlap. Skipped while the ego is stopped
  (< 0.05 m/s); only others not already touching the ego and with their centre ahead of
  the ego's centre count (nuPlan also counts agents beside the ego while the ego straddles
  two lanes; kav leaves those out). ``ttc_within_bound`` = 1 unless some TTC < 0.95 s.

PET (post-encroachment time) at ``finish`` from the stored poses: each box is sampled on a
0.25 m lattice and the samples mark cells of a 0.5 m grid; a cell's occupancy interval for
an actor runs from its first to its last state in the cell. In a cell both used, PET =
(entry of the later one) - (exit of the earlier one), 0 when the intervals overlap; PET_j
= min over shared cells (inf when the swept footprints never share a cell). Accuracy: one
step plus a cell width over the speed; an actor using a cell twice is counted from its
first entry to its last exit (pessimistic).

The per-state measures (gaps, TTC, DRAC, nuPlan TTC) run in one Numba pass,
:func:`sim.metrics._kernels.surrogate_step` (plain twin in :mod:`sim.metrics._reference`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics._kernels import OUT_SIZE, surrogate_step
from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.state import WorldState

DRAC_EMERGENCY = 5.0  # [m/s^2] Korean L3 emergency-braking trigger
NUPLAN_DT = 0.1  # [s] nuPlan TTC projection step
NUPLAN_HORIZON = 3.0  # [s]
NUPLAN_MIN_TTC = 0.95  # [s] nuPlan least_min_ttc
STOPPED_MPS = 0.05  # [m/s]
PET_CELL = 0.5  # [m] conflict-zone grid
PET_SAMPLE = 0.25  # [m] lattice spacing of the box samples (half a cell: no cell skipped)
_NU_T = NUPLAN_DT * np.arange(1, int(round(NUPLAN_HORIZON / NUPLAN_DT)) + 1)


class Surrogate(Metric):
    """TTC, DRAC, minimum distance, PET and nuPlan's TTC bound, ego against every other."""

    name = "surrogate"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx = ctx
        self.r = ctx.ego_row
        n = state.n_actors
        self.min_ttc = np.full(n, np.inf)
        self.min_dist = np.full(n, np.inf)
        self.seen = np.zeros(n, bool)
        self.max_drac = 0.0
        self.nu_min = math.inf
        self.in_episode = False
        self.events: list[MetricEvent] = []
        self._out = np.empty(OUT_SIZE)  # surrogate_step's per-state results
        self.ttc_series: list[float] = []
        self.dist_series: list[float] = []
        self.drac_series: list[float] = []
        self.poses: list[np.ndarray] = []  # (4, n) x, y, yaw, valid per state
        self.times: list[float] = []
        # start cannot return events: one the initial state shows goes out with step 1
        self.pending = self._observe(state)

    def update(self, step: StepInput) -> list[MetricEvent]:
        out, self.pending = self.pending + self._observe(step.state), []
        return out

    def _observe(self, st: WorldState) -> list[MetricEvent]:
        self.poses.append(np.stack([st.x, st.y, st.yaw, st.valid.astype(float)]))
        self.times.append(st.time_us / 1e6)
        out = self._out
        row = surrogate_step(self.r, st.valid, st.x, st.y, st.yaw, st.speed, st.length,
                             st.width, _NU_T, STOPPED_MPS, NUPLAN_HORIZON, self.min_ttc,
                             self.min_dist, self.seen, out)
        ttc, gap, drac, nu = out.tolist()
        self.ttc_series.append(ttc)
        self.dist_series.append(gap)
        self.drac_series.append(drac)
        if row >= 0:
            self.max_drac = max(self.max_drac, drac)
            self.nu_min = min(self.nu_min, nu)
        return self._episode(drac, st, row)

    def _episode(self, drac: float, st: WorldState, row: int) -> list[MetricEvent]:
        if drac <= DRAC_EMERGENCY:
            self.in_episode = False
            return []
        if self.in_episode:
            return []
        self.in_episode = True
        r = self.r
        ev = MetricEvent(self.name, "emergency_braking_required", st.time_us / 1e6,
                         float(st.x[r]), float(st.y[r]), actors=(int(st.actor_id[row]),),
                         value=drac, detail=f"{drac:.2f} m/s^2 needed to avoid row {row} "
                                            f"(> {DRAC_EMERGENCY:g} m/s^2)")
        self.events.append(ev)
        return [ev]

    def finish(self, state: WorldState) -> MetricReport:
        pet = self._pet(state)
        rows = np.flatnonzero(self.seen)
        values = {
            "min_ttc_s": float(self.min_ttc.min(initial=np.inf)),
            "max_drac_mps2": self.max_drac,
            "min_distance_m": float(self.min_dist.min(initial=np.inf)),
            "pet_s": float(pet.min(initial=np.inf)),
            "ttc_within_bound": 1.0 if self.nu_min >= NUPLAN_MIN_TTC else 0.0,
            "nuplan_min_ttc_s": self.nu_min,
            "emergency_braking_events": float(len(self.events)),
        }
        units = {"min_ttc_s": "s", "max_drac_mps2": "m/s^2", "min_distance_m": "m",
                 "pet_s": "s", "ttc_within_bound": "bool", "nuplan_min_ttc_s": "s",
                 "emergency_braking_events": "count"}
        for j in rows.tolist():
            for key, arr, unit in (("min_ttc_s", self.min_ttc, "s"),
                                   ("min_distance_m", self.min_dist, "m"),
                                   ("pet_s", pet, "s")):
                values[f"{key}:{j}"] = float(arr[j])
                units[f"{key}:{j}"] = unit
        series = {"ttc_s": np.asarray(self.ttc_series), "min_distance_m":
                  np.asarray(self.dist_series), "drac_mps2": np.asarray(self.drac_series)}
        return MetricReport(self.name, values, units, tuple(self.events), series)

    def _pet(self, state: WorldState) -> np.ndarray:
        """(n,) PET [s] of every row against the ego (inf: never shared a cell)."""
        r, n = self.r, state.n_actors
        out = np.full(n, np.inf)
        poses = np.stack(self.poses)  # (T, 4, n)
        t = np.asarray(self.times)
        ev = poses[:, 3, r] > 0
        if not ev.any():
            return out
        ekeys, ein, eout = _cells(poses[ev, 0, r], poses[ev, 1, r], poses[ev, 2, r], t[ev],
                                  float(state.length[r]), float(state.width[r]))
        reach = 0.5 * (math.hypot(state.length[r], state.width[r]) + 1.0)
        ex, ey = poses[ev, 0, r], poses[ev, 1, r]
        box = (ex.min(), ex.max(), ey.min(), ey.max())
        for j in np.flatnonzero(self.seen).tolist():
            v = poses[:, 3, j] > 0
            x, y = poses[v, 0, j], poses[v, 1, j]
            pad = reach + 0.5 * math.hypot(state.length[j], state.width[j])
            near = ((x >= box[0] - pad) & (x <= box[1] + pad) & (y >= box[2] - pad)
                    & (y <= box[3] + pad))
            if not near.any():  # never near the ego's path: no shared cell possible
                continue
            keys, tin, tout = _cells(x, y, poses[v, 2, j], t[v], float(state.length[j]),
                                     float(state.width[j]))
            _, ie, ij = np.intersect1d(ekeys, keys, assume_unique=True, return_indices=True)
            if len(ie):
                p = np.maximum(tin[ij] - eout[ie], ein[ie] - tout[ij])
                out[j] = float(np.maximum(p, 0.0).min())
        return out


def _cells(x, y, yaw, t, length, width) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid cells a box covers along a track (x, y, yaw, t: (T,)): unique cell keys (m,)
    int64 with the first and last time [s] each was covered."""
    u = np.linspace(-0.5 * length, 0.5 * length, max(2, math.ceil(length / PET_SAMPLE) + 1))
    v = np.linspace(-0.5 * width, 0.5 * width, max(2, math.ceil(width / PET_SAMPLE) + 1))
    uu, vv = (a.ravel() for a in np.meshgrid(u, v))
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    px = x[:, None] + uu * c - vv * s
    py = y[:, None] + uu * s + vv * c
    ix = np.floor(px / PET_CELL).astype(np.int64)
    iy = np.floor(py / PET_CELL).astype(np.int64)
    keys = ((ix + (1 << 30)) << 31 | (iy + (1 << 30))).ravel()
    times = np.broadcast_to(t[:, None], px.shape).ravel()
    order = np.argsort(keys, kind="stable")  # stable: times stay ascending within a key
    k, tt = keys[order], times[order]
    start = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    end = np.r_[start[1:], len(k)] - 1
    return k[start], tt[start], tt[end]
