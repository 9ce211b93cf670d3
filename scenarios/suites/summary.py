"""What a suite's rows add up to: verdict counts, score statistics, worst cases, failure
reasons; as frozen dataclasses, a terminal table and strict JSON.

Input is the store rows (see :mod:`scenarios.suites.rows`). Statistics use finite values
only, because a missing score is NaN and must not pull a mean to 0; ``n`` says how many
values each statistic stands on. A verdict other than PASS / FAIL (empty, unknown) counts as
ERROR: a run nobody can vouch for is never a pass.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from scenarios.suites.rows import SCORE_COLUMNS, VERDICTS, params_of

N_WORST = 10  # runs per worst-case list
N_REASONS = 20  # failure reasons kept per kind
ALL = "all"  # the scenario name of the overall group

SCORE_LABELS = {"carla_ds": "CARLA LB2 DS", "carla21_ds": "CARLA LB2.1 DS",
                "nuplan_score": "nuPlan"}
_SHORT = {"carla_ds": "LB2 DS", "carla21_ds": "LB2.1 DS", "nuplan_score": "nuPlan"}


@dataclass(frozen=True)
class ScoreStats:
    """One score column over a group's runs, finite values only (NaN when there are none).
    Units as the column: CARLA driving scores [0, 100], nuPlan [0, 1]."""
    column: str
    n: int
    mean: float
    min: float
    p10: float  # 10th percentile, linear interpolation (numpy's default)
    median: float
    max: float


@dataclass(frozen=True)
class GroupSummary:
    """Verdict counts and score statistics of one scenario's runs (or of all: ``ALL``)."""
    scenario: str
    runs: int
    passed: int
    failed: int
    errors: int
    scores: tuple[ScoreStats, ...]  # in SCORE_COLUMNS order
    min_ttc_s: float  # [s] smallest over the runs; inf: nobody ever closed in; NaN: none

    @property
    def pass_rate(self) -> float:
        """Share of runs that passed [0, 1]; NaN for no runs."""
        return self.passed / self.runs if self.runs else math.nan

    def score(self, column: str) -> ScoreStats:
        return next(s for s in self.scores if s.column == column)


@dataclass(frozen=True)
class WorstCase:
    """One run in a worst-case list; ``value`` in the list's column units."""
    scenario: str
    params: str  # the row's JSON object string
    seed: object
    verdict: str
    value: float
    out_dir: str
    run_id: str


@dataclass(frozen=True)
class FailureReason:
    """How many runs failed a criterion (kind "criterion"), stopped with an error (kind
    "error") or failed with no criterion named (kind "other"), and in which scenarios."""
    kind: str
    reason: str
    count: int
    scenarios: tuple[str, ...]


@dataclass(frozen=True)
class SuiteSummary:
    overall: GroupSummary
    scenarios: tuple[GroupSummary, ...]  # sorted by scenario id
    worst_carla_ds: tuple[WorstCase, ...]  # lowest first
    worst_min_ttc: tuple[WorstCase, ...]  # lowest first, finite TTCs only
    failures: tuple[FailureReason, ...]  # most frequent first within each kind


