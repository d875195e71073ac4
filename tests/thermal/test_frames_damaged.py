"""Real radiometric JPEGs, damaged: read, or refused naming the file; never a crash.

A camera's card pulled mid-write, a copy cut short, a tool that rewrote the EXIF: a
bad frame among thousands is skipped and counted, so the reader must refuse it with
its own error, not with a ``struct.error`` from deep inside a segment parser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronewatch.thermal import PixelUnit, read_frame
from dronewatch.thermal.frameio import FrameError
from tests.mutations import damaged_bytes

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "thermal-jpeg"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/thermal-jpeg absent")
PICTURES = sorted(p for p in DATA.rglob("*") if p.suffix.lower() == ".jpg") \
    if DATA.is_dir() else []


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_damaged_thermal_jpeg_is_read_or_refused_naming_it(tmp_path, data):
    source = data.draw(st.sampled_from(PICTURES))
    path = tmp_path / f"damaged{source.suffix}"
    path.write_bytes(data.draw(damaged_bytes(source.read_bytes())))
    try:
        frame = read_frame(path)
    except FrameError as exc:
        assert str(path) in str(exc), exc
    else:
        assert frame.pixels.ndim == 2 and frame.pixels.size > 0
        if frame.unit is PixelUnit.CELSIUS:
            assert np.isfinite(frame.pixels).any()
