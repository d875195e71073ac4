"""The area map: real HTML from folium with relief, zones, legend and controls."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pyproj import Transformer

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.map import ZONE_STYLES, write_area_map
from dronewatch.map._hillshade import relief_image
from dronewatch.zones import load_zones


@pytest.fixture(scope="module")
def zones():
    return load_zones(default_zones_path())


@pytest.fixture(scope="module")
def html(zones, tmp_path_factory):
    saved = write_area_map(zones, default_dem_path(), tmp_path_factory.mktemp("map") / "a.html")
    return saved.path.read_text()


def test_map_holds_every_zone_with_its_name_and_popup(zones, html):
    for zone in zones:
        assert zone.name in html, zone.id
    assert html.count("L.geoJson(") == len(zones) - len(zones.launch_sites)
    assert "L.marker(" in html


def test_map_has_layers_scale_legend_and_the_offline_relief(html):
    assert "L.control.layers(" in html
    assert "L.control.scale(" in html
    assert "dronewatch-legend" in html
    for _, label in ZONE_STYLES.values():
        assert label in html
    assert re.search(r"L\.imageOverlay\(\s*\"data:image/png;base64,", html)
    assert "Terrain relief (offline, from our DEM)" in html


def test_relief_is_warped_to_web_mercator():
    relief = relief_image(default_dem_path(), max_px=300)
    height, width, _ = relief.rgba.shape
    alpha = relief.rgba[..., 3]
    # A UTM square is a slightly rotated quadrilateral in Web Mercator, so the corners
    # of the warped image fall outside the DEM and are transparent; the middle is not.
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0
    assert alpha[height // 2, width // 2] == 255
    to_wgs84 = Transformer.from_crs(32645, 4326, always_xy=True)
    lon, lat = to_wgs84.transform([612_000, 657_000, 612_000, 657_000],
                                  [4_940_000, 4_940_000, 4_985_000, 4_985_000])
    assert relief.west_deg == pytest.approx(min(lon), abs=0.005)
    assert relief.east_deg == pytest.approx(max(lon), abs=0.005)
    assert relief.south_deg == pytest.approx(min(lat), abs=0.005)
    assert relief.north_deg == pytest.approx(max(lat), abs=0.005)
    assert 0.2 < np.mean(alpha == 255) < 1.0


def test_mission_map_pins_findings_route_track_and_heat(zones, tmp_path):
    import cv2
    import numpy as np

    from dronewatch.map import mission_map
    from dronewatch.store import Finding, FindingKind

    ok, png = cv2.imencode(".png", np.full((8, 8), 200, np.uint8))
    assert ok
    site = zones.launch_sites[0]
    findings = [
        Finding(FindingKind.PERSON, site.lat_deg + 0.01, site.lon_deg, 2.5, 0.91, 1.7e9,
                1.7e9 + 60, 3, 36.4, None, 1, png.tobytes(), 7),
        Finding(FindingKind.HOTSPOT, site.lat_deg - 0.01, site.lon_deg, 4.0, 0.99, 1.7e9,
                1.7e9, 1, 88.0, 35.0, 1, None, 8),
    ]
    fmap = mission_map(zones, default_dem_path(), findings=findings,
                       planned=[(site.lat_deg, site.lon_deg), (site.lat_deg + 0.01,
                                                                site.lon_deg)],
                       flown=[(site.lat_deg, site.lon_deg), (site.lat_deg + 0.009,
                                                               site.lon_deg)],
                       hotspot_history=findings)
    path = tmp_path / "mission.html"
    fmap.save(str(path))
    html = path.read_text()
    assert "Persons: alarm (1)" in html and "Hotspots (1)" in html
    assert "L.markerClusterGroup(" in html and "L.heatLayer(" in html
    assert "Planned route" in html and "Flown track" in html
    assert "± 2.5 m" in html and "88.0 °C" in html and "36.4 °C" in html
    assert "dronewatch-thumb" in html and html.count("L.circle(") == 2
