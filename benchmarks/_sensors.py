"""Sensor kernels vs their plain-Python twins: helpers returning plain dicts.

* ``bench_object_sensor``: :func:`sim.sensors._kernels.object_visibility` vs
  :func:`sim.sensors._reference.object_visibility_ref` on the same random urban scene
  (actors and buildings around the ego), warm (first call left out), median of repeats; the
  outputs must be identical. The reference is brute force (every sight line against every
  box), so the ratio includes the kernel's bounding-circle early-outs as well as compilation.
* ``bench_lidar``: :func:`sim.sensors._kernels.lidar_scan` for one revolution (64 beams x
  1,800 columns = 115,200 rays by default) against boxes around the ego; the reference is
  far too slow for every ray, so it runs on a subsample of azimuth columns, is checked
  against the kernel's columns, and its time is extrapolated per ray.

``python benchmarks/_sensors.py`` prints a table.
"""

from __future__ import annotations

import os
import sys

if "numba" not in sys.modules:  # one core; must be set before numba is imported
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from sim.actors import ActorKind, kind_table  # noqa: E402
from sim.roadnet.network import Structures  # noqa: E402
from sim.sensors import _kernels as K  # noqa: E402
from sim.sensors import _reference as R  # noqa: E402
from sim.sensors.lidar import LidarConfig, range_image, scan, scene_boxes, sensor_origin  # noqa: E402
from sim.sensors.objects import ObjectSensorConfig, detect_objects, mount_point  # noqa: E402
from sim.state import WorldState, empty_state  # noqa: E402

LIDAR_TARGET_MS = 15.0
RANGE_TOL = 1e-9  # [m] kernel vs reference


def random_scene(n_actors: int, n_structures: int, half_extent_m: float = 100.0,
                 seed: int = 0) -> tuple[WorldState, Structures]:
    """Row 0 is the ego at the origin heading +x; the other actors (mostly cars) at 4 m to
    ``half_extent_m`` [m] from it, uniform in distance and bearing; buildings of 8-30 m at
    25 m to 1.2 ``half_extent_m`` (at least 30 m) from it."""
    rng = np.random.default_rng(seed)
    n = n_actors
    kind = rng.choice(np.arange(6), n, p=[0.6, 0.08, 0.08, 0.08, 0.1, 0.06]).astype(np.int8)
    kind[0] = ActorKind.CAR
    r = rng.uniform(4.0, half_extent_m, n)
    ang = rng.uniform(-np.pi, np.pi, n)
    x, y = r * np.cos(ang), r * np.sin(ang)
    x[0] = y[0] = 0.0
    yaw = rng.uniform(-np.pi, np.pi, n)
    yaw[0] = 0.0
    state = empty_state(n).replace(
        valid=np.ones(n, bool), actor_id=np.arange(n, dtype=np.int32), kind=kind, x=x, y=y,
        yaw=yaw, speed=rng.uniform(0, 15, n), length=kind_table("length")[kind],
        width=kind_table("width")[kind])
    m = n_structures
    sr = rng.uniform(25.0, max(1.2 * half_extent_m, 30.0), m)
    sa = rng.uniform(-np.pi, np.pi, m)
    st = Structures(tuple(f"0:{i}" for i in range(m)), ("building",) * m, sr * np.cos(sa),
                    sr * np.sin(sa), rng.uniform(-np.pi, np.pi, m), rng.uniform(8, 30, m),
                    rng.uniform(8, 30, m), rng.uniform(4, 40, m))
    return state, st


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm: compile or load from cache, first call left out
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def bench_object_sensor(n_actors: int, n_structures: int = 60, repeats: int = 5,
                        ref_repeats: int = 3, seed: int = 0) -> dict:
    """Visibility kernel vs reference, milliseconds per call (median, warm)."""
    state, st = random_scene(n_actors, n_structures, seed=seed)
    cfg = ObjectSensorConfig()
    ox, oy = mount_point(state, 0, cfg.mount_x)
    args = (ox, oy, 1.0, 0.0, -2.0, cfg.range_m, True, cfg.samples_per_side, state.valid,
            state.x, state.y, state.yaw, state.length, state.width, 0, st.x, st.y, st.yaw,
            st.length, st.width)
    out = np.zeros(n_actors)
    kav_ms = _median_ms(lambda: K.object_visibility(*args, out), repeats)
    ref = R.object_visibility_ref(*args)
    ref_ms = _median_ms(lambda: R.object_visibility_ref(*args), ref_repeats)
    rng = np.random.default_rng(seed)
    full_ms = _median_ms(lambda: detect_objects(state, st, 0, cfg, rng), repeats)
    return dict(name=f"object sensor, {n_actors} actors, {n_structures} structures",
                kav_ms=kav_ms, reference_ms=ref_ms, ratio=ref_ms / kav_ms,
                equal=bool(np.array_equal(out, ref)), detect_objects_ms=full_ms,
                visible=int((out >= cfg.min_visible_fraction).sum()))


