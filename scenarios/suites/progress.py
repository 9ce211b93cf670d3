"""The suite's progress line: runs done of planned, FAIL and ERROR so far, rate and ETA.

On a terminal one line is redrawn in place; into a file or pipe (CI logs, ``nohup``) each
finished run prints its own line instead, which doubles as a log of the suite.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 24


def _clock(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "--"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class ProgressBar:
    """``label`` (e.g. ``kav suite korea-pilot``), ``total`` runs planned, ``resumed`` of
    them already in the store."""

    def __init__(self, label: str, total: int, resumed: int = 0,
                 stream: TextIO | None = None, enabled: bool = True):
        self.label, self.total, self.resumed = label, total, resumed
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = self.fail = self.error = 0
        self.t0 = time.monotonic()
        if enabled:
            self._draw(None)

    def update(self, row: dict) -> None:
        self.done += 1
        self.fail += row.get("verdict") == "FAIL"
        self.error += row.get("verdict") == "ERROR"
        if self.enabled:
            self._draw(row)

    def eta_s(self) -> float:
        """Seconds left at this session's rate so far (inf before the first run ends)."""
        if self.done == 0:
            return float("inf")
        rate = self.done / max(time.monotonic() - self.t0, 1e-9)
        return (self.total - self.resumed - self.done) / rate

    def line(self) -> str:
        finished = self.resumed + self.done
        frac = finished / self.total if self.total else 1.0
        bar = "#" * int(round(frac * _WIDTH))
        elapsed = time.monotonic() - self.t0
        rate = self.done / elapsed * 60.0 if elapsed > 0 else 0.0
        resumed = f" ({self.resumed} resumed)" if self.resumed else ""
        return (f"{self.label} [{bar:<{_WIDTH}}] {finished}/{self.total} done"
                f"{resumed} · {self.fail} FAIL · {self.error} ERROR · {rate:.1f} runs/min · "
                f"ETA {_clock(self.eta_s())}")

    def _draw(self, row: dict | None) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        elif row is not None:
            what = f"{row['scenario']} {row['params']} seed {row['seed']}: {row['verdict']}"
            if row.get("error"):
                what += f" ({row['error']})"
            self.stream.write(f"{self.line()}  <- {what}\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
