"""Fusion of objects reported from elsewhere (V2X collective perception messages, roadside
detectors) with the ego's own measurements, through one tracker.

A report describes an object as it was ``age_us`` ago. It is moved forward to now at
constant velocity, its position std is inflated for the time it has been travelling
(speed and heading may have changed since), and it is then an ordinary measurement of the
tracker from its own source: so an object only a roadside unit sees still becomes a
confirmed track, and an object seen by both the ego and a remote source stays one track
(the tracker processes sources one after another and matches each to existing tracks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planners.perception.tracking import Measurements, TrackerBank, Tracks


@dataclass(frozen=True)
class ExternalObjects:
    """Objects reported by remote sources, each (k,).

    x, y: float64 [m] world frame at report time; yaw: float64 [rad] heading; speed: float64
    [m/s] along yaw; length, width: float64 [m]; kind: int8 :class:`sim.actors.ActorKind`;
    age_us: int64 [us] how old the report is at the fusion time; pos_sigma: float64 [m]
    position std at report time; source: int32 sender id (station id, RSU id).
    """

    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    length: np.ndarray
    width: np.ndarray
    kind: np.ndarray
    age_us: np.ndarray
    pos_sigma: np.ndarray
    source: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class FusionConfig:
    """max_age_us: [us] older reports are rejected; sigma_growth: [m/s] position std added
    (in quadrature) per second of report age; vel_sigma: [m/s] std of a reported speed;
    yaw_sigma: [rad] std of a reported heading (NaN: do not use headings)."""

    max_age_us: int = 1_000_000
    sigma_growth: float = 1.5
    vel_sigma: float = 1.0
    yaw_sigma: float = 0.2


def external_measurements(external: ExternalObjects, cfg: FusionConfig | None = None,
                          first_source: int = 1) -> Measurements:
    """Reports younger than ``cfg.max_age_us`` as measurements at fusion time: propagated
    by their age at constant velocity, position std inflated with age. Sources are renumbered
    ``first_source, first_source + 1, ...`` in ascending sender id, so that they follow the
    ego's own sources in the tracker."""
    cfg = FusionConfig() if cfg is None else cfg
    age_us = np.asarray(external.age_us, np.int64)
    keep = (age_us <= cfg.max_age_us) & np.isfinite(external.x) & np.isfinite(external.y)
    e = {f: np.asarray(getattr(external, f))[keep] for f in ExternalObjects.__dataclass_fields__}
    age = np.maximum(e["age_us"], 0) * 1e-6  # a report from the future is taken as current
    speed = np.where(np.isfinite(e["speed"]), e["speed"], 0.0)
    yaw = np.where(np.isfinite(e["yaw"]), e["yaw"], 0.0)
    x = e["x"] + speed * np.cos(yaw) * age
    y = e["y"] + speed * np.sin(yaw) * age
    sigma = np.hypot(e["pos_sigma"], cfg.sigma_growth * age)
    _, src = np.unique(e["source"], return_inverse=True)
    vel_sigma = np.where(np.isfinite(e["speed"]) & np.isfinite(e["yaw"]), cfg.vel_sigma, np.nan)
    return Measurements.from_arrays(
        x, y, e["yaw"], speed, e["length"], e["width"], e["kind"], sigma, vel_sigma,
        cfg.yaw_sigma, first_source + src.reshape(-1).astype(np.int32))


def fuse(bank: TrackerBank, time_us: int, own: Measurements | None,
         external: ExternalObjects | None = None, cfg: FusionConfig | None = None) -> Tracks:
    """One tracker step at ``time_us`` [us] with the ego's measurements and remote reports.

    The ego's sources are processed first (they are usually the most precise and the most
    recent), then each remote sender in turn. Pass each report once, when it arrives: the
    tracker keeps tracks alive between reports (``death_misses``).
    """
    parts = [] if own is None or own.n == 0 else [own]
    if external is not None and external.n:
        first = 0 if own is None or own.n == 0 else int(own.source.max()) + 1
        ext = external_measurements(external, cfg, first)
        if ext.n:
            parts.append(ext)
    meas = Measurements.concat(*parts) if parts else None
    return bank.step(time_us, meas)
