"""Unit tests of the map builder's parts: zones, geometry paths, serializer, atomic write."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from scenarios.maps import write_xodr
from scenarios.maps.geometry import Pose, end_pose, path_length, straight_path, turn_path
from scenarios.maps.xml_writer import num, to_xml
from scenarios.maps.xodr import (
    CornerLocal,
    Geometry,
    Header,
    Lane,
    LaneSection,
    OpenDrive,
    Poly3,
    Road,
    RoadMark,
    RoadObject,
)
from scenarios.maps.zones import ZONES, proj_string, zone, zone_proj_string


def test_zone_anchors_and_proj_string():
    sangam = zone("sangam")
    assert (sangam.lat, sangam.lon) == (37.5772, 126.8913)
    assert zone_proj_string("sangam") == (
        "+proj=tmerc +lat_0=37.5772 +lon_0=126.8913 +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )
    for key in (
        "gangnam",
        "cheonggyecheon",
        "pangyo",
        "sejong",
        "daegu",
        "jeju",
        "gwangju",
        "kcity",
    ):
        assert key in ZONES
    assert ZONES["kcity"].approximate  # korea.md gives no coordinates for K-City
    with pytest.raises(ValueError, match="unknown zone"):
        zone("atlantis")
    with pytest.raises(ValueError, match="lat"):
        proj_string(91.0, 0.0)


def test_num_is_short_and_stable():
    assert num(0.0) == "0"
    assert num(-0.0) == "0"
    assert num(1e-13) == "0"
    assert num(3.25) == "3.25"
    assert num(50.0) == "50"
    assert num(0.1 + 0.2) == "0.3"
    assert num(math.pi) == "3.1415926536"


def _end(geometry):
    return end_pose(geometry[-1])


@pytest.mark.parametrize(
    "start,end",
    [
        (Pose(0.0, -20.0, math.pi / 2), Pose(-20.0, 3.25, math.pi)),  # left turn
        (Pose(5.0, -20.0, math.pi / 2), Pose(20.0, -5.0, 0.0)),  # right turn
        (Pose(20.0, 1.6, math.pi), Pose(1.6, 20.0, math.pi / 2)),  # right turn, corner
    ],
)
def test_turn_path_is_line_arc_line_ending_exactly(start, end):
    geometry = turn_path(start, end)
    got = _end(geometry)
    assert math.hypot(got.x - end.x, got.y - end.y) < 1e-9
    assert abs(math.remainder(got.hdg - end.hdg, 2 * math.pi)) < 1e-12
    arcs = [g for g in geometry if g.curvature is not None]
    assert len(arcs) == 1 and 1 <= len(geometry) <= 3
    for a, b in zip(geometry, geometry[1:]):  # records chain without gaps
        p = end_pose(a)
        assert math.hypot(p.x - b.x, p.y - b.y) < 1e-12 and abs(b.s - a.s - a.length) < 1e-12


def test_straight_path_line_or_s_curve():
    line = straight_path(Pose(0, 0, 0), Pose(40, 0, 0))
    assert len(line) == 1 and line[0].curvature is None and line[0].length == 40
    s_curve = straight_path(Pose(0, 0, 0), Pose(40, 3.25, 0))
    assert [g.curvature > 0 for g in s_curve] == [True, False]
    got = _end(s_curve)
    assert math.hypot(got.x - 40, got.y - 3.25) < 1e-9 and abs(got.hdg) < 1e-12
    assert path_length(s_curve) > 40
    with pytest.raises(ValueError):
        straight_path(Pose(0, 0, 0), Pose(-5, 0, 0))
    with pytest.raises(ValueError, match="no room"):
        turn_path(Pose(0, 0, 0), Pose(-1, 5, math.pi / 2))


def _tiny_doc() -> OpenDrive:
    lane = Lane(-1, "driving", widths=((0.0, Poly3(3.25)),), road_mark=RoadMark("solid"))
    road = Road(
        id=1,
        name="r & <1>",
        length=10.0,
        geometry=(Geometry(0.0, 0.0, 0.0, 0.0, 10.0),),
        sections=(LaneSection(0.0, (), Lane(0, "none"), (lane,)),),
        objects=(RoadObject(7, "crosswalk", 5.0, 0.0, 3.25, 4.0, outline=(CornerLocal(0, -2),)),),
    )
    return OpenDrive(Header("tiny", "2025-01-01T00:00:00", proj_string(37.5, 127.0)), (road,))


def test_serializer_header_cdata_escaping_and_order():
    text = to_xml(_tiny_doc())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<OpenDRIVE>\n')
    assert "<geoReference><![CDATA[+proj=tmerc +lat_0=37.5 +lon_0=127.0" in text
    root = ET.fromstring(text)
    header = root.find("header")
    assert (header.get("revMajor"), header.get("revMinor"), header.get("vendor")) == (
        "1",
        "8",
        "kav",
    )
    road = root.find("road")
    assert road.get("name") == "r & <1>" and road.get("junction") == "-1"
    assert [c.tag for c in road] == ["type", "planView", "lanes", "objects"]
    corner = road.find("objects/object/outline/cornerLocal")
    assert corner.get("height") == "0"
    assert to_xml(_tiny_doc()) == text


def test_write_xodr_is_atomic(tmp_path):
    target = tmp_path / "sub" / "map.xodr"
    write_xodr("<OpenDRIVE/>\n", target)
    assert target.read_text() == "<OpenDRIVE/>\n"
    write_xodr("<OpenDRIVE>2</OpenDRIVE>\n", target)
    assert target.read_text() == "<OpenDRIVE>2</OpenDRIVE>\n"
    assert [p.name for p in target.parent.iterdir()] == ["map.xodr"]  # no temp files left
