"""Suite summary, plots and report: hand-checked counts, percentiles and pass-rate grids;
NaN and infinity handling; a self-contained, escaped report page written atomically."""

from __future__ import annotations

import base64
import html
import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from scenarios.suites.rows import COLUMNS, params_json
from scenarios.suites.suite_plots import (
    param_axis,
    pass_rate_grid,
    score_histograms,
    varying_params,
    verdict_heatmaps,
)
from scenarios.suites.suite_report import run_link, safe_name, write_suite_report
from scenarios.suites.summary import format_table, summarize, summary_json
from tests.html_check import HtmlChecker, parse_html

EVIL = "<b>evil</b>"


def _row(scenario="s1", verdict="PASS", params=None, idx=0, **over) -> dict:
    """A store row with every column; numbers NaN unless given."""
    row = {c: (math.nan if t == "DOUBLE" else 0 if t in ("INTEGER", "BIGINT") else "")
           for c, (t, _) in COLUMNS.items()}
    row.update(scenario=scenario, verdict=verdict, params=params_json(params or {}), idx=idx,
               seed=idx, run_id=f"r{idx}", suite="t")
    row.update(over)
    assert set(row) == set(COLUMNS)
    return row


def _mixed() -> list[dict]:
    return [
        _row("s1", "PASS", idx=0, carla_ds=10.0, min_ttc_s=math.inf),
        _row("s1", "PASS", idx=1, carla_ds=20.0, min_ttc_s=2.0),
        _row("s1", "pass", idx=2, carla_ds=30.0, min_ttc_s=math.nan),  # old lower case
        _row("s1", "FAIL", idx=3, carla_ds=40.0, min_ttc_s=0.5,
             failed_criteria="no collision; min ttc"),
        _row("s2", "FAIL", idx=4, carla_ds=5.0, failed_criteria="no collision"),
        _row("s2", "FAIL", idx=5, terminated="collision"),
        _row("s2", "ERROR", idx=6, error="timeout after 600 s"),
        _row("s2", "", idx=7),  # no verdict: an error, never a pass
    ]


# ---------------------------------------------------------------- summary

def test_counts_and_pass_rates():
    s = summarize(_mixed())
    o = s.overall
    assert (o.runs, o.passed, o.failed, o.errors) == (8, 3, 3, 2)
    assert o.pass_rate == pytest.approx(3 / 8)
    s1, s2 = s.scenarios
    assert (s1.scenario, s1.runs, s1.passed, s1.failed, s1.errors) == ("s1", 4, 3, 1, 0)
    assert s1.pass_rate == pytest.approx(0.75)
    assert (s2.scenario, s2.runs, s2.passed, s2.failed, s2.errors) == ("s2", 4, 0, 2, 2)
    assert s2.pass_rate == 0.0


def test_score_statistics_by_hand_and_nan():
    s = summarize(_mixed())
    ds = s.scenarios[0].score("carla_ds")  # 10, 20, 30, 40
    assert ds.n == 4
    # p10: position 0.1 * 3 = 0.3 between 10 and 20
    assert (ds.mean, ds.min, ds.p10, ds.median, ds.max) == pytest.approx((25, 10, 13, 25, 40))
    nup = s.scenarios[0].score("nuplan_score")  # all NaN: no statistic, not 0
    assert nup.n == 0 and all(math.isnan(getattr(nup, k))
                              for k in ("mean", "min", "p10", "median", "max"))
    assert s.overall.score("carla_ds").n == 5 and s.overall.score("carla_ds").min == 5.0
    assert s.scenarios[0].min_ttc_s == 0.5  # inf and NaN do not hide the finite minimum
    assert math.isnan(s.scenarios[1].min_ttc_s)
    only_inf = summarize([_row(min_ttc_s=math.inf), _row(min_ttc_s=math.nan)])
    assert only_inf.overall.min_ttc_s == math.inf


