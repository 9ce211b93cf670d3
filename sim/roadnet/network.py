"""RoadNetwork: an OpenDRIVE map flattened into NumPy arrays for Numba kernels.

A *lane* here is one OpenDRIVE lane within one lane section (road, section, lane id), as
CARLA's topology defines it; lanes run in their direction of travel, and ``s`` along a lane
is arc length of its sampled centreline from the lane's start [m]. Variable-length lists use
CSR layout: ``ptr`` of size n+1 and a flat array, items of row i at ``ptr[i]:ptr[i+1]``.
The whole structure is immutable and picklable (it holds no CARLA objects), so suite
workers receive it by value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class LaneType(IntEnum):
    NONE = 0
    DRIVING = 1
    SIDEWALK = 2
    SHOULDER = 3
    BIKING = 4
    PARKING = 5
    MEDIAN = 6
    BORDER = 7
    RESTRICTED = 8
    OTHER = 9


class Turn(IntEnum):
    """Movement of a junction lane, from the heading change across it."""

    NONE = 0  # not a junction lane
    STRAIGHT = 1
    LEFT = 2
    RIGHT = 3
    UTURN = 4


# LanePoints.flags bits
PT_LC_LEFT = 1  # a lane change to the left neighbour is allowed here (road marking)
PT_LC_RIGHT = 2
PT_CHILD_ZONE = 4  # inside a child protection zone (어린이보호구역)
PT_NO_SIDEWALK = 8  # ... and the road has no sidewalk there (20 km/h)

# Lanes.flags bits
LANE_BUS_ONLY = 1  # OpenDRIVE access rule allow=bus (hours in bus_hours; none = all day)
LANE_JUNCTION = 2  # a connecting lane inside a junction
LANE_SIGNALISED = 4  # an approach lane governed by a vehicle signal head


@dataclass(frozen=True)
class Lanes:
    """Per-lane arrays, shape (n_lanes,) unless noted.

    road, section, odr_id: int32 OpenDRIVE road id, lane-section index, lane id.
    junction: int32 OpenDRIVE junction id, -1 outside junctions.
    type: int8 :class:`LaneType`; flags: uint8 LANE_* bits; turn: int8 :class:`Turn`.
    length: float64 [m] centreline arc length.
    pt_ptr: (n_lanes+1,) int32 CSR into :class:`LanePoints`.
    left, right: int32 neighbour lane travelling the same way (-1 none), as seen by a driver.
    succ_ptr/succ, pred_ptr/pred: int32 CSR successor / predecessor lanes.
    stop_s: float64 [m] s of the stop line on this lane, NaN if none.
    signal: int32 index of the vehicle signal head governing this approach lane, -1 none.
    bus_hours_ptr: (n_lanes+1,) int32; bus_hours: (k, 2) int32 [s of day] restriction hours.
    """

    road: np.ndarray
    section: np.ndarray
    odr_id: np.ndarray
    junction: np.ndarray
    type: np.ndarray
    flags: np.ndarray
    turn: np.ndarray
    length: np.ndarray
    pt_ptr: np.ndarray
    left: np.ndarray
    right: np.ndarray
    succ_ptr: np.ndarray
    succ: np.ndarray
    pred_ptr: np.ndarray
    pred: np.ndarray
    stop_s: np.ndarray
    signal: np.ndarray
    bus_hours_ptr: np.ndarray
    bus_hours: np.ndarray

    @property
    def n(self) -> int:
        return int(self.road.shape[0])

    def successors(self, lane: int) -> np.ndarray:
        return self.succ[self.succ_ptr[lane]:self.succ_ptr[lane + 1]]

    def predecessors(self, lane: int) -> np.ndarray:
        return self.pred[self.pred_ptr[lane]:self.pred_ptr[lane + 1]]


@dataclass(frozen=True)
class LanePoints:
    """Sampled lane centrelines, shape (n_points,), grouped by lane via ``Lanes.pt_ptr``.

    x, y: float64 [m]; heading: float64 [rad] direction of travel; s: float64 [m] along lane;
    road_s: float64 [m] OpenDRIVE road s; width: float64 [m] lane width;
    speed_limit: float64 [m/s]; flags: uint8 PT_* bits; lane: int32 owning lane.
    """

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    s: np.ndarray
    road_s: np.ndarray
    width: np.ndarray
    speed_limit: np.ndarray
    flags: np.ndarray
    lane: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class Crosswalks:
    """Crosswalk polygons and where driving lanes cross them.

    ptr: (n_cw+1,) int32 CSR into x, y: float64 [m] polygon vertices (not closed).
    road: int32 road the crosswalk belongs to; odr_id: tuple of object ids (str).
    signalised: bool, a vehicle signal head stands within 15 m along the same road.
    end_x, end_y: (n_cw, 2) float64 [m] the two kerb-side waiting points (on the pavement).
    lane_ptr: (n_lanes+1,) int32 CSR into lane_cw: int32 crosswalk index,
    lane_s0, lane_s1: float64 [m] where the lane's centreline enters and leaves it.
    """

    ptr: np.ndarray
    x: np.ndarray
    y: np.ndarray
    road: np.ndarray
    odr_id: tuple[str, ...]
    signalised: np.ndarray
    end_x: np.ndarray
    end_y: np.ndarray
    lane_ptr: np.ndarray
    lane_cw: np.ndarray
    lane_s0: np.ndarray
    lane_s1: np.ndarray

    @property
    def n(self) -> int:
        return int(self.ptr.shape[0] - 1)

    def polygon(self, i: int) -> np.ndarray:
        """Vertices of crosswalk i: (k, 2) float64 [m]."""
        a, b = self.ptr[i], self.ptr[i + 1]
        return np.stack([self.x[a:b], self.y[a:b]], axis=1)


@dataclass(frozen=True)
class SignalHeads:
    """Signal heads (OpenDRIVE dynamic signals), shape (n_heads,).

    odr_id: tuple of str; type: tuple of str (1000001 vehicle, 1000002 pedestrian);
    road: int32; x, y: float64 [m]; junction: int32 junction the head's approach enters (-1).
    """

    odr_id: tuple[str, ...]
    type: tuple[str, ...]
    road: np.ndarray
    x: np.ndarray
    y: np.ndarray
    junction: np.ndarray

    @property
    def n(self) -> int:
        return int(self.road.shape[0])


@dataclass(frozen=True)
class Junctions:
    """OpenDRIVE junctions, shape (n_junctions,).

    odr_id: int32; x, y: float64 [m] centroid of the connecting lanes; signalised: bool.
    """

    odr_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    signalised: np.ndarray

    @property
    def n(self) -> int:
        return int(self.odr_id.shape[0])


@dataclass(frozen=True)
class Structures:
    """Static map structures that block sight and radio (OpenDRIVE ``<object>`` of an
    occluding type: building, obstacle, barrier, tree, vegetation, pole), as oriented boxes,
    shape (n_structures,).

    odr_id: tuple of str ``"road:object"``; type: tuple of str OpenDRIVE object type;
    x, y: float64 [m] box centre; yaw: float64 [rad] heading of the box's length axis;
    length, width, height: float64 [m].
    """

    odr_id: tuple[str, ...]
    type: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @staticmethod
    def empty() -> Structures:
        z = np.zeros(0)
        return Structures((), (), z, z.copy(), z.copy(), z.copy(), z.copy(), z.copy())


@dataclass(frozen=True)
class SegmentGrid:
    """Uniform grid over centreline segments for nearest-lane queries.

    A segment k joins points k and k+1 of the same lane. origin_x, origin_y, cell: [m];
    nx, ny: cells; cell_ptr: (nx*ny+1,) int32 CSR into seg: int32 first-point index.
    """

    origin_x: float
    origin_y: float
    cell: float
    nx: int
    ny: int
    cell_ptr: np.ndarray
    seg: np.ndarray


@dataclass(frozen=True)
class RoadNetwork:
    """A loaded map. ``source`` names the file; ``sha256`` hashes its bytes."""

    name: str
    source: str
    sha256: str
    geo_reference: str
    lanes: Lanes
    points: LanePoints
    crosswalks: Crosswalks
    signals: SignalHeads
    junctions: Junctions
    grid: SegmentGrid
    structures: Structures = field(default_factory=Structures.empty)

    def lane_key(self, lane: int) -> tuple[int, int, int]:
        """(road id, section index, lane id) of a lane index, for messages."""
        ln = self.lanes
        return int(ln.road[lane]), int(ln.section[lane]), int(ln.odr_id[lane])

    def lane_points(self, lane: int) -> slice:
        return slice(int(self.lanes.pt_ptr[lane]), int(self.lanes.pt_ptr[lane + 1]))

    def lane_xy(self, lane: int) -> np.ndarray:
        """Centreline of one lane: (k, 2) float64 [m]."""
        sl = self.lane_points(lane)
        return np.stack([self.points.x[sl], self.points.y[sl]], axis=1)
