"""The scenarios suites and searches name: where each comes from, and the key of a run.

A run's ``run_id`` hashes the scenario file's bytes with the run's parameters, seed,
duration, planner and V2X switch: the same run in another suite folder, a resumed suite or
a repeated search has the same key, and a run of an edited scenario file has another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.params import ParameterDecl

if TYPE_CHECKING:
    from scenarios.scenario_file import LogicalScenario


def own_duration(raw: dict) -> float:
    """The scenario's simulated time [s] for the default timeout (120 s, the longest in the
    catalogue, when the file makes it a parameter or an OpenSCENARIO file hides it)."""
    d = raw.get("duration_s")
    return float(d) if isinstance(d, (int, float)) and not isinstance(d, bool) else 120.0


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario a suite or search names: ``sid`` its id, ``label`` as written, ``source``
    what a worker loads (catalogue id or absolute file path), ``logical`` its parameters
    (None for OpenSCENARIO files), ``content`` the SHA-256 of its file (runs of an edited
    file are other runs), ``sim_s`` its simulated time [s] (for default timeouts)."""

    sid: str
    label: str
    source: str
    logical: LogicalScenario | None
    content: str
    sim_s: float

    @property
    def decls(self) -> dict[str, ParameterDecl]:
        return self.logical.decls if self.logical is not None else {}


def resolve_scenario(ref: str, base_dir: Path) -> ScenarioSource:
    """A catalogue id, or a .toml / .xosc file (relative to ``base_dir``); ValueError
    (ScenarioFileError for a bad file) saying what is wrong."""
    from scenarios.catalog import CATALOG_DIR, logical_scenarios

    if not ref.lower().endswith((".toml", ".xosc")):
        catalog = logical_scenarios()
        if ref not in catalog:
            raise ValueError(f"unknown scenario {ref!r} (catalogue: "
                             f"{', '.join(sorted(catalog))}; or give a .toml / .xosc file)")
        text = (CATALOG_DIR / f"{ref}.toml").read_bytes()
        return ScenarioSource(ref, ref, ref, catalog[ref], hashlib.sha256(text).hexdigest(),
                              own_duration(catalog[ref].raw))
    path = (Path(ref) if Path(ref).is_absolute() else Path(base_dir) / ref).resolve()
    if not path.is_file():
        raise ValueError(f"{ref}: no such file (relative paths are relative to {base_dir})")
    content = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.suffix.lower() == ".xosc":
        return ScenarioSource(path.stem, ref, str(path), None, content, own_duration({}))
    from scenarios.scenario_file import read_scenario_file

    logical = read_scenario_file(path)
    return ScenarioSource(str(logical.raw.get("id") or path.stem), ref, str(path), logical,
                          content, own_duration(logical.raw))


def run_id(content: str, values: dict, seed: int, duration_s: float | None,
           planner: str | None, v2x: bool) -> str:
    """The stable key of a run: what it is, not where or when it ran."""
    key = json.dumps([content, sorted(values.items()), seed, duration_s, planner, v2x],
                     sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]
