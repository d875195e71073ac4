"""Camera shots in flight: every shot not analysed is counted, with its reason."""

from __future__ import annotations

import pytest

from dronewatch.ops.record import Announcement
from dronewatch.ops.search import FlightOptions, fly_plan
from dronewatch.store import Store
from tests.ops.rehearsal import drone, link, rehearsal


@pytest.mark.slow
def test_a_lossy_link_counts_every_lost_camera_shot_as_skipped(tmp_path):
    heard: list[Announcement] = []
    with rehearsal() as r, drone(r.plan.home, "--drop", "0.1") as sim, \
            link(sim.url) as vehicle, Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        mission = store.add_mission("search", "lossy", launched_by="t", reason="t")
        report = fly_plan(vehicle, r.plan, r.zones, r.terrain, r.camera.render, store,
                          mission.id, tmp_path / "map.html", announce=heard.append,
                          options=FlightOptions(link_lost_after_s=5.0))
    lost = dict(report.skipped).get("lost on the link", 0)
    assert lost > 0 and report.frames_failed == sum(n for _, n in report.skipped)
    assert report.frames_failed >= lost
    assert any("lost on the link" in a.text for a in heard)
