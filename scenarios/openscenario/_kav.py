"""kav-only data carried through OpenSCENARIO as ``<Property name="kav:FIELD" value=".."/>``.

OpenSCENARIO has no place for a scenario's zone, clock, criteria, V2X set-up, the ego's
goal and planner, or an actor's traffic-model behaviour, so the export writes them as
properties and the import reads them back:

* in ``FileHeader/Properties`` (OpenSCENARIO 1.2+): the
  :class:`~scenarios.spec.ScenarioSpec` fields in :data:`SCENARIO_FIELDS` (the import also
  takes them from the ego's entity, the only place a 1.0/1.1 file has);
* on the ego's Vehicle: the :class:`~scenarios.spec.EgoSpec` fields in :data:`EGO_FIELDS`;
* on an actor's Vehicle/Pedestrian/MiscObject: the :class:`~scenarios.spec.ActorSpec`
  fields in :data:`ACTOR_FIELDS`.

Only values that differ from the dataclass default are written. Values: strings as they
are, everything else as compact JSON of the dataclass fields (enums by lower-case name),
decoded through :func:`scenarios.schema.convert`, so a hand-written property gets the same
checks and messages as a TOML scenario file. A goal may also be written ``"x y"`` (a world
position [m]).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, get_type_hints

from scenarios.schema import ScenarioFileError, convert
from scenarios.spec import ActorSpec, EgoSpec, ScenarioSpec
from scenarios.storyboard import WorldPosition

PREFIX = "kav:"
SCENARIO_FIELDS = ("zone", "description", "tests", "catalogue_ref", "geo", "traffic",
                   "signals", "bus_lane_hours", "v2x", "criteria", "duration_s", "dt_us",
                   "clock")
EGO_FIELDS = ("vehicle", "planner", "max_speed_kmh", "goal")
ACTOR_FIELDS = ("behaviour", "desired_speed", "goal")
_OWNER = {**{f: ScenarioSpec for f in SCENARIO_FIELDS}, **{f: EgoSpec for f in EGO_FIELDS},
          "behaviour": ActorSpec, "desired_speed": ActorSpec}


def to_data(value: Any) -> Any:
    """Plain JSON-able data for a field value (the shape :func:`convert` reads back)."""
    if dataclasses.is_dataclass(value):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.init}
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    return value


def _default(cls: type, name: str) -> Any:
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def encode(obj: Any, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(property name, value text) for ``obj``'s non-default ``fields``, in that order."""
    out = []
    for name in fields:
        value = getattr(obj, name)
        if value == _default(type(obj), name):
            continue
        if isinstance(value, str):
            text = value
        elif isinstance(value, WorldPosition) and value.heading is None:
            text = f"{value.x!r} {value.y!r}"
        else:
            text = json.dumps(to_data(value), separators=(",", ":"))
        out.append((PREFIX + name, text))
    return out


def decode(props: list[tuple[str, str, str]], allowed: tuple[str, ...], owner: type,
           source: str) -> dict[str, Any]:
    """field -> value for the ``kav:`` properties in ``props`` ((name, value, element path)
    triples); other vendors' properties are left alone (renderer hints such as esmini's
    ``model_id``). ``owner`` is the dataclass the goal belongs to."""
    out: dict[str, Any] = {}
    for name, text, path in props:
        if not name.startswith(PREFIX):
            continue
        key = name[len(PREFIX):]
        if key not in allowed:
            known = ", ".join(PREFIX + a for a in allowed)
            raise ScenarioFileError(source, path, f"unknown property {name!r} here (kav "
                                                  f"reads: {known})")
        if key in out:
            raise ScenarioFileError(source, path, f"property {name!r} given twice")
        cls = owner if key == "goal" else _OWNER[key]
        tp = get_type_hints(cls)[key]
        out[key] = _decode_value(tp, key, text, source, path)
    return out


def _decode_value(tp: Any, key: str, text: str, source: str, path: str) -> Any:
    if key == "goal":
        parts = text.split()
        if len(parts) == 2:
            try:
                return WorldPosition(float(parts[0]), float(parts[1]))
            except ValueError:
                pass
    if tp is str or key in ("zone", "description", "tests", "catalogue_ref", "clock",
                            "bus_lane_hours", "vehicle", "planner", "behaviour"):
        data: Any = text
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioFileError(source, path, f"kav:{key}: not JSON ({exc})") from None
    return convert(tp, data, source, f"{path}[kav:{key}]")
