"""Plain-Python twins of :mod:`sim.recorder._kernels` (compared in tests)."""

from __future__ import annotations

import math


def write_numbers(out, rows, x, y, yaw, length, width, starts, widths) -> None:
    """:func:`sim.recorder._kernels.write_numbers` with Python's own integer formatting:
    each value as a rounded fixed-point integer, right-aligned in its column, clipped to
    what the column holds; a NaN size is written as 0."""
    for i, r in enumerate(rows):
        vals = (x[r] * 1e3, y[r] * 1e3, math.sin(0.5 * yaw[r]) * 1e3,
                math.cos(0.5 * yaw[r]) * 1e3, length[r] * 1e2, width[r] * 1e2)
        for f, start, w in zip(vals, starts, widths):
            f = 0.0 if math.isnan(f) else f
            lim = 10.0 ** (w - 1) - 1.0
            f = min(max(f, -lim), lim)
            n = int(math.floor(abs(f) + 0.5))
            text = f"{'-' if f <= -0.5 else ''}{n}".rjust(int(w))
            out[i, start:start + w] = list(text.encode())
