"""What a roundabout map is made of: :class:`RoundaboutSpec` and its validation.

Lengths [m], speeds [km/h], arm angles [deg] counter-clockwise from east (+x), geo anchor
[deg, WGS-84]. :meth:`RoundaboutSpec.validate` raises ValueError naming the bad field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .roundabout_geometry import RingLayout, loop_centre, solve_layout

FAR_TURNAROUND = "turnaround"  # arm ends turn back into the arm (traffic keeps roaming)
FAR_DEAD_END = "dead_end"
FAR_ENDS = (FAR_TURNAROUND, FAR_DEAD_END)
MAX_ARMS = 8
MIN_ISLAND_RADIUS = 8.0  # [m] central island (inside the circulating lanes)
MIN_RING_SEGMENT = 5.0  # [m] ring road left between two neighbouring junctions
ARM_GAP = 2.0  # [m] clearance between neighbouring arms' pavements / turnaround loops


@dataclass(frozen=True)
class RoundaboutSpec:
    """A multi-lane roundabout with straight divided arms, right-hand traffic.

    The ring is centred on the inertial origin, geo-referenced to (``lat0``, ``lon0``).
    ``inscribed_radius``: centre to the outer edge of the ``circulating_lanes`` lanes.
    Each arm leaves at one of ``arm_angles_deg`` (strictly increasing in [0, 360)), starts
    where its junction with the ring ends and runs ``arm_length`` outwards with
    ``arm_lanes`` (<= circulating lanes) lanes each way of ``lane_width``, split by a median
    of ``median_width`` (0: a double yellow line) and edged by sidewalks. Circulating lanes
    are ``ring_lane_width`` wide (wider than the arms' so that long vehicles, which sweep
    wider than their lane on tight curves, keep clear of each other), and the arm lanes
    flare to that width over the last ``flare_length`` before the ring. Entry lanes join the
    outer circulating lanes, lane by lane; ``entry_radius`` is the lane-centre radius of the
    tightest (outermost) entry and exit turn, which sets how far along the ring each
    junction reaches. ``curb_arm`` (index into the arms) gets an extra outbound curb
    drop-off lane (driving, ``curb_speed_kmh``) fed by the outer circulating lane.
    ``far_ends``: "turnaround" (a balloon loop of inner radius ``turnaround_radius`` back
    into the same arm) or "dead_end". ``crosswalks`` puts an unsignalised crosswalk
    ``crosswalk_width`` wide on every arm, ``crosswalk_setback`` from the arm's ring end.
    """

    name: str
    lat0: float
    lon0: float
    arm_angles_deg: tuple[float, ...] = (0.0, 90.0, 180.0, 270.0)
    arm_names: tuple[str, ...] = ()
    circulating_lanes: int = 2
    inscribed_radius: float = 32.0
    arm_lanes: int = 2
    arm_length: float = 220.0
    arm_speed_kmh: float = 50.0
    ring_speed_kmh: float = 30.0
    lane_width: float = 3.5
    ring_lane_width: float = 4.5
    flare_length: float = 20.0
    median_width: float = 2.0
    sidewalk_width: float = 3.0
    entry_radius: float = 15.0
    curb_arm: int | None = None
    curb_speed_kmh: float = 30.0
    crosswalks: bool = True
    crosswalk_width: float = 4.0
    crosswalk_setback: float = 5.0
    far_ends: str = FAR_TURNAROUND
    turnaround_radius: float = 20.0
    date: str = "2025-01-01T00:00:00"

    @property
    def n_arms(self) -> int:
        return len(self.arm_angles_deg)

    def arm_name(self, k: int) -> str:
        return self.arm_names[k] if self.arm_names else f"{self.arm_angles_deg[k]:g}deg"

    def layout(self) -> RingLayout:
        """Junction half-angle and arm start radius (ValueError naming ``entry_radius``)."""
        w, n = self.ring_lane_width, self.circulating_lanes
        r0 = self.inscribed_radius - n * w
        off = n - self.arm_lanes  # entries feed the outer circulating lanes
        try:
            return solve_layout(r0, r0 + off * w, self.median_width / 2.0, self.arm_lanes, w,
                                self.entry_radius)
        except ValueError as exc:
            raise ValueError(f"entry_radius={self.entry_radius!r}: {exc}") from None

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if not self.name or any(c in self.name for c in "<>&\"'"):
            raise ValueError(f"name={self.name!r} must be non-empty plain text")
        if not (_finite(self.lat0) and -90.0 <= self.lat0 <= 90.0):
            raise ValueError(f"lat0={self.lat0!r} must be a latitude in [-90, 90] deg")
        if not (_finite(self.lon0) and -180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"lon0={self.lon0!r} must be a longitude in [-180, 180] deg")
        self._validate_counts()
        for field_name in ("inscribed_radius", "arm_length", "arm_speed_kmh", "ring_speed_kmh",
                           "lane_width", "ring_lane_width", "flare_length", "sidewalk_width",
                           "entry_radius", "curb_speed_kmh", "crosswalk_width",
                           "turnaround_radius"):
            _positive(field_name, getattr(self, field_name))
        for field_name in ("median_width", "crosswalk_setback"):
            value = getattr(self, field_name)
            if not (_finite(value) and value >= 0.0):
                raise ValueError(f"{field_name}={value!r} must be a number >= 0")
        if not self.date:
            raise ValueError("date must be a fixed, non-empty timestamp")
        if self.far_ends not in FAR_ENDS:
            raise ValueError(f"far_ends={self.far_ends!r} must be one of {FAR_ENDS}")
        island = self.inscribed_radius - self.circulating_lanes * self.ring_lane_width
        if island < MIN_ISLAND_RADIUS:
            raise ValueError(f"inscribed_radius={self.inscribed_radius!r} m leaves a central "
                             f"island of {island:.2f} m (< {MIN_ISLAND_RADIUS} m)")
        if self.turnaround_radius <= self.median_width / 2.0 + 1.0:
            raise ValueError(f"turnaround_radius={self.turnaround_radius!r} m must exceed "
                             f"half the median plus 1 m")
        reach = max(self.crosswalk_setback + self.crosswalk_width, self.flare_length)
        if self.arm_length < max(50.0, 2.0 * reach):
            raise ValueError(f"arm_length={self.arm_length!r} m must be >= 50 m and twice the "
                             f"crosswalk's reach and the flare_length")
        lay = self.layout()
        self._validate_spacing(lay)
        # The junction paths raise ValueError naming curb_arm / turnaround_radius when a
        # turn does not fit; build them once here so validate() catches that too.
        from .roundabout_roads import ring_junction, turnaround

        for k in range(self.n_arms):
            ring_junction(self, lay, k)
            if self.far_ends == FAR_TURNAROUND:
                turnaround(self, lay, k)

    def _validate_counts(self) -> None:
        n = self.n_arms
        if not 3 <= n <= MAX_ARMS:
            raise ValueError(f"arm_angles_deg must list 3 to {MAX_ARMS} arms, got {n}")
        angles = self.arm_angles_deg
        if not all(_finite(a) and 0.0 <= a < 360.0 for a in angles) or any(
                b <= a for a, b in zip(angles, angles[1:])):
            raise ValueError(f"arm_angles_deg={angles!r} must increase strictly within [0, 360)")
        if self.arm_names and (len(self.arm_names) != n or not all(
                nm and nm.replace("_", "").isalnum() for nm in self.arm_names)):
            raise ValueError(f"arm_names={self.arm_names!r} must be {n} alphanumeric names")
        for field_name, hi in (("circulating_lanes", 3), ("arm_lanes", self.circulating_lanes)):
            v = getattr(self, field_name)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
                raise ValueError(f"{field_name}={v!r} must be an int in [1, {hi}]")
        if self.curb_arm is not None and not (
                isinstance(self.curb_arm, int) and 0 <= self.curb_arm < n):
            raise ValueError(f"curb_arm={self.curb_arm!r} must be None or an arm index < {n}")

    def half_width(self, k: int) -> float:
        """Half the arm's full width [m] on its wider (outbound) side, pavement included."""
        w = max(self.lane_width, self.ring_lane_width)
        curb = w if k == self.curb_arm else 0.0
        return self.median_width / 2 + self.arm_lanes * w + curb + self.sidewalk_width

    def _validate_spacing(self, lay: RingLayout) -> None:
        """Neighbouring junctions leave some ring between them; arms and loops keep apart."""
        n, angles = self.n_arms, [math.radians(a) for a in self.arm_angles_deg]
        loop_reach = 0.0
        if self.far_ends == FAR_TURNAROUND:
            a0 = self.median_width / 2.0
            extra = self.lane_width if self.curb_arm is not None else 0.0
            loop_reach = self.turnaround_radius + self.arm_lanes * self.lane_width + extra
            centre = lay.arm_start + self.arm_length + loop_centre(a0, self.turnaround_radius)
        for k in range(n):
            gap = (angles[(k + 1) % n] - angles[k]) % (2.0 * math.pi)
            seg = (gap - 2.0 * lay.alpha) * lay.r0
            if seg < MIN_RING_SEGMENT:
                raise ValueError(
                    f"arm_angles_deg: arms {k} and {(k + 1) % n} are too close for junctions "
                    f"of this entry_radius ({seg:.1f} m of ring between them, want "
                    f">= {MIN_RING_SEGMENT} m)")
            need = self.half_width(k) + self.half_width((k + 1) % n) + ARM_GAP
            if gap < math.pi and 2.0 * lay.arm_start * math.sin(gap / 2.0) < need:
                raise ValueError(f"arm_angles_deg: arms {k} and {(k + 1) % n} overlap")
            if loop_reach and gap < math.pi and (
                    2.0 * centre * math.sin(gap / 2.0) < 2.0 * loop_reach + ARM_GAP):
                raise ValueError(f"turnaround_radius: loops of arms {k} and {(k + 1) % n} "
                                 "overlap")


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive(name: str, value: object) -> None:
    if not (_finite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a positive number")
