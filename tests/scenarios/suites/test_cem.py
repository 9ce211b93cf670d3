"""Cross-entropy search: determinism, ranges and types, convergence, NaN handling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.params import ParameterDecl
from scenarios.suites.cem import CrossEntropySearch, SearchSpace, budget_plan

DECLS = {
    "x": ParameterDecl("x", 0.5, min=0.0, max=1.0),
    "y": ParameterDecl("y", 0.0, min=-3.0, max=3.0, unit="m"),
    "flag": ParameterDecl("flag", False),
}


def quadratic(c: dict) -> float:
    """Known minimum at x = 0.8, y = -2, whatever the flag."""
    return (c["x"] - 0.8) ** 2 + (c["y"] + 2) ** 2


def run(cost, *, seed: int, population: int = 12, generations: int = 6,
        decls: dict = DECLS) -> CrossEntropySearch:
    search = CrossEntropySearch(SearchSpace.from_decls(decls), seed=seed, population=population)
    for _ in range(generations):
        cands = search.ask()
        search.tell(cands, [cost(c) for c in cands])
    return search


def asks(seed: int, generations: int = 3) -> list[list[dict]]:
    search = CrossEntropySearch(SearchSpace.from_decls(DECLS), seed=seed, population=8)
    out = []
    for _ in range(generations):
        cands = search.ask()
        out.append(cands)
        search.tell(cands, [quadratic(c) for c in cands])
    return out


def test_same_seed_same_candidates_and_different_seed_different():
    assert asks(3) == asks(3)
    assert asks(3) != asks(4)


def test_candidates_in_range_of_plain_types():
    decls = {**DECLS,
             "lanes": ParameterDecl("lanes", 2, min=0.5, max=4.2),
             "radio": ParameterDecl("radio", "wave", values=("wave", "lte-v2x")),
             "ms": ParameterDecl("ms", 0.0, min=0.0, max=1000.0)}
    search = CrossEntropySearch(SearchSpace.from_decls(decls), seed=1, population=10)
    seen_lanes = set()
    for _ in range(4):
        cands = search.ask()
        for c in cands:
            assert list(c) == list(decls)
            assert type(c["x"]) is float and 0.0 <= c["x"] <= 1.0
            assert type(c["y"]) is float and -3.0 <= c["y"] <= 3.0
            assert type(c["ms"]) is float and 0.0 <= c["ms"] <= 1000.0
            assert round(c["ms"], 1) == c["ms"]  # 1e-4 of the range: short, exact in TOML
            assert type(c["flag"]) is bool
            assert type(c["lanes"]) is int and 1 <= c["lanes"] <= 4
            assert c["radio"] in ("wave", "lte-v2x")
            seen_lanes.add(c["lanes"])
        search.tell(cands, [c["x"] for c in cands])
    assert seen_lanes == {1, 2, 3, 4}  # ends of an int range are reachable


def test_first_generation_is_a_latin_hypercube():
    search = CrossEntropySearch(SearchSpace.from_decls(DECLS), seed=0, population=12)
    cands = search.ask()
    strata = sorted(math.floor(c["x"] * 12) for c in cands)
    assert strata == list(range(12))  # one candidate in each twelfth of the x range
    assert sum(c["flag"] for c in cands) == 6  # categorical choices balanced


def test_finds_known_minimum_and_beats_random_search():
    cem_best, random_best = [], []
    for seed in range(8):
        search = run(quadratic, seed=seed)
        cost, cand = search.best[0]
        assert len(search.best) == 72
        assert math.hypot(cand["x"] - 0.8, cand["y"] + 2) < 0.1
        cem_best.append(cost)
        rng = np.random.default_rng(seed)
        pts = rng.uniform([0.0, -3.0], [1.0, 3.0], size=(72, 2))
        random_best.append(min(quadratic({"x": a, "y": b}) for a, b in pts))
    assert np.mean(cem_best) < np.mean(random_best) / 3


def test_categorical_converges_to_the_failing_choice():
    search = run(lambda c: 0.0 if c["flag"] else 1.0 + c["x"], seed=2)
    assert search.distribution["flag"][True] > 0.85
    # The floor (min_prob 0.05) keeps every choice alive; without it 0.3^5 of it is left.
    assert search.distribution["flag"][False] >= 0.05 / (1 + 0.05) - 1e-9


def test_numeric_std_never_below_floor():
    search = run(quadratic, seed=0, generations=12)
    mean_x, std_x = search.distribution["x"]
    assert abs(mean_x - 0.8) < 0.05
    assert std_x >= 0.02 * 1.0 - 1e-12


def test_nan_and_inf_costs_are_never_elite_but_are_kept():
    search = CrossEntropySearch(SearchSpace.from_decls(DECLS), seed=5, population=8)
    cands = search.ask()
    # Only candidates with x < 0.5 run; the rest "errored". Had NaNs been elite (as the
    # lowest or anything), the x mean would not move below mid-range.
    costs = [1.0 if c["x"] < 0.5 else math.nan for c in cands]
    costs[next(i for i, c in enumerate(cands) if c["x"] >= 0.5)] = math.inf
    search.tell(cands, costs)
    assert search.distribution["x"][0] < 0.5
    best = search.best
    assert len(best) == 8
    assert all(math.isfinite(c) for c, _ in best[:4])
    assert all(not math.isfinite(c) for c, _ in best[4:])


def test_all_nan_generation_moves_nothing():
    search = CrossEntropySearch(SearchSpace.from_decls(DECLS), seed=5, population=4)
    before = search.distribution
    cands = search.ask()
    search.tell(cands, [math.nan] * 4)
    assert search.distribution == before
    assert len(search.best) == 4


def test_open_or_missing_ranges_are_rejected_by_name():
    with pytest.raises(ValueError, match="'speed'.*min and max"):
        SearchSpace.from_decls({"speed": ParameterDecl("speed", 1.0, min=0.0)})
    with pytest.raises(ValueError, match="'speed'.*min and max"):
        SearchSpace.from_decls({"speed": ParameterDecl("speed", 1.0, min=0.0, max=math.inf)})
    with pytest.raises(ValueError, match="'radio'"):
        SearchSpace.from_decls({"radio": ParameterDecl("radio", "wave")})
    with pytest.raises(ValueError, match="'nope'"):
        SearchSpace.from_decls(DECLS, names=["nope"])


def test_names_select_a_subset():
    space = SearchSpace.from_decls(DECLS, names=["y"])
    cands = CrossEntropySearch(space, seed=0, population=4).ask()
    assert all(list(c) == ["y"] for c in cands)


def test_bad_tell_is_rejected():
    search = CrossEntropySearch(SearchSpace.from_decls(DECLS), seed=0, population=4)
    cands = search.ask()
    with pytest.raises(ValueError, match="4 candidates but 3 costs"):
        search.tell(cands, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="lacks y"):
        search.tell([{"x": 0.1, "flag": True}], [1.0])
    with pytest.raises(ValueError, match="flag = 'maybe'"):
        search.tell([{"x": 0.1, "y": 0.0, "flag": "maybe"}], [1.0])
    assert search.best == []  # rejected batches leave no trace


@pytest.mark.parametrize("budget", [1, 3, 4, 8, 10, 50, 72, 100, 1000])
def test_budget_plan(budget):
    population, generations = budget_plan(budget)
    assert 1 <= population * generations <= budget
    if budget >= 4:
        assert population >= 4
    if budget >= 8:
        assert generations >= 2
    assert budget - population * generations < population  # little left over


def test_budget_plan_examples():
    assert budget_plan(72) == (12, 6)
    assert budget_plan(8) == (4, 2)
    with pytest.raises(ValueError):
        budget_plan(0)
