"""The area and mission maps: real HTML from folium with relief, zones, names, legend,
controls, accuracy circles and times on the station's clock."""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pyproj import Transformer

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.map import (
    ACCURACY_FLOOR_PX,
    ZONE_STYLES,
    mission_map,
    save_map,
    write_area_map,
)
from dronewatch.map._hillshade import relief_image
from dronewatch.store import Finding, FindingKind, FindingStatus
from dronewatch.zones import ZoneKind, load_zones


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


def test_launch_sites_carry_their_own_names_always_shown(zones, html):
    assert "police station)" not in html  # the layer no longer names every site so
    tooltips = re.findall(r"bindTooltip\(\s*`<div>\s*(.*?)\s*</div>`,\s*(\{.*?\})\s*\)",
                          html, re.S)
    shown = {text: options for text, options in tooltips if '"permanent": true' in options}
    assert {site.name for site in zones.launch_sites} == set(shown)
    assert len(set(shown)) == len(zones.launch_sites) > 1
    assert all('"className": "dronewatch-site-label"' in o for o in shown.values())


def test_zone_names_are_written_on_the_area_map(zones, html):
    icons = [json.loads(text) for text in re.findall(r'L\.divIcon\(\{\s*"html": ("[^\n]*"),', html)]
    labels = [re.fullmatch(r"<div class='dronewatch-label dronewatch-zone-label'>(.*)</div>",
                           icon).group(1) for icon in icons]
    named = [z.name for z in zones if z.kind not in (ZoneKind.OPERATING_AREA,
                                                       ZoneKind.LAUNCH_SITE)]
    assert sorted(labels) == sorted(named) and len(named) > 10
    assert '"Zone names"' in html  # a layer of its own, to switch off where names crowd


def _finding(kind, lat, lon, *, seen, first, status=FindingStatus.ALARM, fid=1):
    return Finding(kind, lat, lon, 2.5, 0.9, first, first + 60, seen, 36.4, None, 1, None,
                   fid, status)


@pytest.fixture(scope="module")
def mission_html(zones, tmp_path_factory):
    site = zones.launch_sites[0]
    # 2026-11-30 22:30:00 UTC is already 1 December at the station (UTC+6).
    findings = [_finding(FindingKind.PERSON, site.lat_deg + 0.01, site.lon_deg, seen=1,
                         first=1_796_077_800.0, fid=7),
                _finding(FindingKind.HOTSPOT, site.lat_deg - 0.01, site.lon_deg, seen=3,
                         first=1_796_077_800.0, fid=8)]
    route = [(site.lat_deg, site.lon_deg), (site.lat_deg + 0.01, site.lon_deg)]
    saved = save_map(mission_map(zones, default_dem_path(), findings=findings, planned=route,
                                 flown=[route[0], (site.lat_deg + 0.009, site.lon_deg)]),
                     tmp_path_factory.mktemp("map") / "mission.html")
    return saved.path.read_text()


def test_the_mission_legend_explains_route_track_and_findings(mission_html):
    legend = re.search(r"<div id='dronewatch-legend'.*?</div>\s*</div>", mission_html,
                       re.S).group(0)
    mission, zones_part = legend.split("<b>Zones</b>")
    assert "<b>Mission</b>" in mission
    assert "border-top:2px dashed #2563eb'></span>Planned route" in mission
    assert "border-top:3px solid #111827'></span>Flown track" in mission
    assert "Persons: alarm (ring: position accuracy)" in mission
    assert "Hotspots (ring: position accuracy)" in mission
    assert "Vehicles" not in mission  # only what the map holds
    assert "Launch sites" in zones_part


def test_the_area_map_legend_has_no_mission_section(html):
    assert "<b>Mission</b>" not in html


def test_accuracy_circles_have_a_floor_on_screen(mission_html):
    metric = re.findall(r"L\.circle\(\s*\[([-\d.]+), ([-\d.]+)\],\s*\{[^}]*\"radius\": ([\d.]+)",
                        mission_html)
    floor = re.findall(r"L\.circleMarker\(\s*\[([-\d.]+), ([-\d.]+)\],\s*\{[^}]*"
                       r"\"radius\": (\d+)", mission_html)
    assert [m[:2] for m in metric] == [f[:2] for f in floor] and len(floor) == 2
    assert {float(m[2]) for m in metric} == {2.5}  # metres
    assert {int(f[2]) for f in floor} == {ACCURACY_FLOOR_PX}  # pixels, at every zoom


def test_times_are_on_the_station_clock_with_utc_beside(mission_html):
    assert ("<th style='text-align:left;padding-right:8px'>Found</th>"
            "<td>2026-12-01 04:30:00 Asia/Urumqi (2026-11-30 22:30:00 UTC)</td>") in mission_html
    assert "<td>2026-12-01 04:31:00 Asia/Urumqi (2026-11-30 22:31:00 UTC)</td>" in mission_html


def test_a_chosen_time_zone_and_same_day_utc(zones, tmp_path):
    site = zones.launch_sites[0]
    finding = _finding(FindingKind.PERSON, site.lat_deg, site.lon_deg, seen=2,
                       first=1_796_040_000.0)  # 12:00 UTC
    path = save_map(mission_map(zones, default_dem_path(), findings=[finding],
                                time_zone=ZoneInfo("Asia/Shanghai")), tmp_path / "m.html").path
    assert "<td>2026-11-30 20:00:00 Asia/Shanghai (12:00:00 UTC)</td>" in path.read_text()


def test_seen_once_is_one_time_and_more_are_times(mission_html):
    cells = re.findall(r"<th[^>]*>Seen</th><td>([^<]*)</td>", mission_html)
    assert sorted(cells) == ["1 time", "3 times"]
