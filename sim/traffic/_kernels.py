"""Numba kernels of the NPC vehicle step: lane index, IDM + MOBIL decisions, route tracking.

One call advances every valid vehicle by one step; arrays in, fresh ``out`` arrays written
(the state is never mutated). The plain twin is :mod:`sim.traffic._reference`.

Model, per NPC vehicle (rows with ``controlled`` take accel/steer from the actions):
1. Route: roaming vehicles extend their lane route with random allowed successors.
2. Longitudinal: IDM against the leader found along the route, and against virtual
   stopped obstacles: red/yellow stop lines, crosswalks with a pedestrian on or about to
   step on them, route ends, and the end of a lane where a required lane change has not
   happened yet. Korean right turn on red: a full stop of ``rtor_wait`` at the line, then go
   if the merge is clear (still yielding at the crosswalk).
3. Lateral: MOBIL (right-hand traffic, keep-right bias) for roaming vehicles, each
   reconsidered every few steps, looking left and right in turn; route-required lane
   changes use MOBIL's safety test alone. Steering tracks the
   route centreline with curvature feedforward and lateral / heading feedback.
4. Kinematic bicycle (sim.dynamics), then localisation along the route (lane, s, d).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from sim.dynamics._kernels import bicycle_one

# cfg vector layout (see sim.traffic.model.TrafficConfig)
C_LOOKAHEAD, C_LOOKAHEAD_T, C_B_SAFE, C_LC_THRESHOLD, C_LC_BIAS = 0, 1, 2, 3, 4
C_LC_COOLDOWN_S, C_RTOR_WAIT_S, C_YELLOW_DECEL, C_STEER_LAT, C_STEER_PREVIEW = 5, 6, 7, 8, 9
C_MERGE_CLEAR, C_LC_MIN_SPEED, C_LC_END_MARGIN, C_LC_EVERY = 10, 11, 12, 13
N_CFG = 14

SIG_NONE, SIG_RED, SIG_YELLOW, SIG_GREEN = 0, 1, 2, 3
TURN_RIGHT = 3
ROUTE_KEEP = 4  # roaming routes keep this many lanes ahead
NEVER = -(2 ** 62)  # == sim.state.NEVER_US: no standstill / lane change recorded


@nb.njit(cache=True)
def idm_accel(v, v0, headway, min_gap, a_max, b_comf, gap, v_lead):
    """IDM acceleration [m/s^2]; gap = inf means free road. Above v0 it brakes at most b."""
    v0 = max(v0, 0.1)
    free = 1.0 - (v / v0) ** 4
    if free < -b_comf / a_max:
        free = -b_comf / a_max
    if gap == np.inf:
        return a_max * free
    s_star = min_gap + max(0.0, v * headway + v * (v - v_lead) / (2.0 * math.sqrt(a_max * b_comf)))
    g = max(gap, 0.05)
    return a_max * (free - (s_star / g) ** 2)


GHOST_MARGIN = 0.2  # [m] a box reaching this far past its lane edge also blocks the neighbour


@nb.njit(cache=True)
def _overlap_sides(lane, s, d, yaw, length, width, pt_ptr, pt_s, pt_heading, pt_width):
    """Whether a vehicle box, seen in its lane's frame, reaches into the left / right
    neighbour lane: its lateral extent |d| + L/2 |sin dpsi| + W/2 |cos dpsi| past the edge."""
    k = _lane_index_at(lane, s, pt_ptr, pt_s)
    dpsi = yaw - pt_heading[k]
    reach = 0.5 * length * abs(math.sin(dpsi)) + 0.5 * width * abs(math.cos(dpsi))
    edge = 0.5 * pt_width[k] + GHOST_MARGIN
    return d + reach > edge, d - reach < -edge


@nb.njit(cache=True)
def build_lane_index(valid, is_vehicle, lane, s, d, yaw, length, width, left, right,
                     lane_length, pt_ptr, pt_s, pt_heading, pt_width, n_lanes, out_ptr, out_row,
                     out_s, out_rank, out_ghost):
    """Vehicles bucketed by lane and sorted by s (ties by row), as CSR entries.

    A vehicle whose box reaches into a neighbour lane (mid lane change, skewed, drifting)
    gets a "ghost" entry there at the proportional s, so that lane's traffic sees it.
    out_ptr (n_lanes+1,); out_row / out_s (3n,) entry row and s; out_rank (n,) index of each
    row's own entry (-1 if not indexed); out_ghost (n, 2) left / right ghost lane or -1.
    Returns the number of entries.
    """
    n = valid.shape[0]
    for k in range(n_lanes + 1):
        out_ptr[k] = 0
    for i in range(n):
        out_rank[i] = -1
        out_ghost[i, 0] = -1
        out_ghost[i, 1] = -1
        if valid[i] and is_vehicle[i] and lane[i] >= 0:
            ln = lane[i]
            out_ptr[ln + 1] += 1
            into_l, into_r = _overlap_sides(ln, s[i], d[i], yaw[i], length[i], width[i],
                                            pt_ptr, pt_s, pt_heading, pt_width)
            if into_l and left[ln] >= 0:
                out_ghost[i, 0] = left[ln]
                out_ptr[left[ln] + 1] += 1
            if into_r and right[ln] >= 0:
                out_ghost[i, 1] = right[ln]
                out_ptr[right[ln] + 1] += 1
    for k in range(n_lanes):
        out_ptr[k + 1] += out_ptr[k]
    fill = out_ptr[:-1].copy()
    for i in range(n):
        if valid[i] and is_vehicle[i] and lane[i] >= 0:
            ln = lane[i]
            out_row[fill[ln]] = i
            out_s[fill[ln]] = s[i]
            fill[ln] += 1
            for side in range(2):
                g = out_ghost[i, side]
                if g >= 0:
                    out_row[fill[g]] = i
                    out_s[fill[g]] = s[i] * lane_length[g] / max(lane_length[ln], 1e-6)
                    fill[g] += 1
    for ln in range(n_lanes):
        a, b = out_ptr[ln], out_ptr[ln + 1]
        for k in range(a + 1, b):
            row, sv = out_row[k], out_s[k]
            q = k - 1
            while q >= a and (out_s[q] > sv or (out_s[q] == sv and out_row[q] > row)):
                out_row[q + 1] = out_row[q]
                out_s[q + 1] = out_s[q]
                q -= 1
            out_row[q + 1] = row
            out_s[q + 1] = sv
        for k in range(a, b):
            if lane[out_row[k]] == ln:
                out_rank[out_row[k]] = k
    return out_ptr[n_lanes]


@nb.njit(cache=True)
def _lane_index_at(lane, s, pt_ptr, pt_s):
    """Index of the sample at or before s on ``lane`` (the first sample if s is before it).

    Samples are nearly evenly spaced in s, so the index is guessed from s / length and then
    corrected by stepping: O(1) instead of a binary search's chain of cache misses.
    """
    a, b = pt_ptr[lane], pt_ptr[lane + 1] - 1
    span = pt_s[b] - pt_s[a]
    k = a
    if span > 0.0:
        k = a + int((s - pt_s[a]) / span * (b - a))
        k = min(max(k, a), b)
    while k > a and pt_s[k] > s:
        k -= 1
    while k < b and pt_s[k + 1] <= s:
        k += 1
    return k


@nb.njit(cache=True)
def _first_after(lane, s, lane_ptr, ent_s):
    """Index of the first entry of ``lane`` with s > ``s`` (lane_ptr[lane + 1] if none)."""
    lo, hi = lane_ptr[lane], lane_ptr[lane + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if ent_s[mid] <= s:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _leader_in_lane(i, g, s_g, len_i, lane_ptr, order, ent_s, length, lane_length, succ_ptr,
                    succ):
    """(row, gap [m]) of the first vehicle ahead of s_g in lane g, or at the start of a lane
    g leads into, that is not row i (the leader in a lane our box still reaches into)."""
    b = lane_ptr[g + 1]
    lo = _first_after(g, s_g, lane_ptr, ent_s)
    while lo < b and order[lo] == i:
        lo += 1
    if lo < b:
        j = order[lo]
        return j, ent_s[lo] - s_g - 0.5 * (len_i + length[j])
    only = succ[succ_ptr[g]] if succ_ptr[g + 1] - succ_ptr[g] == 1 else -1
    e = _first_on_branches(g, only, succ_ptr, succ, lane_ptr, order, ent_s, i)
    if e >= 0:
        j = order[e]
        return j, lane_length[g] - s_g + ent_s[e] - 0.5 * (len_i + length[j])
    return -1, np.inf


@nb.njit(cache=True)
def _is_neighbour(a, b, left, right):
    return b >= 0 and (left[a] == b or right[a] == b)


@nb.njit(cache=True)
def _lane_value_at(lane, s, pt_ptr, pt_s, values):
    """Value of a per-point array at the sample at or before s on ``lane``."""
    return values[_lane_index_at(lane, s, pt_ptr, pt_s)]


@nb.njit(cache=True)
def _pick_successor(lane, u, succ_ptr, succ, lane_open):
    """A random open successor of ``lane`` (uniform by ``u`` in [0,1)); -1 if none."""
    count = 0
    for k in range(succ_ptr[lane], succ_ptr[lane + 1]):
        if lane_open[succ[k]]:
            count += 1
    any_open = count > 0
    if not any_open:  # only closed lanes (a bus lane in its hours) lead on: take one, then
        count = succ_ptr[lane + 1] - succ_ptr[lane]  # merge out of it as soon as possible
    if count == 0:
        return -1
    pick = min(int(u * count), count - 1)
    for k in range(succ_ptr[lane], succ_ptr[lane + 1]):
        if lane_open[succ[k]] or not any_open:
            if pick == 0:
                return succ[k]
            pick -= 1
    return -1


@nb.njit(cache=True)
def _extend_route(route_row, pos, u, succ_ptr, succ, lane_open, left, right):
    """Slide the route window so ``pos`` is 0, then append random successors. Returns pos."""
    R = route_row.shape[0]
    if pos > 0:
        for k in range(R):
            route_row[k] = route_row[k + pos] if k + pos < R else -1
        pos = 0
    last = 0
    while last + 1 < R and route_row[last + 1] >= 0:
        last += 1
    draw = u
    while last < ROUTE_KEEP and last + 1 < R:
        nxt = _pick_successor(route_row[last], draw, succ_ptr, succ, lane_open)
        if nxt < 0:
            break
        last += 1
        route_row[last] = nxt
        draw = (draw * 7919.0 + 0.618033988749895) % 1.0
    return pos


FORK_OVERLAP = 12.0  # [m] branches leaving one lane overlap this far: watch the other branch


@nb.njit(cache=True)
def _first_on_branches(cur, nxt, succ_ptr, succ, lane_ptr, order, ent_s, i):
    """Entry index of the first vehicle on ``nxt``, or on a sibling branch of ``nxt`` (another
    successor of ``cur``) while still within FORK_OVERLAP of the fork; -1 if none."""
    best, best_s = -1, np.inf
    for q in range(succ_ptr[cur], succ_ptr[cur + 1]):
        b = succ[q]
        e = lane_ptr[b]
        while e < lane_ptr[b + 1] and order[e] == i:
            e += 1
        if e < lane_ptr[b + 1] and ent_s[e] < best_s and (b == nxt or ent_s[e] < FORK_OVERLAP):
            best, best_s = e, ent_s[e]
    return best


@nb.njit(cache=True)
def _leader(i, lane_i, s_i, len_i, route_row, pos, lane_ptr, order, ent_s, rank, length,
            lane_length, left, right, succ_ptr, succ, lookahead):
    """(row, gap [m] bumper to bumper) of the first vehicle ahead along the route, including
    one that just took the other branch of a fork we are about to pass."""
    k = rank[i]
    if k >= 0 and k + 1 < lane_ptr[lane_i + 1]:
        j = order[k + 1]
        return j, ent_s[k + 1] - s_i - 0.5 * (len_i + length[j])
    dist = lane_length[lane_i] - s_i
    cur = lane_i
    r = pos + 1
    while dist < lookahead and r < route_row.shape[0]:
        nxt = route_row[r]
        if nxt < 0 or _is_neighbour(cur, nxt, left, right):
            break
        e = _first_on_branches(cur, nxt, succ_ptr, succ, lane_ptr, order, ent_s, i)
        if e >= 0:
            j = order[e]
            return j, dist + ent_s[e] - 0.5 * (len_i + length[j])
        dist += lane_length[nxt]
        cur = nxt
        r += 1
    return -1, np.inf


@nb.njit(cache=True)
def _merge_clear(j_lane, succ_ptr, succ, pred_ptr, pred, lane_ptr, order, ent_s, speed,
                 lane_length, lane_sig, clear_dist):
    """True when a right turn through junction lane ``j_lane`` on red cannot cut anyone off."""
    for k in range(succ_ptr[j_lane], succ_ptr[j_lane + 1]):
        out = succ[k]
        a = lane_ptr[out]
        if a < lane_ptr[out + 1] and ent_s[a] < clear_dist:
            return False
        for m in range(pred_ptr[out], pred_ptr[out + 1]):
            other = pred[m]
            if other == j_lane:
                continue
            if lane_ptr[other] < lane_ptr[other + 1]:
                return False
            if lane_sig[other] != SIG_GREEN and lane_sig[other] != SIG_YELLOW:
                continue
            for q in range(pred_ptr[other], pred_ptr[other + 1]):
                app = pred[q]
                b = lane_ptr[app + 1]
                if b > lane_ptr[app]:
                    last = order[b - 1]
                    if lane_length[app] - ent_s[b - 1] < clear_dist and speed[last] > 1.0:
                        return False
    return True


@nb.njit(cache=True)
def _free_speed(i, lane_i, s_i, v, v_desired, speed_factor, b_comf, pt_ptr, pt_s, pt_speed,
                lane_vcurve, lane_vmin, row, pos, lane_length, left, right, lookahead):
    """Desired speed [m/s]: posted limit x factor and curve speed here, with lower limits
    ahead (later in this lane or on the next route lanes) anticipated at comfortable
    braking: v0 <= sqrt(v_ahead^2 + 2 b dist)."""
    f = speed_factor[i]
    here = f * _lane_value_at(lane_i, s_i, pt_ptr, pt_s, pt_speed)
    v0 = min(v_desired[i], here, lane_vcurve[lane_i])
    horizon = min(v * v / (2.0 * b_comf) + 10.0, lookahead)
    if f * lane_vmin[lane_i] < v0:  # the limit drops somewhere on this lane: scan ahead
        a, b = pt_ptr[lane_i], pt_ptr[lane_i + 1]
        for k in range(a, b):
            ds = pt_s[k] - s_i
            if ds > horizon:
                break
            if ds > 0.0:
                v0 = min(v0, math.sqrt((f * pt_speed[k]) ** 2 + 2.0 * b_comf * ds))
    dist = lane_length[lane_i] - s_i
    cur = lane_i
    r = pos + 1
    while dist < horizon and r < row.shape[0]:
        nxt = row[r]
        if nxt < 0 or _is_neighbour(cur, nxt, left, right):
            break
        v_next = min(f * pt_speed[pt_ptr[nxt]], lane_vcurve[nxt])
        v0 = min(v0, math.sqrt(v_next * v_next + 2.0 * b_comf * max(dist, 0.0)))
        dist += lane_length[nxt]
        cur = nxt
        r += 1
    return v0


@nb.njit(cache=True)
def _must_yield(i, j_lane, app, dist_me, v, conf_ptr, conf, lane_rank, pred_ptr, pred,
                lane_junction,
                lane_sig, lane_length, lane_ptr, order, ent_s, speed):
    """Whether to wait before entering junction lane ``j_lane`` from approach ``app``.

    Wait while a vehicle is on a junction lane that crosses or merges with ours, or while
    one heading for such a lane (and not held by a red) reaches the junction first: the
    earlier time to the entry goes, the lower approach lane index breaks ties. Both sides
    compute the same comparison, so exactly one of them waits. Priority ranks (``lane_rank``,
    see ``sim.traffic.model.circulating_lanes``) override the arrival order: a
    lower-ranked lane yields to anyone arriving within 8 s on a higher-ranked one, which
    does not wait for arrivals on the lower one.
    """
    t_me = dist_me / max(v, 1.0)
    my_rank = lane_rank[j_lane]
    for k in range(conf_ptr[j_lane], conf_ptr[j_lane + 1]):
        other = conf[k]
        if lane_ptr[other + 1] > lane_ptr[other]:
            return True
        if lane_sig[other] == SIG_RED:
            continue
        o_rank = lane_rank[other]
        if o_rank < my_rank:
            continue  # they give way to us
        for q in range(pred_ptr[other], pred_ptr[other + 1]):
            p = pred[q]
            if p == app or lane_junction[p] >= 0:
                continue
            if o_rank > my_rank and _arrives_upstream(i, p, pred_ptr, pred, lane_length,
                                                      lane_ptr, order, ent_s, speed):
                return True
            if lane_ptr[p + 1] == lane_ptr[p]:
                continue
            e = lane_ptr[p + 1] - 1
            if order[e] == i:
                continue
            t_other = (lane_length[p] - ent_s[e]) / max(speed[order[e]], 1.0)
            if t_other < 8.0 and (o_rank > my_rank or t_other < t_me
                                  or (t_other == t_me and p < app)):
                return True
    return False


@nb.njit(cache=True)
def _arrives_upstream(i, p, pred_ptr, pred, lane_length, lane_ptr, order, ent_s, speed):
    """Whether the last vehicle on a lane leading into approach ``p`` reaches the end of
    ``p`` within 8 s: a yielding driver also watches traffic still beyond a short approach
    (a roundabout's ring segment between two junctions may be only ~10 m long)."""
    for q in range(pred_ptr[p], pred_ptr[p + 1]):
        pp = pred[q]
        if lane_ptr[pp + 1] == lane_ptr[pp]:
            continue
        e = lane_ptr[pp + 1] - 1
        if order[e] != i and (lane_length[p] + lane_length[pp] - ent_s[e]) / max(
                speed[order[e]], 1.0) < 8.0:
            return True
    return False


@nb.njit(cache=True)
def _obstacle_accel(i, lane_i, s_i, len_i, v, v0, hw, mg, am, bc, lead_gap, row, pos, roam,
                    stop_done,
                    time_us, stopped_since, lane_length, lane_turn, lane_stop_s, lane_junction,
                    left, right, succ_ptr, succ, pred_ptr, pred, conf_ptr, conf, lane_rank,
                    lane_sig,
                    lane_open, lane_ptr, order, ent_s, speed, cw_ptr, cw_idx, cw_s0, cw_blocked,
                    cfg):
    """Minimum IDM acceleration over virtual stopped obstacles ahead along the route, and
    whether the vehicle now stands at a red stop line before a right turn long enough to
    have made the Korean full stop.

    Obstacles: crosswalks someone is on or about to step on; the end of the route or of a
    lane where a lane change is still due; red (and comfortably stoppable yellow) stop
    lines; and the junction entry while a vehicle is still on a junction lane crossing or
    merging with ours (drivers do not enter a box someone is still clearing)."""
    a_min = np.inf
    at_rtor_line = False
    lookahead = cfg[C_LOOKAHEAD] + cfg[C_LOOKAHEAD_T] * v
    off = -s_i  # distance from the vehicle centre to the start of lane ``cur`` [m]
    cur = lane_i
    r = pos
    R = row.shape[0]
    while off < lookahead:
        nxt = row[r + 1] if r + 1 < R else -1
        for k in range(cw_ptr[cur], cw_ptr[cur + 1]):
            if cw_blocked[cw_idx[k]]:
                gap = off + cw_s0[k] - 1.0 - 0.5 * len_i
                if gap > -0.3:  # not yet on it: stop before it
                    a_min = min(a_min, idm_accel(v, v0, hw, mg, am, bc, max(gap, 0.0), 0.0))
        change_needed = _is_neighbour(cur, nxt, left, right)
        if nxt < 0 or change_needed:
            open_ahead = roam and nxt < 0 and succ_ptr[cur + 1] > succ_ptr[cur]
            if not open_ahead:  # route end, dead end, or a lane change still to make
                end = lane_length[cur] - (cfg[C_LC_END_MARGIN] if change_needed else 0.0)
                gap = off + end - 0.5 * len_i
                a_min = min(a_min, idm_accel(v, v0, hw, mg, am, bc, max(gap, 0.0), 0.0))
            break
        sig = lane_sig[nxt]
        held = False  # a red (or stoppable yellow) light holds us at this stop line
        if (sig == SIG_RED or sig == SIG_YELLOW) and not math.isnan(lane_stop_s[cur]):
            gap = off + lane_stop_s[cur] - 0.5 * len_i
            if gap > -0.5:  # front bumper not past the line
                stop = True
                if sig == SIG_YELLOW and v * v > 2.0 * cfg[C_YELLOW_DECEL] * max(gap, 0.01):
                    stop = False  # cannot stop comfortably: clear the junction
                if sig == SIG_RED and lane_turn[nxt] == TURN_RIGHT:
                    if stop_done == cur:
                        stop = not _merge_clear(nxt, succ_ptr, succ, pred_ptr, pred, lane_ptr,
                                                order, ent_s, speed, lane_length, lane_sig,
                                                cfg[C_MERGE_CLEAR])
                    elif cur == lane_i and gap < mg + 3.0 and v < 0.1 and (
                            stopped_since != NEVER
                            and time_us - stopped_since >= cfg[C_RTOR_WAIT_S] * 1e6):
                        at_rtor_line = True
                if stop:
                    a_min = min(a_min, idm_accel(v, v0, hw, mg, am, bc, max(gap, 0.0), 0.0))
                    held = True
        if lane_junction[nxt] >= 0 and lane_junction[cur] < 0 and not held:
            entry = lane_stop_s[cur] if not math.isnan(lane_stop_s[cur]) else lane_length[cur]
            gap = off + entry - 0.5 * len_i
            # only the first car before the entry yields: one behind follows its leader
            if -0.5 < gap < v * v / (2.0 * bc) + 10.0 and lead_gap >= gap and _must_yield(
                    i, nxt, cur, off + lane_length[cur], v, conf_ptr, conf, lane_rank,
                    pred_ptr, pred,
                    lane_junction, lane_sig, lane_length, lane_ptr, order, ent_s, speed):
                a_min = min(a_min, idm_accel(v, v0, hw, mg, am, bc, max(gap, 0.0), 0.0))
        off += lane_length[cur]
        cur = nxt
        r += 1
    return a_min, at_rtor_line


@nb.njit(cache=True)
def _mobil(i, lane_i, s_i, v, tgt, a_cur, lead_gap, lead_row, safety_only, b_safe, threshold,
           lane_ptr, order, ent_s, rank, succ_ptr, succ, pred_ptr, pred, speed, length,
           lane_length, v_desired, headway, min_gap, a_max, b_comf, politeness, v0_i):
    """MOBIL for a change from lane_i to tgt. ``a_cur`` is the vehicle's leader-following
    acceleration plus the direction bias. Returns (go, s on the target lane [m])."""
    s_t = s_i * lane_length[tgt] / max(lane_length[lane_i], 1e-6)
    a, b = lane_ptr[tgt], lane_ptr[tgt + 1]
    lo = _first_after(tgt, s_t, lane_ptr, ent_s)
    fl = lo
    while fl < b and order[fl] == i:  # skip our own ghost
        fl += 1
    bk = lo - 1
    while bk >= a and order[bk] == i:
        bk -= 1
    new_lead = order[fl] if fl < b else -1
    lead_s = ent_s[fl] if fl < b else np.inf
    if new_lead < 0:  # the leader may already be on a lane the target leads into
        for q in range(succ_ptr[tgt], succ_ptr[tgt + 1]):
            nq = succ[q]
            e = lane_ptr[nq]
            while e < lane_ptr[nq + 1] and order[e] == i:
                e += 1
            if e < lane_ptr[nq + 1] and ent_s[e] + lane_length[tgt] < lead_s:
                new_lead = order[e]
                lead_s = ent_s[e] + lane_length[tgt]
    new_fol = order[bk] if bk >= a else -1
    fol_s = ent_s[bk] if bk >= a else -np.inf
    if new_fol < 0:  # the follower may still be on a lane leading into the target
        for q in range(pred_ptr[tgt], pred_ptr[tgt + 1]):
            p = pred[q]
            e = lane_ptr[p + 1] - 1
            while e >= lane_ptr[p] and order[e] == i:
                e -= 1
            if e >= lane_ptr[p] and ent_s[e] - lane_length[p] > fol_s:
                new_fol = order[e]
                fol_s = ent_s[e] - lane_length[p]
    li = length[i]
    gap_f = np.inf
    v_nl = 0.0
    if new_lead >= 0:
        gap_f = lead_s - s_t - 0.5 * (li + length[new_lead])
        v_nl = speed[new_lead]
        if gap_f < 0.5:
            return False, 0.0
    a_fol_after = 0.0
    a_fol_before = 0.0
    if new_fol >= 0:
        gap_b = s_t - fol_s - 0.5 * (li + length[new_fol])
        if gap_b < 0.5:
            return False, 0.0
        f = new_fol
        a_fol_after = idm_accel(speed[f], v_desired[f], headway[f], min_gap[f], a_max[f],
                                b_comf[f], gap_b, v)
        if a_fol_after < -b_safe:
            return False, 0.0
        gap_fb = np.inf if new_lead < 0 else lead_s - fol_s - 0.5 * (
            length[f] + length[new_lead])
        a_fol_before = idm_accel(speed[f], v_desired[f], headway[f], min_gap[f], a_max[f],
                                 b_comf[f], gap_fb, v_nl)
    if safety_only:
        return True, s_t
    a_new = idm_accel(v, v0_i, headway[i], min_gap[i], a_max[i], b_comf[i], gap_f, v_nl)
    a_old_before = 0.0
    a_old_after = 0.0
    k = rank[i]
    if k > lane_ptr[lane_i]:
        o = order[k - 1]
        gap_o = s_i - ent_s[k - 1] - 0.5 * (li + length[o])
        a_old_before = idm_accel(speed[o], v_desired[o], headway[o], min_gap[o], a_max[o],
                                 b_comf[o], gap_o, v)
        gap_o2 = np.inf if lead_row < 0 else gap_o + li + lead_gap
        v_l = 0.0 if lead_row < 0 else speed[lead_row]
        a_old_after = idm_accel(speed[o], v_desired[o], headway[o], min_gap[o], a_max[o],
                                b_comf[o], gap_o2, v_l)
    incentive = a_new - a_cur + politeness[i] * (
        (a_fol_after - a_fol_before) + (a_old_after - a_old_before))
    return incentive > threshold, s_t


@nb.njit(cache=True)
def _is_successor(a, b, succ_ptr, succ):
    for k in range(succ_ptr[a], succ_ptr[a + 1]):
        if succ[k] == b:
            return True
    return False


@nb.njit(cache=True)
def _nearest_successor(lane, x, y, succ_ptr, succ, pt_ptr, pt_x, pt_y):
    """The successor of ``lane`` whose first sample is closest to (x, y); -1 if none."""
    best, best_d = -1, np.inf
    for k in range(succ_ptr[lane], succ_ptr[lane + 1]):
        b = succ[k]
        dd = math.hypot(pt_x[pt_ptr[b]] - x, pt_y[pt_ptr[b]] - y)
        if dd < best_d:
            best, best_d = b, dd
    return best


@nb.njit(cache=True)
def _localise(lane0, s_guess, x, y, row, pos, pt_ptr, pt_s, pt_x, pt_y, lane_length, left,
              right, follow_any, succ_ptr, succ):
    """Project (x, y) onto the route near s_guess, moving on to the next route lane when
    past the end of this one. A vehicle that drives itself (``follow_any``) may have left
    its route: it moves on to whichever successor it is nearest to, which is written into
    the route. Returns (lane, s [m], d [m], pos)."""
    lane = lane0
    best_s, best_d = 0.0, 0.0
    for _ in range(4):
        a, b = pt_ptr[lane], pt_ptr[lane + 1] - 1
        lo = min(_lane_index_at(lane, s_guess, pt_ptr, pt_s), b - 1)
        best = np.inf
        for k in range(max(lo - 2, a), min(lo + 3, b)):  # a step moves at most ~2 samples
            ex, ey = pt_x[k + 1] - pt_x[k], pt_y[k + 1] - pt_y[k]
            ll = ex * ex + ey * ey
            t = 0.0
            if ll > 0.0:
                t = min(max(((x - pt_x[k]) * ex + (y - pt_y[k]) * ey) / ll, 0.0), 1.0)
            px, py = pt_x[k] + t * ex, pt_y[k] + t * ey
            dist = math.hypot(x - px, y - py)
            if dist < best:
                best = dist
                best_s = pt_s[k] + t * (pt_s[k + 1] - pt_s[k])
                best_d = dist if ex * (y - pt_y[k]) - ey * (x - pt_x[k]) >= 0.0 else -dist
        if best_s < lane_length[lane] - 1e-9 or pos + 1 >= row.shape[0]:
            break
        nxt = row[pos + 1]
        if follow_any and (nxt < 0 or not _is_successor(lane, nxt, succ_ptr, succ)):
            nxt = _nearest_successor(lane, x, y, succ_ptr, succ, pt_ptr, pt_x, pt_y)
            if nxt >= 0:
                row[pos + 1] = nxt
        if nxt < 0 or _is_neighbour(lane, nxt, left, right):
            break
        s_guess -= lane_length[lane]
        lane = nxt
        pos += 1
    return lane, best_s, best_d, pos


@nb.njit(cache=True)
def _dist_to_junction(lane, s, row, pos, lane_length, lane_junction, left, right):
    """Distance [m] from (lane, s) to the next junction lane on the route (inf if none)."""
    if lane_junction[lane] >= 0:
        return 0.0
    dist = lane_length[lane] - s
    cur, r = lane, pos
    while r + 1 < row.shape[0]:
        nxt = row[r + 1]
        if nxt < 0 or _is_neighbour(cur, nxt, left, right):
            return np.inf
        if lane_junction[nxt] >= 0:
            return dist
        dist += lane_length[nxt]
        cur = nxt
        r += 1
    return np.inf


@nb.njit(cache=True)
def _curvature_ahead(lane, s_ahead, row, pos, lane_length, left, right, pt_ptr, pt_s, pt_curv):
    """Path curvature [1/m] at ``s_ahead`` along the route from (lane, pos)."""
    cur, r = lane, pos
    while s_ahead > lane_length[cur]:
        nxt = row[r + 1] if r + 1 < row.shape[0] else -1
        if nxt < 0 or _is_neighbour(cur, nxt, left, right):
            s_ahead = lane_length[cur]
            break
        s_ahead -= lane_length[cur]
        cur = nxt
        r += 1
    return _lane_value_at(cur, s_ahead, pt_ptr, pt_s, pt_curv)


@nb.njit(cache=True)
def path_steer(v, yaw, yaw_rate, wheelbase, d, lane_heading, kappa_ref, preview, lat_accel):
    """Front-wheel angle [rad] that keeps the box centre on the lane centreline.

    Curvature command kappa = kappa_ref - d / P^2 - 2 zeta sin(e_psi) / P (zeta = 0.9) with
    e_psi the angle between the centre's velocity (yaw + slip) and the lane; P = preview [m]
    makes the correction settle over the same distance at any speed. The correction is
    capped at ``lat_accel`` [m/s^2] so lane changes stay comfortable. Inverted exactly for
    the kinematic bicycle about the centre (l_r = L/2): sin(beta) = kappa L / 2,
    delta = atan(2 tan(beta)), written with square roots instead of asin / tan.
    """
    if wheelbase <= 0.0:
        return 0.0
    half = 0.5 * wheelbase
    sin_b, cos_b = 0.0, 1.0
    if abs(v) > 0.5:
        sin_b = max(-1.0, min(1.0, yaw_rate * half / v))
        cos_b = math.sqrt(1.0 - sin_b * sin_b)
    e = yaw - lane_heading
    sin_e_psi = math.sin(e) * cos_b + math.cos(e) * sin_b  # sin(yaw + beta - heading)
    corr = -d / (preview * preview) - 1.8 * sin_e_psi / preview
    cap = lat_accel / max(v * v, 1.0)
    corr = max(min(corr, cap), -cap)
    sb = max(-0.95, min(0.95, (kappa_ref + corr) * half))
    return math.atan(2.0 * sb / math.sqrt(1.0 - sb * sb))


@nb.njit(cache=True)
def vehicle_step(
        time_us, dt, step_index,
        valid, is_vehicle, kind, controlled, act_accel, act_steer, act_reverse,
        x, y, yaw, yaw_rate, speed, length, width, lane, s, d,
        v_desired, speed_factor, headway, min_gap, a_max, b_comf, politeness, wheelbase,
        route, route_pos, roam, stopped_since, last_lc, stop_done,
        kind_max_decel, kind_max_steer, kind_max_speed, kind_lane_open,
        lane_length, succ_ptr, succ, pred_ptr, pred, left, right, lane_turn, lane_stop_s,
        lane_junction, lane_vcurve, lane_vmin, conf_ptr, conf, lane_rank, lane_sig,
        pt_ptr, pt_s, pt_x, pt_y, pt_heading, pt_curv, pt_speed, pt_flags, pt_width,
        cw_ptr, cw_idx, cw_s0, cw_blocked, u, cfg,
        out_x, out_y, out_yaw, out_speed, out_yaw_rate, out_accel, out_lane, out_s, out_d,
        out_route, out_route_pos, out_stopped_since, out_last_lc, out_stop_done):
    """Advance every valid vehicle row by ``dt`` [s]; other rows are copied unchanged.

    Shapes: per-actor arrays (n,), route / out_route (n, R) int32, kind tables (N_KINDS,),
    kind_lane_open (N_KINDS, n_lanes) bool, lane arrays (n_lanes,), junction-lane conflicts
    CSR ``conf_ptr`` (n_lanes+1,) into ``conf``, ``lane_rank`` (n_lanes,) int32 junction
    priority (higher goes first), point arrays (n_points,), crosswalk
    crossings CSR ``cw_ptr`` (n_lanes+1,) into cw_idx / cw_s0, cw_blocked (n_cw,) bool, ``u``
    (n,) uniform draws in [0, 1), ``cfg`` (N_CFG,) float64. Units: m, s, rad; times in us.
    MOBIL reconsiders each roaming vehicle every cfg[C_LC_EVERY] steps (staggered by row),
    looking left and right on alternate turns, so two vehicles evaluated together look the
    same way and never take one gap from both sides; required changes are tried every step.
    """
    n = valid.shape[0]
    n_lanes = lane_length.shape[0]
    lane_ptr = np.empty(n_lanes + 1, np.int64)
    order = np.empty(3 * n, np.int64)
    ent_s = np.empty(3 * n, np.float64)
    rank = np.empty(n, np.int64)
    ghost = np.empty((n, 2), np.int64)
    build_lane_index(valid, is_vehicle, lane, s, d, yaw, length, width, left, right, lane_length,
                     pt_ptr, pt_s, pt_heading, pt_width, n_lanes, lane_ptr, order, ent_s, rank,
                     ghost)
    for i in range(n):
        out_x[i], out_y[i], out_yaw[i], out_speed[i] = x[i], y[i], yaw[i], speed[i]
        out_yaw_rate[i], out_accel[i] = 0.0, 0.0
        out_lane[i], out_s[i], out_d[i] = lane[i], s[i], d[i]
        for k in range(route.shape[1]):
            out_route[i, k] = route[i, k]
        out_route_pos[i] = route_pos[i]
        out_stopped_since[i], out_last_lc[i] = stopped_since[i], last_lc[i]
        out_stop_done[i] = stop_done[i]
        if not (valid[i] and is_vehicle[i]) or lane[i] < 0:
            continue
        kd = kind[i]
        lane_open = kind_lane_open[kd]
        v = speed[i]
        li = lane[i]
        si = s[i]
        pos = route_pos[i]
        row = out_route[i]
        rev = False
        if controlled[i]:
            acc, steer, rev = act_accel[i], act_steer[i], act_reverse[i]
        else:
            if roam[i]:
                pos = _extend_route(row, pos, u[i], succ_ptr, succ, lane_open, left, right)
            lookahead = cfg[C_LOOKAHEAD] + cfg[C_LOOKAHEAD_T] * v
            lead, lead_gap = _leader(i, li, si, length[i], row, pos, lane_ptr, order, ent_s,
                                     rank, length, lane_length, left, right, succ_ptr, succ,
                                     lookahead)
            v0 = _free_speed(i, li, si, v, v_desired, speed_factor, b_comf[i], pt_ptr, pt_s,
                             pt_speed, lane_vcurve, lane_vmin, row, pos, lane_length, left,
                             right, lookahead)
            v_lead = speed[lead] if lead >= 0 else 0.0
            a_lead = idm_accel(v, v0, headway[i], min_gap[i], a_max[i], b_comf[i], lead_gap,
                               v_lead)
            for side in range(2):  # while our box still reaches into a neighbour lane
                g = ghost[i, side]
                if g >= 0:
                    s_g = si * lane_length[g] / max(lane_length[li], 1e-6)
                    jg, gap_g = _leader_in_lane(i, g, s_g, length[i], lane_ptr, order, ent_s,
                                                length, lane_length, succ_ptr, succ)
                    if jg >= 0:
                        a_lead = min(a_lead, idm_accel(v, v0, headway[i], min_gap[i], a_max[i],
                                                       b_comf[i], gap_g, speed[jg]))
            a_obs, at_line = _obstacle_accel(
                i, li, si, length[i], v, v0, headway[i], min_gap[i], a_max[i], b_comf[i],
                lead_gap, row, pos, roam[i], stop_done[i], time_us, stopped_since[i],
                lane_length, lane_turn, lane_stop_s, lane_junction, left, right, succ_ptr,
                succ, pred_ptr, pred, conf_ptr, conf, lane_rank, lane_sig,
                lane_open, lane_ptr, order,
                ent_s, speed, cw_ptr, cw_idx, cw_s0, cw_blocked, cfg)
            if at_line:
                out_stop_done[i] = li
            acc = min(a_lead, a_obs)
            # lane changes: required by the route, forced off a closed lane, or MOBIL's choice
            nxt = row[pos + 1] if pos + 1 < row.shape[0] else -1
            req = nxt if _is_neighbour(li, nxt, left, right) else -1
            if req < 0 and roam[i] and not lane_open[li]:
                for cand in (left[li], right[li]):
                    if cand >= 0 and lane_open[cand]:
                        req = cand
                        break
            required = req >= 0
            # one lane change at a time: the last must be over (cooldown, back on a centre)
            every = max(int(cfg[C_LC_EVERY]), 1)
            turn = step_index + i
            look = (turn // every) % 2  # 0: consider the left lane, 1: the right one
            may = (lane_junction[li] < 0 and abs(d[i]) < 0.5
                   and (required or turn % every == 0)
                   and time_us - last_lc[i] >= cfg[C_LC_COOLDOWN_S] * 1e6
                   and (required or (roam[i] and v > cfg[C_LC_MIN_SPEED]
                                     and _dist_to_junction(li, si, row, pos, lane_length,
                                                           lane_junction, left, right)
                                     > cfg[C_LC_END_MARGIN] + 2.0 * v)))
            if may:
                flags_here = _lane_value_at(li, si, pt_ptr, pt_s, pt_flags)
                for side in range(2):
                    tgt = left[li] if side == 0 else right[li]
                    if tgt < 0 or (flags_here & (1 << side)) == 0:
                        continue
                    if required:
                        if tgt != req:
                            continue
                    elif side != look or not lane_open[tgt]:
                        continue
                    bias = cfg[C_LC_BIAS] if side == 0 else -cfg[C_LC_BIAS]  # keep right
                    go, s_t = _mobil(i, li, si, v, tgt, a_lead + bias, lead_gap, lead,
                                     required, cfg[C_B_SAFE], cfg[C_LC_THRESHOLD], lane_ptr,
                                     order, ent_s, rank, succ_ptr, succ, pred_ptr, pred,
                                     speed, length,
                                     lane_length, v_desired, headway, min_gap, a_max, b_comf,
                                     politeness, v0)
                    if go:
                        if tgt == nxt:
                            pos += 1  # the change the route asked for
                        else:
                            row[pos] = tgt
                            for k in range(pos + 1, row.shape[0]):
                                row[k] = -1
                            pos = _extend_route(row, pos, u[i], succ_ptr, succ, lane_open,
                                                left, right)
                        li, si = tgt, s_t
                        out_last_lc[i] = time_us
                        break
            acc = max(min(acc, a_max[i]), -kind_max_decel[kd])
            # s_now is measured on the lane _localise returns: at a lane seam (booked at the
            # very end of li) that is the next route lane, so read heading and curvature
            # there (reading li at s_now steered for the start of li, e.g. a turn's entry)
            if li == lane[i] and si < lane_length[li] - 1e-9:
                # where the last step's localisation put us, unchanged since
                l_now, s_now, d_now, p_now = li, si, d[i], pos
            else:  # changed lanes, or standing at the end of the lane: locate afresh
                l_now, s_now, d_now, p_now = _localise(li, si, x[i], y[i], row, pos, pt_ptr,
                                                       pt_s, pt_x, pt_y, lane_length, left,
                                                       right, False, succ_ptr, succ)
            kref = _curvature_ahead(l_now, s_now + v * dt + 0.5, row, p_now, lane_length, left,
                                    right, pt_ptr, pt_s, pt_curv)
            steer = path_steer(v, yaw[i], yaw_rate[i], wheelbase[i], d_now,
                               _lane_value_at(l_now, s_now, pt_ptr, pt_s, pt_heading), kref,
                               cfg[C_STEER_PREVIEW], cfg[C_STEER_LAT])
            steer = max(min(steer, kind_max_steer[kd]), -kind_max_steer[kd])
        (out_x[i], out_y[i], out_yaw[i], out_speed[i], out_yaw_rate[i],
         out_accel[i]) = bicycle_one(x[i], y[i], yaw[i], v, acc, steer, wheelbase[i],
                                     kind_max_speed[kd], rev, dt)
        s_guess = si + 0.5 * (v + out_speed[i]) * dt
        nl, ns, nd, npos = _localise(li, s_guess, out_x[i], out_y[i], row, pos, pt_ptr, pt_s,
                                     pt_x, pt_y, lane_length, left, right, controlled[i],
                                     succ_ptr, succ)
        half_w = 0.5 * _lane_value_at(nl, ns, pt_ptr, pt_s, pt_width)
        if controlled[i] and abs(nd) > half_w:
            # a controlled vehicle changes lanes on its own: follow it to the neighbour
            side_lane = left[nl] if nd > 0 else right[nl]
            if side_lane >= 0:
                s_side = ns * lane_length[side_lane] / max(lane_length[nl], 1e-6)
                sl, ss, sd, _ = _localise(side_lane, s_side, out_x[i], out_y[i], row, npos,
                                          pt_ptr, pt_s, pt_x, pt_y, lane_length, left, right,
                                          False, succ_ptr, succ)
                if abs(sd) < abs(nd):
                    nl, ns, nd = sl, ss, sd
                    if npos + 1 < row.shape[0] and row[npos + 1] == nl:
                        npos += 1  # the lane change its route asked for
                    else:
                        row[npos] = nl
        if out_stop_done[i] >= 0 and nl != out_stop_done[i]:
            out_stop_done[i] = -1  # the full-stop record belongs to the approach lane only
        out_lane[i], out_s[i], out_d[i], out_route_pos[i] = nl, ns, nd, npos
        if out_speed[i] < 0.1:
            if stopped_since[i] == NEVER or speed[i] >= 0.1:
                out_stopped_since[i] = time_us
        else:
            out_stopped_since[i] = NEVER
