"""The modelled operating area: the DEM and zones in mapdata/ are sound and in step."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.zones import ZoneKind, load_zones
from tests.conftest import REPO


@pytest.fixture(scope="module")
def build_area():
    spec = importlib.util.spec_from_file_location("build_area", REPO / "mapdata" / "build_area.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_area"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    del sys.modules["build_area"]


@pytest.fixture(scope="module")
def dem():
    with rasterio.open(default_dem_path()) as ds:
        yield ds, ds.read(1).astype(float)


def test_dem_is_a_real_georeferenced_raster_of_the_required_size(dem):
    ds, _ = dem
    assert ds.crs.to_epsg() == 32645
    assert max(ds.res) <= 30.0
    assert ds.width * ds.res[0] >= 20_000 and ds.height * ds.res[1] >= 20_000
    assert ds.nodata is not None
    assert ds.tags()["SOURCE"].startswith("modelled")


def test_the_plain_is_gently_rolling_gobi_at_500_to_900_m(dem, build_area):
    _, z = dem
    x, y = build_area._grid()
    natural = np.ones_like(z, dtype=bool)
    for feature in build_area.PITS + build_area.HEAPS:
        natural &= feature.radius(x, y) > 1.05
    assert z[natural].min() >= 500 and z[natural].max() <= 900
    slope = np.hypot(*np.gradient(z, 30.0))
    assert np.percentile(slope[natural], 95) < 0.08  # gentle: under 8 % almost everywhere


def test_open_pits_are_60_to_150_m_deep_with_benches(dem, build_area):
    _, z = dem
    x, y = build_area._grid()
    for pit in build_area.PITS:
        r = pit.radius(x, y)
        rim = np.median(z[(r > 1.0) & (r < 1.15)])
        depth = rim - z[r < 0.3].mean()
        assert 60 <= depth <= 150, pit.name
        assert depth == pytest.approx(pit.height_m, rel=0.1)
        # Benches: most of the wall stands at whole bench heights below the rim level.
        rim_level = z[(r > 1.0) & (r < 1.2)].mean()
        wall_depth = rim_level - z[(r > 0.62) & (r < 0.98)]
        off_bench = np.abs(wall_depth / pit.bench_m - np.round(wall_depth / pit.bench_m))
        assert (off_bench < 0.1).mean() > 0.5, pit.name
        levels = np.unique(np.round(wall_depth[off_bench < 0.1] / pit.bench_m))
        assert len(levels) >= pit.height_m / pit.bench_m - 1, pit.name


def test_spoil_heaps_stand_30_to_60_m_above_their_surroundings(dem, build_area):
    _, z = dem
    x, y = build_area._grid()
    for heap in build_area.HEAPS:
        r = heap.radius(x, y)
        rise = z[r < 0.3].mean() - np.median(z[(r > 1.05) & (r < 1.3)])
        assert 25 <= rise <= 65, heap.name


def test_dry_washes_are_cut_into_the_plain(build_area):
    z, washes = build_area.build_dem()

    def pixels(xy):
        rows = ((build_area.NORTH_M - xy[:, 1]) / build_area.PIXEL_M).astype(int)
        cols = ((xy[:, 0] - build_area.WEST_M) / build_area.PIXEL_M).astype(int)
        return np.clip(rows, 0, z.shape[0] - 1), np.clip(cols, 0, z.shape[1] - 1)

    for wash in washes:
        fractions = np.linspace(0.2, 0.8, 40)
        points = shapely.line_interpolate_point(wash, fractions, normalized=True)
        centre = shapely.get_coordinates(points)
        below = z[pixels(centre)]
        offset = np.array([300.0, 0.0])
        beside = np.maximum(z[pixels(centre + offset)], z[pixels(centre - offset)])
        assert np.median(beside - below) > 2.0


def test_committed_files_match_the_seed(build_area, capsys):
    assert build_area.main(["--check"]) == 0, capsys.readouterr().out


def test_zones_cover_every_kind_and_sit_on_the_dem():
    zones = load_zones(default_zones_path())
    assert {z.kind for z in zones} == set(ZoneKind)
    assert len(zones.of_kind(ZoneKind.NO_FLY)) >= 2
    with Terrain(default_dem_path()) as terrain:
        west, south, east, north = zones.operating_area.geometry.bounds
        corners = terrain.elevation_m([south, north, south, north], [west, west, east, east])
        assert np.all((corners > 500) & (corners < 900))
        site = zones.launch_sites[0]
        ground = float(terrain.elevation_m(site.lat_deg, site.lon_deg))
        assert site.home_alt_amsl_m == pytest.approx(ground, abs=1.0)


def test_operating_area_is_a_district_sized_polygon():
    zones = load_zones(default_zones_path())
    area_km2 = zones.local_geometry(zones.operating_area.id).area / 1e6
    assert 1000 < area_km2 < 3500
    patrol = zones.get("pa-chem-plant").geometry
    assert len(patrol.interiors) == 1  # a patrol area with a hole, as planning must handle
    no_fly = zones.no_fly_union()
    assert patrol.intersects(no_fly)  # and one overlapping a no-fly zone


def test_zones_geojson_is_rfc7946_lon_lat():
    document = json.loads(default_zones_path().read_text())
    assert "crs" not in document
    to_utm = Transformer.from_crs(4326, 32645, always_xy=True)
    lon, lat = document["features"][0]["geometry"]["coordinates"][0][0]
    x, y = to_utm.transform(lon, lat)
    assert 600_000 < x < 670_000 and 4_930_000 < y < 4_990_000
