"""Fixtures that start the simulator as a process and connect a test ground station."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.simulators.gcs import Gcs, SimProcess, free_udp_port

STATION = (44.7674332, 88.6870206, 729.3)  # the modelled district's launch site
SPEEDUP = 50


@pytest.fixture
def sim() -> Iterator[Callable[..., Gcs]]:
    """``sim(*extra_args)`` starts a simulator and returns a connected ground station."""
    started: list[tuple[SimProcess, Gcs]] = []

    def start(*extra: str, speedup: float = SPEEDUP, boot_time: float = 2.0,
              heartbeat_hz: float | None = None, key: bytes | None = None) -> Gcs:
        port = free_udp_port()
        process = SimProcess([
            "--home", ",".join(map(str, (*STATION, 0))), "--listen", f"udp:127.0.0.1:{port}",
            "--speedup", str(speedup), "--boot-time", str(boot_time), "--seed", "7", *extra])
        gcs = Gcs(f"udpout:127.0.0.1:{port}", heartbeat_hz=heartbeat_hz or speedup, key=key)
        started.append((process, gcs))
        return gcs

    yield start
    for process, gcs in started:
        gcs.close()
        errors = process.stop()
        assert "Traceback" not in errors, errors
