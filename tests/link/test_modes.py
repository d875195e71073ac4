"""Mode tables for ArduPilot and PX4, both ways."""

from __future__ import annotations

import pytest

from dronewatch.link.errors import LinkError
from dronewatch.link.modes import ARDUCOPTER_MODES, PX4_MODES, Flavour, mode_name, mode_params


@pytest.mark.parametrize("name", sorted(ARDUCOPTER_MODES))
def test_arducopter_round_trip(name):
    _, number, _ = mode_params(Flavour.ARDUPILOT, name)
    assert mode_name(Flavour.ARDUPILOT, int(number)) == name


def test_px4_modes_pack_main_and_sub_mode_like_px4():
    base, main, sub = mode_params(Flavour.PX4, "rtl")
    assert (base, main, sub) == (1.0, 4.0, 5.0)
    custom_mode = (4 << 16) | (5 << 24)  # how PX4 puts AUTO.RTL in HEARTBEAT.custom_mode
    assert mode_name(Flavour.PX4, custom_mode) == "RTL"
    assert mode_name(Flavour.PX4, (3 << 16)) == "POSHOLD"
    assert all(mode_name(Flavour.PX4, (m << 16) | (s << 24)) in PX4_MODES
               for m, s in PX4_MODES.values())


def test_unknown_modes():
    assert mode_name(Flavour.ARDUPILOT, 8) == "MODE_8"
    with pytest.raises(LinkError, match="ArduCopter has no mode 'hover'; known: STABILIZE"):
        mode_params(Flavour.ARDUPILOT, "hover")
    assert Flavour.from_autopilot(12) is Flavour.PX4
    assert Flavour.from_autopilot(0) is Flavour.UNKNOWN
