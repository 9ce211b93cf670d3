"""Collective perception: turn a detector's object list into a CPM (TR 103 562).

The sender is either a roadside unit (objects east/north of its reference position) or a
vehicle (objects in its body frame: x forward, y left). Callers pass plain arrays, in the
map frame; this module puts them into the originator's frame and the CPM's units.
"""

from __future__ import annotations

import math

import numpy as np

from v2x.geo import LocalFrame, yaw_to_heading
from v2x.messages.common import StationType
from v2x.messages.cpm import (
    CPM,
    ObjectClass,
    ObjectClassKind,
    OriginatingRsu,
    OriginatingVehicle,
    PerceivedObject,
    ReferencePosition,
    SensorInformation,
    SensorType,
    StationaryCircularArea,
)

MAX_OBJECTS = 128  # what Wireshark 4.0 accepts without an expert warning per message
DIST_LIMIT_M = 1327.0
SPEED_LIMIT_MPS = 163.0


def _wrap(a: float) -> float:
    return float(np.mod(a, 2.0 * math.pi))


def build_cpm(*, station_id: int, generation_delta_time_ms: int, frame: LocalFrame,
              origin_x: float, origin_y: float, object_id: np.ndarray, x: np.ndarray,
              y: np.ndarray, vx: np.ndarray, vy: np.ndarray, yaw: np.ndarray,
              length: np.ndarray, width: np.ndarray, classes: list[tuple[int, int]],
              pos_sigma_m: float = 0.3, vel_sigma_mps: float = 0.5,
              rsu_intersection: int | None = None, vehicle_yaw: float | None = None,
              vehicle_speed: float = 0.0, sensor_range_m: float = 80.0,
              sensor_type: int = SensorType.FUSION) -> CPM:
    """One CPM. Objects (k,) in the map frame: x, y [m], vx, vy [m/s], yaw [rad], length,
    width [m], ``classes`` (ObjectClassKind, subclass) per object, ``object_id`` (k,) ints
    (taken mod 256). RSU sender: ``rsu_intersection`` (its junction) and no
    ``vehicle_yaw``; vehicle sender: ``vehicle_yaw`` [rad] and ``vehicle_speed`` [m/s]
    (objects then relative to the moving vehicle). Objects beyond the CPM's reach
    (+-1327 m, +-163 m/s) are left out; at most :data:`MAX_OBJECTS`."""
    lat, lon = frame.to_latlon(origin_x, origin_y)
    ref = ReferencePosition(latitude_deg=lat, longitude_deg=lon, semi_major_confidence_m=0.5,
                            semi_minor_confidence_m=0.5, semi_major_orientation_rad=0.0)
    if vehicle_yaw is None:
        c, s = 1.0, 0.0
        ovx = ovy = 0.0
        originating = (OriginatingRsu(intersection_id=rsu_intersection)
                       if rsu_intersection is not None else None)
        station_type = StationType.ROAD_SIDE_UNIT
        sensors = (SensorInformation(sensor_id=1, sensor_type=sensor_type,
                                     detection_area=StationaryCircularArea(
                                         radius_m=float(sensor_range_m))),)
    else:
        c, s = math.cos(vehicle_yaw), math.sin(vehicle_yaw)
        ovx, ovy = vehicle_speed * c, vehicle_speed * s
        originating = OriginatingVehicle(heading_rad=float(yaw_to_heading(vehicle_yaw)),
                                         speed_mps=float(vehicle_speed))
        station_type = StationType.PASSENGER_CAR
        sensors = ()
    objs = []
    base_yaw = 0.0 if vehicle_yaw is None else vehicle_yaw
    for k in range(len(x)):
        dx, dy = float(x[k]) - origin_x, float(y[k]) - origin_y
        rx, ry = c * dx + s * dy, -s * dx + c * dy  # into the originator's frame
        svx, svy = float(vx[k]) - ovx, float(vy[k]) - ovy
        rvx, rvy = c * svx + s * svy, -s * svx + c * svy
        if max(abs(rx), abs(ry)) > DIST_LIMIT_M or max(abs(rvx), abs(rvy)) > SPEED_LIMIT_MPS:
            continue
        kind, sub = classes[k]
        objs.append(PerceivedObject(
            object_id=int(object_id[k]) % 256, time_of_measurement_ms=0,
            x_distance_m=round(rx, 2), y_distance_m=round(ry, 2),
            x_speed_mps=round(rvx, 2), y_speed_mps=round(rvy, 2),
            x_distance_confidence_m=pos_sigma_m, y_distance_confidence_m=pos_sigma_m,
            x_speed_confidence_mps=vel_sigma_mps, y_speed_confidence_mps=vel_sigma_mps,
            yaw_angle_rad=round(_wrap(float(yaw[k]) - base_yaw), 3),
            planar_dimension1_m=round(min(float(width[k]), 102.3), 1),
            planar_dimension2_m=round(min(float(length[k]), 102.3), 1),
            object_confidence_pct=90,
            classification=(ObjectClass(kind=ObjectClassKind(kind), confidence_pct=90,
                                        subclass=int(sub), subclass_confidence_pct=90),)))
        if len(objs) == MAX_OBJECTS:
            break
    return CPM(station_id=int(station_id), generation_delta_time_ms=int(generation_delta_time_ms),
               station_type=station_type, reference_position=ref, originating=originating,
               sensors=sensors, perceived_objects=tuple(objs))
