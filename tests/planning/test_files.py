"""QGroundControl .plan and QGC WPL 110 files: real ones, broken ones, round trips."""

from __future__ import annotations

import json
import re

import pytest

from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.files import (
    PlanFile,
    WplFile,
    read_plan,
    read_wpl,
    read_wpl_file,
    write_plan,
    write_wpl,
    write_wpl_file,
)


def test_real_qgc_plans_import_or_are_refused_with_the_reason(shared_data):
    plans = shared_data / "mission-files" / "qgc-plans"
    simple = read_plan(plans / "qgroundcontrol_sample.plan")
    assert [i.command for i in simple.items] == [22, 16, 2000, 16, 16, 20]
    survey = read_plan(plans / "qgroundcontrol_sample_with_survey.plan")
    assert len(survey.items) == 13  # the survey's generated items are flattened
    refusals = {
        "qgroundcontrol_sample_with_survey_missing_items.plan": "no generated flight items",
        "qgroundcontrol_sample_with_survey_wrong_version.plan": "survey version 9",
        "qgroundcontrol_sample_without_mission.plan": "holds no mission",
        "qgroundcontrol_sample_wrong_mission_version.plan": "mission version 7",
        "qgroundcontrol_sample_wrong_overall_version.plan": "plan file version 42",
        "qgroundcontrol_sample_with_structured_scan.plan": "'StructureScan' is not supported",
    }
    for name, reason in refusals.items():
        with pytest.raises(PlanningError, match=reason) as err:
            read_plan(plans / name)
        assert name in str(err.value)


def test_real_ardupilot_waypoint_files_import(shared_data):
    files = sorted((shared_data / "mission-files" / "wpl").glob("*mission*.txt"))
    assert files
    for path in files:
        home, items = read_wpl(path)
        assert -90 <= home[0] <= 90 and items


def test_wpl_round_trip_and_broken_lines(tmp_path):
    items = [MissionItem(Cmd.NAV_TAKEOFF, z=40),
             MissionItem.at(Cmd.NAV_WAYPOINT, 44.7684332, 88.6870206, 812.5, Frame.GLOBAL_INT),
             MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION)]
    path = tmp_path / "m.waypoints"
    write_wpl(path, (44.7674332, 88.6870206, 729.3), items)
    home, back = read_wpl(path)
    assert home == pytest.approx((44.7674332, 88.6870206, 729.3))
    assert back == items
    unknown = tmp_path / "unknown-home.waypoints"  # Mission Planner before its GPS fix
    unknown.write_text(path.read_text().replace("44.7674332\t88.6870206\t729.300000",
                                                "0.0000000\t0.0000000\t0.000000"))
    home, back = read_wpl(unknown)
    assert home is None and back == items
    write_wpl_file(tmp_path / "again.waypoints", read_wpl_file(unknown))
    assert (tmp_path / "again.waypoints").read_text() == unknown.read_text()
    path.write_text(path.read_text().replace("\t812.500000\t1", "\t812.5"))
    with pytest.raises(PlanningError, match=r"line 4: expected 12 fields"):
        read_wpl(path)
    path.write_text("QGC WPL 100\n")
    with pytest.raises(PlanningError, match="not a QGC WPL 110 file"):
        read_wpl(path)


def test_plan_round_trip(tmp_path):
    plan = PlanFile((44.7, 88.6, 730.0),
                    (MissionItem(Cmd.NAV_TAKEOFF, z=40),
                     MissionItem.at(Cmd.NAV_WAYPOINT, 44.71, 88.61, 60)),
                    inclusion_polygons=(((44.6, 88.5), (44.6, 88.7), (44.8, 88.7)),),
                    circles=((44.7, 88.65, 150.0, False),), rally=((44.7, 88.6, 40.0),))
    write_plan(tmp_path / "p.plan", plan)
    assert read_plan(tmp_path / "p.plan") == plan


# --- files as the ecosystem writes them --------------------------------------------------

