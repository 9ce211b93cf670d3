"""JUnit XML for CI users: one test suite per run, one test case per pass criterion.

CI systems (GitLab, Jenkins, GitHub test reporters) read JUnit XML and show a red build for
any ``<failure>`` or ``<error>``. A run maps onto it as:

* one ``<testcase>`` per criterion of the scenario: ``<failure>`` when it failed (the
  message says expected vs actual), ``<skipped>`` when kav could not evaluate it;
* a ``<testcase name="run">`` for the run itself: ``<error>`` when the verdict is ERROR (or
  missing: an unjudged run must never look green), ``<failure>`` when the verdict is FAIL
  although no criterion failed (a terminating event such as a timeout ended the run).

Input is the ``result.json`` dictionary; keys that are missing read "not recorded".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from scenarios.outputs import atomic_write_text

NOT_RECORDED = "not recorded"

# XML 1.0 cannot carry most control characters, not even escaped; a traceback with terminal
# colour codes would otherwise make the whole file unreadable to every parser.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value) -> str:
    return _XML_ILLEGAL.sub("\ufffd", str(value))


def fmt_value(v) -> str:
    """A result value as people read it: numbers to 6 significant digits, "inf" kept,
    None as "not recorded"."""
    if v is None:
        return NOT_RECORDED
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def verdict_of(result: dict) -> str | None:
    """"PASS" / "FAIL" / "ERROR" (older results wrote lower case), another string as given,
    or None when the result records none."""
    v = result.get("verdict")
    text = "" if v is None else str(v).strip()
    if not text:
        return None
    return text.upper() if text.upper() in ("PASS", "FAIL", "ERROR") else text


def _seconds(v) -> str:
    """JUnit ``time`` attribute [s]: a plain non-negative decimal, 0 when unknown."""
    try:
        t = float(v)
    except (TypeError, ValueError):
        return "0.000"
    return f"{t:.3f}" if t == t and 0 <= t < float("inf") else "0.000"


def _properties(result: dict) -> list[tuple[str, str]]:
    scores = result.get("scores") or {}
    carla = scores.get("carla_lb2") or {}
    nuplan = scores.get("nuplan") or {}
    code = result.get("code_version") or {}
    rec = result.get("recording") or {}
    mp = result.get("map") or {}
    return [
        ("scenario", fmt_value(result.get("scenario"))),
        ("seed", fmt_value(result.get("seed"))),
        ("verdict", fmt_value(verdict_of(result))),
        ("duration_s", fmt_value(result.get("duration_s"))),
        ("carla_lb2.driving_score", fmt_value(carla.get("driving_score"))),
        ("carla_lb2.route_completion", fmt_value(carla.get("route_completion"))),
        ("carla_lb2.infraction_penalty", fmt_value(carla.get("infraction_penalty"))),
        ("nuplan.score", fmt_value(nuplan.get("score"))),
        ("state_history_sha256", fmt_value(result.get("state_history_sha256"))),
        ("map.sha256", fmt_value(mp.get("sha256"))),
        ("recording.final_hash", fmt_value(rec.get("final_hash"))),
        ("recording.public_key_fingerprint", fmt_value(rec.get("public_key_fingerprint"))),
        ("code_version.package", fmt_value(code.get("package"))),
        ("code_version.git_commit", fmt_value(code.get("git_commit"))),
    ]


def _criterion_message(c: dict) -> str:
    return (f"expected {fmt_value(c.get('expected'))}, actual {fmt_value(c.get('actual'))} "
            f"(metric {fmt_value(c.get('metric'))}, actor {fmt_value(c.get('actor'))})")


def junit_xml(result: dict) -> str:
    """The run as a JUnit XML document (UTF-8 text, with the XML declaration)."""
    scenario = str(result.get("scenario") or "unknown")
    classname = _clean(f"kav.{scenario}")
    suite = ET.Element("testsuite", name=classname)
    props = ET.SubElement(suite, "properties")
    for name, value in _properties(result):
        ET.SubElement(props, "property", name=name, value=_clean(value))
    tests = failures = errors = skipped = 0
    criteria = result.get("criteria") or []
    for c in criteria:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=classname,
                             name=_clean(c.get("name") or c.get("metric") or "criterion"),
                             time="0.000")
        status = c.get("status")
        if status == "fail":
            failures += 1
            msg = _clean(_criterion_message(c))
            ET.SubElement(case, "failure", message=msg, type="criterion").text = msg
        elif status != "pass":  # not_evaluated, or a status this code does not know
            skipped += 1
            why = c.get("reason") or ("not evaluated" if status == "not_evaluated"
                                      else f"status {fmt_value(status)}")
            ET.SubElement(case, "skipped", message="not evaluated").text = _clean(why)
    tests += 1
    run = ET.SubElement(suite, "testcase", classname=classname, name="run",
                        time=_seconds(result.get("wall_time_s")))
    verdict = verdict_of(result)
    if verdict not in ("PASS", "FAIL"):
        errors += 1
        text = result.get("error") or (f"verdict {verdict}" if verdict else
                                       "the result records no verdict")
        first = str(text).splitlines()[0] if str(text).strip() else str(text)
        ET.SubElement(run, "error", message=_clean(first),
                      type=_clean(verdict or NOT_RECORDED)).text = _clean(text)
    elif verdict == "FAIL" and not any(c.get("status") == "fail" for c in criteria):
        failures += 1
        term = result.get("terminated") or {}
        msg = ("the run ended early: "
               f"{fmt_value(term.get('kind'))} at t = {fmt_value(term.get('time_s'))} s"
               if term else "verdict FAIL")
        detail = term.get("detail") if term else None
        ET.SubElement(run, "failure", message=_clean(msg),
                      type="verdict").text = _clean(detail or msg)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", _seconds(result.get("wall_time_s")))
    ET.indent(suite)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suite, encoding="unicode") + "\n")


def write_junit(path: Path, result: dict) -> None:
    """Write :func:`junit_xml` of ``result`` to ``path`` (atomically)."""
    atomic_write_text(Path(path), junit_xml(result))
