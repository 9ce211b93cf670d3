"""Korean rule-compliance metrics (``shared/design/korea.md``, ``metrics.md`` "Korean rule
compliance"): each judges only the ego, from world states, signal states and the map.

- ``speed_compliance`` (:mod:`sim.metrics.rules_speed`): posted / child-zone limits,
  section average;
- ``signal_compliance`` (:mod:`sim.metrics.rules_signals`): red-light entry with the
  Korean yellow formula, right turn on red, right-turn arrows, U-turn plates;
- ``crosswalk_compliance`` (:mod:`sim.metrics.rules_crosswalk`): pedestrians crossing or
  about to cross, child-zone unsignalised crosswalks;
- ``lane_compliance`` (:mod:`sim.metrics.rules_lanes`): bus lanes and bus stops, solid
  lines.
"""

from __future__ import annotations

from sim.metrics.base import Metric
from sim.metrics.rules_crosswalk import CrosswalkCompliance
from sim.metrics.rules_lanes import LaneCompliance
from sim.metrics.rules_signals import SignalCompliance
from sim.metrics.rules_speed import SpeedCompliance

KOREAN_METRICS: list[type[Metric]] = [SpeedCompliance, SignalCompliance,
                                      CrosswalkCompliance, LaneCompliance]
