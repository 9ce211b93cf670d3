"""Signal compliance of the ego: red-light entry (Korean yellow formula), right turn on red,
right-turn arrows, U-turn plates (``shared/design/korea.md``, "Rules a planner must obey").

Also holds :class:`LaneFrame`, the ego front-bumper bookkeeping the other Korean rule
metrics share: where along which lane the front bumper moved during one step.

Judgement happens when the ego's front bumper (box centre + length/2 along the lane) crosses
a lane's stop line (``lanes.stop_s``), against the signals in force during that step
(``StepInput.signals``, those of ``prev.time_us``):

- the movement is the junction lane the ego takes: the next lane of its mission route, the
  only successor, or else the successor its centre enters next (judged then, stamped with
  the crossing time); a run that ends first is judged against every successor (all red);
- red (straight, left, mid-block): event ``red_light``;
- yellow: a violation (``red_light``, "entered on yellow though it could stop") only if at
  yellow onset the ego could have stopped: its front was farther from the line than
  v*Tb + v^2/(2d), Tb = 1.0 s, d = 5.0 m/s^2 -- the reaction-plus-braking distance Korea's
  yellow Y = Tb + V/(2d) + (W+L)/V - Ts is sized for (:func:`sim.traffic.signals.
  yellow_and_all_red`). Onset is the first step the ego saw that movement yellow while
  approaching the line (exact when it was on the approach lane then; otherwise later, which
  can only excuse it);
- right turn without an arrow on red (or a yellow it could stop for): legal only after a full
  stop, v < 0.5 km/h for >= 0.5 s (catalogue GN-RTOR [P]), with the front 0-5 m before the
  line (2023-01-22 rule) -> else ``rtor_without_full_stop``;
- right turn with its own arrow (``SignalSnapshot.arrows``): only on the green arrow; red
  arrow (or a yellow arrow it could stop for) -> ``red_arrow``;
- U-turn lanes: the plate (``RunContext.uturn_plates``) governs, not the signal:
  "left_signal" (좌회전시) needs the approach's left-turn green, "ped_green" (보행신호시) a
  walk signal on a crosswalk of the approach/exit road at the junction, "red" (적신호시) the
  approach's straight red -> else ``uturn_violation``. No plate: permissive (no event).
  Judged at the stop line, or on entering the U-turn lane where there is none.
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics.base import Metric, MetricEvent, MetricReport, RunContext, StepInput
from sim.roadnet.network import RoadNetwork, Turn
from sim.state import WorldState
from sim.traffic.signals import PED_WALK, SIG_GREEN, SIG_NONE, SIG_RED, SIG_YELLOW

KMH = 1.0 / 3.6
REACTION_S = 1.0  # Tb [s] of the Korean yellow formula
YELLOW_DECEL = 5.0  # d [m/s^2] of the Korean yellow formula
FULL_STOP_SPEED = 0.5 * KMH  # [m/s] catalogue GN-RTOR [P]
FULL_STOP_S = 0.5  # [s] catalogue GN-RTOR [P]
STOP_WINDOW_M = 5.0  # [m] front bumper this far (or less) before the line counts as "at" it
PLATES = ("left_signal", "ped_green", "red")
_SIG = {SIG_NONE: "none", SIG_RED: "red", SIG_YELLOW: "yellow", SIG_GREEN: "green"}


class LaneFrame:
    """Per-lane tables and the ego front-bumper intervals of one step.

    length, stop_s: lists [m]; succ: tuple of successor lanes per lane; left, right:
    neighbour lanes (-1 none); route_next: lane -> next lane of the mission route.
    """

    def __init__(self, net: RoadNetwork, route_lanes: np.ndarray) -> None:
        ln = net.lanes
        self.net = net
        self.length = ln.length.tolist()
        self.stop_s = ln.stop_s.tolist()
        self.left = ln.left.tolist()
        self.right = ln.right.tolist()
        self.succ = [tuple(int(v) for v in ln.successors(i)) for i in range(ln.n)]
        self.turn = ln.turn.tolist()
        route = [int(v) for v in np.asarray(route_lanes).ravel()]
        self.route_next = {a: b for a, b in zip(route, route[1:]) if b in self.succ[a]}

    def next_lane(self, lane: int) -> int:
        """The lane the ego goes on to from ``lane``: the route's next, or the only
        successor; -1 when unknown."""
        nxt = self.route_next.get(lane, -1)
        if nxt < 0 and len(self.succ[lane]) == 1:
            nxt = self.succ[lane][0]
        return nxt

    def front_intervals(self, a: int, b: int, s_prev: float, s_new: float,
                        half: float) -> list[tuple[int, float, float]]:
        """(lane, lo, hi): the front bumper moved over (lo, hi] [m] in that lane's s, for an
        ego centre going from (a, s_prev) to (b, s_new); half [m] = length / 2. The front
        runs past a lane's end before the centre does, so the next lane is included with
        its s offset; consecutive steps give contiguous intervals (nothing counted twice).
        A sideways lane change is measured on the new lane (parallel lanes share s)."""
        if a < 0 or b < 0:
            return []
        pf, nf = s_prev + half, s_new + half
        if a == b or b in (self.left[a], self.right[a]):
            out = [(b, pf, nf)]
            n = self.next_lane(b)
            if n >= 0:
                ln = self.length[b]
                out.append((n, pf - ln, nf - ln))
            return out
        if b in self.succ[a]:
            ln = self.length[a]
            return [(a, pf, ln + nf), (b, pf - ln, nf)]
        return []

    def fronts(self, lane: int, s: float, half: float) -> list[tuple[int, float]]:
        """(lane, front s) of the front bumper on the ego lane and on the next lane."""
        if lane < 0:
            return []
        f = s + half
        out = [(lane, f)]
        n = self.next_lane(lane)
        if n >= 0:
            out.append((n, f - self.length[lane]))
        return out

    def key(self, lane: int) -> str:
        r, k, i = self.net.lane_key(lane)
        return f"road {r} section {k} lane {i}"


def could_stop(dist: float, v: float) -> bool:
    """Could a driver at ``dist`` [m] from the line at ``v`` [m/s] stop before it? Korean
    yellow design basis: reaction Tb = 1.0 s then braking at d = 5.0 m/s^2."""
    return dist > v * REACTION_S + v * v / (2.0 * YELLOW_DECEL)


class SignalCompliance(Metric):
    """Counts ``red_light``, ``rtor_without_full_stop``, ``red_arrow`` and
    ``uturn_violation`` events of the ego (rules in the module docstring)."""

    name = "signal_compliance"

    def start(self, ctx: RunContext, state: WorldState) -> None:
        self.ctx, net = ctx, ctx.network
        self.frame = LaneFrame(net, ctx.route_lanes)
        self.plates = dict(ctx.uturn_plates)
        for lane, plate in self.plates.items():
            if plate not in PLATES:
                raise ValueError(f"U-turn lane {lane}: unknown plate {plate!r}; "
                                 f"expected one of {', '.join(PLATES)}")
        self.uturn_ref = {u: self._uturn_refs(net, u) for u in self.plates}
        self.onset: dict[int, tuple[float, float]] = {}  # movement -> (dist, v) at yellow
        self.stand: dict[int, int] = {}  # approach lane -> standstill start [us]
        self.stopped: set[int] = set()  # approach lanes where a full stop was made
        self.pending: dict | None = None  # a crossing whose movement is not known yet
        self.judged_uturn = -1
        self.events: list[MetricEvent] = []
        self.crossings = 0
        self._stand_update(state)

    # -- per step ----------------------------------------------------------------------
    def update(self, step: StepInput) -> list[MetricEvent]:
        r, prev, st, fr = self.ctx.ego_row, step.prev, step.state, self.frame
        out: list[MetricEvent] = []
        a, b = int(prev.lane[r]), int(st.lane[r])
        half = 0.5 * float(prev.length[r])
        sp = float(prev.s[r])
        sig = step.signals
        self._yellow_onsets(a, sp + half, float(prev.speed[r]), sig.lanes)
        if self.pending is not None and b != a:
            p = self.pending
            if b in fr.succ[p["lane"]]:
                out += self._judge(p, b)
                self.pending = None
            elif b != p["lane"]:
                out += self._judge(p, -1)
                self.pending = None
        for lane, lo, hi in fr.front_intervals(a, b, sp, float(st.s[r]), half):
            line = fr.stop_s[lane]
            if lo < line <= hi:  # False for NaN (no stop line)
                out += self._crossed(lane, step, sig)
        if b != a and b >= 0 and fr.turn[b] == Turn.UTURN:
            if self.judged_uturn != b:
                out += self._uturn(b, sig, step.state.time_us / 1e6,
                                   float(st.x[r]), float(st.y[r]))
            self.judged_uturn = -1
        self._stand_update(st)
        self.events += out
        return out

    def _yellow_onsets(self, lane: int, front: float, v: float, states: np.ndarray) -> None:
        """Keep (distance to the line [m], speed [m/s]) at the first step each approached
        movement showed yellow."""
        onset = {}
        for q, f in self.frame.fronts(lane, front, 0.0):
            line = self.frame.stop_s[q]
            if math.isnan(line) or f >= line:
                continue
            for m in self.frame.succ[q]:
                if m < len(states) and states[m] == SIG_YELLOW:
                    onset[m] = self.onset.get(m, (line - f, v))
        self.onset = onset

    def _stand_update(self, st: WorldState) -> None:
        r = self.ctx.ego_row
        lanes = set()
        if abs(float(st.speed[r])) < FULL_STOP_SPEED:
            for q, f in self.frame.fronts(int(st.lane[r]), float(st.s[r]),
                                          0.5 * float(st.length[r])):
                line = self.frame.stop_s[q]
                if 0.0 <= line - f <= STOP_WINDOW_M:  # False for NaN
                    lanes.add(q)
        self.stand = {q: self.stand.get(q, st.time_us) for q in lanes}
        for q, t0 in self.stand.items():
            if st.time_us - t0 >= FULL_STOP_S * 1e6 - 1:
                self.stopped.add(q)

    def _crossed(self, lane: int, step: StepInput, sig) -> list[MetricEvent]:
        r, st, fr = self.ctx.ego_row, step.state, self.frame
        arrows = sig.arrows
        snap = {}
        for m in fr.succ[lane]:
            state = int(sig.lanes[m]) if m < len(sig.lanes) else SIG_NONE
            arrow = arrows is not None and m < len(arrows) and bool(arrows[m])
            dist_v = self.onset.get(m)
            snap[m] = (state, arrow, dist_v)
        p = {"lane": lane, "snap": snap, "stopped": lane in self.stopped,
             "t": st.time_us / 1e6, "x": float(st.x[r]), "y": float(st.y[r]),
             "crosswalks": sig.crosswalks, "lanes": sig.lanes}
        self.stopped.discard(lane)
        if any(s != SIG_NONE for s, _, _ in snap.values()):
            self.crossings += 1
        m = fr.next_lane(lane)
        if m < 0 and int(st.lane[r]) in fr.succ[lane]:
            m = int(st.lane[r])
        if m >= 0:
            return self._judge(p, m)
        self.pending = p
        return []

    # -- judgement ---------------------------------------------------------------------
    def _judge(self, p: dict, m: int) -> list[MetricEvent]:
        """Events for the crossing ``p`` into movement ``m`` (-1: unknown, every
        successor)."""
        fr, lane = self.frame, p["lane"]
        where = f"stop line of {fr.key(lane)} (s = {fr.stop_s[lane]:.1f} m)"
        if m < 0:
            states = [s for s, _, _ in p["snap"].values()]
            if states and all(s == SIG_RED for s in states):
                return [self._event(p, "red_light", f"crossed the {where} with every "
                                    "movement red")]
            return []
        state, arrow, dist_v = p["snap"][m]
        turn = fr.turn[m]
        if turn == Turn.UTURN:
            self.judged_uturn = m
            return self._uturn(m, None, p["t"], p["x"], p["y"], p)
        if state == SIG_NONE or state == SIG_GREEN:
            return []
        stoppable = state == SIG_RED or (dist_v is not None and could_stop(*dist_v))
        if not stoppable:
            return []  # yellow inside the dilemma zone: legal
        mv = f"movement {fr.key(m)} ({Turn(turn).name.lower()})"
        on = "red" if state == SIG_RED else "yellow"
        why = "" if state == SIG_RED else (
            f" though it could stop ({dist_v[0]:.1f} m from the line at "
            f"{dist_v[1] / KMH:.1f} km/h at yellow onset)")
        if turn == Turn.RIGHT and arrow:
            return [self._event(p, "red_arrow", f"crossed the {where} on a {on} right-turn "
                                f"arrow{why}; {mv}")]
        if turn == Turn.RIGHT:
            if p["stopped"]:
                return []
            return [self._event(p, "rtor_without_full_stop",
                                f"right turn on {on} across the {where} without a full stop "
                                f"(< 0.5 km/h for 0.5 s within {STOP_WINDOW_M:.0f} m of the "
                                f"line); {mv}")]
        return [self._event(p, "red_light", f"entered on {on}{why}: {where}; {mv}")]

    def _uturn(self, u: int, sig, t: float, x: float, y: float,
               p: dict | None = None) -> list[MetricEvent]:
        plate = self.plates.get(u)
        if plate is None:
            return []  # no plate: permissive U-turn
        lanes = p["lanes"] if p is not None else sig.lanes
        cws = p["crosswalks"] if p is not None else sig.crosswalks
        left, straight, walks = self.uturn_ref[u]

        def st(v: int) -> int:
            return int(lanes[v]) if v < len(lanes) else SIG_NONE

        if plate == "left_signal":
            ok = any(st(v) == SIG_GREEN for v in (left or [u]))
            need = "the left-turn signal green (좌회전시)"
        elif plate == "ped_green":
            ok = any(c < len(cws) and int(cws[c]) == PED_WALK for c in walks)
            need = "a pedestrian green (보행신호시)"
        else:
            ok = all(st(v) == SIG_RED for v in (straight or [u]))
            need = "the straight signal red (적신호시)"
        if ok:
            return []
        detail = f"U-turn into {self.frame.key(u)} under plate {plate!r} without {need}"
        q = {"t": t, "x": x, "y": y}
        return [self._event(q, "uturn_violation", detail)]

    @staticmethod
    def _uturn_refs(net: RoadNetwork, u: int) -> tuple[list[int], list[int], list[int]]:
        """(left-turn lanes, straight lanes, crosswalks) that a U-turn lane's plate refers
        to: movements from its approach lane and that lane's neighbours; crosswalks on its
        approach and exit lanes (mirrors planners.behaviour.junctions)."""
        ln, cw = net.lanes, net.crosswalks
        left, straight, walks = [], [], []
        for q in ln.predecessors(u):
            for lane in (int(q), int(ln.left[q]), int(ln.right[q])):
                if lane < 0:
                    continue
                for v in ln.successors(lane):
                    if ln.turn[v] == Turn.LEFT:
                        left.append(int(v))
                    elif ln.turn[v] == Turn.STRAIGHT:
                        straight.append(int(v))
        for q in list(ln.predecessors(u)) + list(ln.successors(u)):
            walks += [int(c) for c in cw.lane_cw[cw.lane_ptr[q]:cw.lane_ptr[q + 1]]]
        return left, straight, walks

    def _event(self, p: dict, kind: str, detail: str) -> MetricEvent:
        return MetricEvent(self.name, kind, p["t"], p["x"], p["y"], detail=detail)

    def finish(self, state: WorldState) -> MetricReport:
        if self.pending is not None:
            self.events += self._judge(self.pending, -1)
            self.pending = None
        count = {k: sum(e.kind == k for e in self.events) for k in
                 ("red_light", "rtor_without_full_stop", "red_arrow", "uturn_violation")}
        values = {"red_light_entries": float(count["red_light"]),
                  "rtor_without_full_stop": float(count["rtor_without_full_stop"]),
                  "red_arrow_violations": float(count["red_arrow"]),
                  "uturn_violations": float(count["uturn_violation"]),
                  "signalised_crossings": float(self.crossings)}
        events = tuple(sorted(self.events, key=lambda e: e.time_s))
        return MetricReport(self.name, values, {k: "count" for k in values}, events)

