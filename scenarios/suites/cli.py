"""The suite commands of ``kav``: ``suite``, ``suites``, ``suite-report``, ``search``.

    kav suite SUITE|FILE.toml [--out DIR] [--workers N | --ray ADDRESS|local] [--resume]
              [--outputs full|lean|results|none] [--no-progress]
        exit status: 0 every run has a row and none is ERROR, 3 some runs are ERROR,
        130 interrupted (continue with --resume), 2 bad input
    kav suites                      list the built-in suites
    kav suite-report DIR            rewrite the summary, plots, report.html, CSV, Parquet
    kav search SCENARIO --budget N [--objective score|nuplan|ttc|fail] [--seed S]
               [--params A,B] [--top K] [--out DIR] [--workers N] [--duration S]
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_parsers(sub) -> None:
    s = sub.add_parser("suite", help="run a suite of scenario variants (local pool or Ray)")
    s.add_argument("suite", help="built-in suite name (see `kav suites`) or a suite .toml")
    s.add_argument("--out", type=Path, default=None,
                   help="suite folder (default suites/<name>/)")
    _backend_args(s)
    s.add_argument("--resume", action="store_true",
                   help="continue an interrupted suite in --out: finished runs are kept")
    s.add_argument("--outputs", choices=("full", "lean", "results", "none"), default=None,
                   help="what each run writes (default: the suite's, else lean: result.json, "
                        "junit.xml, recording.mcap)")
    s.add_argument("--no-progress", action="store_true", help="no progress line")
    sub.add_parser("suites", help="list the built-in suites")
    r = sub.add_parser("suite-report", help="rewrite a suite's summary, plots and report")
    r.add_argument("folder", type=Path, help="the suite folder (--out of kav suite)")
    f = sub.add_parser("search", help="search a scenario's parameters for failures")
    f.add_argument("scenario", help="catalogue id or scenario file (.toml) with declared "
                                    "parameter ranges")
    f.add_argument("--budget", type=int, required=True, help="number of runs")
    f.add_argument("--objective", choices=("score", "nuplan", "ttc", "fail"),
                   default="score",
                   help="what to minimise: CARLA driving score (default), nuPlan score, the "
                        "smallest TTC (minus the impact speed on a collision), or fail: "
                        "failed scenario criteria first, then the driving score")
    f.add_argument("--seed", type=int, default=0, help="optimiser seed (default 0)")
    f.add_argument("--run-seed", type=int, default=0, help="simulation seed of every run")
    f.add_argument("--params", default=None,
                   help="comma-separated parameters to search (default: every one with a "
                        "declared range or values)")
    f.add_argument("--top", type=int, default=3, help="worst cases to write (default 3)")
    f.add_argument("--duration", type=float, default=None, help="override the duration [s]")
    f.add_argument("--out", type=Path, default=None,
                   help="search folder (default searches/<scenario>-<seed>/)")
    f.add_argument("--resume", action="store_true", help="continue an interrupted search")
    f.add_argument("--no-progress", action="store_true", help="no progress line")
    _backend_args(f)


def _backend_args(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: all cores)")
    g.add_argument("--ray", default=None, metavar="ADDRESS",
                   help="run on a Ray cluster (host:port, ray://..., auto) or 'local' "
                        "(needs pip install 'kav-testbed[distributed]')")


def backend_for(args, suite_dir: Path):
    from scenarios.suites.pool import LocalPool, default_workers

    if args.ray is not None:
        from scenarios.suites.ray_backend import RayPool

        return RayPool(args.ray, str(suite_dir.resolve()),
                       workers=default_workers() if args.ray == "local" else None)
    workers = args.workers if args.workers is not None else default_workers()
    if workers < 1:
        raise ValueError("--workers must be >= 1")
    return LocalPool(workers, str(suite_dir.resolve()))


def main(args) -> int:
    if args.command == "suites":
        return _list()
    if args.command == "suite-report":
        return _report(args.folder)
    if args.command == "search":
        from scenarios.suites.search import search_main

        return search_main(args)
    return _suite(args)


def _fail(msg: str, code: int) -> int:
    print(f"kav: {msg}", file=sys.stderr)
    return code


def _list() -> int:
    from scenarios.suites.plan import SuiteFileError, builtin_suites, load_suite

    for name in builtin_suites():
        try:
            suite = load_suite(name)
        except SuiteFileError as exc:
            print(f"{name:18s} error: {exc}")
            continue
        text = " ".join(suite.description.split())
        first = text.split(": ")[0].split(". ")[0]
        print(f"{name:18s} {len(suite.tasks):5d} runs  {first}")
    return 0


def _suite(args) -> int:
    from dataclasses import replace

    from scenarios.suites.driver import SuiteStateError, run_suite
    from scenarios.suites.plan import Suite, SuiteFileError, load_suite
    from scenarios.suites.store import StoreError
    from scenarios.suites.summary import format_table, summarize

    try:
        suite = load_suite(args.suite)
    except SuiteFileError as exc:
        return _fail(f"error: {exc}", 2)
    if args.outputs:
        suite = Suite(suite.name, suite.description, suite.source,
                      tuple(replace(t, outputs=args.outputs) for t in suite.tasks))
    out = args.out if args.out is not None else Path("suites") / suite.name
    try:
        backend = backend_for(args, out)
        outcome = run_suite(suite, out, backend, resume=args.resume,
                            progress=not args.no_progress)
    except (SuiteStateError, StoreError, ValueError, RuntimeError, OSError) as exc:
        return _fail(f"error: {exc}", 2)
    print(format_table(summarize(outcome.rows)))
    if outcome.interrupted or not outcome.complete:
        print(f"kav: interrupted: {len(outcome.rows)} of {outcome.n_planned} runs stored in "
              f"{out}; continue with: kav suite {args.suite} --out {out} --resume",
              file=sys.stderr)
        return 130
    print(f"kav: {outcome.n_planned} runs ({outcome.ran} now, "
          f"{outcome.n_planned - outcome.ran} from before) in {out}: results.duckdb, "
          "results.parquet, results.csv, report.html")
    return 3 if outcome.errors else 0


def _report(folder: Path) -> int:
    import json

    from scenarios.suites.driver import SUITE_JSON, write_summary
    from scenarios.suites.store import STORE, ResultStore, StoreError

    meta_path = folder / SUITE_JSON
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return _fail(f"error: {meta_path}: not a suite folder ({exc})", 2)
    try:
        with ResultStore(folder / STORE, read_only=True) as store:
            rows = store.rows()
            store.export(folder)
    except StoreError as exc:
        return _fail(f"error: {exc}", 2)
    files = write_summary(folder, rows, meta)
    from scenarios.suites.summary import format_table, summarize

    print(format_table(summarize(rows)))
    print("kav: wrote " + ", ".join(str(f) for f in files))
    return 0
