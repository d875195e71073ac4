"""A laser rangefinder's distance puts the camera at the right height over the terrain.

Why: of everything a drone writes about a shot, its altitude is the least sure. DJI's
``AbsoluteAltitude`` is a barometer and GNSS blend, often metres to tens of metres off,
on a datum that need not be the DEM's; over level ground a height error moves every
pixel's place along the look direction by the error over the tangent of the depression
(30 m at a 24° depression for 14 m of height). A rangefinder boresighted with the
camera (DJI H20T/H30T, M30T) measures the distance along the optical axis to what the
image centre sees. The axis's direction and the drone's horizontal position are sure
to a fraction of that, so the spot's horizontal place is known without the altitude;
the DEM's height there plus the measured drop along the axis is the camera's height
over that DEM, on the DEM's own datum. Every pixel of the frame is then placed from
that height.

What is refused (the pose is kept as the file gave it, with the reason): a spot outside
the DEM, an axis at or above the horizon, or a height that moves by more than
``max_shift_m`` (a laser on a mast or a cliff face, or a pose or DEM that is wrong; a
station has to look at that rather than have it silently "corrected").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from dronewatch.geo.camera import CameraModel
from dronewatch.geo.frame import LocalFrame
from dronewatch.geo.metric import distance_m
from dronewatch.geo.projection import CameraPose
from dronewatch.geo.terrain import EARTH_RADIUS_M, Terrain

__all__ = ["MAX_HEIGHT_SHIFT_M", "LaserRange", "RangedPose", "ranged_pose"]

#: DJI's pose altitude is seldom more than this far off; beyond it, something else is
#: (the datum differs by the geoid's 40-60 m over Xinjiang, well inside this)
MAX_HEIGHT_SHIFT_M = 120.0
MIN_DEPRESSION_DEG = 1.0  # an axis flatter than this may measure a wall or a far ridge


@dataclass(frozen=True, slots=True)
class LaserRange:
    """A laser rangefinder's distance along the camera's optical axis at the shot.

    ``target_*`` is where the drone itself placed the laser's spot (None where the file
    does not say): not used to place anything, only to check the pose against.
    """

    distance_m: float
    target_lat_deg: float | None = None
    target_lon_deg: float | None = None
    target_alt_amsl_m: float | None = None


@dataclass(frozen=True, slots=True)
class RangedPose:
    """The pose a frame is placed from, and what the laser changed in it.

    ``refused`` is "" when the measured height was taken, else why not (the pose is
    then the file's). ``spot`` is where the axis meets the terrain at the measured
    distance (lat, lon, alt); ``target_gap_m`` how far that is from the spot the drone
    wrote (None without one): a check of how the pose was read, metres apart.
    """

    pose: CameraPose
    shift_m: float
    refused: str
    spot: tuple[float, float, float] | None
    target_gap_m: float | None

    @property
    def taken(self) -> bool:
        return not self.refused


def ranged_pose(terrain: Terrain, camera: CameraModel, pose: CameraPose, laser: LaserRange,
                max_shift_m: float = MAX_HEIGHT_SHIFT_M) -> RangedPose:
    """``pose`` at the height its laser range implies over ``terrain`` (see module)."""
    axis = pose.camera_to_ned() @ np.array([0.0, 0.0, 1.0])
    north, east = laser.distance_m * axis[0], laser.distance_m * axis[1]
    lat, lon = (float(a) for a in LocalFrame(pose.lat_deg, pose.lon_deg).to_wgs84(east, north))
    gap = None
    if laser.target_lat_deg is not None and laser.target_lon_deg is not None:
        gap = distance_m(lat, lon, laser.target_lat_deg, laser.target_lon_deg)
    depression = math.degrees(math.asin(max(-1.0, min(1.0, float(axis[2])))))
    if depression < MIN_DEPRESSION_DEG:
        return RangedPose(pose, 0.0, f"the camera looks {depression:.1f}° below the horizon: "
                          "its laser may measure anything but the ground", None, gap)
    ground = float(terrain.elevation_or_nan(lat, lon))
    if not math.isfinite(ground):
        return RangedPose(pose, 0.0, "the laser's spot is outside the DEM", None, gap)
    curvature = (north**2 + east**2) / (2 * EARTH_RADIUS_M)
    height = ground + laser.distance_m * float(axis[2]) - curvature
    shift = height - pose.alt_amsl_m
    if abs(shift) > max_shift_m:
        return RangedPose(pose, 0.0, f"the laser puts the camera {shift:+.0f} m from its "
                          f"written altitude (more than {max_shift_m:g} m): pose or DEM in "
                          "doubt, the written altitude is kept", (lat, lon, ground), gap)
    return RangedPose(replace(pose, alt_amsl_m=height), shift, "", (lat, lon, ground), gap)
