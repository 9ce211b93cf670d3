"""Numba kernels of the fast CAM codec: SI <-> wire field vector W <-> UPER bits.

Plain references: :mod:`v2x.codec._reference` (SI <-> W) and the pycrate codec
:mod:`v2x.codec.cam_asn1` (W <-> bytes); ``tests/v2x/test_cam_fast.py`` compares them. The
tables below repeat the reference's numbers on purpose: Numba freezes globals into its cache,
which is only invalidated when *this* file changes, so they must live here (a test checks
that they equal the reference).

Layouts: W is (W_SIZE,) int64, see ``_reference.W_*``. The SI vector x / f is float64 with
NaN for None: the 28 scalar CAM fields in dataclass order, then, with a low-frequency
container, vehicle role, exterior lights and 4 values per path point.
"""

from __future__ import annotations

from sim._numba_env import configure_numba_cache

configure_numba_cache()  # before numba is imported, as ``sim`` does

import math  # noqa: E402

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

N_SCALARS = 28  # scalar CAM fields
W_PATH = 34
MAX_PATH_POINTS = 40
W_SIZE = W_PATH + 4 * MAX_PATH_POINTS
F_SIZE = N_SCALARS + 2 + 4 * MAX_PATH_POINTS
MAX_BYTES = 400  # largest CAM: 391 bytes (40 path points, every option)
MALFORMED = 1000  # decode status: -(MALFORMED + detail) or -(UNSUPPORTED + detail)
UNSUPPORTED = 2000
# details past the W indices
D_TRUNCATED, D_TRAILING, D_NOT_CAM, D_VERSION, D_EXTENSION = 900, 901, 902, 903, 904
D_SPECIAL_VEHICLE, D_HF_OPTION, D_PROTECTED_ZONES, D_STATION_TYPE, D_CONTAINER = (
    905, 906, 907, 908, 909)

_NOC = -(1 << 40)  # "no such code" in the spec table
_ERR = -(1 << 50)  # quantiser result: the wire cannot carry the value
_H = 1800.0 / math.pi
_YAW = 18000.0 / math.pi
# rows in CAM field order: W index, kind (0 int, 1 enum, 2 round, 3 ceil, 4 level), scale or
# level table, lo, hi, unavailable, below-range, above-range code
_SPEC = np.array([
    (0, 0, 0, 0, 4294967295, _NOC, _NOC, _NOC),  # station_id
    (1, 0, 0, 0, 65535, _NOC, _NOC, _NOC),  # generation_delta_time_ms
    (2, 1, 0, 0, 255, _NOC, _NOC, _NOC),  # station_type (members checked apart)
    (3, 2, 1e7, -900000000, 900000000, 900000001, _NOC, _NOC),  # latitude_deg
    (4, 2, 1e7, -1800000000, 1800000000, 1800000001, _NOC, _NOC),  # longitude_deg
    (10, 2, _H, 0, 3600, 3601, _NOC, _NOC),  # heading_rad
    (12, 2, 100.0, 0, 16382, 16383, _NOC, _NOC),  # speed_mps
    (14, 1, 0, 0, 2, 2, _NOC, _NOC),  # drive_direction
    (18, 2, 10.0, -160, 160, 161, _NOC, _NOC),  # longitudinal_acceleration_mps2
    (23, 2, _YAW, -32765, 32765, 32767, -32766, 32766),  # yaw_rate_radps
    (20, 2, 10000.0, -1022, 1021, 1023, -1023, 1022),  # curvature_per_m
    (22, 1, 0, 0, 2, 2, _NOC, _NOC),  # curvature_calculation_mode
    (28, 2, 10.0, -160, 160, 161, _NOC, _NOC),  # lateral_acceleration_mps2
    (26, 0, 0, -1, 14, _NOC, _NOC, _NOC),  # lane_position
    (15, 2, 10.0, 1, 1021, 1023, _NOC, 1022),  # vehicle_length_m
    (16, 1, 0, 0, 4, 4, _NOC, _NOC),  # vehicle_length_confidence_indication
    (17, 2, 10.0, 1, 60, 62, _NOC, 61),  # vehicle_width_m
    (8, 2, 100.0, -100000, 800000, 800001, _NOC, _NOC),  # altitude_m
    (5, 3, 100.0, 0, 4093, 4095, _NOC, 4094),  # position_semi_major_m
    (6, 3, 100.0, 0, 4093, 4095, _NOC, 4094),  # position_semi_minor_m
    (7, 2, _H, 0, 3600, 3601, _NOC, _NOC),  # position_semi_major_orientation_rad
    (9, 4, 0, 0, 13, 15, _NOC, 14),  # altitude_confidence_m
    (11, 3, _H, 1, 125, 127, _NOC, 126),  # heading_confidence_rad
    (13, 3, 100.0, 1, 125, 127, _NOC, 126),  # speed_confidence_mps
    (19, 3, 10.0, 0, 100, 102, _NOC, 101),  # longitudinal_acceleration_confidence_mps2
    (24, 4, 1, 0, 6, 8, _NOC, 7),  # yaw_rate_confidence_radps
    (21, 4, 2, 0, 5, 7, _NOC, 6),  # curvature_confidence_per_m
    (29, 3, 10.0, 0, 100, 102, _NOC, 101),  # lateral_acceleration_confidence_mps2
], dtype=np.float64)
_PATH_SPEC = np.array([
    (0, 2, 1e7, -131071, 131071, 131072, _NOC, _NOC),  # delta_latitude_deg
    (1, 2, 1e7, -131071, 131071, 131072, _NOC, _NOC),  # delta_longitude_deg
    (2, 2, 100.0, -12700, 12799, 12800, _NOC, _NOC),  # delta_altitude_m
    (3, 2, 100.0, 1, 65535, _NOC, _NOC, _NOC),  # delta_time_s (None: absent)
], dtype=np.float64)
_VEHICLE = np.array([5 <= i <= 16 or i >= 22 for i in range(N_SCALARS)])
_LEVELS = np.full((3, 14), np.inf)
_LEVELS[0, :14] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
                   200.0)
