"""`kav run` outputs and `kav replay [--verify]`: fresh recordings verify, altered ones do
not (and the message says where), a divergent re-simulation names the step and the field,
and an interrupted run leaves a readable recording marked incomplete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.catalog import builtin_catalog
from scenarios.cli import main
from scenarios.publish import RECORDING, run


@pytest.fixture(scope="module")
def child_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay") / "sz"
    assert main(["run", "sz-child", "--duration", "4", "--out", str(out), "--quiet",
                 "--gif"]) == 0
    return out


def test_run_writes_every_output(child_run):
    names = {p.name for p in child_run.iterdir()}
    assert {"result.json", "junit.xml", "recording.mcap", "bev.png", "report.html",
            "replay.gif", "map.xodr"} <= names
    res = json.loads((child_run / "result.json").read_text())
    assert res["verdict"] in ("PASS", "FAIL")
    assert set(res["scores"]) == {"carla_lb2", "carla_lb21", "nuplan"}
    assert 0.0 <= res["scores"]["nuplan"]["score"] <= 1.0
    assert res["recording"]["path"] == RECORDING and len(res["recording"]["final_hash"]) == 64
    assert {"collisions", "surrogate", "progress", "comfort", "r157", "speed_compliance",
            "signal_compliance", "crosswalk_compliance", "lane_compliance"} <= set(res["metrics"])
    html = (child_run / "report.html").read_text()
    assert res["verdict"] in html and "http://" not in html and "https://" not in html


def test_verify_passes_on_a_fresh_recording(child_run, capsys):
    assert main(["replay", str(child_run / RECORDING), "--verify"]) == 0
    assert "every state-history hash matches" in capsys.readouterr().out


def test_replay_renders_from_the_file_alone(child_run, tmp_path):
    assert main(["replay", str(child_run), "--out", str(tmp_path / "r"), "--no-gif"]) == 0
    assert (tmp_path / "r" / "bev.png").read_bytes()[:4] == b"\x89PNG"
    assert "sz-child" in (tmp_path / "r" / "report.html").read_text()


def test_verify_fails_on_an_edited_byte_and_says_where(child_run, tmp_path, capsys):
    data = bytearray((child_run / RECORDING).read_bytes())
    data[int(len(data) * 0.6)] ^= 0x01  # a byte inside the compressed steps
    bad = tmp_path / "bad.mcap"
    bad.write_bytes(bytes(data))
    assert main(["replay", str(bad), "--verify"]) == 1
    err = capsys.readouterr().err
    # where depends on what the byte hit: a message (named step and channel), a compressed
    # chunk (the steps from there on are unreadable), or the checksums and signature
    assert "step " in err and any(w in err for w in ("checksum", "signature", "unreadable",
                                                     "channel")), err


def test_verify_names_the_first_divergent_step_and_field(child_run, monkeypatch):
    """A simulator that drifts (as after a code change) is caught at the step it drifts."""
    from scenarios.replay import verify
    from sim.engines.embedded import EmbeddedEngine

    original = EmbeddedEngine.step

    def drifting(self, state, actions, rng):
        new = original(self, state, actions, rng)
        if new.time_us == 2_000_000:
            x = new.x.copy()
            x[3] += 0.01
            new = new.replace(x=x)
        return new

    monkeypatch.setattr(EmbeddedEngine, "step", drifting)
    rep = verify(child_run / RECORDING)
    assert not rep.ok
    assert any("step 40 (t = 2.00 s)" in p and "x on rows [3]" in p for p in rep.problems), \
        rep.problems


def test_an_interrupted_run_leaves_an_incomplete_but_readable_recording(tmp_path):
    from scenarios.replay import render, verify

    spec = builtin_catalog().get("sz-child")
    seen = {"n": 0}

    def progress(msg: str) -> None:
        seen["n"] += 1
        if seen["n"] == 2:  # after 10 s of simulated time (the first line is the banner)
            raise KeyboardInterrupt

    import scenarios.publish as pub

    real = pub.simulate

    def sim(*a, **k):
        k["progress"] = progress
        return real(*a, **k)

    pub.simulate = sim
    try:
        with pytest.raises(KeyboardInterrupt):
            run(spec, 0, tmp_path / "out", duration_s=20.0, quiet=True)
    finally:
        pub.simulate = real
    assert not (tmp_path / "out").exists()  # never published as a complete result
    partial = next(tmp_path.glob("out.partial-*"))
    assert not (partial / "result.json").exists()
    rep = verify(partial / RECORDING, resimulate=False)
    assert not rep.ok and any("incomplete" in p for p in rep.problems)
    files = render(partial / RECORDING, tmp_path / "re", gif=False)
    assert "ERROR" in Path(files[1]).read_text()


def test_a_run_from_an_openscenario_file_verifies_from_its_recording(tmp_path):
    """The .xosc and the .xodr it names travel in the recording: verify works after both
    files are gone."""
    import shutil

    assert main(["export", "sz-child", "--xosc", str(tmp_path / "x")]) == 0
    assert main(["run", str(tmp_path / "x" / "sz-child.xosc"), "--duration", "2",
                 "--out", str(tmp_path / "run"), "--quiet"]) == 0
    shutil.rmtree(tmp_path / "x")
    assert main(["replay", str(tmp_path / "run"), "--verify"]) == 0
