"""High-incidence areas: the planted areas of a seeded store are found, the scatter is not,
and an area that appears half-way is "new" against the earlier window."""

from __future__ import annotations

import pytest

from dronewatch.analysis.areas import AreaTrend, HighIncidenceArea, compare_windows, find_areas
from dronewatch.analysis.cases import report_incident
from dronewatch.store import Store
from dronewatch.store.cases import CaseKind, CaseSource
from dronewatch.store.tallies import places
from tests.analysis.simyear import DISTRICT, START_UNIX_S, WEEK_S, fill_store, score

WEEKS = 8


@pytest.fixture(scope="module")
def weeks_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("areas") / "s.sqlite"
    with Store(path) as store:
        planted = fill_store(store, seed=5, total=4000, weeks=WEEKS)
    return path, planted


def test_the_planted_areas_are_found_ranked_and_the_scatter_is_not(weeks_store):
    path, planted = weeks_store
    with Store(path) as store:
        found = find_areas(places(store, START_UNIX_S, START_UNIX_S + WEEKS * WEEK_S))
    assert score([(a.lat_deg, a.lon_deg) for a in found], planted) == (1.0, 1.0)
    assert [a.rank for a in found] == list(range(1, len(found) + 1))
    assert [a.count for a in found] == sorted((a.count for a in found), reverse=True)
    assert all(a.radius_m < 600 for a in found)


def test_an_area_appearing_half_way_is_new_against_the_first_half(weeks_store):
    path, planted = weeks_store
    half = START_UNIX_S + WEEKS // 2 * WEEK_S
    with Store(path) as store:
        before = find_areas(places(store, START_UNIX_S, half))
        after = find_areas(places(store, half, START_UNIX_S + WEEKS * WEEK_S))
    trends = compare_windows(after, before)
    late = [a for a in planted if a.first_week == WEEKS // 2]
    new = [t for t in trends if t.trend is AreaTrend.NEW]
    assert late and score([(t.lat_deg, t.lon_deg) for t in new], late) == (1.0, 1.0)
    assert all(t.trend is not AreaTrend.FADING for t in trends)


def test_growing_and_fading_are_judged_by_count_against_the_same_place():
    here = HighIncidenceArea(1, 44.8, 88.7, 150.0, 30)
    there_lat, there_lon = DISTRICT.to_wgs84(5000.0, 0.0)
    there = HighIncidenceArea(2, float(there_lat), float(there_lon), 150.0, 10)
    trends = compare_windows([HighIncidenceArea(1, 44.8001, 88.7, 150.0, 45)], [here, there])
    assert [(t.trend, t.count, t.previous_count) for t in trends] == [
        (AreaTrend.GROWING, 45, 30), (AreaTrend.FADING, 0, 10)]


def test_reported_leads_count_where_no_finding_stands_for_them(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        for i in range(10):
            report_incident(store, CaseKind.INTRUSION, CaseSource.PHONE, 44.8 + i * 1e-5, 88.7,
                            START_UNIX_S + i, by="duty")
        found = find_areas(places(store, START_UNIX_S, START_UNIX_S + WEEK_S))
    assert [(a.count, a.rank) for a in found] == [(10, 1)]
