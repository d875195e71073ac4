"""The station's one way to connect and the equipment it plans with."""

from __future__ import annotations

import pytest

from dronewatch.config import Settings, default_zones_path
from dronewatch.errors import UnknownPresetError
from dronewatch.ops.station import connect_station, station_equipment
from dronewatch.zones import load_zones
from tests.ops.rehearsal import SPEEDUP, drone


def test_the_speedup_is_read_from_the_simulator_unless_one_is_given(tmp_path):
    zones = load_zones(default_zones_path())
    with drone(zones.launch_sites[0]) as sim:
        with connect_station(sim.url, None, None, tmp_path / "a.tlog") as vehicle:
            assert vehicle.speedup == SPEEDUP
        with connect_station(sim.url, 10.0, None) as vehicle:
            assert vehicle.speedup == 10.0
    assert (tmp_path / "a.tlog").stat().st_size > 0


def test_equipment_comes_from_the_settings_and_a_patrol_may_override_it():
    settings = Settings(camera="dji-h20t", airframe="dji-m3t")
    station = station_equipment(settings)
    assert (station.camera.name, station.airframe.battery_mah) == ("dji-h20t", 5000.0)
    own = station_equipment(settings, camera="dji-m30t")
    assert own.camera.name == "dji-m30t" and own.airframe == station.airframe
    with pytest.raises(UnknownPresetError, match=r"known: .*dji-h20t"):
        station_equipment(settings, camera="nope")
