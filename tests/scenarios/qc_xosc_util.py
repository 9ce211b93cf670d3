"""Run the ASAM OpenSCENARIO XML checker (asam-qc-openscenarioxml) in-process.

Mirrors :mod:`tests.scenarios.qc_util` (the OpenDRIVE checker) and returns the same
:class:`~tests.scenarios.qc_util.QcReport`: a schema issue makes every later checker skip
for unmet preconditions, so "0 issues" alone proves nothing; the report keeps each
checker's status and summary too.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from tests.scenarios.qc_util import CheckerOutcome, QcReport, _describe

SCHEMA_CHECKER = "check_asam_xosc_xml_valid_schema"
PRECONDITION_SKIP = "Preconditions are not satisfied"


def run_xosc_qc(xosc_path: str | Path) -> QcReport:
    """Run every checker of the bundle on the file ``xosc_path`` (its LogicFile is read
    relative to it, as the reference checkers resolve the road network)."""
    from qc_baselib import Configuration, Result
    from qc_openscenario import constants
    from qc_openscenario.main import run_checks

    logging.getLogger().setLevel(logging.WARNING)  # the checker logs every step at INFO
    with tempfile.TemporaryDirectory() as tmp:
        config = Configuration()
        config.set_config_param("InputFile", str(xosc_path))
        config.register_checker_bundle(constants.BUNDLE_NAME)
        config.set_checker_bundle_param(
            constants.BUNDLE_NAME, "resultFile", str(Path(tmp) / "result.xqar")
        )
        result = Result()
        result.register_checker_bundle(
            name=constants.BUNDLE_NAME,
            description="OpenScenario checker bundle",
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


def precondition_skips(report: QcReport) -> list[CheckerOutcome]:
    """Checkers skipped because an earlier one failed or the version is too old (a skip
    because the file has nothing of the checked kind, e.g. no traffic signals, is fine)."""
    return [o for o in report.outcomes if o.status == "skipped"
            and (PRECONDITION_SKIP in o.summary or "lower than definition" in o.summary)]
