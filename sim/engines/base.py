"""The Engine contract every simulator backend implements.

An engine holds configuration and plug-ins only; all that changes lives in the
:class:`~sim.state.WorldState` it is handed, so ``step`` is a pure function and runs can be
replayed exactly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sim.actions import Actions
from sim.state import WorldState


@dataclass(frozen=True)
class SignalSnapshot:
    """Signal states at one time: lanes (n_lanes,) int8 SIG_* per junction lane (movement),
    crosswalks (n_cw,) int8 PED_*; arrows (n_lanes,) bool, where known: the movement has its
    own arrow head, so its state is the arrow's (a right turn with an arrow may go only on
    the green arrow); None when the controller does not say."""

    time_us: int
    lanes: np.ndarray
    crosswalks: np.ndarray
    arrows: np.ndarray | None = None


class Engine(ABC):
    """A simulator backend: advances a world state by one fixed step."""

    #: registry name, e.g. "embedded" or "carla"
    name: str = ""

    @property
    @abstractmethod
    def dt_us(self) -> int:
        """Step length [us]."""

    @abstractmethod
    def step(self, state: WorldState, actions: Actions, rng: np.random.Generator) -> WorldState:
        """Advance ``state`` by one step under ``actions``; ``rng`` is this step's generator."""

    @abstractmethod
    def signals(self, time_us: int) -> SignalSnapshot:
        """Traffic-signal states at ``time_us``."""
