"""Map builders by name, as scenario specs refer to them."""

from __future__ import annotations

from collections.abc import Callable


def map_builders() -> dict[str, Callable[[], str]]:
    """name -> function returning OpenDRIVE text (deterministic for a name)."""
    from scenarios.maps import benchmark_grid, build_grid, sangam_dmc_grid

    return {
        "sangam_dmc_grid": lambda: build_grid(sangam_dmc_grid()),
        "benchmark_grid": lambda: build_grid(benchmark_grid()),
    }


def build_map(name: str) -> str:
    builders = map_builders()
    if name not in builders:
        raise KeyError(f"unknown map builder {name!r}; known: {', '.join(sorted(builders))}")
    return builders[name]()
