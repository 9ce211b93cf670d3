"""A seeded cross-entropy optimiser over a logical scenario's declared parameter ranges.

Falsification looks for the parameter values that make the driving stack fail: each
candidate is a concrete variant, its cost is how well the stack did (lower = worse for the
stack = what we look for). The cross-entropy method keeps a sampling distribution over the
parameters and moves it, generation by generation, towards the lowest-cost quarter (the
elites) of what it tried:

* numeric parameters: independent Gaussians per parameter, truncated to [min, max] by
  resampling, starting at mid-range with std = half the range; ints are searched
  continuously over [min - 0.5, max + 0.5] (so every integer gets an equal share) and
  rounded;
* bool and str parameters: a probability per choice, starting uniform, with a floor so no
  choice is ever ruled out by a few unlucky generations;
* the first generation is a Latin hypercube (numeric) and balanced (categorical) over the
  whole box, so the search starts from an even spread rather than a clump.

Every draw comes from one ``numpy.random.default_rng(seed)``, so the same seed and the same
costs give the same candidates, run after run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scenarios.params import ParameterDecl, Value

Candidate = dict[str, Value]
RESAMPLE_ROUNDS = 16  # then clip: after 16 misses the mean sits at a bound anyway


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: numeric over [``low``, ``high``] (in the parameter's unit,
    ``integer``: whole values), or categorical over ``choices`` when they are given."""

    name: str
    low: float = 0.0
    high: float = 0.0
    integer: bool = False
    choices: tuple[Value, ...] | None = None

    @property
    def span(self) -> tuple[float, float]:
        """The continuous interval searched (ints: each integer's rounding cell included)."""
        pad = 0.5 if self.integer else 0.0
        return self.low - pad, self.high + pad

    def value(self, x: float) -> Value:
        """Internal coordinate ``x`` -> a plain Python value inside [low, high]; floats
        rounded to 1e-4 of the range so they print and serialise short and exact."""
        if self.integer:
            return int(min(max(math.floor(x + 0.5), self.low), self.high))
        width = self.high - self.low
        if width <= 0:
            return float(self.low)
        decimals = 4 - math.floor(math.log10(width))
        return float(min(max(round(float(x), decimals), self.low), self.high))

    def at(self, u: float) -> Value:
        """The value at ``u`` in [0, 1) of the dimension: equal shares for every choice or
        (for ints) every whole number, uniform over a numeric span."""
        if self.choices is not None:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        lo, hi = self.span
        return self.value(lo + u * (hi - lo))


@dataclass(frozen=True)
class SearchSpace:
    """The parameters a search varies, in declaration order."""

    dims: tuple[Dimension, ...]

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    @classmethod
    def from_decls(cls, decls: dict[str, ParameterDecl],
                   names: list[str] | None = None) -> SearchSpace:
        """Search ``names`` (default: every declared parameter). ValueError for an
        undeclared name, a numeric parameter without a finite [min, max] or a str
        parameter without ``values``."""
        names = list(decls) if names is None else names
        dims = []
        for name in names:
            if name not in decls:
                raise ValueError(f"no parameter {name!r} to search "
                                 f"(declared: {', '.join(decls) or 'none'})")
            dims.append(dimension(decls[name]))
        if not dims:
            raise ValueError("nothing to search: no parameters")
        return cls(tuple(dims))


def dimension(decl: ParameterDecl, bounds: tuple[float, float] | None = None) -> Dimension:
    """The dimension of one declared parameter: its choices (bool, or str with ``values``)
    or its [min, max], narrowed to ``bounds`` when given (checked against the declaration).
    ValueError naming the parameter when there is nothing to draw from."""
    d = decl.default
    if bounds is not None:
        if isinstance(d, (bool, str)):
            raise ValueError(f"parameter {decl.name!r}: only numeric parameters take a range")
        if not (len(bounds) == 2 and bounds[0] <= bounds[1]):
            raise ValueError(f"parameter {decl.name!r}: a range is [min, max] with "
                             "min <= max")
        for v in bounds:
            reason = decl.out_of_range(v)
            if reason:
                raise ValueError(f"parameter {decl.name!r}: {reason}")
    if isinstance(d, bool):
        return Dimension(decl.name, choices=decl.values or (False, True))
    if isinstance(d, str):
        if not decl.values:
            raise ValueError(f"parameter {decl.name!r} is a string without 'values': "
                             "declare the choices to search in its [parameters."
                             f"{decl.name}] table")
        return Dimension(decl.name, choices=tuple(dict.fromkeys(decl.values)))
    lo, hi = bounds if bounds is not None else (decl.min, decl.max)
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"parameter {decl.name!r} has no finite range to search: declare "
                         f"min and max in its [parameters.{decl.name}] table")
    if isinstance(d, int):
        whole_lo, whole_hi = math.ceil(lo), math.floor(hi)  # the whole numbers inside
        if whole_lo > whole_hi:
            raise ValueError(f"integer parameter {decl.name!r} has no whole number in "
                             f"[{lo}, {hi}]")
        lo, hi = whole_lo, whole_hi
        return Dimension(decl.name, float(lo), float(hi), integer=True)
    return Dimension(decl.name, float(lo), float(hi))


