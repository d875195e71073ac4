"""Cases: opened on findings or reported incidents, moved only in order, every change audited,
and a refused change leaves the store exactly as it was (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from dronewatch.analysis.cases import (
    assign,
    case_from_finding,
    rectify,
    reopen,
    report_incident,
    verify,
)
from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.cases import (
    CaseError,
    CaseKind,
    CaseSource,
    CaseStatus,
    StatusChange,
    add_owner,
    case_events,
    cases,
    get_case,
)

DAY_S = 86_400.0
T0 = 1_750_000_000.0


def _snapshot(store: Store) -> tuple:
    """Every case and audit row, to show a refused change altered nothing."""
    return tuple(cases(store)), tuple(case_events(store))


@pytest.fixture
def db(store_where):
    with Store(store_where) as store:
        add_owner(store, "Hongsha Coal Co.")
        yield store


def _hotspot(db: Store) -> Finding:
    return db.add_finding(Finding(FindingKind.HOTSPOT, 44.67, 88.58, 3.0, 0.9, T0, T0 + 60,
                                  peak_temp_c=180.0, area_m2=40.0))


def test_a_hazard_goes_open_assigned_rectified_verified_each_step_audited(db):
    finding = _hotspot(db)
    case = case_from_finding(db, finding.id, by="duty-1", now_unix_s=T0 + 100)
    assert (case.kind, case.status, case.source) == (CaseKind.COAL_SELF_IGNITION,
                                                     CaseStatus.OPEN, CaseSource.DRONE)
    assert (case.lat_deg, case.lon_deg, case.reported_unix_s) == (44.67, 88.58, T0)
    assign(db, case.id, "Hongsha Coal Co.", T0 + 7 * DAY_S, by="duty-1", now_unix_s=T0 + 200)
    assert get_case(db, case.id).overdue(T0 + 8 * DAY_S)
    rectify(db, case.id, by="hongsha-safety", note="covered with clay", now_unix_s=T0 + 300)
    assert not get_case(db, case.id).overdue(T0 + 8 * DAY_S)
    done = verify(db, case.id, by="duty-2", note="walked the face", now_unix_s=T0 + 400)
    assert done.status is CaseStatus.VERIFIED and done.owner == "Hongsha Coal Co."
    trail = [(e.actor, e.action, e.status_before, e.status_after, e.time_unix_s)
             for e in case_events(db, case.id)]
    assert trail == [
        ("duty-1", "opened", None, CaseStatus.OPEN, T0 + 100),
        ("duty-1", "assigned", CaseStatus.OPEN, CaseStatus.ASSIGNED, T0 + 200),
        ("hongsha-safety", "rectified", CaseStatus.ASSIGNED, CaseStatus.RECTIFIED, T0 + 300),
        ("duty-2", "verified", CaseStatus.RECTIFIED, CaseStatus.VERIFIED, T0 + 400)]


def test_a_reported_incident_lives_in_the_same_store(db):
    case = report_incident(db, CaseKind.ILLEGAL_DISCHARGE, CaseSource.COMPANY, 44.6, 88.5,
                           T0, by="duty-1", note="black water in the wash")
    assert cases(db, kinds=(CaseKind.ILLEGAL_DISCHARGE,)) == [case]
    assert case.finding_id is None and case.description == "black water in the wash"


@pytest.mark.parametrize(("steps", "says"), [
    (("verify",), "can be verified only after it was rectified"),
    (("assign", "verify"), "can be verified only after it was rectified"),
    (("rectify",), "assign it to an owner first"),
    (("assign", "rectify", "verify", "rectify"), "only an assigned case can be rectified"),
    (("assign", "rectify", "verify", "assign"), "only an open or assigned case"),
    (("reopen",), "only a rectified case reopens"),
])
def test_an_out_of_order_change_is_refused_and_changes_nothing(db, steps, says):
    case = case_from_finding(db, _hotspot(db).id, by="duty-1")
    actions = {
        "assign": lambda: assign(db, case.id, "Hongsha Coal Co.", T0, by="duty-1"),
        "rectify": lambda: rectify(db, case.id, by="hongsha"),
        "verify": lambda: verify(db, case.id, by="duty-1", note="seen"),
        "reopen": lambda: reopen(db, case.id, StatusChange("patrol", "reopened")),
    }
    for step in steps[:-1]:
        actions[step]()
    before = _snapshot(db)
    with pytest.raises(CaseError, match=says):
        actions[steps[-1]]()
    assert _snapshot(db) == before


def test_refusals_name_what_is_wrong_and_change_nothing(db):
    case = case_from_finding(db, _hotspot(db).id, by="duty-1")
    before = _snapshot(db)
    with pytest.raises(CaseError, match="finding: there is no finding #999"):
        case_from_finding(db, 999, by="duty-1")
    with pytest.raises(CaseError, match="already has case"):
        case_from_finding(db, case.finding_id, by="duty-1")
    with pytest.raises(CaseError, match="owner: 'Nobody' is not on the owners list"):
        assign(db, case.id, "Nobody", T0, by="duty-1")
    with pytest.raises(CaseError, match="case: there is no case #77"):
        rectify(db, 77, by="x")
    with pytest.raises(CaseError, match="by: say who"):
        assign(db, case.id, "Hongsha Coal Co.", T0, by="  ")
    assert _snapshot(db) == before
    assign(db, case.id, "Hongsha Coal Co.", T0, by="duty-1")
    rectify(db, case.id, by="hongsha")
    with pytest.raises(CaseError, match="note: an operator verifying"):
        verify(db, case.id, by="duty-1")


def test_a_rectified_hazard_seen_again_goes_back_to_its_owner(db):
    case = case_from_finding(db, _hotspot(db).id, by="duty-1")
    assign(db, case.id, "Hongsha Coal Co.", T0 + DAY_S, by="duty-1")
    rectify(db, case.id, by="hongsha")
    again = reopen(db, case.id, StatusChange("patrol hongsha", "reopened: seen again",
                                             mission_id=None, peak_temp_c=150.0))
    assert again.status is CaseStatus.ASSIGNED and again.owner == "Hongsha Coal Co."
    assert again.overdue(T0 + 2 * DAY_S)
    assert case_events(db, case.id)[-1].peak_temp_c == 150.0


def test_the_weeks_numbers_and_warnings_are_the_same_on_every_store(db):
    """The weekly analysis reads the store with its own SQL: on SQLite, PostgreSQL and
    PostGIS alike, the tally counts what was done and an overdue case warns once."""
    from dronewatch.analysis.warnings import publish_warnings
    from dronewatch.store.tallies import places, week_tally

    fire = _hotspot(db)
    opened = case_from_finding(db, fire.id, by="duty", now_unix_s=T0 + 100)
    assign(db, opened.id, "Hongsha Coal Co.", T0 + DAY_S, by="duty", now_unix_s=T0 + 200)
    fixed = case_from_finding(db, _hotspot(db).id, by="duty", now_unix_s=T0 + 300)
    assign(db, fixed.id, "Hongsha Coal Co.", T0 + 5 * DAY_S, by="duty", now_unix_s=T0 + 400)
    rectify(db, fixed.id, by="hongsha", now_unix_s=T0 + 500)
    verify(db, fixed.id, by="duty", note="walked it", now_unix_s=T0 + 600)
    report_incident(db, CaseKind.INTRUSION, CaseSource.PHONE, 44.7, 88.6, T0 + 700,
                    by="duty", note="truck at night")
    end = T0 + 7 * DAY_S
    first = publish_warnings(db, [], T0, end - 1.0)  # published within the week
    again = publish_warnings(db, [], T0, end - 1.0)
    tally = week_tally(db, T0, end, (CaseKind.COAL_SELF_IGNITION.value,))
    assert [w.kind for w in first] == ["overdue"] and again == []
    assert (tally.hotspots_found, tally.hazards_found, tally.hazards_rectified,
            tally.hazards_verified, tally.hazards_overdue, tally.leads, tally.warnings) == (
        2, 2, 1, 1, 1, 1, 1)
    assert sorted(p.source for p in places(db, T0, end)) == [
        "case:intrusion", "finding:hotspot", "finding:hotspot"]
