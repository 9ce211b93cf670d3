"""Plain-Python twins of :mod:`sim.pedestrians._kernels` (same inputs, same outputs).

Written from the model's description rather than the kernel's loops: crosswalk status is
computed per crosswalk from lists of who is near it, and walking uses small helper
functions. Returns results instead of writing ``out`` arrays.
"""

from __future__ import annotations

import math

import numpy as np

PED_NONE, PED_WALK = 0, 2
KERB = 0.05
COMFORT_DECEL = 3.0


def may_start(edge, v_walk, e_len, e_cw, cw_state, walk_left_us, vehicle_near) -> bool:
    c = int(e_cw[edge])
    if vehicle_near[c]:
        return False
    if cw_state[c] == PED_NONE:
        return True
    return bool(cw_state[c] == PED_WALK and walk_left_us[c] >= 1e6 * e_len[edge] / max(v_walk, 0.1))


def crosswalk_status_ref(valid, is_ped, is_vehicle, speed, length, ped_s, route, lane, lane_s,
                         route_pos, v_desired, e_len, e_cw, cw_state, walk_left_us,
                         lane_length, lane_cw_ptr, lane_cw, lane_cw_s0, lane_cw_s1):
    """Returns (blocked, vehicle_near), each (n_cw,) bool."""
    n_cw = len(cw_state)
    near = np.zeros(n_cw, bool)
    for i in np.flatnonzero(valid & is_vehicle & (lane >= 0)):
        rear = lane_s[i] - 0.5 * length[i]
        front = lane_s[i] + 0.5 * length[i]
        reach = speed[i] ** 2 / (2 * COMFORT_DECEL) + 3.0
        lanes = [(int(lane[i]), 0.0)]
        nxt_pos = route_pos[i] + 1
        if nxt_pos < route.shape[1] and route[i, nxt_pos] >= 0:
            lanes.append((int(route[i, nxt_pos]), float(lane_length[lane[i]])))
        for ln, offset in lanes:
            for k in range(lane_cw_ptr[ln], lane_cw_ptr[ln + 1]):
                ahead = offset + lane_cw_s0[k] - front
                still_on = offset + lane_cw_s1[k] - rear > 0.0
                if still_on and ahead < reach and (speed[i] > 0.5 or ahead < 0.0):
                    near[lane_cw[k]] = True
    blocked = np.zeros(n_cw, bool)
    for i in np.flatnonzero(valid & is_ped):
        e = int(route[i, 0])
        if e < 0 or e_cw[e] < 0:
            continue
        c = int(e_cw[e])
        if ped_s[i] >= KERB:
            blocked[c] |= ped_s[i] < e_len[e] - 0.3
        else:
            blocked[c] |= bool(cw_state[c] == PED_NONE) or may_start(
                e, v_desired[i], e_len, e_cw, cw_state, walk_left_us, near)
    return blocked, near


def _next_edge(e, draw, e_dst, e_rev, out_ptr, out_edges) -> int:
    """Uniform choice among the edges leaving e's end node, not turning straight back unless
    that is the only way."""
    node = e_dst[e]
    options = [int(x) for x in out_edges[out_ptr[node]:out_ptr[node + 1]]]
    if len(options) > 1:
        options.remove(int(e_rev[e]))
    return options[min(int(draw * len(options)), len(options) - 1)]


def pedestrian_step_ref(dt, valid, is_ped, s, route, v_desired, u, e_x0, e_y0, e_x1, e_y1, e_len,
                        e_cw, e_rev, e_dst, out_ptr, out_edges, cw_state, walk_left_us,
                        vehicle_near):
    """Returns {row: (x, y, yaw, speed, s, edge)} for every walking pedestrian row."""
    out = {}
    for i in np.flatnonzero(valid & is_ped):
        e, pos, v = int(route[i, 0]), float(s[i]), float(v_desired[i])
        waiting = e_cw[e] >= 0 and pos < KERB and not may_start(
            e, v, e_len, e_cw, cw_state, walk_left_us, vehicle_near)
        if waiting:
            v = 0.0
        pos += v * dt
        draw = float(u[i])
        while pos >= e_len[e]:
            pos -= e_len[e]
            e = _next_edge(e, draw, e_dst, e_rev, out_ptr, out_edges)
            draw = (draw * 7919.0 + 0.618033988749895) % 1.0
            if e_cw[e] >= 0:
                pos = 0.0
                break
        t = pos / e_len[e] if e_len[e] > 0 else 0.0
        out[int(i)] = (e_x0[e] + t * (e_x1[e] - e_x0[e]), e_y0[e] + t * (e_y1[e] - e_y0[e]),
                       math.atan2(e_y1[e] - e_y0[e], e_x1[e] - e_x0[e]), v, pos, e)
    return out
