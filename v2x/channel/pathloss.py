"""Sidelink path loss of 3GPP TR 37.885 (V15.3.0) §6.2.1, Table 6.2.1-1, in NumPy.

These functions document the model and are what the tests check against; the Numba kernels
of :mod:`v2x.channel._kernels` evaluate the same formulas link by link. Every function takes
scalars or arrays (broadcast) and returns float64.

Units: distance ``d_m`` [m] between the antennas (3-D; the caller decides), carrier
frequency ``f_ghz`` [GHz], losses and standard deviations [dB].

Distances below :data:`MIN_DISTANCE_M` are clamped to it: the formulas are fitted for
``d >= 3 m`` and diverge at 0 (the same clamp TR 36.885 and the Sepulcre et al. 802.11p model
use).
"""

from __future__ import annotations

import numpy as np

FREQ_GHZ = 5.9  # ITS band centre: WAVE 5.895-5.925 GHz, LTE-V2X 5.855-5.875 GHz in Korea
MIN_DISTANCE_M = 3.0

# shadow-fading standard deviations [dB], TR 37.885 Table 6.2.1-1: LOS 3 dB (highway and
# urban), NLOS 4 dB; NLOSv is listed with 4 dB as well (on top of the blockage loss's own
# spread below)
SIGMA_LOS_DB = 3.0
SIGMA_NLOSV_DB = 4.0
SIGMA_NLOS_DB = 4.0

# NLOSv blockage loss, TR 37.885 §6.2.1: mu = base + max(0, 15 log10 d - 41) [dB], with the
# base and sigma set by how many antennas sit below the blocking vehicle's roof
BLOCKAGE_BASE_DB = (0.0, 5.0, 9.0)  # index: antennas below the blocker (0, 1, 2)
BLOCKAGE_SIGMA_DB = (0.0, 4.0, 4.5)

# heights [m]: blocking vehicles (TR 37.885: car 1.6 m, truck/bus 3 m) and typical antennas
BLOCKER_HEIGHT_M = {"car": 1.6, "truck": 3.0, "bus": 3.0}
ANTENNA_HEIGHT_M = {"car": 1.5, "rsu": 5.0}


def _d(d_m):
    return np.maximum(np.asarray(d_m, dtype=np.float64), MIN_DISTANCE_M)


def highway_los_db(d_m, f_ghz=FREQ_GHZ):
    """Highway LOS: 32.4 + 20 log10 d + 20 log10 f (free space at 1 m reference)."""
    return 32.4 + 20.0 * np.log10(_d(d_m)) + 20.0 * np.log10(f_ghz)


def urban_los_db(d_m, f_ghz=FREQ_GHZ):
    """Urban LOS: 38.77 + 16.7 log10 d + 18.2 log10 f (86.2 dB at 100 m, 5.9 GHz)."""
    return 38.77 + 16.7 * np.log10(_d(d_m)) + 18.2 * np.log10(f_ghz)


def urban_nlos_db(d_m, f_ghz=FREQ_GHZ):
    """Urban NLOS (building blockage): 36.85 + 30 log10 d + 18.9 log10 f (111.4 dB at 100 m)."""
    return 36.85 + 30.0 * np.log10(_d(d_m)) + 18.9 * np.log10(f_ghz)


def los_db(d_m, environment: str = "urban", f_ghz=FREQ_GHZ):
    """The LOS formula of ``environment`` ("urban" or "highway")."""
    if environment == "highway":
        return highway_los_db(d_m, f_ghz)
    if environment == "urban":
        return urban_los_db(d_m, f_ghz)
    raise ValueError(f"environment must be 'urban' or 'highway', not {environment!r}")


def antennas_below(h_tx_m, h_rx_m, blocker_h_m):
    """How many of the two antennas [m] are strictly below the blocker's height [m] (0-2)."""
    return (np.asarray(h_tx_m) < blocker_h_m).astype(np.int64) + (
        np.asarray(h_rx_m) < blocker_h_m).astype(np.int64)


def blockage_params_db(d_m, n_below):
    """(mu, sigma) [dB] of the NLOSv blockage loss for ``n_below`` antennas under the blocker.

    mu = 9 + max(0, 15 log10 d - 41), sigma 4.5 dB with both antennas below; 5 + ..., 4.0 dB
    with one above; 0, 0 with both above (no extra loss).
    """
    n_below = np.asarray(n_below, dtype=np.int64)
    base = np.asarray(BLOCKAGE_BASE_DB)[n_below]
    sigma = np.asarray(BLOCKAGE_SIGMA_DB)[n_below]
    extra = np.maximum(0.0, 15.0 * np.log10(_d(d_m)) - 41.0)
    mu = np.where(n_below > 0, base + extra, 0.0)
    return mu, sigma


def nlosv_db(d_m, n_below, z, environment: str = "urban", f_ghz=FREQ_GHZ):
    """NLOSv loss: LOS loss + max(0, mu + sigma z), z a standard normal draw (the blockage
    loss is log-normal, i.e. normal in dB, cut at 0)."""
    mu, sigma = blockage_params_db(d_m, n_below)
    return los_db(d_m, environment, f_ghz) + np.maximum(0.0, mu + sigma * np.asarray(z))


def p_los_urban(d_m):
    """TR 37.885 urban LOS probability (LOS vs NLOSv): min(1, 1.05 exp(-0.0114 d))."""
    return np.minimum(1.0, 1.05 * np.exp(-0.0114 * np.asarray(d_m, dtype=np.float64)))


def p_los_highway(d_m):
    """TR 37.885 highway LOS probability: min(1, 2.1013e-6 d^2 - 0.002 d + 1.0193) for
    d <= 475 m, else max(0, 0.54 - 0.001 (d - 475))."""
    d = np.asarray(d_m, dtype=np.float64)
    near = np.minimum(1.0, 2.1013e-6 * d * d - 0.002 * d + 1.0193)
    far = np.maximum(0.0, 0.54 - 0.001 * (d - 475.0))
    return np.where(d <= 475.0, near, far)


def p_los(d_m, environment: str = "urban"):
    """LOS probability of ``environment``."""
    if environment == "highway":
        return p_los_highway(d_m)
    if environment == "urban":
        return p_los_urban(d_m)
    raise ValueError(f"environment must be 'urban' or 'highway', not {environment!r}")
