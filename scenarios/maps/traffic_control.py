"""Crosswalks, stop lines, signal heads and signal controllers, encoded per conventions.py.

At a signalised node every arm gets, counted from the junction box outwards: a crosswalk
across the whole carriageway (``crosswalk_width`` along the road), a gap of
``stop_line_gap``, then the stop line across the approach lanes and one vehicle signal head
on the sidewalk beside it, valid for the approach lanes. Heads are grouped into one
controller per axis (E-W, N-S) of each junction; the phase plan itself is derived by
``sim.traffic.signals`` from geometry, not stored here.

Object ids: ``10 * road_id + k`` with k = 0/1 crosswalk at the start/end node, 2 mid-block
crosswalk, 3/4 stop line at the start/end node, 5/6 mid-block stop lines (+/-).
Signal ids: ``10 * road_id + 0/1`` (start/end node). Controller ids:
``10 * junction_id + axis`` (0 = E-W arms, 1 = N-S arms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.roadnet.conventions import (
    OBJECT_SUBTYPE_STOP_LINE,
    OBJECT_TYPE_CROSSWALK,
    OBJECT_TYPE_STOP_LINE,
    SIGNAL_TYPE_VEHICLE,
)

from .arm import CrossSection
from .xodr import Controller, CornerLocal, RoadObject, Signal, Validity

STOP_LINE_THICKNESS = 0.45  # [m] along the road (Korean stop lines are 0.3-0.6 m)
SIGNAL_Z_OFFSET = 5.0  # [m] signal head above the road
SIGNAL_HEIGHT, SIGNAL_WIDTH = 1.0, 0.4  # [m] head size


@dataclass(frozen=True)
class ArmControl:
    """Objects and signals of one arm, plus (node, axis, signal id) for the controllers."""

    objects: tuple[RoadObject, ...]
    signals: tuple[Signal, ...]
    heads: tuple[tuple[tuple[int, int], int, int], ...]


def _carriageway(cs: CrossSection, s: float) -> tuple[float, float]:
    """(t_min, t_max) [m]: the road between the sidewalks at ``s``."""
    ts = [0.0, cs.offset_at(s)]
    for left in (True, False):
        ts += [t for _, lane, _, t in cs.borders(s, left) if lane.lane_type != "sidewalk"]
    return min(ts), max(ts)


def _approach(cs: CrossSection, s: float, left: bool) -> tuple[list[int], float, float]:
    """Driving lane ids of one side at ``s`` and their t span [m]."""
    rows = [row for row in cs.borders(s, left) if row[1].lane_type == "driving"]
    ts = [t for _, _, t_in, t_out in rows for t in (t_in, t_out)]
    return [row[0] for row in rows], min(ts), max(ts)


def crosswalk(cs: CrossSection, object_id: int, s: float, width: float) -> RoadObject:
    """Crosswalk ``width`` [m] wide along the road, centred at ``s``, curb to curb.

    Placed at t = 0 with its local frame turned by pi/2, so u runs across the road (+t) and
    v along it; four corners plus a repeat of the first, because CARLA returns outline
    points verbatim and its consumers (crosswalk mesh, navigation) end a polygon where its
    first point repeats. Known CARLA 0.9.16 quirk: ``Map.get_crosswalks()`` anchors the
    outline on the centre lane (reference line + ``laneOffset``), not on the reference
    line, so at an arm end with a left-turn slot CARLA's polygon lies W/2 to the side of
    the one written here (which is what OpenDRIVE specifies). t = 0 also avoids a second
    CARLA quirk: it applies t along a direction turned by ``hdg``.
    """
    t_min, t_max = _carriageway(cs, s)
    half = width / 2.0
    corners = [(t_min, -half), (t_max, -half), (t_max, half), (t_min, half), (t_min, -half)]
    return RoadObject(
        id=object_id,
        type=OBJECT_TYPE_CROSSWALK,
        name=f"crosswalk_{object_id}",
        s=s,
        t=0.0,
        hdg=math.pi / 2.0,
        length=t_max - t_min,
        width=width,
        outline=tuple(CornerLocal(u, v) for u, v in corners),
    )


def stop_line(cs: CrossSection, object_id: int, s: float, left: bool) -> RoadObject:
    """Stop line across one side's driving lanes at ``s``; '+' for right lanes."""
    _, t_min, t_max = _approach(cs, s, left)
    return RoadObject(
        id=object_id,
        type=OBJECT_TYPE_STOP_LINE,
        subtype=OBJECT_SUBTYPE_STOP_LINE,
        name=f"stop_line_{object_id}",
        s=s,
        t=(t_min + t_max) / 2.0,
        length=STOP_LINE_THICKNESS,
        width=t_max - t_min,
        orientation="-" if left else "+",
    )


