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
        "altitude: unknown field; known: airframe, altitude_agl_m, camera, drone, "
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
