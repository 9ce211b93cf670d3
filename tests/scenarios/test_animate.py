"""The bird's-eye replay GIF: frame count, subsampling, atomic writing, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scenarios.animate import write_animation
from scenarios.map_registry import build_map
from sim.actors import ActorKind
from sim.roadnet.loader import load_network_text


@pytest.fixture(scope="module")
def net():
    # the smallest grid there is: 2 x 2 blocks of 100 m (loads in well under a second)
    return load_network_text(build_map("benchmark_grid",
                                       {"n_cols": 2, "n_rows": 2, "block": 100.0}))


def _frames(steps: int = 20):
    """3 actors (ego car, bus, pedestrian) driving east; the pedestrian appears late."""
    t = np.arange(steps)[:, None] * 0.1
    x = np.array([0.0, 15.0, 5.0]) + t * np.array([10.0, 8.0, 1.4])
    y = np.broadcast_to(np.array([-1.75, -1.75, 8.0]), x.shape).copy()
    yaw = np.zeros_like(x)
    valid = np.ones_like(x, dtype=bool)
    valid[: steps // 2, 2] = False
    kind = np.array([ActorKind.CAR, ActorKind.BUS, ActorKind.PEDESTRIAN], dtype=np.int8)
    return x, y, yaw, valid, kind, np.array([4.9, 11.0, 0.5]), np.array([1.86, 2.5, 0.5])


def test_gif_has_one_frame_per_state(net, tmp_path):
    path = tmp_path / "replay.gif"
    n = write_animation(path, net, _frames(20), 0, fps=10, title="test run", dt_s=0.1)
    assert n == 20
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 20
        assert im.info.get("duration") == 100  # [ms] at 10 fps
    assert [p.name for p in tmp_path.iterdir()] == ["replay.gif"]  # no temporary left


def test_long_runs_are_subsampled(net, tmp_path):
    path = tmp_path / "replay.gif"
    n = write_animation(path, net, _frames(50), 0, max_frames=12, size_px=160)
    with Image.open(path) as im:
        assert im.n_frames == n <= 12
    n = write_animation(path, net, _frames(50), 0, every=10, size_px=160)
    assert n == 6  # states 0, 10, 20, 30, 40 and the last one, 49


def test_default_sizes_and_invalid_ego(net, tmp_path):
    x, y, yaw, valid, kind, _, _ = _frames(6)
    valid[:, 0] = False  # an ego that never appears: the view stays put, nothing breaks
    path = tmp_path / "replay.gif"
    assert write_animation(path, net, (x, y, yaw, valid, kind, None, None), 0,
                           size_px=160) == 6
    with Image.open(path) as im:
        assert im.n_frames == 6


def test_bad_suffix_and_missing_ffmpeg(net, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        write_animation(tmp_path / "replay.avi", net, _frames(3), 0)
    from matplotlib.animation import FFMpegWriter

    monkeypatch.setattr(FFMpegWriter, "isAvailable", classmethod(lambda cls: False))
    with pytest.raises(RuntimeError, match="ffmpeg"):
        write_animation(tmp_path / "replay.mp4", net, _frames(3), 0)
    assert not any(tmp_path.iterdir())
