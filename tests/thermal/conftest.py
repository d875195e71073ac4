"""The modelled area's DEM and zones, and a rendered scene, shared by the thermal tests."""

from __future__ import annotations

import pytest

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.zones import load_zones


@pytest.fixture(scope="session")
def terrain():
    with Terrain(default_dem_path()) as dem:
        yield dem


@pytest.fixture(scope="session")
def zones():
    return load_zones(default_zones_path())


@pytest.fixture(scope="session")
def gobi(zones):
    """(lat, lon) of the middle of the south Gobi rescue-prone zone."""
    centre = zones.get("rp-south-gobi").geometry.centroid
    return centre.y, centre.x


@pytest.fixture(scope="session")
def hituav_val():
    """HIT-UAV's labelled val frames (real UAV thermal pictures), or a skip without them."""
    from dronewatch.thermal.training.hituav import load_split
    from tests.conftest import SHARED

    root = SHARED / "data" / "hit-uav"
    if not (root / "annotations" / "val.json").exists():
        pytest.skip("HIT-UAV data (../shared/data/hit-uav) not present")
    return load_split(root, "val")
