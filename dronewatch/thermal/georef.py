"""Detections to places on the ground, each with how far off it may be.

Why not the geo layer's exhaustive ray cast for every detection: that one steps along
the whole ray and converts every step through PROJ, the right tool for a footprint
or a DEM wall, but a frame's few detections must be placed in microseconds to keep
up with a 30 Hz feed on one core. Here a ray meets a level plane at the terrain
height, the terrain is read there, and the plane moves to that height until the
point stops moving; on open ground that converges in two or three reads. Where it
does not (a pit wall, a grazing ray) the exhaustive cast decides.

Why an error with every fix: a rescue team walking to a pin at night must know
whether to search a 3 m or a 30 m circle. The error is propagated from the pose
uncertainty (pointing, GNSS, altitude, DEM) through the viewing geometry, and stated
as the radius holding 95 % of the probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewatch.geo.camera import CameraModel
from dronewatch.geo.projection import CameraPose
from dronewatch.geo.terrain import EARTH_RADIUS_M, Terrain

__all__ = ["EXACT_POSE", "TYPICAL_POSE", "GroundFix", "Locator", "PoseUncertainty",
           "locate_pixels"]

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3
R95_PER_SIGMA = 2.4477  # radius of a circular 2-D normal holding 95 %


@dataclass(frozen=True, slots=True)
class PoseUncertainty:
    """One-sigma errors of what a fix is computed from.

    Defaults fit a stabilised gimbal on a GNSS multirotor over a 30 m DEM.
    """

    pointing_deg: float = 0.5  # camera pointing, each axis (gimbal encoder + AHRS heading)
    horizontal_m: float = 1.5  # GNSS position, each axis
    vertical_m: float = 1.0  # altitude above mean sea level
    dem_m: float = 1.5  # terrain model height


EXACT_POSE = PoseUncertainty(0.0, 0.0, 0.0, 0.0)
TYPICAL_POSE = PoseUncertainty()


@dataclass(frozen=True, slots=True)
class GroundFix:
    """Where a pixel looks on the ground, and how sure that is."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    range_m: float  # slant range camera to ground
    error_m: float  # 95 % horizontal radius
    gsd_across_m: float  # ground size of one pixel across the look direction
    gsd_along_m: float  # ... and along it (stretched in oblique views)


