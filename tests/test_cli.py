"""The command line: readable results, readable errors, meaningful exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dronewatch.area import default_zones_path
from dronewatch.cli import app

runner = CliRunner()


def test_zones_check_lists_a_sound_file():
    result = runner.invoke(app, ["zones", "check", str(default_zones_path()), "--json"])
    assert result.exit_code == 0, result.output
    ids = [z["id"] for z in json.loads(result.stdout)["zones"]]
    assert "nfz-explosives-depot" in ids and "launch-station" in ids


def test_zones_check_names_every_defect_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.geojson"
    document = json.loads(default_zones_path().read_text())
    document["features"][1]["properties"]["kind"] = "nofly"
    bad.write_text(json.dumps(document))
    result = runner.invoke(app, ["zones", "check", str(bad)])
    assert result.exit_code == 1
    assert "nfz-explosives-depot" in result.output and "unknown kind 'nofly'" in result.output
    assert "Traceback" not in result.output


def test_map_command_writes_html(tmp_path):
    out = tmp_path / "map.html"
    result = runner.invoke(app, ["map", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_map_command_refuses_a_missing_zone_file(tmp_path):
    result = runner.invoke(app, ["map", "--zones", str(tmp_path / "none.geojson")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