def signal_head(
    cs: CrossSection, signal_id: int, s: float, left: bool, sidewalk_width: float
) -> Signal:
    """Vehicle signal head on the sidewalk beside the stop line, valid for the approach."""
    ids, t_min, t_max = _approach(cs, s, left)
    t = t_max + sidewalk_width / 2.0 if left else t_min - sidewalk_width / 2.0
    return Signal(
        id=signal_id,
        name=f"signal_{signal_id}",
        s=s,
        t=t,
        type=SIGNAL_TYPE_VEHICLE,
        subtype="-1",
        orientation="-" if left else "+",
        dynamic=True,
        z_offset=SIGNAL_Z_OFFSET,
        height=SIGNAL_HEIGHT,
        width=SIGNAL_WIDTH,
        validities=(Validity(min(ids), max(ids)),),
    )


def arm_control(
    cs: CrossSection, crosswalk_width: float, stop_line_gap: float, sidewalk_width: float
) -> ArmControl:
    plan = cs.plan
    objects, signals, heads = [], [], []
    axis = 0 if abs(plan.heading) < 1e-9 else 1
    base = 10 * plan.road_id
    for at_start, design, node in (
        (True, plan.start, plan.start_node),
        (False, plan.end, plan.end_node),
    ):
        if not design.signalised:
            continue
        k = 0 if at_start else 1
        cw_s = crosswalk_width / 2.0 if at_start else plan.length - crosswalk_width / 2.0
        sl_s = crosswalk_width + stop_line_gap
        sl_s = sl_s if at_start else plan.length - sl_s
        objects.append(crosswalk(cs, base + k, cw_s, crosswalk_width))
        objects.append(stop_line(cs, base + 3 + k, sl_s, left=at_start))
        signals.append(signal_head(cs, base + k, sl_s, at_start, sidewalk_width))
        heads.append((node, axis, base + k))
    if plan.mid_crosswalk:
        mid = (cs.mid[0] + cs.mid[1]) / 2.0  # clear of the tapers and their laneOffset
        reach = crosswalk_width / 2.0 + stop_line_gap
        objects.append(crosswalk(cs, base + 2, mid, crosswalk_width))
        objects.append(stop_line(cs, base + 5, mid - reach, left=False))
        objects.append(stop_line(cs, base + 6, mid + reach, left=True))
    objects.sort(key=lambda o: (o.s, o.id))
    return ArmControl(tuple(objects), tuple(signals), tuple(heads))


def controllers(
    heads: list[tuple[tuple[int, int], int, int]], junction_ids: dict[tuple[int, int], int]
) -> tuple[tuple[Controller, ...], dict[int, tuple[tuple[int, int], ...]]]:
    """Controllers (one per junction axis) and, per junction id, its (id, sequence) refs."""
    groups: dict[tuple[int, int], list[int]] = {}
    for node, axis, sid in heads:
        groups.setdefault((junction_ids[node], axis), []).append(sid)
    out, refs = [], {}
    for (jid, axis), sids in sorted(groups.items()):
        cid = 10 * jid + axis
        out.append(Controller(cid, f"junction_{jid}_{'EW' if axis == 0 else 'NS'}", tuple(sids)))
        refs.setdefault(jid, []).append((cid, axis))
    return tuple(out), {jid: tuple(r) for jid, r in refs.items()}
