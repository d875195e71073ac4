"""The simulated vehicle speaks MAVLink as ArduCopter SITL was seen doing (over real UDP)."""

from __future__ import annotations

import itertools
import time

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mav

from tests.simulators.conftest import STATION

LAT, LON, ALT = STATION
REL = mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


def square_mission(n: int = 6, alt: float = 60.0) -> list[tuple]:
    items = [(mav.MAV_FRAME_GLOBAL_INT, 16, 0, 0, 0, 0, LAT, LON, ALT),
             (REL, 22, 0, 0, 0, 0, 0, 0, alt)]
    for k in range(n):
        items.append((REL, 16, 0, 0, 0, 0, LAT + 0.001 * (k % 2), LON + 0.0005 * k, alt))
    items.append((mav.MAV_FRAME_MISSION, 178, 0, 8.0, -1, 0, 0, 0, 0))
    items.append((REL, 20, 0, 0, 0, 0, 0, 0, 0))
    return items


def test_heartbeat_identity_and_silence_until_asked(sim):
    gcs = sim()
    hb = gcs.wait("HEARTBEAT")
    assert (hb.type, hb.autopilot) == (mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_ARDUPILOTMEGA)
    assert hb.custom_mode == 0 and hb.get_srcSystem() == 1
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        gcs.recv(0.05)
    kinds = {m.get_type() for m in gcs.history}
    assert kinds <= {"HEARTBEAT", "STATUSTEXT", "HOME_POSITION", "GPS_GLOBAL_ORIGIN"}
    gcs.request_streams(5)
    gcs.wait("GLOBAL_POSITION_INT")
    gcs.wait("SYS_STATUS")


