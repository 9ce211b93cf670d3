"""Run the ASAM OpenDRIVE checker (asam-qc-opendrive) in-process and summarise the result.

A schema issue makes every later checker skip for unmet preconditions, so "0 issues" alone
proves nothing: :class:`QcReport` keeps each checker's status and summary too.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CheckerOutcome:
    checker_id: str
    status: str  # completed | skipped | error
    summary: str
    issues: tuple[str, ...]  # "description @ first location" per issue


@dataclass(frozen=True)
class QcReport:
    outcomes: tuple[CheckerOutcome, ...]

    @property
    def issues(self) -> list[str]:
        return [f"{o.checker_id}: {i}" for o in self.outcomes for i in o.issues]

    def with_status(self, status: str) -> list[CheckerOutcome]:
        return [o for o in self.outcomes if o.status == status]

    def skipped_for_version_only(self, o: CheckerOutcome) -> bool:
        """Skipped because the file's version is outside the checker's applicable range."""
        return o.status == "skipped" and "applicable version" in o.summary

    def problems(self) -> list[str]:
        """Issues, errors, and skips for any reason other than the version range."""
        out = self.issues
        for o in self.outcomes:
            if o.status == "error":
                out.append(f"{o.checker_id}: ended in error: {o.summary}")
            elif o.status == "skipped" and not self.skipped_for_version_only(o):
                out.append(f"{o.checker_id}: skipped: {o.summary}")
            elif o.status not in ("completed", "skipped"):
                out.append(f"{o.checker_id}: status {o.status}: {o.summary}")
        return out


def _describe(issue) -> str:
    where = ""
    for loc in issue.locations:
        if loc.xml_location:
            where = loc.xml_location[0].xpath
            break
        if loc.file_location:
            fl = loc.file_location[0]
            where = f"line {fl.row}: {loc.description}"
            break
    return f"{issue.description} @ {where}"


def run_qc(xodr_text: str) -> QcReport:
    """Run every checker of the bundle on ``xodr_text`` (written to a temporary file)."""
    from qc_opendrive import constants
    from qc_opendrive.main import run_checks

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.xodr"
        path.write_text(xodr_text, encoding="utf-8")
        return run_bundle(path, constants, run_checks, "OpenDrive checker bundle")


def run_bundle(input_file: Path, constants, run_checks, description: str) -> QcReport:
    """Run one ASAM checker bundle (its ``constants`` module and ``run_checks``) on
    ``input_file`` in-process and summarise every checker's outcome."""
    from qc_baselib import Configuration, Result

    logging.getLogger().setLevel(logging.WARNING)  # the checkers log every step at INFO
    with tempfile.TemporaryDirectory() as tmp:
        config = Configuration()
        config.set_config_param("InputFile", str(input_file))
        config.register_checker_bundle(constants.BUNDLE_NAME)
        config.set_checker_bundle_param(
            constants.BUNDLE_NAME, "resultFile", str(Path(tmp) / "result.xqar")
        )
        result = Result()
        result.register_checker_bundle(
            name=constants.BUNDLE_NAME,
            description=description,
            version=constants.BUNDLE_VERSION,
            summary="",
        )
        result.set_result_version(version=constants.BUNDLE_VERSION)
        run_checks(config, result)
    outcomes = []
    for checker in result.get_checker_results(constants.BUNDLE_NAME):
        status = checker.status.value if checker.status is not None else "none"
        outcomes.append(
            CheckerOutcome(
                checker.checker_id,
                str(status).lower(),
                checker.summary,
                tuple(_describe(i) for i in checker.issues),
            )
        )
    return QcReport(tuple(outcomes))
