"""The station's own terrain: one DEM in local UTM built from real tiles, checked against the zones.

Why: the repository's ``mapdata/`` is a modelled area. A station flies over real
ground, and real DEMs come as SRTM tiles in degrees, one per square degree, often
several for one district. Planning wants one raster in metres (UTM, so a cell is a
square on the ground) that covers the whole operating area, small enough to read
fast, and known to fit the zones before a drone is sent over them; this module makes
that raster in one step and refuses, with the reason, when it cannot.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from rasterio.errors import RasterioError
from rasterio.merge import merge
from rasterio.transform import from_origin
from rasterio.warp import Resampling, reproject

from dronewatch._demfile import DEM_NAME, DEM_SUFFIXES
from dronewatch.errors import MapdataError
from dronewatch.geo import Terrain, metres_per_degree
from dronewatch.zones import ZoneSet, load_zones, off_the_map

__all__ = ["BuiltMapdata", "build_mapdata", "check_zones_on_dem", "utm_epsg"]

NODATA_M = -32768.0
"""Nodata of the built DEM: SRTM's own void value, so voids stay voids."""
_SAMPLES_PER_SIDE = 40  # points across each zone's box when looking for voids
_LOWEST_M, _HIGHEST_M = -450.0, 8900.0  # the Dead Sea shore and Everest: heights on Earth


@dataclass(frozen=True, slots=True)
class BuiltMapdata:
    """What ``build_mapdata`` wrote: the DEM, the zones beside it, and its grid."""

    dem_path: Path
    zones_path: Path
    epsg: int
    resolution_m: float
    width_px: int
    height_px: int
    tiles: tuple[Path, ...]
    min_height_m: float
    max_height_m: float
    launch_heights_m: tuple[tuple[str, float], ...]


def utm_epsg(lon_deg: float, lat_deg: float) -> int:
    """The WGS84 UTM zone (EPSG code) holding a point, as pyproj's database says."""
    found = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(
        lon_deg, lat_deg, lon_deg, lat_deg))
    if not found:
        raise MapdataError(f"no UTM zone at lon {lon_deg:.4f}, lat {lat_deg:.4f}")
    return int(found[0].code)


def _tile_paths(paths: Sequence[Path]) -> tuple[Path, ...]:
    """The tiles named, a folder standing for the DEM files inside it."""
    tiles: list[Path] = []
    for path in paths:
        if path.is_dir():
            tiles.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in DEM_SUFFIXES))
        else:
            tiles.append(path)
    if not tiles:
        raise MapdataError("no DEM tiles given: name .hgt/.tif/.vrt files (or a folder of "
                           "them) with --dem")
    return tuple(tiles)


def _open_all(tiles: Sequence[Path]) -> list[rasterio.DatasetReader]:
    """Every tile opened, all in one CRS; the first unreadable one is named."""
    datasets: list[rasterio.DatasetReader] = []
    try:
        for tile in tiles:
            try:
                ds = rasterio.open(tile)
            except (RasterioError, OSError) as exc:
                raise MapdataError(f"{tile}: cannot open as a DEM raster: {exc}") from exc
            datasets.append(ds)
            if ds.crs is None:
                raise MapdataError(f"{tile}: the DEM has no CRS")
            if ds.crs != datasets[0].crs:
                raise MapdataError(f"{tile}: in {ds.crs}, but {tiles[0]} is in "
                                   f"{datasets[0].crs}: give tiles of one CRS")
    except MapdataError:
        for ds in datasets:
            ds.close()
        raise
    return datasets