def test_set_message_interval_and_request_message(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    assert gcs.command(mav.MAV_CMD_SET_MESSAGE_INTERVAL, 245, 100_000, 1) == \
        mav.MAV_RESULT_DENIED  # param3 must be 0
    assert gcs.command(mav.MAV_CMD_SET_MESSAGE_INTERVAL, 245, 100_000) == 0
    state = gcs.wait("EXTENDED_SYS_STATE")
    assert state.landed_state == mav.MAV_LANDED_STATE_ON_GROUND
    mark = len(gcs.history)
    assert gcs.command(mav.MAV_CMD_REQUEST_MESSAGE, 148) == 0
    version = gcs.wait("AUTOPILOT_VERSION", since=mark)
    assert version.capabilities & mav.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    assert gcs.command(mav.MAV_CMD_DO_SET_SERVO, 5, 1500) == mav.MAV_RESULT_UNSUPPORTED


def test_prearm_refusals_name_their_reason(sim):
    gcs = sim(boot_time=40.0, speedup=5)
    gcs.wait("HEARTBEAT")
    assert gcs.set_mode(4) == mav.MAV_RESULT_FAILED  # GUIDED needs a position estimate
    mark = len(gcs.history)
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == mav.MAV_RESULT_FAILED
    text = gcs.wait("STATUSTEXT", lambda s: s.text.startswith("Arm:"), since=mark).text
    assert text in ("Arm: System not initialised", "Arm: Need Position Estimate")


def test_auto_is_not_armable_and_needs_a_mission(sim):
    gcs = sim()
    gcs.wait_ready()
    assert gcs.set_mode(3) == mav.MAV_RESULT_FAILED  # no mission
    assert gcs.upload(square_mission()) == mav.MAV_MISSION_ACCEPTED
    assert gcs.set_mode(3) == 0
    mark = len(gcs.history)
    assert gcs.command(mav.MAV_CMD_COMPONENT_ARM_DISARM, 1) == mav.MAV_RESULT_FAILED
    gcs.wait("STATUSTEXT", lambda s: s.text == "Arm: AUTO mode not armable", since=mark)


@pytest.mark.parametrize("mission_type", [0, 1, 2])
def test_download_after_upload_gives_the_same_items(sim, mission_type):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    if mission_type == 0:
        items = square_mission()
    elif mission_type == 1:
        ring = [(LAT - 0.01, LON - 0.01), (LAT - 0.01, LON + 0.01), (LAT + 0.01, LON + 0.01),
                (LAT + 0.01, LON - 0.01)]
        items = [(mav.MAV_FRAME_GLOBAL_INT, 5001, 4, 0, 0, 0, a, b, 0) for a, b in ring]
        items.append((mav.MAV_FRAME_GLOBAL_INT, 5004, 150, 0, 0, 0, LAT + 0.005, LON, 0))
    else:
        items = [(REL, 5100, 0, 0, 0, 0, LAT + 0.002 * k, LON, 40) for k in range(3)]
    assert gcs.upload(items, mission_type) == mav.MAV_MISSION_ACCEPTED
    requests = [m for m in gcs.history if m.get_type().startswith("MISSION_REQUEST")]
    assert {m.get_type() for m in requests} == {"MISSION_REQUEST"}  # legacy #40, as observed
    back = gcs.download(mission_type)
    assert len(back) == len(items)
    same_frame = {5: 0, 6: 3, 11: 10}
    for seq, (sent, got) in enumerate(zip(items, back, strict=True)):
        if mission_type == 0 and seq == 0:
            assert got.frame == mav.MAV_FRAME_GLOBAL and got.z == pytest.approx(ALT, abs=0.01)
            continue
        frame, command, *params, lat, lon, alt = sent
        assert got.command == command
        assert same_frame.get(got.frame, got.frame) == same_frame.get(frame, frame) or \
            got.frame == mav.MAV_FRAME_GLOBAL
        assert [got.param1, got.param2, got.param3, got.param4] == pytest.approx(params)
        if mission_type or command in (16, 5100):
            assert (got.x, got.y) == (round(lat * 1e7), round(lon * 1e7))
            assert got.z == pytest.approx(alt)


def test_mission_errors_carry_the_real_codes(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    gcs.send("mission_count", 1, 1, 5000, 0)
    assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_NO_SPACE
    gcs.wait("STATUSTEXT", lambda s: s.text == "Only 1000 items are supported")
    # An out-of-order item is refused with INVALID_SEQUENCE and the transfer goes on.
    gcs.send("mission_count", 1, 1, 2, 0)
    gcs.wait("MISSION_REQUEST", lambda r: r.seq == 0)
    gcs.send("mission_item_int", 1, 1, 1, 6, 16, 0, 1, 0, 0, 0, 0, 0, 0, 50, 0)
    assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_INVALID_SEQUENCE
    # Another ground station may not start an upload meanwhile.
    gcs.m.mav.srcSystem = 254
    gcs.send("mission_count", 1, 1, 3, 0)
    assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_DENIED
    gcs.m.mav.srcSystem = 255
    # A frame the vehicle does not take aborts with UNSUPPORTED_FRAME.
    gcs.send("mission_item_int", 1, 1, 0, 6, 16, 0, 1, 0, 0, 0, 0, 0, 0, 50, 0)
    gcs.wait("MISSION_REQUEST", lambda r: r.seq == 1)
    gcs.send("mission_item_int", 1, 1, 1, mav.MAV_FRAME_LOCAL_NED, 16, 0, 1, 0, 0, 0, 0, 0, 0,
             50, 0)
    assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_UNSUPPORTED_FRAME


def test_silent_uploader_is_asked_again_then_cancelled(sim):
    gcs = sim(speedup=10)
    gcs.wait("HEARTBEAT")
    gcs.send("mission_count", 1, 1, 3, 0)
    started = time.monotonic()
    ack = gcs.wait("MISSION_ACK", timeout=5)
    assert ack.type == mav.MAV_MISSION_OPERATION_CANCELLED
    requests = [m for m in gcs.history if m.get_type() == "MISSION_REQUEST"]
    assert len(requests) >= 6  # re-asked about every simulated second for 8 s
    assert 0.5 < time.monotonic() - started < 3.0  # 8 s simulated at 10x
    gcs.wait("STATUSTEXT", lambda s: s.text == "Mission upload timeout", since=0)


def test_legacy_mission_item_is_accepted_with_a_warning(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    gcs.send("mission_count", 1, 1, 2, 0)
    gcs.wait("MISSION_REQUEST", lambda r: r.seq == 0)
    gcs.send("mission_item", 1, 1, 0, 0, 16, 0, 1, 0, 0, 0, 0, LAT, LON, ALT, 0)
    gcs.wait("MISSION_REQUEST", lambda r: r.seq == 1)
    gcs.send("mission_item", 1, 1, 1, 3, 16, 0, 1, 0, 0, 0, 0, LAT + 0.001, LON, 50, 0)
    assert gcs.wait("MISSION_ACK").type == 0
    gcs.wait("STATUSTEXT", lambda s: s.text.startswith("got MISSION_ITEM;"), since=0)
    # Float degrees carry ~7 significant digits: within 1e-6° (0.1 m), as on ArduPilot.
    assert abs(gcs.download()[1].x - round((LAT + 0.001) * 1e7)) < 10


def test_parameters_list_read_and_set(sim):
    gcs = sim()
    gcs.wait("HEARTBEAT")
    gcs.send("param_request_list", 1, 1)
    first = gcs.wait("PARAM_VALUE")
    names = {first.param_id}
    while len(names) < first.param_count:
        names.add(gcs.wait("PARAM_VALUE").param_id)
    assert {"WPNAV_SPEED", "RTL_ALT", "BATT_LOW_VOLT", "FENCE_ENABLE", "FS_GCS_ENABLE",
            "SIM_SPEEDUP"} <= names
    assert gcs.set_param("RTL_ALT", 3000) == 3000
    gcs.send("param_request_read", 1, 1, b"RTL_ALT", -1)
    assert gcs.wait("PARAM_VALUE", lambda p: p.param_id == "RTL_ALT").param_value == 3000


def test_signed_vehicle_ignores_unsigned_and_wrongly_signed_commands(sim):
    key = bytes(range(32))
    gcs = sim("--signing-key", key.hex())
    hb = gcs.wait("HEARTBEAT")
    assert hb.get_header().incompat_flags & mav.MAVLINK_IFLAG_SIGNED
    with pytest.raises(TimeoutError):
        gcs.command(mav.MAV_CMD_REQUEST_MESSAGE, 148, timeout=1.0)
    gcs.m.setup_signing(bytes(32), sign_outgoing=True)  # the wrong key
    with pytest.raises(TimeoutError):
        gcs.command(mav.MAV_CMD_REQUEST_MESSAGE, 148, timeout=1.0)
    gcs.m.setup_signing(key, sign_outgoing=True)
    assert gcs.command(mav.MAV_CMD_REQUEST_MESSAGE, 148) == 0


def test_lossy_link_mode_drops_duplicates_and_reorders(sim):
    gcs = sim("--drop", "0.3", "--duplicate", "0.1", "--delay", "0.1", speedup=10)
    gcs.wait("HEARTBEAT", timeout=10)
    gcs.request_streams(10)
    gcs.request_streams(10)
    end = time.monotonic() + 3
    while time.monotonic() < end:
        gcs.recv(0.05)
    unwrapped, top = [], None
    for m in gcs.history:  # sequence numbers wrap at 256: unwrap around the highest seen
        seq = m.get_seq()
        value = seq if top is None else top + ((seq - top + 128) % 256 - 128)
        unwrapped.append(value)
        top = value if top is None else max(top, value)
    span = max(unwrapped) - min(unwrapped) + 1
    lost = 1 - len(set(unwrapped)) / span
    assert 0.2 < lost < 0.4  # --drop 0.3
    assert len(unwrapped) > len(set(unwrapped))  # duplicates arrived
    assert any(b < a for a, b in itertools.pairwise(unwrapped))  # out of order
    # The mission protocol still gets through by re-requests.
    assert gcs.upload(square_mission(20), timeout=30) == mav.MAV_MISSION_ACCEPTED


def test_tcp_listener_serves_a_ground_station():
    from tests.simulators.gcs import Gcs, SimProcess, free_tcp_port

    port = free_tcp_port()
    process = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"tcp:127.0.0.1:{port}",
                          "--speedup", "20", "--boot-time", "1"])
    try:
        gcs = Gcs(f"tcp:127.0.0.1:{port}", heartbeat_hz=20)
        gcs.wait("HEARTBEAT")
        assert gcs.upload(square_mission()) == mav.MAV_MISSION_ACCEPTED
        gcs.send("mission_clear_all", 1, 1, 0)
        assert gcs.wait("MISSION_ACK").type == mav.MAV_MISSION_ACCEPTED
        gcs.send("mission_request_list", 1, 1, 0)
        assert gcs.wait("MISSION_COUNT").count == 0
        gcs.close()
    finally:
        assert "Traceback" not in process.stop()
