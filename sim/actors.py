"""Actor kinds and their static properties (size, wheelbase, limits).

Dimensions are typical Korean fleet values: a mid-size sedan (Hyundai Sonata), a 11 m
city bus, a 1-ton-class delivery truck, a 125 cc delivery motorcycle, an adult pedestrian.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class ActorKind(IntEnum):
    """What an actor row is. Stored as int8 in :class:`sim.state.WorldState.kind`."""

    CAR = 0
    BUS = 1
    TRUCK = 2
    MOTORCYCLE = 3
    PEDESTRIAN = 4
    CYCLIST = 5


N_KINDS = len(ActorKind)


@dataclass(frozen=True)
class KindProps:
    """Static properties of one actor kind.

    length, width, wheelbase: [m]; max_accel, max_decel: [m/s^2] (both positive);
    max_steer: [rad]; max_speed: [m/s].
    """

    length: float
    width: float
    wheelbase: float
    max_accel: float
    max_decel: float
    max_steer: float
    max_speed: float


KIND_PROPS: dict[ActorKind, KindProps] = {
    ActorKind.CAR: KindProps(4.9, 1.86, 2.84, 3.0, 8.0, 0.61, 50.0),
    ActorKind.BUS: KindProps(11.0, 2.49, 5.85, 1.5, 6.0, 0.61, 30.0),
    ActorKind.TRUCK: KindProps(6.5, 2.2, 3.6, 2.0, 7.0, 0.61, 35.0),
    ActorKind.MOTORCYCLE: KindProps(2.1, 0.8, 1.4, 4.0, 8.0, 0.7, 40.0),
    ActorKind.PEDESTRIAN: KindProps(0.5, 0.5, 0.0, 1.5, 3.0, np.pi, 3.0),
    ActorKind.CYCLIST: KindProps(1.8, 0.6, 1.1, 1.5, 4.0, 0.7, 10.0),
}

VEHICLE_KINDS = (ActorKind.CAR, ActorKind.BUS, ActorKind.TRUCK, ActorKind.MOTORCYCLE)


def kind_table(field: str) -> np.ndarray:
    """One property for every kind, indexed by ``ActorKind`` value: (N_KINDS,) float64."""
    return np.array([getattr(KIND_PROPS[k], field) for k in ActorKind], dtype=np.float64)


_IS_VEHICLE = np.array([k in VEHICLE_KINDS for k in ActorKind], dtype=bool)


def is_vehicle(kind: np.ndarray) -> np.ndarray:
    """Mask of vehicle rows: kind (n,) int8 -> (n,) bool."""
    return _IS_VEHICLE[kind]
