"""Frenet lattice planner: sampled quintic/quartic candidates along a reference path,
feasibility, oriented-box collision check against predicted obstacles, cheapest survivor."""

from sim._numba_env import configure_numba_cache

configure_numba_cache()  # before the kernels import numba, as ``sim`` does

from planners.lattice.collision import check_collisions, check_collisions_numpy  # noqa: E402
from planners.lattice.frenet import reference_path, to_cartesian, to_frenet  # noqa: E402
from planners.lattice.planner import (  # noqa: E402
    Constraints,
    FrenetState,
    LatticeConfig,
    LatticePlanner,
    LatticeResult,
    Obstacles,
    ReferencePath,
)

__all__ = ["Constraints", "FrenetState", "LatticeConfig", "LatticePlanner", "LatticeResult",
           "Obstacles", "ReferencePath", "check_collisions", "check_collisions_numpy",
           "reference_path", "to_cartesian", "to_frenet"]
