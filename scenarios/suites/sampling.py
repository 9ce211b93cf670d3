"""Seeded random samples of scenario parameters from their declared ranges.

``uniform`` draws each parameter independently; ``lhs`` (Latin hypercube) splits each range
into ``n`` equal strata and puts exactly one draw in each, so a small sample still covers
every part of every range. Integers are drawn over [min, max] and rounded; bool and string
parameters are drawn from their declared ``values`` (bools from both values when they have
none). Parameters map to values as in a search (:func:`scenarios.suites.cem.dimension`):
plain Python numbers rounded to 1e-4 of the range, so they print, hash and round-trip
through TOML and JSON exactly.
"""

from __future__ import annotations

import numpy as np

from scenarios.params import ParameterDecl
from scenarios.suites.cem import dimension

METHODS = ("uniform", "lhs")
_KEYS = {"n", "seed", "method", "params", "ranges"}


def sample_values(sample: dict, decls: dict[str, ParameterDecl], n_points: int = 1
                  ) -> list[dict]:
    """``n`` draws for each of ``n_points`` grid points, in order; ValueError naming the key
    or parameter for anything wrong."""
    unknown = sorted(set(sample) - _KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    n = sample.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError("n: must be an integer >= 1 (draws per grid point)")
    seed = sample.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError("seed: must be an integer >= 0")
    method = sample.get("method", "lhs")
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    names = sample.get("params")
    ranges = sample.get("ranges", {})
    if not isinstance(ranges, dict):
        raise ValueError("ranges: must be a table of name = [min, max]")
    if names is None:
        names = [k for k, d in decls.items() if _has_range(d)] + [
            k for k in ranges if k in decls and not _has_range(decls[k])]
        if not names:
            raise ValueError("the scenario declares no parameter with both min and max; "
                             "name the parameters (params = [...]) and their ranges")
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        raise ValueError("params: must be a list of parameter names")
    for k in list(names) + list(ranges):
        if k not in decls:
            raise ValueError(f"parameter {k!r} is not declared by the scenario "
                             f"(declared: {', '.join(decls) or 'none'})")
    axes = [_axis(k, decls[k], ranges.get(k)) for k in names]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_points):
        u = _unit(rng, n, len(axes), method)
        for i in range(n):
            out.append({k: ax(u[i, j]) for j, (k, ax) in enumerate(zip(names, axes))})
    return out


def _has_range(d: ParameterDecl) -> bool:
    return d.min is not None and d.max is not None


def _unit(rng: np.random.Generator, n: int, dims: int, method: str) -> np.ndarray:
    """(n, dims) points in [0, 1)."""
    if method == "uniform":
        return rng.random((n, dims))
    u = np.empty((n, dims))
    for j in range(dims):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def _axis(name: str, decl: ParameterDecl, override):
    """A map from [0, 1) to the parameter's values (the same dimensions a search uses)."""
    if override is not None and (
            not isinstance(override, list) or len(override) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in override)):
        raise ValueError(f"ranges.{name}: must be [min, max]")
    try:
        return dimension(decl, tuple(override) if override is not None else None).at
    except ValueError as exc:
        hint = (f"; or give ranges.{name} = [min, max]" if override is None
                and "no finite range" in str(exc) else "")
        raise ValueError(f"{exc}{hint}") from None
