"""What a Korean urban grid map is made of: road classes, per-arm overrides, the grid spec.

All frozen dataclasses; :meth:`GridSpec.validate` raises ValueError naming the bad field.
Lengths [m], speeds [km/h], angles [deg] for geo anchors only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.roadnet.conventions import DEFAULT_SPEED_LIMIT_KMH, parse_hours

GENERAL = "general"
BUS = "bus"
LANE_KINDS = (GENERAL, BUS)

# Grid size limit of the id scheme (ids embed the node indices as two decimal digits each).
MAX_NODES_PER_AXIS = 100


@dataclass(frozen=True)
class RoadClass:
    """Cross-section and turning rules of one kind of road.

    ``lanes`` lists the lanes of one direction from the centre line outwards (both
    directions are alike): ``"general"`` or ``"bus"`` (bus only, all day).
    ``general_left_turns=False`` bans left turns for general traffic wherever it can go
    straight (Seoul median bus corridors); buses that cannot go straight turn left.
    """

    name: str
    lanes: tuple[str, ...] = (GENERAL, GENERAL)
    speed_kmh: float = DEFAULT_SPEED_LIMIT_KMH
    left_pockets: bool = True
    right_slips: bool = False
    general_left_turns: bool = True

    def validate(self) -> None:
        where = f"RoadClass {self.name!r}"
        if not self.name:
            raise ValueError("RoadClass.name must not be empty")
        if len(self.lanes) == 0:
            raise ValueError(f"{where}: lanes must list at least one lane per direction")
        for kind in self.lanes:
            if kind not in LANE_KINDS:
                raise ValueError(f"{where}: lanes has unknown kind {kind!r} (want {LANE_KINDS})")
        if GENERAL not in self.lanes:
            raise ValueError(f"{where}: lanes needs at least one {GENERAL!r} lane")
        _positive(f"{where}: speed_kmh", self.speed_kmh)


@dataclass(frozen=True)
class ArmOverride:
    """Changes to one arm: the arm leaving node (``i``, ``j``) ``toward`` "E" or "N".

    ``bus_lane_hours`` turns the outermost lane of both directions into a curb bus lane
    restricted in those hours (``"07:00-09:00,17:00-19:00"``). ``child_zone`` makes the
    whole arm a child protection zone; ``mid_crosswalk`` adds an unsignalised crosswalk
    with stop lines at mid-block. ``bus_shelter_m`` puts a bus shelter on the right-hand
    sidewalk (in the arm's direction), its centre that far [m] before the arm's end: an
    opaque 6 m x 1.5 m x 2.7 m box that hides whoever waits behind it from approaching
    drivers (the Pangyo occluded-pedestrian case).
    """

    i: int
    j: int
    toward: str
    road_class: RoadClass | None = None
    bus_lane_hours: str | None = None
    child_zone: bool = False
    mid_crosswalk: bool = False
    bus_shelter_m: float | None = None

    def __post_init__(self):
        if self.bus_shelter_m is not None and not (3.0 <= self.bus_shelter_m <= 1000.0):
            raise ValueError(f"bus_shelter_m must be in [3, 1000] m, got {self.bus_shelter_m}")


@dataclass(frozen=True)
class GridSpec:
    """A closed grid of ``n_cols`` x ``n_rows`` junction nodes.

    Node (i, j) is centred at (i * block_x, j * block_y) [m] in the inertial frame; the
    origin is geo-referenced to (``lat0``, ``lon0``) [deg]. E-W roads take their class from
    ``row_classes`` (by row j), N-S roads from ``col_classes`` (by column i), else
    ``default_class``; ``arm_overrides`` then change single arms.

    Turn sizes [m]: arms begin ``curb_radius`` beyond the carriageways they meet,
    ``slip_radius`` is the lane-centre radius of right-turn slip lanes and ``corner_radius``
    the smallest lane-centre radius (innermost lane) of the unsignalised corner bends, so
    that an 11 m city bus keeps clear of the other lanes of the bend.
    """

    name: str
    n_cols: int
    n_rows: int
    block_x: float
    block_y: float
    lat0: float
    lon0: float
    default_class: RoadClass = RoadClass("collector")
    row_classes: tuple[tuple[int, RoadClass], ...] = ()
    col_classes: tuple[tuple[int, RoadClass], ...] = ()
    arm_overrides: tuple[ArmOverride, ...] = ()
    lane_width: float = 3.25
    sidewalk_width: float = 3.0
    #: city blocks: a building along each side of every arm, ``building_setback`` [m] behind
    #: the sidewalk, ``building_depth`` deep and ``building_height`` tall [m]; they block
    #: sensors' line of sight (and radio) around corners. Off for open ground.
    buildings: bool = True
    building_setback: float = 2.0
    building_depth: float = 20.0
    building_height: float = 20.0
    pocket_length: float = 40.0
    taper_length: float = 20.0
    curb_radius: float = 12.0
    slip_radius: float = 18.0
    corner_radius: float = 28.0  # clears an 11 m bus (kinematic model) in every bend lane
    crosswalk_width: float = 4.0
    stop_line_gap: float = 2.0
    date: str = "2025-01-01T00:00:00"

    def validate(self) -> None:
        """Raise ValueError naming the first bad field (block lengths are checked later,
        by the layout, once junction sizes are known)."""
        if not self.name or any(c in self.name for c in "<>&\"'"):
            raise ValueError(f"name={self.name!r} must be non-empty plain text")
        for field_name in ("n_cols", "n_rows"):
            n = getattr(self, field_name)
            if not isinstance(n, int) or not 2 <= n <= MAX_NODES_PER_AXIS:
                raise ValueError(f"{field_name}={n!r} must be an int in [2, {MAX_NODES_PER_AXIS}]")
        for field_name in (
            "block_x",
            "block_y",
            "lane_width",
            "sidewalk_width",
            "pocket_length",
            "taper_length",
            "curb_radius",
            "slip_radius",
            "corner_radius",
            "crosswalk_width",
        ):
            _positive(field_name, getattr(self, field_name))
        if not (math.isfinite(self.stop_line_gap) and self.stop_line_gap >= 0.0):
            raise ValueError(f"stop_line_gap={self.stop_line_gap!r} must be >= 0")
        if not (math.isfinite(self.lat0) and -90.0 <= self.lat0 <= 90.0):
            raise ValueError(f"lat0={self.lat0!r} must be a latitude in [-90, 90] deg")
        if not (math.isfinite(self.lon0) and -180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"lon0={self.lon0!r} must be a longitude in [-180, 180] deg")
        if not self.date:
            raise ValueError("date must be a fixed, non-empty timestamp")
        need = self.crosswalk_width + self.stop_line_gap + 1.0
        if self.pocket_length < need:
            raise ValueError(
                f"pocket_length={self.pocket_length!r} m must hold the crosswalk and stop line "
                f"(>= {need} m)"
            )
        _validate_class("default_class", self.default_class)
        for field_name in ("row_classes", "col_classes"):
            limit = self.n_rows if field_name == "row_classes" else self.n_cols
            for index, cls in getattr(self, field_name):
                if not 0 <= index < limit:
                    raise ValueError(f"{field_name}: index {index} outside [0, {limit})")
                _validate_class(f"{field_name}[{index}]", cls)
        for ov in self.arm_overrides:
            self._validate_override(ov)

    def _validate_override(self, ov: ArmOverride) -> None:
        where = f"arm_overrides ({ov.i}, {ov.j}, {ov.toward!r})"
        if ov.toward not in ("E", "N"):
            raise ValueError(f"{where}: toward must be 'E' or 'N'")
        i_max = self.n_cols - (2 if ov.toward == "E" else 1)
        j_max = self.n_rows - (2 if ov.toward == "N" else 1)
        if not (0 <= ov.i <= i_max and 0 <= ov.j <= j_max):
            raise ValueError(f"{where}: no such arm in a {self.n_cols} x {self.n_rows} grid")
        if ov.road_class is not None:
            _validate_class(f"{where}: road_class", ov.road_class)
        if ov.bus_lane_hours is not None:
            try:
                parse_hours(ov.bus_lane_hours)
            except ValueError as exc:
                raise ValueError(f"{where}: bus_lane_hours: {exc}") from None


def _validate_class(where: str, cls: RoadClass) -> None:
    try:
        cls.validate()
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a positive number")