def _uncovered(datasets: Sequence[rasterio.DatasetReader], area_wgs84: shapely.Geometry,
               margin_m: float) -> str | None:
    """Why the tiles miss part of the operating area (and where), or None."""
    to_src = Transformer.from_crs(4326, datasets[0].crs, always_xy=True)
    area = shapely.transform(area_wgs84.segmentize(0.01), lambda xy: np.column_stack(
        to_src.transform(xy[:, 0], xy[:, 1])))
    tiles = shapely.union_all([shapely.box(*ds.bounds) for ds in datasets])
    missing = area.difference(tiles)
    if missing.is_empty or missing.area < 1e-9 * area.area:
        return None
    back = Transformer.from_crs(datasets[0].crs, 4326, always_xy=True)
    w, s, e, n = back.transform_bounds(*missing.bounds)
    return (f"the tiles do not cover the operating area: nothing for lon {w:.4f}..{e:.4f}, "
            f"lat {s:.4f}..{n:.4f} (margin {margin_m:.0f} m aside); add the tiles for it")


def _native_resolution_m(ds: rasterio.DatasetReader, lat_deg: float) -> float:
    """The tiles' finest cell side on the ground, to the metre: no detail is lost."""
    res_x, res_y = ds.res
    if ds.crs.is_geographic:
        north_m, east_m = metres_per_degree(lat_deg)
        return max(1.0, round(min(res_x * east_m, res_y * north_m)))
    return max(1.0, round(min(res_x, res_y) * ds.crs.linear_units_factor[1]))


def check_zones_on_dem(zones: ZoneSet, terrain: Terrain) -> list[str]:
    """Every reason the zones do not fit this DEM: off it, reaching past it, over voids.

    Why more than ``off_the_map``: that finds the wrong file; a station's own DEM can be
    the right place yet stop short of one zone or hold SRTM voids under it, and a plan
    over either fails in the field rather than here.
    """
    off = off_the_map(zones, terrain.bounds_wgs84)
    if off:
        return [f"{zones.source}: {off}"]
    problems: list[str] = []
    step_deg = terrain.pixel_size_m / 111_000.0
    for zone in zones:
        geom = zone.geometry
        points = list(shapely.get_coordinates(geom.boundary.segmentize(step_deg)
                                              if geom.area > 0 else geom))
        if geom.area > 0:
            w, s, e, n = geom.bounds
            lon, lat = np.meshgrid(np.linspace(w, e, _SAMPLES_PER_SIDE),
                                   np.linspace(s, n, _SAMPLES_PER_SIDE))
            inside = shapely.contains_xy(geom, lon, lat)
            points.extend(zip(lon[inside], lat[inside], strict=True))
        xy = np.asarray(points, dtype=float)
        heights = terrain.elevation_or_nan(xy[:, 1], xy[:, 0])
        bad = ~np.isfinite(heights) | (heights < _LOWEST_M) | (heights > _HIGHEST_M)
        if bad.any():
            lon0, lat0 = xy[int(np.flatnonzero(bad)[0])]
            what = "launch site has no valid height" if zone.kind.value == "launch_site" \
                else f"{int(bad.sum())} of {len(xy)} sampled points have no valid height"
            problems.append(f"{zones.source}: zone {zone.id!r}: {what} on the DEM (first at "
                            f"lat {lat0:.5f}, lon {lon0:.5f}: outside it or a void)")
    if terrain.damaged_blocks:
        reason = next(iter(terrain.damaged_blocks.values()))
        problems.append(f"{terrain.path}: {len(terrain.damaged_blocks)} block(s) under the "
                        f"zones could not be read ({reason}): the file is damaged; copy it "
                        "again from its source")
    return problems