_LEVELS[1, :7] = [math.radians(d) for d in (0.01, 0.05, 0.1, 1.0, 5.0, 10.0, 100.0)]
_LEVELS[2, :6] = (0.00002, 0.0001, 0.0005, 0.002, 0.01, 0.1)
_THRESH = _LEVELS * (1.0 + 1e-9)
# wire ranges of W[0:34] and of a path point
_W_LO = np.array([0, 0, 0, -900000000, -1800000000, 0, 0, 0, -100000, 0, 0, 1, 0, 1, 0, 1, 0,
                  1, -160, 0, -1023, 0, 0, -32766, 0, 0, -1, 0, -160, 0, 0, 0, 0, 0], np.int64)
_W_HI = np.array([4294967295, 65535, 255, 900000001, 1800000001, 4095, 4095, 3601, 800001, 15,
                  3601, 127, 16383, 127, 2, 1023, 4, 62, 161, 102, 1023, 7, 2, 32767, 8, 1, 14,
                  1, 161, 102, 1, 15, 255, 40], np.int64)
_P_LO = np.array([-131071, -131071, -12700, 0], np.int64)
_P_HI = np.array([131072, 131072, 12800, 65535], np.int64)
# unavailable codes of the vehicle fields W[10:25] (an RSU's W holds these)
_RSU_FILL = np.array([3601, 127, 16383, 127, 2, 1023, 4, 62, 161, 102, 1023, 7, 2, 32767, 8],
                     np.int64)


@nb.njit(cache=True)
def _station_ok(st):
    return 0 <= st <= 11 or st == 15


@nb.njit(cache=True)
def _quant(v, row):
    """SI value (NaN = None) -> wire code per spec ``row``, or _ERR."""
    kind, scale, lo, hi = int(row[1]), row[2], row[3], row[4]
    unav, below, above = np.int64(row[5]), np.int64(row[6]), np.int64(row[7])
    if v != v:
        return _ERR if (kind <= 1 or unav == _NOC) else unav
    if kind <= 1:
        if not (lo <= v <= hi) or v != math.floor(v):
            return _ERR
        return np.int64(v)
    if kind == 2:
        t = v * scale + 0.5
        if t >= hi + 1.0:
            return above if above != _NOC else _ERR
        if t < lo:
            return below if below != _NOC else _ERR
        return np.int64(math.floor(t))
    if not v >= 0.0:
        return _ERR
    if kind == 3:
        c = v * scale - 1e-6
        if c > hi:
            return above
        r = np.int64(math.ceil(c))
        return r if r > lo else np.int64(lo)
    lvl = int(scale)
    for i in range(int(hi) + 1):
        if v <= _THRESH[lvl, i]:
            return np.int64(i)
    return above


