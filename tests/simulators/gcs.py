"""A small, independent ground station for tests, built straight on pymavlink.

Why not dronewatch.link: the simulator must be proven against a MAVLink peer that
was not written together with it; this one uses pymavlink's own connection class and
the plain mission protocol, and keeps every message it sees for assertions.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mav

REPO_ROOT = __file__.rsplit("/tests/", 1)[0]
_RECEIVE_BUFFER_BYTES = 4 << 20  # the kernel caps it at net.core.rmem_max


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SimProcess:
    """A simulator started as its own process, as an operator would start it."""

    args: list[str]
    proc: subprocess.Popen = field(init=False)
    banner: str = field(init=False)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulators.vehicle", *self.args], cwd=REPO_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.banner = self.proc.stdout.readline().strip()
        if not self.banner:
            raise RuntimeError(f"simulator did not start: {self.proc.stderr.read()}")

    def stop(self) -> str:
        """Stop it; what it wrote to stderr (a traceback there is a simulator bug)."""
        self.proc.terminate()
        try:
            _, errors = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, errors = self.proc.communicate()
        return errors


class Gcs:
    """pymavlink connection + message history + a heartbeat thread."""

    def __init__(self, url: str, *, heartbeat_hz: float = 10.0, sysid: int = 255,
                 key: bytes | None = None, target: int = 1) -> None:
        self.m = mavutil.mavlink_connection(url, source_system=sysid, source_component=190,
                                            dialect="ardupilotmega")
        if key is not None:
            self.m.setup_signing(key, sign_outgoing=True)
        # The simulator's streams run on its clock (50x: hundreds of messages a wall
        # second); the default 208 kB socket buffer overflowed on a loaded CI machine and a
        # CAMERA_FEEDBACK was lost between two reads. Room for seconds of them.
        port = getattr(self.m, "port", None)
        if isinstance(port, socket.socket):
            port.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER_BYTES)
        self.target = target
        self.history: list[mav.MAVLink_message] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._hb = threading.Thread(target=self._beat, args=(heartbeat_hz,), daemon=True)
        self._hb.start()

    def _beat(self, hz: float) -> None:
        while not self._stop.wait(1.0 / hz):
            with self._lock:
                self.m.mav.heartbeat_send(mav.MAV_TYPE_GCS, mav.MAV_AUTOPILOT_INVALID, 0, 0, 0)

    def stop_heartbeats(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self.m.close()

    def send(self, name: str, *args: object) -> None:
        with self._lock:
            getattr(self.m.mav, f"{name}_send")(*args)

    def recv(self, timeout: float = 0.1) -> mav.MAVLink_message | None:
        msg = self.m.recv_match(blocking=True, timeout=timeout)
        if msg is not None and msg.get_type() != "BAD_DATA":
            self.history.append(msg)
            return msg
        return None

    def wait(self, kind: str | tuple[str, ...], cond: Callable[[object], bool] = lambda m: True,
             timeout: float = 10.0, since: int | None = None) -> mav.MAVLink_message:
        """The next matching message; with ``since``, history from that index counts too."""
        kinds = (kind,) if isinstance(kind, str) else kind
        if since is not None:
            for msg in self.history[since:]:
                if msg.get_type() in kinds and cond(msg):
                    return msg
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(0.1)
            if msg is not None and msg.get_type() in kinds and cond(msg):
                return msg
        raise TimeoutError(f"no {kinds} within {timeout} s")

    def texts(self) -> list[str]:
        return [m.text for m in self.history if m.get_type() == "STATUSTEXT"]

    def command(self, command: int, *params: float, timeout: float = 5.0) -> int:
        p = [*params, *([0.0] * (7 - len(params)))]
        self.send("command_long", self.target, 1, command, 0, *p)
        return self.wait("COMMAND_ACK", lambda a: a.command == command, timeout).result

    def command_int(self, command: int, frame: int, lat: float, lon: float, alt: float,
                    *params: float, timeout: float = 5.0) -> int:
        p = [*params, *([0.0] * (4 - len(params)))]
        self.send("command_int", self.target, 1, frame, command, 0, 0, *p, round(lat * 1e7),
                  round(lon * 1e7), alt)
        return self.wait("COMMAND_ACK", lambda a: a.command == command, timeout).result

    def request_streams(self, rate_hz: int = 2) -> None:
        self.send("request_data_stream", self.target, 1, mav.MAV_DATA_STREAM_ALL, rate_hz, 1)

    def set_param(self, name: str, value: float) -> float:
        self.send("param_set", self.target, 1, name.encode(), value, mav.MAV_PARAM_TYPE_REAL32)
        return self.wait("PARAM_VALUE", lambda p: p.param_id == name).param_value

    def set_mode(self, number: int) -> int:
        return self.command(mav.MAV_CMD_DO_SET_MODE, mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                            number)

    def wait_ready(self, timeout: float = 20.0) -> None:
        self.request_streams()
        self.wait("SYS_STATUS", lambda s: s.onboard_control_sensors_health
                  & mav.MAV_SYS_STATUS_PREARM_CHECK, timeout)

    def upload(self, items: list[tuple], mission_type: int = 0, timeout: float = 20.0) -> int:
        """Upload (frame, command, p1..p4, lat, lon, alt) tuples; the final MISSION_ACK type.

        Robust to a lossy link the simple way: MISSION_COUNT is re-sent until the vehicle
        asks for an item, and when the final ACK is lost (silence, or the ERROR ArduPilot
        gives a re-sent item after the upload ended) the stored count is checked.
        """
        deadline = time.monotonic() + timeout
        asked = False
        last_activity = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() - last_activity > 0.5:
                if asked and self._stored_count(mission_type) == len(items):
                    return mav.MAV_MISSION_ACCEPTED
                # Not asked yet, or the vehicle gave up (its cancel lost): start again.
                self.send("mission_count", self.target, 1, len(items), mission_type)
                asked = False
                last_activity = time.monotonic()
            msg = self.recv(0.05)
            if msg is None:
                continue
            kind = msg.get_type()
            if kind in ("MISSION_REQUEST", "MISSION_REQUEST_INT") and \
                    getattr(msg, "mission_type", 0) == mission_type:
                asked = True
                last_activity = time.monotonic()
                frame, command, p1, p2, p3, p4, lat, lon, alt = items[msg.seq]
                self.send("mission_item_int", self.target, 1, msg.seq, frame, command, 0, 1,
                          p1, p2, p3, p4, round(lat * 1e7), round(lon * 1e7), alt, mission_type)
            elif kind == "MISSION_ACK" and msg.type == mav.MAV_MISSION_OPERATION_CANCELLED:
                self.send("mission_count", self.target, 1, len(items), mission_type)
                asked, last_activity = False, time.monotonic()
            elif kind == "MISSION_ACK" and msg.type == mav.MAV_MISSION_ERROR and asked:
                # ArduPilot's answer to an item after its ACCEPTED (lost here): not
                # receiving any more. What it holds decides, at the next check.
                last_activity = 0.0
            elif kind == "MISSION_ACK" and msg.type != mav.MAV_MISSION_INVALID_SEQUENCE:
                return msg.type
        raise TimeoutError("upload did not finish")

    def _stored_count(self, mission_type: int) -> int | None:
        self.send("mission_request_list", self.target, 1, mission_type)
        try:
            return self.wait("MISSION_COUNT", timeout=0.5).count
        except TimeoutError:
            return None

    def download(self, mission_type: int = 0, timeout: float = 10.0) -> list:
        self.send("mission_request_list", self.target, 1, mission_type)
        count = self.wait("MISSION_COUNT", timeout=timeout).count
        items = []
        for seq in range(count):
            for _ in range(5):
                self.send("mission_request_int", self.target, 1, seq, mission_type)
                try:
                    items.append(self.wait("MISSION_ITEM_INT", lambda i, s=seq: i.seq == s, 1.0))
                    break
                except TimeoutError:
                    continue
            else:
                raise TimeoutError(f"item {seq} never came")
        self.send("mission_ack", self.target, 1, 0, mission_type, 0)
        return items