def test_worst_cases_ordered_and_limited():
    rows = [_row("b", "PASS", idx=i, carla_ds=float(50 - i)) for i in range(12)]
    rows += [_row("a", "FAIL", idx=20, carla_ds=39.0),  # ties 39.0 with b/idx 11
             _row("c", "ERROR", idx=21), _row("d", "FAIL", idx=22, min_ttc_s=math.inf),
             _row("d", "FAIL", idx=23, min_ttc_s=0.3, out_dir="runs/23")]
    s = summarize(rows)
    ds = [(w.scenario, w.value) for w in s.worst_carla_ds]
    assert len(ds) == 10
    assert ds[:3] == [("a", 39.0), ("b", 39.0), ("b", 40.0)]
    assert [v for _, v in ds] == sorted(v for _, v in ds)
    assert all(math.isfinite(v) for _, v in ds)  # the NaN of the ERROR run is no score
    ttc = s.worst_min_ttc  # the infinite TTC is no worst case
    assert [(w.scenario, w.value, w.out_dir, w.verdict) for w in ttc] == [
        ("d", 0.3, "runs/23", "FAIL")]


def test_failure_reasons_counted_once_per_run():
    f = {(r.kind, r.reason): (r.count, r.scenarios) for r in summarize(_mixed()).failures}
    assert f[("criterion", "no collision")] == (2, ("s1", "s2"))
    assert f[("criterion", "min ttc")] == (1, ("s1",))
    assert f[("other", "ended early: collision")] == (1, ("s2",))
    assert f[("error", "timeout after 600 s")] == (1, ("s2",))
    assert f[("error", "(no reason recorded)")] == (1, ("s2",))
    kinds = [r.kind for r in summarize(_mixed()).failures]
    assert kinds.index("criterion") < kinds.index("error")


def test_format_table_fixed_width():
    text = format_table(summarize(_mixed()))
    lines = text.splitlines()
    assert len({len(x) for x in lines}) == 1  # every column lines up
    s1 = next(x for x in lines if x.startswith("s1"))
    assert "75.0%" in s1 and " 25 " in s1  # mean carla_ds to 3 significant digits
    assert s1.split()[-1] == "0.5"
    s2 = next(x for x in lines if x.startswith("s2"))
    assert s2.split()[-1] == "-"  # NaN TTC
    assert lines[-1].startswith("all") and "37.5%" in lines[-1]
    assert "33.3" in format_table(summarize([_row(carla_ds=100 / 3)]))


def test_summary_json_is_strict():
    doc = summary_json(summarize(_mixed()))
    text = json.dumps(doc, allow_nan=False)  # would raise on a NaN or infinity
    back = json.loads(text)
    assert back["runs"] == 8 and back["pass_rate"] == pytest.approx(0.375)
    s2 = back["scenarios"][1]
    assert s2["min_ttc_s"] is None and s2["scores"]["nuplan_score"]["mean"] is None
    assert back["scenarios"][0]["scores"]["carla_ds"]["p10"] == pytest.approx(13.0)
    only_inf = summary_json(summarize([_row(min_ttc_s=math.inf)]))
    assert only_inf["overall"]["min_ttc_s"] == "inf"
    assert back["worst"]["carla_ds"][0]["params"] == {}


# ---------------------------------------------------------------- grids and plots

