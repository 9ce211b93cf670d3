"""Bird's-eye pictures: the map (lanes by type, bus lanes, school zones, crosswalks, stop
lines, signals) with actors' trajectories."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

from sim.actors import ActorKind  # noqa: E402
from sim.roadnet.network import (  # noqa: E402
    LANE_BUS_ONLY,
    PT_CHILD_ZONE,
    LaneType,
    RoadNetwork,
)

LANE_COLOURS = {
    LaneType.DRIVING: "#55595e", LaneType.SIDEWALK: "#c9c6bd", LaneType.SHOULDER: "#8a8d80",
    LaneType.BIKING: "#7a9a6a", LaneType.PARKING: "#6f6a80", LaneType.MEDIAN: "#9aa889",
}
BUS_COLOUR = "#2f58a8"
ZONE_COLOUR = "#f2b705"
KIND_COLOURS = {ActorKind.CAR: "#9ecae1", ActorKind.BUS: "#6baed6", ActorKind.TRUCK: "#c6dbef",
                ActorKind.MOTORCYCLE: "#fdae6b", ActorKind.PEDESTRIAN: "#74c476",
                ActorKind.CYCLIST: "#9e9ac8"}


def _lane_polygon(net: RoadNetwork, lane: int, mask: np.ndarray | None = None) -> np.ndarray:
    sl = net.lane_points(lane)
    p = net.points
    x, y, h, w = p.x[sl], p.y[sl], p.heading[sl], p.width[sl]
    if mask is not None:
        x, y, h, w = x[mask], y[mask], h[mask], w[mask]
    nx, ny = -np.sin(h) * w / 2, np.cos(h) * w / 2
    left = np.stack([x + nx, y + ny], axis=1)
    right = np.stack([x - nx, y - ny], axis=1)
    return np.concatenate([left, right[::-1]])


def draw_map(ax, net: RoadNetwork) -> None:
    """Lanes filled by type; bus-only lanes blue; child protection zones amber; crosswalks
    white; stop lines; signal heads."""
    ln = net.lanes
    order = sorted(range(ln.n), key=lambda i: (ln.type[i] == LaneType.DRIVING, ln.junction[i] >= 0))
    polys, colours = [], []
    for i in order:
        if ln.pt_ptr[i + 1] - ln.pt_ptr[i] < 2:
            continue
        t = LaneType(int(ln.type[i]))
        colour = BUS_COLOUR if ln.flags[i] & LANE_BUS_ONLY else LANE_COLOURS.get(t, "#6d6d6d")
        polys.append(_lane_polygon(net, i))
        colours.append(colour)
    ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors="none", zorder=1))
    zone = []
    for i in range(ln.n):
        mask = (net.points.flags[net.lane_points(i)] & PT_CHILD_ZONE) > 0
        if ln.type[i] == LaneType.DRIVING and mask.sum() >= 2:
            zone.append(_lane_polygon(net, i, mask))
    if zone:
        ax.add_collection(PolyCollection(zone, facecolors=ZONE_COLOUR, alpha=0.45,
                                         edgecolors="none", zorder=2))
    cw = net.crosswalks
    if cw.n:
        ax.add_collection(PolyCollection([cw.polygon(c) for c in range(cw.n)],
                                         facecolors="white", edgecolors="#dddddd", hatch="||",
                                         linewidths=0.3, alpha=0.9, zorder=3))
    stops = []
    for i in np.flatnonzero(np.isfinite(ln.stop_s)):
        sl = net.lane_points(int(i))
        k = sl.start + int(np.searchsorted(net.points.s[sl], ln.stop_s[i]))
        k = min(k, sl.stop - 1)
        x, y, h, w = (net.points.x[k], net.points.y[k], net.points.heading[k],
                      net.points.width[k])
        dx, dy = -np.sin(h) * w / 2, np.cos(h) * w / 2
        stops.append([(x - dx, y - dy), (x + dx, y + dy)])
    if stops:
        ax.add_collection(LineCollection(stops, colors="white", linewidths=1.2, zorder=4))
    heads = [h for h in range(net.signals.n) if net.signals.type[h] == "1000001"]
    if heads:
        ax.scatter(net.signals.x[heads], net.signals.y[heads], s=6, c="#e34a33", zorder=5,
                   linewidths=0)


def render_bev(net: RoadNetwork, hist, path: Path, title: str = "", ego_row: int = 0,
               max_size_in: float = 14.0) -> None:
    """Map plus every actor's trajectory from ``hist`` (History of the runner); the ego in
    red with its final box."""
    xmin, xmax = float(net.points.x.min()), float(net.points.x.max())
    ymin, ymax = float(net.points.y.min()), float(net.points.y.max())
    span_x, span_y = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    scale = max_size_in / max(span_x, span_y)
    fig, ax = plt.subplots(figsize=(max(span_x * scale, 4.0), max(span_y * scale, 4.0) + 0.4))
    ax.set_facecolor("#2e3a2f")
    draw_map(ax, net)
    n = hist.x.shape[1]
    for i in range(n):
        if i == ego_row:
            continue
        v = hist.valid[:, i]
        if v.sum() < 2:
            continue
        kind = ActorKind(int(hist.kind[i]))
        ax.plot(hist.x[v, i], hist.y[v, i], lw=0.6 if kind != ActorKind.PEDESTRIAN else 0.5,
                color=KIND_COLOURS[kind], alpha=0.7, zorder=6,
                ls="-" if kind != ActorKind.PEDESTRIAN else ":")
    v = hist.valid[:, ego_row]
    ax.plot(hist.x[v, ego_row], hist.y[v, ego_row], lw=2.2, color="#e31a1c", zorder=8,
            label="ego")
    if v.any():
        ax.plot(hist.x[v, ego_row][0], hist.y[v, ego_row][0], "o", color="#e31a1c", ms=5,
                zorder=9)
        ax.plot(hist.x[v, ego_row][-1], hist.y[v, ego_row][-1], "s", color="#e31a1c", ms=6,
                zorder=9)
    ax.set_xlim(xmin - 10, xmax + 10)
    ax.set_ylim(ymin - 10, ymax + 10)
    ax.set_aspect("equal")
    ax.set_xlabel("x east [m]")
    ax.set_ylabel("y north [m]")
    if title:
        ax.set_title(title, fontsize=10)
    handles = [plt.Line2D([], [], color="#e31a1c", lw=2.2, label="ego"),
               plt.Line2D([], [], color=KIND_COLOURS[ActorKind.CAR], lw=1, label="vehicles"),
               plt.Line2D([], [], color=KIND_COLOURS[ActorKind.PEDESTRIAN], lw=1, ls=":",
                          label="pedestrians"),
               plt.Rectangle((0, 0), 1, 1, color=BUS_COLOUR, label="bus-only lane"),
               plt.Rectangle((0, 0), 1, 1, color=ZONE_COLOUR, alpha=0.6,
                             label="child protection zone")]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)
    fig.tight_layout()
    tmp = Path(path).with_name(f".{Path(path).name}.tmp.png")
    fig.savefig(tmp, dpi=150)
    plt.close(fig)
    tmp.replace(path)
