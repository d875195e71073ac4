"""dronewatch.link against the simulated vehicle over real UDP: flights, refusals, losses."""

from __future__ import annotations

import threading
import time

import pytest
from pymavlink import mavutil

from dronewatch.geo import distance_m
from dronewatch.link import (
    CommandError,
    CommandResult,
    LinkError,
    LinkLostError,
    MissionResult,
    MissionTransferError,
    NoHeartbeatError,
    ParamError,
    connect,
)
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from tests.link.conftest import SPEEDUP
from tests.link.relay import CuttableRelay
from tests.simulators.conftest import STATION
from tests.simulators.gcs import SimProcess, free_udp_port

LAT, LON, ALT = STATION
FAST = {"heartbeat_hz": SPEEDUP, "telemetry_scale": 10 / SPEEDUP}


def survey(legs: int = 4, alt: float = 40.0) -> list[MissionItem]:
    items = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT),
             MissionItem(Cmd.NAV_TAKEOFF, z=alt)]
    items += [MissionItem.at(Cmd.NAV_WAYPOINT, LAT + 0.001 * (k % 2), LON + 0.0006 * k, alt)
              for k in range(legs)]
    items.append(MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1, 8, -1))
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return items


def test_no_heartbeat_is_a_clear_error():
    started = time.monotonic()
    with pytest.raises(NoHeartbeatError, match=r"no heartbeat .* within 0.5 s"):
        connect(f"udpout:127.0.0.1:{free_udp_port()}", timeout_s=0.5)
    assert time.monotonic() - started < 2.0


def test_takeoff_auto_rtl_landed_disarmed_through_the_api(sim_url, tmp_path):
    tlog = tmp_path / "flight.tlog"
    with connect(sim_url(), tlog_path=tlog, **FAST) as vehicle:
        state = vehicle.wait_for(lambda s: s.prearm_ok and s.home is not None, 10, "ready")
        assert state.flavour == "ArduPilot" and state.mode == "STABILIZE"
        report = vehicle.upload(survey(), verify=True)
        assert report.verified and report.items == 8
        vehicle.set_mode("GUIDED")
        vehicle.arm()
        vehicle.takeoff(40)
        vehicle.wait_for(lambda s: s.alt_rel_m > 38, 20, "40 m")
        vehicle.set_mode("AUTO")
        vehicle.wait_for(lambda s: s.mission_seq >= 4, 30, "waypoint 4")
        vehicle.return_to_launch()
        landed = vehicle.wait_for(lambda s: not s.armed and s.landed_state == "ON_GROUND", 60,
                                  "landed and disarmed")
        assert landed.mode == "RTL"
        assert abs(landed.lat_deg - LAT) < 2e-5 and abs(landed.alt_rel_m) < 1.0
        assert landed.battery_remaining_pct < 100 and landed.gps_fix_type >= 3
    log = mavutil.mavlink_connection(str(tlog))
    senders = set()
    while (msg := log.recv_match()) is not None:
        if msg.get_type() == "HEARTBEAT":
            senders.add(msg.get_srcSystem())
    assert senders == {1, 255}  # both directions were logged, readable by pymavlink


def test_arming_refused_names_the_prearm_reason(sim_url):
    with connect(sim_url(boot_time=60, speedup=5), heartbeat_hz=5) as vehicle:
        with pytest.raises(CommandError) as err:
            vehicle.arm()
        assert err.value.command == "COMPONENT_ARM_DISARM"
        assert err.value.result is CommandResult.FAILED
        assert any(t.startswith("Arm: ") for t in err.value.statustexts)
        assert "Arm: " in str(err.value)


def test_mode_refused_and_unknown_mode(sim_url):
    with connect(sim_url(), **FAST) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok, 10, "ready")
        with pytest.raises(CommandError, match=r"DO_SET_MODE FAILED: .*Mission empty"):
            vehicle.set_mode("AUTO")
        with pytest.raises(LinkError, match="no mode 'HOVER'"):
            vehicle.set_mode("HOVER")


def test_mission_rejections_carry_the_vehicle_result(sim_url):
    with connect(sim_url(), **FAST) as vehicle:
        too_many = [MissionItem(Cmd.NAV_WAYPOINT)] * 1001
        with pytest.raises(MissionTransferError) as err:
            vehicle.upload(too_many)
        assert err.value.result is MissionResult.NO_SPACE
        bad_frame = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT),
                     MissionItem.at(Cmd.NAV_WAYPOINT, LAT, LON, 30, frame=1)]  # LOCAL_NED
        with pytest.raises(MissionTransferError, match="UNSUPPORTED_FRAME"):
            vehicle.upload(bad_frame)
        bad_fence = [MissionItem.at(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, LAT, LON, 0,
                                    Frame.GLOBAL_INT, 4)] * 3  # says 4 vertices, has 3
        with pytest.raises(MissionTransferError, match="INVALID_PARAM1"):
            vehicle.upload(bad_fence, MissionType.FENCE)


