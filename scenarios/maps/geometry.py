"""Plan-view paths from ``line`` and ``arc`` records, with exact end points.

Connecting roads must start and end exactly on the lanes they join (the ASAM checker allows
1 cm), so every path here is built analytically: a turn is line + arc + line with the arc
tangent to both, a lateral shift is two opposite arcs. No paramPoly3 (its arc length has no
closed form). Angles [rad] counter-clockwise from +x, lengths [m], curvature [1/m] (left
positive).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .xodr import Geometry

_EPS = 1e-6  # [m] records shorter than this are dropped


@dataclass(frozen=True)
class Pose:
    x: float
    y: float
    hdg: float

    def at(self, forward: float, left: float = 0.0) -> tuple[float, float]:
        """Point ``forward`` [m] ahead and ``left`` [m] to the left of this pose."""
        c, s = math.cos(self.hdg), math.sin(self.hdg)
        return self.x + forward * c - left * s, self.y + forward * s + left * c


def wrap(angle: float) -> float:
    """``angle`` wrapped to (-pi, pi]."""
    a = math.fmod(angle + math.pi, 2.0 * math.pi)
    if a <= 0.0:
        a += 2.0 * math.pi
    return a - math.pi


def end_pose(g: Geometry) -> Pose:
    """Pose at the end of a line/arc record."""
    if g.curvature is None or g.curvature == 0.0:
        return Pose(g.x + g.length * math.cos(g.hdg), g.y + g.length * math.sin(g.hdg), g.hdg)
    k = g.curvature
    h1 = g.hdg + k * g.length
    return Pose(
        g.x + (math.sin(h1) - math.sin(g.hdg)) / k,
        g.y - (math.cos(h1) - math.cos(g.hdg)) / k,
        wrap(h1),
    )


def pose_at(geometry: tuple[Geometry, ...], s: float) -> Pose:
    """Pose on a chain of records at road coordinate ``s`` [m]."""
    g = geometry[0]
    for cand in geometry:
        if cand.s <= s + 1e-12:
            g = cand
    part = Geometry(g.s, g.x, g.y, g.hdg, max(0.0, s - g.s), g.curvature)
    return end_pose(part) if part.length > 0.0 else Pose(g.x, g.y, g.hdg)


class _Chain:
    """Appends records end to end, each starting where the previous one ended."""

    def __init__(self, start: Pose) -> None:
        self.pose = start
        self.s = 0.0
        self.records: list[Geometry] = []

    def add(self, length: float, curvature: float | None = None) -> None:
        if length < _EPS:
            return
        g = Geometry(self.s, self.pose.x, self.pose.y, wrap(self.pose.hdg), length, curvature)
        self.records.append(g)
        self.pose = end_pose(g)
        self.s += length


def straight_path(start: Pose, end: Pose) -> tuple[Geometry, ...]:
    """Path between two poses of equal heading: a line, or an S of two opposite arcs.

    The S shifts sideways by ``d`` over a forward distance ``D``: each arc turns by
    ``alpha = 2 atan(|d| / D)`` with curvature ``2 sin(alpha) / D``.
    """
    if abs(wrap(end.hdg - start.hdg)) > 1e-9:
        raise ValueError("straight_path needs equal start and end headings")
    dx, dy = end.x - start.x, end.y - start.y
    c, s = math.cos(start.hdg), math.sin(start.hdg)
    forward, left = dx * c + dy * s, -dx * s + dy * c
    if forward <= _EPS:
        raise ValueError(f"end pose is not ahead of the start pose (forward={forward:.3f} m)")
    chain = _Chain(start)
    if abs(left) < 1e-9:
        chain.add(forward)
    else:
        alpha = 2.0 * math.atan(abs(left) / forward)
        k = math.copysign(2.0 * math.sin(alpha) / forward, left)
        chain.add(alpha / abs(k), k)
        chain.add(alpha / abs(k), -k)
    return tuple(chain.records)


def turn_path(start: Pose, end: Pose, max_radius: float = math.inf) -> tuple[Geometry, ...]:
    """Line + arc + line from ``start`` to ``end`` (headings differ by less than pi).

    The two rays meet at corner C; with tangent lengths ``d0 = |C - start|`` and
    ``d1 = |end - C|`` and turn angle ``delta``, the arc radius is
    ``r = min(d0, d1, max_radius * tan(delta/2)) / tan(delta/2)`` so both lines are >= 0.
    """
    delta = wrap(end.hdg - start.hdg)
    if abs(delta) < 1e-6 or abs(abs(delta) - math.pi) < 1e-6:
        raise ValueError("turn_path needs headings that differ by neither 0 nor pi")
    c0, s0 = math.cos(start.hdg), math.sin(start.hdg)
    c1, s1 = math.cos(end.hdg), math.sin(end.hdg)
    # start + d0 * u0 == end - d1 * u1  (2x2 linear system, Cramer's rule)
    det = c0 * s1 - s0 * c1
    bx, by = end.x - start.x, end.y - start.y
    d0 = (bx * s1 - by * c1) / det
    d1 = (c0 * by - s0 * bx) / det
    tan_half = math.tan(abs(delta) / 2.0)
    tangent = min(d0, d1, max_radius * tan_half)
    if tangent <= _EPS:
        raise ValueError(
            f"no room for a turn: tangent lengths {d0:.3f} m and {d1:.3f} m from the corner"
        )
    radius = tangent / tan_half
    chain = _Chain(start)
    chain.add(d0 - tangent)
    chain.add(radius * abs(delta), math.copysign(1.0 / radius, delta))
    chain.add(d1 - tangent)
    return tuple(chain.records)


def path_length(geometry: tuple[Geometry, ...]) -> float:
    return sum(g.length for g in geometry)
