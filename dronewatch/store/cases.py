"""Cases in the store: what a finding or a reported incident became, and its audit trail.

Why a status change is a compare-and-set with its audit row in one transaction: two
operators (or an operator and a patrol) acting on the same case at once must not both
succeed from the same old status, and a change without its "who and when" row, or a
row without its change, must never be left behind. ``case_events`` is only ever
inserted into: this module has no UPDATE or DELETE for it.
The rules (which change is allowed when) live in :mod:`dronewatch.analysis.cases`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from dronewatch.errors import DronewatchError
from dronewatch.store.backends import Backend
from dronewatch.store.sqlstore import Store

__all__ = ["Case", "CaseError", "CaseEvent", "CaseKind", "CaseSource", "CaseStatus",
           "NewCase", "StatusChange", "add_case", "add_owner", "case_events", "cases",
           "change_status", "get_case", "owners", "record_event"]


class CaseError(DronewatchError, ValueError):
    """A case operation that is not allowed (unknown case, owner or finding, a change out
    of order); nothing was changed."""


class CaseKind(StrEnum):
    MISSING_PERSON = "missing-person"
    COAL_SELF_IGNITION = "coal-self-ignition"
    ILLEGAL_DISCHARGE = "illegal-discharge"
    INTRUSION = "intrusion"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RECTIFIED = "rectified"
    VERIFIED = "verified"


class CaseSource(StrEnum):
    """Where a case came from: a drone's finding, or a lead reported to the station."""

    DRONE = "drone"
    PHONE = "phone"
    COMPANY = "company"
    OFFICE = "office"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to be opened: from a finding (``finding_id``) or a reported incident."""

    kind: CaseKind
    source: CaseSource
    lat_deg: float
    lon_deg: float
    reported_unix_s: float
    created_by: str
    description: str = ""
    finding_id: int | None = None

    def __post_init__(self) -> None:
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise CaseError(f"place: {self.lat_deg}, {self.lon_deg} is not a WGS84 position")
        if not self.created_by.strip():
            raise CaseError("by: say who opens the case")


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    kind: CaseKind
    status: CaseStatus
    source: CaseSource
    finding_id: int | None
    lat_deg: float
    lon_deg: float
    reported_unix_s: float
    description: str
    owner: str | None
    due_unix_s: float | None
    created_by: str
    created_unix_s: float

    def overdue(self, now_unix_s: float) -> bool:
        """Not yet rectified and past its due date."""
        return (self.status in (CaseStatus.OPEN, CaseStatus.ASSIGNED)
                and self.due_unix_s is not None and self.due_unix_s < now_unix_s)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One row of a case's audit trail: who did what, when, with what evidence."""

    id: int
    case_id: int
    time_unix_s: float
    actor: str
    action: str  # "opened", "assigned", "rectified", "verified", "reopened", "rechecked: hotter"...
    status_before: CaseStatus | None
    status_after: CaseStatus
    note: str = ""
    finding_id: int | None = None
    mission_id: int | None = None
    peak_temp_c: float | None = None
    area_m2: float | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What an event records besides the status: the evidence a patrol or person gives."""

    actor: str
    action: str
    note: str = ""
    finding_id: int | None = None
    mission_id: int | None = None
    peak_temp_c: float | None = None
    area_m2: float | None = None
    time_unix_s: float | None = None  # None: now


_CASE_COLUMNS = ("id, kind, status, source, finding_id, lat_deg, lon_deg, reported_unix_s, "
                 "description, owner, due_unix_s, created_by, created_unix_s")
_EVENT_COLUMNS = ("id, case_id, time_unix_s, actor, action, status_before, status_after, note, "
                  "finding_id, mission_id, peak_temp_c, area_m2")


def _case(row: tuple) -> Case:
    (cid, kind, status, source, finding, lat, lon, reported, text, owner, due, by, made) = row
    return Case(int(cid), CaseKind(kind), CaseStatus(status), CaseSource(source),
                None if finding is None else int(finding), lat, lon, reported, text, owner,
                due, by, made)


def _event(row: tuple) -> CaseEvent:
    (eid, cid, at, actor, action, before, after, note, finding, mission, peak, area) = row
    return CaseEvent(int(eid), int(cid), at, actor, action,
                     None if before is None else CaseStatus(before), CaseStatus(after), note,
                     finding, mission, peak, area)


def add_owner(store: Store, name: str) -> None:
    """Add a company or office cases can be assigned to (adding one twice is harmless)."""
    name = name.strip()
    if not name:
        raise CaseError("owner: empty name")
    with store._write() as db:
        if not db.execute("SELECT 1 FROM case_owners WHERE name = ?", (name,)):
            db.execute("INSERT INTO case_owners (name, added_unix_s) VALUES (?, ?)",
                       (name, time.time()))


def owners(store: Store) -> list[str]:
    return [r[0] for r in store._db.execute("SELECT name FROM case_owners ORDER BY name")]


def add_case(store: Store, new: NewCase, *, now_unix_s: float | None = None) -> Case:
    """Open a case (status open) and its first audit row, in one transaction.

    Raises
    ------
    CaseError
        ``new.finding_id`` names no stored finding.
    """
    now = time.time() if now_unix_s is None else now_unix_s
    with store._write() as db:
        if new.finding_id is not None and not db.execute(
                "SELECT 1 FROM findings WHERE id = ?", (new.finding_id,)):
            raise CaseError(f"finding: there is no finding #{new.finding_id}")
        case_id = int(db.execute(
            "INSERT INTO cases (kind, status, source, finding_id, lat_deg, lon_deg, "
            "reported_unix_s, description, created_by, created_unix_s, station) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (new.kind.value, CaseStatus.OPEN.value, new.source.value, new.finding_id,
             new.lat_deg, new.lon_deg, new.reported_unix_s, new.description,
             new.created_by, now, store.station))[0][0])
        _insert_event(db, store.station, case_id, None, CaseStatus.OPEN,
                      StatusChange(new.created_by, "opened", new.description,
                                   finding_id=new.finding_id, time_unix_s=now))
    return get_case(store, case_id)


def get_case(store: Store, case_id: int) -> Case:
    rows = store._db.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = ?", (case_id,))
    if not rows:
        raise CaseError(f"case: there is no case #{case_id}")
    return _case(rows[0])


def cases(store: Store, *, statuses: tuple[CaseStatus, ...] = (),
          kinds: tuple[CaseKind, ...] = (), finding_id: int | None = None) -> list[Case]:
    """Cases, oldest first, filtered by status, kind and finding."""
    where, args = [], []
    for column, values in (("status", statuses), ("kind", kinds)):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            args += [v.value for v in values]
    if finding_id is not None:
        where.append("finding_id = ?")
        args.append(finding_id)
    sql = f"SELECT {_CASE_COLUMNS} FROM cases"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_case(r) for r in store._db.execute(sql + " ORDER BY id", args)]


def change_status(store: Store, case_id: int, expected: CaseStatus, new: CaseStatus,
                  change: StatusChange, *, owner: str | None = None,
                  due_unix_s: float | None = None) -> Case:
    """Move a case from ``expected`` to ``new`` (and set owner/due date when given),
    recording ``change``; refused, changing nothing, if the case is no longer
    ``expected`` or the owner is not on the list.

    Raises
    ------
    CaseError
        Unknown case or owner, or the case changed status meanwhile.
    """
    with store._write() as db:
        if owner is not None and not db.execute(
                "SELECT 1 FROM case_owners WHERE name = ?", (owner,)):
            known = ", ".join(r[0] for r in db.execute(
                "SELECT name FROM case_owners ORDER BY name")) or "none yet"
            raise CaseError(f"owner: {owner!r} is not on the owners list ({known}); add it "
                            "with 'dronewatch case owner add'")
        done = db.execute(
            "UPDATE cases SET status = ?, owner = COALESCE(?, owner), "
            "due_unix_s = COALESCE(?, due_unix_s) WHERE id = ? AND status = ? RETURNING id",
            (new.value, owner, due_unix_s, case_id, expected.value))
        if not done:
            now = db.execute("SELECT status FROM cases WHERE id = ?", (case_id,))
            if not now:
                raise CaseError(f"case: there is no case #{case_id}")
            raise CaseError(f"case #{case_id} is {now[0][0]}, not {expected.value}: "
                            "changed meanwhile; nothing was done")
        _insert_event(db, store.station, case_id, expected, new, change)
    return get_case(store, case_id)


def record_event(store: Store, case_id: int, change: StatusChange) -> CaseEvent:
    """Record evidence about a case that does not change its status (a re-check)."""
    with store._write() as db:
        rows = db.execute("SELECT status FROM cases WHERE id = ?", (case_id,))
        if not rows:
            raise CaseError(f"case: there is no case #{case_id}")
        status = CaseStatus(rows[0][0])
        event_id = _insert_event(db, store.station, case_id, status, status, change)
    return next(e for e in case_events(store, case_id) if e.id == event_id)


def case_events(store: Store, case_id: int | None = None) -> list[CaseEvent]:
    """The audit trail of one case (or of all), in the order it happened."""
    sql = f"SELECT {_EVENT_COLUMNS} FROM case_events"
    rows = (store._db.execute(sql + " WHERE case_id = ? ORDER BY id", (case_id,))
            if case_id is not None else store._db.execute(sql + " ORDER BY id"))
    return [_event(r) for r in rows]


def _insert_event(db: Backend, station: str, case_id: int, before: CaseStatus | None,
                  after: CaseStatus, change: StatusChange) -> int:
    if not change.actor.strip():
        raise CaseError("by: say who makes the change")
    at = time.time() if change.time_unix_s is None else change.time_unix_s
    return int(db.execute(
        "INSERT INTO case_events (case_id, time_unix_s, actor, action, status_before, "
        "status_after, note, finding_id, mission_id, peak_temp_c, area_m2, station) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (case_id, at, change.actor.strip(), change.action,
         None if before is None else before.value, after.value, change.note,
         change.finding_id, change.mission_id, change.peak_temp_c, change.area_m2,
         station))[0][0])
