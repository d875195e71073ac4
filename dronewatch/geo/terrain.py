"""Terrain elevation and ray casting over any GeoTIFF DEM.

Why: every height in a plan and every finding's position depends on the ground
below. The DEM may be our modelled area, an SRTM tile in EPSG:4326 or a survey in
UTM, so nothing here assumes a CRS or a size: points are transformed with pyproj and
the raster is read in small blocks (with an LRU cache) so a 3601x3601 tile is never
loaded whole. Heights are taken as metres above mean sea level, the datum
autopilots report altitude in.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np
import rasterio
from affine import AffineError
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from pyproj.exceptions import ProjError
from rasterio.errors import CRSError, RasterioError
from rasterio.windows import Window

from dronewatch._demfile import find_dem
from dronewatch.errors import NoDataError, OutsideCoverageError, TerrainError
from dronewatch.geo.metric import metres_per_degree
from dronewatch.geo.raycast import EARTH_RADIUS_M, GroundHits, cast_ray, cast_rays

__all__ = ["EARTH_RADIUS_M", "GroundHits", "Terrain"]  # the first two live in geo.raycast



class Terrain:
    """Bilinear elevation and ray casting over one single-band GeoTIFF DEM.

    Use as a context manager (it holds an open raster dataset)::

        with Terrain("mapdata/dem.tif") as terrain:
            terrain.elevation_m(44.8, 88.7)

    Parameters
    ----------
    path
        Any raster rasterio can open (GeoTIFF, SRTM ``.hgt`` under its own name, VRT),
        or a folder holding one (see ``find_dem``); band 1 holds heights in metres
        (band scale and offset are applied when set).
    block_px
        Side of the blocks read from disk and kept in the cache.
    cache_blocks
        How many blocks to keep in memory.

    Raises
    ------
    TerrainError
        When the file cannot be opened as a raster, or is too small to interpolate, or
        a folder holds several DEM tiles and no mosaic.
    """

    def __init__(
        self, path: str | PathLike[str], *, block_px: int = 256, cache_blocks: int = 64
    ) -> None:
        if Path(path).is_dir():
            path = find_dem(Path(path))  # a mapdata folder: its one DEM, or why not
        self.path = str(path)
        try:
            self._ds = rasterio.open(self.path)
        except (RasterioError, OSError) as exc:
            raise TerrainError(f"{self.path}: cannot open as a DEM raster: {exc}") from exc
        ds = self._ds
        if ds.crs is None:
            ds.close()
            raise TerrainError(f"{self.path}: the DEM has no CRS")
        if ds.width < 2 or ds.height < 2:
            ds.close()
            raise TerrainError(f"{self.path}: the DEM must be at least 2x2 pixels")
        self.crs = ds.crs
        try:  # a damaged header can hold a CRS or geotransform nothing can use
            self._inverse = ~ds.transform
            self._to_dem = Transformer.from_crs(4326, ds.crs, always_xy=True)
            self.pixel_size_m = _pixel_size_m(ds)
        except (CRSError, ProjError, AffineError) as exc:
            ds.close()
            raise TerrainError(f"{self.path}: the DEM's CRS or geotransform is unusable "
                               f"(a damaged file?): {exc}") from exc
        self._scale = float(ds.scales[0] or 1.0)
        self._offset = float(ds.offsets[0] or 0.0)
        self._block = int(block_px)
        self._cache: OrderedDict[tuple[int, int], NDArray[np.float64]] = OrderedDict()
        self._cache_blocks = int(cache_blocks)
        self._lock = threading.Lock()
        self.blocks_read = 0
        self.damaged_blocks: dict[tuple[int, int], str] = {}  # (bi, bj) -> GDAL's reason

    # -- resource handling -------------------------------------------------------------
    def close(self) -> None:
        """Close the underlying dataset."""
        self._ds.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the DEM in pixels."""
        return self._ds.height, self._ds.width

    @property
    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees, enclosing the whole DEM."""
        west, south, east, north = Transformer.from_crs(
            self._ds.crs, 4326, always_xy=True
        ).transform_bounds(*self._ds.bounds, densify_pts=21)
        return west, south, east, north

    # -- sampling ----------------------------------------------------------------------
    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Bilinear ground height (m AMSL) at WGS84 points; scalars or arrays.

        Raises
        ------
        OutsideCoverageError
            A point lies outside the DEM; the message names the first one.
        NoDataError
            A point's interpolation touches a nodata cell; the message names it.
        """
        lat, lon = np.broadcast_arrays(
            np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
        )
        x, y = self._to_dem.transform(lon, lat)
        heights, inside = self._sample_dem_xy(np.asarray(x), np.asarray(y))
        if not np.all(inside):
            i = int(np.flatnonzero(~inside.ravel())[0])
            raise OutsideCoverageError(
                f"{self.path}: point lat={lat.ravel()[i]:.6f} "
                f"lon={lon.ravel()[i]:.6f} is outside the DEM "
                f"(covers lon {self.bounds_wgs84[0]:.4f}..{self.bounds_wgs84[2]:.4f}, "
                f"lat {self.bounds_wgs84[1]:.4f}..{self.bounds_wgs84[3]:.4f})"
            )
        if np.any(np.isnan(heights)):
            i = int(np.flatnonzero(np.isnan(heights).ravel())[0])
            raise NoDataError(
                f"{self.path}: no elevation at lat={lat.ravel()[i]:.6f} "
                f"lon={lon.ravel()[i]:.6f} ({self._why_no_data()})"
            )
        return heights

    def elevation_or_nan(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Like :meth:`elevation_m` but NaN where outside coverage or nodata, never raising."""
        x, y = self._to_dem.transform(
            np.asarray(lon_deg, dtype=float), np.asarray(lat_deg, dtype=float)
        )
        heights, inside = self._sample_dem_xy(np.asarray(x), np.asarray(y))
        return np.where(inside, heights, np.nan)

    def elevation_at(self, lat_deg: float, lon_deg: float) -> float:
        """One point's bilinear height, NaN off the DEM or on nodata.

        Why a scalar path: a simulator or a controller asks for one point many times a
        second, where array set-up would cost more than the interpolation itself.
        """
        x, y = self._to_dem.transform(lon_deg, lat_deg)
        return self.elevation_at_xy(x, y)

    def to_dem_xy(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        """A point in the DEM's own CRS (for callers that step in metres from it)."""
        x, y = self._to_dem.transform(lon_deg, lat_deg)
        return float(x), float(y)

    def elevation_at_xy(self, x: float, y: float) -> float:
        """:meth:`elevation_at` for a point already in the DEM's CRS."""
        col, row = self._inverse @ (x, y)
        height, width = self.shape
        if not (0.0 <= col <= width and 0.0 <= row <= height):
            return math.nan
        fx = min(max(col - 0.5, 0.0), width - 1.0)
        fy = min(max(row - 0.5, 0.0), height - 1.0)
        i0 = min(int(fx), width - 2)
        j0 = min(int(fy), height - 2)
        wx, wy = fx - i0, fy - j0
        b = self._block
        block = self._read_block(i0 // b, j0 // b)
        li, lj = i0 - (i0 // b) * b, j0 - (j0 // b) * b
        total = 0.0
        for weight, value in (
            ((1 - wx) * (1 - wy), block[lj, li]),
            (wx * (1 - wy), block[lj, li + 1]),
            ((1 - wx) * wy, block[lj + 1, li]),
            (wx * wy, block[lj + 1, li + 1]),
        ):
            if weight > 0:
                if math.isnan(value):
                    return math.nan
                total += weight * float(value)
        return total

    def _sample_dem_xy(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Heights at DEM-CRS coordinates, and whether each point lies inside the raster."""
        shape = np.shape(x)
        col, row = self._inverse @ (np.ravel(x), np.ravel(y))
        col = np.asarray(col, dtype=float)
        row = np.asarray(row, dtype=float)
        height, width = self.shape
        inside = (col >= 0) & (col <= width) & (row >= 0) & (row <= height)
        # Pixel centres sit at +0.5; clamp the half-pixel rim to the edge centres.
        fx = np.clip(np.where(inside, col, 0.0) - 0.5, 0.0, width - 1.0)
        fy = np.clip(np.where(inside, row, 0.0) - 0.5, 0.0, height - 1.0)
        i0 = np.minimum(np.floor(fx).astype(np.int64), width - 2)
        j0 = np.minimum(np.floor(fy).astype(np.int64), height - 2)
        wx = fx - i0
        wy = fy - j0
        values = np.stack(self._corners(i0, j0))
        weights = np.stack([(1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy])
        used = weights > 0
        total = np.where(used, values, 0.0) * weights
        total = total.sum(axis=0)
        total[(used & np.isnan(values)).any(axis=0)] = np.nan
        return total.reshape(shape), inside.reshape(shape)

    def _corners(
        self, i0: NDArray[np.int64], j0: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], ...]:
        """The 2x2 neighbourhoods at (i0, j0), read block by block through the cache."""
        out = [np.empty(i0.shape, dtype=float) for _ in range(4)]
        b = self._block
        keys = (j0 // b) * (self.shape[1] // b + 1) + (i0 // b)
        for key in np.unique(keys):
            sel = keys == key
            bj, bi = int(j0[sel][0] // b), int(i0[sel][0] // b)
            block = self._read_block(bi, bj)
            li = i0[sel] - bi * b
            lj = j0[sel] - bj * b
            out[0][sel] = block[lj, li]
            out[1][sel] = block[lj, li + 1]
            out[2][sel] = block[lj + 1, li]
            out[3][sel] = block[lj + 1, li + 1]
        return tuple(out)

    def _read_block(self, bi: int, bj: int) -> NDArray[np.float64]:
        """Block (bi, bj) with a one-pixel overlap to the right and below, NaN for nodata."""
        key = (bi, bj)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            b = self._block
            height, width = self.shape
            col_off, row_off = bi * b, bj * b
            window = Window(
                col_off, row_off, min(b + 1, width - col_off), min(b + 1, height - row_off)
            )
            try:
                data = self._ds.read(1, window=window, masked=True).astype(float)
                block = np.ma.filled(data, np.nan) * self._scale + self._offset
            except RasterioError as exc:  # a damaged tile: no ground known there
                self.damaged_blocks[key] = str(exc.__cause__ or exc)  # GDAL's own words
                block = np.full((window.height, window.width), np.nan)
            self.blocks_read += 1
            self._cache[key] = block
            if len(self._cache) > self._cache_blocks:
                self._cache.popitem(last=False)
            return block

    def _why_no_data(self) -> str:
        """Why a cell has no height: nodata, or a part of the file that cannot be read.

        Why a damaged tile is not an error of its own: its cells are unknown ground,
        which every caller already handles as nodata (a waypoint there is refused, a
        ray through it is not placed); a DEM cut short by a bad copy must not crash a
        planner that would have refused those cells anyway.
        """
        if not self.damaged_blocks:
            return "nodata in the DEM"
        (bi, bj), reason = next(iter(self.damaged_blocks.items()))
        b = self._block
        return (f"nodata, or a damaged part of the file: {len(self.damaged_blocks)} block(s) "
                f"of {b} px could not be read, the first at rows {bj * b}.., columns "
                f"{bi * b}..: {reason}")

    # -- ray casting (in geo.raycast) --------------------------------------------------
    def cast_rays(self, lat_deg: float, lon_deg: float, alt_amsl_m: float,
                  directions_ned: ArrayLike, *, max_range_m: float = 5000.0,
                  ) -> GroundHits:
        """Where rays from one point first meet the ground (see :func:`geo.raycast.cast_rays`)."""
        return cast_rays(self, lat_deg, lon_deg, alt_amsl_m, directions_ned,
                         max_range_m=max_range_m)

    def cast_ray(self, lat_deg: float, lon_deg: float, alt_amsl_m: float,
                 direction_ned: ArrayLike, *, max_range_m: float = 5000.0,
                 ) -> tuple[float, float, float]:
        """One ray's first ground contact (see :func:`geo.raycast.cast_ray`)."""
        return cast_ray(self, lat_deg, lon_deg, alt_amsl_m, direction_ned,
                        max_range_m=max_range_m)


def _pixel_size_m(ds: rasterio.DatasetReader) -> float:
    """The DEM's finer pixel side in metres (at its middle latitude when in degrees)."""
    res_x, res_y = ds.res
    if ds.crs.is_geographic:
        north_m, east_m = metres_per_degree((ds.bounds.bottom + ds.bounds.top) / 2.0)
        return min(res_x * east_m, res_y * north_m)
    return min(res_x, res_y) * ds.crs.linear_units_factor[1]
