"""The district's zone file, damaged: loaded, or refused naming the file and each defect.

Why the shipped file: it holds every kind of zone with its properties, so a change to
any member reaches the check for it; zone files are edited by hand in QGIS and text
editors, and a file cut short or mistyped must never stop a search with a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given

from dronewatch.errors import ZoneFileError
from dronewatch.zones import load_zones
from tests.mutations import damaged_bytes, damaged_json, fuzzing

ZONES = Path(__file__).resolve().parents[1] / "mapdata" / "zones.geojson"


def _loaded_or_refused(path: Path) -> None:
    try:
        zones = load_zones(path)
    except ZoneFileError as exc:
        assert exc.path == str(path) and exc.problems, exc
        assert all(str(p) for p in exc.problems)
    else:
        assert zones.operating_area.geometry.is_valid


@fuzzing(200)
@given(damaged_json(json.loads(ZONES.read_text())))
def test_a_damaged_zone_document_is_loaded_or_refused_with_its_defects(tmp_path, doc):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc))
    _loaded_or_refused(path)


@fuzzing(200)
@given(damaged_bytes(ZONES.read_bytes()))
def test_a_damaged_zone_file_is_loaded_or_refused_with_its_defects(tmp_path, raw):
    path = tmp_path / "zones.geojson"
    path.write_bytes(raw)
    _loaded_or_refused(path)
