"""A local append-only journal that keeps findings while the store cannot.

Why: a finding printed to the operator must exist somewhere on disk the moment it is
printed. When the store is unreachable (PostgreSQL down, SQLite locked) or full, the
finding goes to a JSON-lines file on this machine instead, flushed and fsync'ed per
line, and is replayed into the store as soon as it answers again (or at the next
start). A replayed journal is renamed, never edited, so nothing is ever rewritten.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from dronewatch.store.backends import StoreError
from dronewatch.store.models import Finding, FindingKind, FindingStatus
from dronewatch.store.sqlstore import Store

__all__ = ["Journal", "JournaledStore", "is_store_failure", "replay_journal"]


def is_store_failure(exc: BaseException) -> bool:
    """Whether an error means "the store cannot take this write now" (not our bug)."""
    if isinstance(exc, StoreError | sqlite3.Error):
        return True
    return type(exc).__module__.split(".")[0] == "psycopg"


def _finding_to_json(f: Finding) -> dict[str, Any]:
    data = asdict(f)
    data["kind"], data["status"] = f.kind.value, f.status.value
    data["thumbnail_png"] = (base64.b64encode(f.thumbnail_png).decode()
                             if f.thumbnail_png else None)
    return data


def _finding_from_json(data: dict[str, Any]) -> Finding:
    data = dict(data)
    data["kind"], data["status"] = FindingKind(data["kind"]), FindingStatus(data["status"])
    if data.get("thumbnail_png"):
        data["thumbnail_png"] = base64.b64decode(data["thumbnail_png"])
    return Finding(**data)


class Journal:
    """One JSON object per line, appended and fsync'ed; ``path`` need not exist yet.

    Raises OSError (ENOSPC, EFBIG ...) when even this file cannot be written: then
    nothing on this machine can keep a finding, and the caller must act on that.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """What is waiting; a torn last line (a crash mid-write) is left out."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def retire(self) -> Path:
        """Rename the replayed journal aside (kept, never edited)."""
        done = self.path.with_name(f"{self.path.stem}.replayed-{time.time():.0f}.jsonl")
        self.path.rename(done)
        return done


def replay_journal(store: Store, journal: Journal) -> dict[int, int]:
    """Write what the journal holds into the store; local id -> store id.

    Each journaled finding is stored once, as its latest version; alerts and flight
    ends follow. The journal is retired only after everything was written.

    Raises
    ------
    StoreError, sqlite3.Error
        The store still cannot take it (the journal is left as it is).
    """
    entries = journal.entries()
    if not entries:
        return {}
    latest: dict[int, Finding] = {}
    ids: dict[int, int] = {}
    for e in entries:
        if e["op"] in ("add", "update"):
            finding = _finding_from_json(e["finding"])
            key = int(e["key"])
            if key > 0:  # already in the store: only newer evidence
                latest[key] = replace(finding, id=key)
            else:
                latest[key] = replace(finding, id=None)
    for key, finding in latest.items():
        if key > 0:
            store.update_finding(finding)
            ids[key] = key
        else:
            ids[key] = store.add_finding(finding).id  # type: ignore[assignment]
    for e in entries:
        if e["op"] == "alert":
            fid = e.get("key")
            store.add_alert(e["level"], e["message"], ids.get(fid, fid) if fid else None)
        elif e["op"] == "end_flight":
            store.end_flight(int(e["flight_id"]), e["outcome"])
    journal.retire()
    return ids


class JournaledStore:
    """A store whose finding, alert and flight-end writes fall back to a journal.

    Why a wrapper: the recorder and the flight loop keep writing as before; when a
    write fails because of the store, the finding is journaled under a negative
    local id (so the operator still sees it at once), the operator is told, and the
    store is tried again every ``retry_s`` seconds; when it answers, the journal is
    replayed and local ids map to store ids. Reads and other writes pass through.
    """

    def __init__(self, store: Store, journal: Journal, *, retry_s: float = 5.0,
                 warn: Callable[[str], None] = lambda _: None) -> None:
        self.store, self.journal, self.retry_s, self.warn = store, journal, retry_s, warn
        self._next_local = -1
        self._ids: dict[int, int] = {}  # local (negative) id -> store id
        self._down_since: float | None = None
        self._last_try = 0.0
        self.journaled = 0  # records written to the journal (findings, updates, alerts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def resolve(self, finding_id: int | None) -> int | None:
        """The store id of a finding (its local id while it is only in the journal)."""
        return self._ids.get(finding_id, finding_id) if finding_id is not None else None

    def _try(self, write: Callable[[], Any]) -> tuple[bool, Any]:
        if self.down and time.monotonic() - self._last_try < self.retry_s:
            return False, None
        self._last_try = time.monotonic()
        try:
            if self.down:
                self._replay()
            return True, write()
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            if not self.down:
                self._down_since = time.monotonic()
                self.warn(f"the store cannot be written ({exc}); findings go to the "
                          f"journal {self.journal.path} until it is back")
            return False, None

    def _replay(self) -> None:
        ids = replay_journal(self.store, self.journal)
        self._ids.update({k: v for k, v in ids.items() if k < 0})
        self._down_since = None
        self.warn(f"the store is back: {len([k for k in ids if k < 0])} journaled "
                  "finding(s) replayed into it")

    def poll(self) -> None:
        """Replay the journal if the store is down and a retry is due."""
        if self.down:
            self._try(lambda: None)

    def _append(self, entry: dict[str, Any]) -> None:
        self.journal.append(entry)
        self.journaled += 1

    def add_finding(self, finding: Finding) -> Finding:
        ok, stored = self._try(lambda: self.store.add_finding(finding))
        if ok:
            return stored  # type: ignore[no-any-return]
        local = self._next_local
        self._next_local -= 1
        self._append({"op": "add", "key": local, "finding": _finding_to_json(finding)})
        return replace(finding, id=local)

    def update_finding(self, finding: Finding) -> None:
        key = finding.id or 0
        if key < 0 and key in self._ids:
            finding = replace(finding, id=self._ids[key])
            key = self._ids[key]
        if key > 0:
            ok, _ = self._try(lambda: self.store.update_finding(finding))
            if ok:
                return
        self._append({"op": "update", "key": key, "finding": _finding_to_json(finding)})

    def add_alert(self, level: str, message: str, finding_id: int | None = None) -> int:
        fid = self.resolve(finding_id)
        if fid is None or fid > 0:
            ok, alert_id = self._try(lambda: self.store.add_alert(level, message, fid))
            if ok:
                return int(alert_id)
        self._append({"op": "alert", "level": level, "message": message, "key": fid})
        return -1

    def end_flight(self, flight_id: int, outcome: str) -> None:
        self._last_try = 0.0  # the flight's end is worth one more try
        ok, _ = self._try(lambda: self.store.end_flight(flight_id, outcome))
        if not ok:
            self._append({"op": "end_flight", "flight_id": flight_id,
                                 "outcome": outcome})
