"""The local backend: N long-lived worker processes, one run each at a time.

Not ``concurrent.futures``: a worker that segfaults breaks a whole ProcessPoolExecutor, and
a hung one cannot be killed there. Here the parent watches every worker's pipe and process
sentinel with a deadline per run; a worker that dies or overruns its run's ``timeout_s`` is
killed and replaced, its run gets an ERROR row naming the reason, and the suite goes on.

On Linux workers fork from a fork server that has imported the run stack once
(:mod:`scenarios.suites._preload`); elsewhere they are spawned. Either way each loads the
already-compiled Numba kernels from the on-disk cache (the suite compiles them before any
worker starts) and says it is ready before it gets a run, so start-up never counts against
a run's timeout.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from typing import TYPE_CHECKING

from scenarios.suites.rows import error_row

if TYPE_CHECKING:  # the worker process imports this module before it may touch NumPy
    from scenarios.suites.plan import RunTask

_READY = "ready"
_KILL_GRACE_S = 2.0


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _worker_main(conn, suite_dir: str) -> None:
    # a worker must not take the Ctrl-C meant for the parent: the parent decides
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # spawned workers (macOS, Windows) get here before NumPy: one thread each, as the fork
    # server's preload sets on Linux
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _exit_with_parent()
    from scenarios.suites.worker import execute

    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(execute(task, suite_dir))


def _exit_with_parent() -> None:
    """A suite process killed with SIGKILL cannot stop its workers; each worker notices
    within a second that the process that started it is gone and exits, so no orphan
    finishes a run behind the back of the suite that is resumed next."""
    import threading

    parent = mp.parent_process()  # the suite process, also when forked by the fork server

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if parent is None or not parent.is_alive():
                os._exit(1)

    threading.Thread(target=watch, name="kav-parent-watch", daemon=True).start()


def start_context():
    """Fork server where there is one (Linux): workers fork from a process that imported the
    run stack once (:mod:`scenarios.suites._preload`), which makes starting or replacing a
    worker cheap; spawn elsewhere. Never plain fork: the suite process may hold threads
    (Ray, ZeroMQ) that a fork would copy in an unknown state."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["scenarios.suites._preload"])
        return ctx
    return mp.get_context("spawn")


class _Worker:
    def __init__(self, ctx, suite_dir: str):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, suite_dir), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task: RunTask | None = None
        self.deadline = float("inf")
        self.started = 0.0

    def assign(self, task: RunTask) -> None:
        self.task, self.started = task, time.monotonic()
        self.deadline = self.started + task.timeout_s
        self.conn.send(task)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(_KILL_GRACE_S)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # a dead worker's pipe is closed already
            self.conn.send(None)
        self.proc.join(_KILL_GRACE_S)
        self.kill()


class LocalPool:
    """Runs tasks on ``workers`` local processes; ``on_row`` gets each row as it finishes
    (in the parent, one at a time: the store needs no locking)."""

    name = "local"

    def __init__(self, workers: int, suite_dir: str):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.suite_dir = str(suite_dir)
        self.ctx = start_context()
        self._start_failures = 0

    def describe(self) -> str:
        return f"local pool, {self.workers} worker{'s' if self.workers > 1 else ''}"

    def run(self, tasks: Iterable[RunTask], on_row: Callable[[dict], None]) -> None:
        queue = deque(tasks)
        pool = [_Worker(self.ctx, self.suite_dir) for _ in range(min(self.workers,
                                                                      len(queue)))]
        try:
            while queue or any(w.task is not None for w in pool):
                for w in pool:
                    if w.ready and w.task is None and queue:
                        w.assign(queue.popleft())
                now = time.monotonic()
                timeout = max(0.0, min((w.deadline for w in pool), default=now) - now)
                handles = [w.conn for w in pool] + [w.proc.sentinel for w in pool]
                ready = set(wait(handles, timeout=min(timeout, 3600.0)))
                for i, w in enumerate(pool):
                    if w.conn in ready:
                        pool[i] = self._receive(w, on_row)
                    elif w.proc.sentinel in ready:
                        pool[i] = self._replace(w, on_row, self._died(w))
                    elif w.task is not None and time.monotonic() > w.deadline:
                        pool[i] = self._replace(
                            w, on_row, f"timed out after {w.task.timeout_s:.0f} s (the run "
                                       "was killed; raise timeout_s if it is just slow)")
        finally:
            for w in pool:
                w.stop()

    def _receive(self, w: _Worker, on_row) -> _Worker:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return self._replace(w, on_row, self._died(w))
        if msg == _READY:
            w.ready = True
        else:
            w.task = None
            w.deadline = float("inf")
            on_row(msg)
        return w

    def _died(self, w: _Worker) -> str:
        w.proc.join(_KILL_GRACE_S)
        code = w.proc.exitcode
        how = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit code {code}")
        return f"worker process died ({how})"

    def _replace(self, w: _Worker, on_row, reason: str) -> _Worker:
        task, started = w.task, w.started
        w.kill()
        if task is not None:
            from scenarios.suites.worker import partial_outputs, worker_name

            if reason.startswith("worker process died"):
                reason += " during the run"
            on_row(error_row(task.columns(), reason, time.monotonic() - started,
                             f"{worker_name().split(':')[0]}:{w.proc.pid}",
                             partial_outputs(self.suite_dir, task.out_dir)))
        elif not w.ready:
            self._start_failures += 1
            if self._start_failures >= 3:
                raise RuntimeError(f"suite workers die while starting ({reason}); run "
                                   "`kav run` on one scenario to see the error")
        return _Worker(self.ctx, self.suite_dir)
