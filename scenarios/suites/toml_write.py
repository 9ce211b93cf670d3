"""A small TOML 1.0 writer: ``dumps(data) -> str`` with ``tomllib.loads(dumps(d)) == d``.

The standard library reads TOML but does not write it, and the scenario files kav writes
(concrete variants found by a search) are meant to be read and edited by people, so the
layout follows the hand-written catalogue files rather than the shortest valid form:

* top-level tables are ``[table]`` sections and top-level lists of tables are ``[[array]]``
  sections; a table holding nothing but tables (``parameters``) gets one section per child
  (``[parameters.walker_speed]``);
* deeper lists of tables are ``[[a.b]]`` sections only where their elements hold lists of
  tables themselves (``[[acts.events]]``, whose events hold ``actions``) or an element does
  not fit on a line; otherwise they are inline (``when = [{ type = "time", value = 1.0 }]``),
  one element per line when long;
* deeper tables are inline (``start = { x = 1.0, y = 2.0 }``) unless the line gets too long;
* strings containing a newline at section level are multi-line basic strings (``\"\"\"``),
  every other string is a basic string with escapes; floats use ``repr`` (shortest exact
  round trip), with TOML's ``inf``/``-inf``/``nan``.

Key order is kept, except that TOML needs a section's plain values before its sub-sections.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
LINE_WIDTH = 100  # past this an inline table becomes a section, an inline array multi-line
INDENT = "    "

# TOML basic strings must escape these; everything else (Hangul included) is written as is.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def dumps(data: dict) -> str:
    """``data`` (str keys; values str, int, float, bool, date/time, list/tuple, dict) as a
    TOML document. TypeError for anything TOML cannot hold (None, other objects)."""
    if not isinstance(data, dict):
        raise TypeError(f"a TOML document is a table, not {type(data).__name__}")
    lines: list[str] = []
    _section(lines, (), data, array_element=False, top=True)
    return "\n".join(lines).lstrip("\n") + "\n"


def key(k: str) -> str:
    """``k`` as a TOML key: bare when it can be, else a quoted basic string."""
    if not isinstance(k, str):
        raise TypeError(f"TOML keys are strings, not {type(k).__name__} {k!r}")
    return k if BARE_KEY.fullmatch(k) else _basic_string(k)


def inline(value: Any, path: str = "") -> str:
    """``value`` as a one-line TOML value (inline tables and arrays for containers)."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _basic_string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inline(v, f"{path}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = ", ".join(f"{key(k)} = {inline(v, f'{path}.{k}')}" for k, v in value.items())
        return "{ " + body + " }"
    raise TypeError(f"{path or 'value'}: TOML cannot hold {type(value).__name__} {value!r}")


def _basic_string(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, s) + '"'


def _escape(m: re.Match) -> str:
    c = m.group(0)
    return _ESCAPES.get(c) or f"\\u{ord(c):04x}"


def _multiline_string(s: str) -> str:
    # The newline after the opening quotes is dropped by readers, so the text starts on
    # its own line whatever it begins with. Quotes are all escaped, so no run of three
    # can close the string early; real newlines stay, every other control is escaped.
    body = "\n".join(_NEEDS_ESCAPE.sub(_escape, part) for part in s.split("\n"))
    return '"""\n' + body + '"""'


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, dict) for v in value)


def _table_array_needs_sections(element: dict, path: str) -> bool:
    """Whether a list of tables with this element reads better as ``[[a.b]]`` sections:
    it holds lists of tables itself, or does not fit on one line of a multi-line array."""
    return (any(_is_table_array(x) for x in element.values())
            or len(INDENT + inline(element, path) + ",") > LINE_WIDTH)


def _section(lines: list[str], path: tuple[str, ...], table: dict, *, array_element: bool,
             top: bool = False) -> None:
    """Emit ``table`` at ``path``: its header, its plain values, then its sub-sections."""
    namespace = bool(table) and all(isinstance(v, dict) for v in table.values())
    plain: list[str] = []
    subs: list[tuple[str, Any]] = []
    for k, v in table.items():
        dotted = ".".join((*path, k))
        if isinstance(v, dict):
            line = f"{key(k)} = {inline(v, dotted)}"
            if top or namespace or len(line) > LINE_WIDTH:
                subs.append((k, v))
            else:
                plain.append(line)
        elif _is_table_array(v) and (top or any(_table_array_needs_sections(e, dotted)
                                                for e in v)):
            subs.append((k, v))
        elif isinstance(v, str) and "\n" in v:
            plain.append(f"{key(k)} = {_multiline_string(v)}")
        else:
            plain.append(_array_line(k, v, dotted) if isinstance(v, (list, tuple))
                         else f"{key(k)} = {inline(v, dotted)}")
    header = ".".join(key(p) for p in path)
    if array_element:
        lines += ["", f"[[{header}]]"]
    elif path and (plain or not subs):  # a table of only tables is implied by its children
        lines += ["", f"[{header}]"]
    lines += plain
    for k, v in subs:
        if isinstance(v, dict):
            _section(lines, (*path, k), v, array_element=False)
        else:
            for element in v:
                _section(lines, (*path, k), element, array_element=True)


def _array_line(k: str, value: list | tuple, path: str) -> str:
    """``k = [...]`` on one line, or one element per line when that is too long."""
    one = f"{key(k)} = {inline(value, path)}"
    if len(one) <= LINE_WIDTH or not value:
        return one
    items = [f"{INDENT}{inline(v, f'{path}[{i}]')}," for i, v in enumerate(value)]
    return "\n".join([f"{key(k)} = [", *items, "]"])
