"""``kav replay``: re-render a run from its recording alone, or re-simulate and compare.

Re-rendering needs nothing but the file: the map travels as an attachment, every state is
stored bit for bit. ``--verify`` first checks the file itself (hash chain over every
message, each state against its state-history hash, the Ed25519 signature), then rebuilds
the run from the manifest (scenario source, parameters, seed, planner, duration, V2X switch,
the attached map) and compares the state-history hash after every step, stopping at the
first step that differs and naming what differs.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scenarios.recording import MAP_ATTACHMENT, states_to_arrays


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    steps_compared: int = 0
    final_hash: str | None = None


class _Diverged(BaseException):
    """Stops the re-simulation at the first differing step (BaseException: the run loop
    turns ordinary exceptions into an ERROR verdict and carries on)."""


def render(recording: Path, out: Path, *, gif: bool = True) -> list[Path]:
    """Write bev.png, report.html (and replay.gif) for a recording into ``out``."""
    from scenarios.bev import render_bev
    from scenarios.loop import History
    from scenarios.plots import speed_plot
    from scenarios.report_html import write_report
    from sim.recorder import read_recording
    from sim.roadnet.loader import load_network_text

    rec = read_recording(recording)
    if not rec.steps:
        raise ValueError(f"{recording}: the recording holds no step")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    net = load_network_text(rec.attachments[MAP_ATTACHMENT].decode("utf-8"),
                            source=f"{recording}:{MAP_ATTACHMENT}")
    arr = states_to_arrays([s.state for s in rec.steps])
    ego = int(rec.manifest.get("ego_row", 0))
    hist = History(arr["x"], arr["y"], arr["yaw"], arr["speed"], arr["accel"], arr["valid"],
                   arr["kind"], length=arr["length"], width=arr["width"])
    sid = rec.manifest.get("scenario", {}).get("id", "?")
    written = [out / "bev.png", out / "report.html"]
    status = "" if rec.complete else "  INCOMPLETE RECORDING"
    render_bev(net, hist, written[0], title=f"{sid}  seed {rec.manifest.get('seed')}  replay"
               f"{status}", ego_row=ego)
    result = dict(rec.summary) if rec.summary is not None else {
        "scenario": sid, "seed": rec.manifest.get("seed"), "verdict": "ERROR",
        "error": f"recording incomplete: it ends after step {rec.steps[-1].k} and has no "
                 "signed summary (the run was interrupted)", "criteria": [], "infractions": []}
    t = np.array([s.state.time_us for s in rec.steps]) / 1e6
    events = [e for s in rec.steps for e in s.events]
    speed_png = speed_plot(t, arr["speed"][:, ego], np.full(len(t), np.nan), events)
    write_report(written[1], result, written[0].read_bytes(), speed_png, None)
    if gif:
        from scenarios.animate import write_animation

        written.append(out / "replay.gif")
        write_animation(written[-1], net, (arr["x"], arr["y"], arr["yaw"], arr["valid"],
                                           arr["kind"], arr["length"], arr["width"]), ego,
                        title=f"{sid} replay",
                        dt_s=float(np.median(np.diff(t))) if len(t) > 1 else None)
    return written


def verify(recording: Path, trusted_key: bytes | None = None, *, resimulate: bool = True,
           progress=None) -> VerifyReport:
    """Integrity of the file, then (``resimulate``) step-by-step agreement of a fresh run."""
    from sim.recorder import read_recording, verify_integrity

    integrity = verify_integrity(recording, trusted_public_key=trusted_key)
    report = VerifyReport(ok=integrity.ok, problems=list(integrity.problems))
    rec = read_recording(recording)
    report.final_hash = rec.final_hash.hex() if rec.final_hash else None
    if not resimulate:
        return report
    if not rec.steps:
        report.ok = False
        report.problems.append("no step recorded: nothing to re-simulate")
        return report
    try:
        spec, map_text = _rebuild(rec)
    except (KeyError, ValueError, OSError) as exc:
        report.ok = False
        report.problems.append(f"cannot re-simulate: {exc}")
        return report
    recorded = {s.k: s for s in rec.steps}
    last_k = rec.steps[-1].k
    seen = {"k": -1}

    def compare(k, state, sim_hash, frames, planner, events) -> None:
        seen["k"] = k
        want = recorded.get(k)
        if want is None:
            raise _Diverged(f"step {k}: the re-simulation goes on past the recording's last "
                            f"step {last_k}")
        if sim_hash != want.sim_hash:
            raise _Diverged(f"step {k} (t = {state.time_us / 1e6:.2f} s): state-history hash "
                            f"differs ({want.sim_hash.hex()[:16]} recorded, "
                            f"{sim_hash.hex()[:16]} re-simulated): "
                            + describe_difference(want.state, state))

    from scenarios.runner import simulate

    man = rec.manifest
    with tempfile.TemporaryDirectory(prefix="kav-verify-") as tmp:
        map_path = Path(tmp) / "map.xodr"
        map_path.write_text(map_text, encoding="utf-8")
        try:
            result, _, _ = simulate(spec, int(man["seed"]), map_path, man.get("planner"),
                                    man.get("duration_s"), progress=progress,
                                    v2x=bool(man.get("v2x", True)), observer=compare)
        except _Diverged as exc:
            report.ok = False
            report.problems.append(str(exc.args[0]))
            report.steps_compared = max(seen["k"], 0)
            return report
    report.steps_compared = seen["k"] + 1
    if seen["k"] < last_k:
        report.ok = False
        report.problems.append(f"the re-simulation ended after step {seen['k']}, the "
                               f"recording goes on to step {last_k}")
    if rec.summary is not None:
        want = rec.summary.get("state_history_sha256")
        if want != result.state_history_sha256:
            report.ok = False
            report.problems.append(f"final state-history hash differs: {want} recorded, "
                                   f"{result.state_history_sha256} re-simulated")
    return report


def _rebuild(rec):
    """(ScenarioSpec, map text) from a recording's manifest and attachments."""
    man = rec.manifest
    src = man["scenario"]["source"]
    params = dict(src.get("params") or {})
    map_bytes = rec.attachments.get(MAP_ATTACHMENT)
    if map_bytes is None:
        raise KeyError(f"the recording has no {MAP_ATTACHMENT} attachment")
    if hashlib.sha256(map_bytes).hexdigest() != man["map"]["sha256"]:
        raise ValueError("the attached map does not match the manifest's map hash")
    if src["kind"] == "catalog":
        from scenarios.catalog import CATALOG_DIR, logical_scenarios

        logical = logical_scenarios().get(src["id"])
        if logical is None:
            raise KeyError(f"scenario {src['id']!r} is not in this kav's catalogue")
        have = hashlib.sha256((CATALOG_DIR / f"{src['id']}.toml").read_bytes()).hexdigest()
        if src.get("sha256") not in (None, have):
            raise ValueError(f"catalogue scenario {src['id']!r} changed since the recording "
                             f"(file hash {have[:16]}, recorded {src['sha256'][:16]})")
        spec = logical.concrete(params or None)
    elif src["kind"] == "file":
        data = rec.attachments.get(f"scenario/{src['name']}")
        if data is None:
            raise KeyError(f"the recording lacks its scenario file {src['name']!r}")
        with tempfile.TemporaryDirectory(prefix="kav-scenario-") as tmp:
            path = Path(tmp) / src["name"]
            path.write_bytes(data)
            for rel in src.get("extra", []):  # the map files it names, where it names them
                extra = (Path(tmp) / rel).resolve()
                if Path(tmp).resolve() not in extra.parents:
                    raise ValueError(f"scenario file names {rel!r} outside its folder")
                extra.parent.mkdir(parents=True, exist_ok=True)
                extra.write_bytes(rec.attachments[f"scenario/{rel}"])
            from scenarios.cli import load_any

            spec = load_any(str(path), params or None)
    else:
        raise ValueError(f"scenario {man['scenario']['id']!r} was run from a spec object, "
                         "not a catalogue id or file, so the recording cannot re-create it")
    return spec, map_bytes.decode("utf-8")


def describe_difference(a, b) -> str:
    """Which fields of two world states differ, on which rows, by how much."""
    from dataclasses import fields

    parts = []
    if a.time_us != b.time_us:
        parts.append(f"time_us {a.time_us} vs {b.time_us}")
    groups = [("", a, b), ("params.", a.params, b.params), ("memory.", a.memory, b.memory)]
    for prefix, x, y in groups:
        for f in fields(x):
            va, vb = getattr(x, f.name), getattr(y, f.name)
            if not isinstance(va, np.ndarray):
                continue
            if va.shape != vb.shape:
                parts.append(f"{prefix}{f.name} shape {va.shape} vs {vb.shape}")
                continue
            diff = ~((va == vb) | (_isnan(va) & _isnan(vb)))
            if diff.any():
                rows = np.unique(np.nonzero(diff)[0])
                what = f"{prefix}{f.name} on rows {rows[:8].tolist()}"
                if np.issubdtype(va.dtype, np.floating):
                    what += f" (max |diff| {np.nanmax(np.abs(va - vb)[diff]):.3g})"
                parts.append(what)
    return "; ".join(parts) if parts else "no field differs (hash input order?)"


def _isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a) if np.issubdtype(a.dtype, np.floating) else np.zeros(a.shape, bool)
