"""Open an OpenDRIVE text with CARLA's client-side parser, without risking the process.

CARLA's C++ parser can crash the interpreter (SIGSEGV) on malformed files that pass our
structural checks. The first time kav sees a file's content it parses it in a child
process; only content that parsed there is parsed here. Content that parsed once is
remembered by its SHA-256 in the cache folder, so the probe costs once per map.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys

from sim._numba_env import cache_dir
from sim.roadnet.xodr import MapError

_PROBE = (
    "import sys, carla\n"
    "m = carla.Map('probe', sys.stdin.read())\n"
    "m.generate_waypoints(50.0)\n"
)


def open_carla_map(text: str, source: str, name: str = "kav", probe: bool = True):
    """Return ``carla.Map`` for ``text``; raises :class:`MapError` naming ``source``."""
    try:
        import carla
    except ImportError as exc:  # pragma: no cover - carla is a hard dependency
        raise MapError(f"{source}: the carla client package is required to load maps "
                       f"({exc})") from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if probe:
        _probe(text, source, digest)
    try:
        return carla.Map(name, text)
    except RuntimeError as exc:
        raise MapError(f"{source}: CARLA's OpenDRIVE parser rejected the file ({exc})") from None


def _probe(text: str, source: str, digest: str) -> None:
    marker = cache_dir("maps-ok") / digest
    if marker.exists():
        return
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], input=text.encode("utf-8"),
        capture_output=True, timeout=300,
    )
    if proc.returncode != 0:
        if proc.returncode < 0:
            why = f"crashed with {signal.Signals(-proc.returncode).name}"
        else:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            why = f"failed ({tail[-1] if tail else 'no message'})"
        raise MapError(f"{source}: CARLA's OpenDRIVE parser {why}; the file is malformed or "
                       f"uses features CARLA cannot read")
    marker.parent.mkdir(parents=True, exist_ok=True)
    tmp = marker.with_name(f"{digest}.{os.getpid()}.tmp")
    tmp.write_text(source)
    os.replace(tmp, marker)
