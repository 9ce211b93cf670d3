"""Run metrics: callbacks on the run loop (:mod:`sim.metrics.base`), kav's built-in metrics,
and the scores built from them (:mod:`sim.metrics.scores`)."""

from __future__ import annotations


def BUILTIN() -> list[type]:  # noqa: N802 - a constant-like accessor, evaluated lazily
    """Every built-in Metric class (safety and progress, then Korean rule compliance)."""
    from sim.metrics.korean import KOREAN_METRICS
    from sim.metrics.safety import SAFETY_METRICS

    return [*SAFETY_METRICS, *KOREAN_METRICS]
