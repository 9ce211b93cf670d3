"""A run's V2X layer: bit-identical air traffic for the same seed, the road operator's
hazard warnings, clear errors for what kav's RSUs cannot send."""

from dataclasses import replace

import pytest

from scenarios.cli import load_any
from scenarios.runner import FRAME_LOG, run
from v2x.codec import decode
from v2x.framelog import read_frame_log
from v2x.framing import parse_gn
from v2x.messages import DENM
from v2x.security.inspect import peek


def _frames(folder):
    start, it = read_frame_log(folder / FRAME_LOG)
    return start, [(int(r["tx_time_us"]), int(r["sender"]), f) for r, f in it]


def test_same_seed_same_bytes_on_the_air(tmp_path):
    spec = load_any("pg-coop-occl")
    a = run(spec, seed=4, out=tmp_path / "a", duration_s=1.5, quiet=True)
    b = run(spec, seed=4, out=tmp_path / "b", duration_s=1.5, quiet=True)
    assert a.state_history_sha256 == b.state_history_sha256
    fa, fb = _frames(tmp_path / "a"), _frames(tmp_path / "b")
    assert fa == fb and len(fa[1]) > 50  # signatures included (RFC 6979, seeded keys)
    run(spec, seed=5, out=tmp_path / "c", duration_s=1.5, quiet=True)
    assert _frames(tmp_path / "c")[1] != fa[1]


def test_rsu_warns_of_the_stalled_car_and_the_ego_accepts_it(tmp_path):
    res = run(load_any("dg-motorway-rsu"), seed=0, out=tmp_path / "dg", duration_s=2.5,
              quiet=True)
    assert res.v2x["sent"]["DENM"] >= 2 and res.v2x["accepted"] > 0
    _, frames = _frames(tmp_path / "dg")
    denms = [decode(parse_gn(f, unsecure=lambda b: peek(b).inner).payload)
             for _, sender, f in frames if sender >= 0x7F00_0000]
    warnings = [m for m in denms if isinstance(m, DENM)]
    assert warnings and {m.situation.cause for m in warnings} == {94}
    # one event, repeated with the same action id and detection time
    assert len({(m.management.action_id, m.management.detection_time_ms)
                for m in warnings}) == 1


def test_an_rsu_message_kav_cannot_send_is_a_clear_error(tmp_path):
    spec = load_any("pg-coop-occl")
    rsu = replace(spec.v2x.rsus[0], messages=("SPATEM", "IVIM"))
    bad = replace(spec, v2x=replace(spec.v2x, rsus=(rsu,)))
    with pytest.raises(ValueError, match=r"v2x.rsus\[0\] \(rsu_junction_1_1\).*IVIM"):
        run(bad, seed=0, out=tmp_path / "bad", duration_s=0.5, quiet=True)
    assert not (tmp_path / "bad").exists()


def test_kav_v2x_pcap_from_a_run_folder(tmp_path, capsys):
    from scenarios.cli import main
    from v2x.pcap import read_pcap

    run(load_any("pg-coop-occl"), seed=0, out=tmp_path / "r", duration_s=0.5, quiet=True)
    n_logged = len(_frames(tmp_path / "r")[1])
    assert main(["v2x", "pcap", str(tmp_path / "r"), "-o", str(tmp_path / "a.pcap")]) == 0
    assert f"wrote {n_logged} frames" in capsys.readouterr().out
    assert len(read_pcap(tmp_path / "a.pcap")) == n_logged
    # a run without V2X has no frame log: a clear error, nothing written
    assert main(["v2x", "pcap", str(tmp_path), "-o", str(tmp_path / "b.pcap")]) == 2
    assert "no V2X frame log" in capsys.readouterr().err
    assert not (tmp_path / "b.pcap").exists()
