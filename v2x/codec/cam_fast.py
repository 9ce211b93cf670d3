"""Fast CAM UPER codec (Numba): byte-identical to the pycrate codec :mod:`v2x.codec.cam_asn1`.

One CAM: ``encode_cam_fast(cam) -> bytes``, ``decode_cam_fast(data) -> CAM`` (same errors as
the pycrate codec: :class:`MessageRangeError` naming the field, :class:`DecodeError` with
reason "malformed" / "unsupported").

Many CAMs per kernel call, on the wire field array ``fields`` ((n, W_SIZE) int64, one row per
CAM, wire units, layout ``W_*`` of :mod:`v2x.codec._reference`): ``encode_cams(fields)``,
``decode_many(datas) -> (fields, status)``, plus ``cams_to_fields`` / ``fields_to_cams`` and
``encode_many(cams)`` to go between rows and dataclasses.

Encoding flattens the dataclass into float64 values (NaN for None) with one ``struct.pack``;
the kernel quantises, range-checks and packs. When the kernel rejects a value, the plain
reference runs to raise the same error the pycrate codec raises.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import numpy as np

from v2x.codec import _kernels as _k
from v2x.codec import _reference as _ref
from v2x.codec._reference import W_PATH, W_SIZE
from v2x.errors import DecodeError, MessageRangeError
from v2x.messages.cam import (
    CAM,
    CurvatureCalculationMode,
    DriveDirection,
    ExteriorLights,
    LowFrequencyContainer,
    PathPoint,
    VehicleLengthConfidenceIndication,
    VehicleRole,
)
from v2x.messages.common import StationType

__all__ = ["STATUS_MALFORMED", "STATUS_OK", "STATUS_UNSUPPORTED", "W_SIZE", "cams_to_fields",
           "decode_cam_fast", "decode_many", "encode_cam_fast", "encode_cams", "encode_many",
           "fields_to_cams", "w_field_name"]

STATUS_OK, STATUS_MALFORMED, STATUS_UNSUPPORTED = 0, 1, 2  # decode_many row status
_N = _k.N_SCALARS
_NAN = math.nan
_STRUCTS = {n: struct.Struct(f"<{n}d")
            for n in [_N] + [_N + 2 + 4 * k for k in range(_ref.MAX_PATH_POINTS + 1)]}
_FLATTEN_ERRORS = (TypeError, ValueError, KeyError, OverflowError, AttributeError, struct.error)
# wire code (as the kernel's float) -> enum member; float keys hash like ints
_ST = {float(s): s for s in StationType}
_DD = {float(e): e for e in DriveDirection}
_CCM = {float(e): e for e in CurvatureCalculationMode}
_VLCI = {float(e): e for e in VehicleLengthConfidenceIndication}
_ROLE = {float(e): e for e in VehicleRole}
_LIGHTS = tuple(ExteriorLights(i) for i in range(256))
_W_NAMES = {v: k[2:].lower() for k, v in vars(_ref).items()
            if k.startswith("W_") and isinstance(v, int) and v < W_PATH}
_DETAILS = {_k.D_TRUNCATED: "truncated", _k.D_TRAILING: "trailing bytes",
            _k.D_NOT_CAM: "not a CAM (messageID)", _k.D_VERSION: "CAM protocolVersion",
            _k.D_EXTENSION: "ASN.1 extension present",
            _k.D_SPECIAL_VEHICLE: "special vehicle container",
            _k.D_HF_OPTION: "unsupported basic vehicle high-frequency field",
            _k.D_PROTECTED_ZONES: "RSU protected communication zones",
            _k.D_STATION_TYPE: "reserved station type",
            _k.D_CONTAINER: "high-frequency container does not match the station type"}
_new = object.__new__
_setattr = object.__setattr__


def w_field_name(i: int) -> str:
    """Name of column i of the wire field array (e.g. ``"speed"``, ``"path[3].delta_time"``)."""
    if i < W_PATH:
        return _W_NAMES[i]
    k, j = divmod(i - W_PATH, 4)
    return f"path[{k}]." + ("delta_latitude", "delta_longitude", "delta_altitude",
                            "delta_time")[j]


def _flatten(cam) -> bytes:
    """CAM -> its SI vector as float64 bytes. Relies on ``__dict__`` holding the fields in
    declaration order, which dataclass ``__init__`` and this module's decoder guarantee."""
    x = [_NAN if v is None else v for v in cam.__dict__.values()]
    x.pop()  # low_frequency
    lf = cam.low_frequency
    if len(x) != _N:
        raise TypeError("not a CAM")
    if lf is not None:
        x.append(lf.vehicle_role)
        x.append(lf.exterior_lights)
        for p in lf.path_history:
            x += [_NAN if v is None else v for v in p.__dict__.values()]
    return _STRUCTS[len(x)].pack(*x)


