"""Which approach lane connects to which departing lane at a junction (no geometry here).

Rules (Korean urban practice, right-hand traffic):

* a left-turn pocket turns left only, a right-turn slip lane turns right only;
* through lanes go straight one-to-one from the centre outwards; without a pocket the
  innermost general lane also turns left (unless general left turns are banned on that
  road), without a slip lane the outermost lane also turns right;
* where there is no straight exit (T stem, corner bend) the inner half of the general lanes
  turns left and the outer half right (a single lane does both); an all-day bus lane that
  cannot go straight turns left (right if there is no left exit);
* left turns fill the departing lanes from the centre, right turns from the curb; general
  traffic never gets an all-day bus lane as its only target;
* finally every departing lane left without a feeder gets one (straight from the opposite
  arm, else the left turners, else the right turners), e.g. buses turning into a median
  bus lane.

Lanes are indexed from the centre outwards on each arm end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .layout import SIDE_NAMES, TrafficLane, left_of, right_of, straight_of

LEFT, STRAIGHT, RIGHT = "L", "S", "R"


@dataclass(frozen=True)
class ApproachLane:
    role: str  # pocket | through | slip
    traffic: TrafficLane

    @property
    def bus_all_day(self) -> bool:
        return self.traffic.bus_all_day


@dataclass(frozen=True)
class Movement:
    from_side: int
    from_index: int
    to_side: int
    to_index: int
    turn: str


class _Planner:
    def __init__(
        self,
        approaches: dict[int, tuple[ApproachLane, ...]],
        departing: dict[int, tuple[TrafficLane, ...]],
        general_left: dict[int, bool],
    ) -> None:
        self.approaches = approaches
        self.departing = departing
        self.general_left = general_left
        self.sides = tuple(sorted(approaches))
        self.moves: list[Movement] = []
        self.left_sources: dict[int, list[int]] = {}
        self.right_sources: dict[int, list[int]] = {}

    def add(self, a: int, i: int, x: int, j: int, turn: str) -> None:
        move = Movement(a, i, x, j, turn)
        if not any(
            (m.from_side, m.from_index, m.to_side, m.to_index) == (a, i, x, j) for m in self.moves
        ):
            self.moves.append(move)

    def exits(self, a: int) -> dict[str, int]:
        cand = ((LEFT, left_of(a)), (STRAIGHT, straight_of(a)), (RIGHT, right_of(a)))
        return {turn: side for turn, side in cand if side in self.sides}

    def plan_approach(self, a: int) -> None:
        lanes, exits = self.approaches[a], self.exits(a)
        through = [i for i, ln in enumerate(lanes) if ln.role == "through"]
        left = [i for i, ln in enumerate(lanes) if ln.role == "pocket"]
        right = [i for i, ln in enumerate(lanes) if ln.role == "slip"]
        general = [i for i in through if not lanes[i].bus_all_day]
        if STRAIGHT in exits:
            m = len(self.departing[exits[STRAIGHT]])
            for k, i in enumerate(through[:m]):
                self.add(a, i, exits[STRAIGHT], k, STRAIGHT)
            if not left and LEFT in exits and self.general_left[a] and general:
                left.append(general[0])
            if not right and RIGHT in exits:
                right.append(through[-1])
            for i in through[m:]:  # more lanes than the straight exit: merge if stuck
                if i not in left and i not in right:
                    self.add(a, i, exits[STRAIGHT], m - 1, STRAIGHT)
        else:
            bus = [i for i in through if lanes[i].bus_all_day]
            (left if LEFT in exits else right).extend(bus)
            if LEFT in exits and RIGHT in exits:
                n_left = len(general) if len(general) == 1 else math.ceil(len(general) / 2)
                left.extend(general[:n_left])
                right.extend(general[n_left:] if len(general) > 1 else general)
            elif LEFT in exits:
                left.extend(general)
            else:
                right.extend(general)
        self.left_sources[a] = sorted(set(left))
        self.right_sources[a] = sorted(set(right), reverse=True)
        if self.left_sources[a]:
            self.assign_turn(a, self.left_sources[a], exits[LEFT], LEFT)
        if self.right_sources[a]:
            self.assign_turn(a, self.right_sources[a], exits[RIGHT], RIGHT)

    def assign_turn(self, a: int, sources: list[int], x: int, turn: str) -> None:
        """Sources ordered from the turn's inner side get targets in the same order."""
        order = list(range(len(self.departing[x])))
        if turn == RIGHT:
            order.reverse()
        general = [j for j in order if not self.departing[x][j].bus_all_day] or order
        bus = [j for j in order if self.departing[x][j].bus_all_day]
        p = 0
        for i in sources:
            if self.approaches[a][i].bus_all_day and bus:
                j = bus[0]
            else:
                j = general[min(p, len(general) - 1)]
                p += 1
            self.add(a, i, x, j, turn)

    def fill(self, x: int) -> None:
        fed = {m.to_index for m in self.moves if m.to_side == x}
        for j, target in enumerate(self.departing[x]):
            if j in fed:
                continue
            a = straight_of(x)
            through = [i for i, ln in enumerate(self.approaches.get(a, ())) if ln.role == "through"]
            if through:
                same = [
                    i for i in through if self.approaches[a][i].bus_all_day == target.bus_all_day
                ]
                pool = same or through
                self.add(a, pool[min(j, len(pool) - 1)], x, j, STRAIGHT)
                continue
            a = right_of(x)  # its traffic turns left into x
            if a in self.sides:
                src = (self.left_sources[a] or [0])[0]
                self.add(a, src, x, j, LEFT)
                continue
            a = left_of(x)  # its traffic turns right into x
            src = (self.right_sources[a] or [len(self.approaches[a]) - 1])[0]
            self.add(a, src, x, j, RIGHT)


def plan_movements(
    approaches: dict[int, tuple[ApproachLane, ...]],
    departing: dict[int, tuple[TrafficLane, ...]],
    general_left: dict[int, bool],
) -> tuple[Movement, ...]:
    """Lane-to-lane movements of one junction, keyed by node side (E=0, N=1, W=2, S=3)."""
    planner = _Planner(approaches, departing, general_left)
    for a in planner.sides:
        planner.plan_approach(a)
    for x in planner.sides:
        planner.fill(x)
    for a in planner.sides:
        for i in range(len(approaches[a])):
            if not any(m.from_side == a and m.from_index == i for m in planner.moves):
                raise RuntimeError(f"approach lane {i} from {SIDE_NAMES[a]} has no movement")
    return tuple(
        sorted(planner.moves, key=lambda m: (m.from_side, m.from_index, m.to_side, m.to_index))
    )
