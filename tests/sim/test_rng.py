"""The RNG tree: reproducible, independent per name and index, same in every process."""

import subprocess
import sys

import numpy as np
import pytest

from sim.rng import RngTree


def test_same_seed_same_draws():
    a = RngTree(42).child("traffic").generator(3).random(5)
    b = RngTree(42).child("traffic").generator(3).random(5)
    assert np.array_equal(a, b)


def test_children_and_indices_are_independent():
    t = RngTree(42)
    draws = {tuple(t.child(name).generator(i).random(3)) for name in ("a", "b") for i in (0, 1)}
    assert len(draws) == 4
    assert not np.array_equal(RngTree(1).generator().random(3), RngTree(2).generator().random(3))


def test_draws_do_not_depend_on_other_consumers():
    t = RngTree(9)
    first = t.child("engine").generator(0).random()
    t.child("spawn").generator().random(1000)  # another consumer draws a lot
    assert t.child("engine").generator(0).random() == first


def test_identical_in_a_fresh_process():
    code = "from sim.rng import RngTree; print(repr(RngTree(5).child('x').generator(7).random()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == RngTree(5).child("x").generator(7).random()


def test_rejects_bad_seed():
    with pytest.raises(ValueError):
        RngTree(-1)
    with pytest.raises(ValueError):
        RngTree(1.5)
