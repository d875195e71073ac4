"""Station settings: every problem names the file (or variable), line and field."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dronewatch.config import (
    DEFAULT_TIMEZONE,
    ConfigError,
    Settings,
    check_station,
    data_dir,
    default_station,
    default_store_path,
    load_settings,
)


def settings_from(tmp_path, text: str, **env: str) -> Settings:
    config = tmp_path / "dronewatch.toml"
    config.write_text(text)
    return load_settings({"DRONEWATCH_CONFIG": str(config), **env})


def test_a_sound_file_and_the_environment_override_the_defaults(tmp_path):
    settings = settings_from(tmp_path, 'store = "postgresql://ops@centre/dw"\n'
                             "link_lost_after_s = 20\n", DRONEWATCH_MIN_BATTERY_PCT="45")
    assert settings == Settings(store="postgresql://ops@centre/dw", link_lost_after_s=20.0,
                                min_battery_pct=45.0)


@pytest.mark.parametrize(("text", "message"), [
    ('drone = "udpout:10.0.0.5:14550"\nmin_battery_pct = -20\n',
     r"line 2: min_battery_pct: -20 is out of range \[10, 95\]"),
    ("min_battery_pct = nan\n", r"line 1: min_battery_pct: nan is out of range"),
    ('\n\nstor = "x.sqlite"\n', r"line 3: stor: unknown setting; known: drone, store"),
    ('drone = "udpout:10.0.0.5"\n', r"line 1: drone: 'udpout:10.0.0.5': expected"),
    ('drone = "http://drone"\n', r"line 1: drone: 'http://drone': not a MAVLink address"),
    ('store = "mysql://root:pw@db/dw"\n', r"line 1: store: unknown store scheme 'mysql'"),
    ("store = 5\n", r"line 1: store: 5 is not text"),
    ("link_lost_after_s = true\n", r"line 1: link_lost_after_s: True is not a number"),
    ('drone = "udp:1.2.3.4:14550"\nmissions = "out\n', r"not valid TOML: .*line 2"),
])
def test_a_wrong_file_is_an_error_naming_file_line_and_field(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as err:
        settings_from(tmp_path, text)
    assert str(err.value).startswith(str(tmp_path / "dronewatch.toml"))


def test_a_wrong_variable_is_named_and_a_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"DRONEWATCH_LINK_LOST_AFTER_S: link_lost_after_s: "
                                          r"'0' is out of range"):
        settings_from(tmp_path, "", DRONEWATCH_LINK_LOST_AFTER_S="0")
    with pytest.raises(ConfigError, match="DRONEWATCH_CONFIG names no settings file"):
        load_settings({"DRONEWATCH_CONFIG": str(tmp_path / "nope.toml")})


def test_no_file_at_all_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings({}) == Settings()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG is the Unix rule")
def test_the_default_store_lives_in_the_users_data_folder_not_the_current_one(tmp_path):
    assert data_dir({"XDG_DATA_HOME": str(tmp_path), "HOME": "/home/op"}) == (
        tmp_path / "dronewatch")
    assert data_dir({"HOME": "/home/op"}) == Path("/home/op/.local/share/dronewatch")
    # a relative XDG_DATA_HOME is invalid by the spec and ignored
    assert data_dir({"XDG_DATA_HOME": "rel", "HOME": "/home/op"}) == Path(
        "/home/op/.local/share/dronewatch")
    assert default_store_path({"HOME": "/home/op"}).name == "dronewatch.sqlite"


def test_tests_never_see_the_operators_store(tmp_path, monkeypatch):
    """The suite's conftest moves the data folder away from the real one."""
    monkeypatch.chdir(tmp_path)
    store = Path(load_settings({}).store)
    assert store.is_absolute() and store == default_store_path()
    assert Path.home() / ".local" not in store.parents


def test_the_camera_and_airframe_are_settings_and_a_typo_lists_the_known_ones(tmp_path):
    path = tmp_path / "dronewatch.toml"
    path.write_text('camera = "dji-h20t"\nairframe = "dji-m3t"\n')
    settings = load_settings({"DRONEWATCH_CONFIG": str(path)})
    assert (settings.camera, settings.airframe) == ("dji-h20t", "dji-m3t")
    path.write_text('camera = "dji-h20t"\nairframe = "dji-m300"\n')
    with pytest.raises(ConfigError, match=r"line 2: airframe: unknown airframe 'dji-m300'; "
                                          r"known: dji-m30t, dji-m350, dji-m3t, large-quad"):
        load_settings({"DRONEWATCH_CONFIG": str(path)})
    with pytest.raises(ConfigError, match=r"DRONEWATCH_CAMERA: camera: unknown camera preset"):
        load_settings({"DRONEWATCH_CAMERA": "flir"})


def test_the_station_time_zone_is_a_checked_setting(tmp_path):
    assert Settings().zone.key == DEFAULT_TIMEZONE == "Asia/Urumqi"
    assert settings_from(tmp_path, 'timezone = "Asia/Shanghai"\n').zone.key == "Asia/Shanghai"
    for wrong in ("Asia", "Mars/Olympus", "", "../../etc/passwd"):
        with pytest.raises(ConfigError, match=r"DRONEWATCH_TIMEZONE: timezone: .*unknown time "
                                              r"zone; give an IANA name"):
            load_settings({"DRONEWATCH_TIMEZONE": wrong})
    with pytest.raises(ConfigError, match=r"line 2: timezone: 'UTC\+6': unknown time zone"):
        settings_from(tmp_path, 'camera = "dji-h20t"\ntimezone = "UTC+6"\n')


def test_the_station_name_is_a_checked_setting(tmp_path):
    assert check_station(default_station()) is None  # the host name, made a valid name
    assert settings_from(tmp_path, 'station = "altai-2"\n').station == "altai-2"
    assert load_settings({"DRONEWATCH_STATION": "ulaan.1"}).station == "ulaan.1"
    for wrong in ("", "two words", "-dash", "x" * 65):
        with pytest.raises(ConfigError, match=r"DRONEWATCH_STATION: station: .*a station name "
                                              r"is 1-64 letters"):
            load_settings({"DRONEWATCH_STATION": wrong})