class CrossEntropySearch:
    """Ask for a generation of candidates, run them, tell their costs; repeat.

    The ``elite_frac`` lowest costs (at least 2) among each told generation and the best
    as many told before pull the distribution: new = ``smoothing`` * elite statistic +
    (1 - ``smoothing``) * old, for the Gaussians' mean and std and for the choice
    probabilities. Stds never drop below ``min_std_frac`` of the range, choice
    probabilities never below ``min_prob`` (or half an equal share with many choices), so
    the search keeps looking around. Costs may be NaN (the run errored) or inf: they rank
    as +inf, never elite, but stay in ``best``.
    """

    def __init__(self, space: SearchSpace, *, seed: int, population: int,
                 elite_frac: float = 0.25, smoothing: float = 0.7,
                 min_std_frac: float = 0.02, min_prob: float = 0.05):
        if population < 1:
            raise ValueError(f"population must be at least 1, not {population}")
        for label, v, ok in (("elite_frac", elite_frac, 0 < elite_frac <= 1),
                             ("smoothing", smoothing, 0 < smoothing <= 1),
                             ("min_std_frac", min_std_frac, 0 <= min_std_frac < 1),
                             ("min_prob", min_prob, 0 <= min_prob < 1)):
            if not ok:
                raise ValueError(f"{label} = {v} is out of range")
        self.space, self.population = space, population
        self.elite_frac, self.smoothing = elite_frac, smoothing
        self._rng = np.random.default_rng(seed)
        self._num = [d for d in space.dims if d.choices is None]
        self._cat = [d for d in space.dims if d.choices is not None]
        spans = np.array([d.span for d in self._num], dtype=float).reshape(-1, 2)
        self._lo, self._hi = spans[:, 0], spans[:, 1]
        self._mean = (self._lo + self._hi) / 2
        self._std = (self._hi - self._lo) / 2
        self._std_floor = min_std_frac * (self._hi - self._lo)
        self._probs = [np.full(len(d.choices), 1 / len(d.choices)) for d in self._cat]
        self._prob_floor = [min(min_prob, 0.5 / len(d.choices)) for d in self._cat]
        self._history: list[tuple[float, Candidate]] = []
        self._updates = 0

    # -- the loop ---------------------------------------------------------------------

    def ask(self) -> list[Candidate]:
        """The next generation: ``population`` candidates, plain Python values."""
        n, first = self.population, self._updates == 0
        x = self._lhs(n) if first else self._gaussian(n)
        picks = [self._balanced(n, len(d.choices)) if first
                 else self._rng.choice(len(d.choices), size=n, p=p)
                 for d, p in zip(self._cat, self._probs)]
        out = []
        for i in range(n):
            values = {d.name: d.value(x[i, j]) for j, d in enumerate(self._num)}
            values.update({d.name: d.choices[int(k[i])] for d, k in zip(self._cat, picks)})
            out.append({name: values[name] for name in self.space.names})
        return out

    def tell(self, candidates: list[Candidate], costs: list[float]) -> None:
        """Record ``costs`` (lower = worse for the stack) and move the distribution
        towards the elites: the lowest costs of this batch and the best told before.
        A batch without a finite cost is recorded but moves nothing (it taught nothing)."""
        if len(candidates) != len(costs):
            raise ValueError(f"{len(candidates)} candidates but {len(costs)} costs")
        for cand in candidates:
            missing = [n for n in self.space.names if n not in cand]
            if missing:
                raise ValueError(f"candidate {cand} lacks {', '.join(missing)}")
            for d in self._cat:  # checked up front so a bad batch changes nothing
                if cand[d.name] not in d.choices:
                    raise ValueError(f"{d.name} = {cand[d.name]!r} is not one of {d.choices}")
        batch = [(float(c), {n: cand[n] for n in self.space.names})
                 for c, cand in zip(costs, candidates)]
        n_elite = max(2, math.ceil(self.elite_frac * len(batch)))
        # Earlier bests compete too: with a dozen runs a generation one unlucky batch
        # would otherwise drag the distribution off a failure region already found.
        earlier = sorted(self._history, key=lambda cv: _rank(cv[0]))[:n_elite]
        self._history.extend(batch)
        if not any(_rank(c) < math.inf for c, _ in batch):
            return
        pool = sorted((cv for cv in batch + earlier if _rank(cv[0]) < math.inf),
                      key=lambda cv: _rank(cv[0]))
        elites = [cand for _, cand in pool[:n_elite]]
        s = self.smoothing
        if self._num:
            e = np.array([[float(c[d.name]) for d in self._num] for c in elites])
            self._mean = s * e.mean(axis=0) + (1 - s) * self._mean
            # Sample std (ddof 1): a handful of elites under-states the spread, and the
            # search would shrink onto a spot before it has found the bottom.
            sd = e.std(axis=0, ddof=1) if len(e) > 1 else np.zeros(len(self._num))
            self._std = np.maximum(s * sd + (1 - s) * self._std, self._std_floor)
        for j, d in enumerate(self._cat):
            freq = np.zeros(len(d.choices))
            for c in elites:
                freq[d.choices.index(c[d.name])] += 1
            p = np.maximum(s * freq / len(elites) + (1 - s) * self._probs[j],
                           self._prob_floor[j])
            self._probs[j] = p / p.sum()
        self._updates += 1

    # -- what was found ---------------------------------------------------------------

    @property
    def best(self) -> list[tuple[float, Candidate]]:
        """Every (cost, candidate) told so far, lowest cost first (NaN last, with inf;
        ties in the order told)."""
        return [(c, dict(v)) for c, v in sorted(self._history, key=lambda cv: _rank(cv[0]))]

    @property
    def distribution(self) -> dict[str, tuple[float, float] | dict[Value, float]]:
        """The current sampling distribution: numeric name -> (mean, std) in the
        parameter's unit; categorical name -> {choice: probability}."""
        out: dict[str, tuple[float, float] | dict[Value, float]] = {
            d.name: (float(self._mean[j]), float(self._std[j]))
            for j, d in enumerate(self._num)}
        out.update({d.name: dict(zip(d.choices, map(float, p)))
                    for d, p in zip(self._cat, self._probs)})
        return out

    # -- sampling ---------------------------------------------------------------------

    def _lhs(self, n: int) -> np.ndarray:
        """Latin hypercube: each parameter's range cut into ``n`` strata, one draw each."""
        u = np.column_stack([(self._rng.permutation(n) + self._rng.random(n)) / n
                             for _ in self._num]) if self._num else np.zeros((n, 0))
        return self._lo + u * (self._hi - self._lo)

    def _gaussian(self, n: int) -> np.ndarray:
        """Independent Gaussians truncated to the span by redrawing what falls outside."""
        x = self._mean + self._std * self._rng.standard_normal((n, len(self._num)))
        for _ in range(RESAMPLE_ROUNDS):
            bad = (x < self._lo) | (x > self._hi)
            if not bad.any():
                break
            redraw = self._mean + self._std * self._rng.standard_normal(x.shape)
            x = np.where(bad, redraw, x)
        return np.clip(x, self._lo, self._hi)

    def _balanced(self, n: int, k: int) -> np.ndarray:
        """Each of ``k`` choices ``n // k`` times, the remainder to distinct random ones."""
        extra = self._rng.choice(k, size=n % k, replace=False)
        return self._rng.permutation(np.concatenate([np.tile(np.arange(k), n // k), extra]))


def _rank(cost: float) -> float:
    return math.inf if math.isnan(cost) else cost


def budget_plan(budget: int) -> tuple[int, int]:
    """(population, generations) for at most ``budget`` runs in all.

    population ~ sqrt(2 * budget), so a generation is about twice as many runs as there
    are generations: enough runs per generation that its elites (a quarter, at least 2)
    say something about where failures are, enough generations for the distribution to
    move there. At least 4 a generation when the budget allows, and at least 2
    generations from a budget of 8 (a single generation is just a Latin hypercube).
    Leftover runs (budget - population * generations) are the caller's to spend.
    """
    if budget < 1:
        raise ValueError(f"budget must be at least 1 run, not {budget}")
    if budget < 4:
        return budget, 1
    population = max(4, round(math.sqrt(2 * budget)))
    generations = budget // population
    if budget >= 8 and generations < 2:
        population, generations = budget // 2, 2
    return population, generations