def _mosaic_utm(datasets: Sequence[rasterio.DatasetReader], zones: ZoneSet, margin_m: float,
                resolution_m: float | None) -> tuple[np.ndarray, rasterio.Affine, int, float]:
    """The tiles merged around the operating area, then warped onto a UTM grid."""
    area = zones.operating_area.geometry
    lon0, lat0 = area.centroid.coords[0]
    epsg = utm_epsg(lon0, lat0)
    to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
    minx, miny, maxx, maxy = to_utm.transform_bounds(*area.bounds, densify_pts=21)
    res_m = resolution_m or _native_resolution_m(datasets[0], lat0)
    minx, miny = (math.floor((v - margin_m) / res_m) * res_m for v in (minx, miny))
    maxx, maxy = (math.ceil((v + margin_m) / res_m) * res_m for v in (maxx, maxy))
    src_crs = datasets[0].crs
    w, s, e, n = Transformer.from_crs(epsg, src_crs, always_xy=True).transform_bounds(
        minx, miny, maxx, maxy, densify_pts=21)
    pad_x, pad_y = (2 * r for r in datasets[0].res)
    src_nodata = datasets[0].nodata if datasets[0].nodata is not None else NODATA_M
    mosaic, src_transform = merge(list(datasets), bounds=(w - pad_x, s - pad_y, e + pad_x,
                                                          n + pad_y),
                                  nodata=src_nodata, dtype="float32")
    width, height = round((maxx - minx) / res_m), round((maxy - miny) / res_m)
    dem = np.full((height, width), NODATA_M, dtype=np.float32)
    dst_transform = from_origin(minx, maxy, res_m, res_m)
    reproject(mosaic[0], dem, src_transform=src_transform, src_crs=src_crs,
              src_nodata=src_nodata, dst_transform=dst_transform,
              dst_crs=CRS.from_epsg(epsg), dst_nodata=NODATA_M,
              resampling=Resampling.bilinear)
    return dem, dst_transform, epsg, res_m


def build_mapdata(dem_paths: Sequence[Path], zones_path: Path, out_dir: Path, *,
                  margin_m: float = 2000.0, resolution_m: float | None = None,
                  step: Callable[[str], None] = lambda _: None) -> BuiltMapdata:
    """Mosaic, reproject to the local UTM zone, clip to the operating area plus
    ``margin_m``, write ``dem.tif`` and a copy of the zones into ``out_dir``, and check
    the zones against the result; ``step`` hears each stage (for a progress display).

    Nothing is replaced unless the new DEM passes: it is written under a temporary
    name, checked, then renamed over ``dem.tif``.

    Raises
    ------
    MapdataError
        No tiles, an unreadable tile, tiles not covering the operating area, or zones
        that do not fit the built DEM.
    ZoneFileError
        The zone file is defective.
    """
    tiles = _tile_paths(dem_paths)
    step("reading the zones")
    zones = load_zones(zones_path)
    step(f"opening {len(tiles)} tile(s)")
    datasets = _open_all(tiles)
    try:
        problem = _uncovered(datasets, zones.operating_area.geometry, margin_m)
        if problem:
            raise MapdataError(problem)
        step("mosaicking and reprojecting to UTM")
        dem, transform, epsg, res_m = _mosaic_utm(datasets, zones, margin_m, resolution_m)
    finally:
        for ds in datasets:
            ds.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    final, partial = out_dir / DEM_NAME, out_dir / f".{DEM_NAME}.partial"
    step(f"writing {final}")
    profile = {"driver": "GTiff", "width": dem.shape[1], "height": dem.shape[0], "count": 1,
               "dtype": "float32", "crs": CRS.from_epsg(epsg).to_wkt(), "transform": transform,
               "nodata": NODATA_M, "tiled": True, "blockxsize": 256, "blockysize": 256,
               "compress": "deflate", "predictor": 3}
    with rasterio.open(partial, "w", **profile) as out:
        out.write(dem, 1)
        out.update_tags(SOURCE="tiles: " + ", ".join(t.name for t in tiles),
                        BUILT_BY="dronewatch mapdata build")
    step("checking the zones against the DEM")
    with Terrain(partial) as terrain:
        problems = check_zones_on_dem(zones, terrain)
        launch = tuple((s.id, float(terrain.elevation_or_nan(s.lat_deg, s.lon_deg)))
                       for s in zones.launch_sites)
    if problems:
        partial.unlink()
        raise MapdataError("; ".join(problems))
    os.replace(partial, final)
    zones_out = out_dir / "zones.geojson"
    if not (zones_out.exists() and zones_out.samefile(zones_path)):
        shutil.copyfile(zones_path, zones_out)
    valid = dem[dem != NODATA_M]
    return BuiltMapdata(final, zones_out, epsg, float(res_m), dem.shape[1], dem.shape[0],
                        tiles, float(valid.min()), float(valid.max()), launch)
