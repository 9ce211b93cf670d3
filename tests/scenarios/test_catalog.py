"""Conformance of the built-in catalogue: every scenario loads, validates in all its
variants, has a clean zone map, and runs to its end on the embedded engine with the
baseline ego."""

from __future__ import annotations

import functools

import pytest

from scenarios.catalog import builtin_catalog, logical_scenarios
from scenarios.cli import main
from scenarios.map_registry import ZONE_MAPS, build_map, map_text
from scenarios.runner import simulate
from scenarios.spec import ScenarioSpec

CATALOG = builtin_catalog()
IDS = CATALOG.ids()
KOREAN = [sid for sid in IDS if CATALOG.get(sid).catalogue_ref]


def test_catalogue_covers_twelve_scenarios_in_seven_zones():
    specs = [CATALOG.get(sid) for sid in KOREAN]
    assert len(specs) >= 12
    assert len({s.zone for s in specs}) >= 7
    refs = [s.catalogue_ref for s in specs]
    assert len(set(refs)) == len(refs)
    for s in specs:
        assert s.tests and s.description and s.criteria, s.id


@pytest.mark.parametrize("sid", IDS)
def test_every_variant_is_a_valid_concrete_scenario(sid):
    logical = logical_scenarios()[sid]
    variants = logical.variants()
    assert variants and all(isinstance(v, ScenarioSpec) for v in variants)
    assert len({v.parameters for v in variants}) == len(variants)


@functools.cache
def _map_file(label: str, tmp: str) -> str:
    from pathlib import Path

    spec = next(s for s in CATALOG if s.map.label == label)
    path = Path(tmp) / f"{label}.xodr"
    path.write_text(map_text(spec.map))
    return str(path)


@pytest.mark.parametrize("sid", IDS)
def test_scenario_runs_to_its_end_with_the_baseline_ego(sid, tmp_path_factory):
    from pathlib import Path

    spec = CATALOG.get(sid)
    tmp = tmp_path_factory.getbasetemp() / "catalog-maps"
    tmp.mkdir(exist_ok=True)
    result, hist, _ = simulate(spec, 0, Path(_map_file(spec.map.label, str(tmp))))
    ended = [e for e in result.storyboard if e["element"] == "storyboard"]
    end_s = ended[0]["time_s"] if ended else spec.duration_s
    if result.terminated is not None:  # CARLA's terminating events end a run early
        assert result.terminated["terminal"] and result.verdict == "FAIL"
        end_s = min(end_s, result.terminated["time_s"])
    assert result.duration_s == pytest.approx(end_s)
    assert result.ego["distance_m"] > 10.0  # the baseline ego really drove
    named = {e["name"] for e in result.storyboard if e["element"] == "event"}
    all_events = {e.name for act in spec.acts for e in act.events}
    if result.terminated is None:
        assert named == all_events, f"events that never fired: {all_events - named}"
    assert {c["name"] for c in result.criteria} == {c.name for c in spec.criteria}
    assert result.verdict in ("PASS", "FAIL", "ERROR")


@pytest.mark.parametrize("builder", sorted({s.map.builder for s in CATALOG if s.map.builder}))
def test_catalogue_maps_pass_the_asam_checker(builder):
    pytest.importorskip("qc_opendrive")
    from .qc_util import run_qc
    from .test_maps_qc import assert_clean

    assert_clean(run_qc(build_map(builder)))


def test_kav_scenarios_lists_id_zone_and_purpose(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(IDS)
    for sid in KOREAN:
        spec = CATALOG.get(sid)
        line = next(x for x in out if x.startswith(sid + " "))
        assert spec.zone in line and spec.catalogue_ref in line and spec.tests in line


@pytest.mark.parametrize("zone", ["sangam", "gwangju"])
def test_kav_map_draws_a_zone(zone, tmp_path, capsys):
    out = tmp_path / f"{zone}.png"
    assert main(["map", zone, "--plot", str(out), "--xodr", str(tmp_path / "z.xodr")]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "z.xodr").read_text().startswith("<?xml")
    assert main(["map", "atlantis", "--plot", str(out)]) == 2
    assert "unknown zone or map 'atlantis'" in capsys.readouterr().err


def test_every_zone_map_has_its_features():
    from scenarios.mapplot import feature_counts
    from sim.roadnet.loader import load_network_text

    counts = {z: feature_counts(load_network_text(build_map(b), b)) for z, b in
              ZONE_MAPS.items()}
    assert counts["sangam"]["bus_only_lanes"] > 0 and counts["sangam"]["child_zone_lanes"] > 0
    assert counts["seoul_median_bus"]["bus_only_lanes"] > 0
    assert counts["gwangju"]["child_zone_lanes"] > 0
    assert counts["osong"]["bus_only_lanes"] > 0
    for z, c in counts.items():
        assert c["driving_lanes"] > 0, z
