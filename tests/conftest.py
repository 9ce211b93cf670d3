"""Shared fixtures: maps are built and loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "sim" / "data"


@pytest.fixture(scope="session", autouse=True)
def signing_key(tmp_path_factory):
    """Runs sign their recordings with the user's key (created in ~/.config/kav on first
    use); the tests, and every `kav` they start, use a throw-away key instead."""
    import os

    path = tmp_path_factory.mktemp("keys") / "signing-key.pem"
    old = os.environ.get("KAV_SIGNING_KEY")
    os.environ["KAV_SIGNING_KEY"] = str(path)
    yield path
    if old is None:
        os.environ.pop("KAV_SIGNING_KEY", None)
    else:
        os.environ["KAV_SIGNING_KEY"] = old


@pytest.fixture(scope="session")
def single_road_path() -> Path:
    """A hand-written 100 m road: two lanes each way, a stop line, a signal, a crosswalk,
    a bus lane with hours and a child protection zone (s 10-30 m)."""
    return DATA / "single_road.xodr"


@pytest.fixture(scope="session")
def single_road(single_road_path):
    from sim.roadnet.loader import load_network

    return load_network(single_road_path)


@pytest.fixture(scope="session")
def sangam_path(tmp_path_factory) -> Path:
    from scenarios.maps import build_grid, sangam_dmc_grid

    path = tmp_path_factory.mktemp("maps") / "sangam.xodr"
    path.write_text(build_grid(sangam_dmc_grid()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sangam(sangam_path):
    from sim.roadnet.loader import load_network

    return load_network(sangam_path)


@pytest.fixture(scope="session")
def sangam_engine(sangam):
    from sim.engines.embedded import EmbeddedEngine

    return EmbeddedEngine(sangam)
