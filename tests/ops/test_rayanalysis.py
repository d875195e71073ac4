"""Frames analysed on a local Ray cluster: backpressure, faults, and a whole search.

One cluster (two CPUs) is shared by the module: Ray takes tens of seconds to start on
this machine, and the analysis keeps its workers for the next flight of the process.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

ray = pytest.importorskip("ray")

from dronewatch.geo import Attitude, CameraPose, LocalFrame  # noqa: E402
from dronewatch.ops import FlightOptions, OnFind, run_search  # noqa: E402
from dronewatch.ops.analysis import Analysed, Dropped, Failed  # noqa: E402
from dronewatch.ops.rayanalysis import RayAnalysis  # noqa: E402
from dronewatch.store import FindingKind, Store  # noqa: E402
from dronewatch.thermal import detect  # noqa: E402
from tests.ops.rehearsal import drone, link, rehearsal  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    """The module's one local cluster: the first RayAnalysis.start starts it (two CPUs)."""
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def world():
    with rehearsal(radius_m=120.0, person_offset_m=(30.0, 20.0)) as r:  # a short search
        yield r


def frames_over_the_person(r, count: int) -> list:
    """``count`` distinct nadir frames 60 m above ground, the person in every one."""
    frames = []
    for k in range(count):
        lat, lon = LocalFrame(*r.person).to_wgs84(4.0 * k - 14.0, 3.0)
        ground = r.terrain.elevation_at(float(lat), float(lon))
        pose = CameraPose(float(lat), float(lon), ground + 60.0, Attitude(0.0, 0.0, 0.0))
        frames.append(r.camera.render(pose, 1_000.0 + k))
    return frames


def _summary(detections) -> list[tuple]:
    return sorted((d.kind.value, round(d.confidence, 4), round(d.u_px, 2), round(d.v_px, 2),
                   None if d.fix is None else (round(d.fix.lat_deg, 7), round(d.fix.lon_deg, 7)))
                  for d in detections)


def test_a_full_queue_drops_the_oldest_waiting_frame_never_holds_more(cluster, world):
    frames = frames_over_the_person(world, 8)
    analysis = RayAnalysis.start(None, world.terrain, in_flight_per_worker=1, max_waiting=2)
    assert analysis.capacity == 4  # 2 workers x 1 frame on each, 2 waiting here
    outcomes, held = [], []
    for frame in frames:  # a burst far faster than the workers: nothing done in between
        analysis.submit(frame)
        held.append(analysis.held)
    while analysis.pending:
        outcomes += analysis.collect(wait_s=0.2)
        held.append(analysis.held)
    assert max(held) == analysis.capacity  # full, never over
    ids = {id(f): k for k, f in enumerate(frames)}
    dropped = [ids[id(o.frame)] for o in outcomes if isinstance(o, Dropped)]
    analysed = {ids[id(o.frame)]: o for o in outcomes if isinstance(o, Analysed)}
    # frames 0 and 1 went to the workers; each new frame pushed out the oldest waiting
    assert dropped == [2, 3, 4, 5] and analysis.dropped == 4
    assert sorted(analysed) == [0, 1, 6, 7] and len(outcomes) == 8
    for k, outcome in analysed.items():  # what the cluster found is what this process finds
        assert _summary(outcome.detections) == _summary(detect(frames[k], world.terrain))
        assert any(d.kind is FindingKind.PERSON for d in outcome.detections)
        assert outcome.latency_s > 0


def test_a_frame_the_detector_fails_on_is_lost_alone(cluster, world):
    posed, unposed = frames_over_the_person(world, 2)
    unposed = replace(unposed, pose=None)  # no pose, no scale: detect() raises
    analysis = RayAnalysis.start(None, world.terrain)
    analysis.submit(unposed)
    analysis.submit(posed)
    outcomes = analysis.collect(wait_s=60.0)
    (failed,) = [o for o in outcomes if isinstance(o, Failed)]
    assert failed.frame is unposed and failed.reason.startswith("ValueError")
    assert [o.frame for o in outcomes if isinstance(o, Analysed)] == [posed]


@pytest.mark.timeout(600)  # a whole flight, on two cores shared with Ray
def test_a_search_analysed_on_the_cluster_finds_the_person_as_in_process(cluster, world,
                                                                          tmp_path):
    r = world
    with drone(r.plan.home) as sim, link(sim.url) as vehicle, \
            Store(tmp_path / "s.sqlite") as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render, store,
                            tmp_path / "map.html", plan=r.plan,
                            options=FlightOptions(on_find=OnFind.CONTINUE, analysis="ray"))
        stored = store.findings(mission_id=report.mission_id)
    assert report.outcome == "completed"
    # the bounds the in-process search meets (tests/ops/test_search.py)
    (person,) = [f for f in report.findings if f.kind is FindingKind.PERSON]
    assert r.distance_m(person.lat_deg, person.lon_deg) <= 3.0
    assert person.accuracy_m < 10 and person.thumbnail_png.startswith(b"\x89PNG")
    assert [f.id for f in stored] == [f.id for f in report.findings]
    assert report.frames > 10
    assert report.frames_failed == sum(n for _, n in report.skipped)


def test_a_cluster_lost_mid_flight_hands_the_rest_to_this_process(cluster, world):
    frames = frames_over_the_person(world, 6)
    warned: list[str] = []
    analysis = RayAnalysis.start(None, world.terrain, in_flight_per_worker=1,
                                 warn=warned.append)
    for frame in frames:
        analysis.submit(frame)
    for worker in analysis.workers:  # both workers die with frames on them
        ray.kill(worker)
    outcomes = analysis.collect(wait_s=60.0)
    while analysis.pending:
        outcomes += analysis.collect(wait_s=1.0)
    analysis.submit(frames[0])  # and later frames are analysed here
    outcomes += analysis.collect()
    assert len(outcomes) == 7 and warned and "analysed in this process" in warned[0]
    lost = [o for o in outcomes if isinstance(o, Failed)]
    assert 1 <= len(lost) <= 2 and all("analysis cluster lost" in o.reason for o in lost)
    assert sum(isinstance(o, Analysed) for o in outcomes) == 7 - len(lost)
    assert isinstance(outcomes[-1], Analysed) and outcomes[-1].frame is frames[0]

