"""From pixels to places on the ground and back, for a camera at a known pose.

Why: a thermal blob is only useful to a rescue team as a position on the ground.
This joins the camera model, the vehicle and gimbal attitude, and the terrain ray
cast into the three answers every consumer needs: where a pixel looks (georeference),
where a ground point appears (for fusing and checking), and what a frame covers
(footprint and ground sample distance, for planning and detection).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.camera import CameraModel
from dronewatch.geo.frame import LocalFrame
from dronewatch.geo.terrain import EARTH_RADIUS_M, GroundHits, Terrain

__all__ = [
    "CameraPose",
    "Footprint",
    "footprint",
    "ground_sample_distance_m",
    "ground_to_pixel",
    "pixel_to_ground",
]


@dataclass(frozen=True, slots=True)
class CameraPose:
    """Where the camera is and how it is turned when a frame is taken."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    attitude: Attitude = field(default_factory=Attitude)
    gimbal: GimbalAttitude = field(default_factory=GimbalAttitude)

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat_deg <= 90.0 and -180.0 <= self.lon_deg <= 180.0):
            raise ValueError(f"pose position lat={self.lat_deg} lon={self.lon_deg} is not WGS84")
        if not np.isfinite(self.alt_amsl_m):
            raise ValueError("pose alt_amsl_m must be finite")

    def camera_to_ned(self) -> NDArray[np.float64]:
        """Rotation taking optical-frame vectors into local NED at the camera."""
        return self.gimbal.camera_to_ned(self.attitude)


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a frame sees on the ground.

    ``complete`` is False when part of the image looks above the horizon or beyond
    the ray range, in which case the polygon holds only the part that hit the ground.
    """

    polygon_wgs84: shapely.Polygon
    area_m2: float
    complete: bool


def pixel_to_ground(
    terrain: Terrain,
    camera: CameraModel,
    pose: CameraPose,
    u_px: ArrayLike,
    v_px: ArrayLike,
    *,
    max_range_m: float = 5000.0,
) -> GroundHits:
    """Georeference pixels: where the ray through each (u, v) meets the terrain."""
    rays_ned = camera.pixel_rays(u_px, v_px) @ pose.camera_to_ned().T
    return terrain.cast_rays(
        pose.lat_deg, pose.lon_deg, pose.alt_amsl_m, rays_ned, max_range_m=max_range_m
    )


def ground_to_pixel(
    camera: CameraModel,
    pose: CameraPose,
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    alt_amsl_m: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Where ground points appear in the image: (u, v, inside_image).

    Occlusion by terrain between the camera and the point is not tested.
    """
    frame = LocalFrame(pose.lat_deg, pose.lon_deg)
    east, north = frame.to_local(np.ravel(lat_deg), np.ravel(lon_deg))
    curvature_drop = (east**2 + north**2) / (2 * EARTH_RADIUS_M)
    down = pose.alt_amsl_m - (np.ravel(np.asarray(alt_amsl_m, dtype=float)) - curvature_drop)
    ned = np.stack([north, east, down], axis=1)
    optical = ned @ pose.camera_to_ned()  # R^T applied to each row vector
    return camera.project(optical)


def footprint(
    terrain: Terrain,
    camera: CameraModel,
    pose: CameraPose,
    *,
    samples_per_edge: int = 16,
    max_range_m: float = 5000.0,
) -> Footprint:
    """The frame's outline on the terrain, from rays along the image border."""
    u, v = camera.border_pixels(samples_per_edge)
    hits = pixel_to_ground(terrain, camera, pose, u, v, max_range_m=max_range_m)
    lon = hits.lon_deg[hits.hit]
    lat = hits.lat_deg[hits.hit]
    if lon.size < 3:
        empty = shapely.Polygon()
        return Footprint(empty, 0.0, False)
    frame = LocalFrame(pose.lat_deg, pose.lon_deg)
    east, north = frame.to_local(lat, lon)
    local = shapely.Polygon(np.column_stack([east, north]))
    return Footprint(
        shapely.Polygon(np.column_stack([lon, lat])), float(local.area), bool(hits.hit.all())
    )


def ground_sample_distance_m(
    terrain: Terrain,
    camera: CameraModel,
    pose: CameraPose,
    u_px: ArrayLike,
    v_px: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ground size of one pixel at (u, v): (along u, along v) in metres, NaN on a miss.

    Why both: in an oblique view a pixel is stretched along the look direction, and
    a person lying across or along it looks different; detection needs the two sizes.
    """
    u = np.ravel(np.asarray(u_px, dtype=float))
    v = np.ravel(np.asarray(v_px, dtype=float))
    us = np.concatenate([u - 0.5, u + 0.5, u, u])
    vs = np.concatenate([v, v, v - 0.5, v + 0.5])
    hits = pixel_to_ground(terrain, camera, pose, us, vs)
    frame = LocalFrame(pose.lat_deg, pose.lon_deg)
    east, north = frame.to_local(hits.lat_deg, hits.lon_deg)
    points = np.stack([east, north, hits.alt_amsl_m], axis=1).reshape(4, u.size, 3)
    along_u = np.linalg.norm(points[1] - points[0], axis=1)
    along_v = np.linalg.norm(points[3] - points[2], axis=1)
    return along_u, along_v
