"""CAM generation rules (EN 302 637-2 §6.1.3) on hand-made trajectories."""

import numpy as np

from v2x.stations.cam_rules import CamTimers, cam_due


def _run(traj, dt_us=50_000, steps=80):
    """traj(t_s) -> (x, y, heading, speed) for one vehicle; returns CAM times [s] and
    whether each carried the low-frequency container."""
    timers = CamTimers.new(1)
    sent, lf = [], []
    for k in range(steps):
        t = k * dt_us
        x, y, h, v = traj(t / 1e6)
        s, f, timers = cam_due(timers, t, np.array([x]), np.array([y]), np.array([h]),
                               np.array([v]), np.array([True]))
        if s[0]:
            sent.append(round(t / 1e6, 3))
            lf.append(bool(f[0]))
    return sent, lf


def test_standing_vehicle_sends_once_a_second():
    sent, lf = _run(lambda t: (0.0, 0.0, 0.0, 0.0))
    assert sent == [0.0, 1.0, 2.0, 3.0]
    assert all(lf)  # >= 500 ms apart: every one carries the LF container


def test_fast_vehicle_sends_by_position_every_step_it_may():
    # 20 m/s: 4 m takes 0.2 s, so the position trigger fires every 0.2 s (after 100 ms min)
    sent, _ = _run(lambda t: (20.0 * t, 0.0, 0.0, 20.0), steps=30)
    gaps = np.diff(sent)
    assert np.allclose(gaps, 0.25)  # first step beyond 4 m at 50 ms resolution: 0.25 s
    assert len(sent) == 6


def test_dynamics_interval_kept_for_three_cams_then_back_to_one_second():
    # one heading jump at 2.0 s, otherwise standing still
    def traj(t):
        return 0.0, 0.0, (0.2 if t >= 2.0 else 0.0), 0.0

    sent, _ = _run(traj, steps=120)
    # 0, 1, 2 (timer and heading at once: counted as dynamics, T_GenCam = 1 s) ...
    assert sent[:3] == [0.0, 1.0, 2.0]
    # T_GenCam stays 1 s, so the next three also come at 1 s; nothing faster
    assert np.allclose(np.diff(sent), 1.0)


def test_short_dynamics_interval_persists_for_n_gen_cam():
    # heading jump at 0.5 s (0.5 s after the first CAM): T_GenCam becomes 0.5 s for 3 CAMs
    def traj(t):
        return 0.0, 0.0, (0.3 if t >= 0.5 else 0.0), 0.0

    sent, lf = _run(traj, steps=80)
    assert sent[:6] == [0.0, 0.5, 1.0, 1.5, 2.0, 3.0]
    assert lf[:6] == [True, True, True, True, True, True]


def test_speed_trigger_and_minimum_interval():
    # speed ramps 10 m/s per second: 0.5 m/s changes every 50 ms, but at most every 100 ms
    sent, _ = _run(lambda t: (0.0, 0.0, 0.0, 10.0 * t), steps=20)
    assert np.allclose(np.diff(sent), 0.1)


def test_inactive_vehicles_never_send():
    timers = CamTimers.new(2)
    s, _, timers = cam_due(timers, 0, np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2),
                           np.array([True, False]))
    assert s.tolist() == [True, False]
