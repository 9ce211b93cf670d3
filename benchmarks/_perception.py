"""Perception timings: the Numba kernels vs their plain-Python reference, side by side on the
same inputs (warm: compiled and cached first; median of repeats; outputs checked equal).

``bench_kf_bank`` times one tracker step (predict + gate + assign + update) of a bank of
confirmed tracks; ``bench_clustering`` one lidar frame through ground removal, clustering
and box fitting. Each returns ``dict(name, kav_ms, reference_ms, ratio, ...)``.
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from planners.perception import _reference as R  # noqa: E402
from planners.perception.clustering import ClusterConfig, cluster_points  # noqa: E402
from planners.perception.tracking import Measurements, TrackerBank, TrackerConfig  # noqa: E402

DT_US = 100_000


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _targets(n: int, k: int, rng) -> Measurements:
    """n objects on a 12 m lattice moving at 10 m/s in varied directions, noisy, at step k."""
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid(np.arange(side) * 12.0, np.arange(side) * 12.0)
    x0, y0 = gx.ravel()[:n], gy.ravel()[:n]
    yaw = np.linspace(-np.pi, np.pi, n, endpoint=False)
    t = k * DT_US * 1e-6
    return Measurements.from_arrays(x0 + 10 * np.cos(yaw) * t + rng.normal(0, 0.3, n),
                                    y0 + 10 * np.sin(yaw) * t + rng.normal(0, 0.3, n), yaw, 10.0,
                                    pos_sigma=0.3, vel_sigma=0.5)


def bench_kf_bank(n_tracks: int = 200, model: str = "cv", repeats: int = 7,
                  ref_repeats: int = 3) -> dict:
    """One ``TrackerBank.step`` with ``n_tracks`` confirmed tracks and as many measurements."""
    rng = np.random.default_rng(0)
    cfg = TrackerConfig(model=model, max_tracks=max(256, n_tracks))
    bank = TrackerBank(cfg)
    for k in range(5):  # warm-up: compiles, and confirms every track
        bank.step(k * DT_US, _targets(n_tracks, k, rng))
    meas = _targets(n_tracks, 5, rng)

    def run(kernels):
        b = copy.deepcopy(bank, {id(bank._K): bank._K})  # modules do not copy
        b._K = kernels  # same bank state, kernels swapped
        t0 = time.perf_counter()
        out = b.step(5 * DT_US, meas)
        return (time.perf_counter() - t0) * 1e3, out

    import planners.perception._kernels as K

    kav = [run(K) for _ in range(repeats)]
    ref = [run(R.as_kernels()) for _ in range(ref_repeats)]
    a, b = kav[0][1], ref[0][1]
    same = (np.array_equal(a.track_id, b.track_id) and np.allclose(a.x, b.x, atol=1e-6)
            and np.allclose(a.vx, b.vx, atol=1e-6))
    kav_ms = statistics.median(t for t, _ in kav)
    ref_ms = statistics.median(t for t, _ in ref)
    return dict(name=f"kf_bank_{model}_{n_tracks}", kav_ms=kav_ms, reference_ms=ref_ms,
                ratio=ref_ms / kav_ms, equivalent=bool(same), confirmed=int(a.confirmed.sum()))


def synthetic_cloud(n_points: int = 22000, n_objects: int = 30, seed: int = 0):
    """About n_points: half ground over 100 x 100 m, half on the side faces of boxes."""
    rng = np.random.default_rng(seed)
    n_ground = n_points // 2
    parts = [(rng.uniform(-50, 50, n_ground), rng.uniform(-50, 50, n_ground),
              rng.normal(0, 0.03, n_ground))]
    per = (n_points - n_ground) // n_objects
    for i in range(n_objects):
        cx, cy = (i % 6) * 15.0 - 40, (i // 6) * 15.0 - 40
        yaw, length, width = rng.uniform(-np.pi, np.pi), rng.uniform(4, 11), rng.uniform(1.7, 2.5)
        u = rng.uniform(-0.5, 0.5, per) * length
        v = np.where(rng.random(per) < 0.5, -0.5, 0.5) * width
        side = rng.random(per) < width / (length + width)  # short faces get their share
        u, v = np.where(side, np.sign(u) * length / 2, u), np.where(side, v * rng.random(per) * 2,
                                                                     v)
        c, s = np.cos(yaw), np.sin(yaw)
        parts.append((cx + c * u - s * v, cy + s * u + c * v, rng.uniform(0.3, 2.0, per)))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def bench_clustering(n_points: int = 22000, repeats: int = 7, ref_repeats: int = 2) -> dict:
    x, y, z = synthetic_cloud(n_points)
    cfg = ClusterConfig()
    a = cluster_points(x, y, z, cfg)  # warm-up (compile / load the cache)
    kav_ms = _median_ms(lambda: cluster_points(x, y, z, cfg), repeats)
    kr = R.as_kernels()
    b = cluster_points(x, y, z, cfg, kernels=kr)
    ref_ms = _median_ms(lambda: cluster_points(x, y, z, cfg, kernels=kr), ref_repeats)
    same = a.n == b.n and np.allclose(a.x, b.x) and np.allclose(a.length, b.length)
    return dict(name=f"clustering_{len(x)}", kav_ms=kav_ms, reference_ms=ref_ms,
                ratio=ref_ms / kav_ms, equivalent=bool(same), detections=a.n)


if __name__ == "__main__":
    for row in (bench_kf_bank(200, "cv"), bench_kf_bank(200, "ctrv"), bench_clustering()):
        print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in row.items()))
