"""Mode tables for ArduPilot (copter, plane/VTOL, rover/boat, sub) and PX4, both ways."""

from __future__ import annotations

import time
from types import MappingProxyType

import pytest

from dronewatch.link import connect
from dronewatch.link._mavutil import MavMessage
from dronewatch.link.errors import LinkError
from dronewatch.link.modes import (
    ARDUCOPTER_MODES,
    ARDUPLANE_MODES,
    ARDUSUB_MODES,
    PX4_MODES,
    ROVER_MODES,
    Flavour,
    VehicleKind,
    mode_name,
    mode_params,
)
from dronewatch.link.state import StateTracker
from tests.link.conftest import SPEEDUP

ARDUPILOT, PX4 = 3, 12  # MAV_AUTOPILOT


def heartbeat(mav_type: int, autopilot: int, custom_mode: int, compid: int = 1) -> MavMessage:
    return MavMessage("HEARTBEAT", MappingProxyType({
        "type": mav_type, "autopilot": autopilot, "base_mode": 1 | 128,
        "custom_mode": custom_mode, "system_status": 4, "mavlink_version": 3}),
        1, compid, 0, time.monotonic())


def state_after(*messages: MavMessage):
    tracker = StateTracker(1, stale_after_s=5.0)
    for msg in messages:
        tracker.update(msg)
    return tracker.snapshot()


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
    assert mode_name(Flavour.ARDUPILOT, 8) == "MODE(8)"
    assert mode_name(Flavour.ARDUPILOT, 99, VehicleKind.PLANE) == "MODE(99)"
    assert mode_name(Flavour.ARDUPILOT, 4, VehicleKind.OTHER) == "MODE(4)"  # e.g. a tracker
    assert mode_name(Flavour.PX4, (4 << 16) | (15 << 24)) == "MODE(main 4, sub 15)"
    with pytest.raises(LinkError, match="ArduCopter has no mode 'hover'; known: STABILIZE"):
        mode_params(Flavour.ARDUPILOT, "hover")
    with pytest.raises(LinkError, match="no mode table for this vehicle type"):
        mode_params(Flavour.ARDUPILOT, "AUTO", VehicleKind.OTHER)
    assert Flavour.from_autopilot(12) is Flavour.PX4
    assert Flavour.from_autopilot(0) is Flavour.UNKNOWN


@pytest.mark.parametrize(("kind", "table"), [
    (VehicleKind.COPTER, ARDUCOPTER_MODES), (VehicleKind.PLANE, ARDUPLANE_MODES),
    (VehicleKind.ROVER, ROVER_MODES), (VehicleKind.SUB, ARDUSUB_MODES)])
def test_each_ardupilot_firmware_round_trips_its_own_numbers(kind, table):
    for name, number in table.items():
        assert mode_params(Flavour.ARDUPILOT, name.lower(), kind) == (1.0, float(number), 0.0)
        assert mode_name(Flavour.ARDUPILOT, number, kind) == name


@pytest.mark.parametrize(("mav_type", "number", "name"), [
    (21, 19, "QLOITER"),  # VTOL tiltrotor: not AVOID_ADSB
    (22, 18, "QHOVER"),  # VTOL fixed-rotor QuadPlane
    (20, 17, "QSTABILIZE"), (19, 21, "QRTL"), (1, 20, "QLAND"),
    (1, 5, "FBWA"), (1, 11, "RTL"),
    (10, 4, "HOLD"), (11, 15, "GUIDED"),  # rover, boat
    (12, 19, "MANUAL"), (12, 21, "SURFTRAK"),  # sub
    (2, 19, "AVOID_ADSB"), (13, 5, "LOITER"), (4, 6, "RTL"),  # quad, hexa, heli
])
def test_heartbeat_type_chooses_the_mode_names(mav_type, number, name):
    state = state_after(heartbeat(mav_type, ARDUPILOT, number))
    assert state.mode == name


def test_px4_heartbeats_decode_main_and_sub_modes_whatever_the_frame():
    for mav_type in (2, 1, 22):
        assert state_after(heartbeat(mav_type, PX4, (4 << 16) | (4 << 24))).mode == "AUTO"
    assert state_after(heartbeat(2, PX4, 6 << 16)).mode == "OFFBOARD"
    assert state_after(heartbeat(22, PX4, (4 << 16) | (10 << 24))).mode == "VTOL_TAKEOFF"
    assert mode_params(Flavour.PX4, "mission") == mode_params(Flavour.PX4, "auto")


def test_a_camera_heartbeat_does_not_rename_the_vehicles_mode():
    vtol = heartbeat(21, ARDUPILOT, 19)
    camera = heartbeat(30, 8, 0, compid=100)  # MAV_TYPE_CAMERA, MAV_AUTOPILOT_INVALID
    state = state_after(vtol, camera)
    assert (state.mode, state.vehicle_kind, state.flavour) == (
        "QLOITER", VehicleKind.PLANE, Flavour.ARDUPILOT)


def test_the_simulated_copter_reads_and_sets_copter_modes(sim_url):
    with connect(sim_url(), heartbeat_hz=SPEEDUP, telemetry_scale=10 / SPEEDUP) as vehicle:
        vehicle.wait_for(lambda s: s.vehicle_kind is VehicleKind.COPTER, 10, "a heartbeat")
        vehicle.wait_ready(30)  # GUIDED needs a position, as on ArduCopter
        vehicle.set_mode("GUIDED")
        assert vehicle.state.mode == "GUIDED"
        with pytest.raises(LinkError, match="ArduCopter has no mode 'QLOITER'"):
            vehicle.set_mode("QLOITER")
