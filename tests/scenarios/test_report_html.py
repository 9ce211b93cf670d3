"""report.html: one self-contained, well-formed page with everything a reader needs, every
string escaped; and the plots it embeds."""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from scenarios.plots import speed_plot, ttc_plot
from scenarios.report_html import report_html, write_report
from tests.html_check import HtmlChecker, parse_html

SCRIPT = '<script>alert("x")</script>'



def _result(**over) -> dict:
    res = {
        "scenario": "school-zone-child", "title": "어린이 보호구역: child steps out",
        "seed": 3, "verdict": "FAIL", "error": None, "duration_s": 40.0, "steps": 400,
        "parameters": {"ego_speed_kmh": 30, "note": "<b>bold</b>"},
        "code_version": {"package": "0.4.0", "git_commit": "deadbeef", "git_dirty": False,
                         "python": "3.11.9", "dependencies": {"numpy": "2.1.0"}},
        "map": {"name": "sangam", "sha256": "cd" * 32, "source": "sangam_dmc_grid"},
        "state_history_sha256": "ab" * 32,
        "recording": {"path": "recording.mcap", "final_hash": "ef" * 32,
                      "public_key_fingerprint": "0123456789abcdef"},
        "scores": {
            "carla_lb2": {"driving_score": 0.35, "route_completion": 0.7,
                          "infraction_penalty": 0.5, "status": "Completed",
                          "counts": {"collisions_pedestrian": 1}},
            "nuplan": {"score": 0.0, "multipliers": {"no_at_fault_collisions": 0.0},
                       "weighted": {"ego_progress": 0.9, "ttc_within_bound": 0.0}}},
        "criteria": [
            {"name": "no collision", "metric": "collision_count", "actor": "ego",
             "expected": "<= 0 count", "actual": 1.0, "status": "fail"},
            {"name": SCRIPT, "metric": "min_ttc", "actor": "ego", "expected": ">= 1.5 s",
             "actual": "inf", "status": "pass"},
            {"name": "take-over time", "metric": "takeover_time", "actor": "ego",
             "expected": "<= 4 s", "actual": None, "status": "not_evaluated",
             "reason": "kav has no evaluator yet"},
        ],
        "infractions": [
            {"metric": "speed", "kind": "speeding_school_zone", "time_s": 12.5, "x": 10.0,
             "y": -3.0, "actors": [0], "value": 38.0, "detail": "38 km/h in a 30 zone",
             "terminal": False, "at_fault": True},
            {"metric": "collisions", "kind": "collision_pedestrian", "time_s": 3.0,
             "x": 55.5, "y": 2.0, "actors": [0, 7], "value": 4.2, "detail": "<hit & run>",
             "terminal": True, "at_fault": True},
        ],
        "metrics": {"surrogate": {"min_ttc_s": "inf", "min_distance_m": 0.0},
                    "progress": {"route_completion": 0.7}},
    }
    res.update(over)
    return res


def _parse(page: str) -> HtmlChecker:
    return parse_html(page)


def _png(colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_page_is_complete_and_self_contained(tmp_path):
    bev = _png()
    path = tmp_path / "report.html"
    write_report(path, _result(), bev, _png((0, 0, 255)), None)
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()  # no JavaScript at all
    assert '<meta charset="utf-8">' in page and '<html lang="' in page
    p = _parse(page)
    text = "".join(p.text)
    assert "FAIL" in text and "어린이 보호구역" in text
    for c in _result()["criteria"]:
        assert c["name"] in text
    for e in _result()["infractions"]:
        assert e["kind"] in text
    # timeline table sorted by time: the collision at 3 s comes before the speeding at 12.5 s
    assert text.index("collision_pedestrian") < text.index("speeding_school_zone")
    for h in ("ab" * 32, "cd" * 32, "ef" * 32, "0123456789abcdef", "deadbeef"):
        assert h in text
    assert "svg" in p.tags  # the timeline strip
    assert all(s.startswith("data:image/png;base64,") for s in p.imgs) and len(p.imgs) == 2
    assert base64.b64decode(p.imgs[-1].split(",", 1)[1]) == bev
    assert "not recorded" in text  # the missing TTC plot


def test_every_string_is_escaped():
    page = report_html(_result(), bev_png=None, speed_png=None, ttc_png=None)
    assert SCRIPT not in page and "<b>bold</b>" not in page and "<hit & run>" not in page
    assert html.escape(SCRIPT, quote=True) in page
    assert SCRIPT in "".join(_parse(page).text)


def test_error_page_shows_the_error():
    err = "the run broke at step 12 (t = 1.10 s): ZeroDivisionError: <division> by zero"
    page = report_html(_result(verdict="ERROR", error=err), bev_png=None, speed_png=None,
                       ttc_png=None)
    text = "".join(_parse(page).text)
    assert "ERROR" in text and err in text
    assert 'class="banner ERROR"' in page


@pytest.mark.parametrize("res", [{}, {"verdict": "PASS", "criteria": [], "infractions": [],
                                      "metrics": {}, "scores": {}}])
def test_missing_keys_read_not_recorded(res):
    page = report_html(res, bev_png=None, speed_png=None, ttc_png=None)
    text = "".join(_parse(page).text)
    assert "not recorded" in text
    assert ("NO VERDICT RECORDED" in text) == ("verdict" not in res)


def test_plots_are_png_and_tolerate_bad_data():
    t = np.arange(0, 20, 0.1)
    ev = [{"metric": "speed", "kind": "speeding", "time_s": 5.0}, {"time_s": "inf"}, {}]
    for png in (speed_plot(t, np.full_like(t, 10.0), np.where(t < 10, 13.9, np.inf), ev),
                speed_plot([], [], [], []), speed_plot(None, None, None, None),
                ttc_plot(t, np.where(t < 10, np.inf, 20 - t)), ttc_plot([], []),
                ttc_plot([0.0, 0.1], [np.nan, np.inf])):
        im = Image.open(io.BytesIO(png))
        assert im.format == "PNG" and im.size[0] > 400


_BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(b)), None)


@pytest.mark.skipif(_BROWSER is None, reason="no headless Chromium/Chrome on this machine")
def test_browser_renders_a_screenshot(tmp_path):
    path = tmp_path / "report.html"
    write_report(path, _result(), _png(), _png(), _png())
    shot = tmp_path / "shot.png"
    subprocess.run([_BROWSER, "--headless", "--disable-gpu", "--no-sandbox",
                    f"--screenshot={shot}", "--window-size=1200,2000", path.as_uri()],
                   check=True, timeout=60, capture_output=True)
    im = Image.open(shot).convert("RGB")
    # the FAIL banner is red: some pixels near the top must be strongly red
    top = np.asarray(im)[:200]
    assert ((top[..., 0] > 150) & (top[..., 1] < 80) & (top[..., 2] < 80)).any()


def test_no_urls_even_in_css():
    page = report_html(_result(), bev_png=_png(), speed_png=None, ttc_png=None)
    assert not re.search(r"url\(|@import|//[a-z0-9.-]+\.[a-z]{2,}", page, re.IGNORECASE)
