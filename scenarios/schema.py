"""Strict conversion of parsed scenario files (nested dicts and lists) into frozen dataclasses.

Every scenario source (TOML files, OpenSCENARIO import) ends in the same dataclasses; this
module is the one place that turns untyped data into them, so every rejection reads the
same way: ``file: key.path: reason``. Unknown keys, wrong types and out-of-range values
(``__post_init__`` raising ValueError) are all rejected; nothing is silently dropped.

Supported field types: bool, int, float (ints accepted), str, ``X | None``, ``tuple[X, ...]``,
``tuple[X, Y]`` (fixed), nested dataclasses, unions of dataclasses (tagged by the ``type``
key, whose value must equal a class's ``TAG``), ``Literal`` strings and ``IntEnum``-like
enums given by lower-case member name.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints


class ScenarioFileError(ValueError):
    """A scenario file that cannot be used: names the file, the key path and the reason."""

    def __init__(self, source: str, path: str, reason: str):
        self.source, self.path, self.reason = source, path, reason
        where = f"{source}: {path}: " if path else f"{source}: "
        super().__init__(where + reason)


def convert(cls: type, data: Any, source: str, path: str = "") -> Any:
    """``data`` as an instance of type ``cls``; ScenarioFileError on anything wrong."""
    return _Converter(source).value(cls, data, path)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"{type(value).__name__} {value!r}"


class _Converter:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, reason: str) -> ScenarioFileError:
        return ScenarioFileError(self.source, path, reason)

    def value(self, tp: Any, data: Any, path: str) -> Any:
        origin = get_origin(tp)
        if origin in (Union, types.UnionType):
            return self.union(tp, data, path)
        if origin is tuple:
            return self.tuple_(tp, data, path)
        if origin is Literal:
            choices = get_args(tp)
            if data not in choices:
                raise self.fail(path, f"must be one of {', '.join(map(repr, choices))}, "
                                      f"got {_describe(data)}")
            return data
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, data, path)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self.enum(tp, data, path)
        if tp is bool:
            if not isinstance(data, bool):
                raise self.fail(path, f"must be true or false, got {_describe(data)}")
            return data
        if tp is int:
            if isinstance(data, bool) or not isinstance(data, int):
                raise self.fail(path, f"must be an integer, got {_describe(data)}")
            return data
        if tp is float:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise self.fail(path, f"must be a number, got {_describe(data)}")
            if not math.isfinite(data):
                raise self.fail(path, f"must be a finite number, got {data!r}")
            return float(data)
        if tp is str:
            if not isinstance(data, str):
                raise self.fail(path, f"must be a string, got {_describe(data)}")
            return data
        if tp is Any:
            return data
        raise TypeError(f"schema: unsupported field type {tp!r} at {path}")

    def union(self, tp: Any, data: Any, path: str) -> Any:
        options = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            if len(options) < len(get_args(tp)):
                return None
            raise self.fail(path, "must not be empty")
        if len(options) == 1:
            return self.value(options[0], data, path)
        classes = [o for o in options if dataclasses.is_dataclass(o)]
        if classes and len(classes) == len(options):
            return self.tagged(classes, data, path)
        errors = []
        for option in options:
            try:
                return self.value(option, data, path)
            except ScenarioFileError as exc:
                errors.append(exc.reason)
        raise self.fail(path, " or ".join(errors))

    def tagged(self, classes: list[type], data: Any, path: str) -> Any:
        """A union of dataclasses: ``type = TAG`` picks one; without ``type``, the single
        class whose required fields are all present and which knows every key."""
        if not isinstance(data, dict):
            raise self.fail(path, f"must be a table, got {_describe(data)}")
        tags = {c.TAG: c for c in classes if hasattr(c, "TAG")}
        if "type" in data and tags:
            tag = data["type"]
            if tag not in tags:
                raise self.fail(_join(path, "type"), f"unknown type {tag!r}; known: "
                                                     f"{', '.join(sorted(tags))}")
            body = {k: v for k, v in data.items() if k != "type"}
            return self.dataclass(tags[tag], body, path)
        fits = [c for c in classes if _fits(c, data)]
        if len(fits) == 1:
            return self.dataclass(fits[0], data, path)
        if tags:
            raise self.fail(path, f"needs a 'type' key, one of {', '.join(sorted(tags))}")
        shapes = "; ".join(f"{c.__name__}({', '.join(_field_names(c))})" for c in classes)
        raise self.fail(path, f"does not match exactly one of: {shapes}")

    def tuple_(self, tp: Any, data: Any, path: str) -> tuple:
        if not isinstance(data, (list, tuple)):
            raise self.fail(path, f"must be a list, got {_describe(data)}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(self.value(args[0], v, _join(path, i)) for i, v in enumerate(data))
        if len(data) != len(args):
            raise self.fail(path, f"must be a list of {len(args)} values, got {len(data)}")
        return tuple(self.value(a, v, _join(path, i)) for i, (a, v) in enumerate(zip(args, data)))

    def enum(self, tp: type[enum.Enum], data: Any, path: str) -> enum.Enum:
        names = [m.name.lower() for m in tp]
        if not isinstance(data, str) or data.lower() not in names:
            raise self.fail(path, f"must be one of {', '.join(names)}, got {_describe(data)}")
        return tp[data.upper()]

    def dataclass(self, cls: type, data: Any, path: str) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise self.fail(path, f"must be a table, got {_describe(data)}")
        hints = get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        for key in data:
            if key not in fields:
                raise self.fail(_join(path, key), f"unknown key (known: {', '.join(fields)})")
        kwargs = {}
        for name, f in fields.items():
            if name in data:
                kwargs[name] = self.value(hints[name], data[name], _join(path, name))
            elif (f.default is dataclasses.MISSING
                  and f.default_factory is dataclasses.MISSING):
                raise self.fail(_join(path, name), "is required")
        try:
            return cls(**kwargs)
        except ValueError as exc:
            # __post_init__ names the field: "<field>: reason"
            field, _, reason = str(exc).partition(": ")
            if field in fields and reason:
                raise self.fail(_join(path, field), reason) from None
            raise self.fail(path, str(exc)) from None


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _fits(cls: type, data: dict) -> bool:
    names = set(_field_names(cls))
    required = {f.name for f in dataclasses.fields(cls) if f.init
                and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING}
    return set(data) <= names and required <= set(data)


def check(cond: bool, field: str, reason: str) -> None:
    """For ``__post_init__``: raise ValueError('<field>: <reason>') unless ``cond``."""
    if not cond:
        raise ValueError(f"{field}: {reason}")


__all__ = ["ScenarioFileError", "check", "convert"]
