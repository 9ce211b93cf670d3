"""kav world simulation: state, road network, dynamics, traffic, engines.

Nothing in ``sim`` imports from ``planners``, ``scenarios`` or ``hw_bridge``.
"""

from sim._numba_env import configure_numba_cache

configure_numba_cache()
