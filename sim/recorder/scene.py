"""The ``/foxglove/scene`` channel: a ``foxglove.SceneUpdate`` (JSON) of the actors as cubes.

Written every step (20 Hz, 100-200 actors), so the JSON text is not built number by number
in Python: each actor is one fixed-length row of bytes (a template with its id and colour
filled in, cached while ids and kinds stay the same) whose numbers a Numba kernel writes as
fixed-point integers right-aligned in fixed columns (JSON allows whitespace before a value,
and ``12345e-3`` is a JSON number).

Per valid actor: entity ``id`` = the actor id as 12 zero-padded digits (Foxglove replaces an
entity of the same id), one cube at the box centre (x, y to the mm, z = half the height)
turned by the yaw (quaternion about z, to 1e-3), size length x width x 1.6 m (to the cm),
coloured by kind, the ego red; ``frame_id`` "map". Despawned actors' entities are deleted
by id (``type`` 0) in the next update. Fields left out (lifetime, frame_locked, metadata,
the other primitive lists) take Foxglove's defaults (0, false, empty).
"""

from __future__ import annotations

import json

import numpy as np

from sim.recorder._kernels import write_numbers
from sim.state import WorldState

HEIGHT_M = 1.6
# colour by ActorKind: car, bus, truck, motorcycle, pedestrian, cyclist; then the ego
_COLOURS = np.frombuffer(b"".join(b'{"r":%.2f,"g":%.2f,"b":%.2f,"a":0.9}' % c for c in (
    (0.25, 0.45, 0.85), (0.10, 0.60, 0.30), (0.50, 0.40, 0.30), (0.90, 0.60, 0.10),
    (0.60, 0.20, 0.70), (0.10, 0.70, 0.70), (0.90, 0.10, 0.10))), np.uint8).reshape(7, -1)
_LUT = np.frombuffer("".join(f"{i:04d}" for i in range(10000)).encode(),
                     np.uint8).reshape(10000, 4)  # zero-padded 4-digit groups
# placeholders: T time (sec, nsec: 10 columns each), I id (12 zero-padded digits),
# X x, y [mm] (9 columns), Q quaternion z, w [1e-3] and S size [cm] (5 columns), C colour
_ROW = ('{"timestamp":{"sec":' + "T" * 10 + ',"nsec":' + "T" * 10 + '},"frame_id":"map",'
        '"id":"' + "I" * 12 + '","cubes":[{"pose":{"position":{"x":' + "X" * 9 + 'e-3,"y":'
        + "X" * 9 + f'e-3,"z":{HEIGHT_M / 2}}},"orientation":{{"x":0,"y":0,"z":' + "Q" * 5 +
        'e-3,"w":' + "Q" * 5 + 'e-3}},"size":{"x":' + "S" * 5 + 'e-2,"y":' + "S" * 5 +
        f'e-2,"z":{HEIGHT_M}}},"color":' + "C" * _COLOURS.shape[1] + "}]},").encode()
_TEMPLATE = np.frombuffer(_ROW, np.uint8)
_COLS = {c: np.flatnonzero(ord(c) == _TEMPLATE) for c in "TIXQSC"}
# first column and width of each number the kernel writes: x, y, qz, qw, length, width
_STARTS = np.array([_COLS["X"][0], _COLS["X"][9], _COLS["Q"][0], _COLS["Q"][5],
                    _COLS["S"][0], _COLS["S"][5]], dtype=np.int64)
_WIDTHS = np.array([9, 9, 5, 5, 5, 5], dtype=np.int64)

