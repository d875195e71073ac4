"""A camera writing its shots into a folder: which time a shot is given."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from dronewatch.ops.feed import directory_source
from tests.thermal.test_dji_xmp import H20T, with_dji_xmp

pytestmark = pytest.mark.skipif(not H20T.is_file(), reason="../shared/data/thermal-jpeg absent")


def test_a_live_camera_folder_dates_a_zoneless_jpeg_by_when_it_was_written(tmp_path):
    """Live, a JPEG's EXIF time of no zone is hours off the telemetry's clock: the folder
    source takes the file's write time instead (a sidecar's or UTC time still wins)."""
    picture = tmp_path / "DJI_0007_T.JPG"
    picture.write_bytes(H20T.read_bytes())
    written = datetime(2026, 12, 3, 4, 0, 0, tzinfo=UTC).timestamp()
    os.utime(picture, (written, written))
    (frame,) = directory_source(tmp_path).frames_between(written - 1, written + 1)
    assert frame.time_unix_s == pytest.approx(written) and frame.time_zone_known
    with_dji_xmp(H20T, picture, {"UTCAtExposure": "2026:12:03 03:59:58.500000"})
    os.utime(picture, (written, written))
    (frame,) = directory_source(tmp_path).frames_between(written - 5, written + 1)
    assert frame.time_unix_s == pytest.approx(written - 1.5)
