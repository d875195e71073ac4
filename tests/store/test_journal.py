"""The findings journal: kept while the store cannot be written, replayed when it can."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace

import pytest

from dronewatch.store import (
    Finding,
    FindingKind,
    FindingStatus,
    Journal,
    JournaledStore,
    Store,
    replay_journal,
)


def person(confidence: float = 0.9) -> Finding:
    return Finding(FindingKind.PERSON, 44.67, 88.59, 4.0, confidence, 100.0, 101.0,
                   thumbnail_png=b"\x89PNG-ish", status=FindingStatus.ALARM)


def locked(path, seconds: float) -> threading.Thread:
    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.1)
    return thread


def test_a_locked_store_journals_then_replays_with_the_latest_evidence(tmp_path):
    path = tmp_path / "s.sqlite"
    warnings: list[str] = []
    with Store(path) as store:
        mission = store.add_mission("search", "m", launched_by="x", reason="y")
        flight = store.start_flight(mission.id, "drone")
        db = JournaledStore(store, Journal(tmp_path / "j.jsonl"), retry_s=0.5,
                            warn=warnings.append)
        store._db._db.execute("PRAGMA busy_timeout = 100")  # fail fast while locked
        holder = locked(path, 1.0)
        kept = db.add_finding(person(0.6))
        assert kept.id is not None and kept.id < 0 and db.down
        db.update_finding(replace(kept, confidence=0.95, evidence_count=3))
        db.add_alert("alarm", "PERSON", kept.id)
        db.end_flight(flight.id, "completed")
        holder.join()
        assert store.findings() == []  # nothing reached the store yet
        time.sleep(0.6)
        db.poll()  # the store is back: replayed
        assert not db.down and any("replayed" in w for w in warnings)
        (stored,) = store.findings()
        assert stored.id == db.resolve(kept.id) and stored.confidence == 0.95
        assert stored.evidence_count == 3 and stored.thumbnail_png == b"\x89PNG-ish"
        assert store.alerts()[0].finding_id == stored.id
        assert store.flights()[0].outcome == "completed"
        assert not (tmp_path / "j.jsonl").exists()
        assert list(tmp_path.glob("j.replayed-*.jsonl"))  # kept aside, never edited


def test_a_torn_last_line_is_skipped(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"op": "alert", "level": "warning", "message": "m", "key": None})
    with open(journal.path, "a") as f:
        f.write('{"op": "add", "key": -1, "find')  # the process died mid-write
    assert [e["op"] for e in journal.entries()] == ["alert"]


class DownStore:
    """A store that cannot take any write (PostgreSQL stopped, the disk full)."""

    def __getattr__(self, name: str):
        def fail(*_args, **_kwargs):
            raise sqlite3.OperationalError("disk I/O error")
        return fail


class CrashingStore:
    """A real store whose process dies (here: raises) after ``writes`` writes."""

    def __init__(self, store: Store, writes: int) -> None:
        self.store, self.left = store, writes

    def __getattr__(self, name: str):
        attr = getattr(self.store, name)
        if not name.startswith(("add_", "update_", "end_")):
            return attr

        def write(*args, **kwargs):
            if self.left == 0:
                raise SystemExit("power cut mid-replay")
            self.left -= 1
            return attr(*args, **kwargs)
        return write


def journal_a_flight(tmp_path) -> tuple[Journal, int]:
    """Two runs journal into one file while the store is down (both number from -1)."""
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        mission = store.add_mission("search", "m", launched_by="x", reason="y")
        flight = store.start_flight(mission.id, "drone")
    journal = Journal(tmp_path / "j.jsonl")
    first = JournaledStore(DownStore(), journal)
    kept = first.add_finding(replace(person(0.6), mission_id=mission.id))
    # more evidence with no better view: no thumbnail in this version
    first.update_finding(replace(kept, confidence=0.95, evidence_count=3, thumbnail_png=None))
    first.add_alert("alarm", "PERSON", kept.id)
    first.end_flight(flight.id, "returned on a fault (RTL)", covered_m2=12_500.0)
    second = JournaledStore(DownStore(), journal)  # the next start, the store still down
    other = second.add_finding(replace(person(0.3), lat_deg=44.68, mission_id=mission.id))
    assert kept.id == other.id == -1
    return journal, flight.id


def test_replay_after_a_crash_mid_replay_and_replayed_twice_stores_everything_once(tmp_path):
    journal, flight_id = journal_a_flight(tmp_path)
    saved = journal.path.read_bytes()
    path = tmp_path / "s.sqlite"
    with Store(path) as store, pytest.raises(SystemExit):
        replay_journal(CrashingStore(store, writes=2), journal)  # both findings, no alert
    assert journal.path.exists()  # not retired: it will be replayed again
    with Store(path) as store:  # the next start, a new connection to the same file
        ids = replay_journal(store, journal)
        first = store.findings()
        alerts = store.alerts()
        assert not journal.path.exists()
        journal.path.write_bytes(saved)  # the same journal again (a copy restored)
        assert replay_journal(store, journal) == ids
        assert store.findings() == first and store.alerts() == alerts
        (flight,) = store.flights()
    assert len(ids) == 2 and sorted(f.lat_deg for f in first) == [44.67, 44.68]
    person_found = next(f for f in first if f.lat_deg == 44.67)
    assert person_found.confidence == 0.95 and person_found.evidence_count == 3
    assert person_found.thumbnail_png == b"\x89PNG-ish"  # the earlier view is kept
    assert [(a.level, a.finding_id) for a in alerts] == [("alarm", person_found.id)]
    assert flight.id == flight_id and flight.outcome == "returned on a fault (RTL)"
    assert flight.covered_m2 == 12_500.0  # the ground seen survives the store being down


def test_a_line_the_disk_took_only_part_of_is_cut_off_and_raises(tmp_path):
    import errno
    import resource
    import signal as signals

    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"op": "alert", "level": "warning", "message": "m", "key": None})
    size = journal.path.stat().st_size
    previous = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signals.signal(signals.SIGXFSZ, signals.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 20, previous[1]))  # 20 bytes of room
    try:
        with pytest.raises(OSError) as caught:
            journal.append({"op": "alert", "level": "warning", "message": "x" * 200,
                            "key": None})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, previous)
        signals.signal(signals.SIGXFSZ, handler)
    assert caught.value.errno == errno.ENOSPC
    assert journal.path.stat().st_size == size  # no half line left behind
    journal.append({"op": "alert", "level": "warning", "message": "n", "key": None})
    assert [e["message"] for e in journal.entries()] == ["m", "n"]


def test_a_line_after_a_torn_one_is_kept(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    with open(journal.path, "a") as f:
        f.write('{"op": "add", "key": -1, "find')  # the process died mid-write
    journal.append({"op": "alert", "level": "warning", "message": "m", "key": None})
    assert [e["op"] for e in journal.entries()] == ["alert"]


def test_a_flight_end_with_nowhere_to_go_is_said_not_raised(tmp_path):
    (tmp_path / "full").write_text("")  # the journal's folder cannot be made: no disk
    warnings: list[str] = []
    db = JournaledStore(DownStore(), Journal(tmp_path / "full" / "j.jsonl"),
                        warn=warnings.append)
    db.end_flight(4, "returned on a fault (RTL)")
    assert "the end of flight 4 (returned on a fault (RTL)) cannot be kept anywhere" \
        in warnings[-1] and "closes it as interrupted" in warnings[-1]