@nb.njit(cache=True)
def _dequant(code, row):
    """Wire code -> SI value (NaN = None) per spec ``row``."""
    kind = int(row[1])
    if kind <= 1:
        return float(code)
    if code == np.int64(row[5]):
        return np.nan
    if code == np.int64(row[7]):
        return np.inf
    if code == np.int64(row[6]):
        return -np.inf
    if kind == 4:
        return _LEVELS[int(row[2]), code]
    return code / row[2]


@nb.njit(cache=True)
def quantise(x, w):
    """x: (28,) or (30 + 4 n,) SI floats -> w (W_SIZE,) int64. Returns -1, or the index in x
    of the first value the wire cannot carry."""
    w[:] = 0
    st = _quant(x[2], _SPEC[2])
    if st == _ERR or not _station_ok(st):
        return 2
    rsu = st == 15
    for i in range(N_SCALARS):
        row = _SPEC[i]
        wi = int(row[0])
        v = x[i]
        if rsu and _VEHICLE[i]:
            if not (v == row[5] if row[1] == 1 else v != v):
                return i
            w[wi] = 0 if (i == 12 or i == 13 or i == 27) else np.int64(row[5])
        elif i == 13:  # lane position: optional
            if v == v:
                c = _quant(v, row)
                if c == _ERR:
                    return i
                w[25] = 1
                w[wi] = c
        else:
            c = _quant(v, row)
            if c == _ERR:
                return i
            w[wi] = c
    if not rsu and (w[28] != 161 or w[29] != 102):
        w[27] = 1
    else:
        w[28] = 0
        w[29] = 0
    n = x.shape[0]
    if n > N_SCALARS:
        w[30] = 1
        c = _quant(x[28], _SPEC[1])  # vehicle role: an integer ...
        if c == _ERR or c > 15:  # ... in 0..15
            return 28
        w[31] = c
        c = _quant(x[29], _SPEC[1])
        if c == _ERR or c > 255:
            return 29
        w[32] = c
        npts = (n - 30) // 4
        w[33] = npts
        for k in range(npts):
            for j in range(4):
                v = x[30 + 4 * k + j]
                if j == 3 and v != v:
                    continue  # no delta time: stays 0
                c = _quant(v, _PATH_SPEC[j])
                if c == _ERR:
                    return 30 + 4 * k + j
                w[W_PATH + 4 * k + j] = c
    return -1


@nb.njit(cache=True)
def dequantise(w, f):
    """w (W_SIZE,) valid wire fields -> f SI floats (NaN = None). Returns the count written:
    28, or 30 + 4 n with a low-frequency container."""
    rsu = w[2] == 15
    for i in range(N_SCALARS):
        row = _SPEC[i]
        if rsu and _VEHICLE[i]:
            f[i] = row[5] if row[1] == 1 else np.nan
        elif i == 13:
            f[i] = float(w[26]) if w[25] else np.nan
        elif (i == 12 or i == 27) and not w[27]:
            f[i] = np.nan
        else:
            f[i] = _dequant(w[int(row[0])], row)
    if not w[30]:
        return N_SCALARS
    f[28] = float(w[31])
    f[29] = float(w[32])
    npts = w[33]
    for k in range(npts):
        for j in range(4):
            c = w[W_PATH + 4 * k + j]
            f[30 + 4 * k + j] = np.nan if (j == 3 and c == 0) else _dequant(c, _PATH_SPEC[j])
    return 30 + 4 * npts


@nb.njit(cache=True)
def check(w):
    """-1, or the W index of the first value outside its wire range (path point fields:
    W_PATH + 4 k + j). Fields of absent parts, and an RSU's vehicle fields, are not read."""
    rsu = w[2] == 15
    for i in range(W_PATH):
        if (rsu and 10 <= i <= 29) or (i == 26 and w[25] == 0):
            continue
        if (i == 28 or i == 29) and w[27] == 0:
            continue
        if i >= 31 and w[30] == 0:
            continue
        if not (_W_LO[i] <= w[i] <= _W_HI[i]):
            return i
    if not _station_ok(w[2]):
        return 2
    if w[30]:
        for k in range(w[33]):
            for j in range(4):
                v = w[W_PATH + 4 * k + j]
                if not (_P_LO[j] <= v <= _P_HI[j]):
                    return W_PATH + 4 * k + j
    return -1



