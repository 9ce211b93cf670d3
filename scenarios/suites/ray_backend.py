"""The Ray backend: the same runs as the local pool, as Ray tasks on a cluster.

Each run is one task calling :func:`scenarios.suites.worker.execute`, the function local
workers call, so a plan gives the same rows on either backend. Tasks are not retried (a
retry would redo a run the store may already count); at most one task per cluster CPU is in
flight, so a task's deadline starts about when it does. A task past its ``timeout_s`` is
cancelled with ``force=True`` (Ray kills its worker process) and a task whose worker dies
gets an ERROR row, as in the local pool.

On a multi-node cluster every node needs kav installed (``pip install kav-testbed``) and
``--out`` on a file system all nodes share, since each run writes its own folder there;
the results store is written by the driver alone.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable

from scenarios.suites.plan import RunTask
from scenarios.suites.rows import error_row
from scenarios.suites.worker import partial_outputs

_SLACK_S = 5.0  # scheduling and worker start-up allowance on top of a run's timeout


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs the distributed extra: pip install "
                           "'kav-testbed[distributed]'") from None
    return ray


def init_kwargs(address: str, workers: int | None = None) -> dict:
    """``ray.init`` arguments for a suite: every worker imports the run stack when it starts
    (:mod:`scenarios.suites._preload`), not in its first run; on ``local`` the workers also
    share the driver's Numba cache, which the suite has just filled, instead of compiling."""
    env: dict = {"worker_process_setup_hook": "scenarios.suites._preload.setup"}
    kw = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if address == "local":
        env["env_vars"] = {"NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", "")}
        return dict(num_cpus=workers, runtime_env=env, **kw)
    return dict(address=address, runtime_env=env, **kw)


class RayPool:
    """``address``: ``local`` (start a Ray instance on this machine with ``workers``
    CPUs), ``auto``, or ``ray://host:port`` / ``host:port`` of a running cluster."""

    name = "ray"

    def __init__(self, address: str, suite_dir: str, workers: int | None = None):
        self.address = address
        self.suite_dir = str(suite_dir)
        self.workers = workers
        self._started_here = False

    def describe(self) -> str:
        return f"ray {self.address}" + (f", {self.workers} CPUs" if self.workers else "")

    def _connect(self):
        ray = _ray()
        if ray.is_initialized():
            return ray
        ray.init(**init_kwargs(self.address, self.workers))
        self._started_here = True
        return ray

    def run(self, tasks: Iterable[RunTask], on_row: Callable[[dict], None]) -> None:
        queue = deque(tasks)
        if not queue:
            return
        ray = self._connect()
        try:
            from scenarios.suites.worker import execute

            remote = ray.remote(num_cpus=1, max_retries=0)(execute)
            slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
            flying: dict = {}  # ObjectRef -> (task, submitted, deadline)
            while queue or flying:
                while queue and len(flying) < slots:
                    t = queue.popleft()
                    now = time.monotonic()
                    flying[remote.remote(t, self.suite_dir)] = (t, now,
                                                                now + t.timeout_s + _SLACK_S)
                now = time.monotonic()
                wait_s = max(0.0, min(d for _, _, d in flying.values()) - now)
                done, _ = ray.wait(list(flying), num_returns=1, timeout=min(wait_s, 3600.0))
                for ref in done:
                    task, t0, _ = flying.pop(ref)
                    on_row(self._row(ray, ref, task, t0))
                now = time.monotonic()
                for ref in [r for r, (_, _, d) in flying.items() if now > d]:
                    task, t0, _ = flying.pop(ref)
                    ray.cancel(ref, force=True)
                    on_row(error_row(task.columns(), f"timed out after {task.timeout_s:.0f} s "
                                     "(the run was killed; raise timeout_s if it is just "
                                     "slow)", now - t0, "ray",
                                     partial_outputs(self.suite_dir, task.out_dir)))
        finally:
            if self._started_here:
                ray.shutdown()

    def _row(self, ray, ref, task: RunTask, t0: float) -> dict:
        try:
            return ray.get(ref)
        except ray.exceptions.WorkerCrashedError as exc:
            reason = f"worker process died during the run ({str(exc).splitlines()[0]})"
        except ray.exceptions.RayError as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        return error_row(task.columns(), reason, time.monotonic() - t0, "ray",
                         partial_outputs(self.suite_dir, task.out_dir))
