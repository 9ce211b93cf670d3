"""The progress line: counts, resumed runs, ETA; redrawn on a terminal, logged otherwise."""

from __future__ import annotations

import io

from scenarios.suites.progress import ProgressBar


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _row(verdict: str, error: str = "") -> dict:
    return {"scenario": "gn-rtor", "params": "{}", "seed": 0, "verdict": verdict,
            "error": error}


def test_terminal_line_is_redrawn_with_counts_and_eta():
    out = Tty()
    bar = ProgressBar("kav suite s", 10, resumed=4, stream=out)
    assert "4/10 done (4 resumed)" in out.getvalue() and "ETA --" in out.getvalue()
    bar.update(_row("FAIL"))
    bar.update(_row("ERROR", "timed out"))
    line = bar.line()
    assert "6/10 done (4 resumed) · 1 FAIL · 1 ERROR" in line
    assert 0 < bar.eta_s() < 60  # 4 left at this session's pace
    assert out.getvalue().count("\r\x1b[2K") == 3 and "\n" not in out.getvalue()
    bar.close()
    assert out.getvalue().endswith("\n")


def test_a_log_gets_one_line_per_finished_run():
    out = io.StringIO()
    bar = ProgressBar("kav suite s", 2, stream=out)
    bar.update(_row("PASS"))
    bar.update(_row("ERROR", "worker process died"))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[1].endswith("<- gn-rtor {} seed 0: PASS")
    assert lines[2].endswith("ERROR (worker process died)") and "2/2 done" in lines[2]


def test_disabled_bar_writes_nothing():
    out = Tty()
    bar = ProgressBar("kav suite s", 2, stream=out, enabled=False)
    bar.update(_row("PASS"))
    bar.close()
    assert out.getvalue() == "" and bar.done == 1
