"""A thermal camera over the simulated world: radiometric or AGC frames from any pose.

Why from a pose and nothing else: the camera must work behind our vehicle simulator
and behind a real ArduPilot or PX4 SITL alike, so it takes the pose the vehicle
*reports* and renders what a camera there would see. Geometry uses dronewatch's public
ray cast on a coarse grid of pixels (the ground is smooth within 32 pixels); things are
drawn by projecting their outlines into the image, supersampled for partial pixels.
Then the sensor: optical blur, vignetting, a fixed column pattern, temporal noise at
the NETD, and quantisation to the frame's unit.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.geo import CameraModel, CameraPose, LocalFrame, Terrain, ground_to_pixel
from dronewatch.geo.projection import pixel_to_ground
from dronewatch.thermal import Frame, PixelUnit
from simulators.thermal.things import Thing, ThingKind
from simulators.thermal.world import ThermalWorld

__all__ = ["SensorModel", "ThermalCamera"]

GRID_STEP_PX = 32
SKY_C = -40.0
SUPERSAMPLE = 4
AGC_MAX_GAIN_SPAN_K = 12.0  # the narrowest span the 8-bit output is stretched over


@dataclass(frozen=True, slots=True)
class SensorModel:
    """The imperfections of an uncooled microbolometer core."""

    netd_k: float = 0.05
    blur_sigma_px: float = 0.7
    vignetting_k: float = 1.2  # corners read this much colder than the centre
    column_pattern_k: float = 0.12


class ThermalCamera:
    """Renders frames of a :class:`ThermalWorld` for reported poses.

    Parameters
    ----------
    world, terrain, camera
        What to see, the ground it stands on, and the camera's geometry.
    unit
        The output pixel unit; ``PixelUnit.AGC_8BIT`` gives a video-like 8-bit frame.
    seed
        The fixed pattern and the temporal noise (each frame's noise is seeded by the
        seed and the frame time, so a rerun renders the same frames).
    """

    def __init__(self, world: ThermalWorld, terrain: Terrain, camera: CameraModel, *,
                 unit: PixelUnit = PixelUnit.CENTI_KELVIN, sensor: SensorModel = SensorModel(),
                 seed: int = 0) -> None:
        self.world, self.terrain, self.camera = world, terrain, camera
        self.unit, self.sensor, self.seed = unit, sensor, seed
        rng = np.random.default_rng(seed)
        w, h = camera.width_px, camera.height_px
        self._columns = rng.normal(0, sensor.column_pattern_k, w).astype(np.float32)[None, :]
        u, v = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        cu, cv = camera.principal_point_px
        r2 = ((u - cu) ** 2 + (v - cv) ** 2) / (cu**2 + cv**2)
        self._vignette = (-sensor.vignetting_k * r2).astype(np.float32)
        nu = math.ceil((w - 1) / GRID_STEP_PX) + 1
        nv = math.ceil((h - 1) / GRID_STEP_PX) + 1
        self._grid_u = np.linspace(0, w - 1, nu)
        self._grid_v = np.linspace(0, h - 1, nv)
        self._map_u = (u * (nu - 1) / (w - 1)).astype(np.float32)
        self._map_v = (v * (nv - 1) / (h - 1)).astype(np.float32)

    # -- geometry ----------------------------------------------------------------------
    def _ground_grid(self, pose: CameraPose) -> tuple[NDArray, ...] | None:
        gu, gv = np.meshgrid(self._grid_u, self._grid_v)
        hits = pixel_to_ground(self.terrain, self.camera, pose, gu.ravel(), gv.ravel())
        if not hits.hit.any():
            return None
        shape = gu.shape
        lat = np.where(hits.hit, hits.lat_deg, np.nan).reshape(shape)
        lon = np.where(hits.hit, hits.lon_deg, np.nan).reshape(shape)
        sky = ~hits.hit.reshape(shape)
        lat = np.where(sky, np.nanmean(lat), lat)
        lon = np.where(sky, np.nanmean(lon), lon)
        col, row = self.world.dem_index(lat, lon)
        east, north = self.world.frame.to_local(lat, lon)
        return (col - 0.5, row - 0.5, np.asarray(east), np.asarray(north),
                sky.astype(np.float32))

    def _upsample(self, grid: NDArray) -> NDArray[np.float32]:
        return cv2.remap(grid.astype(np.float32), self._map_u, self._map_v, cv2.INTER_LINEAR)

    # -- things ------------------------------------------------------------------------
    def _draw(self, scene: NDArray[np.float32], thing: Thing, pose: CameraPose) -> None:
        outline, core = _plan_view(thing)
        frame = LocalFrame(thing.lat_deg, thing.lon_deg)
        ground = self.terrain.elevation_at(thing.lat_deg, thing.lon_deg)
        if math.isnan(ground):
            return
        pts = []
        for shape in (outline, core):
            lat, lon = frame.to_wgs84(shape[:, 0], shape[:, 1])
            u, v, _ = ground_to_pixel(self.camera, pose, lat, lon, np.full(len(shape), ground))
            if not np.isfinite(u).all():
                return
            pts.append(np.stack([u, v], axis=1))
        reach = pts[0].max(axis=0) - pts[0].min(axis=0)
        grow = reach * 0.2 if thing.kind is ThingKind.COAL_FIRE else 0.0
        lo = np.floor(pts[0].min(axis=0) - grow).astype(int) - 2
        hi = np.ceil(pts[0].max(axis=0) + grow).astype(int) + 3
        h, w = scene.shape
        if hi[0] < 0 or hi[1] < 0 or lo[0] >= w or lo[1] >= h:
            return
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], w), min(hi[1], h)
        if x1 <= x0 or y1 <= y0:
            return
        size = ((x1 - x0) * SUPERSAMPLE, (y1 - y0) * SUPERSAMPLE)
        roi = scene[y0:y1, x0:x1]
        layers = [(pts[0], thing.temp_c, 1.0), (pts[1], thing.core_c, 1.0)]
        if thing.kind is ThingKind.COAL_FIRE:  # a warm halo, the hot crust, the vents
            centre = pts[0].mean(axis=0)
            layers.insert(0, (centre + 1.25 * (pts[0] - centre), thing.temp_c, 0.5))
        for points, temp, weight in layers:
            mask = np.zeros((size[1], size[0]), np.uint8)
            shifted = np.round((points - [x0, y0]) * SUPERSAMPLE).astype(np.int32)
            cv2.fillPoly(mask, [shifted], 255)
            if thing.hidden > 0 and temp == thing.temp_c:
                _hide(mask, thing.hidden)
            cover = cv2.resize(mask, (x1 - x0, y1 - y0),
                               interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
            roi += np.float32(weight) * cover * (np.float32(temp) - roi)

    # -- render ------------------------------------------------------------------------
    def render(self, pose: CameraPose, time_unix_s: float) -> Frame:
        """The frame this camera would take at ``pose``, in the camera's unit."""
        grid = self._ground_grid(pose)
        h, w = self.camera.height_px, self.camera.width_px
        if grid is None:
            scene = np.full((h, w), SKY_C, np.float32)
        else:
            col, row, east, north, sky = (self._upsample(g) for g in grid)
            scene = self.world.ground_c_at(col, row, east, north)
            scene = np.where(sky > 0.5, np.float32(SKY_C), scene)
            for thing in self.world.things:
                self._draw(scene, thing, pose)
        s = self.sensor
        if s.blur_sigma_px > 0:
            scene = cv2.GaussianBlur(scene, (0, 0), s.blur_sigma_px)
        noise_seed = zlib.crc32(f"{self.seed}:{time_unix_s:.6f}".encode())
        noise = np.random.default_rng(noise_seed).normal(0, s.netd_k, scene.shape)
        scene = scene + self._vignette + self._columns + noise.astype(np.float32)
        return Frame(self._encode(scene), self.unit, time_unix_s, self.camera, pose, "sim-camera")

    def _encode(self, celsius: NDArray[np.float32]) -> NDArray:
        if self.unit is PixelUnit.AGC_8BIT:
            lo, hi = np.percentile(celsius[::4, ::4], [1.0, 99.5])
            hi = max(hi, lo + AGC_MAX_GAIN_SPAN_K)  # gain is capped, as cameras cap it
            return np.clip((celsius - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
        return np.asarray(self.unit.from_celsius(celsius))


def _plan_view(thing: Thing) -> tuple[NDArray, NDArray]:
    """Outline and hot core in local metres (east, north) around the thing's position."""
    half_l, half_w = thing.length_m / 2, thing.width_m / 2
    if thing.kind in (ThingKind.VEHICLE, ThingKind.MACHINE):
        body = np.array([[-half_w, -half_l], [half_w, -half_l], [half_w, half_l],
                         [-half_w, half_l]])
        core = np.array([[-half_w * 0.8, half_l * 0.45], [half_w * 0.8, half_l * 0.45],
                         [half_w * 0.8, half_l * 0.95], [-half_w * 0.8, half_l * 0.95]])
    else:
        a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        body = np.stack([half_w * np.cos(a), half_l * np.sin(a)], axis=1)
        if thing.kind is ThingKind.COAL_FIRE:
            core = body * 0.35
        else:  # a head: at the front end for a lying or sitting body, central if standing
            head_r = 0.11 if thing.kind is ThingKind.PERSON else half_w * 0.5
            front = 0.0 if thing.length_m < 0.6 else half_l - head_r
            core = np.stack([head_r * np.cos(a), front + head_r * np.sin(a)], axis=1)
    turn = math.radians(thing.heading_deg)
    rot = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
    return body @ rot.T, core @ rot.T


def _hide(mask: NDArray[np.uint8], share: float) -> None:
    """Cover the given share of a mask's rows from one side (a bush, a ledge)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size:
        cut = rows[0] + round(share * rows.size)
        mask[:cut] = 0
