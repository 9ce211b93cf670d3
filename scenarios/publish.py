"""``kav run``: one run and everything it leaves behind, published all at once.

Into the output folder: ``result.json`` (verdict, scores, infractions, metrics, criteria),
``junit.xml``, ``recording.mcap`` (signed, hash-chained), ``bev.png``, ``report.html``,
``map.xodr``, with V2X ``v2x-frames.kavlog``, and on request ``replay.gif`` and a pcap.
Everything is written into a staging folder that becomes the output folder only when every
file is complete (:class:`scenarios.outputs.RunFolder`); a killed run leaves the staging
folder, whose recording is readable up to its last chunk and marked incomplete.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from scenarios.map_registry import map_text
from scenarios.outputs import RunFolder, atomic_write_text, write_json
from scenarios.recording import StepRecorder, guess_source, manifest
from scenarios.runner import FRAME_LOG, RunResult, simulate
from scenarios.setup import EGO_ROW
from scenarios.spec import ScenarioSpec

RECORDING = "recording.mcap"


def run(spec: ScenarioSpec, seed: int = 0, out: Path | None = None,
        planner_name: str | None = None, duration_s: float | None = None,
        quiet: bool = False, v2x: bool = True, pcap: Path | None = None, *,
        source: dict | None = None, record: bool = True, gif: Path | None = None,
        key_path: Path | None = None, visuals: bool = True) -> RunResult:
    """Run a scenario and publish its outputs into ``out`` (default
    ``runs/<scenario>-<seed>/``). ``v2x`` False runs the scenario with every radio off;
    ``pcap``: also write the V2X frames as a Wireshark capture there; ``source``: where the
    scenario came from (see :mod:`scenarios.recording`; guessed when None); ``record``:
    write ``recording.mcap``, signed with the Ed25519 key at ``key_path`` (default: the
    user's kav key, created on first use); ``gif``: also write the bird's-eye animation
    (``.gif``, or ``.mp4`` where ffmpeg exists) under this name in the output folder;
    ``visuals`` False skips ``bev.png`` and ``report.html`` (suites of thousands of runs)."""
    out = Path(out) if out is not None else Path("runs") / f"{spec.id}-{seed}"

    def say(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    say(f"kav: {spec.id} ({spec.title}), seed {seed}, -> {out}")
    with RunFolder(out) as stage:
        map_path = stage / "map.xodr"
        text = map_text(spec.map)
        atomic_write_text(map_path, text)
        air_on = v2x and spec.v2x is not None
        log = stage / FRAME_LOG if air_on else None
        writer = None
        if record:
            from sim.recorder import RecordingWriter, load_or_create_key

            man, attachments = manifest(spec, source or guess_source(spec), seed, planner_name,
                                        duration_s, v2x, text.encode("utf-8"))
            # the Foxglove scene at 10 Hz is plenty to watch; states are kept every step
            writer = RecordingWriter(stage / RECORDING, man, load_or_create_key(key_path),
                                     attachments=attachments,
                                     scene_every=max(1, int(round(1e5 / spec.dt_us))))
        try:
            result, hist, net = simulate(
                spec, seed, map_path, planner_name, duration_s, progress=say, v2x=v2x,
                v2x_log=log, observer=StepRecorder(writer) if writer is not None else None)
            if writer is not None:
                final = writer.close(result.to_json())
                result.recording = {"path": RECORDING, "final_hash": final.hex(),
                                    "public_key_fingerprint": key_fingerprint(writer)}
        except BaseException as exc:
            if writer is not None:
                writer.abort(f"{type(exc).__name__}: {exc}")
            raise
        if pcap is not None and log is not None:
            from v2x.framelog import to_pcap

            to_pcap(log, Path(pcap))
        write_outputs(stage, spec, result, hist, net, gif, visuals=visuals)
    compile_note = (f", after {result.compile_time_s:.0f} s of one-time kernel compilation"
                    if result.compile_time_s > 2.0 else "")
    say(f"kav: simulated {result.duration_s:.0f} s in {result.loop_time_s:.1f} s "
        f"({result.duration_s / max(result.loop_time_s, 1e-9):.0f}x real time{compile_note}); "
        f"{len(result.collisions)} collisions; state hash "
        f"{result.state_history_sha256[:16]}; results in {out}")
    say(f"kav: verdict {result.verdict}" + (f" ({_first_line(result.error)})"
                                             if result.error else "")
        + f"; CARLA LB 2.0 driving score {_score(result, 'carla_lb2', 'driving_score')}"
        f", nuPlan {_score(result, 'nuplan', 'score')}")
    sys.stdout.flush()
    return result


def write_outputs(folder: Path, spec: ScenarioSpec, result: RunResult, hist, net,
                  gif: Path | None = None, *, visuals: bool = True) -> None:
    """bev.png, plots in report.html (both only with ``visuals``), junit.xml, result.json
    (last: its presence means the rest is there), and the animation on request."""
    from scenarios.junit import write_junit

    res = result.to_json()
    if visuals:
        _write_visuals(folder, spec, result, res, hist, net)
    write_junit(folder / "junit.xml", res)
    if gif is not None:
        from scenarios.animate import write_animation

        frames = (hist.x, hist.y, hist.yaw, hist.valid, hist.kind, hist.length, hist.width)
        write_animation(folder / Path(gif).name, net, frames, EGO_ROW,
                        title=f"{spec.id} seed {result.seed}", dt_s=spec.dt_us / 1e6)
    write_json(folder / "result.json", res)


def _write_visuals(folder: Path, spec: ScenarioSpec, result: RunResult, res: dict, hist,
                   net) -> None:
    from scenarios.bev import render_bev
    from scenarios.plots import speed_plot, ttc_plot
    from scenarios.report_html import write_report

    render_bev(net, hist, folder / "bev.png", title=(
        f"{spec.id}  seed {result.seed}  {result.duration_s:.0f} s  "
        f"{len(result.collisions)} collisions  {result.verdict}"), ego_row=EGO_ROW)
    s = hist.series
    speed_png = speed_plot(s["t_s"], s["ego.speed_mps"], s["ego.speed_limit_mps"],
                           res["infractions"])
    ttc_png = ttc_plot(s["t_s"], s["surrogate.ttc_s"]) if "surrogate.ttc_s" in s else None
    write_report(folder / "report.html", res, (folder / "bev.png").read_bytes(), speed_png,
                 ttc_png)


def key_fingerprint(writer) -> str:
    """SHA-256 of the raw Ed25519 public key (first 16 hex digits), as people compare keys."""
    return hashlib.sha256(writer.public_key).hexdigest()[:16]


def _score(result: RunResult, which: str, field: str) -> str:
    v = result.scores.get(which, {}).get(field)
    return "n/a" if v is None else f"{v:.3g}"


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""