def same_items(a, b) -> bool:
    """Item-identical: command, frame, params, x/y/z, autocontinue (NaN equals NaN)."""
    def key(i: MissionItem):
        return (i.command, i.frame, *(repr(float(v)) for v in (i.param1, i.param2, i.param3,
                                                               i.param4, i.z)),
                i.x, i.y, i.autocontinue)
    return [key(i) for i in a] == [key(i) for i in b]


def mission_files(shared_data):
    root = shared_data / "mission-files"
    return sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".plan", ".waypoints")
                  and not p.name.startswith(("COPYING", "LICENSE")))


def test_every_real_file_that_reads_writes_back_item_identical(shared_data, tmp_path):
    read, refused = 0, 0
    for path in mission_files(shared_data):
        if path.suffix == ".plan":
            try:
                plan = read_plan(path)
            except PlanningError:
                refused += 1
                continue
            write_plan(tmp_path / "back.plan", plan)
            again = read_plan(tmp_path / "back.plan")
            assert same_items(again.items, plan.items), path.name
            assert (again.firmware_type, again.vehicle_type, again.cruise_speed_mps,
                    again.hover_speed_mps, again.altitude_mode) == (
                plan.firmware_type, plan.vehicle_type, plan.cruise_speed_mps,
                plan.hover_speed_mps, plan.altitude_mode), path.name
        else:
            wpl = read_wpl_file(path)
            write_wpl_file(tmp_path / "back.txt", wpl)
            again = read_wpl_file(tmp_path / "back.txt")
            assert again.kind is wpl.kind, path.name
            assert same_items([again.home] if again.home else [],
                              [wpl.home] if wpl.home else []), path.name
            assert same_items(again.items, wpl.items), path.name
        read += 1
    assert read >= 23 and refused == 6


def test_wpl_reads_as_ardupilots_own_reader_does(shared_data):
    """pymavlink's mavwp (MAVProxy, ArduPilot's autotest) is the reference reader."""
    mavwp = pytest.importorskip("pymavlink.mavwp")
    for path in mission_files(shared_data):
        if path.suffix == ".plan":
            continue
        reference = mavwp.MAVWPLoader()
        reference.load(str(path))
        wpl = read_wpl_file(path)
        ours = ([wpl.home] if wpl.home else []) + list(wpl.items)
        assert len(ours) == reference.count(), path.name
        for mine, theirs in zip(ours, reference.wpoints, strict=True):
            assert (mine.command, mine.frame, mine.autocontinue) == (
                theirs.command, theirs.frame, bool(theirs.autocontinue)), path.name
            assert [mine.param1, mine.param2, mine.param3, mine.param4] == pytest.approx(
                [theirs.param1, theirs.param2, theirs.param3, theirs.param4], abs=1e-4)
            assert (mine.lat_deg, mine.lon_deg, mine.z) == pytest.approx(
                (theirs.x, theirs.y, theirs.z), abs=1e-6)


def test_line_0_is_a_home_only_where_it_is_one(shared_data):
    mp = read_wpl_file(shared_data / "mission-files" / "qgc-plans" /
                       "mission_planner_sample.txt")
    assert mp.kind is MissionType.MISSION and mp.home is None
    assert mp.items[0].command == Cmd.NAV_TAKEOFF  # the take-off is kept, not dropped
    fence = read_wpl_file(next((shared_data / "mission-files" / "wpl").glob("*bendyruler*")))
    assert fence.kind is MissionType.FENCE and fence.home is None
    assert [i.command for i in fence.items] == [5001] * 8 + [5004] * 2
    copter = read_wpl_file(next((shared_data / "mission-files" / "wpl").glob("*CANGPS*")))
    assert copter.home is not None and copter.home_position == pytest.approx(
        (-35.362881, 149.165222, 582.0))
    assert copter.items[0].command == Cmd.NAV_TAKEOFF


