"""``kav search``: falsification, the parameter values that make the driving stack fail.

A cross-entropy search (:mod:`scenarios.suites.cem`) over the scenario's declared parameter
ranges, minimising an objective per run: the CARLA driving score, the nuPlan score, or the
smallest time to collision (0 on a collision). Each generation runs on the suite backends
(local pool or Ray) and every run lands in the folder's results store like a suite's, so
the usual summary, heat maps and ``kav suite-report`` work on a search too.

The search is deterministic given its seed: a resumed search asks the same candidates
again and takes the runs the store already has instead of running them twice.

The worst distinct cases are written as ``worst-1.toml`` ...: the scenario file with the
found values as its defaults, ready for ``kav run``.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from scenarios.outputs import atomic_write_text, write_json
from scenarios.suites.cem import CrossEntropySearch, SearchSpace, budget_plan
from scenarios.suites.plan import RunTask
from scenarios.suites.progress import ProgressBar
from scenarios.suites.rows import now_iso
from scenarios.suites.sources import ScenarioSource, resolve_scenario, run_id
from scenarios.suites.store import STORE, ResultStore

SEARCH_JSON = "search.json"
OBJECTIVES = {
    "score": "CARLA Leaderboard 2.0 driving score",
    "nuplan": "nuPlan closed-loop score",
    "ttc": "smallest time to collision [s] (on a collision: minus the impact speed [m/s])",
    "fail": "verdict first (a FAIL ranks below every PASS), then the CARLA driving score",
}


def cost_of(row: dict, objective: str) -> float:
    """What the search minimises for one run (NaN when the run has no value)."""
    if objective == "score":
        return row["carla_ds"]
    if objective == "nuplan":
        return row["nuplan_score"]
    if objective == "fail":
        # the scenario's own criteria say what failing is (an unavoidable crash need not
        # be one); among FAILs and among PASSes the lower driving score is the worse case
        if row["verdict"] not in ("PASS", "FAIL"):
            return math.nan
        ds = row["carla_ds"] if row["carla_ds"] == row["carla_ds"] else 0.0
        return ds - 100.0 if row["verdict"] == "FAIL" else ds
    if row["ego_collisions"] == row["ego_collisions"] and row["ego_collisions"] > 0:
        # among collisions the harder one is the worse case: cost falls below 0
        impact = row["max_impact_speed_mps"]
        return -impact if impact == impact else 0.0
    return row["min_ttc_s"]


@dataclass(frozen=True)
class SearchOutcome:
    rows: list[dict]  # every evaluated run, in order
    costs: list[float]
    worst: list[tuple[float, dict, Path]]  # (cost, row, written scenario file)
    interrupted: bool


def run_search(ref: str, out: Path, backend, *, budget: int, objective: str = "score",
               seed: int = 0, run_seed: int = 0, names: list[str] | None = None,
               top: int = 3, duration_s: float | None = None, resume: bool = False,
               progress: bool = True, stream=None) -> SearchOutcome:
    from scenarios.suites.driver import SUITE_JSON, write_summary
    from scenarios.suites.worker import warm_up

    if budget < 2:
        raise ValueError("--budget must be at least 2 runs")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    src = resolve_scenario(ref, Path.cwd())
    if src.logical is None:
        raise ValueError(f"{ref}: kav search varies kav scenario parameters; OpenSCENARIO "
                         "files are not searched (convert with kav export, or write a .toml)")
    logical, label, content, sid = src.logical, src.label, src.content, src.sid
    if not logical.decls:
        raise ValueError(f"{label} declares no parameters: nothing to search (declare "
                         "[parameters.NAME] with min and max in a copy of the file)")
    space = SearchSpace.from_decls(logical.decls, names)
    settings = {"scenario": label, "content_sha256": content, "budget": budget,
                "objective": objective, "seed": seed, "run_seed": run_seed,
                "params": space.names, "duration_s": duration_s}
    out = Path(out)
    _check_folder(out, settings, resume)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / SEARCH_JSON, {**settings, "started_at": now_iso(), "complete": False})
    population, generations = budget_plan(budget)
    cem = CrossEntropySearch(space, seed=seed, population=population)
    stream = stream if stream is not None else sys.stderr
    store = ResultStore(out / STORE)
    rows: list[dict] = []
    interrupted = False
    try:
        have = {r["run_id"]: r for r in store.rows()}
        bar = ProgressBar(f"kav search {sid}", budget, 0, stream, enabled=progress)
        warmed = False
        while len(rows) < budget:
            cands = cem.ask()[:budget - len(rows)]
            tasks = [_task(src, c, run_seed, duration_s, len(rows) + i)
                     for i, c in enumerate(cands)]
            todo = [t for t in tasks if t.run_id not in have]
            if todo and not warmed:
                warm_up(todo[0])
                warmed = True

            def on_row(row: dict) -> None:
                if store.append(row):
                    have[row["run_id"]] = row
                    bar.update(row)

            try:
                backend.run(todo, on_row)
            except KeyboardInterrupt:
                interrupted = True
                break
            batch = [have[t.run_id] for t in tasks]
            rows.extend(batch)
            cem.tell(cands, [cost_of(r, objective) for r in batch])
        bar.close()
        store.export(out)
    finally:
        store.close()
    costs = [cost_of(r, objective) for r in rows]
    worst = _write_worst(out, logical, rows, costs, top, objective, seed)
    meta = {"suite": f"search-{sid}", "description": f"kav search {label}: minimise "
            f"{OBJECTIVES[objective]}, budget {budget}, seed {seed}",
            "n_planned": budget, "backend": backend.describe(), "finished_at": now_iso()}
    write_json(out / SEARCH_JSON, {**settings, "finished_at": meta["finished_at"],
                                   "complete": len(rows) == budget and not interrupted,
                                   "generations": generations, "population": population,
                                   "worst": [{"cost": _j(c), "params": json.loads(r["params"]),
                                              "verdict": r["verdict"], "file": p.name}
                                             for c, r, p in worst]})
    # `kav suite-report` reads suite.json: a search folder is a suite folder too
    write_json(out / SUITE_JSON, {**meta, "digest": "", "runs": [], "complete": False})
    write_summary(out, rows, meta)
    return SearchOutcome(rows, costs, worst, interrupted)


def _j(v: float):
    return v if math.isfinite(v) else str(v)


def _task(src: ScenarioSource, cand: dict, run_seed: int, duration_s: float | None,
          idx: int) -> RunTask:
    sim_s = duration_s if duration_s is not None else src.sim_s
    return RunTask(idx=idx, run_id=run_id(src.content, cand, run_seed, duration_s, None, True),
                   suite=f"search-{src.sid}", scenario=src.sid, source=src.source,
                   source_label=src.label, params=tuple(sorted(cand.items())), seed=run_seed,
                   repetition=0, duration_s=duration_s, planner=None, v2x=True,
                   timeout_s=60.0 + 5.0 * sim_s, outputs="results",
                   out_dir=f"runs/{idx:05d}-{src.sid}")


def _check_folder(out: Path, settings: dict, resume: bool) -> None:
    path = out / SEARCH_JSON
    if not path.is_file():
        if (out / STORE).exists():
            raise ValueError(f"{out} holds a results store but no {SEARCH_JSON}; choose "
                             "another --out")
        return
    if not resume:
        raise ValueError(f"{out} already holds a search; pass --resume to continue it, or "
                         "choose another --out")
    old = json.loads(path.read_text(encoding="utf-8"))
    diff = [k for k in settings if old.get(k) != settings[k]]
    if diff:
        raise ValueError(f"cannot resume the search in {out}: {', '.join(diff)} changed "
                         "(the runs stored there answer another question); choose another "
                         "--out")


def _write_worst(out: Path, logical, rows, costs, top, objective, seed):
    from scenarios.suites.concrete import concrete_scenario_text

    order = sorted(range(len(rows)), key=lambda i: (math.inf if costs[i] != costs[i]
                                                    else costs[i], i))
    seen, worst = set(), []
    for i in order:
        if len(worst) >= top or not math.isfinite(costs[i]) and costs[i] == costs[i]:
            break
        if costs[i] != costs[i] or rows[i]["params"] in seen:
            continue
        seen.add(rows[i]["params"])
        values = json.loads(rows[i]["params"])
        path = out / f"worst-{len(worst) + 1}.toml"
        header = (f"Found by kav search ({OBJECTIVES[objective]} = {costs[i]:.4g}, verdict "
                  f"{rows[i]['verdict']}, optimiser seed {seed}, simulation seed "
                  f"{rows[i]['seed']}; run {rows[i]['out_dir'] or rows[i]['run_id']}).\n"
                  f"Run it: kav run {path.name} --seed {rows[i]['seed']}")
        atomic_write_text(path, concrete_scenario_text(logical, values, header=header))
        worst.append((costs[i], rows[i], path))
    return worst


def search_main(args) -> int:
    from scenarios.schema import ScenarioFileError
    from scenarios.suites.cli import backend_for
    from scenarios.suites.store import StoreError

    stem = Path(args.scenario).stem
    out = args.out if args.out is not None else Path("searches") / f"{stem}-{args.seed}"
    names = [n.strip() for n in args.params.split(",")] if args.params else None
    try:
        backend = backend_for(args, out)
        res = run_search(args.scenario, out, backend, budget=args.budget,
                         objective=args.objective, seed=args.seed, run_seed=args.run_seed,
                         names=names, top=args.top, duration_s=args.duration,
                         resume=args.resume, progress=not args.no_progress)
    except (ScenarioFileError, StoreError, ValueError, RuntimeError, OSError) as exc:
        print(f"kav: error: {exc}", file=sys.stderr)
        return 2
    fails = sum(r["verdict"] == "FAIL" for r in res.rows)
    print(f"kav: {len(res.rows)} runs, {fails} FAIL; worst by {OBJECTIVES[args.objective]}:")
    for cost, row, path in res.worst:
        print(f"  {cost:.4g}  {row['verdict']:5s} {row['params']}  -> kav run {path}")
    if res.interrupted:
        print(f"kav: interrupted; continue with --resume --out {out}", file=sys.stderr)
        return 130
    return 0
