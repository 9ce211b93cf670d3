"""Plan-view geometry of a roundabout: ring arcs, entry/exit turns, far-end turnaround loops.

Everything is built from ``line`` and ``arc`` records (as in :mod:`scenarios.maps.geometry`)
so that connecting roads start and end exactly on the lanes they join. Frame: the ring is
centred on the origin; an arm at angle ``theta`` [rad] (counter-clockwise from +x) runs
outwards along that ray. Traffic circulates counter-clockwise (right-hand traffic), so
entries lie on the downstream side of an arm (angle ``theta + alpha``) and exits on the
upstream side (``theta - alpha``). Lengths [m], angles [rad], curvature [1/m], left +.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .geometry import Pose, end_pose, wrap
from .xodr import Geometry

_LOOP_RIGHT_RADIUS = 30.0  # [m] reference radius of the inner lane's S-bends into a loop
MIN_BEND_RADIUS = 6.0  # [m] tightest lane-centre radius of a turnaround S-bend
ENTRY_STRAIGHT = 2.0  # [m] straight run of the innermost entry lane before it turns


@dataclass(frozen=True)
class RingLayout:
    """Where the junctions meet the ring and the arms.

    ``alpha``: half the angle [rad] a junction spans on the ring around its arm;
    ``arm_start``: distance [m] from the ring centre to s = 0 of every arm;
    ``r0``: radius [m] of the ring's reference line (inner edge of the circulating lanes).
    """

    alpha: float
    arm_start: float
    r0: float


def chain(start: Pose, parts: list[tuple[float, float | None]]) -> tuple[Geometry, ...]:
    """Records laid end to end from ``start``: (length [m], curvature or None) each."""
    out, pose, s = [], start, 0.0
    for length, curvature in parts:
        if length < 1e-9:
            continue
        g = Geometry(s, pose.x, pose.y, wrap(pose.hdg), length, curvature)
        out.append(g)
        pose = end_pose(g)
        s += length
    return tuple(out)


def ring_pose(radius: float, angle: float) -> Pose:
    """Point on a circle of ``radius`` about the origin, heading counter-clockwise."""
    return Pose(radius * math.cos(angle), radius * math.sin(angle), wrap(angle + math.pi / 2))


def ring_arc(radius: float, angle0: float, angle1: float) -> tuple[Geometry, ...]:
    """Counter-clockwise arc about the origin from ``angle0`` to ``angle1`` (> angle0)."""
    return chain(ring_pose(radius, angle0), [(radius * (angle1 - angle0), 1.0 / radius)])


def arm_pose(theta: float, dist: float, t: float, inbound: bool) -> Pose:
    """Point ``dist`` [m] out along the arm ray ``theta`` and ``t`` [m] to its left, heading
    in (toward the ring) or out."""
    c, s = math.cos(theta), math.sin(theta)
    return Pose(dist * c - t * s, dist * s + t * c, wrap(theta + (math.pi if inbound else 0.0)))


def offset_path(path: tuple[Geometry, ...], right: float) -> tuple[Geometry, ...]:
    """The parallel curve ``right`` [m] to the right of ``path`` (arcs keep their centre)."""
    out, s = [], 0.0
    for g in path:
        x = g.x + right * math.sin(g.hdg)
        y = g.y - right * math.cos(g.hdg)
        if g.curvature is None:
            length, k = g.length, None
        else:
            scale = 1.0 + g.curvature * right  # > 0: the offset stays on the same side
            if scale <= 1e-6:
                raise ValueError(f"offset {right} m passes the centre of a {g.length} m arc")
            length, k = g.length * scale, g.curvature / scale
        out.append(Geometry(s, x, y, g.hdg, length, k))
        s += length
    return tuple(out)


def _entry_corner(r_e: float, t_e: float, alpha: float) -> tuple[float, float]:
    """(d1, x_c) [m] of the inner entry in the arm's frame (theta = 0): tangent length from
    the ring point at ``alpha`` back to where the lane line y = ``t_e`` meets the ring
    tangent, and that corner's x."""
    d1 = (r_e * math.sin(alpha) - t_e) / math.cos(alpha)
    return d1, r_e * math.cos(alpha) + d1 * math.sin(alpha)


