"""What a run's ``recording.mcap`` holds besides states: the manifest that lets
``kav replay --verify`` re-simulate it, and the observer that records every step.

The manifest names the scenario source (a catalogue id and its parameters, or the bytes of
the user's scenario file, attached), the map (attached as ``map.xodr``, hashed), the seed,
planner, duration and V2X switch, and the code and dependency versions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from scenarios.setup import EGO_ROW
from scenarios.spec import ScenarioSpec
from scenarios.version import code_version

MANIFEST_VERSION = 1
MAP_ATTACHMENT = "map.xodr"


def catalog_source(scenario_id: str, params: dict | None) -> dict:
    return {"kind": "catalog", "id": scenario_id, "params": dict(params or {})}


def file_source(path: Path, params: dict | None) -> dict:
    """A user's scenario file (.toml / .xosc): its bytes travel in the recording, with the
    OpenDRIVE file it names by a relative path (so a replay can load it as the user did)."""
    path = Path(path)
    src = {"kind": "file", "name": path.name, "params": dict(params or {}),
           "bytes": path.read_bytes(), "extra": {}}
    for rel in _referenced_maps(path):
        target = (path.parent / rel)
        if not Path(rel).is_absolute() and target.is_file():
            src["extra"][rel] = target.read_bytes()
    return src


def _referenced_maps(path: Path) -> list[str]:
    """Relative OpenDRIVE paths a scenario file names (LogicFile, or [map] xodr)."""
    try:
        if path.suffix.lower() == ".xosc":
            import xml.etree.ElementTree as ET

            return [el.get("filepath") for el in ET.parse(path).iter("LogicFile")
                    if el.get("filepath")]
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib

        xodr = tomllib.loads(path.read_text("utf-8")).get("map", {}).get("xodr")
        return [xodr] if isinstance(xodr, str) else []
    except Exception:  # noqa: BLE001 - the run itself reports a malformed file
        return []


def guess_source(spec: ScenarioSpec) -> dict:
    """The source of a spec handed to :func:`run` directly: the catalogue entry if the spec
    is exactly the catalogue's (with its parameters), else the spec alone, which a replay
    can re-render but not re-simulate."""
    from scenarios.catalog import logical_scenarios

    logical = logical_scenarios().get(spec.id)
    if logical is not None:
        try:
            if logical.concrete(dict(spec.parameters)) == spec:
                return catalog_source(spec.id, dict(spec.parameters))
        except (KeyError, ValueError):
            pass
    return {"kind": "spec", "id": spec.id}


def manifest(spec: ScenarioSpec, source: dict, seed: int, planner: str | None,
             duration_s: float | None, v2x: bool, map_bytes: bytes) -> tuple[dict, dict]:
    """(manifest, attachments) for a run."""
    attachments = {MAP_ATTACHMENT: map_bytes}
    src = {k: v for k, v in source.items() if k not in ("bytes", "extra")}
    if "bytes" in source:
        attachments[f"scenario/{source['name']}"] = source["bytes"]
        src["sha256"] = hashlib.sha256(source["bytes"]).hexdigest()
        for rel, data in source.get("extra", {}).items():
            attachments[f"scenario/{rel}"] = data
        src["extra"] = sorted(source.get("extra", {}))
    if source["kind"] == "catalog":
        from scenarios.catalog import CATALOG_DIR

        path = CATALOG_DIR / f"{source['id']}.toml"
        src["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    man = {
        "format": "kav-recording", "version": MANIFEST_VERSION,
        "scenario": {"id": spec.id, "title": spec.title, "zone": spec.zone, "source": src},
        "parameters": dict(spec.parameters), "seed": int(seed),
        "planner": planner or spec.ego.planner, "duration_s": duration_s, "v2x": bool(v2x),
        "dt_us": int(spec.dt_us), "ego_row": EGO_ROW,
        "map": {"label": spec.map.label, "sha256": hashlib.sha256(map_bytes).hexdigest(),
                "attachment": MAP_ATTACHMENT},
        "code_version": code_version(),
    }
    return man, attachments


class StepRecorder:
    """The run loop's observer: writes every hashed state with its frames, plan and events."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def __call__(self, k, state, sim_hash, frames, planner, events) -> None:
        e = EGO_ROW
        ego = {"t_s": state.time_us / 1e6, "speed_mps": float(state.speed[e]),
               "accel_mps2": float(state.accel[e]), "x": float(state.x[e]),
               "y": float(state.y[e]), "lane": int(state.lane[e])}
        self.writer.write_step(k, state, sim_hash, frames=frames, planner=planner,
                               events=[ev.to_json() for ev in events], ego=ego)


def states_to_arrays(states) -> dict[str, np.ndarray]:
    """(T, n) x, y, yaw, speed, valid and (n,) kind, length, width from recorded states."""
    out = {f: np.stack([getattr(s, f) for s in states]) for f in ("x", "y", "yaw", "speed",
                                                                  "accel", "valid")}
    last = states[-1]
    out.update(kind=last.kind.copy(), length=last.length.copy(), width=last.width.copy())
    return out
