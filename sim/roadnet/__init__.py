"""OpenDRIVE road network in array form, with fast Numba queries."""
