"""Procedural OpenDRIVE 1.8 maps of Korean urban roads (see ``sim/roadnet/conventions.py``).

Public API: :class:`GridSpec` / :class:`RoadClass` / :class:`ArmOverride` describe a grid,
:func:`build_grid` turns one into xodr text, :func:`sangam_dmc_grid` and
:func:`benchmark_grid` are presets, :func:`write_xodr` writes a file atomically, and
:mod:`scenarios.maps.zones` holds the pilot-zone geo anchors.
"""

from .grid import (
    ArmOverride,
    GridSpec,
    RoadClass,
    benchmark_grid,
    build_document,
    build_grid,
    sangam_dmc_grid,
    write_xodr,
)
from .zones import ZONES, Zone, proj_string, zone

__all__ = [
    "ArmOverride",
    "GridSpec",
    "RoadClass",
    "ZONES",
    "Zone",
    "benchmark_grid",
    "build_document",
    "build_grid",
    "proj_string",
    "sangam_dmc_grid",
    "write_xodr",
    "zone",
]