def _radii(lat_deg: float) -> tuple[float, float]:
    """Meridian and prime-vertical radii of curvature at a latitude."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = math.sqrt(1.0 - _WGS84_E2 * s2)
    return _WGS84_A * (1 - _WGS84_E2) / w**3, _WGS84_A / w


class _Placer:
    """Intersects rays from one pose with the terrain by level-plane iteration.

    Offsets from the camera go to the DEM's CRS through the local Jacobian of that
    projection (three PROJ calls per pose, none per step): over the kilometre a camera
    sees, the projection's scale and convergence change by parts in 10^4.
    """

    def __init__(self, terrain: Terrain, pose: CameraPose) -> None:
        self.terrain = terrain
        self.pose = pose
        m, n = _radii(pose.lat_deg)
        self.deg_per_m_north = math.degrees(1.0 / m)
        self.deg_per_m_east = math.degrees(1.0 / (n * math.cos(math.radians(pose.lat_deg))))
        x0, y0 = terrain.to_dem_xy(pose.lat_deg, pose.lon_deg)
        xn, yn = terrain.to_dem_xy(pose.lat_deg + 100 * self.deg_per_m_north, pose.lon_deg)
        xe, ye = terrain.to_dem_xy(pose.lat_deg, pose.lon_deg + 100 * self.deg_per_m_east)
        self.origin_xy = (x0, y0)
        self.jacobian = ((xn - x0) / 100, (xe - x0) / 100, (yn - y0) / 100, (ye - y0) / 100)
        self.start_h = terrain.elevation_at_xy(x0, y0)

    def to_wgs84(self, north_m: float, east_m: float) -> tuple[float, float]:
        return (self.pose.lat_deg + north_m * self.deg_per_m_north,
                self.pose.lon_deg + east_m * self.deg_per_m_east)

    def height(self, north_m: float, east_m: float) -> float:
        xn, xe, yn, ye = self.jacobian
        return self.terrain.elevation_at_xy(self.origin_xy[0] + xn * north_m + xe * east_m,
                                            self.origin_xy[1] + yn * north_m + ye * east_m)

    def place(self, ray: NDArray[np.float64], alt_m: float) -> tuple[float, float, float] | None:
        """(north, east, slant range) of the hit; None on a miss or no convergence."""
        down = float(ray[2])
        if down <= 0.02:  # at or above the horizon: the exhaustive cast decides
            return None
        horiz2 = float(ray[0] ** 2 + ray[1] ** 2)
        h = self.start_h
        if math.isnan(h):
            return None
        t = 0.0
        for _ in range(12):
            # ray height alt - t*down + (t^2 horiz2)/2R meets the plane at height h
            curv = t * horiz2 / (2 * EARTH_RADIUS_M)
            t_new = (alt_m - h) / (down - curv)
            if t_new <= 0:
                return None
            h_new = self.height(t_new * ray[0], t_new * ray[1])
            if math.isnan(h_new):
                return None  # off the DEM or on a hole
            if abs(t_new - t) < 0.005 and abs(h_new - h) < 0.01:
                return t_new * ray[0], t_new * ray[1], t_new
            t, h = t_new, h_new
        return None


class Locator:
    """Places pixels of one frame: the pose's rotation and the PROJ set-up are paid once.

    Why a class: a frame's person blobs and hotspots are placed in separate passes, and
    each pass would otherwise redo the rotation, three PROJ calls and a DEM read.
    """

    def __init__(self, terrain: Terrain, camera: CameraModel, pose: CameraPose,
                 uncertainty: PoseUncertainty = TYPICAL_POSE) -> None:
        self.terrain, self.camera, self.pose = terrain, camera, pose
        self.uncertainty = uncertainty
        self._rot = pose.camera_to_ned()
        self._placer: _Placer | None = None

    @property
    def placer(self) -> _Placer:
        if self._placer is None:
            self._placer = _Placer(self.terrain, self.pose)
        return self._placer

    def rays(self, u_px: NDArray | list[float], v_px: NDArray | list[float]) -> NDArray:
        """Unit NED directions of pixels."""
        return self.camera.pixel_rays(u_px, v_px) @ self._rot.T

    def rough_scales(self, u_px: NDArray | list[float],
                     v_px: NDArray | list[float]) -> list[tuple[float, float]]:
        """Ground scale (across, along) over level ground at the height below the camera.

        Why: placing a pixel exactly costs tens of microseconds; this costs nothing per
        pixel and is close enough to throw out blobs no exact size could save.
        """
        if len(u_px) == 0:
            return []
        down = np.maximum(self.rays(u_px, v_px)[:, 2], 0.05)
        height = self.pose.alt_amsl_m - self.placer.start_h
        across = height / down / self.camera.focal_px
        return list(zip(across.tolist(), (across / down).tolist(), strict=True))

    def locate(self, u_px: NDArray | list[float],
               v_px: NDArray | list[float]) -> list[GroundFix | None]:
        """Place pixels on the terrain; None for a pixel that looks at no ground."""
        u = np.ravel(np.asarray(u_px, dtype=float))
        v = np.ravel(np.asarray(v_px, dtype=float))
        if u.size == 0:
            return []
        terrain, camera, pose, uncertainty = self.terrain, self.camera, self.pose, \
            self.uncertainty
        rays = self.rays(u, v)
        placer = self.placer
        sigma_rad = math.radians(uncertainty.pointing_deg)
        fixes: list[GroundFix | None] = []
        for ray in rays:
            hit = placer.place(ray, pose.alt_amsl_m)
            if hit is None:
                hit = _exhaustive(terrain, pose, ray)
                if hit is None:
                    fixes.append(None)
                    continue
            north, east, t = hit
            # a pointing error of sigma moves the fix t·sigma across the look direction and
            # t·sigma/sin(elevation) along it (level ground); rotation about the ray is free
            elevation_sin = max(float(ray[2]), 0.05)
            var_directional = (t * sigma_rad) ** 2 * (1.0 + 1.0 / elevation_sin**2)
            horiz = math.hypot(ray[0], ray[1])
            lean = horiz / max(ray[2], 0.05)  # metres sideways per metre of height error
            var_directional += (lean * math.hypot(uncertainty.vertical_m, uncertainty.dem_m)) ** 2
            across = t / camera.focal_px
            along = across / max(float(ray[2]), 0.05)  # level ground, seen obliquely
            quantisation = 0.5 * along / math.sqrt(3.0)  # half a pixel, uniform
            sigma_axis = math.sqrt(uncertainty.horizontal_m**2 + var_directional / 2.0
                                   + quantisation**2)
            lat, lon = placer.to_wgs84(north, east)
            alt = pose.alt_amsl_m - t * ray[2] + (north**2 + east**2) / (2 * EARTH_RADIUS_M)
            fixes.append(GroundFix(float(lat), float(lon), float(alt), float(t),
                                   R95_PER_SIGMA * sigma_axis,
                                   float(across), float(along)))
        return fixes


def locate_pixels(
    terrain: Terrain,
    camera: CameraModel,
    pose: CameraPose,
    u_px: NDArray | list[float],
    v_px: NDArray | list[float],
    uncertainty: PoseUncertainty = TYPICAL_POSE,
) -> list[GroundFix | None]:
    """Place pixels on the terrain; None for a pixel that looks at no ground."""
    return Locator(terrain, camera, pose, uncertainty).locate(u_px, v_px)


def _exhaustive(terrain: Terrain, pose: CameraPose,
                ray: NDArray[np.float64]) -> tuple[float, float, float] | None:
    hits = terrain.cast_rays(pose.lat_deg, pose.lon_deg, pose.alt_amsl_m, ray)
    if not hits.hit[0]:
        return None
    t = float(hits.range_m[0])
    return t * ray[0], t * ray[1], t
