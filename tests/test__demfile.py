"""Which file of a mapdata folder is the DEM: dem.tif, else the one mosaic, else the one raster."""

from __future__ import annotations

import pytest

from dronewatch._demfile import find_dem
from dronewatch.errors import TerrainError


@pytest.mark.parametrize(("files", "chosen"), [
    (["dem.tif", "N44E088.hgt", "zones.geojson"], "dem.tif"),
    (["N44E088.hgt", "N44E089.hgt", "district.vrt"], "district.vrt"),
    (["survey_2024.TIF", "zones.geojson", "notes.txt"], "survey_2024.TIF"),
    (["zones.geojson"], "dem.tif"),  # nothing: opening it says "no such file"
])
def test_the_dem_of_a_folder(tmp_path, files, chosen):
    for name in files:
        (tmp_path / name).write_bytes(b"")
    assert find_dem(tmp_path) == tmp_path / chosen


def test_several_tiles_without_a_mosaic_say_to_build_one(tmp_path):
    for name in ("N44E088.hgt", "N44E089.hgt", "N45E088.hgt"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(TerrainError, match=r"3 DEM files .* and no dem\.tif: build") as err:
        find_dem(tmp_path)
    assert "dronewatch mapdata build" in str(err.value)
