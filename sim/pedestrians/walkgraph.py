"""The pedestrian walk graph: crosswalk ends joined across crosswalks and around corners.

Nodes are the two kerb-side ends of every crosswalk. Crossing edges join the two ends of one
crosswalk (both directions); corner edges join ends of different crosswalks that stand on
the same corner: closer than ``corner_max`` and with no driving lane and no other crossing
between them. Pedestrians walk the graph; that is how they "cross at crosswalks".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.roadnet.network import RoadNetwork
from sim.roadnet.queries import lane_width_at, locate


@dataclass(frozen=True)
class WalkGraph:
    """Directed edges (n_edges,): src, dst int32 nodes; x0, y0, x1, y1, length [m];
    cw int32 crosswalk crossed (-1 for a corner edge); rev int32 reverse edge.
    out_ptr (n_nodes+1,) / out int32: CSR of edges leaving each node."""

    node_x: np.ndarray
    node_y: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    length: np.ndarray
    cw: np.ndarray
    rev: np.ndarray
    out_ptr: np.ndarray
    out: np.ndarray

    @property
    def n_edges(self) -> int:
        return int(self.src.shape[0])


def _segments_cross(p, q, a, b) -> bool:
    def orient(o, u, v):
        return (u[0] - o[0]) * (v[1] - o[1]) - (u[1] - o[1]) * (v[0] - o[0])

    d1, d2 = orient(a, b, p), orient(a, b, q)
    d3, d4 = orient(p, q, a), orient(p, q, b)
    return d1 * d2 < 0 and d3 * d4 < 0


def _off_carriageway(net: RoadNetwork, pa, pb, step: float = 2.0) -> bool:
    """Whether the straight path pa -> pb keeps off every driving lane (sampled every
    ``step`` m, ends excluded)."""
    n = max(int(np.hypot(*(pb - pa)) / step), 3)
    t = np.linspace(0.0, 1.0, n + 2)[1:-1]
    sx, sy = pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])
    loc = locate(net, sx, sy, max_dist=10.0)
    on = loc.lane >= 0
    hw = 0.5 * lane_width_at(net, loc.lane[on], loc.s[on])
    return not np.any(np.abs(loc.d[on]) < hw + 0.5)


def build_walk_graph(net: RoadNetwork, corner_max: float = 35.0,
                     pavement_max: float = 250.0) -> WalkGraph:
    """Build the walk graph of ``net`` (deterministic: edges sorted by construction).

    Ends left without a corner edge (a mid-block crosswalk) get one pavement edge to the
    nearest crosswalk end reachable without crossing a carriageway, so nobody is trapped
    walking back and forth over one crosswalk (and blocking it for good)."""
    cws = net.crosswalks
    nodes = np.stack([cws.end_x.reshape(-1), cws.end_y.reshape(-1)], axis=1) if cws.n else (
        np.zeros((0, 2)))
    edges: list[tuple[int, int, int]] = []  # (src, dst, crosswalk or -1)
    for c in range(cws.n):
        edges.append((2 * c, 2 * c + 1, c))
        edges.append((2 * c + 1, 2 * c, c))
    axes = [(nodes[2 * c], nodes[2 * c + 1]) for c in range(cws.n)]
    for a in range(len(nodes)):
        for b in range(a + 1, len(nodes)):
            if a // 2 == b // 2:
                continue
            pa, pb = nodes[a], nodes[b]
            if np.hypot(*(pb - pa)) > corner_max:
                continue
            if any(_segments_cross(pa, pb, p, q) for c, (p, q) in enumerate(axes)
                   if c not in (a // 2, b // 2)):
                continue
            if not _off_carriageway(net, pa, pb):
                continue  # the straight path would cross a carriageway
            edges.append((a, b, -1))
            edges.append((b, a, -1))
    linked = {e[0] for e in edges if e[2] < 0}
    for a in range(len(nodes)):
        if a in linked:
            continue
        dist = np.hypot(nodes[:, 0] - nodes[a, 0], nodes[:, 1] - nodes[a, 1])
        for b in np.argsort(dist, kind="stable"):
            b = int(b)
            if b // 2 == a // 2 or dist[b] > pavement_max:
                continue
            if _off_carriageway(net, nodes[a], nodes[b]) and (a, b, -1) not in edges:
                edges.append((a, b, -1))
                edges.append((b, a, -1))
                break
    edges.sort()
    src = np.asarray([e[0] for e in edges], np.int32)
    dst = np.asarray([e[1] for e in edges], np.int32)
    cw = np.asarray([e[2] for e in edges], np.int32)
    index = {(e[0], e[1]): k for k, e in enumerate(edges)}
    rev = np.asarray([index[(e[1], e[0])] for e in edges], np.int32)
    out_ptr = np.zeros(len(nodes) + 1, np.int32)
    np.add.at(out_ptr, src + 1, 1)
    out_ptr = np.cumsum(out_ptr).astype(np.int32)
    x0, y0 = nodes[src, 0] if len(src) else np.zeros(0), nodes[src, 1] if len(src) else np.zeros(0)
    x1, y1 = nodes[dst, 0] if len(dst) else np.zeros(0), nodes[dst, 1] if len(dst) else np.zeros(0)
    return WalkGraph(
        node_x=nodes[:, 0].copy(), node_y=nodes[:, 1].copy(), src=src, dst=dst,
        x0=np.asarray(x0, float), y0=np.asarray(y0, float), x1=np.asarray(x1, float),
        y1=np.asarray(y1, float), length=np.hypot(np.asarray(x1) - x0, np.asarray(y1) - y0),
        cw=cw, rev=rev, out_ptr=out_ptr, out=np.arange(len(edges), dtype=np.int32),
    )
