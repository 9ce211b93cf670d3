"""Smoke test of benchmarks/traffic_step.py: tiny sizes, a few steps, no SUMO."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "traffic_step.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("kav_bench_traffic_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_parse_sizes(bench):
    cases = bench.parse_sizes("20, 1000, 1000@benchmark,10_000")
    assert [(c.n, c.map_name) for c in cases] == [
        (20, "sangam"), (1000, "sangam"), (1000, "benchmark"), (10000, "benchmark")]
    with pytest.raises(Exception, match="unknown map"):
        bench.parse_sizes("10@nowhere")


def test_runs_tiny(bench, capsys):
    argv = ["--sizes", "20", "--steps", "3", "--repeats", "2", "--warmup", "2",
            "--ref-steps", "1", "--no-sumo"]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "kav veh-steps/s" in out and "reference veh-steps/s" in out
    assert "SUMO: skipped (--no-sumo)" in out
    assert "target kav >= 1,000,000" in out
    row = next(line for line in out.splitlines() if line.startswith("20 "))
    cells = [c.strip() for c in row.split("|")]
    assert cells[1].startswith("sangam")
    assert float(cells[2].replace(",", "")) > 0  # kav rate
    assert cells[4] == "n/a"  # SUMO skipped
    ref_available = bench.load_reference()[0] is not None
    if ref_available:
        assert float(cells[3].replace(",", "")) > 0
        assert "equivalent to kernel" in out and "NOT EQUIVALENT" not in out
    else:
        assert cells[3] == "n/a" and "reference not available" in out


def test_kernel_swap_is_the_engine_step(bench):
    """The reference runs inside EmbeddedEngine.step (its own argument gathering): with the
    Numba kernel swapped in for itself the step is bit for bit the engine's, and the swap
    is undone afterwards."""
    from sim.actions import Actions
    from sim.traffic import _kernels as TK

    mc = bench.load_map("sangam")
    state, _ = bench.spawn_state(mc, 10, seed=3)
    engine = bench.EmbeddedEngine(mc.net)
    state = bench.warm_up(engine, state, 2, seed=3)
    actions = Actions.none(state.n_actors)
    rng_a, rng_b = bench.traffic_rngs(3, 2, 1)[0], bench.traffic_rngs(3, 2, 1)[0]
    swapped = bench.step_with(bench.NUMBA_KERNEL, engine, state, actions, rng_a)
    assert TK.vehicle_step is bench.NUMBA_KERNEL
    assert swapped.digest() == engine.step(state, actions, rng_b).digest()