# ---- UPER bits ------------------------------------------------------------------------------
@nb.njit(cache=True)
def _put(buf, pos, v, n):
    """Write the n low bits of v >= 0 MSB first at bit ``pos``; returns the new position.
    Bytes are written in order, so a byte's first write assigns it (no zeroing needed)."""
    while n > 0:
        i = pos >> 3
        free = 8 - (pos & 7)
        take = free if free < n else n
        n -= take
        bits = ((v >> n) & ((1 << take) - 1)) << (free - take)
        if free == 8:
            buf[i] = bits
        else:
            buf[i] |= bits
        pos += take
    return pos


@nb.njit(cache=True)
def _get(buf, pos, n):
    """Read n <= 64 bits MSB first at bit ``pos``; bits past the end of buf read as 0 (the
    caller checks the length at the end)."""
    v = np.int64(0)
    nbytes = buf.shape[0]
    while n > 0:
        i = pos >> 3
        avail = 8 - (pos & 7)
        take = avail if avail < n else n
        byte = np.int64(buf[i]) if i < nbytes else np.int64(0)
        v = (v << take) | ((byte >> (avail - take)) & ((1 << take) - 1))
        pos += take
        n -= take
    return v


@nb.njit(cache=True)
def _rev8(v):
    """ExteriorLights flags (bit n = named bit n) <-> the BIT STRING's first-bit-first byte."""
    r = 0
    for i in range(8):
        r |= ((v >> i) & 1) << (7 - i)
    return r


@nb.njit(cache=True)
def pack(w, out):
    """Valid (see :func:`check`) wire fields w -> UPER CAM in out[:n]; returns n. out: uint8
    with at least MAX_BYTES."""
    p = _put(out, 0, 2, 8)  # protocolVersion
    p = _put(out, p, 2, 8)  # messageID: cam
    p = _put(out, p, w[0], 32)
    p = _put(out, p, w[1], 16)
    p = _put(out, p, 2 * w[30], 3)  # CamParameters: extension bit, LF and special present
    p = _put(out, p, w[2], 9)  # BasicContainer extension bit, stationType
    p = _put(out, p, w[3] + 900000000, 31)
    p = _put(out, p, w[4] + 1800000000, 32)
    p = _put(out, p, w[5], 12)
    p = _put(out, p, w[6], 12)
    p = _put(out, p, w[7], 12)
    p = _put(out, p, w[8] + 100000, 20)
    p = _put(out, p, w[9], 4)
    if w[2] == 15:
        p = _put(out, p, 0b0100, 4)  # choice extension bit, rsu (1), its extension bit, no zones
    else:
        p = _put(out, p, 0, 2)  # choice extension bit, basicVehicle (0)
        p = _put(out, p, (w[25] << 5) | (w[27] << 3), 7)  # optional lane, lateral
        p = _put(out, p, w[10], 12)
        p = _put(out, p, w[11] - 1, 7)
        p = _put(out, p, w[12], 14)
        p = _put(out, p, w[13] - 1, 7)
        p = _put(out, p, w[14], 2)
        p = _put(out, p, w[15] - 1, 10)
        p = _put(out, p, w[16], 3)
        p = _put(out, p, w[17] - 1, 6)
        p = _put(out, p, w[18] + 160, 9)
        p = _put(out, p, w[19], 7)
        p = _put(out, p, w[20] + 1023, 11)
        p = _put(out, p, w[21], 3)
        p = _put(out, p, w[22], 3)  # extension bit 0, then the root index
        p = _put(out, p, w[23] + 32766, 16)
        p = _put(out, p, w[24], 4)
        if w[25]:
            p = _put(out, p, w[26] + 1, 4)
        if w[27]:
            p = _put(out, p, w[28] + 160, 9)
            p = _put(out, p, w[29], 7)
    if w[30]:
        p = _put(out, p, w[31], 5)  # choice extension bit (single alternative: no index)
        p = _put(out, p, _rev8(w[32]), 8)
        p = _put(out, p, w[33], 6)
        for k in range(w[33]):
            q = W_PATH + 4 * k
            dt = w[q + 3]
            p = _put(out, p, 1 if dt else 0, 1)
            p = _put(out, p, w[q] + 131071, 18)
            p = _put(out, p, w[q + 1] + 131071, 18)
            p = _put(out, p, w[q + 2] + 12700, 15)
            if dt:
                p = _put(out, p, dt - 1, 17)  # extension bit 0, then the root value
    return (p + 7) >> 3


