"""Faults that take the whole ground process: kill -9, and a disk that fills up.

The station runs as its own process (``tests.ops.ground``), the simulated drone as
another, over real UDP; afterwards the next start's recovery must find everything.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
import time

import pytest

from dronewatch.link import Link, Vehicle
from dronewatch.ops.recovery import recover
from dronewatch.store import Journal, Store
from tests.conftest import REPO
from tests.ops.rehearsal import SPEEDUP, drone, rehearsal


def ground(url: str, tmp_path, *extra: str, file_limit_bytes: int | None = None
           ) -> subprocess.Popen:
    def limit() -> None:  # in the child: a small disk, written files fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit_bytes, file_limit_bytes))

    return subprocess.Popen(
        [sys.executable, "-m", "tests.ops.ground", url, str(tmp_path / "s.sqlite"),
         str(tmp_path), *extra], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=limit if file_limit_bytes else None)


def read_until(proc: subprocess.Popen, pattern: str, timeout_s: float = 120) -> list[str]:
    lines = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"{pattern!r} never came:\n" + "\n".join(lines[-20:])
                         + proc.stderr.read()[-3000:])


def printed_ids(lines: list[str]) -> set[int]:
    return {int(m) for line in lines for m in re.findall(r"(?:PERSON|person|hotspot|vehicle) "
                                                         r"#(-?\d+)", line)}


def observer(url: str) -> Vehicle:
    """Watch the drone without being its ground station (another sysid: no failsafe reset)."""
    link = Link(url, source_system=200, heartbeat_hz=SPEEDUP / 5, stale_after_s=1.0)
    return Vehicle(link, link.wait_vehicle(1, 10), owns_link=True,
                   telemetry_scale=10 / SPEEDUP, speedup=SPEEDUP)


def test_kill_9_while_holding_over_a_person_the_vehicle_failsafe_brings_it_home(tmp_path):
    with rehearsal() as r, drone(r.plan.home) as sim:
        proc = ground(sim.url, tmp_path, "--on-find", "loiter")
        try:
            lines = read_until(proc, r"holding over person")
            with observer(sim.url) as watch:
                assert watch.state.mode == "GUIDED" and watch.state.armed
                proc.kill()  # kill -9: nobody on the ground any more
                proc.wait()
                # the hold was 600 vehicle-s: only the autopilot's GCS failsafe can end it
                watch.wait_for(lambda s: s.mode == "RTL", 5, "RTL by the GCS failsafe")
                state = watch.wait_for(lambda s: not s.armed, 30, "landed")
            home = r.plan.home
            assert abs(state.lat_deg - home.lat_deg) < 2e-4
            assert abs(state.lon_deg - home.lon_deg) < 3e-4
        finally:
            proc.kill()
        heard = []
        with Store(tmp_path / "s.sqlite") as store:  # the next start
            recovered = recover(store, Journal(tmp_path / "findings-journal.jsonl"),
                                heard.append)
            assert [f.outcome for f in store.flights()] == ["interrupted"]
            assert len(recovered.interrupted) == 1
            assert any("left open by a crash" in a.text for a in heard)
            stored = {f.id for f in store.findings()}
            assert printed_ids(lines) and printed_ids(lines) <= stored


@pytest.mark.slow
def test_a_full_disk_loses_no_finding_and_the_flight_is_closed(tmp_path):
    """Every file this process writes is limited to a few kB more than the store holds
    at the start: the map, then the store fail mid-flight; the journal keeps going."""
    with rehearsal() as r, drone(r.plan.home) as sim:
        Store(tmp_path / "s.sqlite").close()
        size = (tmp_path / "s.sqlite").stat().st_size
        proc = ground(sim.url, tmp_path, "--person", "60,40", file_limit_bytes=size + 14_000)
        try:
            out, err = proc.communicate(timeout=180)
        finally:
            proc.kill()
        assert "Traceback" not in err, err[-3000:]
        lines = out.splitlines()
        (report,) = [json.loads(line[7:]) for line in lines if line.startswith("REPORT ")]
        assert report["outcome"] in ("completed", "returned on a fault (RTL)"), out[-3000:]
        assert any("live map cannot be written" in line for line in lines)
        assert any("findings go to the journal" in line for line in lines)
        with observer(sim.url) as watch:
            state = watch.wait_for(lambda s: not s.armed, 30, "landed")
        home = r.plan.home
        assert abs(state.lat_deg - home.lat_deg) < 2e-4
        with Store(tmp_path / "s.sqlite") as store:  # the next start, the disk freed
            recovered = recover(store, Journal(tmp_path / "findings-journal.jsonl"))
            stored = store.findings()
            (flight,) = store.flights()
        assert recovered.replayed >= 1 and report["journaled"] >= 1
        assert flight.outcome.startswith(report["outcome"])  # its end came from the journal
        printed = printed_ids(lines)
        assert printed and len(printed) == len(stored)  # journaled ones got new ids
        assert {i for i in printed if i > 0} <= {f.id for f in stored}
