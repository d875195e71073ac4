"""Patrol files checked when saved: against zones, launch sites, altitudes and battery."""

from __future__ import annotations

import pytest

from dronewatch.config import default_zones_path
from dronewatch.ops.patrolspec import PatrolFileError, check_patrols, load_patrols
from dronewatch.zones import load_zones

GOOD = "name: {name}\nzones: [pa-hongsha]\nschedule: '0 1 * * *'\n"


@pytest.fixture(scope="module")
def zones():
    return load_zones(default_zones_path())


@pytest.mark.parametrize(("extra", "line", "message"), [
    ("altitude_agl_m: 5000\n", 4, "altitude_agl_m: 5000 is out of range [10, 500]"),
    ("altitude_agl_m: 130\n", 4,
     "altitude_agl_m: 130 m is above the limit of 120 m of zone 'op-area'"),
    ("altitude_agl_m: 40\n", 4,
     "altitude_agl_m: 40 m is below the minimum of 60 m of zone 'pa-hongsha'"),
    ("launch_site: launch-moon\n", 4, "launch_site: no launch site 'launch-moon'; known:"),
    ("min_battery_pct: 20\n", 4, "min_battery_pct: 20 % is below the station's"),
    ("max_wind_mps: .nan\n", 4, "max_wind_mps: nan is out of range"),
    ("max_delay_s: -1\n", 4, "max_delay_s: -1 is out of range"),
    ("drone: 'udpout:nowhere'\n", 4, "drone: 'udpout:nowhere': expected"),
    ("look_for: [ghosts]\n", 4, "look_for: ['ghosts']; a list from hotspots, persons"),
    ("timezone: Asia\n", 4, "timezone: unknown time zone 'Asia'"),
])
def test_a_patrol_problem_names_file_line_and_field(tmp_path, zones, extra, line, message):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.format(name="a") + extra)
    specs, problems = check_patrols(tmp_path, zones, min_battery_pct=30)
    assert specs == []
    assert problems and problems[0].startswith(f"{path}, line {line}: {message}")


@pytest.mark.parametrize("zone", ["nfz-explosives-depot", "launch-station"])
def test_a_no_fly_zone_or_a_launch_site_is_not_a_patrol_zone(tmp_path, zones, zone):
    (tmp_path / "p.yml").write_text(f"name: a\nschedule: '0 1 * * *'\nzones: [{zone}]\n")
    _, problems = check_patrols(tmp_path, zones)
    assert len(problems) == 1 and f"p.yml, line 3: zones: '{zone}' is a " in problems[0]


def test_yml_files_count_every_problem_is_listed_and_a_missing_folder_is_an_error(tmp_path,
                                                                               zones):
    (tmp_path / "a.yml").write_text(GOOD.format(name="a"))
    (tmp_path / "b.yaml").write_text(GOOD.format(name="b") + "altitude: 80\nmax_wind_mps: x\n")
    (tmp_path / "c.yaml").write_text(GOOD.format(name="a"))
    (tmp_path / "notes.txt").write_text("not a patrol")
    specs, problems = check_patrols(tmp_path, zones)
    assert [s.name for s in specs] == ["a"]
    assert [p.split(": ", 1)[1] for p in problems] == [
        "altitude: unknown field; known: airframe, altitude_agl_m, areas, camera, drone, "
        "launch_site, look_for, max_delay_s, max_wind_mps, min_battery_pct, name, schedule, "
        "timezone, warn_area_growth, warn_peak_rise_c, zones",
        "max_wind_mps: 'x' is not a number",
        f"name: 'a' is also the name in {tmp_path / 'a.yml'}"]
    with pytest.raises(PatrolFileError, match=r"b\.yaml, line 4: altitude") as err:
        load_patrols(tmp_path, zones)
    assert str(err.value).count("\n") == 2  # all three problems, one line each
    with pytest.raises(PatrolFileError, match="missions folder does not exist"):
        load_patrols(tmp_path / "missing", zones)


def test_a_patrol_may_name_its_own_camera_and_airframe_but_only_known_ones(tmp_path, zones):
    (tmp_path / "a.yaml").write_text(GOOD.format(name="a") + "camera: dji-h20t\n"
                                     "airframe: dji-m30t\n")
    (tmp_path / "b.yaml").write_text(GOOD.format(name="b") + "camera: gopro\n")
    specs, problems = check_patrols(tmp_path, zones)
    assert [(s.camera, s.airframe) for s in specs] == [("dji-h20t", "dji-m30t")]
    assert len(problems) == 1 and "b.yaml" in problems[0]
    assert "camera: unknown camera preset 'gopro'; known: " in problems[0]
    assert "dji-m30t" in problems[0]


def _areas_file(tmp_path, areas: str) -> None:
    (tmp_path / "r.yaml").write_text(f"name: r\nschedule: '0 2 * * *'\nareas: {areas}\n")


def test_a_patrol_of_areas_only_plans_the_square_around_each(tmp_path, zones):
    """The risk plan's targets are places, not zones: a patrol can name them."""
    from dronewatch.config import Settings, default_dem_path
    from dronewatch.geo import Terrain
    from dronewatch.ops.patrol import plan_patrol
    from dronewatch.ops.station import station_equipment

    station = next(s for s in zones.launch_sites if s.id == "launch-station")
    lat, lon = station.lat_deg + 0.004, station.lon_deg + 0.004
    _areas_file(tmp_path, f"[{{lat: {lat}, lon: {lon}, radius_m: 150}}]")
    (spec,), problems = check_patrols(tmp_path, zones)
    assert problems == [] and spec.zones == () and spec.areas[0].radius_m == 150.0
    with Terrain(default_dem_path()) as terrain:
        plan = plan_patrol(spec, zones, terrain, station_equipment(Settings()))
    assert abs(plan.region_local.area / 300.0 ** 2 - 1.0) < 0.02
    assert plan.covered_share > 0.9


@pytest.mark.parametrize(("areas", "message"), [
    ("[{lat: 44.7, lon: 88.6, radius_m: 2}]", "area 1: radius_m 2 is out of range [10, 5000]"),
    ("[{lat: 1.0, lon: 2.0, radius_m: 100}]", "area 1: 1.000000, 2.000000 is outside the "
                                              "operating area 'op-area'"),
    ("[{lat: 44.7, lon: 88.6}]", "area 1: {'lat': 44.7, 'lon': 88.6}: expected lat, lon"),
    ("[{lat: 44.7, lon: 88.6, radius_m: .nan}]", "area 1: {'lat': 44.7, 'lon': 88.6, "
                                                 "'radius_m': nan}: expected"),
    ("here", "'here': a list of {lat: .., lon: .., radius_m: ..}"),
])
def test_a_bad_area_names_the_file_line_and_area(tmp_path, zones, areas, message):
    _areas_file(tmp_path, areas)
    specs, problems = check_patrols(tmp_path, zones)
    assert specs == [] and problems[0].startswith(f"{tmp_path / 'r.yaml'}, line 3: areas: "
                                                  f"{message}")


def test_a_patrol_with_neither_zones_nor_areas_is_refused(tmp_path, zones):
    (tmp_path / "r.yaml").write_text("name: r\nschedule: '0 2 * * *'\n")
    _, problems = check_patrols(tmp_path, zones)
    assert problems == [f"{tmp_path / 'r.yaml'}: zones: missing (give zones, areas or both)"]
