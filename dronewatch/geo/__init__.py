"""Coordinates, terrain and camera geometry: the metric ground every other layer stands on."""

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.camera import CAMERA_PRESETS, CameraModel, camera_preset
from dronewatch.geo.frame import LocalFrame
from dronewatch.geo.metric import distance_m, metres_per_degree
from dronewatch.geo.projection import (
    CameraPose,
    Footprint,
    footprint,
    ground_sample_distance_m,
    ground_to_pixel,
    pixel_to_ground,
)
from dronewatch.geo.terrain import GroundHits, Terrain

__all__ = [
    "CAMERA_PRESETS",
    "Attitude",
    "CameraModel",
    "CameraPose",
    "Footprint",
    "GimbalAttitude",
    "GroundHits",
    "LocalFrame",
    "Terrain",
    "camera_preset",
    "distance_m",
    "footprint",
    "ground_sample_distance_m",
    "ground_to_pixel",
    "metres_per_degree",
    "pixel_to_ground",
]
