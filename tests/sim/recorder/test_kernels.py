"""The scene number writer: Numba kernel vs its plain-Python twin, byte for byte."""

import numpy as np
import pytest

from sim.recorder import _kernels, _reference


@pytest.mark.parametrize("n", [0, 1, 7, 200])
def test_write_numbers_matches_reference(n):
    rng = np.random.default_rng(n)
    x = rng.normal(0, 1e4, n)
    y = rng.normal(0, 1e6, n)  # beyond the 9 columns: clipped alike
    yaw = rng.uniform(-7, 7, n)
    length = np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0.3, 20, n))
    width = rng.uniform(-1, 3, n)
    if n:
        x[0], y[0] = -0.0004, -0.0006  # rounds to 0 and to -1 [mm]
    rows = np.arange(n)[::-1].astype(np.int64)
    starts = np.array([0, 10, 20, 26, 32, 38], np.int64)
    widths = np.array([9, 9, 5, 5, 5, 5], np.int64)
    a = np.full((n, 44), 120, np.uint8)
    b = a.copy()
    _kernels.write_numbers(a, rows, x, y, yaw, length, width, starts, widths)
    _reference.write_numbers(b, rows, x, y, yaw, length, width, starts, widths)
    assert a.tobytes() == b.tobytes()
    if n:
        text = a[n - 1].tobytes().decode()  # row n-1 holds actor 0
        assert text[:9] == "        0" and text[10:19] == "       -1"
