"""`kav map ZONE --plot`: a zone map with its Korean road features and a legend."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scenarios.bev import BUS_COLOUR, LANE_COLOURS, ZONE_COLOUR, draw_map, plt
from sim.roadnet.network import LANE_BUS_ONLY, LaneType, RoadNetwork


def feature_counts(net: RoadNetwork) -> dict[str, int]:
    """What the picture shows, counted: driving / bus-only lanes, crosswalks, signal heads,
    stop lines and child-zone lanes."""
    ln = net.lanes
    driving = ln.type == LaneType.DRIVING
    child = 0
    from sim.roadnet.network import PT_CHILD_ZONE

    for i in np.flatnonzero(driving):
        if np.any(net.points.flags[net.lane_points(int(i))] & PT_CHILD_ZONE):
            child += 1
    return {"driving_lanes": int(driving.sum()),
            "bus_only_lanes": int(np.sum(driving & ((ln.flags & LANE_BUS_ONLY) > 0))),
            "crosswalks": int(net.crosswalks.n),
            "signal_heads": sum(t == "1000001" for t in net.signals.type),
            "stop_lines": int(np.isfinite(ln.stop_s).sum()),
            "child_zone_lanes": child}


def plot_map(net: RoadNetwork, path: str | Path, title: str = "",
             max_size_in: float = 14.0) -> dict[str, int]:
    """Draw ``net`` to the PNG ``path`` (written atomically); returns feature_counts."""
    xmin, xmax = float(net.points.x.min()), float(net.points.x.max())
    ymin, ymax = float(net.points.y.min()), float(net.points.y.max())
    span_x, span_y = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    scale = max_size_in / max(span_x, span_y)
    fig, ax = plt.subplots(figsize=(max(span_x * scale, 5.0), max(span_y * scale, 4.0) + 0.6))
    ax.set_facecolor("#2e3a2f")
    draw_map(ax, net)
    ax.set_xlim(xmin - 10, xmax + 10)
    ax.set_ylim(ymin - 10, ymax + 10)
    ax.set_aspect("equal")
    ax.set_xlabel("x east [m]")
    ax.set_ylabel("y north [m]")
    counts = feature_counts(net)
    ax.set_title(f"{title}\n{counts['driving_lanes']} driving lanes "
                 f"({counts['bus_only_lanes']} bus-only), {counts['crosswalks']} crosswalks, "
                 f"{counts['signal_heads']} signal heads", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=LANE_COLOURS[LaneType.DRIVING],
                             label="driving lane"),
               plt.Rectangle((0, 0), 1, 1, color=BUS_COLOUR, label="bus-only lane"),
               plt.Rectangle((0, 0), 1, 1, color=LANE_COLOURS[LaneType.SIDEWALK],
                             label="sidewalk"),
               plt.Rectangle((0, 0), 1, 1, color=ZONE_COLOUR, alpha=0.6,
                             label="child protection zone"),
               plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#999999",
                             hatch="||", label="crosswalk"),
               plt.Line2D([], [], color="white", lw=1.2, label="stop line"),
               plt.Line2D([], [], marker="o", ls="", color="#e34a33", ms=4,
                          label="signal head")]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.85)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=150)
    plt.close(fig)
    tmp.replace(path)
    return counts
