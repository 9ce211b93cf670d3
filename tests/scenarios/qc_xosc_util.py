"""Run the ASAM OpenSCENARIO XML checker (asam-qc-openscenarioxml) in-process.

Mirrors :mod:`tests.scenarios.qc_util` (the OpenDRIVE checker) and returns the same
:class:`~tests.scenarios.qc_util.QcReport`: a schema issue makes every later checker skip
for unmet preconditions, so "0 issues" alone proves nothing; the report keeps each
checker's status and summary too.
"""

from __future__ import annotations

from pathlib import Path

from tests.scenarios.qc_util import CheckerOutcome, QcReport, run_bundle

SCHEMA_CHECKER = "check_asam_xosc_xml_valid_schema"
PRECONDITION_SKIP = "Preconditions are not satisfied"


def run_xosc_qc(xosc_path: str | Path) -> QcReport:
    """Run every checker of the bundle on the file ``xosc_path`` (its LogicFile is read
    relative to it, as the reference checkers resolve the road network)."""
    from qc_openscenario import constants
    from qc_openscenario.main import run_checks

    return run_bundle(Path(xosc_path), constants, run_checks, "OpenScenario checker bundle")


def precondition_skips(report: QcReport) -> list[CheckerOutcome]:
    """Checkers skipped because an earlier one failed or the version is too old (a skip
    because the file has nothing of the checked kind, e.g. no traffic signals, is fine)."""
    return [o for o in report.outcomes if o.status == "skipped"
            and (PRECONDITION_SKIP in o.summary or "lower than definition" in o.summary)]
