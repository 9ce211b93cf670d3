"""kav's built-in scenario catalogue: one TOML scenario file per scenario in this folder.

Korean pilot-zone scenarios (see shared/design/korea.md for the catalogue they come from);
each file is an ordinary kav scenario file, so users copy one to start their own.
"""

from __future__ import annotations

from pathlib import Path

from scenarios.scenario_file import LogicalScenario, read_scenario_file
from scenarios.spec import ScenarioCatalog

CATALOG_DIR = Path(__file__).resolve().parent


def catalog_files() -> list[Path]:
    return sorted(CATALOG_DIR.glob("*.toml"))


def logical_scenarios() -> dict[str, LogicalScenario]:
    """id -> the logical scenario (parameters free) of every catalogue file."""
    out = {}
    for path in catalog_files():
        logical = read_scenario_file(path)
        sid = logical.raw.get("id")
        if sid != path.stem:
            raise ValueError(f"{path}: id {sid!r} must equal the file name {path.stem!r}")
        out[sid] = logical
    return out


def builtin_catalog() -> ScenarioCatalog:
    """A fresh catalogue of the built-in scenarios at their parameters' defaults."""
    return ScenarioCatalog([logical.concrete() for logical in logical_scenarios().values()])
