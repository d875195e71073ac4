"""Frames analysed in the flying process, and which places to analyse may be named."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from dronewatch.geo import Attitude, CameraPose
from dronewatch.ops.analysis import (
    Analysed,
    AnalysisError,
    Failed,
    InProcessAnalysis,
    check_analysis,
    open_analysis,
)
from dronewatch.thermal import FindingKind
from tests.ops.rehearsal import rehearsal


def test_in_process_a_frame_is_analysed_when_submitted_and_a_failure_loses_it_alone():
    with rehearsal() as r:
        lat, lon = r.person
        pose = CameraPose(lat, lon, r.terrain.elevation_at(lat, lon) + 60.0,
                          Attitude(0.0, 0.0, 0.0))
        posed = r.camera.render(pose, 1_000.0)
        with open_analysis("local", r.terrain) as analysis:
            assert isinstance(analysis, InProcessAnalysis)
            analysis.submit(replace(posed, pose=None))  # no pose, no scale: detect() raises
            analysis.submit(posed)
            assert analysis.pending == 2  # done, waiting to be collected
            failed, analysed = analysis.collect()
            assert analysis.collect() == [] and analysis.dropped == 0
    assert isinstance(failed, Failed) and failed.reason.startswith("ValueError: ")
    assert isinstance(analysed, Analysed) and analysed.frame is posed
    (person,) = [d for d in analysed.detections if d.kind is FindingKind.PERSON]
    assert person.fix is not None and r.distance_m(person.fix.lat_deg, person.fix.lon_deg) < 5


def test_a_cluster_without_ray_installed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as on a station without the extra
    assert check_analysis("local") == "local"
    with pytest.raises(AnalysisError, match=r"pip install -e '\.\[cluster\]'"):
        check_analysis("ray://10.0.0.5:10001")
    with pytest.raises(AnalysisError, match="'local', 'ray'"):
        check_analysis("spark://10.0.0.5:7077")
