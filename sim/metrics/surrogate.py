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
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.metrics.geometry import box_gap, overlaps, to_frame
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
        r = self.r
        self.poses.append(np.stack([st.x, st.y, st.yaw, st.valid.astype(float)]))
        self.times.append(st.time_us / 1e6)
        mask = st.valid.copy()
        mask[r] = False
        o = np.flatnonzero(mask)
        if not st.valid[r] or len(o) == 0:
            self.ttc_series.append(math.inf)
            self.dist_series.append(math.inf)
            self.drac_series.append(0.0)
            return self._episode(0.0, st, -1)
        self.seen[o] = True
        ex, ey, eyaw, ev = float(st.x[r]), float(st.y[r]), float(st.yaw[r]), float(st.speed[r])
        el, ew = float(st.length[r]), float(st.width[r])
        gap = box_gap(ex, ey, eyaw, el, ew, st.x[o], st.y[o], st.yaw[o], st.length[o],
                      st.width[o])
        dx, dy = st.x[o] - ex, st.y[o] - ey
        dist = np.maximum(np.hypot(dx, dy), 1e-9)
        vex, vey = ev * math.cos(eyaw), ev * math.sin(eyaw)
        vox, voy = st.speed[o] * np.cos(st.yaw[o]), st.speed[o] * np.sin(st.yaw[o])
        closing = ((vex - vox) * dx + (vey - voy) * dy) / dist
        ttc = np.full(len(o), np.inf)
        cl = closing > 1e-6
        ttc[cl] = gap[cl] / closing[cl]
        self.min_ttc[o] = np.minimum(self.min_ttc[o], ttc)
        self.min_dist[o] = np.minimum(self.min_dist[o], gap)
        self.ttc_series.append(float(ttc.min()))
        self.dist_series.append(float(gap.min()))
        # DRAC for those ahead in the ego's path
        lon, lat = to_frame(ex, ey, eyaw, st.x[o], st.y[o])
        rel = st.yaw[o] - eyaw
        half_lat = 0.5 * (st.length[o] * np.abs(np.sin(rel)) + st.width[o] * np.abs(np.cos(rel)))
        vc = ev - st.speed[o] * np.cos(rel)
        path = (lon > 0) & (np.abs(lat) < 0.5 * ew + half_lat) & (vc > 0) & (gap > 0)
        drac = np.zeros(len(o))
        drac[path] = vc[path] ** 2 / (2.0 * gap[path])
        k = int(np.argmax(drac))
        self.max_drac = max(self.max_drac, float(drac[k]))
        self.drac_series.append(float(drac[k]))
        self._nuplan(st, o, gap, dist, dx, dy, vex - vox, vey - voy, lon)
        return self._episode(float(drac[k]), st, int(o[k]))

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

    def _nuplan(self, st, o, gap, dist, dx, dy, rvx, rvy, lon) -> None:
        """Constant-velocity projection TTC (nuPlan); updates ``nu_min``."""
        r = self.r
        if abs(st.speed[r]) < STOPPED_MPS:
            return
        reach = 0.5 * (math.hypot(st.length[r], st.width[r])
                       + np.hypot(st.length[o], st.width[o]))
        # the boxes can meet within the horizon only if the relative motion covers the
        # distance between their circumscribed circles
        cand = (gap > 0) & (lon > 0) & (dist - reach <= NUPLAN_HORIZON * np.hypot(rvx, rvy))
        if not cand.any():
            return
        c = np.flatnonzero(cand)
        t = _NU_T[:, None]
        px = dx[c][None, :] - rvx[c][None, :] * t  # other relative to ego at time t
        py = dy[c][None, :] - rvy[c][None, :] * t
        shape = px.shape
        j = o[c]
        hit = overlaps(0.0, 0.0, st.yaw[r], st.length[r], st.width[r], px.ravel(), py.ravel(),
                       np.broadcast_to(st.yaw[j], shape).ravel(),
                       np.broadcast_to(st.length[j], shape).ravel(),
                       np.broadcast_to(st.width[j], shape).ravel()).reshape(shape)
        any_hit = hit.any(axis=0)
        if any_hit.any():
            first = _NU_T[np.argmax(hit[:, any_hit], axis=0)]
            self.nu_min = min(self.nu_min, float(first.min()))

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
