"""Imported once by the pool's fork server (Linux): every worker forked from it starts with
NumPy, Numba, the carla client and kav's whole run stack already imported, instead of each
importing them again (seconds per worker, and a burst of disk reads on a many-core box).
Ray workers run :func:`setup` as their process set-up hook, so they import it all when
they start rather than in their first run.

One thread per process is set before NumPy loads: the workers are the parallelism, and
BLAS or OpenMP pools inside each would fight over the same cores.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import scenarios.publish  # noqa: E402,F401  (the run stack: sim, v2x, planners, metrics)
import scenarios.suites.worker  # noqa: E402,F401


def setup() -> None:
    """Ray's ``worker_process_setup_hook``: importing this module did the work."""
