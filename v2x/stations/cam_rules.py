"""When a vehicle sends a CAM: the generation rules of ETSI EN 302 637-2 §6.1.3, for many
vehicles at once.

Checked every simulation step (at most every T_GenCamMin = 100 ms counts):
1. dynamics: at least T_GenCamDcc (100 ms) since the last CAM and the heading changed by
   more than 4 deg, the position by more than 4 m or the speed by more than 0.5 m/s since
   the last CAM -> send now; the time since the last CAM becomes T_GenCam for the next
   N_GenCam = 3 CAMs;
2. otherwise, send when T_GenCam has passed since the last CAM (T_GenCamMax = 1 s once
   the N_GenCam CAMs after a dynamics trigger have gone).
The low-frequency container goes into the first CAM and then at most every 500 ms. State
is explicit (:class:`CamTimers`), so the rules are a pure function like the engine step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

T_GEN_CAM_MIN_US = 100_000
T_GEN_CAM_MAX_US = 1_000_000
T_GEN_CAM_DCC_US = T_GEN_CAM_MIN_US  # no congestion control throttling modelled here
N_GEN_CAM = 3
LF_INTERVAL_US = 500_000
HEADING_TRIGGER_RAD = np.radians(4.0)
POSITION_TRIGGER_M = 4.0
SPEED_TRIGGER_MPS = 0.5
NEVER = np.iinfo(np.int64).min // 4


@dataclass(frozen=True)
class CamTimers:
    """Per-vehicle CAM generation state, (n,) arrays.

    last_us: time of the last CAM [us] (NEVER if none); x, y [m], heading [rad], speed
    [m/s] at that CAM; t_gen_us: current T_GenCam [us]; n_left: CAMs still to send at
    t_gen_us before it returns to T_GenCamMax; lf_us: time of the last low-frequency
    container [us].
    """

    last_us: np.ndarray
    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    t_gen_us: np.ndarray
    n_left: np.ndarray
    lf_us: np.ndarray

    @staticmethod
    def new(n: int) -> CamTimers:
        z = np.zeros(n)
        return CamTimers(np.full(n, NEVER, np.int64), z, z.copy(), z.copy(), z.copy(),
                         np.full(n, T_GEN_CAM_MAX_US, np.int64), np.zeros(n, np.int64),
                         np.full(n, NEVER, np.int64))


def cam_due(timers: CamTimers, time_us: int, x: np.ndarray, y: np.ndarray,
            heading: np.ndarray, speed: np.ndarray, active: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, CamTimers]:
    """Which of n vehicles send a CAM at ``time_us`` [us].

    x, y: (n,) [m]; heading: (n,) [rad]; speed: (n,) [m/s]; active: (n,) bool (vehicles
    that exist and carry an OBU). Returns (send (n,) bool, with_low_frequency (n,) bool,
    updated timers).
    """
    t = int(time_us)
    elapsed = t - timers.last_us
    first = timers.last_us == NEVER
    dh = np.abs(np.remainder(heading - timers.heading + np.pi, 2.0 * np.pi) - np.pi)
    moved = np.hypot(x - timers.x, y - timers.y)
    dyn = ((dh > HEADING_TRIGGER_RAD) | (moved > POSITION_TRIGGER_M)
           | (np.abs(speed - timers.speed) > SPEED_TRIGGER_MPS))
    by_dynamics = active & ~first & (elapsed >= T_GEN_CAM_DCC_US) & dyn
    by_timer = active & ~first & ~by_dynamics & (elapsed >= timers.t_gen_us)
    send = (active & first) | by_dynamics | by_timer
    # T_GenCam: the elapsed time after a dynamics trigger, kept for N_GenCam CAMs
    t_gen = timers.t_gen_us.copy()
    n_left = timers.n_left.copy()
    t_gen[by_dynamics] = elapsed[by_dynamics]
    n_left[by_dynamics] = N_GEN_CAM - 1
    timer_sent = by_timer & (n_left > 0)
    n_left[timer_sent] -= 1
    back = by_timer & (timers.n_left <= 0)
    t_gen[back] = T_GEN_CAM_MAX_US
    t_gen[active & first] = T_GEN_CAM_MAX_US
    lf = send & ((timers.lf_us == NEVER) | (t - timers.lf_us >= LF_INTERVAL_US))
    new = CamTimers(
        last_us=np.where(send, t, timers.last_us),
        x=np.where(send, x, timers.x), y=np.where(send, y, timers.y),
        heading=np.where(send, heading, timers.heading),
        speed=np.where(send, speed, timers.speed),
        t_gen_us=t_gen, n_left=n_left, lf_us=np.where(lf, t, timers.lf_us))
    return send, lf, new
