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


def disk_fills(proc: subprocess.Popen, room_bytes: int) -> None:
    """From now on no file of ``proc`` may grow past ``room_bytes`` (writes beyond fail
    with EFBIG), as when its disk fills up: the store's WAL and the map fail at once; the
    journal takes a line or two without a thumbnail (a flight's end) and none with one."""
    resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (room_bytes, room_bytes))


@pytest.mark.slow
def test_a_disk_full_mid_flight_brings_the_drone_home_and_loses_no_finding(tmp_path):
    with rehearsal() as r, drone(r.plan.home) as sim:
        proc = ground(sim.url, tmp_path, "--rehearse", "3")
        try:
            lines = read_until(proc, r"^(ALERT|FINDING): ")  # the store took the first
            disk_fills(proc, 1024)
            out, err = proc.communicate(timeout=120)
        finally:
            proc.kill()
        assert "Traceback" not in err, err[-3000:]
        lines += out.splitlines()
        (report,) = [json.loads(line[7:]) for line in lines if line.startswith("REPORT ")]
        assert report["outcome"] == "returned on a fault (RTL)", out[-3000:]
        assert "no room for a journal line" in report["fault"]
        assert any(line.startswith("WARNING: disk: ") and "returning to launch" in line
                   for line in lines)
        assert any("findings go to the journal" in line for line in lines)
        with observer(sim.url) as watch:
            state = watch.wait_for(lambda s: not s.armed, 30, "landed")
        home = r.plan.home
        assert abs(state.lat_deg - home.lat_deg) < 2e-4
        assert abs(state.lon_deg - home.lon_deg) < 3e-4
        printed = printed_ids(lines)
        assert printed
        journal = Journal(tmp_path / "findings-journal.jsonl")
        with Store(tmp_path / "s.sqlite") as store:  # before anything is put right
            kept = {f.id for f in store.findings()}
            journaled = {e["key"] for e in journal.entries() if e["op"] == "add"}
            assert printed <= kept | journaled  # every finding printed is on disk
            (flight,) = store.flights()
            assert flight.ended_unix_s is None  # its end could only reach the journal
            recovered = recover(store, journal)  # the next start, the disk freed
            (flight,) = store.flights()
            stored = {f.id for f in store.findings()}
        assert recovered.interrupted == ()  # closed by the journal, with its outcome
        assert flight.outcome.startswith("returned on a fault (RTL): ")
        assert {i for i in printed if i > 0} <= stored
        assert len(stored) >= len(printed)
