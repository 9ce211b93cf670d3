"""``kav suite``: plan, resume, dispatch to a backend, store, summarise.

The suite folder holds ``suite.json`` (the plan, written before the first run), the store
``results.duckdb`` (a row per finished run), ``runs/`` (each run's outputs), and, rewritten
at the end or on interruption, ``results.parquet``, ``results.csv``, ``summary.txt``,
``summary.json``, the plots and ``report.html``. ``suite.json``'s ``complete`` is true only
once every planned run has its row.

Resuming re-expands the suite, checks the plan is the one in ``suite.json`` (a changed
suite, scenario file or catalogue entry would mix results of different things) and runs
only what the store lacks. Runs in flight when a suite was killed have no row and run
again; the store's key makes a second row for a run impossible.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from scenarios.outputs import write_json
from scenarios.suites.plan import Suite
from scenarios.suites.progress import ProgressBar
from scenarios.suites.rows import now_iso
from scenarios.suites.store import STORE, ResultStore
from scenarios.suites.worker import warm_up

SUITE_JSON = "suite.json"
_PLAN_KEPT = 20_000


class SuiteStateError(RuntimeError):
    """The output folder does not fit the request (holds another suite, plan changed)."""


@dataclass(frozen=True)
class SuiteOutcome:
    rows: list[dict]
    n_planned: int
    ran: int  # runs executed by this call
    interrupted: bool

    @property
    def complete(self) -> bool:
        return len(self.rows) == self.n_planned

    @property
    def errors(self) -> int:
        return sum(r["verdict"] == "ERROR" for r in self.rows)


def check_folder(suite: Suite, out: Path, resume: bool) -> dict | None:
    """The folder's existing ``suite.json`` (None for a fresh folder); SuiteStateError if
    it cannot take this suite."""
    meta_path = out / SUITE_JSON
    if not meta_path.is_file():
        if out.is_dir() and (out / STORE).exists():
            raise SuiteStateError(f"{out} has a results store but no {SUITE_JSON}; choose "
                                  "another --out")
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        planned = meta.get("runs") or []
        if not isinstance(meta.get("digest"), str):
            raise ValueError("it has no plan digest")
    except (ValueError, AttributeError, OSError) as exc:
        raise SuiteStateError(f"{meta_path}: unreadable ({exc}); choose another --out") from None
    if not resume:
        raise SuiteStateError(f"{out} already holds suite {meta.get('suite')!r}; pass --resume "
                              "to continue it, or choose another --out")
    if meta.get("digest") != suite.digest:
        old = {r["run_id"] for r in planned}
        for t in suite.tasks if old else ():
            if t.run_id not in old:
                raise SuiteStateError(
                    f"cannot resume: the plan in {meta_path} differs from suite "
                    f"{suite.name!r} now: run {t.idx} ({t.scenario}, {dict(t.params)}, seed "
                    f"{t.seed}) was not planned before (a suite entry, scenario file or kav's "
                    "catalogue changed); start a new --out")
        raise SuiteStateError(f"cannot resume: {meta_path} planned {meta.get('n_planned')} "
                              f"runs, suite {suite.name!r} now plans {len(suite.tasks)} other "
                              "ones; start a new --out")
    return meta


def run_suite(suite: Suite, out: Path, backend, *, resume: bool = False,
              progress: bool = True, stream=None, warm: bool = True) -> SuiteOutcome:
    """Run what ``out``'s store lacks of ``suite`` on ``backend`` (LocalPool / RayPool)."""
    from scenarios.version import code_version

    out = Path(out)
    meta = check_folder(suite, out, resume)
    out.mkdir(parents=True, exist_ok=True)
    if meta is None:
        meta = {"suite": suite.name, "description": suite.description,
                "source": suite.source, "digest": suite.digest, "n_planned": len(suite.tasks),
                "started_at": now_iso(), "complete": False, "code_version": code_version()}
        # the plan, for people and for the resume check's message; a suite of millions
        # keeps only its digest (the store's rows say what ran)
        if len(suite.tasks) <= _PLAN_KEPT:
            meta["runs"] = [t.to_json() for t in suite.tasks]
    meta["backend"] = backend.describe()
    meta["complete"] = False
    write_json(out / SUITE_JSON, meta)
    stream = stream if stream is not None else sys.stderr
    store = ResultStore(out / STORE)
    ran, interrupted = 0, False
    try:
        done = store.done_ids()
        todo = [t for t in suite.tasks if t.run_id not in done]
        if todo and warm:
            secs = warm_up(todo[0])
            if progress and secs > 5.0:
                print(f"kav: compiled kernels once before starting workers ({secs:.0f} s)",
                      file=stream, flush=True)
        bar = ProgressBar(f"kav suite {suite.name}", len(suite.tasks),
                          len(suite.tasks) - len(todo), stream, enabled=progress)

        def on_row(row: dict) -> None:
            nonlocal ran
            if store.append(row):
                ran += 1
                bar.update(row)

        previous = _term_as_interrupt()
        try:
            backend.run(todo, on_row)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)
            bar.close()
        rows = store.rows()
        store.export(out)
    finally:
        store.close()
    meta.update(finished_at=now_iso(), complete=len(rows) == len(suite.tasks),
                n_stored=len(rows))
    write_json(out / SUITE_JSON, meta)
    write_summary(out, rows, meta)
    return SuiteOutcome(rows, len(suite.tasks), ran, interrupted)


def write_summary(out: Path, rows: list[dict], meta: dict) -> list[Path]:
    from scenarios.suites.suite_report import write_suite_report

    return write_suite_report(out, rows, meta)


def _term_as_interrupt():
    """SIGTERM (a cluster scheduler, ``kill``) stops the suite as Ctrl-C does: workers are
    stopped, finished rows stay, the summary says the suite is incomplete."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return signal.getsignal(signal.SIGTERM)  # only the main thread may set handlers
    return signal.signal(signal.SIGTERM, handler)