def test_link_lost_mid_upload(sim_url):
    url = sim_url(speedup=1)
    with connect(url, heartbeat_hz=5, stale_after_s=1.0) as vehicle:
        process = sim_url.processes[-1]
        threading.Timer(0.3, process.proc.kill).start()
        items = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT)] * 600
        with pytest.raises(LinkLostError, match="link to vehicle 1 lost"):
            for _ in range(20):  # each upload takes well under the 0.3 s; keep going
                vehicle.upload(items)


def test_500_items_upload_and_verify_with_20_percent_loss_each_way(sim_url):
    # Speed-up 10, not 50: at 50x the vehicle's 8 s upload timeout is 0.16 s of wall time,
    # stricter than any radio, and a busy CI machine can miss it.
    with connect(sim_url("--drop", "0.2", speedup=10), heartbeat_hz=10,
                 telemetry_scale=1.0) as vehicle:
        items = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT)] + [
            MissionItem.at(Cmd.NAV_WAYPOINT, LAT + 1e-4 * k, LON - 1e-4 * k, 30 + k % 50)
            for k in range(499)]
        report = vehicle.upload(items, verify=True)
        assert report.verified and report.item_sends > 500  # some items went twice
        assert vehicle.state.link_quality < 0.9  # the losses were real and counted


def test_final_item_lost_repeatedly_the_count_probe_is_refused_and_the_upload_goes_on(
        sim_url):
    # While the last item is missing the vehicle is still receiving, so it refuses the
    # link's "how many do you hold?" probe with DENIED (as ArduPilot does); that refusal
    # must not end the upload.
    items = survey(legs=6)
    final = len(items) - 1
    parser = mavutil.mavlink.MAVLink(None)
    parser.robust_parsing = True
    lost = []

    def lose_final_item(data: bytes) -> bool:
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() == "MISSION_ITEM_INT" and msg.seq == final and len(lost) < 5:
                lost.append(msg.seq)
                return True
        return False

    url = sim_url(speedup=1)  # the vehicle re-asks only each 1 s: the link's probe comes first
    relay = CuttableRelay(int(url.rsplit(":", 1)[1]), lose_final_item)
    try:
        with connect(f"udpout:127.0.0.1:{relay.port}", heartbeat_hz=10,
                     telemetry_scale=1.0) as vehicle:
            report = vehicle.upload(items, verify=True)
            assert len(lost) == 5 and report.verified
            assert [i.command for i in vehicle.download()] == [i.command for i in items]
    finally:
        relay.close()


def test_a_download_outlasts_a_stall_far_longer_than_its_round_trips(sim_url):
    # Loopback round trips are ~2 ms; a busy machine can stall the replies for much
    # longer. Ten re-asks of a missing item must not all fall inside such a stall.
    items = survey(legs=20)
    parser = mavutil.mavlink.MAVLink(None)
    parser.robust_parsing = True
    stall_until = [0.0]
    held = []

    def stall_item_replies(data: bytes) -> bool:
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() != "MISSION_ITEM_INT" or msg.seq != 3:
                continue
            if not held:
                stall_until[0] = time.monotonic() + 1.0
            if time.monotonic() < stall_until[0]:
                held.append(msg.seq)
                return True
        return False

    url = sim_url(speedup=SPEEDUP)
    with connect(url, heartbeat_hz=10, telemetry_scale=1.0) as vehicle:
        vehicle.upload(items)
    relay = CuttableRelay(int(url.rsplit(":", 1)[1]), drop_to_gcs=stall_item_replies)
    try:
        with connect(f"udpout:127.0.0.1:{relay.port}", heartbeat_hz=10,
                     telemetry_scale=1.0) as vehicle:
            assert [i.command for i in vehicle.download()] == [i.command for i in items]
            assert len(held) >= 2  # the item was asked for again inside the stall
    finally:
        relay.close()


