"""The life of a case: open → assigned → rectified → verified, and back when a fix fails.

Why these rules: a hazard is closed at the weekly meeting only when someone owns it,
says it is fixed, and the station has checked — by a later flight that no longer sees
it, or an operator who writes down how. Any other order (verified before rectified,
rectified before anyone owned it) is refused with the reason, and changes nothing.
"""

from __future__ import annotations

from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.cases import (
    Case,
    CaseError,
    CaseKind,
    CaseSource,
    CaseStatus,
    NewCase,
    StatusChange,
    add_case,
    cases,
    change_status,
    get_case,
)

__all__ = ["assign", "case_from_finding", "kind_for", "rectify", "reopen", "report_incident",
           "verify"]

_KIND_OF_FINDING = {FindingKind.PERSON: CaseKind.MISSING_PERSON,
                    FindingKind.HOTSPOT: CaseKind.COAL_SELF_IGNITION,
                    FindingKind.VEHICLE: CaseKind.INTRUSION}


def kind_for(finding: Finding) -> CaseKind:
    """The case kind a finding suggests (a hotspot in the coal district: self-ignition)."""
    return _KIND_OF_FINDING.get(finding.kind, CaseKind.OTHER)


def case_from_finding(store: Store, finding_id: int, *, by: str, kind: CaseKind | None = None,
                      note: str = "", now_unix_s: float | None = None) -> Case:
    """Open a case on a stored finding, at its place and first sighting.

    Raises
    ------
    CaseError
        No such finding, or it already has a case that is not verified.
    """
    finding = store.finding(finding_id)
    if finding is None:
        raise CaseError(f"finding: there is no finding #{finding_id}")
    live = [c for c in cases(store, finding_id=finding_id) if c.status is not CaseStatus.VERIFIED]
    if live:
        raise CaseError(f"finding: finding #{finding_id} already has case #{live[0].id} "
                        f"({live[0].status})")
    return add_case(store, NewCase(kind or kind_for(finding), CaseSource.DRONE, finding.lat_deg,
                                   finding.lon_deg, finding.first_seen_unix_s, by, note,
                                   finding_id), now_unix_s=now_unix_s)


def report_incident(store: Store, kind: CaseKind, source: CaseSource, lat_deg: float,
                    lon_deg: float, reported_unix_s: float, *, by: str, note: str = "",
                    now_unix_s: float | None = None) -> Case:
    """A lead that did not come from a drone (a phone call, a company's report)."""
    if source is CaseSource.DRONE:
        raise CaseError("source: a drone's lead is a finding; open it with --finding")
    return add_case(store, NewCase(kind, source, lat_deg, lon_deg, reported_unix_s, by, note),
                    now_unix_s=now_unix_s)


def assign(store: Store, case_id: int, owner: str, due_unix_s: float, *, by: str,
           note: str = "", now_unix_s: float | None = None) -> Case:
    """Give an open (or assigned) case to an owner on the list, with a due date."""
    case = get_case(store, case_id)
    if case.status not in (CaseStatus.OPEN, CaseStatus.ASSIGNED):
        raise CaseError(f"case #{case_id} is {case.status}: only an open or assigned case "
                        "can be (re)assigned")
    return change_status(store, case_id, case.status, CaseStatus.ASSIGNED,
                         StatusChange(by, "assigned", note or f"to {owner}",
                                      time_unix_s=now_unix_s),
                         owner=owner, due_unix_s=due_unix_s)


def rectify(store: Store, case_id: int, *, by: str, note: str = "",
            now_unix_s: float | None = None) -> Case:
    """The owner reports the hazard fixed; a later flight or an operator verifies it."""
    case = get_case(store, case_id)
    if case.status is not CaseStatus.ASSIGNED:
        raise CaseError(f"case #{case_id} is {case.status}: only an assigned case can be "
                        "rectified" + (" (assign it to an owner first)"
                                       if case.status is CaseStatus.OPEN else ""))
    return change_status(store, case_id, case.status, CaseStatus.RECTIFIED,
                         StatusChange(by, "rectified", note, time_unix_s=now_unix_s))


def verify(store: Store, case_id: int, *, by: str, note: str = "",
           evidence: StatusChange | None = None, now_unix_s: float | None = None) -> Case:
    """Confirm a rectified case is fixed: an operator with a note, or a patrol's evidence
    (a flight over the place that no longer sees it)."""
    case = get_case(store, case_id)
    if case.status is not CaseStatus.RECTIFIED:
        raise CaseError(f"case #{case_id} is {case.status}: it can be verified only after "
                        "it was rectified")
    if evidence is None and not note.strip():
        raise CaseError("note: an operator verifying a case must say how it was checked")
    change = evidence or StatusChange(by, "verified", note, time_unix_s=now_unix_s)
    return change_status(store, case_id, case.status, CaseStatus.VERIFIED, change)


def reopen(store: Store, case_id: int, change: StatusChange) -> Case:
    """A rectified hazard seen again: back to its owner (assigned), or open if it has none.

    Why back to the owner with the old due date: the fix did not hold, and the case
    shows as overdue at once if its date has passed.
    """
    case = get_case(store, case_id)
    if case.status is not CaseStatus.RECTIFIED:
        raise CaseError(f"case #{case_id} is {case.status}: only a rectified case reopens")
    back = CaseStatus.ASSIGNED if case.owner else CaseStatus.OPEN
    return change_status(store, case_id, case.status, back, change)