@nb.njit(cache=True)
def _fail(p, nbits, reason, detail):
    """Error status; running past the end first makes any input malformed (as in pycrate)."""
    if p > nbits:
        return -(MALFORMED + D_TRUNCATED)
    return -(reason + detail)


@nb.njit(cache=True)
def unpack(buf, w):
    """UPER bytes -> wire fields w. Returns 0, -(MALFORMED + d) for bytes that are no valid
    encoding, -(UNSUPPORTED + d) for a valid one the CAM dataclass cannot represent."""
    nbits = buf.shape[0] * 8
    if nbits < 16:
        return -(MALFORMED + D_TRUNCATED)
    if buf[1] != 2:
        return -(UNSUPPORTED + D_NOT_CAM)
    if buf[0] != 2:
        return -(UNSUPPORTED + D_VERSION)
    w[:] = 0
    w[0] = _get(buf, 16, 32)
    w[1] = _get(buf, 48, 16)
    head = _get(buf, 64, 4)  # extension bit, LF present, special present, extension bit
    p = 68
    if head & 0b1001:
        return _fail(p, nbits, UNSUPPORTED, D_EXTENSION)
    w[30] = (head >> 2) & 1
    special = (head >> 1) & 1
    w[2] = _get(buf, p, 8)
    v = _get(buf, p + 8, 31)
    if v > 1800000001:
        return -(MALFORMED + 3)
    w[3] = v - 900000000
    v = _get(buf, p + 39, 32)
    if v > 3600000001:
        return -(MALFORMED + 4)
    w[4] = v - 1800000000
    w[5] = _get(buf, p + 71, 12)
    w[6] = _get(buf, p + 83, 12)
    w[7] = _get(buf, p + 95, 12)
    if w[7] > 3601:
        return -(MALFORMED + 7)
    v = _get(buf, p + 107, 20)
    if v > 900001:
        return -(MALFORMED + 8)
    w[8] = v - 100000
    w[9] = _get(buf, p + 127, 4)
    choice = _get(buf, p + 131, 2)
    p += 133
    if choice & 2:
        return _fail(p, nbits, UNSUPPORTED, D_EXTENSION)
    if choice == 1:  # RSU container: extension bit, protected zones present
        zones = _get(buf, p, 2)
        p += 2
        if zones:
            return _fail(p, nbits, UNSUPPORTED, D_EXTENSION if zones & 2 else D_PROTECTED_ZONES)
        w[10:25] = _RSU_FILL
    else:
        opt = _get(buf, p, 7)
        p += 7
        # the mandatory fields W[10:25], in wire order: offset from the lower bound in n bits
        for f in range(15):
            wi = 10 + f
            n = (12, 7, 14, 7, 2, 10, 3, 6, 9, 7, 11, 3, 3, 16, 4)[f]
            v = _get(buf, p, n) + _W_LO[wi]
            p += n
            if f == 12 and v & 4:  # curvatureCalculationMode: extension bit, then the index
                return _fail(p, nbits, UNSUPPORTED, D_EXTENSION)
            if v > _W_HI[wi]:
                return -(MALFORMED + wi)
            w[wi] = v
        if opt & 0b1010111:
            return _fail(p, nbits, UNSUPPORTED, D_HF_OPTION)
        if opt & 0b0100000:
            w[25] = 1
            w[26] = _get(buf, p, 4) - 1
            p += 4
        if opt & 0b0001000:
            w[27] = 1
            w[28] = _get(buf, p, 9) - 160
            w[29] = _get(buf, p + 9, 7)
            p += 16
            if w[28] > 161:
                return -(MALFORMED + 28)
            if w[29] > 102:
                return -(MALFORMED + 29)
    # reported once the rest parsed: a malformed tail makes the input malformed, as in pycrate
    pending = 0
    if not _station_ok(w[2]):
        pending = -(UNSUPPORTED + D_STATION_TYPE)
    elif (w[2] == 15) != (choice == 1):
        pending = -(UNSUPPORTED + D_CONTAINER)
    if w[30]:
        if _get(buf, p, 1):
            return _fail(p + 1, nbits, UNSUPPORTED, D_EXTENSION)
        w[31] = _get(buf, p + 1, 4)
        w[32] = _rev8(_get(buf, p + 5, 8))
        w[33] = _get(buf, p + 13, 6)
        p += 19
        if w[33] > MAX_PATH_POINTS:
            return -(MALFORMED + 33)
        for k in range(w[33]):
            q = W_PATH + 4 * k
            has_dt = _get(buf, p, 1)
            w[q] = _get(buf, p + 1, 18) - 131071
            w[q + 1] = _get(buf, p + 19, 18) - 131071
            v = _get(buf, p + 37, 15)
            p += 52
            if v > 25500:
                return -(MALFORMED + q + 2)
            w[q + 2] = v - 12700
            if has_dt:
                ext = _get(buf, p, 1)
                p += 1
                if ext:  # an extension value: length octet, two's complement integer
                    nb_ = _get(buf, p, 8)
                    p += 8
                    if nb_ == 0 or nb_ > 8:
                        return _fail(p, nbits, MALFORMED if nb_ == 0 else UNSUPPORTED, q + 3)
                    v = _get(buf, p, 8 * nb_)
                    p += 8 * nb_
                    if nb_ < 8 and v >= (np.int64(1) << (8 * nb_ - 1)):
                        v -= np.int64(1) << (8 * nb_)
                    if not 1 <= v <= 65535:
                        return _fail(p, nbits, UNSUPPORTED, q + 3)
                    w[q + 3] = v
                else:
                    v = _get(buf, p, 16) + 1
                    p += 16
                    if v > 65535:
                        return -(MALFORMED + q + 3)
                    w[q + 3] = v
    if special:
        return _fail(p, nbits, UNSUPPORTED, D_SPECIAL_VEHICLE)
    need = (p + 7) >> 3
    if need * 8 > nbits:
        return -(MALFORMED + D_TRUNCATED)
    if need * 8 < nbits:
        return -(MALFORMED + D_TRAILING)
    return pending


