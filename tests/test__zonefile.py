"""Zone files written wrong in the ways people write them: degrees under a projected CRS,
[lat, lon] positions, absurd nesting. Each is caught with a message saying what to fix."""

from __future__ import annotations

import json

import numpy as np
import pytest
from affine import Affine
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.config import default_zones_path
from dronewatch.errors import ZoneFileError
from dronewatch.zones import load_zones, parse_zones
from tests.conftest import write_geotiff

runner = CliRunner()


def station_zones() -> dict:
    return json.loads(default_zones_path().read_text())


def mapped(document: dict, fn) -> dict:
    """The document with ``fn`` applied to every [x, y] position."""
    def walk(c):
        return fn(c) if isinstance(c[0], int | float) else [walk(x) for x in c]
    out = json.loads(json.dumps(document))
    for feature in out["features"]:
        feature["geometry"]["coordinates"] = walk(feature["geometry"]["coordinates"])
    return out


def test_degrees_declared_as_a_projected_crs_are_one_clear_problem():
    document = station_zones() | {"crs": {"type": "name", "properties": {"name": "EPSG:32645"}}}
    with pytest.raises(ZoneFileError) as err:
        parse_zones(document, source="utm.geojson")
    assert len(err.value.problems) == 1
    assert "look like degrees (lon/lat), but the file's crs EPSG:32645 is projected" \
        in str(err.value)
    assert "(23 features: op-area" in str(err.value)


def test_real_metres_under_a_projected_crs_still_load():
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32645, always_xy=True)
    document = mapped(station_zones(), lambda c: list(to_utm.transform(c[0], c[1])))
    document["crs"] = {"type": "name", "properties": {"name": "EPSG:32645"}}
    zones = parse_zones(document, source="utm.geojson")
    assert zones.local_geometry("op-area").area > 1e6  # square metres, not 0 km²


def test_swapped_positions_beyond_85_degrees_are_named_swapped():
    document = mapped(station_zones(), lambda c: [c[1], c[0]])
    with pytest.raises(ZoneFileError, match=r"are the positions \[lat, lon\]\? GeoJSON "
                                            r"positions are \[lon, lat\]") as err:
        parse_zones(document, source="swapped.geojson")
    assert len(err.value.problems) == 1


def test_swapped_positions_that_are_still_on_the_globe_are_caught_against_the_dem(tmp_path):
    # A station at 44.7 N 60.1 E: swapped, its positions read 60.1 N 44.7 E - valid lon/lat.
    moved = mapped(station_zones(), lambda c: [c[0] - 28.5, c[1]])
    (tmp_path / "right.geojson").write_text(json.dumps(moved))
    (tmp_path / "swapped.geojson").write_text(json.dumps(mapped(moved, lambda c: [c[1], c[0]])))
    dem = write_geotiff(tmp_path / "dem.tif", np.full((60, 60), 700.0, dtype=np.float32),
                        crs="EPSG:4326", transform=Affine(0.02, 0, 59.5, 0, -0.02, 45.3))
    ok = runner.invoke(app, ["zones", "check", str(tmp_path / "right.geojson"),
                             "--dem", str(dem), "--json"])
    assert ok.exit_code == 0, ok.output
    swapped = runner.invoke(app, ["zones", "check", str(tmp_path / "swapped.geojson"),
                                  "--dem", str(dem)])
    assert swapped.exit_code == 1
    assert "the positions are swapped; GeoJSON positions are [lon, lat]" in swapped.output
    elsewhere = runner.invoke(app, ["zones", "check", str(default_zones_path()),
                                    "--dem", str(dem)])
    assert elsewhere.exit_code == 1 and "lies off the DEM" in elsewhere.output


def test_absurd_nesting_is_refused_not_a_crash(tmp_path):
    deep = tmp_path / "deep.geojson"
    deep.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"geometry": {"type": "Polygon", "coordinates": '
                    + "[" * 200_000 + "]" * 200_000 + "}}]}")
    with pytest.raises(ZoneFileError, match="nested too deeply"):
        load_zones(deep)
    nested = station_zones()
    nested["features"][1]["properties"]["reason"] = json.loads("[" * 40 + "]" * 40)
    with pytest.raises(ZoneFileError, match="nested more than 16 levels deep"):
        parse_zones(nested)
    result = runner.invoke(app, ["zones", "check", str(deep)])
    assert result.exit_code == 1 and "nested too deeply" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