WPL_QUIRKS = (
    "\ufeffQGC WPL 110\r\n"
    "# exported by hand; the line below is home\r\n"
    "0\t1\t0\t16\t0\t0\t0\t0\t44.7674332\t88.6870206\t729.3\t1\r\n"
    "\r\n"
    "   # an indented comment\r\n"
    "1 0 3 22 0 0 0 0 0 0 40 1\r\n"  # spaces, not tabs
    "5\t0\t3\t16\t0\t0\t0\t0\t44.7684332\t88.6870206\t60.0\t1\r\n"  # a gap: 2-4 missing
    "5\t0\t3\t16\t0\t0\t0\t0\t44.7694332\t88.6870206\t60.0\t1\r\n"  # a repeat
    "3\t0\t2\t20\t0\t0\t0\t0\t0\t0\t0\t1\r\n"  # back down
)


def test_comments_blank_lines_gaps_and_repeats_are_accepted_in_file_order(tmp_path):
    path = tmp_path / "quirks.waypoints"
    path.write_text(WPL_QUIRKS, newline="")
    wpl = read_wpl_file(path)
    assert wpl.home_position == pytest.approx((44.7674332, 88.6870206, 729.3))
    assert [i.command for i in wpl.items] == [22, 16, 16, 20]
    assert [i.lat_deg for i in wpl.items[1:3]] == [44.7684332, 44.7694332]
    mavwp = pytest.importorskip("pymavlink.mavwp")
    plain = tmp_path / "plain.waypoints"  # mavwp refuses a BOM and an indented comment
    plain.write_text(WPL_QUIRKS.lstrip("\ufeff").replace("   #", "#"), newline="")
    reference = mavwp.MAVWPLoader()
    reference.load(str(plain))
    assert [w.command for w in reference.wpoints] == [16, 22, 16, 16, 20]
    assert [w.seq for w in reference.wpoints] == [0, 1, 2, 3, 4]  # renumbered in file order
    assert same_items(read_wpl_file(plain).items, wpl.items)
    write_wpl_file(tmp_path / "back.waypoints", wpl)
    assert same_items(read_wpl_file(tmp_path / "back.waypoints").items, wpl.items)


