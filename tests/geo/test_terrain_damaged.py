"""A DEM whose file is damaged: its unreadable tiles are unknown ground, never a crash.

A DEM copied from a failing USB stick or cut short keeps its header but loses tiles;
GDAL then fails on the first read of one, deep inside a planner or a ray cast. Those
cells are unknown ground, as nodata is: a waypoint there is refused, a ray through it
is not placed, and the station's check names the damage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from hypothesis import given
from pyproj import Transformer
from rasterio.transform import from_origin

from dronewatch.errors import NoDataError, TerrainError
from dronewatch.geo import Terrain
from dronewatch.mapbuild import check_zones_on_dem
from dronewatch.zones import load_zones
from tests.conftest import REPO, write_geotiff
from tests.mutations import damaged_bytes, fuzzing

LON0, LAT0, DEG = 88.55, 44.95, 0.0005  # 512 x 512 px of 256 px tiles: 4 tiles


@pytest.fixture(scope="module")
def dem(tmp_path_factory):
    cols, rows = np.meshgrid(np.arange(512), np.arange(512))
    data = (700.0 + 0.1 * cols + 0.05 * rows).astype(np.float32)
    return write_geotiff(tmp_path_factory.mktemp("dem") / "dem.tif", data, crs="EPSG:4326",
                         transform=from_origin(LON0, LAT0, DEG, DEG))


def _with_tile_damaged(dem: Path, path: Path, row: int, col: int) -> Path:
    """A copy of ``dem`` whose tile (row, col) holds junk where its compressed data was."""
    with rasterio.open(dem) as ds:
        offset = int(ds.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=1))
        size = int(ds.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=1))
    raw = bytearray(dem.read_bytes())
    raw[offset:offset + size] = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path.write_bytes(bytes(raw))
    return path


def _cell(row: int, col: int) -> tuple[float, float]:
    return LAT0 - (row + 0.5) * DEG, LON0 + (col + 0.5) * DEG


def test_a_damaged_tile_is_unknown_ground_and_the_rest_reads(dem, tmp_path):
    path = _with_tile_damaged(dem, tmp_path / "damaged.tif", 0, 1)  # north-east tile
    with Terrain(path) as terrain:
        assert terrain.elevation_m(*_cell(300, 100)) == pytest.approx(700 + 10 + 15, abs=0.01)
        with pytest.raises(NoDataError, match=r"damaged\.tif.*damaged part of the file.*"
                                              r"rows 0\.\., columns 256\.\."):
            terrain.elevation_m(*_cell(100, 300))
        assert np.isnan(terrain.elevation_or_nan(*_cell(100, 300)))
        assert list(terrain.damaged_blocks) == [(1, 0)]


def test_the_station_check_names_a_damaged_dem_under_the_zones(tmp_path):
    """The district's own DEM with the tile under its launch site damaged."""
    zones = load_zones(REPO / "mapdata" / "zones.geojson")
    dem = REPO / "mapdata" / "dem.tif"
    site = next(z for z in zones if z.kind.value == "launch_site")
    lon, lat = site.geometry.coords[0]
    with rasterio.open(dem) as ds:
        row, col = ds.index(*Transformer.from_crs(4326, ds.crs, always_xy=True)
                            .transform(lon, lat))
        tile_h, tile_w = ds.block_shapes[0]
    path = _with_tile_damaged(dem, tmp_path / "dem.tif", row // tile_h, col // tile_w)
    with Terrain(path) as terrain:
        problems = check_zones_on_dem(zones, terrain)
    assert any("launch site has no valid height" in p for p in problems), problems
    assert any("could not be read" in p and "dem.tif" in p for p in problems), problems


def test_any_damage_gives_heights_or_a_terrain_error_naming_the_file(dem, tmp_path):
    lat, lon = np.meshgrid(LAT0 - (np.arange(0, 512, 37) + 0.5) * DEG,
                           LON0 + (np.arange(0, 512, 37) + 0.5) * DEG)

    @fuzzing(150)
    @given(damaged_bytes(dem.read_bytes()))
    def check(raw: bytes) -> None:
        path = tmp_path / "dem.tif"
        path.write_bytes(raw)
        try:
            with Terrain(path) as terrain:
                heights = terrain.elevation_or_nan(lat.ravel(), lon.ravel())
        except TerrainError as exc:
            assert str(path) in str(exc), exc
        else:
            assert heights.shape == (lat.size,)

    check()
