"""`mapdata build` over synthetic SRTM tiles: UTM out, the area covered, heights kept,
and every command working with DRONEWATCH_MAPDATA pointing at the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from typer.testing import CliRunner

from dronewatch._demfile import find_dem
from dronewatch.cli import app
from dronewatch.config import default_dem_path
from dronewatch.errors import MapdataError, TerrainError
from dronewatch.geo import Terrain
from dronewatch.mapbuild import build_mapdata, utm_epsg

runner = CliRunner()
SIDE_PX = 1201  # SRTM3: 3 arc-second cells, the edge rows shared with the next tile


def height_m(lon, lat):
    """Smooth, sloping ground: bilinear resampling keeps it within a metre."""
    return 700.0 + 150.0 * (lon - 88.5) + 300.0 * (lat - 44.5) + 15.0 * np.sin(lon * 60.0)


def write_hgt(folder: Path, lat0: int, lon0: int) -> Path:
    """A real SRTM .hgt: big-endian int16 rows from north to south, named for its corner."""
    cells = np.linspace(0.0, 1.0, SIDE_PX)
    lon, lat = np.meshgrid(lon0 + cells, lat0 + 1.0 - cells)
    path = folder / f"N{lat0:02d}E{lon0:03d}.hgt"
    np.round(height_m(lon, lat)).astype(">i2").tofile(path)
    return path


def square(w, s, e, n):
    return [[[w, s], [e, s], [e, n], [w, n], [w, s]]]


def write_zones(path: Path, w=88.97, s=44.47, e=89.03, n=44.53) -> Path:
    def feature(fid, kind, gtype, coords, **props):
        return {"type": "Feature", "properties": {"id": fid, "name": fid, "kind": kind, **props},
                "geometry": {"type": gtype, "coordinates": coords}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature("area", "operating_area", "Polygon", square(w, s, e, n), max_alt_agl_m=120),
        feature("depot", "no_fly", "Polygon", square(89.0, 44.51, 89.01, 44.52),
                reason="explosives"),
        feature("station", "launch_site", "Point", [88.99, 44.50], home_alt_amsl_m=700.0,
                heading_deg=0),
    ]}))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("mapdata")
    tiles = root / "tiles"
    tiles.mkdir()
    hgts = [write_hgt(tiles, 44, 88), write_hgt(tiles, 44, 89)]
    zones = write_zones(root / "zones.geojson")
    result = runner.invoke(app, ["mapdata", "build", "--dem", str(hgts[0]), str(hgts[1]),
                                 "--zones", str(zones), "--out", str(root / "station"),
                                 "--margin", "500"])
    assert result.exit_code == 0, result.output
    assert "EPSG:32645" in result.output
    return root


def test_the_built_dem_is_utm_tiled_compressed_and_covers_the_area(built):
    with rasterio.open(built / "station" / "dem.tif") as ds:
        assert ds.crs.to_epsg() == 32645 == utm_epsg(89.0, 44.5)
        assert ds.profile["tiled"] and ds.compression.value == "DEFLATE"
        assert 60 <= ds.res[0] <= 70  # the tiles' own 3" (66 m east-west at 44.5 N)
    assert (built / "station" / "zones.geojson").read_text() == \
        (built / "zones.geojson").read_text()
    with Terrain(built / "station" / "dem.tif") as terrain:
        w, s, e, n = terrain.bounds_wgs84
        assert w < 88.97 and s < 44.47 and e > 89.03 and n > 44.53  # area plus margin
        assert e - w < 0.1 and n - s < 0.1  # clipped, not two whole tiles
        lat = np.array([44.471, 44.5, 44.529, 44.48])
        lon = np.array([88.971, 88.9999, 89.029, 89.02])  # both tiles and their seam
        np.testing.assert_allclose(terrain.elevation_m(lat, lon), height_m(lon, lat), atol=2.0)


def test_planning_runs_on_the_built_dem_through_dronewatch_mapdata(built, monkeypatch):
    monkeypatch.setenv("DRONEWATCH_MAPDATA", str(built / "station"))
    assert default_dem_path() == built / "station" / "dem.tif"
    result = runner.invoke(app, ["plan", "search", "--at", "44.49,89.01", "--radius", "300",
                                 "--out-dir", str(built / "plans"), "--json"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["zones", "check", str(built / "station" / "zones.geojson")]
                         ).exit_code == 0


def test_a_lone_hgt_in_the_mapdata_folder_is_the_dem(tmp_path, monkeypatch):
    hgt = write_hgt(tmp_path, 44, 88)
    monkeypatch.setenv("DRONEWATCH_MAPDATA", str(tmp_path))
    assert default_dem_path() == hgt
    with Terrain(default_dem_path()) as terrain:
        assert terrain.elevation_at(44.5, 88.5) == pytest.approx(height_m(88.5, 44.5), abs=1)
    monkeypatch.setenv("DRONEWATCH_MAPDATA", str(hgt))  # the DEM itself is named
    assert default_dem_path() == hgt


def test_a_vrt_is_the_mosaic_of_the_tiles_beside_it(tmp_path):
    hgts = [write_hgt(tmp_path, 44, 88), write_hgt(tmp_path, 44, 89)]
    with pytest.raises(TerrainError, match="dronewatch mapdata build"):
        find_dem(tmp_path)
    with pytest.raises(TerrainError, match="2 DEM files"):
        Terrain(tmp_path)
    (tmp_path / "district.vrt").write_text(vrt_over(hgts))
    assert find_dem(tmp_path) == tmp_path / "district.vrt"
    with Terrain(tmp_path) as terrain:
        lat, lon = np.array([44.5, 44.5]), np.array([88.7, 89.3])
        np.testing.assert_allclose(terrain.elevation_m(lat, lon), height_m(lon, lat), atol=1)


def vrt_over(hgts: list[Path]) -> str:
    """The VRT gdalbuildvrt writes for 1x1-degree SRTM tiles side by side (west to east)."""
    cell = 1.0 / (SIDE_PX - 1)
    width = (SIDE_PX - 1) * len(hgts) + 1
    sources = "".join(
        f"<SimpleSource><SourceFilename relativeToVRT='1'>{h.name}</SourceFilename>"
        f"<SourceBand>1</SourceBand><SrcRect xOff='0' yOff='0' xSize='{SIDE_PX}' "
        f"ySize='{SIDE_PX}'/><DstRect xOff='{i * (SIDE_PX - 1)}' yOff='0' xSize='{SIDE_PX}' "
        f"ySize='{SIDE_PX}'/></SimpleSource>" for i, h in enumerate(hgts))
    return (f"<VRTDataset rasterXSize='{width}' rasterYSize='{SIDE_PX}'><SRS>EPSG:4326</SRS>"
            f"<GeoTransform>{88 - cell / 2}, {cell}, 0, {45 + cell / 2}, 0, {-cell}"
            f"</GeoTransform><VRTRasterBand dataType='Int16' band='1'>"
            f"<NoDataValue>-32768</NoDataValue>{sources}</VRTRasterBand></VRTDataset>")


def test_tiles_that_miss_part_of_the_area_are_refused_naming_the_gap(tmp_path):
    hgt = write_hgt(tmp_path, 44, 88)
    with pytest.raises(MapdataError, match=r"do not cover the operating area.*lon 89\.000"):
        build_mapdata([hgt], write_zones(tmp_path / "z.geojson"), tmp_path / "out")
    assert not (tmp_path / "out" / "dem.tif").exists()


def test_a_zone_on_a_void_is_refused_and_nothing_is_written(tmp_path):
    west, hgt = write_hgt(tmp_path, 44, 88), write_hgt(tmp_path, 44, 89)
    grid = np.fromfile(hgt, dtype=">i2").reshape(SIDE_PX, SIDE_PX)
    grid[560:600, 20:40] = -32768  # an SRTM void: lat 44.50-44.53, lon 89.017-89.033
    grid.tofile(hgt)
    zones = write_zones(tmp_path / "z.geojson")
    with pytest.raises(MapdataError, match=r"'area'.*no valid height"):
        build_mapdata([west, hgt], zones, tmp_path / "out")
    assert not (tmp_path / "out" / "dem.tif").exists()
