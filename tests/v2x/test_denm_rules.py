"""DENM triggering: EEBL on hard braking, stationary hazards, repetition, cancellation."""

import numpy as np

from v2x.messages.denm import Cause
from v2x.stations.denm_rules import DenmTriggers


def test_hard_braking_raises_repeats_and_cancels_one_event():
    trig = DenmTriggers()
    sent = []
    for k in range(50):  # 50 ms steps; brakes hard from 0.5 s to 1.7 s
        t = k * 50_000
        accel = np.array([-6.0 if 10 <= k < 34 else 0.0, -6.0])
        speed = np.array([15.0, 2.0])  # the second is too slow for EEBL
        sent += [(t, e) for e in trig.step(t, speed, accel, np.zeros(2, bool),
                                           np.ones(2, bool))]
    assert [(t, e.row, e.terminate) for t, e in sent] == [
        (500_000, 0, False), (1_500_000, 0, False), (1_700_000, 0, True)]
    assert {e.cause for _, e in sent} == {int(Cause.DANGEROUS_SITUATION)}
    assert {e.sequence_number for _, e in sent} == {0}
    assert {e.detection_us for _, e in sent} == {500_000}


def test_stationary_hazard_only_when_flagged_and_with_an_obu():
    trig = DenmTriggers()
    ev = trig.step(0, np.zeros(3), np.zeros(3), np.array([True, False, True]),
                   np.array([True, True, False]))
    assert [(e.row, e.cause) for e in ev] == [(0, int(Cause.STATIONARY_VEHICLE))]
    # it moves off: one cancellation; a new event later gets the next sequence number
    ev = trig.step(100_000, np.array([3.0, 0, 0]), np.zeros(3), np.array([True, False, False]),
                   np.ones(3, bool))
    assert [(e.row, e.terminate) for e in ev] == [(0, True)]
    ev = trig.step(200_000, np.zeros(3), np.zeros(3), np.array([True, False, False]),
                   np.ones(3, bool))
    assert [(e.row, e.sequence_number) for e in ev] == [(0, 1)]
