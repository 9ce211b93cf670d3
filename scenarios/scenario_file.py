"""kav scenario files (TOML) -> :class:`scenarios.spec.ScenarioSpec`.

The file is the spec's fields as TOML, with a little sugar so scenarios read like what
they describe (all of it optional; the plain field names work too):

* a trigger is written ``when = [cond, ...]`` (all must hold) or ``when_any = [[...], ...]``
  (any group); an act's start trigger and ``[end]`` use the same keys;
* an event may name one ``actor = "x"`` instead of ``actors = [...]``;
* an action's transition is written inline: ``shape = "linear", rate = 6.0`` (or ``time``
  / ``distance``) instead of ``transition = {shape, dimension, value}``;
* ``[map] params`` is a table;
* ``[parameters.NAME]`` declares a parameter (see :mod:`scenarios.params`); ``"$NAME"``
  anywhere uses it.

Errors name the file, the key path and the reason (:class:`ScenarioFileError`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scenarios.params import ParameterDecl, Value, resolve, substitute, variants
from scenarios.schema import ScenarioFileError, convert
from scenarios.spec import ScenarioSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TRANSITION_KEYS = ("shape", "time", "rate", "distance")


@dataclass(frozen=True)
class LogicalScenario:
    """A scenario file with its parameters still free: ``concrete(values)`` fixes them."""

    source: str
    raw: dict
    decls: dict[str, ParameterDecl]

    def concrete(self, values: dict[str, Value] | None = None) -> ScenarioSpec:
        resolved = resolve(values or {}, self.decls, self.source)
        data = substitute(self.raw, resolved, self.source)
        spec = convert(ScenarioSpec, desugar(data, self.source), self.source)
        return replace(spec, parameters=tuple(sorted(resolved.items())))

    def variants(self) -> list[ScenarioSpec]:
        """One concrete scenario per combination of the declared ``values`` lists."""
        return [self.concrete(v) for v in variants(self.decls)]


def read_scenario_file(path: str | Path) -> LogicalScenario:
    """Parse a scenario TOML file (nothing is resolved or validated beyond TOML syntax and
    the parameter declarations; :meth:`LogicalScenario.concrete` does the rest)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioFileError(str(path), "", "not UTF-8 text") from None
    return parse_scenario_text(text, str(path), base_dir=path.parent)


def parse_scenario_text(text: str, source: str = "<string>",
                        base_dir: Path | None = None) -> LogicalScenario:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(source, "", f"not valid TOML: {exc}") from None
    decls_raw = raw.pop("parameters", {})
    if not isinstance(decls_raw, dict):
        raise ScenarioFileError(source, "parameters", "must be a table of parameter tables")
    decls = {}
    for name, body in decls_raw.items():
        if not isinstance(body, dict):
            raise ScenarioFileError(source, f"parameters.{name}",
                                    "must be a table (default = ..., min = ..., ...)")
        decls[name] = convert(ParameterDecl, {"name": name, **body}, source,
                              f"parameters.{name}")
    m = raw.get("map")
    if isinstance(m, dict) and isinstance(m.get("xodr"), str) and base_dir is not None:
        xodr = Path(m["xodr"])
        if not xodr.is_absolute():
            raw["map"] = {**m, "xodr": str((base_dir / xodr).resolve())}
    return LogicalScenario(source, raw, decls)


def load_scenario(path: str | Path, values: dict[str, Value] | None = None) -> ScenarioSpec:
    """The concrete scenario in ``path`` with parameters at their defaults (or ``values``)."""
    return read_scenario_file(path).concrete(values)


# -- sugar --------------------------------------------------------------------------------

def desugar(data: dict, source: str) -> dict:
    """The file's sugar rewritten into the dataclasses' own field names."""
    data = dict(data)
    m = data.get("map")
    if isinstance(m, dict) and isinstance(m.get("params"), dict):
        data["map"] = {**m, "params": [[k, v] for k, v in sorted(m["params"].items())]}
    if isinstance(data.get("end"), dict):
        data["end"] = _trigger(data["end"], source, "end")
    acts = data.get("acts")
    if isinstance(acts, list):
        data["acts"] = [_act(a, source, f"acts[{i}]") for i, a in enumerate(acts)]
    return data


def _trigger(body: dict, source: str, path: str) -> Any:
    """``{when = [...]}`` / ``{when_any = [[...]]}`` -> ``{groups = [[...]]}``."""
    if not isinstance(body, dict):
        return body
    keys = set(body)
    if keys == {"groups"}:
        return body
    if keys == {"when"}:
        return {"groups": [body["when"]]}
    if keys == {"when_any"}:
        return {"groups": body["when_any"]}
    raise ScenarioFileError(source, path, "a trigger is written as exactly one of "
                                          "'when = [...]' or 'when_any = [[...], ...]'")


def _act(act: Any, source: str, path: str) -> Any:
    if not isinstance(act, dict):
        return act
    act = dict(act)
    for key in ("when", "when_any"):
        if key in act:
            if "start" in act:
                raise ScenarioFileError(source, f"{path}.{key}", "give 'start' or 'when', "
                                                                 "not both")
            act["start"] = _trigger({key: act.pop(key)}, source, path)
    if isinstance(act.get("start"), dict):
        act["start"] = _trigger(act["start"], source, f"{path}.start")
    events = act.get("events")
    if isinstance(events, list):
        act["events"] = [_event(e, source, f"{path}.events[{i}]") for i, e in enumerate(events)]
    return act


def _event(ev: Any, source: str, path: str) -> Any:
    if not isinstance(ev, dict):
        return ev
    ev = dict(ev)
    if "actor" in ev:
        if "actors" in ev:
            raise ScenarioFileError(source, f"{path}.actor", "give 'actor' or 'actors', not both")
        ev["actors"] = [ev.pop("actor")]
    for key in ("when", "when_any"):
        if key in ev:
            if "trigger" in ev:
                raise ScenarioFileError(source, f"{path}.{key}", "give 'trigger' or 'when', "
                                                                 "not both")
            ev["trigger"] = _trigger({key: ev.pop(key)}, source, path)
    if isinstance(ev.get("trigger"), dict):
        ev["trigger"] = _trigger(ev["trigger"], source, f"{path}.trigger")
    actions = ev.get("actions")
    if isinstance(actions, list):
        ev["actions"] = [_action(a, source, f"{path}.actions[{i}]")
                         for i, a in enumerate(actions)]
    return ev


def _action(a: Any, source: str, path: str) -> Any:
    if not isinstance(a, dict) or not any(k in a for k in TRANSITION_KEYS):
        return a
    if "transition" in a:
        raise ScenarioFileError(source, path, "give 'transition' or inline "
                                              "shape/time/rate/distance, not both")
    a = dict(a)
    dims = [k for k in ("time", "rate", "distance") if k in a]
    if len(dims) > 1:
        raise ScenarioFileError(source, f"{path}.{dims[1]}",
                                f"give one of time/rate/distance, not {' and '.join(dims)}")
    t: dict[str, Any] = {"shape": a.pop("shape", "linear" if dims else "step")}
    if dims:
        t["dimension"] = dims[0]
        t["value"] = a.pop(dims[0])
    a["transition"] = t
    return a
