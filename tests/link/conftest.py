"""Fixtures: simulated vehicles as processes, reached by dronewatch.link over real UDP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.simulators.conftest import STATION
from tests.simulators.gcs import SimProcess, free_udp_port

SPEEDUP = 50


@pytest.fixture
def sim_url() -> Iterator[Callable[..., str]]:
    """``sim_url(*extra_args)`` starts a simulator; the URL a ground station connects to."""
    started: list[SimProcess] = []

    def start(*extra: str, speedup: float = SPEEDUP, boot_time: float = 2.0) -> str:
        port = free_udp_port()
        started.append(SimProcess([
            "--home", ",".join(map(str, (*STATION, 0))), "--listen", f"udp:127.0.0.1:{port}",
            "--speedup", str(speedup), "--boot-time", str(boot_time), "--seed", "3", *extra]))
        return f"udpout:127.0.0.1:{port}"

    start.processes = started  # type: ignore[attr-defined]
    yield start
    for process in started:
        errors = process.stop()
        assert "Traceback" not in errors, errors
