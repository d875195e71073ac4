"""An offline base layer: a shaded-relief image of the DEM in Web Mercator.

Why: the station often has no internet, so online map tiles cannot be the base of
the map. Our own DEM always is. Leaflet draws image overlays in Web Mercator between
two lat/lon corners, so the relief is warped to EPSG:3857 first; placing a UTM image
by its corners would shift features by hundreds of metres at the map's edges.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject

__all__ = ["ReliefImage", "relief_image"]


@dataclass(frozen=True, slots=True)
class ReliefImage:
    """RGBA relief in Web Mercator and its (south, west, north, east) bounds in degrees."""

    rgba: NDArray[np.uint8]
    south_deg: float
    west_deg: float
    north_deg: float
    east_deg: float


def _shade(z: NDArray[np.float64], pixel_m: float) -> NDArray[np.float64]:
    """Lambertian hillshade, sun from the north-west at 45°, 0..1."""
    gy, gx = np.gradient(z, pixel_m)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)
    azimuth, altitude = np.radians(315.0), np.radians(45.0)
    shade = np.sin(altitude) * np.cos(slope) + np.cos(altitude) * np.sin(slope) * np.cos(
        azimuth - aspect
    )
    return np.clip(shade, 0.0, 1.0)


def relief_image(dem_path: str | PathLike[str], *, max_px: int = 900) -> ReliefImage:
    """Shaded, height-tinted relief of a DEM, at most ``max_px`` pixels a side.

    Cached per DEM file (and its modification time): a live mission map is redrawn
    every few seconds over the same relief."""
    path = Path(dem_path)
    return _relief_cached(str(path.resolve()), path.stat().st_mtime_ns, max_px)


@functools.lru_cache(maxsize=4)
def _relief_cached(dem_path: str, _mtime_ns: int, max_px: int) -> ReliefImage:
    with rasterio.open(dem_path) as ds:
        factor = max(1, int(np.ceil(max(ds.width, ds.height) / max_px)))
        out_shape = (ds.height // factor, ds.width // factor)
        dem = ds.read(1, out_shape=out_shape, masked=True, resampling=Resampling.average)
        src_transform = ds.transform @ ds.transform.scale(
            ds.width / out_shape[1], ds.height / out_shape[0]
        )
        dst_transform, width, height = calculate_default_transform(
            ds.crs, "EPSG:3857", out_shape[1], out_shape[0], *ds.bounds
        )
        warped = np.full((height, width), np.nan, dtype=np.float64)
        reproject(
            np.ma.filled(dem.astype(np.float64), np.nan), warped,
            src_transform=src_transform, src_crs=ds.crs, src_nodata=np.nan,
            dst_transform=dst_transform, dst_crs="EPSG:3857", dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    valid = np.isfinite(warped)
    filled = np.where(valid, warped, np.nanmean(warped) if valid.any() else 0.0)
    shade = _shade(filled, abs(dst_transform.a))
    low, high = np.nanpercentile(warped, [1, 99]) if valid.any() else (0.0, 1.0)
    t = np.clip((filled - low) / max(high - low, 1e-6), 0.0, 1.0)
    # Gobi tints: pale sand in the lows to brown on the heights, darkened by the shade.
    tint = np.stack([232 - 90 * t, 214 - 110 * t, 170 - 120 * t], axis=-1)
    rgb = tint * (0.45 + 0.55 * shade[..., None])
    alpha = np.where(valid, 255, 0)[..., None]
    rgba = np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)
    west, north = dst_transform @ (0, 0)
    east, south = dst_transform @ (width, height)
    to_deg = Transformer.from_crs(3857, 4326, always_xy=True)
    west_deg, north_deg = to_deg.transform(west, north)
    east_deg, south_deg = to_deg.transform(east, south)
    return ReliefImage(rgba, south_deg, west_deg, north_deg, east_deg)
