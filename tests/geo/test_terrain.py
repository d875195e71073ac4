"""Terrain over real GeoTIFFs written with rasterio, in two CRSs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from rasterio.transform import from_origin

from dronewatch.errors import NoDataError, OutsideCoverageError, RayMissError, TerrainError
from dronewatch.geo import Terrain
from tests.conftest import write_geotiff

# A 0.1° x 0.1° SRTM-like tile around the modelled area, in EPSG:4326.
LON0, LAT0, DEG = 88.6, 44.9, 0.001  # west, north, pixel size (≈ 79 m x 111 m)


def plane_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return 600.0 + 900.0 * (lon - LON0) - 1500.0 * (lat - LAT0)


@pytest.fixture(scope="module")
def geographic_dem(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("geographic")
    cols, rows = np.meshgrid(np.arange(100) + 0.5, np.arange(100) + 0.5)
    data = plane_lonlat(LON0 + cols * DEG, LAT0 - rows * DEG).astype(np.float64)
    return write_geotiff(
        tmp_path / "geo.tif", data, crs="EPSG:4326", transform=from_origin(LON0, LAT0, DEG, DEG)
    )


UTM_WEST, UTM_NORTH, UTM_PX = 630_000.0, 4_975_000.0, 30.0


def plane_xy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 700.0 + 0.05 * (x - UTM_WEST) + 0.02 * (UTM_NORTH - y)


@pytest.fixture
def utm_dem(tmp_path):
    cols, rows = np.meshgrid(np.arange(300) + 0.5, np.arange(300) + 0.5)
    data = plane_xy(UTM_WEST + cols * UTM_PX, UTM_NORTH - rows * UTM_PX).astype(np.float32)
    return write_geotiff(
        tmp_path / "utm.tif", data, crs="EPSG:32645",
        transform=from_origin(UTM_WEST, UTM_NORTH, UTM_PX, UTM_PX),
    )


@settings(max_examples=60, deadline=None)
@given(fx=st.floats(0.005, 0.995), fy=st.floats(0.005, 0.995))  # between pixel centres
def test_bilinear_is_exact_on_a_plane_in_epsg4326(geographic_dem, fx, fy):
    lon = LON0 + 0.1 * fx
    lat = LAT0 - 0.1 * fy
    with Terrain(geographic_dem) as terrain:
        assert terrain.elevation_m(lat, lon) == pytest.approx(plane_lonlat(lon, lat), abs=1e-6)


def test_bilinear_is_exact_on_a_plane_in_utm(utm_dem):
    rng = np.random.default_rng(3)
    x = UTM_WEST + rng.uniform(20, 8980, 500)
    y = UTM_NORTH - rng.uniform(20, 8980, 500)
    lon, lat = Transformer.from_crs(32645, 4326, always_xy=True).transform(x, y)
    with Terrain(utm_dem) as terrain:
        heights = terrain.elevation_m(lat, lon)
    np.testing.assert_allclose(heights, plane_xy(x, y), atol=1e-3)


def test_interpolates_between_pixel_centres_not_corners(tmp_path):
    data = np.array([[0.0, 10.0], [0.0, 10.0]])
    path = write_geotiff(tmp_path / "two.tif", data, crs="EPSG:4326",
                         transform=from_origin(88.0, 45.0, 0.01, 0.01))
    with Terrain(path) as terrain:
        # Centre of the left pixel, midway, centre of the right pixel, and the outer rims.
        lons = np.array([88.005, 88.01, 88.015, 88.0001, 88.0199])
        heights = terrain.elevation_m(np.full(5, 44.99), lons)
    np.testing.assert_allclose(heights, [0.0, 5.0, 10.0, 0.0, 10.0], atol=1e-6)


def test_outside_coverage_names_the_point_and_file(utm_dem):
    with Terrain(utm_dem) as terrain, pytest.raises(OutsideCoverageError) as err:
        terrain.elevation_m([44.87, 10.0], [88.70, 10.0])
    assert "utm.tif" in str(err.value)
    assert "lat=10.000000" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_nodata_cells_raise_or_give_nan(tmp_path):
    data = np.full((50, 50), 800.0, dtype=np.float32)
    data[20:25, 20:25] = -32768
    path = write_geotiff(tmp_path / "holes.tif", data, crs="EPSG:4326", nodata=-32768,
                         transform=from_origin(88.0, 45.0, 0.001, 0.001))
    hole_lat, hole_lon = 45.0 - 0.0225, 88.0225
    with Terrain(path) as terrain:
        with pytest.raises(NoDataError, match=r"holes\.tif"):
            terrain.elevation_m(hole_lat, hole_lon)
        both = terrain.elevation_or_nan([hole_lat, 44.99], [hole_lon, 88.01])
        assert np.isnan(both[0])
        assert both[1] == pytest.approx(800.0)
        assert np.isnan(terrain.elevation_or_nan(0.0, 0.0))


def test_band_scale_is_applied(tmp_path):
    data = np.full((10, 10), 7250, dtype=np.int16)  # decimetres
    path = write_geotiff(tmp_path / "dm.tif", data, crs="EPSG:4326", scale=0.1,
                         transform=from_origin(88.0, 45.0, 0.001, 0.001))
    with Terrain(path) as terrain:
        assert terrain.elevation_m(44.995, 88.005) == pytest.approx(725.0)


def test_a_full_srtm_tile_is_read_in_blocks_not_whole(tmp_path):
    size = 3601
    rows, cols = np.mgrid[0:size, 0:size]
    data = (500 + (rows // 7) + (cols // 11)).astype(np.int16)
    path = write_geotiff(tmp_path / "N44E088.tif", data, crs="EPSG:4326", nodata=-32768,
                         transform=from_origin(87.99986111, 45.00013889, 1 / 3600, 1 / 3600))
    with Terrain(path, block_px=256) as terrain:
        lat = 45.0 - np.array([0.1, 0.1001, 0.5, 0.9]) + 0.5 / 3600
        lon = 88.0 + np.array([0.2, 0.2001, 0.5, 0.1])
        heights = terrain.elevation_m(lat, lon)
        assert terrain.blocks_read <= 4
    r = np.round((45.0 - lat) * 3600).astype(int)
    c = np.round((lon - 88.0) * 3600).astype(int)
    np.testing.assert_allclose(heights, 500 + r // 7 + c // 11, atol=1.0)


def test_refuses_files_that_are_not_dems(tmp_path):
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(TerrainError, match=r"junk\.tif"):
        Terrain(junk)
    no_crs = write_geotiff(tmp_path / "nocrs.tif", np.zeros((4, 4)), crs=None,
                           transform=from_origin(0, 4, 1, 1))
    with pytest.raises(TerrainError, match="no CRS"):
        Terrain(no_crs)


def test_ray_that_never_meets_the_ground_is_a_miss(utm_dem):
    lon, lat = Transformer.from_crs(32645, 4326, always_xy=True).transform(634_500, 4_970_500)
    with Terrain(utm_dem) as terrain:
        ground = float(terrain.elevation_m(lat, lon))
        with pytest.raises(RayMissError, match="meets no ground"):
            terrain.cast_ray(lat, lon, ground + 100, [1.0, 0.0, -0.2])
        hits = terrain.cast_rays(lat, lon, ground + 100, [[0, 0, 1], [1, 0, 0.001]],
                                 max_range_m=3000)
        assert hits.hit.tolist() == [True, False]  # the second leaves the range first
        below = terrain.cast_rays(lat, lon, ground - 5, [0, 0, 1])
        assert not below.hit[0]
