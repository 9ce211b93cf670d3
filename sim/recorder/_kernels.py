"""Numba kernels of the recorder (plain twins in :mod:`sim.recorder._reference`)."""

from __future__ import annotations

import math

from sim._numba_env import configure_numba_cache

configure_numba_cache()

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402


@nb.njit(cache=True)
def write_numbers(out, rows, x, y, yaw, length, width, starts, widths):
    """Write each row's pose and size into its template row ``out[i]`` (uint8): fixed-point
    integers right-aligned in their columns, blanks before (x, y [mm], quaternion z, w
    [1e-3], length, width [cm]); values are clipped to what the columns hold."""
    vals = np.empty(6, dtype=np.float64)
    for i in range(rows.shape[0]):
        r = rows[i]
        vals[0] = x[r] * 1e3
        vals[1] = y[r] * 1e3
        vals[2] = math.sin(0.5 * yaw[r]) * 1e3
        vals[3] = math.cos(0.5 * yaw[r]) * 1e3
        vals[4] = length[r] * 1e2
        vals[5] = width[r] * 1e2
        for j in range(6):
            lim = 10.0 ** (widths[j] - 1) - 1.0
            f = vals[j]
            if math.isnan(f):  # a size (poses are finite)
                f = 0.0
            f = min(max(f, -lim), lim)
            n = int(math.floor(abs(f) + 0.5))
            p = starts[j] + widths[j] - 1
            while True:
                out[i, p] = 48 + n % 10
                n //= 10
                p -= 1
                if n == 0:
                    break
            if f <= -0.5:  # rounds to a negative number
                out[i, p] = 45
                p -= 1
            while p >= starts[j]:
                out[i, p] = 32
                p -= 1
