"""Oriented-box collision detection between actors."""

from sim.collision.detect import CollisionPairs, detect_collisions

__all__ = ["CollisionPairs", "detect_collisions"]
