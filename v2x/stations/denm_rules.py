"""When a vehicle OBU raises, repeats and ends a DENM (EN 302 637-3 triggering conditions,
as the C2C-CC triggering-condition profiles use them), for many vehicles at once.

Events kav detects from the vehicle state:
- emergency electronic brake lights (dangerousSituation / EEBL): deceleration of at least
  ``EEBL_DECEL`` while faster than ``EEBL_MIN_SPEED``; ends when braking eases;
- stationary vehicle: a vehicle flagged as a hazard by the scenario (broken down, parked in
  a traffic lane) standing still; ends when it moves.
An active event is repeated every ``REPEAT_US`` (the DENM transmission interval) with the
same action id and a new reference time, and ended with one cancellation DENM. State is
explicit, so the rules replay exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from v2x.messages.denm import Cause, DangerousSituationSubCause

EEBL_DECEL = 4.0  # [m/s^2], the EEBL triggering threshold
EEBL_MIN_SPEED = 5.0  # [m/s]
STATIONARY_SPEED = 0.1  # [m/s]
REPEAT_US = 1_000_000
EVENTS = ((int(Cause.DANGEROUS_SITUATION),
           int(DangerousSituationSubCause.EMERGENCY_ELECTRONIC_BRAKE_ENGAGED)),
          (int(Cause.STATIONARY_VEHICLE), 0))


@dataclass(frozen=True)
class DenmEvent:
    """What to send now for one vehicle row: ``terminate`` True for the cancellation."""

    row: int
    cause: int
    sub_cause: int
    sequence_number: int
    detection_us: int
    terminate: bool = False


@dataclass
class DenmTriggers:
    """Active events by (row, event index) -> (sequence number, detection time [us], last
    sent [us]); ``next_seq`` per row (SequenceNumber 0..65535 wraps by definition)."""

    active: dict = field(default_factory=dict)
    next_seq: dict = field(default_factory=dict)

    def step(self, time_us: int, speed: np.ndarray, accel: np.ndarray,
             hazard: np.ndarray, active_rows: np.ndarray) -> list[DenmEvent]:
        """speed, accel: (n,) [m/s, m/s^2]; hazard: (n,) bool scenario-flagged hazards;
        active_rows: (n,) bool rows with an OBU. Returns the DENMs to send now."""
        t = int(time_us)
        cond = (
            active_rows & (accel <= -EEBL_DECEL) & (speed >= EEBL_MIN_SPEED),
            active_rows & hazard & (speed <= STATIONARY_SPEED),
        )
        out = []
        for e, mask in enumerate(cond):
            cause, sub = EVENTS[e]
            on = set(np.flatnonzero(mask).tolist())
            for row in sorted(on):
                key = (row, e)
                if key not in self.active:
                    seq = self.next_seq.get(row, 0)
                    self.next_seq[row] = (seq + 1) % 65536
                    self.active[key] = (seq, t, t)
                    out.append(DenmEvent(row, cause, sub, seq, t))
                else:
                    seq, det, last = self.active[key]
                    if t - last >= REPEAT_US:
                        self.active[key] = (seq, det, t)
                        out.append(DenmEvent(row, cause, sub, seq, det))
            for key in sorted(k for k in self.active if k[1] == e and k[0] not in on):
                seq, det, _ = self.active.pop(key)
                out.append(DenmEvent(key[0], cause, sub, seq, det, terminate=True))
        return out
