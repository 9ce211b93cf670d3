"""Suite files: which scenarios to run and how to expand them into concrete runs.

A suite is a TOML file (built-in ones live in ``scenarios/suites/builtin/``)::

    name = "my-sweep"
    description = "..."
    seed = 0              # base seed: repetition r runs with seed + r (unless `seeds`)
    outputs = "lean"      # per run: full (all `kav run` writes) | lean (result.json,
                          # junit.xml, recording.mcap) | results (no recording) | none
    timeout_s = 600       # wall-clock limit per run (default 60 s + 5 x simulated time)

    [[runs]]
    scenario = "gn-rtor"  # catalogue id, "*" (the whole catalogue), or a .toml / .xosc
                          # file relative to the suite file
    params = { arrow = true }                  # fixed values
    grid = { walker_speed = [1.0, 1.6] }       # Cartesian product; grid = "declared"
                                               # sweeps the scenario's own `values` lists
    sample = { n = 20, seed = 1, method = "lhs", params = ["courier_speed"],
               ranges = { courier_speed = [8.0, 14.0] } }  # random, from declared ranges
    repetitions = 2       # or seeds = [0, 7]
    duration_s = 20.0     # optional overrides
    planner = "kav-ref"
    v2x = true

Grid and sample combine: each grid point gets ``n`` samples of the sampled parameters.
Every value is checked against the scenario's declared range before anything runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from scenarios.params import ParameterDecl
from scenarios.schema import ScenarioFileError
from scenarios.suites.sampling import sample_values
from scenarios.suites.sources import ScenarioSource, resolve_scenario, run_id

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
OUTPUT_MODES = ("full", "lean", "results", "none")
_SUITE_KEYS = {"name", "description", "seed", "outputs", "timeout_s", "runs"}
_RUN_KEYS = {"scenario", "params", "grid", "sample", "repetitions", "seeds", "duration_s",
             "planner", "v2x", "timeout_s"}


class SuiteFileError(ScenarioFileError):
    """A suite file that cannot be used: ``file: key.path: reason``."""


@dataclass(frozen=True)
class RunTask:
    """One concrete run of a suite. ``source``: catalogue id or absolute scenario file path;
    ``params``: sorted (name, value) pairs; ``out_dir``: relative to the suite folder;
    ``timeout_s``: wall-clock limit [s]."""

    idx: int
    run_id: str
    suite: str
    scenario: str
    source: str
    source_label: str
    params: tuple[tuple[str, object], ...]
    seed: int
    repetition: int
    duration_s: float | None
    planner: str | None
    v2x: bool
    timeout_s: float
    outputs: str
    out_dir: str

    def columns(self) -> dict:
        """The store columns this task fixes before it runs."""
        from scenarios.suites.rows import params_json

        return {"run_id": self.run_id, "idx": self.idx, "suite": self.suite,
                "scenario": self.scenario, "source": self.source_label,
                "params": params_json(dict(self.params)), "seed": self.seed,
                "repetition": self.repetition, "planner": self.planner or ""}

    def to_json(self) -> dict:
        d = asdict(self)
        d["params"] = dict(self.params)
        return d


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    source: str  # file the suite came from
    tasks: tuple[RunTask, ...]

    @property
    def digest(self) -> str:
        """Hash of the whole plan: a resumed suite must have the same one."""
        return hashlib.sha256("\n".join(t.run_id for t in self.tasks).encode()).hexdigest()


def builtin_suites() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}


def load_suite(ref: str | Path) -> Suite:
    """A built-in suite name or a suite file -> its expanded plan."""
    path = Path(ref)
    if path.suffix.lower() != ".toml":
        known = builtin_suites()
        if str(ref) not in known:
            raise SuiteFileError(str(ref), "", "no such built-in suite (built-in: "
                                 f"{', '.join(known)}; or give a suite .toml file)")
        path = known[str(ref)]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteFileError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SuiteFileError(str(path), "", f"not a TOML file: {exc}") from None
    return expand(data, str(path), path.parent)


def expand(data: dict, source: str, base_dir: Path) -> Suite:
    def fail(key: str, reason: str) -> SuiteFileError:
        return SuiteFileError(source, key, reason)

    _no_unknown(data, _SUITE_KEYS, "", fail)
    name = _typed(data, "name", str, None, fail, "")
    if not name:
        raise fail("name", "missing (every suite has a name)")
    seed = _typed(data, "seed", int, 0, fail, "")
    outputs = _typed(data, "outputs", str, "lean", fail, "")
    if outputs not in OUTPUT_MODES:
        raise fail("outputs", f"{outputs!r} is not one of {', '.join(OUTPUT_MODES)}")
    timeout = _typed(data, "timeout_s", (int, float), None, fail, "")
    entries = data.get("runs")
    if not isinstance(entries, list) or not entries:
        raise fail("runs", "missing or empty: list the scenarios as [[runs]] tables")
    tasks: list[RunTask] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"runs[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, "must be a table")
        for t in _entry_tasks(entry, where, fail, base_dir, seed, timeout, outputs, name,
                              len(tasks)):
            if t.run_id in seen:
                raise fail(where, f"run {t.idx} ({t.scenario}, {dict(t.params)}, seed "
                                  f"{t.seed}) repeats run {seen[t.run_id]}: give it another "
                                  "seed or drop it")
            seen[t.run_id] = t.idx
            tasks.append(t)
    return Suite(name, str(data.get("description", "")).strip(), source, tuple(tasks))


def _entry_tasks(entry, where, fail, base_dir, base_seed, suite_timeout, outputs, suite,
                 start) -> list[RunTask]:
    _no_unknown(entry, _RUN_KEYS, where, fail)
    ref = entry.get("scenario")
    if not isinstance(ref, str) or not ref:
        raise fail(f"{where}.scenario", "missing: a catalogue id, \"*\" or a scenario file")
    duration = _typed(entry, "duration_s", (int, float), None, fail, where)
    if duration is not None and not duration > 0:
        raise fail(f"{where}.duration_s", "must be > 0")
    planner = _typed(entry, "planner", str, None, fail, where)
    v2x = _typed(entry, "v2x", bool, True, fail, where)
    timeout = _typed(entry, "timeout_s", (int, float), suite_timeout, fail, where)
    if timeout is not None and not timeout > 0:
        raise fail(f"{where}.timeout_s", "must be > 0")
    seeds = _seeds(entry, where, fail, base_seed)
    out: list[RunTask] = []
    for src in _sources(ref, where, fail, base_dir):
        sid = src.sid
        for values in _points(entry, where, fail, src.decls, src.source):
            for rep, seed in enumerate(seeds):
                idx = start + len(out)
                sim_s = duration if duration is not None else src.sim_s
                out.append(RunTask(
                    idx=idx, run_id=run_id(src.content, values, seed, duration, planner, v2x),
                    suite=suite, scenario=sid, source=src.source,
                    source_label=src.label, params=tuple(sorted(values.items())), seed=seed,
                    repetition=rep, duration_s=duration, planner=planner, v2x=v2x,
                    timeout_s=float(timeout if timeout is not None else 60.0 + 5.0 * sim_s),
                    outputs=outputs, out_dir=f"runs/{idx:05d}-{sid}"))
    return out


def _sources(ref, where, fail, base_dir) -> list[ScenarioSource]:
    from scenarios.catalog import logical_scenarios

    refs = sorted(logical_scenarios()) if ref == "*" else [ref]
    try:
        return [resolve_scenario(r, base_dir) for r in refs]
    except ValueError as exc:  # ScenarioFileError included
        raise fail(f"{where}.scenario", str(exc)) from None


def _points(entry, where, fail, decls: dict[str, ParameterDecl], src: str) -> list[dict]:
    """Every parameter combination of the entry (fixed x grid x samples), range-checked."""
    fixed = entry.get("params", {})
    grid = entry.get("grid")
    sample = entry.get("sample")
    if not isinstance(fixed, dict):
        raise fail(f"{where}.params", "must be a table of name = value")
    if not decls and (fixed or isinstance(grid, dict) or sample):
        raise fail(where, f"{src} declares no kav parameters, so it takes no params, grid "
                          "or sample")
    if grid in ("declared", True):
        grid = {n: list(d.values) for n, d in decls.items() if d.values is not None}
    elif grid is None:
        grid = {}
    elif not isinstance(grid, dict):
        raise fail(f"{where}.grid", "must be \"declared\" or a table of name = [values]")
    for n, vs in grid.items():
        if not isinstance(vs, list) or not vs:
            raise fail(f"{where}.grid.{n}", "must be a non-empty list of values")
    points = [{}]
    for n, vs in grid.items():
        points = [{**p, n: v} for p in points for v in vs]
    if sample is not None:
        if not isinstance(sample, dict):
            raise fail(f"{where}.sample", "must be a table (n, seed, method, params, ranges)")
        try:
            draws = sample_values(sample, decls, n_points=len(points))
        except ValueError as exc:
            raise fail(f"{where}.sample", str(exc)) from None
        per = len(draws) // len(points)
        points = [{**p, **d} for i, p in enumerate(points) for d in draws[i * per:(i + 1) * per]]
    out = []
    for p in points:
        both = sorted(set(p) & set(fixed))
        if both:
            raise fail(f"{where}.params", f"{', '.join(both)} also swept by grid/sample")
        values = {**fixed, **p}
        for n, v in values.items():
            if n not in decls:
                raise fail(where, f"parameter {n!r}: {src} declares no such parameter "
                                  f"(declared: {', '.join(decls) or 'none'})")
            reason = decls[n].out_of_range(v)
            if reason:
                raise fail(where, f"parameter {n!r}: {reason}")
        out.append(values)
    return out


def _seeds(entry, where, fail, base_seed: int) -> list[int]:
    if "seeds" in entry and "repetitions" in entry:
        raise fail(where, "give either repetitions or seeds, not both")
    if "seeds" in entry:
        seeds = entry["seeds"]
        if (not isinstance(seeds, list) or not seeds
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                           for s in seeds)):
            raise fail(f"{where}.seeds", "must be a non-empty list of integers >= 0")
        if len(set(seeds)) != len(seeds):
            raise fail(f"{where}.seeds", "repeats a seed")
        return list(seeds)
    reps = _typed(entry, "repetitions", int, 1, fail, where)
    if reps < 1:
        raise fail(f"{where}.repetitions", "must be >= 1")
    return [base_seed + r for r in range(reps)]


def _typed(data: dict, key: str, types, default, fail, where: str):
    if key not in data:
        return default
    v = data[key]
    ok = isinstance(v, types) and not (isinstance(v, bool) and types in (int, (int, float)))
    if not ok:
        names = (types.__name__ if isinstance(types, type)
                 else " or ".join(t.__name__ for t in types))
        raise fail(f"{where}.{key}" if where else key, f"must be {names}, got {v!r}")
    return v


def _no_unknown(data: dict, known: set[str], where: str, fail) -> None:
    for key in data:
        if key not in known:
            raise fail(f"{where}.{key}" if where else key,
                       f"unknown key (known: {', '.join(sorted(known))})")
