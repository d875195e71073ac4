"""Rehearsals with something to find: planted in the search area, flown, scored."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
import shapely

from dronewatch.geo import distance_m
from dronewatch.ops import FlightOptions, PreflightError
from dronewatch.ops.record import Announcement
from dronewatch.ops.rehearse import (
    APART_M,
    Planted,
    RehearsalError,
    plant_spots,
    run_rehearsal,
    score,
)
from dronewatch.store import Finding, FindingKind, Store
from tests.ops.rehearsal import drone, link, rehearsal


def test_planted_spots_are_seeded_inside_the_area_apart_and_never_in_a_no_fly_zone():
    with rehearsal() as r:
        zones, frame = r.zones, r.plan.frame
        no_fly = zones.no_fly_union_local(0.0)
        # a search area reaching into a no-fly zone: half of it is out of bounds
        region = no_fly.boundary.representative_point().buffer(300.0)
        plan = replace(r.plan, region_local=region)
        spots = plant_spots(plan, zones, r.terrain, 12, np.random.default_rng(3))
        assert spots == plant_spots(plan, zones, r.terrain, 12, np.random.default_rng(3))
        assert spots != plant_spots(plan, zones, r.terrain, 12, np.random.default_rng(4))
        local = [shapely.Point(*frame.to_local(lat, lon)) for lat, lon in spots]
        assert len(local) == 12
        assert all(region.contains(p) and not no_fly.intersects(p) for p in local)
        assert all(np.isfinite(r.terrain.elevation_at(lat, lon)) for lat, lon in spots)
        assert min(a.distance(b) for i, a in enumerate(local) for b in local[i + 1:]) \
            >= APART_M - 1e-6
        with pytest.raises(RehearsalError, match="no room for 500 planted things"):
            plant_spots(r.plan, zones, r.terrain, 500, np.random.default_rng(3))


def _finding(kind: FindingKind, lat: float, lon: float, fid: int) -> Finding:
    return Finding(kind, lat, lon, 3.0, 0.9, 0.0, 1.0, id=fid)


def test_score_matches_nearest_of_the_same_kind_and_names_misses_and_strays():
    person = Planted(FindingKind.PERSON, 44.6700, 88.6000, "person 1")
    lost = Planted(FindingKind.PERSON, 44.6710, 88.6000, "person 2")
    fire = Planted(FindingKind.HOTSPOT, 44.6720, 88.6000, "fire 1", radius_m=8.0)
    findings = (
        _finding(FindingKind.PERSON, 44.67003, 88.6000, 7),  # 3.3 m off person 1
        _finding(FindingKind.HOTSPOT, 44.67002, 88.6000, 8),  # a hotspot on a person: stray
        _finding(FindingKind.HOTSPOT, 44.67215, 88.6000, 9),  # 16.7 m: within 15 m + radius
        _finding(FindingKind.HOTSPOT, 44.67195, 88.6000, 10),  # the same fire seen twice
        _finding(FindingKind.VEHICLE, 44.6710, 88.6000, 11),  # vehicles are not scored
    )
    result = score((person, lost, fire), findings)
    assert (result.found(FindingKind.PERSON), result.planted(FindingKind.PERSON)) == (1, 2)
    assert (result.found(FindingKind.HOTSPOT), result.planted(FindingKind.HOTSPOT)) == (1, 1)
    by_label = {m.planted.label: m for m in result.matches}
    assert by_label["person 1"].finding_id == 7
    assert by_label["person 1"].distance_m == pytest.approx(3.3, abs=0.1)
    assert by_label["person 2"].finding_id is None
    assert by_label["fire 1"].finding_id == 10  # the nearer of the two
    assert result.unmatched == (8,)
    assert "1 of 2 planted persons found" in result.summary()
    assert any(line.startswith("person 2 missed (planted at 44.671000") for line in
               result.lines())


def test_a_rehearsal_finds_what_was_planted_and_says_so(tmp_path):
    heard: list[Announcement] = []
    with rehearsal(radius_m=100.0) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        # an empty world is announced before anything flies (here the checks refuse)
        with pytest.raises(PreflightError):
            run_rehearsal(r.request, vehicle, r.zones, r.terrain, store, tmp_path / "m.html",
                          count=0, options=FlightOptions(min_battery_pct=101.0),
                          announce=heard.append)
        assert any("nothing to find" in a.text and a.kind == "warning" for a in heard)
        heard.clear()
        result = run_rehearsal(r.request, vehicle, r.zones, r.terrain, store,
                               tmp_path / "m.html", count=2, seed=11, announce=heard.append)
        alerts = [a for a in store.alerts() if a.level == "rehearsal"]
    report, scored = result.report, result.score
    assert report.outcome == "completed" and scored is not None
    assert not any("nothing to find" in a.text for a in heard)
    for kind in (FindingKind.PERSON, FindingKind.HOTSPOT):
        assert scored.planted(kind) == 2
        assert scored.found(kind) >= 1  # a night search over 100 m finds most of them
    for m in scored.matches:  # planted where the plan searches, each pin on its thing
        assert distance_m(m.planted.lat_deg, m.planted.lon_deg, r.request.lat_deg,
                          r.request.lon_deg) < 100.0 * 1.5
        if m.finding_id is not None:
            assert m.distance_m < (8.0 if m.planted.kind is FindingKind.PERSON else 15.0)
            assert m.finding_id in {f.id for f in report.findings}
    persons = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert len(persons) <= 2 + len(scored.unmatched)
    (summary,) = [a.text for a in heard if a.text.startswith("rehearsal: ")
                  and "found" in a.text]
    assert re.search(r"(\d) of 2 planted persons found, (\d) of 2 planted fires found",
                     summary)
    assert sum(("found as #" in a.text or "missed" in a.text) for a in heard) == 4
    (stored,) = alerts  # the score is kept with the mission
    assert f"mission {report.mission_id}: {summary}" in stored.message