def verdict_of(row: dict) -> str:
    """PASS / FAIL / ERROR; anything else (empty, unknown) reads ERROR."""
    v = str(row.get("verdict") or "").strip().upper()
    return v if v in VERDICTS else "ERROR"


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _stats(column: str, rows: list[dict]) -> ScoreStats:
    v = np.array([_float(r.get(column)) for r in rows], dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return ScoreStats(column, 0, *([math.nan] * 5))
    p10, med = np.percentile(v, [10, 50])
    return ScoreStats(column, len(v), float(v.mean()), float(v.min()), float(p10),
                      float(med), float(v.max()))


def _group(scenario: str, rows: list[dict]) -> GroupSummary:
    verdicts = Counter(verdict_of(r) for r in rows)
    ttc = [t for t in (_float(r.get("min_ttc_s")) for r in rows) if not math.isnan(t)]
    return GroupSummary(scenario, len(rows), verdicts["PASS"], verdicts["FAIL"],
                        verdicts["ERROR"], tuple(_stats(c, rows) for c in SCORE_COLUMNS),
                        min(ttc) if ttc else math.nan)


def _order(v) -> float:
    x = _float(v)
    return math.inf if math.isnan(x) else x


def _worst(rows: list[dict], column: str, n: int) -> tuple[WorstCase, ...]:
    scored = [(v, r) for r in rows if math.isfinite(v := _float(r.get(column)))]
    # ties in a stable, meaningful order rather than completion order
    scored.sort(key=lambda vr: (vr[0], str(vr[1].get("scenario")), _order(vr[1].get("idx"))))
    return tuple(WorstCase(str(r.get("scenario", "")), str(r.get("params") or "{}"),
                           r.get("seed"), verdict_of(r), v, str(r.get("out_dir") or ""),
                           str(r.get("run_id") or ""))
                 for v, r in scored[:n])


def _failures(rows: list[dict], n: int) -> tuple[FailureReason, ...]:
    counts: dict[tuple[str, str], Counter] = {}
    for r in rows:
        verdict = verdict_of(r)
        found: set[tuple[str, str]] = set()
        if verdict == "ERROR":
            found.add(("error", str(r.get("error") or "").strip() or "(no reason recorded)"))
        elif verdict == "FAIL":
            names = {c.strip() for c in str(r.get("failed_criteria") or "").split(";")}
            found |= {("criterion", c) for c in names if c}
            if not found:
                term = str(r.get("terminated") or "").strip()
                found.add(("other", f"ended early: {term}" if term
                           else "(no failed criterion recorded)"))
        for key in found:  # a set: a run counts once per reason
            counts.setdefault(key, Counter())[str(r.get("scenario", ""))] += 1
    out = []
    for kind in ("criterion", "other", "error"):
        mine = [(sum(c.values()), reason, c) for (k, reason), c in counts.items() if k == kind]
        mine.sort(key=lambda t: (-t[0], t[1]))
        out += [FailureReason(kind, reason, total, tuple(sorted(c)))
                for total, reason, c in mine[:n]]
    return tuple(out)


def summarize(rows: list[dict], n_worst: int = N_WORST) -> SuiteSummary:
    """The summary of a suite's store rows (any order; empty is fine)."""
    by_scenario: dict[str, list[dict]] = {}
    for r in rows:
        by_scenario.setdefault(str(r.get("scenario", "")), []).append(r)
    return SuiteSummary(
        overall=_group(ALL, rows),
        scenarios=tuple(_group(s, by_scenario[s]) for s in sorted(by_scenario)),
        worst_carla_ds=_worst(rows, "carla_ds", n_worst),
        worst_min_ttc=_worst(rows, "min_ttc_s", n_worst),
        failures=_failures(rows, N_REASONS))


def fmt3(v) -> str:
    """A number to 3 significant digits; '-' for NaN / missing; 'inf' kept."""
    x = _float(v)
    return "-" if math.isnan(x) else f"{x:.3g}"


def fmt_rate(v) -> str:
    """A share [0, 1] as a percentage with one decimal; '-' for NaN."""
    x = _float(v)
    return "-" if math.isnan(x) else f"{100.0 * x:.1f}%"


def params_text(params: str) -> str:
    """A row's ``params`` JSON as "name=value, ..." for people ('-' when there are none)."""
    try:
        p = params_of({"params": params})
    except ValueError:
        return str(params)
    if not isinstance(p, dict) or not p:
        return "-"
    return ", ".join(f"{k}={_value_text(v)}" for k, v in p.items())


def _value_text(v) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "null"}[v]
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def format_table(summary: SuiteSummary, max_name: int = 40) -> str:
    """The per-scenario table plus an "all" row, fixed-width, for the terminal."""
    head = ["scenario", "runs", "PASS", "FAIL", "ERROR", "pass"]
    for c in SCORE_COLUMNS:
        head += [f"{_SHORT[c]} mean", f"{_SHORT[c]} min"]
    head.append("min TTC [s]")
    body = []
    for g in (*summary.scenarios, summary.overall):
        name = g.scenario if len(g.scenario) <= max_name else g.scenario[:max_name - 3] + "..."
        cells = [name, str(g.runs), str(g.passed), str(g.failed), str(g.errors),
                 fmt_rate(g.pass_rate)]
        for s in g.scores:
            cells += [fmt3(s.mean), fmt3(s.min)]
        cells.append(fmt3(g.min_ttc_s))
        body.append(cells)
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [line(head), rule, *(line(r) for r in body[:-1]), rule, line(body[-1])]
    return "\n".join(lines) + "\n"


def _json_num(v):
    """Strict JSON: NaN -> null, infinities -> "inf" / "-inf" (as result.json writes them)."""
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def _group_json(g: GroupSummary) -> dict:
    return {"scenario": g.scenario, "runs": g.runs, "passed": g.passed, "failed": g.failed,
            "errors": g.errors, "pass_rate": _json_num(g.pass_rate),
            "min_ttc_s": _json_num(g.min_ttc_s),
            "scores": {s.column: {"n": s.n, **{k: _json_num(getattr(s, k)) for k in
                                               ("mean", "min", "p10", "median", "max")}}
                       for s in g.scores}}


def _worst_json(w: WorstCase) -> dict:
    try:
        params = params_of({"params": w.params})
    except ValueError:
        params = w.params
    seed = w.seed if isinstance(w.seed, (int, str)) or w.seed is None else _json_num(
        _float(w.seed))
    return {"scenario": w.scenario, "params": jsonable(params), "seed": seed,
            "verdict": w.verdict, "value": _json_num(w.value), "out_dir": w.out_dir,
            "run_id": w.run_id}


def jsonable(obj):
    """``obj`` with every NaN / infinity made strict-JSON safe (dicts, lists, scalars)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    return _json_num(obj) if isinstance(obj, float) else str(obj)


def summary_json(summary: SuiteSummary) -> dict:
    """The summary as a strict-JSON dictionary (``json.dumps(..., allow_nan=False)`` works)."""
    o = summary.overall
    return {
        "runs": o.runs, "passed": o.passed, "failed": o.failed, "errors": o.errors,
        "pass_rate": _json_num(o.pass_rate),
        "overall": _group_json(o),
        "scenarios": [_group_json(g) for g in summary.scenarios],
        "worst": {"carla_ds": [_worst_json(w) for w in summary.worst_carla_ds],
                  "min_ttc_s": [_worst_json(w) for w in summary.worst_min_ttc]},
        "failures": [{"kind": f.kind, "reason": f.reason, "count": f.count,
                      "scenarios": list(f.scenarios)} for f in summary.failures],
    }
