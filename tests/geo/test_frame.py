"""The local metric frame: WGS84 round trips and distances."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from dronewatch.geo import LocalFrame

FRAME = LocalFrame(44.8, 88.7)


@settings(max_examples=200, deadline=None)
@given(east=st.floats(-30_000, 30_000), north=st.floats(-30_000, 30_000))
def test_round_trip_through_wgs84_is_good_to_a_millimetre(east, north):
    lat, lon = FRAME.to_wgs84(east, north)
    back_e, back_n = FRAME.to_local(lat, lon)
    assert abs(back_e - east) < 1e-3
    assert abs(back_n - north) < 1e-3


@settings(max_examples=100, deadline=None)
@given(lat=st.floats(44.55, 45.05), lon=st.floats(88.35, 89.05))
def test_round_trip_from_wgs84_is_good_to_a_millimetre(lat, lon):
    east, north = FRAME.to_local(lat, lon)
    back_lat, back_lon = FRAME.to_wgs84(east, north)
    _, _, error_m = Geod(ellps="WGS84").inv(lon, lat, float(back_lon), float(back_lat))
    assert error_m < 1e-3


def test_frame_distances_match_geodesic_distances_within_the_area():
    geod = Geod(ellps="WGS84")
    lat, lon = FRAME.to_wgs84([0.0, 20_000.0], [0.0, -15_000.0])
    _, _, geodesic = geod.inv(lon[0], lat[0], lon[1], lat[1])
    assert geodesic == pytest.approx(25_000.0, rel=2e-5)


def test_origin_is_zero_and_north_is_up():
    east, north = FRAME.to_local(44.8, 88.7)
    assert abs(east) < 1e-9 and abs(north) < 1e-9
    _, north = FRAME.to_local(44.81, 88.7)
    assert north == pytest.approx(1111.7, abs=1.0)


def test_geometries_convert_both_ways():
    square = shapely.box(-500, -500, 500, 500)
    wgs84 = FRAME.geometry_to_wgs84(square)
    assert wgs84.bounds[0] == pytest.approx(88.7 - 500 / 79_000, abs=1e-3)
    back = FRAME.geometry_to_local(wgs84)
    np.testing.assert_allclose(shapely.get_coordinates(back), shapely.get_coordinates(square),
                               atol=1e-6)


def test_refuses_an_origin_that_is_not_a_place():
    with pytest.raises(ValueError, match="latitude"):
        LocalFrame(95.0, 10.0)


def test_numpy_scalar_origins_make_the_same_frame():
    plain = LocalFrame(44.7, 88.6)
    numpy = LocalFrame(np.float64(44.7), np.float64(88.6))
    assert np.allclose(plain.to_local(44.71, 88.61), numpy.to_local(44.71, 88.61))
