"""The ground's temperature over the modelled area at an hour of a November day.

Why this model: what makes thermal search hard is the background, not the target.
Sun-facing slopes warm up by day and everything is cold at night; spoil heaps and
coal seams (the combustion-hazard zones) run warm all the time; roads hold heat; and
sand, gravel and rock give the ground a texture at every scale. The large-scale part
lives on the DEM grid (30 m); the fine texture is a seeded sum of plane waves in
metres, so a patch of ground looks the same in every frame and from every pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import rasterio
import rasterio.features
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from dronewatch.geo import LocalFrame
from dronewatch.zones import ZoneKind, ZoneSet
from simulators.thermal.things import Thing

__all__ = ["Clock", "ThermalWorld"]

AIR_NIGHT_C = -9.0  # a clear November night in the Gobi
DAY_PEAK_RISE_K = 20.0  # flat ground at 14:00 over the night level
SLOPE_GAIN_K = 14.0  # a slope facing the sun over flat ground at full sun
WARM_GROUND_K = 7.0  # spoil heaps and coal seams over their surroundings
ROAD_WARM_K = (2.0, 5.0)  # (night, day)
ROAD_WIDTH_M = 8.0


@dataclass(frozen=True, slots=True)
class Clock:
    """Local solar time and the sun it gives (45° N, late November)."""

    hour: float

    @property
    def sun_elevation_deg(self) -> float:
        if not 7.5 < self.hour < 16.5:
            return -10.0
        return 22.0 * math.sin(math.pi * (self.hour - 7.5) / 9.0)

    @property
    def sun_azimuth_deg(self) -> float:
        return 180.0 + (self.hour - 12.0) * 15.0

    @property
    def night(self) -> bool:
        return self.sun_elevation_deg <= 0

    @property
    def flat_ground_c(self) -> float:
        if self.night:
            return AIR_NIGHT_C
        warm = math.sin(math.pi * min(max((self.hour - 8.0) / 10.0, 0.0), 1.0))
        return AIR_NIGHT_C + DAY_PEAK_RISE_K * warm


class ThermalWorld:
    """Ground temperature plus things, over the DEM of the area.

    Parameters
    ----------
    dem_path
        The DEM (any projected CRS in metres).
    zones
        Combustion-hazard zones run warm; key sites are joined to the first launch site
        by roads.
    clock
        The hour.
    things
        What is on the ground (the ground truth of a scenario).
    seed
        The ground's fine texture.
    """

    def __init__(self, dem_path: Path, zones: ZoneSet, clock: Clock,
                 things: Sequence[Thing] = (), *, seed: int = 0) -> None:
        self.clock = clock
        self.things = list(things)
        self.seed = seed
        with rasterio.open(dem_path) as src:
            dem = src.read(1, masked=True).filled(np.nan).astype(np.float64)
            self._inverse = ~src.transform
            self.crs = src.crs
            pixel_m = abs(src.transform.a)
            to_dem = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True)
            shapes = [(shapely.transform(zone.geometry, lambda xy: np.column_stack(
                to_dem.transform(xy[:, 0], xy[:, 1]))), 1)
                      for zone in zones.of_kind(ZoneKind.COMBUSTION_HAZARD)]
            warm = rasterio.features.rasterize(shapes, out_shape=dem.shape,
                                               transform=src.transform) if shapes else 0
        self._to_dem = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        self.base_c = self._base(dem, pixel_m, warm).astype(np.float32)
        self.frame = LocalFrame(*_centre(zones))
        self.roads = _roads(zones, self.frame)
        rng = np.random.default_rng(seed)
        # many plane waves of random direction per octave read as grain, not stripes
        wavelengths = np.repeat([1.6, 3.2, 6.4, 12.8, 40.0], 4) * rng.uniform(0.8, 1.25, 20)
        angles = rng.uniform(0, 2 * np.pi, wavelengths.size)
        self._waves = np.stack([2 * np.pi / wavelengths * np.cos(angles),
                                2 * np.pi / wavelengths * np.sin(angles),
                                rng.uniform(0, 2 * np.pi, wavelengths.size)], axis=1)
        texture_k = 0.9 if clock.night else 2.2  # sunlit sand and rock vary more
        self._amplitudes = texture_k * np.repeat([0.12, 0.15, 0.18, 0.2, 0.3], 4) / 1.2

    def _base(self, dem: NDArray, pixel_m: float, warm: NDArray | int) -> NDArray:
        filled = np.where(np.isnan(dem), np.nanmean(dem), dem)
        gy, gx = np.gradient(filled, pixel_m)  # rows run south, so -gy is d/dnorth
        slope = np.arctan(np.hypot(gx, gy))
        aspect = np.arctan2(-gx, gy)  # downslope direction, clockwise from north
        sun_el = math.radians(max(self.clock.sun_elevation_deg, 0.0))
        sun_az = math.radians(self.clock.sun_azimuth_deg)
        cos_inc = (np.cos(slope) * math.sin(sun_el)
                   + np.sin(slope) * math.cos(sun_el) * np.cos(sun_az - aspect))
        gain = SLOPE_GAIN_K * (np.clip(cos_inc, 0, None) - math.sin(sun_el)) if sun_el > 0 else 0
        return self.clock.flat_ground_c + gain + WARM_GROUND_K * np.asarray(warm, dtype=float)

    def place(self, things: Sequence[Thing]) -> None:
        """Put more things on the ground (their temperatures drawn for this world)."""
        self.things.extend(things)

    # -- sampling ----------------------------------------------------------------------
    def dem_index(self, lat_deg: NDArray, lon_deg: NDArray) -> tuple[NDArray, NDArray]:
        """Fractional (col, row) on the DEM grid, pixel centres at .5."""
        x, y = self._to_dem.transform(lon_deg, lat_deg)
        col, row = self._inverse @ (np.asarray(x), np.asarray(y))
        return np.asarray(col), np.asarray(row)

    def ground_c(self, lat_deg: NDArray, lon_deg: NDArray) -> NDArray[np.float32]:
        """Ground temperature at points (any shape), texture and roads included."""
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        col, row = self.dem_index(lat, lon)
        east, north = self.frame.to_local(lat, lon)
        return self.ground_c_at(col - 0.5, row - 0.5, np.asarray(east), np.asarray(north))

    def ground_c_at(self, col: NDArray, row: NDArray, east_m: NDArray,
                    north_m: NDArray) -> NDArray[np.float32]:
        """Ground temperature from DEM indices (pixel centres at integers) and local metres."""
        shape = np.shape(col)
        col32 = np.ascontiguousarray(col, dtype=np.float32).reshape(shape[0], -1)
        row32 = np.ascontiguousarray(row, dtype=np.float32).reshape(shape[0], -1)
        temp = cv2.remap(self.base_c, col32, row32, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).reshape(shape)
        e = np.asarray(east_m, dtype=np.float32)
        n = np.asarray(north_m, dtype=np.float32)
        for (kx, ky, phase), amp in zip(self._waves, self._amplitudes, strict=True):
            temp += np.float32(amp) * np.sin(np.float32(kx) * e + np.float32(ky) * n
                                             + np.float32(phase))
        road_k = ROAD_WARM_K[0] if self.clock.night else ROAD_WARM_K[1]
        for (e0, n0), (e1, n1) in self.roads:
            near = _segment_distance(e, n, e0, n0, e1, n1)
            temp += np.float32(road_k) * np.clip(ROAD_WIDTH_M / 2 + 0.5 - near, 0, 1)
        return temp


def _centre(zones: ZoneSet) -> tuple[float, float]:
    sites = zones.launch_sites
    if sites:
        return sites[0].lat_deg, sites[0].lon_deg
    point = zones.operating_area.geometry.centroid
    return point.y, point.x


def _roads(zones: ZoneSet, frame: LocalFrame) -> list[tuple[tuple[float, float], ...]]:
    """Straight tracks from the first launch site to every key site."""
    sites = zones.launch_sites
    if not sites:
        return []
    start = frame.to_local(sites[0].lat_deg, sites[0].lon_deg)
    roads = []
    for zone in zones.of_kind(ZoneKind.KEY_SITE):
        c = zone.geometry.centroid
        end = frame.to_local(c.y, c.x)
        roads.append(((float(start[0]), float(start[1])), (float(end[0]), float(end[1]))))
    return roads


def _segment_distance(e: NDArray, n: NDArray, e0: float, n0: float, e1: float,
                      n1: float) -> NDArray:
    de, dn = e1 - e0, n1 - n0
    length2 = de * de + dn * dn
    t = np.clip(((e - e0) * de + (n - n0) * dn) / length2, 0, 1)
    return np.hypot(e - (e0 + t * de), n - (n0 + t * dn))
