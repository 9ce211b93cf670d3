"""One suite run, wherever it executes: a local pool worker or a Ray task call the same
:func:`execute`, which is why the two backends give the same rows for the same plan.

A run that raises (bad scenario, planner crash during set-up) still returns a row, verdict
ERROR with the reason; only a process that dies or hangs leaves it to the backend to write
that row.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from scenarios.suites.plan import RunTask
from scenarios.suites.rows import error_row, row_from_result


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute(task: RunTask, suite_dir: str) -> dict:
    """Run ``task`` and return its store row. Outputs go to ``suite_dir/task.out_dir``
    according to ``task.outputs`` (``none``: a scratch folder removed afterwards)."""
    t0 = time.perf_counter()
    out = Path(suite_dir) / task.out_dir
    scratch = None
    if task.outputs == "none":
        scratch = Path(tempfile.mkdtemp(prefix="kav-run-"))
        out = scratch / "run"
    try:
        from scenarios.cli import load_any, source_for
        from scenarios.publish import run

        params = dict(task.params)
        spec = load_any(task.source, params or None)
        run(spec, seed=task.seed, out=out, planner_name=task.planner,
            duration_s=task.duration_s, quiet=True, v2x=task.v2x,
            source=source_for(task.source, params), record=task.outputs in ("full", "lean"),
            visuals=task.outputs == "full")
        result = json.loads((out / "result.json").read_text(encoding="utf-8"))
        rel = "" if scratch is not None else task.out_dir
        return row_from_result(task.columns(), result, time.perf_counter() - t0, rel,
                               worker_name())
    except Exception as exc:  # the suite goes on; the row says why this run has no result
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return error_row(task.columns(), reason, time.perf_counter() - t0, worker_name())
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def partial_outputs(suite_dir: str, out_dir: str) -> str:
    """What a killed run left: its newest staging folder relative to ``suite_dir`` (its
    recording reads up to the last chunk), or '' when there is none."""
    base = Path(suite_dir) / out_dir
    found = sorted(base.parent.glob(f"{base.name}.partial-*"), key=lambda p: p.stat().st_mtime)
    return f"{out_dir}.{found[-1].name.split('.', 1)[1]}" if found else ""


def warm_up(task: RunTask | None) -> float:
    """Compile the Numba kernels into the on-disk cache before workers start, so N workers
    load them instead of compiling the same kernels N times; returns the time it took [s].

    Runs a second of the given task's scenario, recording on (the recorder has kernels of
    its own), in a child process: the task may name a user's planner, and a planner that
    crashes its process must cost that run, not the suite. A warm-up that fails or hangs is
    abandoned; the runs then report what is wrong."""
    if task is None:
        return 0.0
    from scenarios.suites.pool import start_context

    t0 = time.perf_counter()
    scratch = tempfile.mkdtemp(prefix="kav-warm-")
    warm = RunTask(**{**task.__dict__, "duration_s": 1.0, "outputs": "lean",
                      "out_dir": "warm"})
    proc = start_context().Process(target=execute, args=(warm, scratch), daemon=True)
    try:
        proc.start()
        proc.join(task.timeout_s)
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
        shutil.rmtree(scratch, ignore_errors=True)
    return time.perf_counter() - t0
