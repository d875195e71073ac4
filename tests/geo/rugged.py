"""A rugged, real-like DEM and a fine ray march to judge ray casts against.

Why a made-up DEM: a real SRTM tile cannot ship with the tests, and what breaks a ray
cast is what such tiles hold at their worst: knife-edge ridges one sample wide, lone
pinnacles and steep rough slopes, seen at grazing angles. The DEM is seeded, written
as a tiled GeoTIFF in UTM and read back through rasterio, as dronewatch reads DEMs.

Why a separate march: the reference must not share the code it judges. It reads the
raster with rasterio, interpolates with SciPy, steps a few percent of a cell and
bisects; only the geometry of the ray (local frame, Earth curvature) is shared.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy import ndimage

from dronewatch.geo import LocalFrame
from dronewatch.geo.raycast import EARTH_RADIUS_M

CRS = "EPSG:32645"
WEST_M, NORTH_M, CELL_M, SIZE_PX = 620_000.0, 4_975_000.0, 30.0, 440
CENTRE_XY_M = (WEST_M + CELL_M * SIZE_PX / 2, NORTH_M - CELL_M * SIZE_PX / 2)


def rugged_heights(seed: int) -> NDArray[np.float32]:
    """Heights (m): rolling ground, rough slopes, knife-edge ridges and pinnacles."""
    rng = np.random.default_rng(seed)
    n = SIZE_PX
    rolling = ndimage.gaussian_filter(rng.normal(size=(n, n)), 12, mode="wrap")
    rough = ndimage.gaussian_filter(rng.normal(size=(n, n)), 1.5, mode="wrap")
    z = 1100.0 + 180.0 * rolling / rolling.std() + 12.0 * rough / rough.std()
    for _ in range(70):  # ridges one sample wide, straight or bent
        r, c = rng.uniform(0, n, 2)
        angle, length = rng.uniform(0, math.pi), rng.uniform(20, 160)
        bend, rise = rng.normal(0, 0.01), rng.uniform(25, 160)
        for _ in range(int(length * 2)):
            angle += bend
            r, c = r + 0.5 * math.sin(angle), c + 0.5 * math.cos(angle)
            if 0 <= r < n and 0 <= c < n:
                z[int(r), int(c)] = max(z[int(r), int(c)], z[int(r), int(c)] + rise)
    rows, cols = rng.integers(0, n, 300), rng.integers(0, n, 300)
    z[rows, cols] += rng.uniform(20, 120, 300)  # pinnacles
    return z.astype(np.float32)


def write_rugged_dem(path: Path, seed: int = 14) -> Path:
    """Write the rugged DEM as a tiled, compressed GeoTIFF."""
    profile = {"driver": "GTiff", "width": SIZE_PX, "height": SIZE_PX, "count": 1,
               "dtype": "float32", "crs": CRS, "nodata": -9999.0, "compress": "deflate",
               "transform": from_origin(WEST_M, NORTH_M, CELL_M, CELL_M),
               "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(rugged_heights(seed), 1)
    return path


def centre_wgs84() -> tuple[float, float]:
    """(lat, lon) of the DEM's centre."""
    lon, lat = Transformer.from_crs(CRS, 4326, always_xy=True).transform(*CENTRE_XY_M)
    return float(lat), float(lon)


class FineMarch:
    """First ground contact by small steps and bisection, over a DEM read whole."""

    def __init__(self, path: Path, step_m: float = 1.0) -> None:
        with rasterio.open(path) as ds:
            self.z = ds.read(1).astype(np.float64)
            self.inverse = ~ds.transform
            self.to_dem = Transformer.from_crs(4326, ds.crs, always_xy=True)
        self.step_m = step_m

    def clearance(self, frame: LocalFrame, alt_m: float, ray: NDArray[np.float64],
                  t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Ray height over the bilinear ground at ranges t (NaN off the DEM)."""
        north, east = t * ray[0], t * ray[1]
        lat, lon = frame.to_wgs84(east, north)
        col, row = self.inverse @ self.to_dem.transform(lon, lat)
        ground = ndimage.map_coordinates(self.z, [np.asarray(row) - 0.5, np.asarray(col) - 0.5],
                                         order=1, mode="nearest")
        h, w = self.z.shape
        off = (col < 0) | (col > w) | (row < 0) | (row > h)
        ray_alt = alt_m - t * ray[2] + (north**2 + east**2) / (2 * EARTH_RADIUS_M)
        return np.where(off, np.nan, ray_alt - ground)

    def range_m(self, lat_deg: float, lon_deg: float, alt_m: float, ray: NDArray[np.float64],
                max_range_m: float = 5000.0) -> float:
        """Slant range of the first contact; NaN when the ray leaves the DEM or the range."""
        frame = LocalFrame(lat_deg, lon_deg)
        ray = np.asarray(ray, dtype=float) / np.linalg.norm(ray)
        t = np.arange(0.0, max_range_m + self.step_m, self.step_m)
        c = self.clearance(frame, alt_m, ray, t)
        stop = np.flatnonzero(~(c > 0))
        if stop.size == 0 or stop[0] == 0 or np.isnan(c[stop[0]]):
            return math.nan
        lo, hi = float(t[stop[0] - 1]), float(t[stop[0]])
        while hi - lo > 1e-3:
            mid = (lo + hi) / 2
            if self.clearance(frame, alt_m, ray, np.array([mid]))[0] > 0:
                lo = mid
            else:
                hi = mid
        return hi if hi <= max_range_m else math.nan

    def touches(self, lat_deg: float, lon_deg: float, alt_m: float, ray: NDArray[np.float64],
                t_m: float, tolerance_m: float = 0.05) -> bool:
        """Whether the ray at range t is on the ground (within 5 cm), by this march's sampler.

        Why: a ray may clip a ridge top over less than one step of the march; the march
        then misses the contact, and this is how a closer answer is checked fairly.
        """
        ray = np.asarray(ray, dtype=float) / np.linalg.norm(ray)
        c = self.clearance(LocalFrame(lat_deg, lon_deg), alt_m, ray, np.array([t_m]))[0]
        return bool(c <= tolerance_m)
