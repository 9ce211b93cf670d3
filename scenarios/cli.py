"""``kav``: the command line.

    kav run SCENARIO [--seed N] [--out DIR] [--planner NAME|module:Class] [--duration S]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scenarios.catalog import builtin_catalog


def _parser() -> argparse.ArgumentParser:
    from scenarios.version import code_version

    p = argparse.ArgumentParser(prog="kav", description="kav: Korean L4 simulation and V2X "
                                "testbed")
    p.add_argument("--version", action="version",
                   version=f"kav {code_version()['package']}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run one scenario on the embedded engine")
    r.add_argument("scenario", help="scenario id from the catalogue (see `kav scenarios`)")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--out", type=Path, default=None,
                   help="output folder (default runs/<scenario>-<seed>/)")
    r.add_argument("--planner", default=None,
                   help="planner name or package.module:Class (default: the scenario's)")
    r.add_argument("--duration", type=float, default=None,
                   help="override the scenario duration [s]")
    r.add_argument("--quiet", action="store_true", help="print only errors")
    sub.add_parser("scenarios", help="list the built-in scenarios")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    catalog = builtin_catalog()
    if args.command == "scenarios":
        for sid in catalog.ids():
            spec = catalog.get(sid)
            print(f"{sid:24s} {spec.zone:12s} {spec.title}")
        return 0
    if args.command == "run":
        from scenarios.runner import run
        from sim.roadnet.xodr import MapError

        if args.seed < 0:
            print("kav: --seed must be >= 0", file=sys.stderr)
            return 2
        if args.duration is not None and not args.duration > 0:
            print("kav: --duration must be > 0", file=sys.stderr)
            return 2
        try:
            spec = catalog.get(args.scenario)
        except KeyError as exc:
            print(f"kav: {exc.args[0]}", file=sys.stderr)
            return 2
        try:
            run(spec, seed=args.seed, out=args.out, planner_name=args.planner,
                duration_s=args.duration, quiet=args.quiet)
        except (MapError, KeyError, TypeError, ValueError) as exc:
            msg = exc.args[0] if exc.args else str(exc)
            print(f"kav: error: {msg}", file=sys.stderr)
            return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
