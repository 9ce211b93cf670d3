"""Closed loop: simulated seconds per wall second of a full ``kav run``, and where time goes.

A 60 s Korean catalogue scenario (default ``dg-motorway-rsu``: Daegu auto-only road, RSU
DENM warning, 20 vehicles) with kav's reference stack at 20 Hz, V2X on, metrics and the
signed MCAP recording on -- the configuration the issue's target (>= 100x real time on one
core) names -- beside the same run with V2X and recording off, in one process, warm
(a first run compiles the kernels and is not timed). Every configuration runs ``--repeats``
times; the median loop time is reported, and the runs of one configuration must agree on
the state-history hash (a benchmark that changed the result would be meaningless).

Usage: ``python benchmarks/closed_loop.py [--scenario ID] [--duration S] [--repeats N]``.
"""

from __future__ import annotations

import os
import sys

if "numba" not in sys.modules:  # one core, as the target is stated
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from scenarios.cli import load_any  # noqa: E402
from scenarios.publish import run  # noqa: E402

STAGES = ("director", "sensors", "v2x", "planner", "engine", "metrics", "recorder")
CONFIGS = (("full: V2X + metrics + recording", True, True),
           ("no V2X, no recording (metrics on)", False, False))


def measure(spec, duration: float, v2x: bool, record: bool, repeats: int, tmp: Path,
            key: Path) -> dict:
    loops, hashes, stages, wall = [], set(), [], []
    for i in range(repeats):
        res = run(spec, 0, tmp / f"run-{v2x}-{record}-{i}", duration_s=duration, quiet=True,
                  v2x=v2x, record=record, key_path=key)
        loops.append(res.loop_time_s)
        wall.append(res.wall_time_s)
        hashes.add(res.state_history_sha256)
        stages.append(res.stage_time_s)
    if len(hashes) != 1:
        raise SystemExit(f"runs disagree: {sorted(hashes)}")
    mid = sorted(range(repeats), key=lambda j: loops[j])[repeats // 2]
    return {"loop_s": loops[mid], "wall_s": statistics.median(wall), "stages": stages[mid],
            "sim_s": res.duration_s, "hash": hashes.pop(), "verdict": res.verdict}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="dg-motorway-rsu")
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    spec = load_any(args.scenario)
    with tempfile.TemporaryDirectory(prefix="kav-bench-") as t:
        tmp = Path(t)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = tmp / "key.pem"
        key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        # warm-up: compiles (or loads) every kernel and the planner, not timed
        run(spec, 0, tmp / "warm", duration_s=2.0, quiet=True, key_path=key)
        rows = [(name, measure(spec, args.duration, v2x, rec, args.repeats, tmp, key))
                for name, v2x, rec in CONFIGS]
    print(f"closed loop, {args.scenario}, {args.duration:.0f} s simulated at 20 Hz, one core, "
          f"median of {args.repeats}")
    print(f"{'configuration':36s} {'loop s':>7s} {'x real time':>11s} {'vs full':>8s}  "
          + " ".join(f"{s:>8s}" for s in STAGES))
    base = rows[0][1]["loop_s"]
    for name, r in rows:
        total = sum(r["stages"].values()) or 1.0
        shares = " ".join(f"{100 * r['stages'].get(s, 0.0) / total:7.1f}%" for s in STAGES)
        print(f"{name:36s} {r['loop_s']:7.2f} {r['sim_s'] / r['loop_s']:10.1f}x "
              f"{base / r['loop_s']:7.2f}x  {shares}")
    print("target: >= 100x real time for the full configuration; verdicts: "
          + ", ".join(f"{n.split(':')[0]} {r['verdict']}" for n, r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
