"""The bird's-eye replay: an animated GIF (or MP4 where ffmpeg exists) that follows the ego.

The map is drawn once (with :func:`scenarios.bev.draw_map`); each frame only moves the actor
boxes, the ego's trail and the view window, which stays a fixed size around the ego so the
picture is readable on any map size. Long runs are subsampled to at most ``max_frames``
frames, which bounds both the time to write and the file size.
"""

from __future__ import annotations

import math
import os
from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import numpy as np  # noqa: E402
from matplotlib.animation import FFMpegWriter, PillowWriter  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from scenarios.bev import KIND_COLOURS, draw_map  # noqa: E402
from sim.actors import KIND_PROPS, ActorKind  # noqa: E402

EGO_COLOUR = "#e31a1c"
MIN_BOX_M = 1.0  # [m] pedestrians (0.5 m) would be a pixel or two in a 120 m window


class _PaletteGifWriter(PillowWriter):
    """matplotlib's PillowWriter, but each frame is reduced to a 64-colour palette as it is
    grabbed: PillowWriter keeps full RGB frames until the end (about 200 MB for 300 frames
    of 480 x 480 px); GIF frames are palette images anyway."""

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi=dpi)
        self._frames = []

    def grab_frame(self, **savefig_kwargs):
        buf = BytesIO()
        self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
        im = Image.frombuffer("RGBA", self.frame_size, buf.getbuffer(), "raw", "RGBA", 0, 1)
        self._frames.append(im.convert("RGB").quantize(
            64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))

    def finish(self):
        self._frames[0].save(self.outfile, save_all=True, append_images=self._frames[1:],
                             duration=max(int(1000 / self.fps), 20), loop=0)
        self._frames = []


def _default_size(kind: np.ndarray, field: str) -> np.ndarray:
    """(n,) box ``field`` ("length" / "width") [m] from the actor kinds' defaults."""
    out = []
    for k in np.asarray(kind).ravel():
        try:
            props = KIND_PROPS[ActorKind(int(k))]
        except ValueError:
            props = KIND_PROPS[ActorKind.CAR]
        out.append(getattr(props, field))
    return np.asarray(out, dtype=float)


def _boxes(x, y, yaw, length, width) -> np.ndarray:
    """(n, 4, 2) box corners [m] of boxes centred at x, y [m] heading yaw [rad]."""
    c, s = np.cos(yaw), np.sin(yaw)
    hl, hw = np.maximum(length, MIN_BOX_M) / 2, np.maximum(width, MIN_BOX_M) / 2
    corners = np.array([(1, 1), (-1, 1), (-1, -1), (1, -1)], dtype=float)
    lx = corners[None, :, 0] * hl[:, None]
    ly = corners[None, :, 1] * hw[:, None]
    return np.stack([x[:, None] + lx * c[:, None] - ly * s[:, None],
                     y[:, None] + lx * s[:, None] + ly * c[:, None]], axis=-1)


def _colour(kind: int, is_ego: bool) -> str:
    if is_ego:
        return EGO_COLOUR
    try:
        return KIND_COLOURS[ActorKind(int(kind))]
    except (ValueError, KeyError):
        return "#bbbbbb"


def write_animation(path: Path, net, frames, ego_row: int, *, fps: int = 10,
                    every: int | None = None, title: str = "", dt_s: float | None = None,
                    window_m: float = 120.0, max_frames: int = 300,
                    size_px: int = 480) -> int:
    """Write the replay of a run to ``path`` (``.gif``; ``.mp4`` needs ffmpeg) and return
    the number of frames written.

    ``net``: the RoadNetwork; ``frames``: (x, y, yaw, valid, kind, length, width) with x, y
    [m], yaw [rad], valid as (T, n) arrays over recorded states and actor rows, kind (n,)
    ActorKind values, length, width (n,) [m] (None: the kinds' defaults); ``ego_row``: the
    ego's row, drawn red and followed by a ``window_m`` [m] square view; ``every``: draw
    every ``every``-th state (default: as few as keep at most ``max_frames`` frames);
    ``fps``: frames per second of the file; ``dt_s``: time between states [s], to label the
    frames with the simulation time (None: with the step number)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"{path}: the animation must be a .gif or .mp4 file")
    if suffix == ".mp4" and not FFMpegWriter.isAvailable():
        raise RuntimeError(f"{path}: writing .mp4 needs ffmpeg on the PATH, and there is "
                           "none; ask for a .gif instead")
    x, y, yaw, valid, kind, length, width = frames
    x, y, yaw = (np.asarray(a, dtype=float) for a in (x, y, yaw))
    valid = np.asarray(valid, dtype=bool)
    kind = np.asarray(kind).ravel()
    n_states, n = x.shape
    if n_states == 0:
        raise ValueError("no recorded states to animate")
    length = (np.asarray(length, dtype=float) if length is not None
              else _default_size(kind, "length"))
    width = (np.asarray(width, dtype=float) if width is not None
             else _default_size(kind, "width"))
    if every is None:
        every = max(1, math.ceil(n_states / max(max_frames, 1)))
    steps = list(range(0, n_states, max(int(every), 1)))
    if steps[-1] != n_states - 1 and len(steps) < max_frames:
        steps.append(n_states - 1)  # always show how the run ended
    steps = steps[:max_frames]

    dpi = 80
    # the ground colour on the figure: an axes without axis lines draws no background
    fig = Figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi, facecolor="#2e3a2f")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_aspect("equal")
    ax.set_axis_off()
    draw_map(ax, net)
    colours = [_colour(kind[i], i == ego_row) for i in range(n)]
    boxes = PolyCollection([], edgecolors="black", linewidths=0.4, zorder=10)
    ax.add_collection(boxes)
    (trail,) = ax.plot([], [], color=EGO_COLOUR, lw=1.5, alpha=0.7, zorder=9)
    label = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", ha="left", fontsize=9,
                    color="white", zorder=12,
                    bbox={"facecolor": "black", "alpha": 0.55, "edgecolor": "none"})
    half = window_m / 2
    centre = (float(np.nanmean(x[0])) if n else 0.0, float(np.nanmean(y[0])) if n else 0.0)

    writer = (_PaletteGifWriter(fps=fps) if suffix == ".gif"
              else FFMpegWriter(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p"]))
    # a temporary name in the same folder (so the rename is atomic) that keeps the suffix:
    # Pillow and ffmpeg pick the container format from it
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        with writer.saving(fig, str(tmp), dpi):
            for k in steps:
                v = valid[k]
                if 0 <= ego_row < n and v[ego_row]:
                    centre = (float(x[k, ego_row]), float(y[k, ego_row]))
                rows = np.flatnonzero(v)
                boxes.set_verts(_boxes(x[k, rows], y[k, rows], yaw[k, rows], length[rows],
                                       width[rows]))
                boxes.set_facecolor([colours[i] for i in rows])
                if 0 <= ego_row < n:
                    past = valid[:k + 1, ego_row]
                    trail.set_data(x[:k + 1, ego_row][past], y[:k + 1, ego_row][past])
                ax.set_xlim(centre[0] - half, centre[0] + half)
                ax.set_ylim(centre[1] - half, centre[1] + half)
                when = f"t = {k * dt_s:6.1f} s" if dt_s else f"step {k}/{n_states - 1}"
                label.set_text(f"{title}\n{when}" if title else when)
                writer.grab_frame()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(steps)