def _reject(cam, index: int, prefix: str = ""):
    """Raise the reference's error for a CAM the kernel rejected (index: into the SI vector)."""
    try:
        _ref.to_wire(cam)
    except MessageRangeError as e:
        if prefix:
            raise MessageRangeError(prefix + e.field, e.value, e.allowed) from None
        raise
    # unreachable while kernel and reference agree (the tests check that they do)
    name = _ref.FIELD_NAMES[index] if 0 <= index < _N else f"low_frequency[{index - _N}]"
    raise MessageRangeError(prefix + name, None, "rejected by the fast codec")


def encode_cam_fast(cam: CAM) -> bytes:
    """CAM -> UPER bytes, identical to :func:`v2x.codec.cam_asn1.encode_cam`."""
    try:
        xb = _flatten(cam)
    except _FLATTEN_ERRORS:
        _reject(cam, -1)
    out = np.empty(_k.MAX_BYTES, np.uint8)
    n = _k.encode_si(xb, out)
    if n < 0:
        _reject(cam, -n - 1)
    return out[:n].tobytes()


def _none(x):
    return None if x != x else x


def _build(v: list) -> CAM:
    """SI vector from the kernel (list of floats, NaN = None) -> CAM, bypassing ``__init__``
    (the values are valid by construction; this is most of the decode time)."""
    lf = None
    if len(v) > _N:
        points = []
        for i in range(_N + 2, len(v), 4):
            p = _new(PathPoint)
            _setattr(p, "__dict__", {"delta_latitude_deg": _none(v[i]),
                                     "delta_longitude_deg": _none(v[i + 1]),
                                     "delta_altitude_m": _none(v[i + 2]),
                                     "delta_time_s": _none(v[i + 3])})
            points.append(p)
        lf = _new(LowFrequencyContainer)
        _setattr(lf, "__dict__", {"vehicle_role": _ROLE[v[_N]],
                                  "exterior_lights": _LIGHTS[int(v[_N + 1])],
                                  "path_history": tuple(points)})
    # one dict display: NaN -> None inline (``x != x``), enum codes through lookup tables
    d = {"station_id": int(v[0]), "generation_delta_time_ms": int(v[1]),
         "station_type": _ST[v[2]],
         "latitude_deg": x if (x := v[3]) == x else None,
         "longitude_deg": x if (x := v[4]) == x else None,
         "heading_rad": x if (x := v[5]) == x else None,
         "speed_mps": x if (x := v[6]) == x else None,
         "drive_direction": _DD[v[7]],
         "longitudinal_acceleration_mps2": x if (x := v[8]) == x else None,
         "yaw_rate_radps": x if (x := v[9]) == x else None,
         "curvature_per_m": x if (x := v[10]) == x else None,
         "curvature_calculation_mode": _CCM[v[11]],
         "lateral_acceleration_mps2": x if (x := v[12]) == x else None,
         "lane_position": int(x) if (x := v[13]) == x else None,
         "vehicle_length_m": x if (x := v[14]) == x else None,
         "vehicle_length_confidence_indication": _VLCI[v[15]],
         "vehicle_width_m": x if (x := v[16]) == x else None,
         "altitude_m": x if (x := v[17]) == x else None,
         "position_semi_major_m": x if (x := v[18]) == x else None,
         "position_semi_minor_m": x if (x := v[19]) == x else None,
         "position_semi_major_orientation_rad": x if (x := v[20]) == x else None,
         "altitude_confidence_m": x if (x := v[21]) == x else None,
         "heading_confidence_rad": x if (x := v[22]) == x else None,
         "speed_confidence_mps": x if (x := v[23]) == x else None,
         "longitudinal_acceleration_confidence_mps2": x if (x := v[24]) == x else None,
         "yaw_rate_confidence_radps": x if (x := v[25]) == x else None,
         "curvature_confidence_per_m": x if (x := v[26]) == x else None,
         "lateral_acceleration_confidence_mps2": x if (x := v[27]) == x else None,
         "low_frequency": lf}
    cam = _new(CAM)
    _setattr(cam, "__dict__", d)
    return cam


def _decode_error(status: int) -> DecodeError:
    unsupported = status <= -_k.UNSUPPORTED
    d = -status - (_k.UNSUPPORTED if unsupported else _k.MALFORMED)
    if d in _DETAILS:
        detail = _DETAILS[d]
    else:
        detail = f"{w_field_name(d)}: " + ("value not supported" if unsupported
                                           else "value outside its constraint")
    return DecodeError("unsupported" if unsupported else "malformed", detail)


