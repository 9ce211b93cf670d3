"""kav's safety and progress metrics, in registry order (see each module for the
definitions it implements, cited from ``shared/design/metrics.md``):

* :class:`~sim.metrics.collisions.Collisions` ``collisions``: ego collision onsets, kind,
  impact speed, nuPlan-style blame;
* :class:`~sim.metrics.surrogate.Surrogate` ``surrogate``: TTC, DRAC, minimum distance,
  PET, nuPlan's TTC bound;
* :class:`~sim.metrics.r157.R157` ``r157``: UN R157 time gap and cut-ins;
* :class:`~sim.metrics.comfort.Comfort` ``comfort``: nuPlan comfort bounds;
* :class:`~sim.metrics.progress.Progress` ``progress``: route completion, CARLA
  terminations and min speed, nuPlan progress / drivable area / direction / speed limit.
"""

from __future__ import annotations

from sim.metrics.base import Metric
from sim.metrics.collisions import Collisions
from sim.metrics.comfort import Comfort
from sim.metrics.progress import Progress
from sim.metrics.r157 import R157
from sim.metrics.surrogate import Surrogate

SAFETY_METRICS: list[type[Metric]] = [Collisions, Surrogate, R157, Comfort, Progress]

__all__ = ["SAFETY_METRICS", "Collisions", "Comfort", "Progress", "R157", "Surrogate"]
