"""The flying commands as an officer types them: search, patrol, settings."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.config import ConfigError, default_zones_path, load_settings
from dronewatch.geo import LocalFrame
from dronewatch.planning.files import read_wpl
from dronewatch.store import Store
from dronewatch.zones import load_zones
from tests.conftest import REPO
from tests.ops.rehearsal import SPEEDUP, drone, link

runner = CliRunner()


def test_search_command_flies_and_reports_json_exit_3_when_nobody_is_found(tmp_path):
    """...and flies exactly the mission `plan search` wrote for the same alarm and
    settings (the camera from the settings, the speed-up read from the simulator)."""
    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    lat, lon = LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(-700.0, 200.0)
    at = f"{float(lat):.6f},{float(lon):.6f}"
    settings = tmp_path / "dronewatch.toml"
    settings.write_text('camera = "dji-h20t"\n')  # narrower than the default: other lanes
    env = {**os.environ, "DRONEWATCH_CONFIG": str(settings)}
    planned = subprocess.run(
        [sys.executable, "-m", "dronewatch.cli", "plan", "search", "--at", at, "--radius", "120",
         "--out-dir", str(tmp_path / "plan")], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=120)
    assert planned.returncode == 0, planned.stderr[-2000:]
    with drone(post) as sim:
        result = subprocess.run(
            [sys.executable, "-m", "dronewatch.cli", "search", "--at", at, "--radius", "120",
             "--drone", sim.url, "--store", str(tmp_path / "s.sqlite"), "--out-dir",
             str(tmp_path), "--json"], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=300)
        with link(sim.url) as vehicle:
            flown = vehicle.download()
    assert result.returncode == 3, result.stderr[-2000:]  # the flight went fine; no person
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["outcome"] == "completed" and report["frames"] > 5
    assert report["covered_share"] > 0.9
    with Store(tmp_path / "s.sqlite") as store:  # the ground seen, kept for the week's report
        (flight,) = store.flights(report["mission_id"])
    circle_m2 = math.pi * 120.0 ** 2
    assert flight.covered_m2 == pytest.approx(report["covered_share"] * circle_m2, rel=0.03)
    assert (tmp_path / "mission-map.html").exists()
    _, written = read_wpl(tmp_path / "plan" / "sortie-1.waypoints")
    assert [(i.command, round(i.lat_deg, 6), round(i.lon_deg, 6)) for i in written] == \
        [(i.command, round(i.lat_deg, 6), round(i.lon_deg, 6)) for i in flown[1:]]
    # the flight's MAVLink log, beside the store, reads back as MAVProxy reads it
    tlog = Path(report["tlog"])
    assert tlog.parent == tmp_path and tlog.suffix == ".tlog"
    seen = _tlog_types(tlog)
    assert seen["GLOBAL_POSITION_INT"] > 50
    assert seen["CAMERA_FEEDBACK"] >= report["frames"]  # every shot (and the test shot)
    assert seen["MISSION_ITEM_INT"] > 3  # our upload, as sent


def _tlog_types(path: Path) -> Counter[str]:
    from pymavlink import mavutil  # a test may read with pymavlink directly

    log = mavutil.mavlink_connection(str(path))
    seen: Counter[str] = Counter()
    while (msg := log.recv_match()) is not None:
        seen[msg.get_type()] += 1
    log.close()
    return seen


def test_patrol_run_flies_the_drone_given_and_logs_it(tmp_path):
    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    with drone(post, "--param", "CAM1_TYPE=0") as sim:  # no camera: the check stops it
        result = runner.invoke(app, [
            "patrol", "run", "hongsha-coal-faces", "--drone", sim.url, "--speedup",
            str(SPEEDUP), "--store", str(tmp_path / "s.sqlite"), "--out-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "skipped" in result.output and "set CAM1_TYPE=1 and reboot" in result.output
    (tlog,) = tmp_path.glob("flight-*.tlog")  # it reached the drone given, and logged it
    seen = _tlog_types(tlog)
    assert seen["HEARTBEAT"] > 0 and seen["GLOBAL_POSITION_INT"] > 0


def test_search_command_with_no_drone_is_one_readable_line(tmp_path):
    result = runner.invoke(app, ["search", "--at", "44.67,88.58", "--drone",
                                 "udpout:127.0.0.1:9", "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert "no heartbeat" in result.output.lower() and "Traceback" not in result.output


def test_search_command_refuses_a_bad_option():
    result = runner.invoke(app, ["search", "--at", "44.67", "--drone", "udp:x"])
    assert result.exit_code == 2 and "LAT,LON" in result.output


def test_patrol_list_and_an_unknown_patrol(tmp_path):
    listed = runner.invoke(app, ["patrol", "list", "--store", str(tmp_path / "s.sqlite"),
                                 "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"hongsha-coal-faces", "south-gobi-rescue"}
    assert rows["hongsha-coal-faces"]["next_run"].endswith(("01:00+06:00", "04:00+06:00"))
    unknown = runner.invoke(app, ["patrol", "run", "nope", "--store", str(tmp_path / "s")])
    assert unknown.exit_code == 2 and "no patrol 'nope'" in unknown.output


def test_settings_come_from_the_file_then_the_environment(tmp_path):
    config = tmp_path / "dronewatch.toml"
    config.write_text('drone = "udpout:10.0.0.5:14550"\nmin_battery_pct = 70\n')
    settings = load_settings({"DRONEWATCH_CONFIG": str(config),
                              "DRONEWATCH_STORE": "postgresql://centre/db"})
    assert settings.drone == "udpout:10.0.0.5:14550" and settings.min_battery_pct == 70.0
    assert settings.store == "postgresql://centre/db"
    config.write_text("dron = 'x'\n")
    with pytest.raises(ConfigError, match=r"dronewatch\.toml, line 1: dron: unknown setting"):
        load_settings({"DRONEWATCH_CONFIG": str(config)})
    config.write_text("min_battery_pct = 'plenty'\n")
    with pytest.raises(ConfigError, match="min_battery_pct: 'plenty' is text"):
        load_settings({"DRONEWATCH_CONFIG": str(config)})


def test_ctrl_c_of_the_search_command_mid_survey_brings_the_drone_home(tmp_path):
    from tests.ops.test_faults_process import observer

    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    lat, lon = LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(-700.0, 200.0)
    with drone(post) as sim:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dronewatch.cli", "search", "--at",
             f"{float(lat):.6f},{float(lon):.6f}", "--radius", "150", "--drone", sim.url,
             "--speedup", str(SPEEDUP), "--store", str(tmp_path / "s.sqlite"), "--out-dir",
             str(tmp_path), "--json"], cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            with observer(sim.url) as watch:
                watch.wait_for(lambda s: s.mode == "AUTO" and s.mission_seq >= 4, 120, "survey")
                proc.send_signal(signal.SIGINT)  # the officer presses Ctrl-C
                out, err = proc.communicate(timeout=120)
                state = watch.state
        finally:
            proc.kill()
    assert "Traceback" not in err, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["outcome"] == "aborted by operator (RTL)" and proc.returncode == 3
    assert not state.armed  # the command returned only once the drone had landed
    assert abs(state.lat_deg - post.lat_deg) < 2e-4 and abs(state.lon_deg - post.lon_deg) < 3e-4
