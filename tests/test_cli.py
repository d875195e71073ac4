"""The command line: readable results, readable errors, meaningful exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.config import default_zones_path

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


def test_plan_search_writes_files_that_import_back_and_a_map(tmp_path):
    from dronewatch.planning.files import read_plan, read_wpl

    result = runner.invoke(app, ["plan", "search", "--at", "44.785,88.67", "--radius", "300",
                                 "--lost-person-hours", "2", "--out-dir", str(tmp_path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pattern"] == "expanding-square" and 0 < summary["pos"] < summary["pod"]
    plan = read_plan(tmp_path / "sortie-1.plan")
    assert plan.items[0].command == 22 and plan.items[-1].command == 20
    assert plan.exclusion_polygons and plan.inclusion_polygons and plan.rally
    home, items = read_wpl(tmp_path / "sortie-1.waypoints")
    assert home == pytest.approx(plan.home)
    assert items == list(plan.items)
    assert "Planned route" in (tmp_path / "plan-map.html").read_text()


def test_plan_search_outside_the_area_is_a_readable_error(tmp_path):
    result = runner.invoke(app, ["plan", "search", "--at", "40.0,88.0", "--out-dir",
                                 str(tmp_path)])
    assert result.exit_code == 1
    assert "outside the operating area" in result.output and "Traceback" not in result.output
    bad = runner.invoke(app, ["plan", "search", "--at", "nowhere"])
    assert bad.exit_code == 2 and "expected LAT,LON" in bad.output
