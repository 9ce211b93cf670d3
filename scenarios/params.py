"""Declared scenario parameters: logical scenario -> concrete variants.

A scenario file declares parameters with a default and optionally a range and a list of
values to sweep; anywhere in the file the string ``"$name"`` stands for the parameter's
value (OpenSCENARIO's convention). A concrete scenario fixes every parameter; the variants
of a logical scenario are the Cartesian product of the declared ``values`` lists
(parameters without a list keep their default).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from scenarios.schema import ScenarioFileError, check

REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
Value = float | int | str | bool


@dataclass(frozen=True)
class ParameterDecl:
    """One parameter: ``default``, inclusive numeric range [``min``, ``max``] (None: open),
    ``values`` swept by :func:`variants` (None: default only), ``unit`` for people."""

    name: str
    default: Value
    min: float | None = None
    max: float | None = None
    values: tuple[Value, ...] | None = None
    unit: str = ""
    description: str = ""

    def __post_init__(self):
        check(bool(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", self.name)), "name",
              f"{self.name!r} is not a parameter name")
        numeric = _is_number(self.default)
        check(numeric or (self.min is None and self.max is None), "min",
              "only numeric parameters take a range")
        check(self.min is None or self.max is None or self.min <= self.max, "max",
              f"max {self.max} is below min {self.min}")
        reason = self.out_of_range(self.default)
        check(reason is None, "default", reason or "")
        for v in self.values or ():
            check(type(v) is type(self.default) or (numeric and _is_number(v)), "values",
                  f"{v!r} has a different type than the default {self.default!r}")
            reason = self.out_of_range(v)
            check(reason is None, "values", reason or "")
        check(self.values is None or len(self.values) > 0, "values", "must not be empty")

    def out_of_range(self, value: Value) -> str | None:
        """Why ``value`` is not allowed (None if it is)."""
        if _is_number(self.default):
            if not _is_number(value):
                return f"{value!r} is not a number"
            if self.min is not None and value < self.min:
                return f"{value} is below the minimum {self.min}"
            if self.max is not None and value > self.max:
                return f"{value} is above the maximum {self.max}"
        elif type(value) is not type(self.default):
            return f"{value!r} is not a {type(self.default).__name__}"
        return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def resolve(values: dict[str, Value], decls: dict[str, ParameterDecl],
            source: str) -> dict[str, Value]:
    """Defaults overridden by ``values``; ScenarioFileError for unknown names or values out
    of range."""
    out = {n: d.default for n, d in decls.items()}
    for name, v in values.items():
        if name not in decls:
            raise ScenarioFileError(source, f"parameters.{name}",
                                    f"no such parameter (declared: {', '.join(decls) or 'none'})")
        reason = decls[name].out_of_range(v)
        if reason:
            raise ScenarioFileError(source, f"parameters.{name}", reason)
        out[name] = v
    return out


def substitute(data: Any, values: dict[str, Value], source: str, path: str = "") -> Any:
    """``data`` with every ``"$name"`` string replaced by its value."""
    if isinstance(data, dict):
        return {k: substitute(v, values, source, f"{path}.{k}" if path else k)
                for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, values, source, f"{path}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, str):
        m = REF.match(data)
        if m:
            if m.group(1) not in values:
                raise ScenarioFileError(source, path, f"undeclared parameter {data!r} "
                                                      f"(declared: {', '.join(values) or 'none'})")
            return values[m.group(1)]
        if data.startswith("$"):
            raise ScenarioFileError(source, path, f"{data!r} is not a parameter reference "
                                                  "(write \"$name\" as the whole value)")
    return data


def variants(decls: dict[str, ParameterDecl]) -> list[dict[str, Value]]:
    """Every combination of the declared ``values`` lists, in declaration order."""
    names = list(decls)
    axes = [decls[n].values if decls[n].values is not None else (decls[n].default,)
            for n in names]
    return [dict(zip(names, combo)) for combo in itertools.product(*axes)]
