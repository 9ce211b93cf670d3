"""Write a concrete (ready-to-run) scenario file: a logical scenario with parameters fixed.

A falsification search ends with parameter values that made the driving stack fail; the
useful artefact is a scenario file that ``kav run`` runs as exactly that variant, that a
person can read, and that still documents where the values came from. So the written file
is the logical scenario's own content with each fixed parameter's ``[parameters.X]`` table
kept (range, unit and description still document it) but ``default`` set to the found
value and no ``values`` sweep list; parameters not fixed keep their declaration unchanged.
"""

from __future__ import annotations

import math
from typing import Any

from scenarios.params import ParameterDecl, Value
from scenarios.scenario_file import LogicalScenario
from scenarios.suites.toml_write import dumps


def concrete_scenario_text(logical: LogicalScenario, values: dict[str, Value], *,
                           header: str = "") -> str:
    """TOML text of ``logical`` with each parameter in ``values`` fixed to its value.

    ``header`` becomes leading ``#`` comment lines (e.g. how the values were found).
    ValueError naming the parameter for an undeclared name, a value of the wrong type or
    outside the declared range. A ``map.xodr`` path the parser made absolute stays absolute,
    so the file runs from wherever it is written.
    """
    fixed = {name: _checked(logical, name, v) for name, v in values.items()}
    params = {name: _decl_table(decl, fixed.get(name, decl.default), name in fixed)
              for name, decl in logical.decls.items()}
    # Parameters first among the tables, as in the catalogue files (the writer puts the
    # top-level plain values above every table anyway).
    data: dict[str, Any] = {"parameters": params} if params else {}
    data.update(logical.raw)
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return (comments + "\n" if comments else "") + dumps(data)


def _checked(logical: LogicalScenario, name: str, value: Value) -> Value:
    """``value`` in the parameter's own type (the type of its default), or ValueError."""
    decl = logical.decls.get(name)
    if decl is None:
        declared = ", ".join(logical.decls) or "none"
        raise ValueError(f"{logical.source}: no parameter {name!r} to fix "
                         f"(declared: {declared})")
    reason = decl.out_of_range(value)
    if reason:
        raise ValueError(f"{logical.source}: parameter {name!r}: {reason}")
    # The written default decides the parameter's type when the file is read back, so an
    # int for a float parameter is written 14.0 and a float for an int parameter must be
    # whole (14.0 -> 14), else the variant would silently change type.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{logical.source}: parameter {name!r}: {value!r} is not a finite "
                         "number")
    if isinstance(decl.default, float):
        return float(value)
    if isinstance(decl.default, int) and not isinstance(decl.default, bool):
        if value != int(value):
            raise ValueError(f"{logical.source}: parameter {name!r} is an integer, "
                             f"not {value!r}")
        return int(value)
    return value


def _decl_table(decl: ParameterDecl, default: Value, fixed: bool) -> dict[str, Any]:
    """The ``[parameters.NAME]`` table of ``decl``; without the sweep list when ``fixed``."""
    table: dict[str, Any] = {"default": default}
    if decl.min is not None:
        table["min"] = decl.min
    if decl.max is not None:
        table["max"] = decl.max
    if decl.values is not None and not fixed:
        table["values"] = list(decl.values)
    if decl.unit:
        table["unit"] = decl.unit
    if decl.description:
        table["description"] = decl.description
    return table
