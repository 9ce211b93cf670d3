"""The seeded random-number tree every random draw in a run comes from.

A run is a pure function of (scenario, map, parameters, seed, code version): each consumer
asks the tree for a named child and each step for its own generator, so a draw never
depends on how many draws another part made before it. Names hash with SHA-256, not
Python's salted ``hash``, so the tree is identical in every process.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


class RngTree:
    """A node of the seed tree: ``RngTree(seed).child("traffic").generator(step)``."""

    __slots__ = ("seed", "path")

    def __init__(self, seed: int, path: tuple[int, ...] = ()):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.path = tuple(path)

    def child(self, name: str) -> RngTree:
        """The sub-tree for one consumer, e.g. ``"traffic"`` or ``"spawn"``."""
        return RngTree(self.seed, self.path + (_name_key(name),))

    def generator(self, *index: int) -> np.random.Generator:
        """A fresh generator for this node and an optional index (e.g. the step number)."""
        seq = np.random.SeedSequence(self.seed, spawn_key=self.path + tuple(int(i) for i in index))
        return np.random.Generator(np.random.PCG64(seq))

    def __repr__(self) -> str:
        return f"RngTree(seed={self.seed}, path={self.path})"
