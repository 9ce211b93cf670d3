"""Perception-and-planning core: kav's Numba kernels vs their plain references, one table.

Every row runs both sides in this process on identical inputs, warm (first calls, which
compile or load the Numba cache, are left out), median of repeats, and checks the outputs
agree (the lattice: the same chosen trajectory):

* lattice planner at 210 / 1,000 / 4,000 candidates vs the plain-Python planner of
  ``tests/planners/lattice_reference.py`` (targets: >= 100x, <= 2 ms at 1,000);
* collision check of 1,000 candidates vs 10 predicted obstacles vs a vectorised NumPy
  version (target >= 50x);
* object-list sensor visibility (occlusion by actors and buildings) at 50 / 200 actors vs
  plain Python (target >= 40x);
* lidar, 115,200 rays x 40 actor boxes (target <= 15 ms; the plain-Python reference is
  timed on a subset of columns and scaled per ray);
* Kalman-filter tracker bank, one predict + associate + update cycle at 200 tracks.

Usage: ``python benchmarks/planner.py [--quick]`` (``--quick``: fewer repeats, smallest
sizes only; what the smoke test runs).
"""

from __future__ import annotations

import os
import sys

if "numba" not in sys.modules:  # one core, as the targets are stated
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE.parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import _lattice  # noqa: E402
import _perception  # noqa: E402
import _sensors  # noqa: E402

TARGETS = {"lattice": 100.0, "collision": 50.0, "objects": 40.0}


def rows(quick: bool = False) -> list[dict]:
    """The table's rows: dicts with case, kav_ms, ref_ms, ratio, target, equal, note."""
    rep = 3 if quick else 30
    out = []
    for n in ((210,) if quick else (210, 1000, 4000)):
        r = _lattice.bench_lattice(n, repeats=rep, ref_repeats=1 if quick else 3)
        note = "target <= 2 ms" if n == 1000 else ""
        out.append(dict(case=r["name"], kav_ms=r["kav_ms"], ref_ms=r["reference_ms"],
                        ref="plain Python", ratio=r["ratio"], target=TARGETS["lattice"],
                        equal=r["same_choice"], note=note,
                        ok=r["ratio"] >= TARGETS["lattice"] and (n != 1000 or r["kav_ms"] <= 2.0)))
    r = _lattice.bench_collision(1000, 10, repeats=rep)
    out.append(dict(case=r["name"], kav_ms=r["kav_ms"], ref_ms=r["numpy_ms"], ref="NumPy",
                    ratio=r["ratio"], target=TARGETS["collision"], equal=r["equal"], note="",
                    ok=r["ratio"] >= TARGETS["collision"]))
    for n in ((50,) if quick else (50, 200)):
        r = _sensors.bench_object_sensor(n, repeats=rep if quick else 5,
                                         ref_repeats=1 if quick else 3)
        out.append(dict(case=r["name"], kav_ms=r["kav_ms"], ref_ms=r["reference_ms"],
                        ref="plain Python", ratio=r["ratio"], target=TARGETS["objects"],
                        equal=r["equal"], note=f"detect_objects {r['detect_objects_ms']:.3f} ms",
                        ok=r["ratio"] >= TARGETS["objects"]))
    r = _sensors.bench_lidar(n_rays=115_200 if not quick else 11_520, n_boxes=40,
                             repeats=3 if quick else 5, ref_columns=4 if quick else 24)
    out.append(dict(case=r["name"], kav_ms=r["kav_ms"], ref_ms=r["reference_ms"],
                    ref="plain Python (scaled)", ratio=r["ratio"], target=None,
                    equal=r["equal"], note=f"target <= {r['target_ms']:.0f} ms",
                    ok=r["kav_ms"] <= r["target_ms"]))
    r = _perception.bench_kf_bank(200, "cv", repeats=3 if quick else 7,
                                  ref_repeats=1 if quick else 3)
    out.append(dict(case="KF tracker bank (CV), 200 tracks, one cycle", kav_ms=r["kav_ms"],
                    ref_ms=r["reference_ms"], ref="plain Python", ratio=r["ratio"],
                    target=None, equal=r["equivalent"],
                    note="filterpy: 4.5-7.4 ms (shared/design/performance.md)", ok=True))
    return out


def format_table(table: list[dict]) -> str:
    head = (f"{'case':<52} {'kav ms':>9} {'ref ms':>10} {'reference':<22} {'ratio':>8} "
            f"{'target':>7} {'same':>5} {'met':>4}  note")
    lines = [head, "-" * len(head)]
    for r in table:
        target = f">={r['target']:.0f}x" if r["target"] else "-"
        lines.append(f"{r['case']:<52} {r['kav_ms']:>9.3f} {r['ref_ms']:>10.2f} "
                     f"{r['ref']:<22} {r['ratio']:>7.0f}x {target:>7} "
                     f"{'yes' if r['equal'] else 'NO':>5} {'yes' if r['ok'] else 'no':>4}  "
                     f"{r['note']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repeats, smallest sizes")
    args = ap.parse_args(argv)
    table = rows(args.quick)
    print(format_table(table))
    return 0 if all(r["equal"] for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
