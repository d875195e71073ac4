"""Faults in flight, end to end over real UDP against the simulated drone.

Each test asserts the drone's final state (landed at home, or on its way), the flight's
recorded outcome, and that every finding reported is in the store afterwards.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import threading
import time
from dataclasses import replace

import pytest

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude
from dronewatch.link import LinkError
from dronewatch.ops import FlightOptions, OnFind, PreflightError, run_search
from dronewatch.ops.faults import Fault, FaultClass, Outcome, SafeAction, SignalInterrupt
from dronewatch.ops.feed import directory_source
from dronewatch.ops.record import Announcement
from dronewatch.store import FindingStatus, Store, StoreError
from dronewatch.thermal import FrameError, write_frame
from tests.ops.rehearsal import drone, link, rehearsal


def at_home(vehicle, home, within_s: float = 30.0) -> bool:
    """Landed and disarmed where it started (waits for the landing)."""
    state = vehicle.wait_for(lambda s: not s.armed and s.alt_rel_m < 1.0, within_s, "landed")
    return abs(state.lat_deg - home.lat_deg) < 2e-4 and abs(state.lon_deg - home.lon_deg) < 3e-4


def all_stored(store: Store, report) -> bool:
    stored = {f.id: f for f in store.findings(mission_id=report.mission_id)}
    return all(f.id in stored and stored[f.id].kind is f.kind for f in report.findings)


def flight_outcome(store: Store, report) -> str:
    (flight,) = [f for f in store.flights(report.mission_id) if f.id == report.flight_id]
    assert flight.ended_unix_s is not None
    return flight.outcome


def signal_when(vehicle, predicate, signum: int = signal.SIGINT) -> threading.Event:
    """Send this process ``signum`` once the vehicle's state satisfies ``predicate``."""
    sent = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if predicate(vehicle.state):
                sent.set()
                os.kill(os.getpid(), signum)
                return
            time.sleep(0.005)

    threading.Thread(target=watch, daemon=True).start()
    return sent


@pytest.mark.parametrize(("error", "fault_class", "action"), [
    (KeyboardInterrupt(), FaultClass.SIGNAL, SafeAction.RTL),
    (SignalInterrupt(signal.SIGTERM), FaultClass.SIGNAL, SafeAction.RTL),
    (sqlite3.OperationalError("database is locked"), FaultClass.STORE, SafeAction.CONTINUE),
    (StoreError("gone"), FaultClass.STORE, SafeAction.CONTINUE),
    (OSError(errno.ENOSPC, "No space left on device"), FaultClass.DISK, SafeAction.RTL),
    (OSError(errno.EFBIG, "File too large"), FaultClass.DISK, SafeAction.RTL),
    (FrameError("x.tiff", "corrupt"), FaultClass.CAMERA, SafeAction.CONTINUE),
    (LinkError("no ACK"), FaultClass.LINK, SafeAction.CONTINUE),
    (ZeroDivisionError("oops"), FaultClass.BUG, SafeAction.RTL),
])
def test_every_error_has_one_class_and_one_safe_action(error, fault_class, action):
    fault = Fault.of(error)
    assert (fault.fault_class, fault.action) == (fault_class, action) and fault.message


@pytest.mark.parametrize("phase", ["upload", "take-off", "survey", "hold"])
def test_a_signal_in_any_phase_ends_with_the_drone_home_and_the_flight_closed(tmp_path, phase):
    heard: list[Announcement] = []

    def announce(a: Announcement) -> None:
        heard.append(a)
        if (phase == "upload" and a.text.startswith("uploading")) or \
                (phase == "hold" and a.text.startswith("holding over")):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right now

    with rehearsal(person_offset_m=(10.0, 10.0)) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        if phase == "take-off":
            sent = signal_when(vehicle, lambda s: s.armed and s.alt_rel_m > 0.3)
        elif phase == "survey":  # a service manager stopping the station
            sent = signal_when(vehicle, lambda s: s.mode == "AUTO" and s.mission_seq >= 3,
                               signal.SIGTERM)
        options = FlightOptions(on_find=OnFind.LOITER if phase == "hold" else OnFind.CONTINUE,
                                hold_s=600)
        if phase in ("upload", "take-off"):
            try:
                report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render,
                                    store, tmp_path / "map.html", plan=r.plan, options=options,
                                    announce=announce)
            except PreflightError as exc:  # stopped with the drone still on the ground
                assert "nothing flew" in str(exc) or "on the ground" in str(exc)
                (flight,) = store.flights()
                assert flight.outcome.startswith("not launched: stopped by")
                assert not vehicle.state.armed and vehicle.state.alt_rel_m < 1.0
                return
            assert phase == "take-off", "a Ctrl-C during the upload must stop the flight"
        else:
            report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render,
                                store, tmp_path / "map.html", plan=r.plan, options=options,
                                announce=announce)
        if phase in ("take-off", "survey"):
            assert sent.is_set()
        assert report.outcome is Outcome.ABORTED
        assert at_home(vehicle, r.plan.home)
        assert flight_outcome(store, report).startswith(Outcome.ABORTED.value)
        assert all_stored(store, report)
        if phase == "hold":
            assert any(f.status is FindingStatus.ALARM for f in report.findings)


