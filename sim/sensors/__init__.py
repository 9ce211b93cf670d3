"""Sensor models on a world state: an object-list sensor (fused camera / radar tracks with
line-of-sight occlusion) and a ray-cast lidar. Numba kernels in ``_kernels``, plain twins
in ``_reference``; noise and dropout come from the caller's ``np.random.Generator``."""

from sim.sensors.lidar import (
    HIT_GROUND,
    HIT_STRUCTURE,
    KIND_HEIGHT_M,
    LidarConfig,
    PointCloud,
    range_image,
    scan,
)
from sim.sensors.objects import ObjectList, ObjectSensorConfig, detect_objects, visibility

__all__ = [
    "HIT_GROUND",
    "HIT_STRUCTURE",
    "KIND_HEIGHT_M",
    "LidarConfig",
    "ObjectList",
    "ObjectSensorConfig",
    "PointCloud",
    "detect_objects",
    "range_image",
    "scan",
    "visibility",
]