# ---- entry points (one CAM, or many per call) ----------------------------------------------
@nb.njit(cache=True)
def encode_si(xb, out):
    """xb: float64 SI vector as little-endian bytes -> UPER in out. Returns the byte count,
    or -(1 + index in x) of the first value the wire cannot carry."""
    x = np.frombuffer(xb, np.float64)
    w = np.empty(W_SIZE, np.int64)
    err = quantise(x, w)
    if err >= 0:
        return -(1 + err)
    return pack(w, out)


@nb.njit(cache=True)
def decode_si(data, f):
    """UPER bytes -> SI vector f (F_SIZE,). Returns the count written, or a decode status."""
    w = np.empty(W_SIZE, np.int64)
    status = unpack(np.frombuffer(data, np.uint8), w)
    if status < 0:
        return status
    return dequantise(w, f)


@nb.njit(cache=True)
def pack_many(fields, out, ends):
    """fields (n, W_SIZE) -> UPER CAMs back to back in out (n * MAX_BYTES), ends (n,) their
    cumulative end offsets. Returns -1, or row * W_SIZE + W index of the first bad value."""
    end = 0
    for r in range(fields.shape[0]):
        bad = check(fields[r])
        if bad >= 0:
            return r * W_SIZE + bad
        end += pack(fields[r], out[end:])
        ends[r] = end
    return -1


@nb.njit(cache=True)
def unpack_many(blob, ends, fields, status):
    """CAMs back to back in blob (ends: cumulative end offsets) -> fields (n, W_SIZE), status
    (n,): 0 or the decode status of that row."""
    start = 0
    for r in range(ends.shape[0]):
        status[r] = unpack(blob[start:ends[r]], fields[r])
        start = ends[r]


@nb.njit(cache=True)
def quantise_many(xs, ends, fields):
    """SI vectors back to back in xs (ends: cumulative ends) -> fields (n, W_SIZE). Returns
    -1, or row * F_SIZE + index in x of the first bad value."""
    start = 0
    for r in range(ends.shape[0]):
        bad = quantise(xs[start:ends[r]], fields[r])
        if bad >= 0:
            return r * F_SIZE + bad
        start = ends[r]
    return -1


@nb.njit(cache=True)
def dequantise_many(fields, f, counts):
    """fields (n, W_SIZE) valid -> f (n, F_SIZE) SI floats, counts (n,) floats used per row."""
    for r in range(fields.shape[0]):
        counts[r] = dequantise(fields[r], f[r])
