"""Pedestrians: a walk graph over crosswalks and junction corners, and their step."""
