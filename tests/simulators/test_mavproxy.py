"""MAVProxy, a real ground station nobody here wrote, flies a mission on the simulator.

The outcome is read from the simulator's own telemetry (through MAVProxy's --out
port), not from MAVProxy's console.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymavlink import mavutil

from tests.simulators.conftest import STATION
from tests.simulators.gcs import SimProcess, free_udp_port

LAT, LON, ALT = STATION
MAVPROXY = shutil.which("mavproxy.py", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(MAVPROXY is None, reason="MAVProxy is not installed")

MISSION = f"""QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t{LAT}\t{LON}\t{ALT}\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t40\t1
2\t0\t3\t16\t0\t0\t0\t0\t{LAT + 0.001:.7f}\t{LON:.7f}\t40\t1
3\t0\t3\t16\t0\t0\t0\t0\t{LAT + 0.001:.7f}\t{LON + 0.0015:.7f}\t40\t1
4\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
"""


def _story(seen: list) -> str:
    """What the vehicle last said, so a timeout names the state it stuck in."""
    last = {m.get_type(): m for m in seen}
    texts = [m.text for m in seen if m.get_type() == "STATUSTEXT"][-6:]
    beat = last.get("HEARTBEAT")
    where = last.get("GLOBAL_POSITION_INT")
    current = last.get("MISSION_CURRENT")
    return (f"mode {beat and beat.custom_mode}, armed {beat and bool(beat.base_mode & 128)}, "
            f"alt {where and where.relative_alt / 1000} m, item {current and current.seq}, "
            f"texts {texts}")


def test_mavproxy_loads_arms_and_flies_a_mission_to_the_end(tmp_path):
    (tmp_path / "mission.txt").write_text(MISSION)
    port, out = free_udp_port(), free_udp_port()
    sim = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"udp:127.0.0.1:{port}",
                      "--speedup", "10", "--boot-time", "2"])  # MAVProxy answers slower than 25x
    proxy = subprocess.Popen(
        [MAVPROXY, f"--master=udpout:127.0.0.1:{port}", f"--out=udp:127.0.0.1:{out}",
         # Streams run on the simulator's clock: at 10x, MAVProxy's 10 Hz would be 100 Hz a
         # message, more than it reads on a loaded machine (it dropped items reached).
         f"--state-basedir={tmp_path}", "--streamrate=2",
         "--default-modules=cmdlong,mode,wp,arm,param,fence,rally,misc,link"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=tmp_path)
    monitor = mavutil.mavlink_connection(f"udpin:127.0.0.1:{out}")
    seen: list = []

    def say(command: str) -> None:
        proxy.stdin.write(command + "\n")
        proxy.stdin.flush()

    def wait(kind: str, cond=lambda m: True, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = monitor.recv_match(blocking=True, timeout=0.2)
            if msg is None:
                continue
            seen.append(msg)
            if msg.get_type() == kind and cond(msg):
                return msg
        raise TimeoutError(f"no {kind} in {timeout} s; last seen: {_story(seen)}")

    try:
        wait("SYS_STATUS", lambda s: s.onboard_control_sensors_health & 0x10000000)
        say(f"wp load {tmp_path / 'mission.txt'}")
        wait("STATUSTEXT", lambda s: s.text == "Flight plan received")
        say("mode guided")
        wait("HEARTBEAT", lambda h: h.custom_mode == 4)
        say("arm throttle")
        wait("HEARTBEAT", lambda h: h.base_mode & 128)
        say("takeoff 40")
        wait("GLOBAL_POSITION_INT", lambda p: p.relative_alt > 35_000)
        say("mode auto")
        reached = [wait("MISSION_ITEM_REACHED", timeout=60).seq for _ in range(4)]
        wait("HEARTBEAT", lambda h: not h.base_mode & 128, timeout=60)
        final = wait("GLOBAL_POSITION_INT")
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        sim.stop()
    assert reached == [1, 2, 3, 4]  # the takeoff item completes at once: already at 40 m
    texts = [m.text for m in seen if m.get_type() == "STATUSTEXT"]
    assert "Mission: 4 RTL" in texts and "Disarming motors" in texts
    assert abs(final.relative_alt) < 1000
    assert abs(final.lat / 1e7 - LAT) < 2e-5 and abs(final.lon / 1e7 - LON) < 3e-5
    assert (tmp_path / "mav.tlog").stat().st_size > 0  # MAVProxy logged the flight
