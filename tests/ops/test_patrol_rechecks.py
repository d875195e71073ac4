"""Re-flights close the loop: a real patrol over the simulator re-checks each open hazard
case in its zones; a rectified fire seen again (hotter) goes back to its owner, and one
the next patrol no longer sees is verified by that flight."""

from __future__ import annotations

import time

import pytest

from dronewatch.analysis.cases import assign, case_from_finding, rectify
from dronewatch.analysis.recheck import RecheckResult, recheck_hazards
from dronewatch.config import default_dem_path
from dronewatch.geo import Terrain, camera_preset
from dronewatch.ops.patrol import run_patrol
from dronewatch.store import FindingKind, Store
from dronewatch.store.cases import CaseStatus, add_owner, case_events, get_case
from simulators.thermal import ThermalCamera
from tests.ops.rehearsal import drone, link
from tests.ops.test_patrol import spec, world_with_fire, yard_zones  # noqa: F401 - fixture

DAY_S = 86_400.0


@pytest.mark.timeout(600)  # two real patrols: ~5 min on a CPU busy with training
def test_a_rectified_fire_seen_again_reopens_and_one_gone_is_verified(yard_zones, tmp_path):  # noqa: F811
    zones, fire_at = yard_zones
    site = next(s for s in zones.launch_sites if s.id == "launch-station")
    worlds = [world_with_fire(zones, fire_at, 3.0, 180.0),  # found
              world_with_fire(zones, fire_at, 7.0, 320.0)]  # "rectified", yet bigger, hotter
    results = []
    with Terrain(default_dem_path()) as terrain, Store(tmp_path / "s.sqlite") as store, \
            drone(site) as sim, link(sim.url) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        add_owner(store, "Hongsha Coal Co.")
        for n, world in enumerate(worlds):
            camera = ThermalCamera(world, terrain, camera_preset("dji-m30t"))
            results.append(run_patrol(spec(), time.time(), vehicle, zones, terrain,
                                      camera.render, store, tmp_path))
            vehicle.wait_for(lambda s: not s.armed, 60, "landed")
            if n == 0:
                fire = next(f for f in results[0].report.findings
                            if f.kind is FindingKind.HOTSPOT)
                case = case_from_finding(store, fire.id, by="duty-1")
                assign(store, case.id, "Hongsha Coal Co.", time.time() + 7 * DAY_S,
                       by="duty-1")
            rectify(store, case.id, by="hongsha-safety", note="covered with clay")
        # the third patrol, put out for good, sees nothing there (a third real flight
        # would double the test's time; the patrol calls exactly this with its findings)
        yard = zones.get("pa-test-yard").geometry
        (gone,) = recheck_hazards(store, yard, (), results[1].report.mission_id,
                                  actor="patrol yard")
        trail = case_events(store, case.id)
        final = get_case(store, case.id)
    assert [r.status for r in results] == ["done"] * 2
    assert results[0].rechecks == ()  # the case was opened after that patrol
    (hotter,) = results[1].rechecks
    assert hotter.result is RecheckResult.HOTTER and hotter.status_after is CaseStatus.ASSIGNED
    assert hotter.peak_temp_c > fire.peak_temp_c and hotter.finding_id is not None
    # the patrol published the grown hazard of the case itself, citing the case
    assert any(w.kind == "hotter" and w.case_id == case.id for w in results[1].published)
    assert gone.result is RecheckResult.GONE and gone.status_after is CaseStatus.VERIFIED
    assert final.status is CaseStatus.VERIFIED
    assert [(e.actor, e.action) for e in trail] == [
        ("duty-1", "opened"), ("duty-1", "assigned"), ("hongsha-safety", "rectified"),
        ("patrol yard", "reopened: seen again, hotter"), ("hongsha-safety", "rectified"),
        ("patrol yard", "verified: a later flight no longer sees it")]
    assert trail[3].mission_id == results[1].report.mission_id
    assert trail[5].finding_id is None
