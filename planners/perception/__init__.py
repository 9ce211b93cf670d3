"""Perception of the reference driving stack: lidar clustering into boxes, multi-object
tracking (Kalman filter bank with optimal assignment) and fusion of remotely reported
objects (V2X collective perception)."""

from planners.perception.clustering import ClusterConfig, Detections, cluster_points
from planners.perception.fusion import ExternalObjects, FusionConfig, external_measurements, fuse
from planners.perception.tracking import (
    Measurements,
    TrackerBank,
    TrackerConfig,
    Tracks,
    linear_assignment,
)

__all__ = [
    "ClusterConfig",
    "Detections",
    "ExternalObjects",
    "FusionConfig",
    "Measurements",
    "TrackerBank",
    "TrackerConfig",
    "Tracks",
    "cluster_points",
    "external_measurements",
    "fuse",
    "linear_assignment",
]
