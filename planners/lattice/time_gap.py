"""A time gap to predicted obstacles, as extra obstacles for the lattice's collision check."""

from __future__ import annotations

import numpy as np

from planners.lattice.planner import Obstacles


def with_time_gap(obs: Obstacles, lag: int, from_step: int) -> Obstacles:
    """``obs`` plus each obstacle as it was ``lag`` steps earlier, valid from step
    ``from_step`` on: a plan that puts the ego where an obstacle was lag steps before keeps
    less than that time gap to it (behind a leader, after a cut-in, through a crossing
    pedestrian's path). Starting the test at from_step leaves time to open a gap that is
    already too short, instead of making every plan fail at once."""
    if lag <= 0 or obs.x.shape[0] == 0:
        return obs
    n_t = obs.x.shape[1]

    def shift(a, fill):
        out = np.full_like(a, fill)
        out[:, lag:] = a[:, :n_t - lag]
        return out

    valid = shift(obs.valid, False)
    valid[:, :max(from_step, lag)] = False
    return Obstacles(x=np.concatenate([obs.x, shift(obs.x, 0.0)]),
                     y=np.concatenate([obs.y, shift(obs.y, 0.0)]),
                     yaw=np.concatenate([obs.yaw, shift(obs.yaw, 0.0)]),
                     length=np.concatenate([obs.length, obs.length]),
                     width=np.concatenate([obs.width, obs.width]),
                     valid=np.concatenate([obs.valid, valid]))
