"""Suite throughput: runs per second of a 20 s scenario with 1 and 2 local workers and on a
local Ray instance, side by side, in one process.

Every configuration runs the same plan (``--runs`` seeds of ``--scenario`` cut to
``--duration`` simulated seconds, outputs ``results``: result.json and junit.xml per run)
through the same code path as ``kav suite``. Kernels are compiled once before anything is
timed. The local pool is timed from the moment it starts its workers (spawning them is part
of what a user waits for); Ray is timed once its instance is up (``ray.init`` is the
cluster's start-up, not the suite's), so Ray's worker start-up and scheduling overhead are
in its time. The configurations must agree on every run's state-history hash.

Targets (issue 7): >= 1.8x from 1 to 2 workers; Ray overhead <= 10 % against the local pool
with the same number of CPUs.

Configurations run interleaved, ``--repeats`` times each, and the median wall time is
reported.

Usage: ``python benchmarks/suite.py [--scenario ID] [--duration S] [--runs N] [--repeats R]
[--no-ray]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from scenarios.suites.plan import expand  # noqa: E402
from scenarios.suites.pool import LocalPool  # noqa: E402
from scenarios.suites.worker import warm_up  # noqa: E402


def plan(scenario: str, duration: float, runs: int):
    data = {"name": "bench", "outputs": "results",
            "runs": [{"scenario": scenario, "duration_s": duration,
                      "seeds": list(range(runs))}]}
    return expand(data, "benchmarks/suite.py", HERE).tasks


def timed(backend, tasks) -> tuple[float, dict]:
    rows = []
    t0 = time.perf_counter()
    backend.run(tasks, rows.append)
    wall = time.perf_counter() - t0
    bad = [r for r in rows if r["verdict"] == "ERROR"]
    if bad:
        raise SystemExit(f"{len(bad)} runs ended in ERROR: {bad[0]['error']}")
    return wall, {r["run_id"]: r["state_sha256"] for r in rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="gn-rtor")
    ap.add_argument("--duration", type=float, default=20.0, help="simulated seconds per run")
    ap.add_argument("--runs", type=int, default=12, help="runs per configuration")
    ap.add_argument("--repeats", type=int, default=3,
                    help="interleaved repeats of every configuration (median reported)")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray configuration")
    args = ap.parse_args(argv)
    tasks = plan(args.scenario, args.duration, args.runs)
    tmp = Path(tempfile.mkdtemp(prefix="kav-bench-suite-"))
    print(f"compiling/loading kernels: {warm_up(tasks[0]):.1f} s", flush=True)
    configs = [("local pool, 1 worker", lambda d: LocalPool(1, d)),
               ("local pool, 2 workers", lambda d: LocalPool(2, d))]
    ray = None
    if not args.no_ray:
        try:
            import ray
        except ImportError:
            print("ray is not installed (pip install 'kav-testbed[distributed]'): skipped")
        else:
            from scenarios.suites.ray_backend import RayPool, init_kwargs

            configs.append(("local Ray, 2 CPUs", lambda d: RayPool("local", d, workers=2)))
    # interleaved repeats, median: a shared 2-core VM drifts by 10-20 % over minutes, which
    # would otherwise land on whichever configuration ran during a slow spell
    walls: dict[str, list[float]] = {label: [] for label, _ in configs}
    hashes: dict[str, dict] = {}
    for rep in range(args.repeats):
        for label, make in configs:
            is_ray = label.startswith("local Ray")
            if is_ray:  # the cluster is up before the clock starts, and down afterwards so
                # its daemons take no CPU from the local pools
                ray.init(**init_kwargs("local", 2))
            try:
                wall, h = timed(make(str(tmp / f"{rep}-{label.replace(' ', '_')}")), tasks)
            finally:
                if is_ray:
                    ray.shutdown()
            walls[label].append(wall)
            hashes[label] = h
            print(f"  {label}: {wall:.1f} s", flush=True)
    results = [(label, statistics.median(walls[label]), hashes[label]) for label, _ in configs]
    if any(h != results[0][2] for _, _, h in results):
        raise SystemExit("configurations disagree on a run's state-history hash")
    one = results[0][1]
    two = results[1][1]
    print(f"\n{args.runs} runs of {args.scenario}, {args.duration:.0f} s simulated each, median "
          f"of {args.repeats} interleaved repeats; every configuration gave the same "
          "state-history hashes\n")
    print(f"| {'configuration':22s} | wall [s] | runs/s | vs 1 worker | vs 2-worker pool |")
    print(f"|{'-' * 24}|---------:|-------:|------------:|-----------------:|")
    for label, wall, _ in results:
        print(f"| {label:22s} | {wall:8.1f} | {args.runs / wall:6.3f} | {one / wall:10.2f}x "
              f"| {two / wall:15.2f}x |")
    print("\ntargets: 2 workers >= 1.80x of 1 worker "
          f"({'met' if one / two >= 1.8 else 'NOT met'}: {one / two:.2f}x)", end="")
    if len(results) > 2:
        overhead = results[2][1] / two - 1.0
        print(f"; Ray overhead <= 10 % ({'met' if overhead <= 0.10 else 'NOT met'}: "
              f"{overhead * 100:+.1f} %)")
    else:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
