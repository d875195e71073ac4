"""The weekly report: its numbers are the store's (checked against independent SQL), an
overdue case and a hazard that grew are warned about once, and the file is whole."""

from __future__ import annotations

import html
import re
import sqlite3

import pytest

from dronewatch.analysis.cases import assign, case_from_finding, rectify, report_incident, verify
from dronewatch.analysis.report import write_week_report
from dronewatch.config import default_zones_path
from dronewatch.store import Store
from dronewatch.store.cases import (
    CaseKind,
    CaseSource,
    StatusChange,
    add_owner,
    record_event,
)
from dronewatch.zones import load_zones
from tests.analysis.simyear import START_UNIX_S, WEEK_S, fill_store
from tests.map.test_browser import CHROMIUM, ERROR_PROBE, chromium

WEEKS = 4
WEEK4 = START_UNIX_S + 3 * WEEK_S  # the week reported on


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("week")
    path = out / "s.sqlite"
    with Store(path) as store:
        fill_store(store, seed=9, total=1500, weeks=WEEKS)
        add_owner(store, "Hongsha Coal Co.")
        hot = [f for f in store.findings(since_unix_s=WEEK4) if f.first_seen_unix_s >= WEEK4]
        late = case_from_finding(store, hot[0].id, by="duty", now_unix_s=WEEK4 + 10)
        assign(store, late.id, "Hongsha Coal Co.", WEEK4 + 86_400, by="duty",
               now_unix_s=WEEK4 + 20)  # due on day 1, never rectified: overdue
        fixed = case_from_finding(store, hot[1].id, by="duty", now_unix_s=WEEK4 + 30)
        assign(store, fixed.id, "Hongsha Coal Co.", WEEK4 + 5 * 86_400, by="duty",
               now_unix_s=WEEK4 + 40)
        rectify(store, fixed.id, by="hongsha", now_unix_s=WEEK4 + 50)
        verify(store, fixed.id, by="duty", note="walked it", now_unix_s=WEEK4 + 60)
        grew = case_from_finding(store, hot[2].id, by="duty", now_unix_s=WEEK4 + 70)
        record_event(store, grew.id, StatusChange("patrol hongsha", "rechecked: hotter",
                                                  finding_id=hot[3].id, peak_temp_c=400.0,
                                                  area_m2=90.0, time_unix_s=WEEK4 + 80))
        report_incident(store, CaseKind.INTRUSION, CaseSource.PHONE, 44.7, 88.6, WEEK4 + 90,
                        by="duty", note="truck at night")
        mission = store.add_mission("patrol", "hongsha", launched_by="test", reason="test")
        flight = store.start_flight(mission.id, "drone-1")
        zones = load_zones(default_zones_path())
        first = write_week_report(store, WEEK4, out / "week.html", zones=zones,
                                  now_unix_s=WEEK4 + WEEK_S)
        again = write_week_report(store, WEEK4, out / "again.html", zones=zones,
                                  now_unix_s=WEEK4 + WEEK_S)
    db = sqlite3.connect(path)
    db.execute("UPDATE flights SET started_unix_s = ?, ended_unix_s = ? WHERE id = ?",
               (WEEK4 + 100, WEEK4 + 100 + 1800, flight.id))  # after: not in this report
    return first, again, db


def _sql(db: sqlite3.Connection, sql: str, *args: float) -> int:
    return db.execute(sql, args).fetchone()[0]


def test_the_summary_numbers_are_the_stores(report):
    first, _, db = report
    t, w = first.tally, (WEEK4, WEEK4 + WEEK_S)
    assert t.hotspots_found == _sql(db, "SELECT COUNT(*) FROM findings WHERE kind='hotspot' AND "
                                    "first_seen_unix_s >= ? AND first_seen_unix_s < ?", *w) > 0
    assert t.hazards_found == 3 == _sql(db, "SELECT COUNT(*) FROM cases WHERE "
                                        "kind='coal-self-ignition'")
    assert (t.hazards_rectified, t.hazards_verified, t.hazards_overdue) == (1, 1, 1)
    assert t.leads == _sql(db, "SELECT COUNT(*) FROM cases WHERE finding_id IS NULL") == 1
    assert t.warnings == _sql(db, "SELECT COUNT(*) FROM warnings WHERE published_unix_s >= ? "
                              "AND published_unix_s < ?", *w)
    assert t.flights == 0  # the flight was moved into the week only after the report
    page = first.path.read_text()
    for label, value in (("hotspots found", t.hotspots_found), ("warnings published", t.warnings),
                         ("hazards overdue (end of week)", 1)):
        assert re.search(rf"<td>{re.escape(label)}</td><td>{value}</td>", page)


def test_an_overdue_case_and_a_grown_hazard_are_warned_once(report):
    first, again, db = report
    kinds = [k for (k,) in db.execute("SELECT kind FROM warnings ORDER BY id")]
    assert kinds.count("overdue") == 1 and kinds.count("hotter") == 1
    assert first.tally.warnings == again.tally.warnings == len(kinds)
    page = first.path.read_text()
    assert "overdue: due" in page and "grew between patrols: now 400 °C" in page


def test_the_report_is_one_file_with_map_charts_and_open_cases(report):
    first, _, _ = report
    page = first.path.read_text()
    assert "<iframe" in page and page.count("data:image/png;base64,") >= 4
    assert "Hongsha Coal Co." in page and "#1" in page
    assert not re.search(r"<script src=\"https?://", page.replace("&quot;", '"'))
    assert [c.owner for c in first.open_cases][-1] is None  # unassigned ones last


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make test installs it)")
def test_the_report_and_its_map_open_in_chromium_offline_without_script_errors(report,
                                                                                tmp_path):
    first, _, _ = report
    page = first.path.read_text()
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    for name, text, expect in (("report.html", page, "Open cases by owner"),
                               ("map.html", inner, "leaflet-container")):
        probe = tmp_path / name
        probe.write_text(text.replace("<head>", "<head>" + ERROR_PROBE, 1))
        dom = chromium("--dump-dom", probe.as_uri(), profile=tmp_path / "chromium").stdout
        assert expect in dom
        errors = re.search(r'<html[^>]*data-script-errors="([^"]*)"', dom)
        assert errors is None, errors.group(1)
    assert "leaflet-interactive" in dom  # the areas and cases are drawn
    # the overdue case and the grown hazard, as drawn icons
    assert len(re.findall(r'<div[^>]*class="[^"]*dronewatch-warning', dom)) == 2