def bench_lidar(n_rays: int = 115_200, n_boxes: int = 40, n_structures: int = 0,
                repeats: int = 5, ref_columns: int = 24, seed: int = 0) -> dict:
    """Lidar kernel, one revolution of 64 beams x n_rays / 64 columns against ``n_boxes``
    actors within 50 m (and ``n_structures`` buildings), ms per call (median, warm)."""
    n_beams = 64
    if n_rays % n_beams:
        raise ValueError(f"n_rays must be a multiple of {n_beams}, got {n_rays}")
    cfg = LidarConfig(n_beams=n_beams, n_azimuth=n_rays // n_beams)
    state, st = random_scene(n_boxes + 1, n_structures, half_extent_m=50.0, seed=seed)
    kav_ms = _median_ms(lambda: range_image(state, st, 0, cfg), repeats)
    rng = np.random.default_rng(seed)
    scan_ms = _median_ms(lambda: scan(state, st, 0, cfg, rng), repeats)
    r_img, h_img = range_image(state, st, 0, cfg)
    cols = np.linspace(0, cfg.n_azimuth - 1, ref_columns).round().astype(int)
    ox, oy, oz = sensor_origin(state, 0, cfg)
    args = (ox, oy, oz, float(state.yaw[0]), cfg.elevations(), cfg.n_azimuth, cfg.range_m,
            *scene_boxes(state, st, 0))
    t = time.perf_counter()
    rr, hh = R.lidar_scan_ref(*args, columns=cols)
    ref_s = time.perf_counter() - t
    fin = np.isfinite(rr)
    equal = (np.array_equal(hh, h_img[:, cols]) and np.array_equal(fin, np.isfinite(r_img[:, cols]))
             and bool(np.all(np.abs(rr[fin] - r_img[:, cols][fin]) <= RANGE_TOL)))
    ref_ms = 1e3 * ref_s * n_rays / rr.size
    hits = h_img != K.NO_HIT
    return dict(name=f"lidar, {n_rays} rays, {n_boxes} actors + {n_structures} structures",
                kav_ms=kav_ms, target_ms=LIDAR_TARGET_MS, scan_ms=scan_ms,
                reference_ms=ref_ms, ratio=ref_ms / kav_ms, equal=bool(equal),
                reference_note=f"reference timed on {rr.size} rays ({ref_columns} columns), "
                               "extrapolated per ray",
                actor_hits=int((h_img >= 0).sum()), returns=int(hits.sum()))


def main() -> None:
    rows = [bench_object_sensor(50), bench_object_sensor(200),
            bench_lidar(), bench_lidar(n_boxes=40, n_structures=20)]
    print(f"{'case':<52} {'kav ms':>9} {'ref ms':>10} {'ratio':>7}  equal  notes")
    for r in rows:
        notes = []
        if "detect_objects_ms" in r:
            notes.append(f"detect_objects {r['detect_objects_ms']:.3f} ms")
        if "target_ms" in r:
            ok = "met" if r["kav_ms"] <= r["target_ms"] else "NOT met"
            notes.append(f"target {r['target_ms']:.0f} ms {ok}; scan {r['scan_ms']:.2f} ms; "
                         f"{r['reference_note']}")
        print(f"{r['name']:<52} {r['kav_ms']:9.3f} {r['reference_ms']:10.1f} "
              f"{r['ratio']:7.0f}  {str(r['equal']):<5}  {'; '.join(notes)}")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}; kernels are serial")


if __name__ == "__main__":
    main()
