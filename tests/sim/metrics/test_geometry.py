"""Convex hulls and point-in-hull tests used for junction areas (drivable-area metric)."""

import numpy as np

from sim.metrics.geometry import convex_hull, inside_convex


def test_hull_of_a_square_with_interior_points():
    rng = np.random.default_rng(0)
    pts = np.vstack([[[0, 0], [4, 0], [4, 4], [0, 4]], rng.uniform(0.1, 3.9, (50, 2))])
    hull = convex_hull(pts)
    assert sorted(map(tuple, hull.tolist())) == [(0, 0), (0, 4), (4, 0), (4, 4)]
    # counter-clockwise: positive signed area
    x, y = hull[:, 0], hull[:, 1]
    assert 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) == 16.0


def test_inside_convex():
    hull = convex_hull(np.array([[0, 0], [4, 0], [4, 4], [0, 4], [2, 2]]))
    got = inside_convex(hull, np.array([2.0, 4.0, 4.1, -0.1, 3.9]),
                        np.array([2.0, 4.0, 2.0, 1.0, 0.1]))
    assert got.tolist() == [True, True, False, False, True]
    assert not inside_convex(convex_hull(np.array([[0, 0], [1, 1]])), 0.5, 0.5).any()
