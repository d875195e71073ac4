"""Answering TERRAIN_REQUEST: which posts go in which TERRAIN_DATA (ArduPilot's layout)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dronewatch.link.terrain import (
    AP_METRES_PER_E7,
    TerrainRequest,
    blocks_for,
    grid_corner_e7,
    mission_places,
)
from dronewatch.missionitem import Cmd, Frame, MissionItem

LAT, LON = 44.7674332, 88.6870206


def plane(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """1 m per 10 m north, 1 m per 20 m east of (LAT, LON), 700 m there."""
    north = (np.asarray(lat) - LAT) * 1e7 * AP_METRES_PER_E7
    east = (np.asarray(lon) - LON) * 1e7 * AP_METRES_PER_E7 * math.cos(math.radians(LAT))
    return 700.0 + north / 10.0 + east / 20.0


def test_each_bit_carries_its_sub_grid_of_posts_north_then_east():
    request = TerrainRequest(round(LAT * 1e7), round(LON * 1e7), 100, (1 << 0) | (1 << 9))
    first, second = blocks_for(request, plane)
    assert first.gridbit == 0 and first.heights_m[:5] == (700, 705, 710, 715, 710)
    # bit 9: one sub-grid (400 m) north and one east; data[4x + y] is x north, y east
    assert second.gridbit == 9
    assert second.heights_m[0] == 700 + 40 + 20 and second.heights_m[4 * 3 + 2] == 760 + 30 + 10


def test_posts_beyond_the_dem_take_the_nearest_known_height_or_are_not_sent():
    request = TerrainRequest(round(LAT * 1e7), round(LON * 1e7), 100, (1 << 56) - 1)

    def west_half(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(lon) < LON + 0.02, 800.0, np.nan)

    filled = blocks_for(request, west_half)
    assert len(filled) == 56 and {h for b in filled for h in b.heights_m} == {800}
    assert len(blocks_for(request, west_half, fill_edges=False)) < 56
    assert blocks_for(request, lambda la, lo: np.full(np.shape(la), np.nan)) == []


@pytest.mark.parametrize(("field", "kwargs"), [
    ("grid_spacing", {"spacing_m": 0}), ("mask", {"mask": 1 << 56}),
    ("lat/lon", {"lat_e7": 950_000_000})])
def test_a_malformed_request_is_refused_naming_the_field(field, kwargs):
    values = {"lat_e7": 0, "lon_e7": 0, "spacing_m": 100, "mask": 1} | kwargs
    with pytest.raises(ValueError, match=field):
        TerrainRequest(**values)


def test_grid_blocks_start_on_whole_degrees_and_hold_the_place():
    lat_e7, lon_e7 = grid_corner_e7(LAT, LON, 100)
    north_m = (round(LAT * 1e7) - lat_e7) * AP_METRES_PER_E7
    east_m = (round(LON * 1e7) - lon_e7) * AP_METRES_PER_E7 * math.cos(math.radians(LAT))
    assert 0 <= north_m < 24 * 100 and 0 <= east_m < 28 * 100
    assert grid_corner_e7(44.0000001, 88.0000001, 100) == (440_000_000, 880_000_000)


def test_mission_places_are_waypoints_and_four_points_ten_spacings_around():
    items = [MissionItem.at(Cmd.NAV_WAYPOINT, LAT, LON, 700, Frame.GLOBAL_INT),
             MissionItem(Cmd.NAV_TAKEOFF, z=30),
             MissionItem.at(Cmd.NAV_WAYPOINT, LAT + 0.01, LON, 60, Frame.GLOBAL_TERRAIN_ALT_INT),
             MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION)]
    places = mission_places(items, 100)
    assert len(places) == 5 and places[0] == pytest.approx((LAT + 0.01, LON))
    for lat, lon in places[1:]:
        north = (lat - LAT - 0.01) * 1e7 * AP_METRES_PER_E7
        east = (lon - LON) * 1e7 * AP_METRES_PER_E7 * math.cos(math.radians(LAT + 0.01))
        assert math.hypot(north, east) == pytest.approx(1000, abs=1)
