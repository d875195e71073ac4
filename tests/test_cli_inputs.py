"""Every command and option with bad values: exit 1 or 2, one clear line, no traceback,
nothing connected or written first."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from tests.conftest import REPO

runner = CliRunner()
AT = ["--at", "44.6704,88.5857"]
NO_DRONE = ["--drone", "udpout:127.0.0.1:9"]  # nothing answers: a connect would hang ~30 s

BAD = [
    # search
    (["search", *AT, "--lost-person-hours", "-3"], 2, "--lost-person-hours"),
    (["search", *AT, "--lost-person-hours", "nan"], 2, "--lost-person-hours"),
    (["search", *AT, "--lost-person-hours", "1e9"], 2, "--lost-person-hours"),
    (["search", *AT, "--speedup", "0"], 2, "--speedup"),
    (["search", *AT, "--speedup", "-30"], 2, "--speedup"),
    (["search", *AT, "--speedup", "inf"], 2, "--speedup"),
    (["search", *AT, "--speedup", "fast"], 2, "--speedup"),
    (["search", *AT, "--camera", "nope"], 2, "neither 'sim' nor an existing folder"),
    (["search", *AT, "--rehearse", "-1"], 2, "--rehearse"),
    (["search", *AT, "--rehearse", "many"], 2, "--rehearse"),
    (["search", *AT, "--rehearse", "2", "--camera", str(REPO)], 2, "with --camera sim"),
    (["search", *AT, "--seed", "-1"], 2, "--seed"),
    (["search", *AT, "--radius", "0"], 2, "--radius"),
    (["search", *AT, "--radius", "-800"], 2, "--radius"),
    (["search", *AT, "--radius", "NaN"], 2, "--radius"),
    (["search", *AT, "--radius", "1e12"], 2, "--radius"),
    (["search", "--at", "95,88.6"], 2, "LAT must be within"),
    (["search", "--at", "nan,nan"], 2, "LAT must be within"),
    (["search", "--at", "44.67"], 2, "expected LAT,LON"),
    (["search"], 2, "--at"),
    (["search", *AT, "--pattern", "spiral"], 2, "--pattern"),
    (["search", *AT, "--on-find", "hover"], 2, "--on-find"),
    (["search", *AT, "--drone", "http://drone"], 2, "not a MAVLink address"),
    (["search", *AT, "--drone", "udpout:127.0.0.1"], 2, "--drone"),
    (["search", *AT, "--drone", "udp:host:99999"], 2, "port 1-65535"),
    (["search", *AT, "--drone", "udp:127.0.0.1:5000", "--drone", "udp:127.0.0.1:5000"], 2,
     "the same drone is given twice"),
    (["search", *AT, "--store", "mysql://root:hunter2@db/dw"], 2, "unknown store scheme"),
    (["search", *AT, "--wind-mps", "-1"], 2, "--wind-mps"),
    (["search", *AT, "--wind-mps", "nan"], 2, "--wind-mps"),
    (["search", *AT, "--signing-key", " "], 2, "--signing-key: empty"),
    (["search", "--at", "40.0,88.0", *NO_DRONE], 1, "outside the operating area"),
    # demo
    (["demo", "--speedup", "0"], 2, "--speedup"),
    (["demo", "--seed", "-1"], 2, "--seed"),
    (["demo", "--seed", "lucky"], 2, "--seed"),
    # patrols
    (["patrol", "list", "--missions", "/no/such/folder"], 1, "missions folder does not exist"),
    (["patrol", "list", "--store", "mysql://u:hunter2@h/d"], 2, "unknown store scheme"),
    (["patrol", "run", "nope"], 2, "no patrol 'nope'"),
    (["patrol", "run", "hongsha-coal-faces", "--speedup", "0"], 2, "--speedup"),
    (["patrol", "run", "hongsha-coal-faces", "--wind-mps", "nan"], 2, "--wind-mps"),
    (["patrol", "run", "hongsha-coal-faces", "--camera", "nope"], 2, "--camera"),
    (["patrol", "serve", "--speedup", "-1"], 2, "--speedup"),
    (["patrol", "serve", "--missions", "/no/such/folder"], 1, "does not exist"),
    # area and plans
    (["zones", "check", "/no/such.geojson"], 1, "cannot read"),
    (["zones", "check", "/tmp"], 1, "Is a directory"),
    (["zones", "check"], 2, "Missing argument"),
    (["map", "--zones", "/no/such.geojson"], 1, "cannot read"),
    (["map", "--dem", "/no/such.tif"], 2, "no such file"),
    (["map", "--out", "/proc/dronewatch/map.html"], 1, "/proc/dronewatch: No such file"),
    (["plan", "search", *AT, "--agl", "0"], 2, "--agl"),
    (["plan", "search", *AT, "--agl", "5000"], 2, "--agl"),
    (["plan", "search", *AT, "--wind-from", "400"], 2, "--wind-from"),
    (["plan", "search", *AT, "--camera", "nope"], 2, "unknown camera preset 'nope'"),
    (["plan", "search", *AT, "--launch-site", "nope"], 1, "unknown launch site 'nope'"),
    (["plan", "search", *AT, "--radius", "-1"], 2, "--radius"),
    (["plan", "search", *AT, "--lost-person-hours", "-3"], 2, "--lost-person-hours"),
    (["check", "--missions", "/no/such/folder", "--no-plan"], 1, "does not exist"),
    # the operator console
    (["console", "--port", "0"], 2, "--port"),
    (["console", "--port", "70000"], 2, "--port"),
    (["console", "--drone", "http://drone"], 2, "not a MAVLink address"),
    (["console", "--store", "mysql://root:hunter2@db/dw"], 2, "unknown store scheme"),
    (["console", "--speedup", "0"], 2, "--speedup"),
    (["console", "adduser", "olga", "--role", "boss"], 2, "--role"),
    (["console", "adduser"], 2, "Missing argument"),
    # cases (refused before the store is opened)
    (["case", "add", "--kind", "fire", "--by", "x"], 2, "--kind"),
    (["case", "add", "--kind", "other", "--by", "x", "--at", "95,88"], 2, "LAT must be within"),
    (["case", "add", "--kind", "other", "--by", "x", "--at", "44.6,88.5"], 2, "--at and --time"),
    (["case", "add", "--kind", "other", "--by", "x", "--at", "44.6,88.5", "--time", "noon"], 2,
     "expected YYYY-MM-DD"),
    (["case", "add", "--kind", "other", "--by", "x", "--finding", "3", "--at", "44.6,88.5"], 2,
     "leave out --at/--time"),
    (["case", "add", "--kind", "other", "--by", " ", "--finding", "3"], 2, "empty; say who"),
    (["case", "add", "--kind", "other", "--by", "x", "--finding", "0"], 2, "--finding"),
    (["case", "assign", "1", "--owner", "A", "--due", "31/12", "--by", "x"], 2,
     "expected YYYY-MM-DD"),
    (["case", "assign", "0", "--owner", "A", "--due", "2025-01-01", "--by", "x"], 2,
     "a case number is 1 or more"),
    (["case", "verify", "1"], 2, "--by"),
    (["case", "list", "--status", "closed"], 2, "--status"),
    (["case", "list", "--store", "mysql://u:hunter2@h/d"], 2, "unknown store scheme"),
    (["case", "owner", "add", " "], 2, "empty; say who"),
    (["patrol", "plan", "--budget", "40"], 2, "expected a time like 40min"),
    (["patrol", "plan", "--budget", "30s"], 2, "between 1 min and 24 h"),
    (["patrol", "plan", "--budget", "2d"], 2, "--budget"),
    (["report", "week", "--from", "last week"], 2, "expected YYYY-MM-DD"),
    (["report", "warnings", "--from", "2025-13-01"], 2, "expected YYYY-MM-DD"),
    (["report", "week", "--out", str(REPO / "README.md" / "week.html")], 2, "is not a folder"),
    # the station's terrain
    (["mapdata", "build", "--zones", str(REPO / "mapdata" / "zones.geojson")], 2,
     "Missing option '--dem'"),
    (["mapdata", "build", "--dem", str(REPO / "tests" / "simulators"), "--zones",
      str(REPO / "mapdata" / "zones.geojson")], 1, "no DEM tiles given"),
    (["mapdata", "build", "--dem", str(REPO / "README.md"), "--zones",
      str(REPO / "mapdata" / "zones.geojson")], 1, "README.md: cannot open as a DEM raster"),
    (["mapdata", "build", "--dem", str(REPO / "mapdata" / "dem.tif"), "--zones",
      str(REPO / "README.md")], 1, "not valid JSON"),
    (["mapdata", "build", "--dem", "x.hgt", "--zones", "z.geojson", "--margin", "-1"], 2,
     "--margin"),
    # output folders that cannot be written
    (["search", *AT, "--out-dir", str(REPO / "README.md" / "out")], 2, "is not a folder"),
    (["demo", "--out-dir", str(REPO / "README.md" / "out")], 2, "is not a folder"),
    (["plan", "search", *AT, "--out-dir", str(REPO / "README.md")], 2, "is not a folder"),
    (["patrol", "run", "x", "--out-dir", str(REPO / "README.md")], 2, "is not a folder"),
    (["map", "--out", str(REPO / "README.md" / "map.html")], 2, "is not a folder"),
]


@pytest.mark.parametrize(("args", "code", "says"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_a_bad_value_is_one_clear_line_and_exit_1_or_2(args, code, says, tmp_path,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written here (no store, no map)
    monkeypatch.setenv("DRONEWATCH_MISSIONS", str(REPO / "missions"))
    started = time.monotonic()
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    text = " ".join(result.output.replace("│", " ").split())  # the error box may wrap
    assert says in text and "Traceback" not in result.output
    assert "hunter2" not in result.output
    assert time.monotonic() - started < 10  # refused before any connection was tried
    assert list(tmp_path.iterdir()) == []


def test_a_bad_settings_file_stops_every_command_naming_file_line_and_field(tmp_path):
    config = tmp_path / "station.toml"
    config.write_text('drone = "udpout:127.0.0.1:14550"\nmin_battery_pct = -20\n')
    env = {"DRONEWATCH_CONFIG": str(config)}
    for args in (["search", *AT], ["patrol", "list"], ["check"], ["zones", "check", "x"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 1, result.output
        assert f"{config}, line 2: min_battery_pct: -20 is out of range" in result.output


def test_the_installed_command_shows_one_line_not_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dronewatch.cli", "search", *AT,
                             "--store", "postgresql://ops:hunter2@127.0.0.1:9/dw", *NO_DRONE],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert result.returncode == 1
    assert "ops:***@127.0.0.1:9/dw: cannot open the store" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_signing_keys_are_hex_or_a_passphrase_as_the_simulator_and_mavproxy_read_them(
        tmp_path):
    import hashlib

    from dronewatch.cli.inputs import read_signing_key

    mavproxy = hashlib.sha256(b"station passphrase").digest()  # MAVProxy's signing setup
    assert read_signing_key("ab" * 32) == bytes([0xAB] * 32)
    assert read_signing_key("station passphrase") == mavproxy
    key_file = tmp_path / "key.txt"
    key_file.write_text("station passphrase\n")
    assert read_signing_key(None, str(key_file)) == mavproxy
    assert read_signing_key(None, "") is None
    result = runner.invoke(app, ["search", *AT, *NO_DRONE], env={
        "DRONEWATCH_SIGNING_KEY_FILE": str(tmp_path / "missing.key")})
    assert result.exit_code == 2 and "signing_key_file" in result.output
    assert "cannot read" in result.output


def test_mapdata_tiles_that_miss_the_zones_are_one_line_and_exit_1(tmp_path):
    from tests.test_mapbuild import write_hgt, write_zones

    tile, zones = write_hgt(tmp_path, 44, 88), write_zones(tmp_path / "zones.geojson")
    result = runner.invoke(app, ["mapdata", "build", "--dem", str(tile), "--zones", str(zones),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "the tiles do not cover the operating area" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    folder = tmp_path / "two"
    folder.mkdir()
    write_hgt(folder, 44, 88), write_hgt(folder, 44, 89)
    result = runner.invoke(app, ["zones", "check", str(zones)],
                           env={"DRONEWATCH_MAPDATA": str(folder)})
    assert result.exit_code == 1, result.output
    assert "2 DEM files (N44E088.hgt, N44E089.hgt) and no dem.tif" in " ".join(
        result.output.split())
    assert "dronewatch mapdata build" in " ".join(result.output.split())
