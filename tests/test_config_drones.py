"""The station's list of drones in its settings: a fleet search when no --drone is given."""

from __future__ import annotations

import pytest

from dronewatch.config import ConfigError, load_settings


def settings_from(tmp_path, text: str, **env: str):
    config = tmp_path / "dronewatch.toml"
    config.write_text(text)
    return load_settings({"DRONEWATCH_CONFIG": str(config), **env})


def test_the_listed_drones_are_the_fleet_and_one_drone_still_works(tmp_path):
    listed = settings_from(tmp_path, 'drones = ["udpout:10.0.0.5:14550", '
                                     '"udpout:10.0.0.6:14550"]\n')
    assert listed.fleet == ("udpout:10.0.0.5:14550", "udpout:10.0.0.6:14550")
    one = settings_from(tmp_path, 'drone = "udpout:10.0.0.7:14550"\n')
    assert one.drones == () and one.fleet == ("udpout:10.0.0.7:14550",)
    from_env = settings_from(tmp_path, "", DRONEWATCH_DRONES="udp:1.2.3.4:1, udp:1.2.3.4:2")
    assert from_env.fleet == ("udp:1.2.3.4:1", "udp:1.2.3.4:2")


@pytest.mark.parametrize(("text", "message"), [
    ('drones = "udpout:10.0.0.5:14550"\n', r"line 1: drones: .* is not a list of addresses"),
    ('drones = ["udpout:10.0.0.5"]\n', r"line 1: drones: 'udpout:10.0.0.5': expected"),
    ('drones = ["udp:1.2.3.4:1", "udp:1.2.3.4:1"]\n', r"listed twice"),
    ("drones = [5]\n", r"not a list of addresses"),
])
def test_a_wrong_list_names_its_line_and_field(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        settings_from(tmp_path, text)