def test_rally_files_and_refusals_that_name_file_line_and_field(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("QGC WPL 110\n0\t0\t3\t5100\t0\t0\t0\t0\t44.7\t88.6\t40\t1\n"
                    "1\t0\t3\t5100\t0\t0\t0\t0\t44.8\t88.7\t40\t1\n")
    rally = read_wpl_file(path)
    assert rally.kind is MissionType.RALLY and rally.home is None and len(rally.items) == 2
    cases = {
        "0\t0\t0\t16\t0\t0\t0\t0\t44.7\t88.6\t700\t1\n1\t0\t3\tdrop\t0\t0\t0\t0\t0\t0\t0\t1\n":
            r"r\.txt, line 3, field 4 \(command\): 'drop' is not a number",
        "0\t0\t0\t16\t0\t0\t0\t0\t44.7\t88.6\t700\t1\n1\t0\t3.5\t16\t0\t0\t0\t0\t0\t0\t0\t1\n":
            r"r\.txt, line 3, field 3 \(frame\): '3\.5' is not a whole number",
        "0\t0\t0\t16\t0\t0\t0\t0\t44.7\t88.6\t700\t1\n1\t0\t3\t16\t0\t0\t0\t0\t44\t88\t9\t1\n"
        "2\t0\t0\t5001\t4\t0\t0\t0\t44\t88\t0\t1\n":
            r"r\.txt, line 4, field 4 \(command\): 5001 is a fence point in a mission file",
        "0\t0\t0\t16\t0\t0\t0\t0\t144.7\t88.6\t700\t1\n":
            r"r\.txt, line 2, field 9 \(x \(latitude\)\)",
    }
    for body, message in cases.items():
        path.write_text("QGC WPL 110\n" + body)
        with pytest.raises(PlanningError, match=message):
            read_wpl_file(path)


def test_a_plan_with_null_home_altitude_and_px4_fields_round_trips(shared_data, tmp_path):
    import json

    source = shared_data / "mission-files" / "qgc-plans" / "qgroundcontrol_sample.plan"
    doc = json.loads(source.read_text())
    doc["mission"]["plannedHomePosition"][2] = None
    (tmp_path / "null-home.plan").write_text(json.dumps(doc))
    plan = read_plan(tmp_path / "null-home.plan")
    assert plan.home[:2] == pytest.approx((47.3977507, 8.5456075))
    assert plan.home[2] != plan.home[2]  # NaN: the file did not say
    assert (plan.firmware_type, plan.vehicle_type, plan.cruise_speed_mps,
            plan.hover_speed_mps, plan.altitude_mode) == (12, 2, 15.0, 5.0, 1)
    write_plan(tmp_path / "back.plan", plan)
    written = json.loads((tmp_path / "back.plan").read_text())["mission"]
    assert written["plannedHomePosition"][2] is None
    assert {k: written[k] for k in ("firmwareType", "vehicleType", "cruiseSpeed",
                                    "hoverSpeed", "globalPlanAltitudeMode")} == {
        "firmwareType": 12, "vehicleType": 2, "cruiseSpeed": 15.0, "hoverSpeed": 5.0,
        "globalPlanAltitudeMode": 1}
    doc["mission"]["items"][1]["params"][4] = "north"
    (tmp_path / "bad.plan").write_text(json.dumps(doc))
    with pytest.raises(PlanningError, match=r"bad\.plan: mission item 2, field params: "
                                            r"'north' is not a number"):
        read_plan(tmp_path / "bad.plan")
    (tmp_path / "broken.plan").write_text('{\n  "fileType": "Plan",\n  "version": 1,,\n}')
    with pytest.raises(PlanningError, match=r"broken\.plan, line 3: not JSON"):
        read_plan(tmp_path / "broken.plan")


# --- quirks found in real files (regressions) ---------------------------------------------

def test_fence_and_rally_files_may_start_with_mission_planners_home_line(tmp_path):
    """Mission Planner writes its home line before fence (and rally) points."""
    home = "0\t1\t0\t16\t0\t0\t0\t0\t44.7674332\t88.6870206\t729.3\t1\n"
    corners = ((44.77, 88.68), (44.77, 88.70), (44.76, 88.69))
    path = tmp_path / "fence.waypoints"
    path.write_text("QGC WPL 110\n" + home + "".join(
        f"{n}\t0\t3\t5001\t3\t0\t0\t0\t{lat}\t{lon}\t0\t1\n"
        for n, (lat, lon) in enumerate(corners, start=1)))
    fence = read_wpl_file(path)
    assert fence.kind is MissionType.FENCE and [i.command for i in fence.items] == [5001] * 3
    assert fence.home_position == pytest.approx((44.7674332, 88.6870206, 729.3))
    write_wpl_file(tmp_path / "back.waypoints", fence)
    assert read_wpl_file(tmp_path / "back.waypoints") == fence
    path.write_text("QGC WPL 110\n" + home + "1\t0\t3\t5100\t0\t0\t0\t0\t44.77\t88.68\t40\t1\n")
    assert read_wpl_file(path).kind is MissionType.RALLY


def test_wpl_120_has_no_home_line_and_comments_may_stand_above_the_header(tmp_path):
    """Older QGroundControl and MAVROS write 120, whose line 0 is the first item, not home.

    PX4's test missions carry a comment above the header; QGroundControl and MAVROS
    read both.
    """
    path = tmp_path / "m.txt"
    path.write_text("# an old-style export\nQGC WPL 120\r\n"
                    "0\t1\t3\t16\t0\t0\t0\t0\t44.7684332\t88.6870206\t60\t1\r\n"
                    "1\t0\t3\t21\t0\t0\t0\t0\t44.7694332\t88.6870206\t0\t1\r\n", newline="")
    wpl = read_wpl_file(path)
    assert wpl.home is None and [i.command for i in wpl.items] == [16, 21]
    write_wpl_file(tmp_path / "back.txt", wpl)
    assert (tmp_path / "back.txt").read_text().startswith("QGC WPL 120\n")
    assert read_wpl_file(tmp_path / "back.txt") == wpl
    write_wpl_file(tmp_path / "110.txt", WplFile(MissionType.MISSION, None, wpl.items))
    assert read_wpl_file(tmp_path / "110.txt").home == wpl.items[0]  # 110: line 0 is home


def test_a_place_the_vehicle_flies_to_is_refused_when_null_never_guessed(tmp_path):
    """QGroundControl leaves a terrain-calculated AMSL altitude null; it was read as 0 m."""
    doc = {"fileType": "Plan", "version": 1, "mission": {
        "version": 2, "plannedHomePosition": [44.7, 88.6, 700], "items": [
            {"type": "SimpleItem", "command": 530, "frame": 2,
             "params": [0, 2, None, None, None, None, None]},
            {"type": "SimpleItem", "command": 16, "frame": 0, "AltitudeMode": 3,
             "Altitude": 80, "params": [0, 0, 0, None, 44.71, 88.6, None]}]}}
    path = tmp_path / "terrain.plan"
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanningError, match=r"terrain\.plan: mission item 2, field params\[6\] "
                                            r"\(altitude\): null or NaN"):
        read_plan(path)
    doc["mission"]["items"][1]["params"][4:] = [None, 88.6, 80]
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanningError, match=r"mission item 2, field params\[4\] \(latitude\)"):
        read_plan(path)
    del doc["mission"]["items"][1]
    path.write_text(json.dumps(doc))
    assert read_plan(path).items[0].x == 0  # a DO item's unused place stays 0, as before
    head = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t44.7\t88.6\t700\t1\n"
    cases = {"1\t0\t3\t16\t0\t0\t0\t0\tnan\t88.6\t50\t1": "field 9 (x (latitude)): null",
             "1\t0\t3\t16\t0\t0\t0\t0\t44.71\t88.6\tnan\t1": "field 11 (z (altitude)): null",
             "1\t0\t3\t178\t0\t5\t0\t0\t0\tinf\t0\t1": "field 10 (y (longitude)): inf",
             "1\t0\t3\t16\t0\t0\t0\t0\t44.71\t181\t50\t1": "field 10 (y (longitude)): 181"}
    wpl = tmp_path / "r.txt"
    for line, field in cases.items():  # the NaN altitude was read, inf crashed, 181 blamed field 9
        wpl.write_text(head + line + "\n")
        with pytest.raises(PlanningError, match=re.escape(f"r.txt, line 3, {field}")):
            read_wpl_file(wpl)
    wpl.write_text(head + "1\t0\t3\t178\t0\t5\t0\t0\tnan\tnan\t0\t1\n")
    assert read_wpl_file(wpl).items[0].x == 0


def test_a_version_1_fence_is_refused_rather_than_lost(tmp_path):
    """QGroundControl before 3.3 kept one fence polygon in geoFence.polygon; dropping it
    silently would fly the mission without the fence its author drew."""
    doc = {"fileType": "Plan", "version": 1, "geoFence": {
        "version": 1, "polygon": [[44.70, 88.60], [44.70, 88.62], [44.72, 88.61]]},
        "mission": {"version": 2, "plannedHomePosition": [44.7, 88.6, 700], "items": []}}
    (tmp_path / "old.plan").write_text(json.dumps(doc))
    with pytest.raises(PlanningError, match=r"old\.plan, field geoFence\.polygon: a version 1"):
        read_plan(tmp_path / "old.plan")
    doc["geoFence"]["polygon"] = []  # what the real files hold: nothing to lose
    (tmp_path / "old.plan").write_text(json.dumps(doc))
    assert read_plan(tmp_path / "old.plan").inclusion_polygons == ()
