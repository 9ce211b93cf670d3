"""Metric registry (names -> factories, duplicates rejected) and the set a run evaluates.

No global singleton: :func:`default_metrics` builds a fresh registry each call, so two runs
in one process never share metric state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.state import WorldState


class MetricRegistry:
    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Metric]] = {}

    def register(self, name: str, factory: Callable[[], Metric]) -> None:
        if not name or name in self._factories:
            raise ValueError(f"metric name {name!r} is empty or already registered")
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def create(self, name: str) -> Metric:
        if name not in self._factories:
            raise KeyError(f"unknown metric {name!r}; registered: {', '.join(self.names())}")
        metric = self._factories[name]()
        if metric.name != name:
            raise ValueError(f"metric factory for {name!r} built one named {metric.name!r}")
        return metric

    def create_all(self) -> list[Metric]:
        return [self.create(n) for n in self.names()]


class MetricSet:
    """Runs a list of metrics side by side; collects their events step by step."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate metric names in {names}")
        self.events: list[MetricEvent] = []

    def start(self, ctx: RunContext, state: WorldState) -> None:
        for m in self.metrics:
            m.start(ctx, state)

    def update(self, step: StepInput) -> list[MetricEvent]:
        """Every metric's events of this step, metrics in name order."""
        out: list[MetricEvent] = []
        for m in self.metrics:
            out.extend(m.update(step))
        self.events.extend(out)
        return out

    def finish(self, state: WorldState) -> dict[str, MetricReport]:
        return {m.name: m.finish(state) for m in self.metrics}


def default_metrics() -> MetricRegistry:
    """kav's metrics (each module registers its own classes here)."""
    reg = MetricRegistry()
    for cls in _builtin_classes():
        reg.register(cls.name, cls)
    return reg


def _builtin_classes() -> list[type[Metric]]:
    # imported here so a module that fails to import names itself in the traceback of the
    # run that needs it, and so the registry has no import-time side effects
    from sim.metrics import BUILTIN

    return [cls for cls in BUILTIN()]