def test_two_vehicles_flown_at_once_from_one_process():
    port = free_udp_port()
    process = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"udp:127.0.0.1:{port}",
                          "--instances", "2", "--speedup", str(SPEEDUP), "--boot-time", "1"])
    try:
        vehicles = [connect(f"udpout:127.0.0.1:{port + 10 * i}", **FAST) for i in range(2)]
        assert [v.sysid for v in vehicles] == [1, 2]
        errors: list[BaseException] = []

        def fly(vehicle, north_deg):
            try:
                vehicle.wait_for(lambda s: s.prearm_ok, 10, "ready")
                vehicle.set_mode("GUIDED")
                vehicle.arm()
                vehicle.takeoff(30)
                vehicle.wait_for(lambda s: s.alt_rel_m > 28, 20, "30 m")
                vehicle.goto(LAT + north_deg, LON, 30)
                vehicle.wait_for(lambda s: abs(s.lat_deg - LAT - north_deg) < 2e-5, 30, "there")
                vehicle.land()
                vehicle.wait_for(lambda s: not s.armed, 60, "landed")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=fly, args=(v, d)) for v, d in
                   zip(vehicles, (0.002, -0.002), strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        lats = [v.state.lat_deg for v in vehicles]
        assert lats[0] == pytest.approx(LAT + 0.002, abs=2e-5)
        assert lats[1] == pytest.approx(LAT - 0.002, abs=2e-5)
        for v in vehicles:
            v.close()
    finally:
        assert "Traceback" not in process.stop()


def test_signed_links_refuse_the_wrong_key_both_ways(sim_url):
    key = bytes(range(32))
    url = sim_url("--signing-key", key.hex())
    with pytest.raises(NoHeartbeatError):
        connect(url, signing_key=bytes(32), timeout_s=1.0)
    with connect(url, signing_key=key, **FAST) as vehicle:
        vehicle.request_message("AUTOPILOT_VERSION")
    unsigned_vehicle = sim_url()
    with pytest.raises(NoHeartbeatError):
        connect(unsigned_vehicle, signing_key=key, timeout_s=1.0)


def test_parameters(sim_url):
    with connect(sim_url(), **FAST) as vehicle:
        assert vehicle.get_param("RTL_ALT") == 1500
        vehicle.set_param("RTL_ALT", 3000)
        assert vehicle.get_param("RTL_ALT") == 3000
        with pytest.raises(ParamError, match="NOT_A_PARAM"):
            vehicle.get_param("NOT_A_PARAM", timeout_s=0.2, retries=1)


def test_link_loss_marks_stale_and_the_mission_goes_on(sim_url):
    url = sim_url()
    relay = CuttableRelay(int(url.rsplit(":", 1)[1]))
    try:
        with connect(f"udpout:127.0.0.1:{relay.port}", stale_after_s=0.5, **FAST) as vehicle:
            vehicle.wait_for(lambda s: s.prearm_ok, 10, "ready")
            vehicle.upload(survey(legs=8))
            vehicle.set_mode("GUIDED")
            vehicle.arm()
            vehicle.start_mission()
            before = vehicle.wait_for(lambda s: s.mission_seq >= 3, 30, "waypoint 3")
            relay.cut = True
            cut = vehicle.wait_for(lambda s: s.stale, 5, "stale")
            assert cut.heartbeat_age_s > 0.5
            time.sleep(1.0)
            last_seen = vehicle.state
            relay.cut = False
            vehicle.wait_for(lambda s: not s.stale, 5, "link back")
            after = vehicle.wait_for(lambda s: s.lat_deg != last_seen.lat_deg, 2, "new position")
            # 1 s of wall time is 50 s of flight: it flew on, hundreds of metres, meanwhile.
            moved_m = distance_m(after.lat_deg, after.lon_deg,
                                 last_seen.lat_deg, last_seen.lon_deg)
            assert moved_m > 200
            vehicle.wait_for(lambda s: s.mission_seq > before.mission_seq, 2, "mission progress")
            vehicle.wait_for(lambda s: not s.armed, 60, "mission done")
    finally:
        relay.close()


def test_subscriptions_deliver_messages_without_polling(sim_url):
    with connect(sim_url(), **FAST) as vehicle, vehicle.subscribe("STATUSTEXT") as texts:
        vehicle.wait_for(lambda s: s.prearm_ok, 10, "ready")
        vehicle.upload(survey())
        message = texts.wait(lambda m: m["text"] == "Flight plan received", 5)
        assert message is not None and message.sysid == 1


def test_fence_and_rally_round_trip_over_tcp():
    from tests.simulators.gcs import free_tcp_port

    port = free_tcp_port()
    process = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"tcp:127.0.0.1:{port}",
                          "--speedup", str(SPEEDUP), "--boot-time", "1"])
    try:
        with connect(f"tcp:127.0.0.1:{port}", **FAST) as vehicle:
            ring = [(LAT - 0.01, LON - 0.01), (LAT - 0.01, LON + 0.01), (LAT + 0.01, LON + 0.01)]
            fence = [MissionItem.at(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, a, b, 0,
                                    Frame.GLOBAL_INT, 3) for a, b in ring]
            fence.append(MissionItem.at(Cmd.NAV_FENCE_CIRCLE_EXCLUSION, LAT + 0.002, LON, 0,
                                        Frame.GLOBAL_INT, 80))
            rally = [MissionItem.at(Cmd.NAV_RALLY_POINT, LAT + 0.003, LON, 40)]
            assert vehicle.upload(fence, MissionType.FENCE, verify=True).verified
            assert vehicle.upload(rally, MissionType.RALLY, verify=True).verified
            assert len(vehicle.download(MissionType.FENCE)) == 4
            vehicle.clear(MissionType.RALLY)
            assert vehicle.download(MissionType.RALLY) == []
            vehicle.upload(survey())
            vehicle.set_current(3)
            vehicle.wait_for(lambda s: s.mission_seq == 3, 5, "current item 3")
    finally:
        assert "Traceback" not in process.stop()
