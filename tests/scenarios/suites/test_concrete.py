"""TOML writer round trips and concrete scenario files that run exactly the found variant."""

from __future__ import annotations

import datetime as dt
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.catalog import catalog_files, logical_scenarios
from scenarios.scenario_file import parse_scenario_text
from scenarios.suites.concrete import concrete_scenario_text
from scenarios.suites.toml_write import dumps

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CATALOG = logical_scenarios()
WITH_PARAMETERS = sorted(sid for sid, lg in CATALOG.items() if lg.decls)


@pytest.mark.parametrize("path", catalog_files(), ids=lambda p: p.stem)
def test_every_catalogue_file_round_trips(path):
    with path.open("rb") as f:
        data = tomllib.load(f)
    assert tomllib.loads(dumps(data)) == data


def test_layout_follows_the_catalogue_style():
    with (catalog_files()[0].parent / "gn-rtor.toml").open("rb") as f:
        text = dumps(tomllib.load(f))
    assert "[parameters.walker_speed]\n" in text
    assert "\n[parameters]\n" not in text  # a table of only tables is implied
    assert "[[acts]]\n" in text and "[[acts.events]]\n" in text
    assert 'start = { x = 60.0, y = 218.62, heading = 0.0 }\n' in text
    assert 'when = [{ type = "time", value = 1.0 }]\n' in text
    assert text.index("duration_s = 45.0") < text.index("[parameters.")


TRICKY = ['say "hi"', "back\\slash", "C:\\new\\table", "line\nbreak\r\n", "tab\there",
          "어린이 보호구역 (스쿨존)", "", '"""', 'ends with quote"', "\x00\x1f\x7f", "\n",
          "\nstarts with newline", "trailing backslash\\", "emoji 🚗"]


@pytest.mark.parametrize("s", TRICKY)
def test_string_escaping_round_trips(s):
    # At section level (multi-line form when it has a newline), inline, and as a key.
    data = {"a": s, "t": {"k": [s, {"v": s}]}, s: 1, "arr": [{"x": s}]}
    assert tomllib.loads(dumps(data)) == data


_scalars = (st.text() | st.integers(-2**63, 2**63 - 1) | st.booleans()
            | st.floats(allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(st.recursive(
    st.dictionaries(st.text(), _scalars, max_size=4),
    lambda inner: st.dictionaries(st.text(), inner | st.lists(inner, max_size=3)
                                  | st.lists(_scalars, max_size=3), max_size=4),
    max_leaves=20))
def test_generated_documents_round_trip(data):
    assert tomllib.loads(dumps(data)) == data


def test_special_floats_and_dates():
    data = {"inf": math.inf, "ninf": -math.inf, "tiny": 1e-300, "big": 1.5e300,
            "neg0": -0.0, "day": dt.date(2024, 5, 1), "at": dt.time(14, 0),
            "when": dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone.utc)}
    text = dumps({**data, "nan": math.nan})
    back = tomllib.loads(text)
    assert math.isnan(back.pop("nan"))
    assert back == data
    assert math.copysign(1, back["neg0"]) == -1


def test_unwritable_values_are_rejected():
    with pytest.raises(TypeError, match="NoneType"):
        dumps({"a": {"b": None}})
    with pytest.raises(TypeError):
        dumps([1, 2])


def _non_default(decl):
    """A value other than the default: the last swept value, else the max, else flipped."""
    if decl.values:
        others = [v for v in decl.values if v != decl.default]
        if others:
            return others[-1]
    if isinstance(decl.default, bool):
        return not decl.default
    return decl.max


@pytest.mark.parametrize("sid", WITH_PARAMETERS)
def test_concrete_file_runs_exactly_the_variant(sid):
    logical = CATALOG[sid]
    values = {name: _non_default(d) for name, d in logical.decls.items()}
    assert all(v != logical.decls[n].default for n, v in values.items())
    text = concrete_scenario_text(logical, values, header="found by kav search\nseed 3")
    assert text.startswith("# found by kav search\n# seed 3\n")
    back = parse_scenario_text(text, f"{sid}-concrete.toml")
    assert back.concrete() == logical.concrete(values)
    assert back.variants() == [back.concrete()]  # nothing left to sweep
    for name, decl in back.decls.items():
        old = logical.decls[name]
        assert decl.default == values[name]
        assert (decl.min, decl.max, decl.unit, decl.description) == (
            old.min, old.max, old.unit, old.description)  # still documented


def test_parameters_not_fixed_keep_their_sweep():
    logical = CATALOG["gn-rtor"]
    back = parse_scenario_text(concrete_scenario_text(logical, {"arrow": True}))
    assert back.decls["walker_speed"] == logical.decls["walker_speed"]
    assert back.decls["arrow"].values is None and back.decls["arrow"].default is True
    assert len(back.variants()) == 3 * 2


def test_types_follow_the_declaration():
    logical = CATALOG["gn-rtor"]
    back = parse_scenario_text(concrete_scenario_text(logical, {"courier_speed": 14}))
    assert type(back.decls["courier_speed"].default) is float  # written 14.0, not 14
    text = concrete_scenario_text(logical, {"courier_speed": 14})
    assert "default = 14.0\n" in text


@pytest.mark.parametrize("values, match", [
    ({"walker_speed": 2.5}, "'walker_speed'.*above the maximum"),
    ({"walker_speed": math.nan}, "'walker_speed'.*finite"),
    ({"arrow": "yes"}, "'arrow'"),
    ({"courier_speed": True}, "'courier_speed'.*not a number"),
    ({"no_such": 1.0}, "'no_such'.*declared: walker_speed, courier_speed, arrow"),
])
def test_bad_values_are_rejected_by_name(values, match):
    with pytest.raises(ValueError, match=match):
        concrete_scenario_text(CATALOG["gn-rtor"], values)


def test_no_header_no_comment_and_no_parameters_stays_without():
    sid = next(s for s, lg in CATALOG.items() if not lg.decls)
    text = concrete_scenario_text(CATALOG[sid], {})
    assert not text.startswith("#") and "[parameters" not in text
    assert parse_scenario_text(text).concrete() == CATALOG[sid].concrete()
