"""kav's built-in scenarios."""

from __future__ import annotations

from scenarios.spec import EgoSpec, MapRef, ScenarioCatalog, ScenarioSpec, TrafficSpec

SANGAM_GRID_DEMO = ScenarioSpec(
    id="sangam-grid-demo",
    zone="sangam",
    title="Sangam DMC arterial grid, morning traffic",
    description=(
        "A robotaxi crosses a Sangam-DMC-like arterial grid (median bus lane, left-turn "
        "pockets, right-turn lanes, school zone) in 08:30 traffic with Korean signal phasing, "
        "delivery motorcycles, buses and pedestrians on the crosswalks."),
    map=MapRef(builder="sangam_dmc_grid"),
    ego=EgoSpec(start=(30.0, 176.0), goal=(850.0, 364.0)),
    traffic=TrafficSpec(vehicles=150, pedestrians=40),
    duration_s=60.0,
)


def builtin_catalog() -> ScenarioCatalog:
    """A fresh catalogue of the built-in scenarios."""
    return ScenarioCatalog([SANGAM_GRID_DEMO])
