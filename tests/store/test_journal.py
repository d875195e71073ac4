"""The findings journal: kept while the store cannot be written, replayed when it can."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace

from dronewatch.store import Finding, FindingKind, FindingStatus, Journal, JournaledStore, Store


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
        assert store.alerts()[0][4] == stored.id
        assert store.flights()[0].outcome == "completed"
        assert not (tmp_path / "j.jsonl").exists()
        assert list(tmp_path.glob("j.replayed-*.jsonl"))  # kept aside, never edited


def test_a_torn_last_line_is_skipped(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"op": "alert", "level": "warning", "message": "m", "key": None})
    with open(journal.path, "a") as f:
        f.write('{"op": "add", "key": -1, "find')  # the process died mid-write
    assert [e["op"] for e in journal.entries()] == ["alert"]
