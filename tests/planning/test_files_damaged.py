"""Real mission files, damaged: each is read, or refused naming the file, never a crash.

The files are QGroundControl's and ArduPilot's own (``../shared/data/mission-files``);
the damage is what hand edits, other tools and cut-short copies do to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dronewatch.planning.errors import PlanningError
from dronewatch.planning.files import read_plan, read_wpl_file, write_plan, write_wpl_file
from tests.mutations import damaged_copy, damaged_json, damaged_text, fuzzing


def _plans(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "mission-files" / "qgc-plans").glob("*.plan"))


def _read_or_refused(read: Callable[[Path], Any], path: Path) -> Any:
    """What ``read`` made of ``path``, or None when it refused it naming the file."""
    try:
        return read(path)
    except PlanningError as exc:
        assert str(exc).startswith(str(path)), exc
        return None


@fuzzing(200)
@given(st.data())
def test_a_damaged_plan_is_read_and_written_back_alike_or_refused(shared_data, tmp_path, data):
    source = data.draw(st.sampled_from(_plans(shared_data)))
    doc = json.loads(source.read_text(encoding="utf-8-sig"))
    path = tmp_path / "damaged.plan"
    path.write_text(json.dumps(data.draw(damaged_json(doc))))
    plan = _read_or_refused(read_plan, path)
    if plan is not None:  # what reads survives a round trip unchanged
        write_plan(tmp_path / "again.plan", plan)
        assert repr(read_plan(tmp_path / "again.plan")) == repr(plan)


@fuzzing(200)
@given(st.data())
def test_a_damaged_plan_file_text_is_read_or_refused(shared_data, tmp_path, data):
    path = damaged_copy(data, _plans(shared_data), tmp_path)
    _read_or_refused(read_plan, path)


@fuzzing(200)
@given(st.data())
def test_a_damaged_wpl_is_read_and_written_back_alike_or_refused(shared_data, tmp_path, data):
    wpls = sorted(p for p in (shared_data / "mission-files" / "wpl").iterdir() if p.is_file())
    source = data.draw(st.sampled_from(wpls))
    path = tmp_path / "damaged.waypoints"
    path.write_text(data.draw(damaged_text(source.read_text(encoding="utf-8-sig"))))
    wpl = _read_or_refused(read_wpl_file, path)
    if wpl is not None:
        write_wpl_file(tmp_path / "again.waypoints", wpl)
        assert repr(read_wpl_file(tmp_path / "again.waypoints")) == repr(wpl)