def test_a_stale_frame_raises_no_alarm_and_a_blind_camera_brings_the_drone_home(tmp_path):
    """The camera wrote one frame, over the person, 40 s ago, then nothing more."""
    folder = tmp_path / "camera"
    heard: list[Announcement] = []
    with rehearsal(person_offset_m=(10.0, 10.0)) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        lat, lon = r.person
        above = CameraPose(lat, lon, r.terrain.elevation_at(lat, lon) + 60.0,
                           Attitude(0.0, 0.0, 0.0), GimbalAttitude(-90.0, 0.0, 0.0))
        old = r.camera.render(above, time.time() - 40.0)
        write_frame(replace(old, pose=None), folder / "IR_0001.tiff")  # no pose of its own
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        report = run_search(r.request, vehicle, r.zones, r.terrain, directory_source(folder),
                            store, tmp_path / "map.html", plan=r.plan, announce=heard.append)
        assert report.outcome is Outcome.FAULT_RTL
        assert report.findings == () and store.findings() == []  # no false alarm
        assert report.frames == 0 and report.frames_failed >= 5
        assert dict(report.skipped)["stale"] >= 5
        assert any("camera silent for 4" in a.text for a in heard)
        assert any(a.kind == "alert" and "CAMERA BLIND" in a.text for a in heard)
        assert at_home(vehicle, r.plan.home)
        assert flight_outcome(store, report).startswith(Outcome.FAULT_RTL.value)
        assert any("camera blind" in alert.message for alert in store.alerts())


def test_a_camera_folder_removed_mid_flight_brings_the_drone_home(tmp_path):
    folder = tmp_path / "camera"
    shots = 0

    with rehearsal(person_offset_m=(10.0, 10.0)) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        read = directory_source(folder)

        def camera(pose, when):  # the real camera writes its shot, the station reads it
            nonlocal shots
            shots += 1
            if shots == 8:
                shutil.rmtree(folder)  # a cable pulled, a card ejected
            if shots < 8:
                write_frame(r.camera.render(pose, when), folder / f"IR_{shots:04d}.tiff")
            return read(pose, when)

        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        report = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                            tmp_path / "map.html", plan=r.plan)
        assert report.outcome is Outcome.FAULT_RTL and "camera folder unreadable" in report.fault
        assert report.frames == 7
        assert at_home(vehicle, r.plan.home)
        assert all_stored(store, report)


def test_findings_made_while_the_store_is_locked_reach_it_through_the_journal(tmp_path):
    path = tmp_path / "s.sqlite"
    heard: list[Announcement] = []
    journaling = threading.Event()
    shots = 0

    def hear(announcement: Announcement) -> None:
        heard.append(announcement)
        if "findings go to the journal" in announcement.text:
            journaling.set()

    def hold_write_lock() -> None:  # another writer holds the database
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        journaling.wait(120)  # until a finding has been turned away, however slow the run
        other.execute("ROLLBACK")
        other.close()

    with rehearsal(person_offset_m=(10.0, 10.0)) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(path) as store:

        def camera(pose, when):
            nonlocal shots
            shots += 1
            if shots == 1:
                threading.Thread(target=hold_write_lock, daemon=True).start()
                time.sleep(0.2)
            return r.camera.render(pose, when)

        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        report = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                            tmp_path / "map.html", plan=r.plan, announce=hear,
                            options=FlightOptions(journal_path=tmp_path / "journal.jsonl"))
        assert report.outcome is Outcome.COMPLETED
        assert report.journaled >= 1 and report.findings
        assert any("findings go to the journal" in a.text for a in heard)
        assert any("replayed" in a.text for a in heard)
        assert all_stored(store, report)
        assert all(f.id > 0 for f in report.findings)
        assert not (tmp_path / "journal.jsonl").exists()  # replayed and retired
        assert at_home(vehicle, r.plan.home)


def test_ctrl_c_is_heard_in_flight_even_when_the_shell_started_us_ignoring_it():
    """A station started in the background inherits SIGINT ignored; in flight a Ctrl-C
    (or a supervisor's SIGINT) must still bring the drone home, and afterwards the
    inherited disposition is back."""
    from dronewatch.ops.faults import signals_interrupt

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(KeyboardInterrupt), signals_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler interrupts this at once
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
