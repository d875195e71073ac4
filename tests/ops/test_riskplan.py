"""Patrols that follow the risk: open hazards and high-incidence areas become targets,
overlapping ones are flown together, and the budget goes to the most risk per minute."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dronewatch.analysis.cases import assign, case_from_finding
from dronewatch.cli import app
from dronewatch.config import Settings, default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.ops.patrolspec import check_patrols
from dronewatch.ops.riskplan import plan_for_risk, risk_targets
from dronewatch.ops.station import station_equipment
from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.cases import add_owner, get_case
from dronewatch.zones import load_zones

NOW = 1_760_000_000.0
DAY_S = 86_400.0


@pytest.fixture
def store_path(tmp_path):
    """Two hazard cases near the station (one overdue), a dense area of findings near the
    north face, a lone finding elsewhere."""
    zones = load_zones(default_zones_path())
    face = zones.get("hz-hongsha-north-face").geometry.representative_point()
    station = next(s for s in zones.launch_sites if s.id == "launch-station")
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        add_owner(store, "Hongsha Coal Co.")
        dense = [Finding(FindingKind.HOTSPOT, face.y + i * 2e-5, face.x + (i % 3) * 2e-5, 3.0,
                         0.9, NOW - (i + 1) * DAY_S / 4, NOW - i * DAY_S / 4, peak_temp_c=90.0,
                         area_m2=10.0) for i in range(12)]
        store.add_findings(dense)
        for k, (d_lat, due) in enumerate(((0.003, NOW - DAY_S), (-0.003, NOW + 9 * DAY_S))):
            f = store.add_finding(Finding(FindingKind.HOTSPOT, station.lat_deg + d_lat,
                                          station.lon_deg + 0.003, 3.0, 0.9, NOW - 5 * DAY_S,
                                          NOW - 5 * DAY_S, peak_temp_c=150.0 + k, area_m2=20))
            case = case_from_finding(store, f.id, by="duty", now_unix_s=NOW - 4 * DAY_S)
            assign(store, case.id, "Hongsha Coal Co.", due, by="duty",
                   now_unix_s=NOW - 4 * DAY_S)
    return path


def test_targets_rank_by_risk_overdue_hazard_first_then_the_new_dense_area(store_path):
    with Store(store_path) as store:
        targets = risk_targets(store, NOW)
    assert [t.label for t in targets] == ["case #1", "area #1", "case #2"]
    overdue, area, due = targets
    assert overdue.risk == 3 + 2 + 2 and due.risk == 3 + 2  # never flown over: +2 each
    assert area.risk == 1 + 2 + 1 + 2  # the biggest area, new, never flown over
    assert "overdue" in overdue.reasons and "12 incidents" in area.reasons[0]


def test_the_budget_buys_the_most_risk_per_minute(store_path):
    with Store(store_path) as store, Terrain(default_dem_path()) as terrain:
        zones = load_zones(default_zones_path())
        equipment = station_equipment(Settings())
        full = plan_for_risk(store, zones, terrain, equipment, 4 * 3600.0, NOW)
        tight = plan_for_risk(store, zones, terrain, equipment,
                              max(f.time_s for f in full.flights) + 1.0, NOW)
    assert {f.label for f in full.flights} == {"case #1", "case #2", "area #1"}
    assert full.risk_covered == full.risk_total
    assert tight.time_s <= tight.budget_s and len(tight.flights) < 3
    per_minute = sorted(full.flights, key=lambda f: -f.risk / f.time_s)
    assert tight.flights[0].label == per_minute[0].label
    assert {label for label, _ in tight.left_out} | {f.label for f in tight.flights} == \
        {"case #1", "case #2", "area #1"}


def test_patrol_plan_prints_the_proposal_as_json(store_path):
    result = CliRunner().invoke(app, ["patrol", "plan", "--budget", "3h", "--store",
                                      str(store_path), "--json"])
    assert result.exit_code == 0, result.output
    proposal = json.loads(result.output.strip().splitlines()[-1])
    # run now, long after NOW: the area's findings are past the look-back, both cases overdue
    assert proposal["budget_s"] == 10_800
    assert [(f["target"], f["risk"]) for f in proposal["flights"]] == [("case #1", 7.0),
                                                                      ("case #2", 7.0)]


def test_the_schedule_is_regenerated_from_the_plan_and_officers_files_are_kept(store_path,
                                                                              tmp_path):
    """--write makes each proposed flight a daily patrol file that `check` accepts; a
    second plan replaces the first one's files, never an officer's own."""
    missions = tmp_path / "missions"
    missions.mkdir()
    own = missions / "hongsha.yaml"
    own.write_text("name: hongsha\nzones: [pa-hongsha]\nschedule: '0 1 * * *'\n")

    def plan(budget: str) -> dict:
        result = CliRunner().invoke(app, ["patrol", "plan", "--budget", budget, "--store",
                                          str(store_path), "--write", str(missions),
                                          "--start", "23:30", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output.strip().splitlines()[-1])

    first = plan("3h")
    assert first["written"] == [str(missions / "risk-1.yaml"), str(missions / "risk-2.yaml")]
    zones = load_zones(default_zones_path())
    specs, problems = check_patrols(missions, zones)
    assert problems == []
    risk = {s.name: s for s in specs if s.name.startswith("risk-")}
    one, two = risk["risk-1"], risk["risk-2"]
    assert one.schedule == "30 23 * * *"  # the first at the start, daily
    minute, hour = (int(x) for x in two.schedule.split()[:2])
    after_one = first["flights"][0]["time_s"] / 60 + 10  # the flight and a battery swap
    assert 0 <= (60 * hour + minute) - (23 * 60 + 30 + after_one) % (24 * 60) < 1.01
    assert two.schedule.endswith(" * * *")
    with Store(store_path) as store:
        cases_at = {(round(c.lat_deg, 4), round(c.lon_deg, 4)) for c in
                    (get_case(store, 1), get_case(store, 2))}
    assert {(round(s.areas[0].lat_deg, 4), round(s.areas[0].lon_deg, 4))
            for s in (one, two)} == cases_at
    assert "case #" in (missions / "risk-1.yaml").read_text()  # why, for the officer
    listed = CliRunner().invoke(app, ["patrol", "list", "--missions", str(missions),
                                      "--store", str(tmp_path / "list.sqlite"), "--json"])
    covers = {row["name"]: row["zones"] for row in json.loads(listed.output)}
    assert covers["hongsha"] == ["pa-hongsha"]
    assert covers["risk-1"] == [f"{one.areas[0].radius_m:.0f} m around "
                                f"{one.areas[0].lat_deg:.5f}, {one.areas[0].lon_deg:.5f}"]
    budget = f"{first['flights'][0]['time_s'] // 60 + 1:.0f}min"
    assert plan(budget)["written"] == [str(missions / "risk-1.yaml")]
    assert not (missions / "risk-2.yaml").exists() and own.exists()
    (missions / "risk-1.yaml").write_text(own.read_text().replace("hongsha", "mine"))
    refused = CliRunner().invoke(app, ["patrol", "plan", "--budget", "3h", "--store",
                                       str(store_path), "--write", str(missions)])
    assert refused.exit_code == 1 and "risk-1.yaml: an officer's own file" in refused.output
    assert "mine" in (missions / "risk-1.yaml").read_text()
    assert not (missions / "risk-2.yaml").exists()  # nothing written
