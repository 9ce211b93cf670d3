"""Planner registry: names -> factories; rejects duplicates; loads ``module:Class`` specs.

No global singleton: :func:`default_registry` builds a fresh registry with kav's own
planners each time it is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from planners.base import Planner


class PlannerRegistry:
    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Planner]] = {}

    def register(self, name: str, factory: Callable[[], Planner]) -> None:
        if not name or name in self._factories:
            raise ValueError(f"planner name {name!r} is empty or already registered")
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def create(self, spec: str) -> Planner:
        """A planner by registered name, or by ``package.module:Class`` import path."""
        if spec in self._factories:
            return self._factories[spec]()
        if ":" not in spec:
            raise KeyError(f"unknown planner {spec!r}; registered: {', '.join(self.names())}; "
                           f"or give package.module:Class")
        module_name, _, attr = spec.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise KeyError(f"cannot load planner {spec!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Planner)):
            raise TypeError(f"{spec} is not a subclass of planners.base.Planner")
        return cls()


ENTRY_POINT_GROUP = "kav.planners"


def default_registry(plugins: bool = True) -> PlannerRegistry:
    """kav's planners, plus (``plugins``) every installed ``kav.planners`` entry point
    (``name = "package.module:Class"`` in the plug-in's pyproject)."""
    from planners.baselines import IdmLaneFollower
    from planners.reference import ReferenceStack

    reg = PlannerRegistry()
    reg.register(IdmLaneFollower.name, IdmLaneFollower)
    reg.register(ReferenceStack.name, ReferenceStack)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in reg.names():
                raise ValueError(f"planner plug-in {ep.value!r} (entry point {ep.name!r} in "
                                 f"group {ENTRY_POINT_GROUP}) reuses a registered name")
            reg.register(ep.name, _entry_point_factory(ep))
    return reg


def _entry_point_factory(ep) -> Callable[[], Planner]:
    def make() -> Planner:
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plug-in must name itself, not crash kav
            raise KeyError(f"cannot load planner plug-in {ep.name!r} ({ep.value}): {exc}") \
                from None
        if not (isinstance(cls, type) and issubclass(cls, Planner)):
            raise TypeError(f"planner plug-in {ep.name!r} ({ep.value}) is not a subclass of "
                            f"planners.base.Planner")
        return cls()
    return make
