"""Collision detection on a world state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.actors import ActorKind
from sim.collision import _kernels as K
from sim.state import WorldState


@dataclass(frozen=True)
class CollisionPairs:
    """Actor rows whose boxes overlap at ``time_us``: rows (k, 2) int32, i < j, sorted."""

    time_us: int
    rows: np.ndarray

    def as_set(self) -> set[tuple[int, int]]:
        return {(int(a), int(b)) for a, b in self.rows}


def detect_collisions(state: WorldState, capacity: int = 64) -> CollisionPairs:
    """Every overlapping pair of valid actors' oriented boxes; two pedestrians touching is
    not a collision."""
    while True:
        out = np.empty((capacity, 2), np.int32)
        found = K.overlapping_pairs(state.valid, state.x, state.y, state.yaw, state.length,
                                    state.width, state.kind, int(ActorKind.PEDESTRIAN), out)
        if found <= capacity:
            rows = out[:found]
            order = np.lexsort((rows[:, 1], rows[:, 0]))
            return CollisionPairs(int(state.time_us), rows[order].copy())
        capacity = found
