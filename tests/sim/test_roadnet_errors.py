"""Bad maps fail with a MapError naming the file and what is wrong; CARLA never crashes us."""

import re

import pytest

from sim.roadnet import carla_map
from sim.roadnet.loader import load_network, load_network_text
from sim.roadnet.xodr import MapError


@pytest.fixture()
def good_text(single_road_path):
    return single_road_path.read_text()


@pytest.mark.parametrize("mutate, message", [
    (lambda t: "", r"not well-formed XML"),
    (lambda t: "<OpenDRIVE><road", r"not well-formed XML"),
    (lambda t: t.replace("<OpenDRIVE>", "<OpenSCENARIO>").replace("</OpenDRIVE>",
                                                                  "</OpenSCENARIO>"),
     r"root element is <OpenSCENARIO>"),
    (lambda t: re.sub(r"<planView>.*?</planView>", "", t, flags=re.S),
     r"road 1: <planView> with at least one <geometry> is required"),
    (lambda t: t.replace('length="100.0" id="1"', 'length="-5" id="1"'),
     r"road 1: length must be positive"),
    (lambda t: t.replace('hdg="0.5" length="100.0"', 'hdg="0.5" length="90.0"'),
     r"geometry lengths sum to 90.0000 m, road length is 100.0000 m"),
    (lambda t: t.replace('hdg="0.5" length', 'hdg="abc" length'),
     r"attribute hdg='abc' is not a number"),
    (lambda t: re.sub(r"<lanes>.*?</lanes>", "", t, flags=re.S), r"road 1: missing <lanes>"),
    (lambda t: t.replace("<link/>", '<link><successor elementType="road" elementId="99" '
                                    'contactPoint="start"/></link>'),
     r"road 1: successor refers to missing road 99"),
    (lambda t: t.replace('value="07:00-10:00,17:00-20:00"', 'value="7-10"'),
     r"kav:busLaneHours: bad hours interval '7-10'"),
    (lambda t: t.replace('value="10 30 1"', 'value="30 10 1"'),
     r"kav:childProtectionZone value '30 10 1' must be"),
    (lambda t: t.replace('<speed max="50" unit="km/h"/>', '<speed max="50" unit="knots"/>'),
     r"unknown speed unit 'knots'"),
])
def test_malformed_map_is_rejected_with_reason(good_text, mutate, message):
    with pytest.raises(MapError, match=message) as info:
        load_network_text(mutate(good_text), source="bad.xodr")
    assert str(info.value).startswith("bad.xodr: ")


def test_missing_file_named(tmp_path):
    with pytest.raises(MapError, match=r"nope\.xodr: cannot read map file"):
        load_network(tmp_path / "nope.xodr")


def test_carla_parser_crash_becomes_map_error(good_text, monkeypatch, tmp_path):
    # A file that passes our structural checks but kills CARLA's parser: simulate the crash in
    # the probe child (a real SIGSEGV) and check the parent survives with a clear message.
    monkeypatch.setattr(carla_map, "cache_dir", lambda name: tmp_path / name)
    monkeypatch.setattr(carla_map, "_PROBE", "import os, signal; os.kill(os.getpid(), "
                                             "signal.SIGSEGV)")
    with pytest.raises(MapError, match=r"crash\.xodr: CARLA's OpenDRIVE parser crashed with "
                                       r"SIGSEGV"):
        load_network_text(good_text.replace("single_road", "crash_case"), source="crash.xodr")


def test_probe_result_is_cached(good_text, monkeypatch, tmp_path):
    monkeypatch.setattr(carla_map, "cache_dir", lambda name: tmp_path / name)
    text = good_text.replace("single_road", "cache_case")
    load_network_text(text, source="a.xodr")
    # once probed, a broken probe would no longer be consulted for the same content
    monkeypatch.setattr(carla_map, "_PROBE", "raise SystemExit(3)")
    load_network_text(text, source="a.xodr")
    with pytest.raises(MapError, match="failed"):
        load_network_text(text.replace("cache_case", "other"), source="b.xodr")
