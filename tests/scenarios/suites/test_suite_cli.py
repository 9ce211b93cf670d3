"""`kav suite`, `kav suite-report`, `kav suites` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main

DATA = Path(__file__).parent / "data"


def _suite(tmp_path: Path, outputs: str = "lean") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(f"""
name = "tiny"
description = "two gaps, one of them too short to stop in"
outputs = "{outputs}"
[[runs]]
scenario = "{DATA / 'stalled-gap.toml'}"
grid = {{ gap = [10.0, 60.0] }}
duration_s = 3.0
""")
    return path


def test_suite_writes_store_exports_summary_plots_and_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["suite", str(_suite(tmp_path)), "--out", str(out), "--workers", "2"]) == 0
    text = capsys.readouterr()
    assert "kav suite tiny [" in text.err and "2/2 done" in text.err  # progress
    assert "stalled-gap" in text.out and "50.0%" in text.out  # summary table
    for name in ("suite.json", "results.duckdb", "results.parquet", "results.csv",
                 "summary.txt", "summary.json", "scores.png", "heatmap-stalled-gap.png",
                 "report.html"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "suite.json").read_text())
    assert meta["complete"] and meta["n_planned"] == 2 and "2 workers" in meta["backend"]
    lines = (out / "results.csv").read_text().splitlines()
    assert len(lines) == 3
    # lean outputs: result.json, junit.xml and the signed recording, no pictures
    run0 = out / "runs" / "00000-stalled-gap"
    assert {p.name for p in run0.iterdir()} >= {"result.json", "junit.xml", "recording.mcap"}
    assert not (run0 / "report.html").exists()

    # suite-report rewrites the summary from the store alone (and drops a stale heat map)
    (out / "heatmap-gone.png").write_bytes(b"old")
    (out / "report.html").unlink()
    (out / "results.csv").unlink()
    assert main(["suite-report", str(out)]) == 0
    assert (out / "report.html").is_file() and (out / "results.csv").read_text() == \
        "\n".join(lines) + "\n"
    assert not (out / "heatmap-gone.png").exists()
    assert (out / "heatmap-stalled-gap.png").is_file()
    html = (out / "report.html").read_text()
    assert "tiny" in html and "<script" not in html


def test_suite_exit_codes_and_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\n[[runs]]\nscenario = "gn-rtor"\nseed = 3\n')
    assert main(["suite", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert "bad.toml: runs[0].seed: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # nothing written for a suite that cannot run
    assert main(["suite-report", str(tmp_path)]) == 2
    assert "not a suite folder" in capsys.readouterr().err
    assert main(["suite", str(_suite(tmp_path)), "--workers", "0",
                 "--out", str(tmp_path / "z")]) == 2
    # runs that end in ERROR (a planner that kills its process, here the first run, whose
    # scenario the suite warms the kernels up with; an unknown planner) make the suite
    # exit 3, and the suite itself survives them
    err = tmp_path / "err.toml"
    err.write_text("".join(
        f'[[runs]]\nscenario = "{DATA / "stalled-gap.toml"}"\nduration_s = 1.0\n'
        f'planner = "{p}"\n' for p in ("tests.scenarios.suites.misbehaving:Crash",
                                        "no-such")))
    err.write_text('name = "e"\noutputs = "none"\n' + err.read_text())
    assert main(["suite", str(err), "--out", str(tmp_path / "e"), "--workers", "1",
                 "--no-progress"]) == 3
    from scenarios.suites.store import ResultStore

    with ResultStore(tmp_path / "e" / "results.duckdb", read_only=True) as st:
        rows = st.rows()
    assert [r["verdict"] for r in rows] == ["ERROR", "ERROR"]
    assert "worker process died (exit code 11) during the run" in rows[0]["error"]
    assert "no-such" in rows[1]["error"]


def test_suites_lists_the_builtin_suites(capsys):
    assert main(["suites"]) == 0
    out = capsys.readouterr().out
    for name in ("korea-pilot", "ncap-aeb", "r157"):
        assert name in out


def test_resume_refuses_a_changed_plan(tmp_path):
    from scenarios.outputs import write_json
    from scenarios.suites.driver import SuiteStateError, check_folder
    from scenarios.suites.plan import load_suite

    suite = load_suite(_suite(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    write_json(out / "suite.json", {"suite": "tiny", "digest": suite.digest, "n_planned": 2,
                                    "runs": [t.to_json() for t in suite.tasks]})
    assert check_folder(suite, out, resume=True)["suite"] == "tiny"
    with pytest.raises(SuiteStateError, match="already holds suite 'tiny'; pass --resume"):
        check_folder(suite, out, resume=False)
    path = _suite(tmp_path)
    path.write_text(path.read_text().replace("[10.0, 60.0]", "[10.0, 50.0]"))
    with pytest.raises(SuiteStateError, match=r"run 1 \(stalled-gap, \{'gap': 50.0\}, seed 0\) "
                                              "was not planned before"):
        check_folder(load_suite(path), out, resume=True)
    (out / "suite.json").write_text("{ not json")
    with pytest.raises(SuiteStateError, match="unreadable"):
        check_folder(suite, out, resume=True)


@pytest.mark.slow
def test_korea_pilot_runs_end_to_end(tmp_path, capsys):
    """The whole catalogue as a suite: every scenario gets its row and its report."""
    from scenarios.catalog import logical_scenarios
    from scenarios.suites.store import ResultStore

    out = tmp_path / "pilot"
    code = main(["suite", "korea-pilot", "--out", str(out)])
    assert code in (0, 3)  # 3: scenarios kav cannot judge yet are ERROR, and say why
    assert "15/15 done" in capsys.readouterr().err
    with ResultStore(out / "results.duckdb", read_only=True) as st:
        rows = st.rows()
    assert sorted(r["scenario"] for r in rows) == sorted(logical_scenarios())
    for r in rows:
        assert r["verdict"] in ("PASS", "FAIL", "ERROR")
        assert r["verdict"] != "ERROR" or "cannot" in r["error"]
        assert (out / r["out_dir"] / "report.html").is_file()
    assert (out / "report.html").is_file() and (out / "scores.png").is_file()
