"""One mission per drone across processes: a real second process holds a simulated
drone's lock, the flight here is refused naming it and uploads nothing, and once that
process is killed the drone is free again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dronewatch.missionitem import MissionType
from dronewatch.ops import fly_plan
from dronewatch.ops.dronelock import DroneBusyError, drone_key, hold_drone
from dronewatch.store import MissionKind, Store
from tests.ops.rehearsal import drone, link, rehearsal

HOLDER = """
import sys, time
from dronewatch.ops.dronelock import hold_drone
with hold_drone(sys.argv[1], int(sys.argv[2])):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(url: str, sysid: int) -> subprocess.Popen:
    """Another process holding the drone's lock (as a flying ``dronewatch search`` does)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, url, str(sysid)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if line.strip() != "held":
        proc.kill()
        pytest.fail(f"the holder did not take the lock: {proc.communicate()[1]}")
    return proc


def test_a_drone_flown_by_another_process_is_refused_until_that_process_dies(tmp_path):
    with rehearsal() as r, drone(r.plan.home) as sim, link(sim.url) as vehicle, \
            Store(tmp_path / "store.sqlite") as store:
        holder = _holder(sim.url, vehicle.sysid)
        try:
            mission = store.add_mission(MissionKind.SEARCH, r.plan.name, launched_by="olga",
                                        reason="test")
            with pytest.raises(DroneBusyError) as refused:
                fly_plan(vehicle, r.plan, r.zones, r.terrain, r.camera.render, store,
                         mission.id, tmp_path / "map.html")
            message = str(refused.value)
            assert sim.url in message and f"sysid {vehicle.sysid}" in message  # the drone
            assert f"pid {holder.pid} (python -c " in message  # and who flies it
            assert len(vehicle.download(MissionType.MISSION)) <= 1  # at most the home item
            assert vehicle.download(MissionType.FENCE) == []  # nothing was uploaded
            assert store.flights(mission.id) == []  # and no flight recorded
        finally:
            holder.kill()  # as kill -9 or a crash would end it: no clean-up ran
            holder.wait()
        with hold_drone(sim.url, vehicle.sysid):  # the kernel dropped the dead one's lock
            pass


def test_one_process_flies_many_drones_but_never_one_drone_twice():
    busy = r"udpout:127\.0\.0\.1:14550 sysid 1 .*pid \d+"
    with hold_drone("udpout:127.0.0.1:14550", 1), hold_drone("udpout:127.0.0.1:14560", 1), \
            pytest.raises(DroneBusyError, match=busy), hold_drone("udpout:127.0.0.1:14550", 1):
        pass
    with pytest.raises(RuntimeError), hold_drone("udpout:127.0.0.1:14550", 1):
        raise RuntimeError("the flight failed")
    with hold_drone("udpout:127.0.0.1:14550", 1):  # released on the error
        pass


def test_the_key_reads_udp_as_udpin_and_keeps_system_ids_apart():
    assert drone_key("udp:0.0.0.0:14550", 1) == drone_key("UDPIN:0.0.0.0:14550", 1)
    assert drone_key("udpout:127.0.0.1:14550", 1) != drone_key("udpout:127.0.0.1:14550", 2)
    with hold_drone("udpout:127.0.0.1:14550", 1), hold_drone("udpout:127.0.0.1:14550", 2):
        pass
