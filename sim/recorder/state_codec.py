"""World states as exact bytes for the ``/kav/state`` channel, and back, bit for bit.

Layout (little-endian): ``time_us`` int64, ``n_actors`` int32, ``max_route`` int32, then
every array of :class:`~sim.state.WorldState` in :data:`LAYOUT` order as raw C-order bytes
of the listed dtype, shape (n,) or (n, max_route). :data:`SCHEMA` states the same layout as
JSON for readers in other languages.
"""

from __future__ import annotations

import dataclasses
import json
import struct

import numpy as np

from sim.state import AgentMemory, AgentParams, WorldState

_HEAD = struct.Struct("<qii")


def _layout() -> tuple[tuple[str, str, str], ...]:
    """(dotted field, dtype str, shape 'n' | 'n,route') for every array, in order."""
    out = []
    for f in dataclasses.fields(WorldState):
        if f.name in ("time_us", "params", "memory"):
            continue
        out.append((f.name, "", "n"))
    for part, cls in (("params", AgentParams), ("memory", AgentMemory)):
        for f in dataclasses.fields(cls):
            out.append((f"{part}.{f.name}", "", "n,route" if f.name == "route" else "n"))
    return tuple(out)


_FIELDS = _layout()
_DTYPES = {
    "valid": "|b1", "actor_id": "<i4", "kind": "|i1", "lane": "<i4",
    "memory.route": "<i4", "memory.route_pos": "<i4", "memory.roam": "|b1",
    "memory.stopped_since_us": "<i8", "memory.last_lane_change_us": "<i8",
    "memory.stop_done_lane": "<i4",
}
LAYOUT = tuple((name, _DTYPES.get(name, "<f8"), shape) for name, _, shape in _FIELDS)
SCHEMA = json.dumps({"title": "kav.WorldState", "encoding": "kav.state.v1",
                     "header": ["time_us:<i8", "n_actors:<i4", "max_route:<i4"],
                     "arrays": [{"name": n, "dtype": d, "shape": s} for n, d, s in LAYOUT]},
                    separators=(",", ":")).encode()


def _get(state: WorldState, name: str) -> np.ndarray:
    obj = state
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def encode_state(state: WorldState) -> bytes:
    n, r = state.n_actors, state.max_route
    parts = [_HEAD.pack(int(state.time_us), n, r)]
    for name, dtype, _ in LAYOUT:
        parts.append(np.ascontiguousarray(_get(state, name), dtype=np.dtype(dtype)).tobytes())
    return b"".join(parts)


def decode_state(data: bytes) -> WorldState:
    """Raises ValueError when ``data`` is not a whole state of this layout."""
    if len(data) < _HEAD.size:
        raise ValueError(f"state record of {len(data)} bytes is shorter than its header")
    time_us, n, r = _HEAD.unpack_from(data, 0)
    if n < 0 or r < 1:
        raise ValueError(f"state record header says {n} actors, route length {r}")
    pos, arrays = _HEAD.size, {}
    for name, dtype, shape in LAYOUT:
        dt = np.dtype(dtype)
        shp = (n, r) if shape == "n,route" else (n,)
        size = dt.itemsize * int(np.prod(shp))
        if pos + size > len(data):
            raise ValueError(f"state record ends inside {name}")
        arrays[name] = np.frombuffer(data, dt, count=int(np.prod(shp)), offset=pos) \
            .reshape(shp).astype(dt.newbyteorder("="), copy=True)
        pos += size
    if pos != len(data):
        raise ValueError(f"state record has {len(data) - pos} bytes after its last array")
    top = {k: v for k, v in arrays.items() if "." not in k}
    params = AgentParams(**{k[7:]: v for k, v in arrays.items() if k.startswith("params.")})
    memory = AgentMemory(**{k[7:]: v for k, v in arrays.items() if k.startswith("memory.")})
    return WorldState(time_us=int(time_us), params=params, memory=memory, **top)
