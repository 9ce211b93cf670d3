"""Simulation engines: the Engine contract, the embedded Numba engine, the CARLA client."""
