"""Behaviour layer: Korean traffic rules and the constraints they put on the planner."""
