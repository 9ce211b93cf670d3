"""Numba kernels for pedestrians and crosswalk status. Plain twins: ``_reference.py``.

A pedestrian row keeps its current walk-graph edge in ``route[i, 0]`` and its distance along
it in ``s``. At the kerb end of a crossing it waits until no approaching vehicle is too close
to stop and, at a signal, for walk with enough time left to finish. While it waits at an
unsignalised crosswalk (or at a signalised one on walk) it counts as "about to cross"
(Road Traffic Act 27(1)), so drivers must stop for it.
"""

from __future__ import annotations

import math

import numba as nb

PED_NONE, PED_DONT_WALK, PED_WALK = 0, 1, 2
KERB = 0.05  # [m] a pedestrian with s below this on a crossing edge stands at the kerb
COMFORT_DECEL = 3.0  # [m/s^2] a driver who would need more than this cannot be expected to stop


@nb.njit(cache=True)
def _may_start(edge, v_walk, e_len, e_cw, cw_state, cw_walk_left_us, cw_vehicle_near):
    """Step off the kerb: never in front of a car too close to stop; at a signal, only on
    walk with time enough to reach the other side."""
    c = e_cw[edge]
    if cw_vehicle_near[c]:
        return False
    if cw_state[c] == PED_NONE:
        return True
    return cw_state[c] == PED_WALK and cw_walk_left_us[c] >= 1e6 * e_len[edge] / max(v_walk, 0.1)


@nb.njit(cache=True)
def crosswalk_status(valid, is_ped, is_vehicle, speed, length, ped_s, route, lane, lane_s,
                     route_pos, v_desired, e_len, e_cw, cw_state, cw_walk_left_us,
                     lane_length, lane_cw_ptr, lane_cw, lane_cw_s0, lane_cw_s1,
                     out_blocked, out_vehicle_near):
    """Per crosswalk (n_cw,) bool: ``out_blocked`` someone is on it or about to step on it;
    ``out_vehicle_near`` a vehicle is on it or too close to stop comfortably before it."""
    for c in range(out_blocked.shape[0]):
        out_blocked[c] = False
        out_vehicle_near[c] = False
    for i in range(valid.shape[0]):
        if not valid[i] or not is_vehicle[i] or lane[i] < 0:
            continue
        v = speed[i]
        reach = v * v / (2.0 * COMFORT_DECEL) + 3.0
        front = lane_s[i] + 0.5 * length[i]
        cur = lane[i]
        off = 0.0
        for step in range(2):  # this lane and the next one on the route
            for k in range(lane_cw_ptr[cur], lane_cw_ptr[cur + 1]):
                ahead = off + lane_cw_s0[k] - front
                behind = off + lane_cw_s1[k] - (lane_s[i] - 0.5 * length[i])
                if behind > 0.0 and ahead < reach and (v > 0.5 or ahead < 0.0):
                    out_vehicle_near[lane_cw[k]] = True
            if step == 0:
                p = route_pos[i] + 1
                if p >= route.shape[1] or route[i, p] < 0:
                    break
                off = lane_length[cur]
                cur = route[i, p]
    for i in range(valid.shape[0]):
        if not valid[i] or not is_ped[i]:
            continue
        e = route[i, 0]
        if e < 0 or e_cw[e] < 0:
            continue
        c = e_cw[e]
        if ped_s[i] >= KERB:
            if ped_s[i] < e_len[e] - 0.3:
                out_blocked[c] = True
        elif cw_state[c] == PED_NONE or _may_start(e, v_desired[i], e_len, e_cw, cw_state,
                                                   cw_walk_left_us, out_vehicle_near):
            out_blocked[c] = True


@nb.njit(cache=True)
def pedestrian_step(dt, valid, is_ped, s, route, v_desired, u, e_x0, e_y0, e_x1, e_y1, e_len,
                    e_cw, e_rev, e_dst, out_ptr, out_edges, cw_state, cw_walk_left_us,
                    cw_vehicle_near, out_x, out_y, out_yaw, out_speed, out_s, out_route):
    """Walk every pedestrian row along its edge; write position, heading, speed, s, edge.

    Per-actor arrays (n,), route (n, R) with the edge in column 0, edge arrays (n_edges,),
    out_ptr (n_nodes+1,) CSR into out_edges, crosswalk arrays (n_cw,). dt [s].
    """
    for i in range(valid.shape[0]):
        if not valid[i] or not is_ped[i]:
            continue
        e = route[i, 0]
        v = v_desired[i]
        pos = s[i]
        if e_cw[e] >= 0 and pos < KERB and not _may_start(e, v, e_len, e_cw, cw_state,
                                                          cw_walk_left_us, cw_vehicle_near):
            v = 0.0
        pos += v * dt
        draw = u[i]
        while pos >= e_len[e]:
            pos -= e_len[e]
            node = e_dst[e]
            a, b = out_ptr[node], out_ptr[node + 1]
            count = b - a
            back = e_rev[e]
            options = count - 1 if count > 1 else count
            pick = min(int(draw * options), options - 1)
            nxt = back
            for k in range(a, b):
                cand = out_edges[k]
                if cand == back and count > 1:
                    continue
                if pick == 0:
                    nxt = cand
                    break
                pick -= 1
            draw = (draw * 7919.0 + 0.618033988749895) % 1.0
            e = nxt
            if e_cw[e] >= 0:
                pos = 0.0  # arrive at the kerb; the signal is checked next step
                break
        t = pos / e_len[e] if e_len[e] > 0.0 else 0.0
        out_x[i] = e_x0[e] + t * (e_x1[e] - e_x0[e])
        out_y[i] = e_y0[e] + t * (e_y1[e] - e_y0[e])
        out_yaw[i] = math.atan2(e_y1[e] - e_y0[e], e_x1[e] - e_x0[e])
        out_speed[i] = v
        out_s[i] = pos
        out_route[i, 0] = e
