"""Detections to places on the ground, each with how far off it may be.

Why not the geo layer's exhaustive ray cast for every detection: that one steps along
the whole ray and converts every step through PROJ, the right tool for a footprint
or a DEM wall, but a frame's few detections must be placed in microseconds to keep
up with a 30 Hz feed on one core. Here the pose's offsets go to the DEM's grid
through one linearised projection, and the ray walks that grid tile by tile and cell
by cell, solving its first contact exactly in each cell it comes close to
(:class:`dronewatch.geo.firstcontact.LineCaster`): like the exhaustive cast it never
jumps a ridge, and a steep ray costs a cell or two.

Why an error with every fix: a rescue team walking to a pin at night must know
whether to search a 3 m or a 30 m circle. The error is propagated from the pose
uncertainty (pointing, GNSS, altitude, DEM) through the viewing geometry, and stated
as the radius holding 95 % of the probability. The geometry is that of the ground
actually hit: a ray grazing a slope (or level ground) moves far along it for a small
pointing or height error, so the radius grows as the ray's incidence flattens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewatch.geo.camera import CameraModel
from dronewatch.geo.firstcontact import LineCaster
from dronewatch.geo.projection import CameraPose
from dronewatch.geo.terrain import EARTH_RADIUS_M, Terrain

__all__ = ["EXACT_POSE", "TYPICAL_POSE", "GroundFix", "Locator", "PoseUncertainty",
           "locate_pixels"]

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3
R95_PER_SIGMA = 2.4477  # radius of a circular 2-D normal holding 95 %
MAX_RANGE_M = 5000.0  # as the exhaustive cast
#: Beyond this slant range the linearised projection is off by decimetres, enough to
#: decide a ray grazing a ridge top either way, so the exhaustive cast places the pixel.
LINEAR_RANGE_M = 2000.0
MIN_INCIDENCE = 0.02  # sine of the flattest incidence the error model follows (~1.1°)


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
    accuracy_m: float  # 95 % horizontal radius
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
        self.caster = LineCaster(terrain)
        self.origin_grid = self.caster.to_grid(x0, y0)  # DEM pixel-centre coordinates
        xn, xe, yn, ye = self.jacobian
        self.grid_per_m = (self.caster.grid_per_xy(xn, yn), self.caster.grid_per_xy(xe, ye))

    def to_wgs84(self, north_m: float, east_m: float) -> tuple[float, float]:
        return (self.pose.lat_deg + north_m * self.deg_per_m_north,
                self.pose.lon_deg + east_m * self.deg_per_m_east)

    def place(self, ray: NDArray[np.float64], alt_m: float,
              ) -> tuple[float, float, float, float] | None:
        """(north, east, slant range, dC/dt) of the first contact; None on a miss.

        ``dC/dt`` is how fast the ray's clearance over the ground falls per metre of
        range at the hit: the sine of the down-look angle on level ground, near zero
        where the ray grazes a slope.
        """
        if math.isnan(self.start_h) or alt_m <= self.start_h:
            return None  # off the DEM, or underground
        dn, de = self.grid_per_m
        found = self.caster.first_contact(
            self.origin_grid[0], self.origin_grid[1],
            dn[0] * ray[0] + de[0] * ray[1], dn[1] * ray[0] + de[1] * ray[1],
            alt_m, float(ray[2]), float(ray[0] ** 2 + ray[1] ** 2) / (2 * EARTH_RADIUS_M),
            MAX_RANGE_M)
        if found is None:
            return None
        t, rate = found
        if t > LINEAR_RANGE_M:
            return self._exhaustive(ray, alt_m, rate)
        return t * ray[0], t * ray[1], t, -rate

    def _exhaustive(self, ray: NDArray[np.float64], alt_m: float,
                    rate: float) -> tuple[float, float, float, float] | None:
        """The geo layer's exact cast for a far ray (the incidence from the fast walk)."""
        hits = self.terrain.cast_rays(self.pose.lat_deg, self.pose.lon_deg, alt_m, ray,
                                      max_range_m=MAX_RANGE_M)
        if not hits.hit[0]:
            return None
        t = float(hits.range_m[0])
        return t * ray[0], t * ray[1], t, -rate


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
        camera, pose, uncertainty = self.camera, self.pose, self.uncertainty
        rays = self.rays(u, v)
        placer = self.placer
        sigma_rad = math.radians(uncertainty.pointing_deg)
        fixes: list[GroundFix | None] = []
        for ray in rays:
            hit = placer.place(ray, pose.alt_amsl_m)
            if hit is None:
                fixes.append(None)
                continue
            north, east, t, incidence = hit
            # Per metre of range the clearance over the ground falls by `incidence` (the
            # sine of the down-look angle on level ground, smaller on a slope facing
            # away). A pointing error sigma moves the fix t·sigma across the look
            # direction and t·sigma/incidence along it; a height error dh moves it
            # dh·horiz/incidence. Rotation about the ray is free.
            incidence = max(abs(incidence), MIN_INCIDENCE)
            var_directional = (t * sigma_rad) ** 2 * (1.0 + 1.0 / incidence**2)
            horiz = math.hypot(ray[0], ray[1])
            lean = horiz / incidence  # metres sideways per metre of height error
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

