"""Scenario files: the format, its sugar, parameters and every kind of rejection."""

from __future__ import annotations

import pytest

from scenarios.scenario_file import load_scenario, parse_scenario_text
from scenarios.schema import ScenarioFileError
from scenarios.storyboard import (
    LaneChange,
    RelativeLanePosition,
    SpeedChange,
    TimeHeadway,
    Transition,
    WorldPosition,
)

GOOD = """
id = "cut-in"
zone = "sangam"
title = "cut-in"
duration_s = 20.0

[parameters.v]
default = 10.0
min = 5.0
max = 20.0
values = [5.0, 10.0, 15.0]

[parameters.night]
default = false
values = [false, true]

[map]
builder = "sangam_dmc_grid"

[ego]
start = { x = 30.0, y = 176.0 }
goal = { x = 850.0, y = 364.0 }
start_speed = "$v"

[[actors]]
name = "cutter"
kind = "car"
start = { entity = "ego", ds = 20.0, dlane = 1 }
speed = 8.0

[[acts]]
name = "main"
[[acts.events]]
name = "cut"
actor = "cutter"
when = [{ type = "headway", entity = "ego", ref = "cutter", value = 1.5 }]
actions = [{ type = "lane_change", lanes = -1, shape = "sinusoidal", time = 2.0 },
           { type = "speed", target = 0.0, shape = "linear", rate = 6.0 }]

[end]
when = [{ type = "time", value = 15.0 }]

[[criteria]]
name = "no collision"
metric = "ego_collisions"
op = "=="
threshold = 0
"""


def _spec(text=GOOD, values=None):
    return parse_scenario_text(text, "t.toml").concrete(values)


def test_file_loads_into_the_spec_with_its_sugar():
    spec = _spec()
    assert spec.ego.start == WorldPosition(30.0, 176.0) and spec.ego.start_speed == 10.0
    assert spec.actors[0].start == RelativeLanePosition("ego", 20.0, 1)
    ev = spec.acts[0].events[0]
    assert ev.actors == ("cutter",)
    assert ev.trigger.groups == ((TimeHeadway("ego", "cutter", 1.5),),)
    assert ev.actions == (LaneChange(-1, Transition("sinusoidal", "time", 2.0)),
                          SpeedChange(0.0, Transition("linear", "rate", 6.0)))
    assert spec.end.conditions()[0].value == 15.0
    assert dict(spec.parameters) == {"v": 10.0, "night": False}


def test_parameters_make_concrete_variants():
    logical = parse_scenario_text(GOOD, "t.toml")
    variants = logical.variants()
    assert len(variants) == 6
    assert sorted({v.ego.start_speed for v in variants}) == [5.0, 10.0, 15.0]
    assert _spec(values={"v": 7.5}).ego.start_speed == 7.5
    with pytest.raises(ScenarioFileError, match=r"parameters\.v: 25.0 is above the maximum 20"):
        _spec(values={"v": 25.0})
    with pytest.raises(ScenarioFileError, match=r"parameters\.w: no such parameter"):
        _spec(values={"w": 1.0})
    with pytest.raises(ScenarioFileError, match="is not a bool"):
        _spec(values={"night": 1})


@pytest.mark.parametrize("old, new, where, reason", [
    ('lanes = -1,', 'lanes = -1, bogus = 3,', r"acts\[0\]\.events\[0\]\.actions\[0\]\.bogus",
     "unknown key"),
    ('start_speed = "$v"', 'start_speed = "$w"', r"ego\.start_speed", "undeclared parameter"),
    ('start_speed = "$v"', 'start_speed = "v$"', r"ego\.start_speed",
     "must be a number"),
    ('ref = "cutter"', 'ref = "nobody"', r"acts\.main\.events\.cut\.trigger",
     "unknown actor 'nobody'"),
    ("speed = 8.0", 'speed = "fast"', r"actors\[0\]\.speed", "must be a number"),
    ("speed = 8.0", "speed = 99.0", r"actors\[0\]\.speed", r"must be in \[-15, 60\]"),
    ("values = [5.0, 10.0, 15.0]", "values = [5.0, 30.0]", r"parameters\.v\.values",
     "above the maximum"),
    ('metric = "ego_collisions"', 'metric = "colisions"', r"criteria\[0\]\.metric",
     "unknown metric 'colisions'"),
    ('type = "headway"', 'type = "headwy"', r"type", "unknown type 'headwy'"),
    ('kind = "car"', 'kind = "tank"', r"actors\[0\]\.kind", "must be one of car, bus"),
    ('duration_s = 20.0', 'duration_s = -1.0', r"duration_s", "must be in"),
    ('[map]\nbuilder = "sangam_dmc_grid"', '[map]\nbuilder = "x"\nxodr = "y.xodr"',
     r"map\.builder", "exactly one of"),
    ('name = "cutter"\nkind', 'name = "ego"\nkind', r"actors\[0\]\.name", "reserved"),
    ('rate = 6.0 }', 'rate = 6.0, time = 1.0 }', r"actions\[1\]\.rate",
     "one of time/rate/distance"),
    ('value = 15.0 }]', 'value = 15.0 }]\nwhen_any = []', r"end", "exactly one of"),
    ('shape = "sinusoidal", time = 2.0', 'shape = "sinusoidal", time = 0.0',
     r"transition\.value", "needs a value > 0"),
])
def test_bad_files_are_rejected_with_file_key_and_reason(old, new, where, reason):
    assert old in GOOD
    with pytest.raises(ScenarioFileError) as info:
        _spec(GOOD.replace(old, new, 1))
    msg = str(info.value)
    assert msg.startswith("t.toml: ")
    assert __import__("re").search(where, msg), msg
    assert __import__("re").search(reason, msg), msg


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ScenarioFileError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("id = \n")
    with pytest.raises(ScenarioFileError, match=r"bad\.toml: not valid TOML"):
        load_scenario(bad)
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ScenarioFileError, match="not UTF-8"):
        load_scenario(tmp_path / "bin.toml")


def test_relative_xodr_paths_resolve_next_to_the_file(tmp_path):
    text = GOOD.replace('builder = "sangam_dmc_grid"', 'xodr = "maps/road.xodr"')
    f = tmp_path / "s.toml"
    f.write_text(text)
    spec = load_scenario(f)
    assert spec.map.xodr == str((tmp_path / "maps" / "road.xodr").resolve())
