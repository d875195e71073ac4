"""A local append-only journal that keeps findings while the store cannot.

Why: a finding printed to the operator must exist somewhere on disk the moment it is
printed. When the store is unreachable (PostgreSQL down, SQLite locked) or full, the
finding goes to a JSON-lines file on this machine instead, flushed and fsync'ed per
line, and is replayed into the store as soon as it answers again (or at the next
start). A replayed journal is renamed, never edited, so nothing is ever rewritten.

Replay is idempotent: every journaled finding and alert carries a key unique to it
(``uid``: the writing run's random id and a counter), stored with it in the store, so a
replay run twice, or run again after a crash half-way through, adds nothing twice.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import sqlite3
import time
import uuid
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
        """Append one line, on disk when this returns, or raise OSError and leave none.

        A full disk (or a file-size limit) may take only part of a line: the part is
        cut off again, so the journal never holds half an entry that a later line
        would run into, and the caller learns that nothing was kept.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            start = os.fstat(fd).st_size
            if start and os.pread(fd, 1, start - 1) != b"\n":
                data = b"\n" + data  # a torn last line (a crash mid-write) stays alone
            written = os.write(fd, data)
            if written < len(data):
                os.ftruncate(fd, start)
                raise OSError(errno.ENOSPC, f"no room for a journal line ({written} of "
                              f"{len(data)} bytes written)", str(self.path))
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


def _uid(entry: dict[str, Any]) -> str:
    """The entry's journal key; lines written before keys existed fall back to theirs."""
    return str(entry.get("uid") or f"legacy:{entry['key']}")


def replay_journal(store: Store, journal: Journal) -> dict[str, int]:
    """Write what the journal holds into the store; journal key -> store id of the
    findings that were new in the journal.

    Each journaled finding is stored once, as its latest version (an earlier
    thumbnail kept when a later version has none); alerts and flight ends follow.
    What an earlier replay already stored (found by its journal key) is updated, not
    added again. The journal is retired only after everything was written.

    Raises
    ------
    StoreError, sqlite3.Error
        The store still cannot take it (the journal is left as it is).
    """
    entries = journal.entries()
    if not entries:
        return {}
    new: dict[str, Finding] = {}  # journal key -> latest version
    stored: dict[int, Finding] = {}  # store id -> latest version
    for e in entries:
        if e["op"] not in ("add", "update"):
            continue
        finding = _finding_from_json(e["finding"])
        key = int(e["key"])
        older = stored.get(key) if key > 0 else new.get(_uid(e))
        if finding.thumbnail_png is None and older is not None:
            finding = replace(finding, thumbnail_png=older.thumbnail_png)
        if key > 0:  # already in the store: only newer evidence
            stored[key] = replace(finding, id=key)
        else:
            new[_uid(e)] = replace(finding, id=None)
    for finding in stored.values():
        store.update_finding(finding)
    ids = {uid: _upsert(store, uid, finding) for uid, finding in new.items()}
    for e in entries:
        if e["op"] == "alert":
            _replay_alert(store, e, ids)
        elif e["op"] == "end_flight":
            store.end_flight(int(e["flight_id"]), e["outcome"],
                             covered_m2=e.get("covered_m2"))
    journal.retire()
    return ids


def _upsert(store: Store, uid: str, finding: Finding) -> int:
    known = store.finding_id_for(uid)
    if known is None:
        return store.add_finding(finding, journal_key=uid).id  # type: ignore[return-value]
    store.update_finding(replace(finding, id=known))
    return known


def _replay_alert(store: Store, entry: dict[str, Any], ids: dict[str, int]) -> None:
    uid = entry.get("uid")
    if uid and store.alert_id_for(uid) is not None:
        return  # stored by an earlier replay
    key = entry.get("key")
    if entry.get("finding_uid"):
        finding_id = ids.get(entry["finding_uid"])
    elif key is not None and key < 0:
        finding_id = ids.get(f"legacy:{key}")
    else:
        finding_id = key
    store.add_alert(entry["level"], entry["message"], finding_id, journal_key=uid)


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
        self._run = uuid.uuid4().hex[:12]  # this run's journal keys never meet another's
        self._alerts = 0
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
            replayed = self._replay() if self.down else None
            result = write()
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            if not self.down:
                self._down_since = time.monotonic()
                self.warn(f"the store cannot be written ({exc}); findings go to the "
                          f"journal {self.journal.path} until it is back")
            return False, None
        if replayed is not None:  # back only once a new write went through as well
            self._down_since = None
            self.warn(f"the store is back: the journal replayed into it ({replayed} "
                      "new finding(s))")
        return True, result

    def _uid(self, local: int) -> str:
        return f"{self._run}:{-local}"

    def _replay(self) -> int:
        ids = replay_journal(self.store, self.journal)
        for local in range(-1, self._next_local, -1):
            if self._uid(local) in ids:
                self._ids[local] = ids[self._uid(local)]
        return len(ids)

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
        self._append({"op": "add", "key": local, "uid": self._uid(local),
                      "finding": _finding_to_json(finding)})
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
        entry: dict[str, Any] = {"op": "update", "key": key,
                                 "finding": _finding_to_json(finding)}
        if key < 0:
            entry["uid"] = self._uid(key)
        self._append(entry)

    def add_alert(self, level: str, message: str, finding_id: int | None = None) -> int:
        fid = self.resolve(finding_id)
        if fid is None or fid > 0:
            ok, alert_id = self._try(lambda: self.store.add_alert(level, message, fid))
            if ok:
                return int(alert_id)
        self._alerts += 1
        entry: dict[str, Any] = {"op": "alert", "level": level, "message": message,
                                 "key": fid, "uid": f"{self._run}:alert-{self._alerts}"}
        if fid is not None and fid < 0:
            entry["finding_uid"] = self._uid(fid)
        self._append(entry)
        return -1

    def end_flight(self, flight_id: int, outcome: str, *,
                   covered_m2: float | None = None) -> None:
        """Close the flight in the store, else in the journal, else say so: with the
        disk full there is nowhere to keep it, and the next start closes the flight as
        interrupted (the drone is already home; this must not end in a traceback)."""
        self._last_try = 0.0  # the flight's end is worth one more try
        ok, _ = self._try(lambda: self.store.end_flight(flight_id, outcome,
                                                        covered_m2=covered_m2))
        if ok:
            return
        try:
            self._append({"op": "end_flight", "flight_id": flight_id, "outcome": outcome,
                          "covered_m2": covered_m2})
        except OSError as exc:
            self.warn(f"the end of flight {flight_id} ({outcome}) cannot be kept anywhere "
                      f"({exc}); the next start closes it as interrupted")
