"""The preset maps pass the ASAM OpenDRIVE checker (asam-qc-opendrive) with zero issues.

Zero issues is not enough on its own: a schema issue makes every later checker skip for
unmet preconditions. So every checker must complete, except the ones whose applicable
version range excludes OpenDRIVE 1.8 (only ``one_connection_element``, ``<=1.7.0``, whose
rule 1.8 replaced with ``one_link_to_incoming``).
"""

from __future__ import annotations

import pytest

from scenarios.maps import benchmark_grid, build_grid, sangam_dmc_grid

pytest.importorskip("qc_opendrive")

from .qc_util import QcReport, run_qc  # noqa: E402

VERSION_SKIPPED = {"check_asam_xodr_junctions_connection_one_connection_element"}


def assert_clean(report: QcReport) -> None:
    assert report.problems() == []
    skipped = {o.checker_id for o in report.with_status("skipped")}
    assert skipped == VERSION_SKIPPED
    assert all(report.skipped_for_version_only(o) for o in report.with_status("skipped"))
    completed = report.with_status("completed")
    assert len(completed) == len(report.outcomes) - len(VERSION_SKIPPED) >= 20
    assert any(o.checker_id.endswith("valid_schema") for o in completed)
    assert any(o.checker_id.endswith("no_horizontal_gaps") for o in completed)


def test_sangam_passes_the_asam_checker():
    assert_clean(run_qc(build_grid(sangam_dmc_grid())))


def test_small_benchmark_passes_the_asam_checker():
    assert_clean(run_qc(build_grid(benchmark_grid(3, 3))))


@pytest.mark.slow
def test_full_benchmark_passes_the_asam_checker():
    """10 x 10 nodes, ~5.5 MB: about 5 minutes, mostly the XSD 1.1 schema validation."""
    assert_clean(run_qc(build_grid(benchmark_grid())))


def test_checker_harness_sees_gaps_and_schema_errors():
    """Guard against a vacuous pass: break a clean map two ways and expect findings."""
    text = build_grid(benchmark_grid(2, 2))  # a ring of four corner bends
    assert_clean(run_qc(text))
    start = text.index(' x="', text.index('junction="30000"')) + 4
    end = text.index('"', start)
    shifted = f"{text[:start]}{float(text[start:end]) + 0.5!r}{text[end:]}"
    gaps = run_qc(shifted).issues
    assert gaps and all("no_horizontal_gaps" in issue for issue in gaps)
    broken = run_qc(text.replace("<planView>", '<planView kav="1">', 1))
    assert any("valid_schema" in issue for issue in broken.issues)
    assert len(broken.with_status("skipped")) > len(VERSION_SKIPPED)  # the rest is skipped
