"""Planners that break the process they run in, to test how suites survive them
(``--planner tests.scenarios.suites.misbehaving:Crash``)."""

from __future__ import annotations

import os
import time

from planners.baselines import IdmLaneFollower

_AT_CALL = 5


class Crash(IdmLaneFollower):
    """Kills its own process a few steps in, as a segfaulting native planner would."""

    name = "test-crash"

    def compute_plan(self, inp):
        self._calls = getattr(self, "_calls", 0) + 1
        if self._calls == _AT_CALL:
            os._exit(11)
        return super().compute_plan(inp)


class Hang(IdmLaneFollower):
    """Stops answering a few steps in."""

    name = "test-hang"

    def compute_plan(self, inp):
        self._calls = getattr(self, "_calls", 0) + 1
        if self._calls == _AT_CALL:
            time.sleep(3600)
        return super().compute_plan(inp)
