"""Starting the simulated vehicle as its own process, for the demo and rehearsals.

Why a process: the vehicle must be a separate MAVLink peer on a real UDP port, exactly
as a real drone or an ArduPilot SITL is, so the demo exercises the same link code.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from dronewatch.zones import LaunchSite

__all__ = ["SimulatedVehicle"]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SimulatedVehicle:
    """``python -m simulators.vehicle`` at a launch site; ``url`` is what to connect to."""

    site: LaunchSite
    speedup: float = 30.0
    seed: int = 0
    boot_time_s: float = 5.0
    # the station's drone: the planner's default airframe pack (ArduCopter's default is 3300)
    extra: tuple[str, ...] = ("--param", "BATT_CAPACITY=24000")
    url: str = field(init=False)
    _proc: subprocess.Popen = field(init=False, repr=False)

    def __post_init__(self) -> None:
        port = _free_udp_port()
        home = (f"{self.site.lat_deg},{self.site.lon_deg},{self.site.home_alt_amsl_m},"
                f"{self.site.heading_deg}")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "simulators.vehicle", "--home", home, "--listen",
             f"udp:127.0.0.1:{port}", "--speedup", str(self.speedup), "--seed",
             str(self.seed), "--boot-time", str(self.boot_time_s), *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = self._proc.stdout.readline() if self._proc.stdout else ""
        if not banner:
            errors = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"the simulated vehicle did not start: {errors.strip()}")
        self.url = f"udpout:127.0.0.1:{port}"

    def kill(self) -> None:
        """End it at once, as a crash or a cut cable would."""
        self._proc.kill()
        self._proc.wait()

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
