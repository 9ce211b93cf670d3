"""Load-time geometry: crosswalk polygons, where lanes cross them, and the segment grid.

Object positions follow the OpenDRIVE standard: (s, t) in the road's reference-line frame,
not shifted by ``<laneOffset>``. (CARLA 0.9.16's ``get_crosswalks`` adds the lane offset,
so on roads with a centreline taper its crosswalks sit off the painted ones.)

These run once per map load with vectorised NumPy; the per-step queries are Numba kernels
in :mod:`sim.roadnet._kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.roadnet import conventions as cv
from sim.roadnet.network import Crosswalks, LanePoints, Lanes, LaneType, SegmentGrid, SignalHeads
from sim.roadnet.xodr import XodrDoc

_SIGNALISED_CROSSWALK_DS = 15.0  # [m] along the road from a vehicle signal head


PoseFn = Callable[[int, float], tuple[float, float, float]]


def build_crosswalks(doc: XodrDoc, reference_pose: PoseFn, lanes: Lanes, points: LanePoints,
                     heads: SignalHeads, head_road_s: list[float]) -> Crosswalks:
    """Crosswalk polygons in world coordinates and the lane crossings over them.

    head_road_s: OpenDRIVE road s [m] of each signal head (as CARLA reports it)."""
    polys, roads, ids, signalised = [], [], [], []
    head_s = [(int(heads.road[h]), head_road_s[h], heads.type[h]) for h in range(heads.n)]
    for rid in sorted(doc.roads):
        road = doc.roads[rid]
        for obj in road.objects:
            if obj.type != cv.OBJECT_TYPE_CROSSWALK:
                continue
            poly = _object_polygon(obj, rid, reference_pose)
            if len(poly) > 3 and np.allclose(poly[0], poly[-1]):
                poly = poly[:-1]  # an explicitly closed outline repeats its first corner
            polys.append(poly)
            roads.append(rid)
            ids.append(obj.id)
            signalised.append(any(r == rid and abs(s - obj.s) <= _SIGNALISED_CROSSWALK_DS
                                  for r, s, t in head_s if t == cv.SIGNAL_TYPE_VEHICLE))
    ptr = np.zeros(len(polys) + 1, np.int32)
    ptr[1:] = np.cumsum([len(p) for p in polys])
    xy = np.concatenate(polys) if polys else np.zeros((0, 2))
    ends = np.array([_crossing_ends(p) for p in polys]).reshape(-1, 2, 2)
    lane_ptr, lane_cw, s0, s1 = _lane_crossings(polys, lanes, points)
    return Crosswalks(
        ptr=ptr, x=xy[:, 0].copy(), y=xy[:, 1].copy(), road=np.asarray(roads, np.int32),
        odr_id=tuple(ids), signalised=np.asarray(signalised, bool),
        end_x=ends[:, :, 0].copy(), end_y=ends[:, :, 1].copy(),
        lane_ptr=lane_ptr, lane_cw=lane_cw, lane_s0=s0, lane_s1=s1,
    )


def _object_polygon(obj, rid: int, reference_pose) -> np.ndarray:
    if obj.outline_road:
        pts = []
        for s, t in obj.outline_road:
            x, y, h = reference_pose(rid, s)
            pts.append((x - t * math.sin(h), y + t * math.cos(h)))
        return np.asarray(pts, np.float64)
    x, y, h = reference_pose(rid, obj.s)
    px, py = x - obj.t * math.sin(h), y + obj.t * math.cos(h)
    corners = obj.outline or (
        (-obj.length / 2, -obj.width / 2), (obj.length / 2, -obj.width / 2),
        (obj.length / 2, obj.width / 2), (-obj.length / 2, obj.width / 2))
    a = h + obj.hdg
    c, s = math.cos(a), math.sin(a)
    return np.asarray([(px + c * u - s * v, py + s * u + c * v) for u, v in corners], np.float64)


KERB_STANDOFF = 1.0  # [m] pedestrians wait this far outside the painted crosswalk


def _crossing_ends(poly: np.ndarray) -> np.ndarray:
    """The two kerb-side waiting points of a crosswalk: on its long axis, KERB_STANDOFF
    beyond the painted area (the paint spans the carriageway, so this is the pavement)."""
    rel = poly - poly.mean(axis=0)
    _, _, vt = np.linalg.svd(rel, full_matrices=False)
    axis = vt[0]
    proj = rel @ axis
    centre = poly.mean(axis=0) + 0.5 * (proj.max() + proj.min()) * axis
    half = 0.5 * (proj.max() - proj.min()) + KERB_STANDOFF
    return np.stack([centre - half * axis, centre + half * axis])


def points_in_polygon(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule for many points against one polygon: (m,) bool."""
    inside = np.zeros(px.shape, dtype=bool)
    xj, yj = poly[-1]
    for xi, yi in poly:
        crosses = (yi > py) != (yj > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = (xj - xi) * (py - yi) / (yj - yi) + xi
        inside ^= crosses & (px < xint)
        xj, yj = xi, yi
    return inside


def _lane_crossings(polys, lanes: Lanes, points: LanePoints):
    per_lane: list[list[tuple[int, float, float]]] = [[] for _ in range(lanes.n)]
    driving = lanes.type[points.lane] == LaneType.DRIVING
    for c, poly in enumerate(polys):
        lo, hi = poly.min(axis=0) - 1.0, poly.max(axis=0) + 1.0
        cand = np.flatnonzero(driving & (points.x >= lo[0]) & (points.x <= hi[0])
                              & (points.y >= lo[1]) & (points.y <= hi[1]))
        if len(cand) == 0:
            continue
        inside = cand[points_in_polygon(points.x[cand], points.y[cand], poly)]
        for lane in np.unique(points.lane[inside]):
            s_in = points.s[inside[points.lane[inside] == lane]]
            a, b = lanes.pt_ptr[lane], lanes.pt_ptr[lane + 1]
            step = float(np.max(np.diff(points.s[a:b]))) if b - a > 1 else 0.0
            per_lane[lane].append((c, max(float(s_in.min()) - 0.5 * step, 0.0),
                                   min(float(s_in.max()) + 0.5 * step, float(lanes.length[lane]))))
    ptr = np.zeros(lanes.n + 1, np.int32)
    ptr[1:] = np.cumsum([len(x) for x in per_lane])
    flat = [item for lst in per_lane for item in sorted(lst, key=lambda t: t[1])]
    return (ptr, np.asarray([f[0] for f in flat], np.int32),
            np.asarray([f[1] for f in flat], np.float64),
            np.asarray([f[2] for f in flat], np.float64))


def build_segment_grid(points: LanePoints, lanes: Lanes, cell: float = 10.0) -> SegmentGrid:
    """Bucket every centreline segment into the grid cells its bounding box touches."""
    seg = np.flatnonzero(points.lane[1:] == points.lane[:-1]).astype(np.int32)
    x0, y0 = points.x[seg], points.y[seg]
    x1, y1 = points.x[seg + 1], points.y[seg + 1]
    ox, oy = float(points.x.min()) - cell, float(points.y.min()) - cell
    nx = int((points.x.max() - ox) // cell) + 2
    ny = int((points.y.max() - oy) // cell) + 2
    ix0 = ((np.minimum(x0, x1) - ox) // cell).astype(np.int64)
    ix1 = ((np.maximum(x0, x1) - ox) // cell).astype(np.int64)
    iy0 = ((np.minimum(y0, y1) - oy) // cell).astype(np.int64)
    iy1 = ((np.maximum(y0, y1) - oy) // cell).astype(np.int64)
    span = int(max((ix1 - ix0).max(initial=0), (iy1 - iy0).max(initial=0))) + 1
    cells, segs = [], []
    for dx in range(span):
        for dy in range(span):
            ok = (ix0 + dx <= ix1) & (iy0 + dy <= iy1)
            cells.append(((iy0 + dy) * nx + ix0 + dx)[ok])
            segs.append(seg[ok])
    cells_a, segs_a = np.concatenate(cells), np.concatenate(segs)
    order = np.lexsort((segs_a, cells_a))
    cells_a, segs_a = cells_a[order], segs_a[order]
    ptr = np.zeros(nx * ny + 1, np.int32)
    np.add.at(ptr, cells_a + 1, 1)
    return SegmentGrid(origin_x=ox, origin_y=oy, cell=cell, nx=nx, ny=ny,
                       cell_ptr=np.cumsum(ptr).astype(np.int32), seg=segs_a.astype(np.int32))