def solve_layout(r0: float, r_entry: float, t_entry: float, n_lanes: int, lane_width: float,
                 entry_radius: float) -> RingLayout:
    """Pick the junction half-angle so that the tightest entry lane (the outermost one) has
    lane-centre radius ``entry_radius`` [m].

    The innermost entry runs from the arm lane whose left border is at ``t_entry`` to the
    ring lane whose left (inner) border has radius ``r_entry``: a line, then an arc tangent
    to the ring at ``alpha`` (the turn is pi/2 - alpha, the arc radius d1 / tan of half of
    it). That radius grows monotonically with alpha, so bisection finds it.
    """

    def centre_radius(alpha: float) -> float:
        d1, _ = _entry_corner(r_entry, t_entry, alpha)
        ref = d1 / math.tan((math.pi / 2 - alpha) / 2)
        return ref - (n_lanes - 0.5) * lane_width

    lo = math.asin(min(1.0, t_entry / r_entry)) + 1e-9
    hi = math.pi / 2 - 1e-3
    if centre_radius(hi) < entry_radius:
        raise ValueError(f"entry_radius={entry_radius!r} m does not fit this ring")
    for _ in range(100):  # centre_radius(lo) < 0 < entry_radius <= centre_radius(hi)
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if centre_radius(mid) < entry_radius else (lo, mid)
    alpha = hi
    d1, x_c = _entry_corner(r_entry, t_entry, alpha)
    return RingLayout(alpha=alpha, arm_start=x_c + d1 + ENTRY_STRAIGHT, r0=r0)


def loop_path(theta: float, end_dist: float, a: float, b: float, loop_radius: float,
              loop_centre: float, lane_width: float) -> tuple[Geometry, ...]:
    """Turnaround at an arm's far end: from the outbound lane border ``a`` [m] right of the
    arm axis at ``end_dist`` [m], back into the inbound lane border ``b`` [m] left of it.

    A right S-bend away from the axis, a left loop of radius ``loop_radius`` about the
    point ``loop_centre`` [m] beyond the arm end on its axis, and a right S-bend back in
    (a balloon loop). Each right arc's radius comes from tangency with the loop circle:
    ``X**2 + (a + rho)**2 == (rho + R)**2``, i.e. ``rho = (X**2 + a**2 - R**2) / (2 (R - a))``
    with X = ``loop_centre``. Lanes of one loop with a common centre stay parallel.
    ValueError when a bend's lane centre would turn tighter than ``MIN_BEND_RADIUS``.
    """
    big_r, x = loop_radius, loop_centre

    def right_arc(off: float) -> tuple[float, float]:
        rho = (x * x + off * off - big_r * big_r) / (2.0 * (big_r - off))
        # the lane lies inside the right bend: its centre runs at rho - W/2
        if rho - 0.5 * lane_width < MIN_BEND_RADIUS:
            raise ValueError("turnaround_radius is too small for the arm's cross-section")
        beta = math.pi / 2 - math.atan2(off + rho, x)
        return rho, beta

    rho_a, beta_a = right_arc(a)
    rho_b, beta_b = right_arc(b)
    start = arm_pose(theta, end_dist, -a, inbound=False)
    path = chain(start, [
        (rho_a * beta_a, -1.0 / rho_a),
        (big_r * (math.pi + beta_a + beta_b), 1.0 / big_r),
        (rho_b * beta_b, -1.0 / rho_b),
    ])
    end, want = end_pose(path[-1]), arm_pose(theta, end_dist, b, inbound=True)
    if math.hypot(end.x - want.x, end.y - want.y) > 1e-6:  # guards the closed form above
        raise AssertionError("turnaround loop does not close")
    return path


def loop_centre(a0: float, loop_radius: float) -> float:
    """Distance [m] of the turnaround loop centre beyond the arm end, for an innermost lane
    whose right S-bend has reference radius ``_LOOP_RIGHT_RADIUS``."""
    rho = _LOOP_RIGHT_RADIUS
    return math.sqrt((rho + loop_radius) ** 2 - (a0 + rho) ** 2)