def decode_cam_fast(data: bytes) -> CAM:
    """UPER bytes -> CAM, equal to :func:`v2x.codec.cam_asn1.decode_cam`; raises only
    :class:`DecodeError`."""
    if type(data) is not bytes:
        if not isinstance(data, (bytearray, memoryview)):
            raise DecodeError("malformed", f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
    f = np.empty(_k.F_SIZE)
    m = _k.decode_si(data, f)
    if m < 0:
        raise _decode_error(m)
    return _build(f[:m].tolist())


# ---- many CAMs per call --------------------------------------------------------------------
def _as_fields(fields) -> np.ndarray:
    a = np.asarray(fields)
    if a.dtype.kind not in "iu" or a.ndim != 2 or a.shape[1] != W_SIZE:
        raise TypeError(f"fields must be an (n, {W_SIZE}) integer array")
    return np.ascontiguousarray(a, dtype=np.int64)


def _field_error(fields: np.ndarray, bad: int) -> MessageRangeError:
    row, i = divmod(bad, W_SIZE)
    if i == 2:
        allowed = "a StationType value"
    elif i < W_PATH:
        allowed = f"{_k._W_LO[i]}..{_k._W_HI[i]}"
    else:
        j = (i - W_PATH) % 4
        allowed = f"{_k._P_LO[j]}..{_k._P_HI[j]}"
    return MessageRangeError(f"fields[{row}].{w_field_name(i)}", int(fields[row, i]), allowed)


def encode_cams(fields) -> list[bytes]:
    """Wire field array (n, W_SIZE) int64 -> n UPER CAMs (one kernel call). Raises
    :class:`MessageRangeError` (field ``"fields[row].name"``) for a value off the wire range;
    fields of absent parts are not read."""
    fields = _as_fields(fields)
    n = fields.shape[0]
    if n == 0:
        return []
    out = np.empty(n * _k.MAX_BYTES, np.uint8)
    ends = np.empty(n, np.int64)
    bad = _k.pack_many(fields, out, ends)
    if bad >= 0:
        raise _field_error(fields, bad)
    e = ends.tolist()
    blob = out[:e[-1]].tobytes()
    return [blob[s:t] for s, t in zip([0] + e[:-1], e)]


def decode_many(datas: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """n UPER CAMs -> (fields (n, W_SIZE) int64, status (n,) int8: STATUS_OK /
    STATUS_MALFORMED / STATUS_UNSUPPORTED, as decode_cam_fast would fail). Rows that failed
    are all zero. One kernel call."""
    n = len(datas)
    fields = np.zeros((n, W_SIZE), np.int64)
    if n == 0:
        return fields, np.zeros(0, np.int8)
    try:
        blob = b"".join(datas)
    except TypeError:
        raise DecodeError("malformed", "every item must be bytes") from None
    ends = np.cumsum(np.fromiter(map(len, datas), np.int64, n))
    status = np.empty(n, np.int64)
    _k.unpack_many(np.frombuffer(blob, np.uint8), ends, fields, status)
    fields[status != 0] = 0
    code = np.where(status <= -_k.UNSUPPORTED, STATUS_UNSUPPORTED, STATUS_MALFORMED)
    return fields, np.where(status == 0, STATUS_OK, code).astype(np.int8)


def cams_to_fields(cams: Sequence[CAM]) -> np.ndarray:
    """CAMs -> wire field array (n, W_SIZE) int64 (quantised in one kernel call). Raises
    :class:`MessageRangeError` with field ``"cams[i].name"``."""
    flats = []
    for i, cam in enumerate(cams):
        try:
            flats.append(_flatten(cam))
        except _FLATTEN_ERRORS:
            _reject(cam, -1, f"cams[{i}].")
    fields = np.zeros((len(flats), W_SIZE), np.int64)
    if flats:
        xs = np.frombuffer(b"".join(flats), np.float64)
        ends = np.cumsum(np.fromiter((len(b) // 8 for b in flats), np.int64, len(flats)))
        bad = _k.quantise_many(xs, ends, fields)
        if bad >= 0:
            row, index = divmod(bad, _k.F_SIZE)
            _reject(cams[row], index, f"cams[{row}].")
    return fields


def fields_to_cams(fields) -> list[CAM]:
    """Wire field array (n, W_SIZE) -> n CAMs. Raises :class:`MessageRangeError` for a value
    off the wire range (a reserved station type included)."""
    fields = _as_fields(fields)
    for r in range(fields.shape[0]):
        bad = _k.check(fields[r])
        if bad >= 0:
            raise _field_error(fields, r * W_SIZE + bad)
    f = np.empty((fields.shape[0], _k.F_SIZE))
    counts = np.empty(fields.shape[0], np.int64)
    _k.dequantise_many(fields, f, counts)
    return [_build(f[r, :m].tolist()) for r, m in enumerate(counts.tolist())]


def encode_many(cams: Sequence[CAM]) -> list[bytes]:
    """CAMs -> UPER bytes each: :func:`cams_to_fields` then :func:`encode_cams`."""
    return encode_cams(cams_to_fields(cams))
