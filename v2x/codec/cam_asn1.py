"""CAM UPER codec on pycrate (``pycrate_asn1dir.ITS_CAM_2``): the reference implementation.

``encode_cam(cam) -> bytes`` and ``decode_cam(data) -> CAM``; ``decode_cam(encode_cam(c)) ==
quantise(c)``. The fast codec (:mod:`v2x.codec.cam_fast`) must produce the same bytes.

Decoding raises only :class:`~v2x.errors.DecodeError`: reason ``"malformed"`` for bytes that
are not a valid UPER CAM (truncated, trailing bytes, values outside their constraints),
``"unsupported"`` for a valid ETSI message kav's CAM cannot represent (another message id or
protocol version, extensions, the special-vehicle container, RSU protected zones, the basic
vehicle container's acceleration control / steering wheel / vertical acceleration /
performance class / tolling zone fields, a reserved station type, or a high-frequency
container that does not match the station type). Padding bits are ignored, as pycrate does.

pycrate's ASN.1 objects hold the value being coded, so the module codes one message at a time
under a lock; callers see no shared state.
"""

from __future__ import annotations

import threading

from pycrate_asn1dir import ITS_CAM_2
from pycrate_core.charpy import Charpy

from v2x.codec._reference import W_PATH, from_wire, to_wire
from v2x.errors import DecodeError
from v2x.messages.cam import CAM

_PDU = ITS_CAM_2.CAM_PDU_Descriptions.CAM
_LOCK = threading.Lock()
_HF = "basicVehicleContainerHighFrequency"
_RSU = "rsuContainerHighFrequency"
_LF = "basicVehicleContainerLowFrequency"
_RSU_FILL = (3601, 127, 16383, 127, 2, 1023, 4, 62, 161, 102, 1023, 7, 2, 32767, 8)
_ST_OK = frozenset(range(12)) | {15}


def _names(path: str) -> tuple[str, ...]:
    """Root names of the ENUMERATED at ``path`` (dotted, from camParameters), index order."""
    obj = _PDU._cont["cam"]._cont["camParameters"]
    for part in path.split("."):
        obj = obj._cont[part]
    return tuple(obj._root)


_ALT_CONF = _names("basicContainer.referencePosition.altitude.altitudeConfidence")
_DRIVE = _names(f"highFrequencyContainer.{_HF}.driveDirection")
_LENGTH_IND = _names(f"highFrequencyContainer.{_HF}.vehicleLength"
                     ".vehicleLengthConfidenceIndication")
_CURV_CONF = _names(f"highFrequencyContainer.{_HF}.curvature.curvatureConfidence")
_CURV_MODE = _names(f"highFrequencyContainer.{_HF}.curvatureCalculationMode")
_YAW_CONF = _names(f"highFrequencyContainer.{_HF}.yawRate.yawRateConfidence")
_ROLE = _names(f"lowFrequencyContainer.{_LF}.vehicleRole")
_HF_KEYS = frozenset(("heading", "speed", "driveDirection", "vehicleLength", "vehicleWidth",
                      "longitudinalAcceleration", "curvature", "curvatureCalculationMode",
                      "yawRate", "lanePosition", "lateralAcceleration"))


def _rev8(v: int) -> int:
    """ExteriorLights flags (bit n = named bit n) <-> pycrate's first-bit-is-MSB integer."""
    return int(f"{v:08b}"[::-1], 2)


def _value(w) -> dict:
    """Wire field vector -> pycrate value of the whole CAM PDU."""
    w = [int(x) for x in w]
    basic = {"stationType": w[2], "referencePosition": {
        "latitude": w[3], "longitude": w[4],
        "positionConfidenceEllipse": {"semiMajorConfidence": w[5], "semiMinorConfidence": w[6],
                                      "semiMajorOrientation": w[7]},
        "altitude": {"altitudeValue": w[8], "altitudeConfidence": _ALT_CONF[w[9]]}}}
    if w[2] == 15:
        hf = (_RSU, {})
    else:
        v = {"heading": {"headingValue": w[10], "headingConfidence": w[11]},
             "speed": {"speedValue": w[12], "speedConfidence": w[13]},
             "driveDirection": _DRIVE[w[14]],
             "vehicleLength": {"vehicleLengthValue": w[15],
                               "vehicleLengthConfidenceIndication": _LENGTH_IND[w[16]]},
             "vehicleWidth": w[17],
             "longitudinalAcceleration": {"longitudinalAccelerationValue": w[18],
                                          "longitudinalAccelerationConfidence": w[19]},
             "curvature": {"curvatureValue": w[20], "curvatureConfidence": _CURV_CONF[w[21]]},
             "curvatureCalculationMode": _CURV_MODE[w[22]],
             "yawRate": {"yawRateValue": w[23], "yawRateConfidence": _YAW_CONF[w[24]]}}
        if w[25]:
            v["lanePosition"] = w[26]
        if w[27]:
            v["lateralAcceleration"] = {"lateralAccelerationValue": w[28],
                                        "lateralAccelerationConfidence": w[29]}
        hf = (_HF, v)
    params = {"basicContainer": basic, "highFrequencyContainer": hf}
    if w[30]:
        path = []
        for k in range(w[33]):
            q = W_PATH + 4 * k
            p = {"pathPosition": {"deltaLatitude": w[q], "deltaLongitude": w[q + 1],
                                  "deltaAltitude": w[q + 2]}}
            if w[q + 3]:
                p["pathDeltaTime"] = w[q + 3]
            path.append(p)
        params["lowFrequencyContainer"] = (_LF, {"vehicleRole": _ROLE[w[31]],
                                                 "exteriorLights": (_rev8(w[32]), 8),
                                                 "pathHistory": path})
    return {"header": {"protocolVersion": 2, "messageID": 2, "stationID": w[0]},
            "cam": {"generationDeltaTime": w[1], "camParameters": params}}


