"""One row per run: the columns of a suite's results store, and how a run fills them.

Every column is a scalar so the store is one flat table that spreadsheets, pandas, DuckDB
and Parquet readers take as is. Parameters are one JSON object column (``params``) because
each scenario declares its own; :func:`params_of` turns it back into a dict. Missing
numbers (a run that broke before a metric was computed) are NaN, never 0, so they cannot
pass for a perfect score.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

# name -> (DuckDB type, meaning). The order is the column order of the store and the CSV.
COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("VARCHAR", "stable hash of what the run is (scenario, parameters, seed, "
                          "duration, planner, V2X): the key that --resume goes by"),
    "idx": ("INTEGER", "position in the suite's plan"),
    "suite": ("VARCHAR", "suite name"),
    "scenario": ("VARCHAR", "scenario id"),
    "source": ("VARCHAR", "catalogue id or scenario file as the suite names it"),
    "params": ("VARCHAR", "the run's parameter values, a JSON object with sorted keys"),
    "seed": ("BIGINT", "random seed"),
    "repetition": ("INTEGER", "repetition number (0 for the first)"),
    "planner": ("VARCHAR", "planner name ('' for the scenario's own)"),
    "verdict": ("VARCHAR", "PASS / FAIL / ERROR"),
    "error": ("VARCHAR", "why the verdict is ERROR ('' otherwise)"),
    "failed_criteria": ("VARCHAR", "names of the failed criteria, '; '-separated"),
    "terminated": ("VARCHAR", "the event that ended the run early ('' if none)"),
    "carla_ds": ("DOUBLE", "CARLA Leaderboard 2.0 driving score [0, 100]"),
    "carla_rc": ("DOUBLE", "CARLA route completion [%]"),
    "carla_ip": ("DOUBLE", "CARLA infraction penalty [0, 1]"),
    "carla21_ds": ("DOUBLE", "CARLA Leaderboard 2.1 driving score [0, 100]"),
    "nuplan_score": ("DOUBLE", "nuPlan closed-loop score [0, 1]"),
    "ego_collisions": ("DOUBLE", "collisions involving the ego"),
    "at_fault_collisions": ("DOUBLE", "collisions the ego is at fault for"),
    "max_impact_speed_mps": ("DOUBLE", "fastest ego collision, relative speed [m/s]"),
    "min_ttc_s": ("DOUBLE", "smallest time to collision [s]"),
    "min_distance_m": ("DOUBLE", "smallest box distance to another road user [m]"),
    "max_drac_mps2": ("DOUBLE", "largest deceleration rate to avoid a crash [m/s^2]"),
    "min_time_gap_s": ("DOUBLE", "smallest time gap to the lead vehicle [s]"),
    "route_completion": ("DOUBLE", "share of the route driven [0, 1]"),
    "infractions": ("INTEGER", "metric events recorded"),
    "sim_time_s": ("DOUBLE", "simulated time [s]"),
    "wall_time_s": ("DOUBLE", "wall time of the run, outputs included [s]"),
    "state_sha256": ("VARCHAR", "hash of the whole state history ('' if none)"),
    "out_dir": ("VARCHAR", "the run's output folder, relative to the suite folder"),
    "worker": ("VARCHAR", "host:pid that ran it"),
    "finished_at": ("VARCHAR", "UTC time the row was written (ISO 8601)"),
}

# (column, metric group, value) read from result.json's metrics
_METRIC_COLUMNS = (
    ("ego_collisions", "collisions", "ego_collisions"),
    ("at_fault_collisions", "collisions", "at_fault_collisions"),
    ("max_impact_speed_mps", "collisions", "max_impact_speed_mps"),
    ("min_ttc_s", "surrogate", "min_ttc_s"),
    ("min_distance_m", "surrogate", "min_distance_m"),
    ("max_drac_mps2", "surrogate", "max_drac_mps2"),
    ("min_time_gap_s", "r157", "min_time_gap_s"),
    ("route_completion", "progress", "route_completion"),
)
SCORE_COLUMNS = ("carla_ds", "carla21_ds", "nuplan_score")  # higher is better
VERDICTS = ("PASS", "FAIL", "ERROR")


def number(v) -> float:
    """A result.json number (which writes infinities as "inf") -> float; NaN if absent."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return math.nan
    return math.nan


def params_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def params_of(row: dict) -> dict:
    return json.loads(row["params"]) if row.get("params") else {}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def row_from_result(task_cols: dict, result: dict, wall_time_s: float, out_dir: str,
                    worker: str) -> dict:
    """The store row of a finished run: ``task_cols`` (run_id ... planner) plus what its
    result.json (``result``) says."""
    scores = result.get("scores") or {}
    lb2, lb21, nup = (scores.get(k) or {} for k in ("carla_lb2", "carla_lb21", "nuplan"))
    metrics = result.get("metrics") or {}
    row = dict(task_cols)
    row.update(
        verdict=result.get("verdict", "ERROR"),
        error=_first_line(result.get("error")),
        failed_criteria="; ".join(c["name"] for c in result.get("criteria", ())
                                  if c.get("success") is False),
        terminated=(result.get("terminated") or {}).get("kind", "") or "",
        carla_ds=number(lb2.get("driving_score")),
        carla_rc=number(lb2.get("route_completion")),
        carla_ip=number(lb2.get("infraction_penalty")),
        carla21_ds=number(lb21.get("driving_score")),
        nuplan_score=number(nup.get("score")),
        infractions=len(result.get("infractions") or ()),
        sim_time_s=number(result.get("duration_s")),
        wall_time_s=float(wall_time_s),
        state_sha256=result.get("state_history_sha256") or "",
        out_dir=out_dir,
        worker=worker,
        finished_at=now_iso(),
    )
    for col, group, name in _METRIC_COLUMNS:
        row[col] = number((metrics.get(group) or {}).get(name))
    return {c: row[c] for c in COLUMNS}


def error_row(task_cols: dict, reason: str, wall_time_s: float, worker: str,
              out_dir: str = "") -> dict:
    """The row of a run that produced no result (worker crash, timeout, set-up error)."""
    row = {c: (math.nan if t == "DOUBLE" else "") for c, (t, _) in COLUMNS.items()}
    row.update(task_cols)
    row.update(verdict="ERROR", error=reason, infractions=0, wall_time_s=float(wall_time_s),
               out_dir=out_dir, worker=worker, finished_at=now_iso())
    return row


def _first_line(text) -> str:
    if not text:
        return ""
    lines = str(text).strip().splitlines()
    return lines[0] if len(lines) == 1 else f"{lines[0]} (+{len(lines) - 1} lines)"