def test_categorical_pass_rate_grid_by_hand():
    p = [({"arrow": True, "v": 1.0}, "PASS"), ({"arrow": True, "v": 1.0}, "FAIL"),
         ({"arrow": False, "v": 1.0}, "ERROR"), ({"arrow": True, "v": 2.5}, "PASS"),
         ({"arrow": False, "v": 2.5}, "PASS"), ({"arrow": False, "v": 2.5}, "PASS"),
         ({"arrow": False, "v": 2.5}, "FAIL")]
    rows = [_row(params=q, verdict=v, idx=i) for i, (q, v) in enumerate(p)]
    xl, yl, rate, count = pass_rate_grid(rows, "v", "arrow")
    assert xl == ["1", "2.5"] and yl == ["false", "true"]
    assert count.tolist() == [[1, 3], [2, 1]]
    assert rate[0, 0] == 0.0  # the ERROR run is not a pass
    assert rate[0, 1] == pytest.approx(2 / 3) and rate[1, 0] == 0.5 and rate[1, 1] == 1.0
    xl, yl, rate, count = pass_rate_grid(rows, "arrow")  # one varying parameter: a strip
    assert yl == [""] and count.tolist() == [[4, 3]]
    assert rate[0].tolist() == pytest.approx([2 / 4, 2 / 3])


def test_numeric_parameter_binned_and_empty_cells_blank():
    values = list(range(20)) + [None]  # 20 distinct numbers > 12, one run lacking it
    labels, index = param_axis(values)
    assert len(labels) == 9 and labels[-1] == "(unset)"
    assert labels[0] == "[0, 2.38)" and labels[7] == "[16.6, 19]"
    # bin = floor(v / 2.375), 19 (the top edge) in the last bin
    assert np.bincount(index).tolist() == [3, 2, 3, 2, 2, 3, 2, 3, 1]
    assert param_axis([3, 1, 2, 1]) == (["1", "2", "3"], [2, 0, 1, 0])  # few: categories
    rows = [_row(params={"w": w, "k": k}, verdict="PASS" if w < 5 else "FAIL", idx=w)
            for w, k in [(0, "a"), (1, "a"), (10, "b"), (12, "b"), *[(v, "c") for v in
                                                                       range(13, 24)]]]
    xl, yl, rate, count = pass_rate_grid(rows, "w", "k")
    assert len(xl) == 8 and yl == ["a", "b", "c"]
    assert np.isnan(rate[0, 7]) and count[0, 7] == 0  # no run there: blank, not 0 %
    assert rate[0, 0] == 1.0 and count[0].sum() == 2


def test_varying_params_and_heatmaps():
    rows = [_row("flat", params={"a": 1}, idx=0), _row("flat", params={"a": 1}, idx=1),
            _row("one", params={"a": 1, "b": "x"}, idx=2),
            _row("one", params={"a": 1, "b": "y"}, verdict="FAIL", idx=3)]
    rows += [_row("big", params={"s": s / 7, "c": s % 12, "m": s % 2, "k": "z"},
                  verdict="PASS" if s % 3 else "FAIL", idx=10 + s) for s in range(200)]
    assert varying_params(rows[:2]) == []
    assert varying_params(rows[4:]) == ["s", "c", "m"]  # most distinct values first
    maps = verdict_heatmaps(rows)
    assert sorted(maps) == ["big", "one"]  # nothing varies in "flat"
    for png in maps.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 120_000
    assert Image.open(io.BytesIO(maps["one"])).size[0] < Image.open(
        io.BytesIO(maps["big"])).size[0]


def test_score_histograms_with_and_without_data():
    png = score_histograms(_mixed())
    img = Image.open(io.BytesIO(png))
    assert png[:4] == b"\x89PNG" and len(png) < 120_000 and img.size[0] > img.size[1]
    assert score_histograms([_row("e", "ERROR")])[:4] == b"\x89PNG"  # all NaN: "no data"
    assert score_histograms([])[:4] == b"\x89PNG"


# ---------------------------------------------------------------- report

def _page(path) -> tuple[str, HtmlChecker]:
    page = path.read_text(encoding="utf-8")
    p = parse_html(page)
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    return page, p


META = {"suite": "nightly", "description": "pedestrians & <arrows>", "n_planned": 20,
        "started_at": "2025-01-01T00:00:00Z", "finished_at": "2025-01-01T01:00:00Z",
        "code_version": {"package": "0.4.0", "git_commit": "deadbeef"},
        "backend": "local pool, 2 workers"}