def _unsupported(what: str):
    raise DecodeError("unsupported", what)


def _wire(val: dict) -> list[int]:
    """pycrate value of a decoded CAM PDU -> wire field vector (raises DecodeError)."""
    w = [0] * W_PATH
    w[0] = val["header"]["stationID"]
    w[1] = val["cam"]["generationDeltaTime"]
    params = val["cam"]["camParameters"]
    if "specialVehicleContainer" in params:
        _unsupported("special vehicle container")
    if set(params) - {"basicContainer", "highFrequencyContainer", "lowFrequencyContainer"}:
        _unsupported("CamParameters extension")
    basic = params["basicContainer"]
    if set(basic) != {"stationType", "referencePosition"}:
        _unsupported("BasicContainer extension")
    rp = basic["referencePosition"]
    ell, alt = rp["positionConfidenceEllipse"], rp["altitude"]
    w[2:10] = (basic["stationType"], rp["latitude"], rp["longitude"],
               ell["semiMajorConfidence"], ell["semiMinorConfidence"],
               ell["semiMajorOrientation"], alt["altitudeValue"],
               _ALT_CONF.index(alt["altitudeConfidence"]))
    kind, hf = params["highFrequencyContainer"]
    if kind == _HF:
        if set(hf) - _HF_KEYS:
            _unsupported(f"high-frequency fields {sorted(set(hf) - _HF_KEYS)}")
        if hf["curvatureCalculationMode"] not in _CURV_MODE:
            _unsupported("curvatureCalculationMode extension")
        w[10:25] = (hf["heading"]["headingValue"], hf["heading"]["headingConfidence"],
                    hf["speed"]["speedValue"], hf["speed"]["speedConfidence"],
                    _DRIVE.index(hf["driveDirection"]),
                    hf["vehicleLength"]["vehicleLengthValue"],
                    _LENGTH_IND.index(hf["vehicleLength"]["vehicleLengthConfidenceIndication"]),
                    hf["vehicleWidth"],
                    hf["longitudinalAcceleration"]["longitudinalAccelerationValue"],
                    hf["longitudinalAcceleration"]["longitudinalAccelerationConfidence"],
                    hf["curvature"]["curvatureValue"],
                    _CURV_CONF.index(hf["curvature"]["curvatureConfidence"]),
                    _CURV_MODE.index(hf["curvatureCalculationMode"]),
                    hf["yawRate"]["yawRateValue"],
                    _YAW_CONF.index(hf["yawRate"]["yawRateConfidence"]))
        if "lanePosition" in hf:
            w[25:27] = (1, hf["lanePosition"])
        if "lateralAcceleration" in hf:
            lat = hf["lateralAcceleration"]
            w[27:30] = (1, lat["lateralAccelerationValue"], lat["lateralAccelerationConfidence"])
    elif kind == _RSU:
        if hf:
            _unsupported("RSU protected communication zones")
        w[10:25] = _RSU_FILL
    else:
        _unsupported("HighFrequencyContainer extension")
    if w[2] not in _ST_OK:
        _unsupported(f"reserved station type {w[2]}")
    if (w[2] == 15) != (kind == _RSU):
        _unsupported(f"{kind} from station type {w[2]}")
    if "lowFrequencyContainer" in params:
        kind, lf = params["lowFrequencyContainer"]
        if kind != _LF:
            _unsupported("LowFrequencyContainer extension")
        lights, nbits = lf["exteriorLights"]
        w[30:34] = (1, _ROLE.index(lf["vehicleRole"]), _rev8(lights << (8 - nbits)),
                    len(lf["pathHistory"]))
        for p in lf["pathHistory"]:
            pos = p["pathPosition"]
            dt = p.get("pathDeltaTime", 0)
            if not 0 <= dt <= 65535:
                _unsupported(f"pathDeltaTime {dt}")
            w += (pos["deltaLatitude"], pos["deltaLongitude"], pos["deltaAltitude"], dt)
    return w


def encode_fields(w) -> bytes:
    """Wire field vector (valid wire values) -> UPER bytes."""
    val = _value(w)
    with _LOCK:
        return _PDU.to_uper(val)


def decode_fields(data) -> list[int]:
    """UPER bytes -> wire field vector (``34 + 4 n`` ints). Raises DecodeError only."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("malformed", f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < 2:
        raise DecodeError("malformed", "truncated")
    if data[1] != 2:
        raise DecodeError("unsupported", f"not a CAM (messageID {data[1]})")
    if data[0] != 2:
        raise DecodeError("unsupported", f"CAM protocolVersion {data[0]}")
    with _LOCK:
        try:
            char = Charpy(data)
            _PDU.from_uper(char)
            val, rest = _PDU.get_val(), char.len_bit()
        except Exception as e:  # pycrate raises several unrelated types
            raise DecodeError("malformed", f"{type(e).__name__}: {e}"[:200]) from None
    if rest:
        raise DecodeError("malformed", f"{rest // 8} trailing bytes")
    try:
        return _wire(val)
    except DecodeError:
        raise
    except Exception as e:  # a value shape this module does not know: an extension
        raise DecodeError("unsupported", f"{type(e).__name__}: {e}"[:200]) from None


def encode_cam(cam: CAM) -> bytes:
    """CAM -> UPER bytes. Raises :class:`~v2x.errors.MessageRangeError` naming the field."""
    return encode_fields(to_wire(cam))


def decode_cam(data: bytes) -> CAM:
    """UPER bytes -> CAM. Raises only :class:`~v2x.errors.DecodeError`."""
    return from_wire(decode_fields(data))
