"""Metres per degree and distances agree with pyproj's geodesic and the local frame."""

from __future__ import annotations

import pytest

from dronewatch.geo import LocalFrame, distance_m, metres_per_degree


@pytest.mark.parametrize("lat_deg", [0.0, 30.0, 44.67, 60.0, -35.0])
def test_metres_per_degree_matches_small_geodesic_steps(lat_deg):
    north_m, east_m = metres_per_degree(lat_deg)
    step = 1e-3  # about 100 m: the scale must be right for the steps callers take
    assert north_m * step == pytest.approx(
        distance_m(lat_deg - step / 2, 88.0, lat_deg + step / 2, 88.0), rel=1e-6)
    assert east_m * step == pytest.approx(
        distance_m(lat_deg, 88.0, lat_deg, 88.0 + step), rel=1e-6)


def test_the_known_values_at_the_equator_and_the_pole():
    assert metres_per_degree(0.0) == pytest.approx((110_574.3, 111_319.5), abs=0.1)
    north_m, east_m = metres_per_degree(90.0)
    assert north_m == pytest.approx(111_694.0, abs=0.1) and east_m == pytest.approx(0, abs=1e-6)


def test_distance_agrees_with_the_local_frame_over_a_search_area():
    frame = LocalFrame(44.67, 88.59)
    lat, lon = frame.to_wgs84(-1800.0, 600.0)
    assert distance_m(44.67, 88.59, float(lat), float(lon)) == pytest.approx(
        (1800.0**2 + 600.0**2) ** 0.5, rel=1e-5)