SCHEMA = json.dumps({
    "title": "foxglove.SceneUpdate", "description": "An update to the entities displayed in a "
    "3D scene (the fields kav writes; see Foxglove's schema of the same name)",
    "type": "object", "properties": {
        "deletions": {"type": "array", "items": {"type": "object", "properties": {
            "timestamp": {"$ref": "#/$defs/time"}, "type": {"type": "integer"},
            "id": {"type": "string"}}}},
        "entities": {"type": "array", "items": {"type": "object", "properties": {
            "timestamp": {"$ref": "#/$defs/time"}, "frame_id": {"type": "string"},
            "id": {"type": "string"}, "lifetime": {"$ref": "#/$defs/time"},
            "frame_locked": {"type": "boolean"}, "metadata": {"type": "array"},
            "cubes": {"type": "array", "items": {"type": "object", "properties": {
                "pose": {"type": "object", "properties": {
                    "position": {"$ref": "#/$defs/xyz"}, "orientation": {
                        "type": "object", "properties": {
                            k: {"type": "number"} for k in "xyzw"}}}},
                "size": {"$ref": "#/$defs/xyz"},
                "color": {"type": "object", "properties": {
                    k: {"type": "number"} for k in "rgba"}}}}}}}}},
    "$defs": {"time": {"type": "object", "properties": {"sec": {"type": "integer"},
                                                        "nsec": {"type": "integer"}}},
              "xyz": {"type": "object", "properties": {k: {"type": "number"} for k in "xyz"}}},
}, separators=(",", ":")).encode()


def entity_id(actor_id: int) -> str:
    """The scene entity id of an actor."""
    return f"{max(int(actor_id), 0) % 10**12:012d}"


class SceneBuilder:
    """Builds the SceneUpdate of each state in turn; remembers what stays the same from one
    step to the next (the rows' ids and colours) and which actors the last update showed
    (their entities are deleted once they are gone)."""

    def __init__(self, ego_row: int = 0) -> None:
        self.ego_row = int(ego_row)
        self._key: tuple[np.ndarray, np.ndarray] | None = None
        self._base = _TEMPLATE[None, :]  # (n, row) template per row: id and colour set
        self._shown = np.zeros(0, dtype=np.int64)  # actor ids in the last update

    def _rows_template(self, state: WorldState) -> np.ndarray:
        key = self._key
        if key is None or not (np.array_equal(key[0], state.actor_id)
                               and np.array_equal(key[1], state.kind)):
            n = state.n_actors
            base = np.tile(_TEMPLATE, (n, 1))
            ids = np.clip(state.actor_id.astype(np.int64), 0, None) % 10**12
            base[:, _COLS["I"]] = _LUT[np.stack(
                [ids // 10**8, ids // 10**4 % 10**4, ids % 10**4], 1)].reshape(n, -1)
            kind = np.clip(state.kind.astype(np.int64), 0, 5)
            if 0 <= self.ego_row < n:
                kind[self.ego_row] = 6
            base[:, _COLS["C"]] = _COLOURS[kind]
            self._key, self._base = (state.actor_id.copy(), state.kind.copy()), base
        return self._base

    def update(self, state: WorldState) -> bytes:
        """The SceneUpdate for ``state`` as JSON bytes (actors whose pose is not finite are
        left out)."""
        ok = state.valid & np.isfinite(state.x) & np.isfinite(state.y) & np.isfinite(state.yaw)
        rows = np.flatnonzero(ok)
        sec, nsec = divmod(int(state.time_us) * 1000, 1_000_000_000)
        shown = state.actor_id[rows].astype(np.int64)
        dels = ""
        if not np.array_equal(shown, self._shown):
            dels = ",".join(f'{{"timestamp":{{"sec":{sec},"nsec":{nsec}}},"type":0,'
                            f'"id":"{entity_id(i)}"}}'
                            for i in np.setdiff1d(self._shown, shown).tolist())
            self._shown = shown
        head = f'{{"deletions":[{dels}],"entities":['.encode()
        if rows.size == 0:
            return head + b"]}"
        out = self._rows_template(state)[rows]
        write_numbers(out, rows, state.x, state.y, state.yaw, state.length, state.width,
                       _STARTS, _WIDTHS)
        t_sec = min(max(sec, -(10**9) + 1), 10**10 - 1)  # 10 columns: 317 years of sim time
        out[:, _COLS["T"]] = np.frombuffer(b"%10d%10d" % (t_sec, nsec), np.uint8)
        body = out.tobytes()
        return head + body[:-1] + b"]}"  # the last row's trailing comma closes the list


def scene_update(state: WorldState, ego_row: int = 0) -> bytes:
    """One SceneUpdate on its own (no deletions): see :class:`SceneBuilder`."""
    return SceneBuilder(ego_row).update(state)
