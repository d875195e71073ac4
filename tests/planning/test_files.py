"""QGroundControl .plan and QGC WPL 110 files: real ones, broken ones, round trips."""

from __future__ import annotations

import pytest

from dronewatch.missionitem import Cmd, Frame, MissionItem
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.files import PlanFile, read_plan, read_wpl, write_plan, write_wpl


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
