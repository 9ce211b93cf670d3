"""Map builders by name, as scenario specs refer to them, and map text for a MapRef."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path


def map_builders() -> dict[str, Callable[..., str]]:
    """name -> function(**params) returning OpenDRIVE text (deterministic for a name and
    params)."""
    from scenarios.maps import benchmark_grid, build_grid, sangam_dmc_grid
    from scenarios.maps import zone_grids as zg

    builders: dict[str, Callable[..., str]] = {
        "sangam_dmc_grid": lambda: build_grid(sangam_dmc_grid()),
        "benchmark_grid": lambda n_cols=10, n_rows=10, block=300.0: build_grid(
            benchmark_grid(n_cols, n_rows, block)),
    }
    for name in ("gangnam_grid", "seoul_median_bus_grid", "pangyo_grid", "gwangju_grid",
                 "osong_grid"):
        builders[name] = (lambda fn: lambda: build_grid(fn()))(getattr(zg, name))
    from scenarios.maps.corridor import build_corridor
    from scenarios.maps.corridor_presets import corridor_presets, proving_ground_presets

    for name, fn in corridor_presets().items():
        builders[name] = (lambda f: lambda: build_corridor(f()))(fn)
    for name, fn in proving_ground_presets().items():
        builders[name] = _with_params(fn, build_corridor)
    from scenarios.maps.roundabout import build_roundabout, jeju_airport_roundabout

    builders["jeju_airport_roundabout"] = lambda: build_roundabout(jeju_airport_roundabout())
    return builders


def _with_params(make: Callable, build: Callable[..., str]) -> Callable[..., str]:
    """``build(make(**params))`` with ``make``'s signature (build_map checks params on it)."""

    @functools.wraps(make)
    def builder(**params):
        return build(make(**params))

    return builder


# zone key -> the map builder that shows its road character (`kav map ZONE`)
ZONE_MAPS = {
    "sangam": "sangam_dmc_grid",
    "gangnam": "gangnam_grid",
    "seoul_median_bus": "seoul_median_bus_grid",
    "pangyo": "pangyo_grid",
    "gwangju": "gwangju_grid",
    "osong": "osong_grid",
    "cheonggyecheon": "cheonggyecheon_oneway",
    "sejong": "sejong_brt",
    "daegu": "daegu_motorway",
    "jeju": "jeju_pyeonghwa",
    "jeju_airport": "jeju_airport_roundabout",
    "kcity": "kcity_expressway",
}


def build_map(name: str, params: dict | None = None) -> str:
    """OpenDRIVE text of builder ``name`` with keyword ``params``; KeyError / ValueError
    naming the unknown builder or parameter."""
    builders = map_builders()
    if name not in builders:
        raise KeyError(f"unknown map builder {name!r}; known: {', '.join(sorted(builders))}")
    fn = builders[name]
    params = dict(params or {})
    accepted = inspect.signature(fn).parameters
    for key in params:
        if key not in accepted:
            raise ValueError(f"map builder {name!r} has no parameter {key!r} (it takes: "
                             f"{', '.join(accepted) or 'none'})")
    return fn(**params)


def map_text(ref, base_dir: Path | None = None) -> str:
    """OpenDRIVE text for a :class:`scenarios.spec.MapRef`: built, or read from ``ref.xodr``
    (relative to ``base_dir``)."""
    if ref.builder is not None:
        return build_map(ref.builder, dict(ref.params))
    path = Path(ref.xodr)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"map file {path}: {exc.strerror or exc}") from None
