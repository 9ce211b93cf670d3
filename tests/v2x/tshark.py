"""Test utility: decode a capture with tshark and return per-frame fields.

Uses ``tshark -T pdml``: unlike ``-T json`` (which repeats object keys, so a JSON parser keeps
only the last value) and ``-T ek`` (which rewrites field names), PDML keeps every occurrence
of every field under its real display-filter name, and ``show`` holds the plain value
(e.g. ``geonw.src_pos.lat`` shows ``375665000``, its raw 1e-7 deg integer).

Field names seen with Debian's tshark 4.0 for kav frames: ``frame.protocols``;
GeoNetworking ``geonw.bh.version``, ``geonw.bh.nh``, ``geonw.bh.lt``, ``geonw.bh.rhl``,
``geonw.ch.nh``, ``geonw.ch.htype``, ``geonw.ch.plength``, ``geonw.src_pos.addr.type``,
``geonw.src_pos.addr.mid``, ``geonw.src_pos.tst``, ``geonw.src_pos.lat``,
``geonw.src_pos.long``, ``geonw.src_pos.pai``, ``geonw.src_pos.speed``,
``geonw.src_pos.hdg``; BTP-B ``btpb.dstport``, ``btpb.dstportinf``; ITS ``its.protocolVersion``,
``its.messageID``, ``its.stationID``, ``its.latitude``, ``its.longitude``,
``its.headingValue``, ``its.speedValue``, ``cam.generationDeltaTime``, ``cam.stationType``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

# Expert severities (epan/proto.h PI_SEVERITY_MASK values)
_SEVERITY = {0x100000: "comment", 0x200000: "chat", 0x400000: "note", 0x600000: "warning",
             0x800000: "error"}


def tshark_path() -> str | None:
    """``$TSHARK`` if set, else ``tshark`` on PATH, else Debian's ``/usr/bin/tshark``."""
    for cand in (os.environ.get("TSHARK"), shutil.which("tshark"), "/usr/bin/tshark"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


@functools.lru_cache(maxsize=1)
def tshark_available() -> bool:
    """True when a tshark binary exists and runs."""
    path = tshark_path()
    if path is None:
        return False
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def decode(pcap_path) -> list[dict]:
    """Dissect every frame of ``pcap_path``. Per frame::

        {"protocols": "eth:ethertype:gnw:btpb:its",        # frame.protocols
         "fields": {"its.stationID": ["123456"], ...},      # name -> every shown value
         "expert": [("warning", "message"), ...],           # expert infos, in order
         "malformed": bool,                                 # a _ws.malformed item
         "error": bool}                                     # malformed or Error severity

    Raises RuntimeError with tshark's stderr when tshark is missing or exits non-zero.
    """
    path = tshark_path()
    if path is None:
        raise RuntimeError("tshark not found (set $TSHARK or install tshark)")
    # -n: no name resolution (deterministic output, no DNS); -T pdml: see module docstring
    cmd = [path, "-n", "-r", os.fspath(pcap_path), "-T", "pdml"]
    proc = subprocess.run(cmd, capture_output=True, timeout=300)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err}")
    root = ET.fromstring(proc.stdout)
    return [_frame(pkt) for pkt in root.iter("packet")]


def _frame(pkt: ET.Element) -> dict:
    fields: dict[str, list[str]] = {}
    expert: list[tuple[str, str]] = []
    malformed = False
    for el in pkt.iter():
        name = el.get("name")
        if not name:
            continue  # text-only tree items have no filter name
        if el.tag == "proto":
            malformed |= name == "_ws.malformed"
            continue
        if name == "_ws.expert":
            expert.append(_expert(el))
        fields.setdefault(name, []).append(el.get("show", ""))
    protocols = fields.get("frame.protocols", [""])[0]
    error = malformed or any(sev == "error" for sev, _ in expert)
    return {"protocols": protocols, "fields": fields, "expert": expert,
            "malformed": malformed, "error": error}


def _expert(el: ET.Element) -> tuple[str, str]:
    severity, message = "unknown", ""
    for child in el:
        cname = child.get("name")
        if cname == "_ws.expert.severity":
            show = child.get("show", "")
            if show.isdigit():
                severity = _SEVERITY.get(int(show), "unknown")
        elif cname == "_ws.expert.message":
            message = child.get("show", "")
    return severity, message