def test_report_files_links_and_escaping(tmp_path):
    (tmp_path / "runs" / "0").mkdir(parents=True)
    (tmp_path / "runs" / "0" / "report.html").write_text("x")
    (tmp_path / "runs" / "1").mkdir(parents=True)
    (tmp_path / "runs" / "1" / "result.json").write_text("{}")
    rows = [_row(EVIL, "FAIL", params={"v": 1, "note": EVIL}, idx=0, carla_ds=1.0,
                 out_dir="runs/0", failed_criteria=EVIL),
            _row(EVIL, "PASS", params={"v": 2}, idx=1, carla_ds=2.0, out_dir="runs/1"),
            _row("plain", "PASS", idx=2, carla_ds=3.0, out_dir="runs/2"),  # nothing written
            _row("plain", "ERROR", idx=3, out_dir="../outside", carla_ds=0.5)]
    paths = write_suite_report(tmp_path, rows, META)
    names = sorted(p.name for p in paths)
    assert names == sorted(["summary.json", "summary.txt", "scores.png", "report.html",
                            f"heatmap-{safe_name(EVIL)}.png"])
    assert all(p.is_file() and p.parent == tmp_path for p in paths)
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]  # atomic writes only
    assert "<" not in safe_name(EVIL) and safe_name(EVIL) != safe_name("_b_evil_b_")
    page, p = _page(tmp_path / "report.html")
    assert EVIL not in page and html.escape(EVIL) in page
    assert "&lt;arrows&gt;" in page
    # worst carla_ds: ../outside (no link), runs/0 (report), runs/1 (result.json), runs/2
    assert p.hrefs == ["runs/0/report.html", "runs/1/result.json"]
    text = "".join(p.text)
    assert "Suite incomplete: 4 of 20 planned runs recorded (16 missing)" in text
    assert "deadbeef" in text and "local pool, 2 workers" in text and "nightly" in text
    assert len(p.imgs) == 2 and all(s.startswith("data:image/png;base64,") for s in p.imgs)
    heat = (tmp_path / f"heatmap-{safe_name(EVIL)}.png").read_bytes()
    assert base64.b64decode(p.imgs[1].split(",", 1)[1]) == heat
    doc = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert doc["runs"] == 4 and doc["meta"]["suite"] == "nightly"
    assert (tmp_path / "summary.txt").read_text() == format_table(summarize(rows))


def test_run_link_stays_inside_the_suite(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "result.json").write_text("{}")
    assert run_link(tmp_path, "r") == "r/result.json"
    assert run_link(tmp_path, "") is None
    assert run_link(tmp_path, "../r") is None and run_link(tmp_path, "/etc") is None
    assert run_link(tmp_path, "http://example.org") is None


def test_empty_suite(tmp_path):
    paths = write_suite_report(tmp_path / "new", [], {"suite": "empty", "n_planned": 3})
    assert {p.name for p in paths} == {"summary.json", "summary.txt", "scores.png",
                                       "report.html"}
    page, p = _page(tmp_path / "new" / "report.html")
    text = "".join(p.text)
    assert "This suite has no recorded runs." in text and "0 of 3 planned" in text
    assert json.loads((tmp_path / "new" / "summary.json").read_text())["runs"] == 0
    write_suite_report(tmp_path / "bare", [], {})  # no meta at all still writes a page
    _page(tmp_path / "bare" / "report.html")


def test_all_error_suite(tmp_path):
    rows = [_row("s", "ERROR", params={"k": k}, idx=k, error="worker died") for k in range(3)]
    write_suite_report(tmp_path, rows, {"suite": "broken", "n_planned": 3})
    page, p = _page(tmp_path / "report.html")
    text = "".join(p.text)
    assert '<div class="banner ERROR">' in page and "0 PASS" in text
    assert "worker died" in text and "Suite incomplete" not in text
    assert "No run recorded a finite" in text
