"""`dronewatch check` and `patrol serve`: patrol mistakes found when saved, not at 01:00."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.ops.patrol import run_patrol
from dronewatch.ops.patrolspec import PatrolSpec
from dronewatch.planning import PlanningError
from dronewatch.store import Store
from dronewatch.zones import load_zones
from tests.conftest import REPO

runner = CliRunner()
GOOD = "name: {name}\nzones: [{zone}]\nschedule: '0 1 * * *'\n"


def bad_missions(folder):
    folder.mkdir()
    (folder / "ok.yaml").write_text(GOOD.format(name="ok", zone="pa-hongsha"))
    (folder / "high.yml").write_text(GOOD.format(name="high", zone="pa-hongsha")
                                     + "altitude_agl_m: 5000\n")
    (folder / "site.yaml").write_text(GOOD.format(name="site", zone="pa-heishan")
                                      + "launch_site: launch-moon\n")
    (folder / "nofly.yaml").write_text(GOOD.format(name="nofly", zone="nfz-flare-stacks"))
    return folder


def test_check_passes_the_shipped_settings_zones_and_patrols():
    result = runner.invoke(app, ["check", "--missions", str(REPO / "missions"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["problems"] == []
    assert any(line.startswith("patrol hongsha-coal-faces") for line in report["ok"])
    assert f"terrain: {default_dem_path()} covers every zone" in report["ok"]


def test_check_finds_zones_the_stations_dem_stops_short_of(tmp_path, monkeypatch):
    """A station's own DEM that lost its eastern tile: the zones there are named."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(default_dem_path()) as full:
        west = Window(0, 0, full.width // 2, full.height)
        profile = full.profile | {"width": west.width,
                                  "transform": full.window_transform(west)}
        with rasterio.open(tmp_path / "dem.tif", "w", **profile) as half:
            half.write(full.read(1, window=west), 1)
    (tmp_path / "zones.geojson").write_bytes(default_zones_path().read_bytes())
    monkeypatch.setenv("DRONEWATCH_MAPDATA", str(tmp_path))
    result = runner.invoke(app, ["check", "--missions", str(REPO / "missions"), "--no-plan",
                                 "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert problems and all(p.startswith(f"{tmp_path / 'zones.geojson'}: zone '")
                            and "no valid height on the DEM" in p for p in problems)
    assert any("'launch-east-post': launch site has no valid height" in p for p in problems)


def test_check_lists_every_problem_with_file_line_and_field(tmp_path):
    folder = bad_missions(tmp_path / "missions")
    result = runner.invoke(app, ["check", "--missions", str(folder), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert problems == [
        f"{folder / 'high.yml'}, line 4: altitude_agl_m: 5000 is out of range [10, 500]",
        f"{folder / 'nofly.yaml'}, line 2: zones: 'nfz-flare-stacks' is a no_fly: a no-fly "
        "zone cannot be patrolled",
        f"{folder / 'site.yaml'}, line 4: launch_site: no launch site 'launch-moon'; known: "
        "launch-station, launch-north-post, launch-east-post, launch-south-post"]


def test_serve_refuses_to_start_on_a_bad_patrol_and_writes_nothing(tmp_path, monkeypatch):
    folder = bad_missions(tmp_path / "missions")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["patrol", "serve", "--missions", str(folder),
                                 "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert "high.yml, line 4: altitude_agl_m" in result.output
    assert not (tmp_path / "s.sqlite").exists()
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["patrol", "serve", "--missions", str(tmp_path / "empty")])
    assert empty.exit_code == 1 and "no patrol files" in empty.output


def test_a_run_that_fails_is_recorded_failed_never_left_starting(tmp_path):
    zones = load_zones(default_zones_path())
    spec = PatrolSpec(name="depot", zones=("nfz-explosives-depot",), schedule="0 1 * * *")
    with Terrain(default_dem_path()) as terrain, Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(PlanningError, match="nothing of it can be flown"):
            run_patrol(spec, 1_700_000_000.0, None, zones, terrain,  # type: ignore[arg-type]
                       lambda *_: None, store, tmp_path)  # type: ignore[arg-type]
        runs = store.patrol_runs("depot")
    assert [(r.status, "nothing of it can be flown" in r.detail) for r in runs] == \
        [("failed", True)]


def test_serve_records_a_run_whose_drone_is_off_and_keeps_serving(tmp_path):
    folder = tmp_path / "missions"
    folder.mkdir()
    (folder / "offline.yaml").write_text(GOOD.format(name="offline", zone="pa-hongsha")
                                         + "drone: tcp:127.0.0.1:9\n")  # nothing listens
    store = tmp_path / "s.sqlite"
    serve = subprocess.Popen([sys.executable, "-m", "dronewatch.cli", "patrol", "serve",
                              "--drill", "--missions", str(folder), "--store", str(store)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        runs: list = []
        deadline = time.monotonic() + 30
        while not runs and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(0.5)
            if store.exists():
                with Store(store) as db:
                    runs = db.patrol_runs("offline")
        assert serve.poll() is None  # still serving after the failed run
    finally:
        serve.send_signal(signal.SIGINT)
        out, err = serve.communicate(timeout=30)
    assert [(r.status, "cannot open tcp:127.0.0.1:9" in r.detail) for r in runs] == \
        [("failed", True)]
    assert "patrol offline failed" in out and "Traceback" not in out + err
