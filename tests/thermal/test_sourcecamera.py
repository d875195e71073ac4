"""The camera of a shot from its EXIF: focal length, the core's pixel pitch, digital zoom."""

from __future__ import annotations

import math

import pytest

from dronewatch.geo import camera_preset
from dronewatch.thermal.sources.camera import camera_for


def _hfov(focal_mm: float, pitch_um: float = 12.0, width_px: int = 640) -> float:
    return 2 * math.degrees(math.atan(width_px * pitch_um / 1000 / 2 / focal_mm))


@pytest.mark.parametrize(("model", "width", "focal_mm", "hfov_deg"), [
    ("ZH20T", 640, 13.5, _hfov(13.5)),
    ("MAVIC2-ENTERPRISE-ADVANCED", 640, 9.0, _hfov(9.0)),  # 12 µm, 9 mm: 46.2°
    ("H30T", 1280, 24.0, _hfov(24.0, width_px=1280)),  # a 1280-wide 12 µm core
    ("H30T", 640, 24.0, _hfov(24.0, width_px=1280)),  # its counts at half size: same view
])
def test_the_field_of_view_follows_from_the_focal_length_and_the_cores_pitch(
        model, width, focal_mm, hfov_deg):
    camera = camera_for(model, width, width * 4 // 5, focal_length_mm=focal_mm)
    assert camera is not None and camera.hfov_deg == pytest.approx(hfov_deg, abs=1e-6)


@pytest.mark.parametrize("zoom", [None, 0.0, 1.0])
def test_no_digital_zoom_leaves_the_lens_field_of_view(zoom):
    camera = camera_for("ZH20N", 640, 512, focal_length_mm=6.0, digital_zoom=zoom)
    assert camera.hfov_deg == pytest.approx(_hfov(6.0))
    assert "zoom" not in camera.source


def test_a_digitally_zoomed_shot_sees_a_field_narrowed_by_the_ratio():
    """An H20N shot at 1.79x digital zoom (6.0 mm lens): the picture is the middle
    1/1.79 of the sensor enlarged, so a pixel covers 1/1.79 of the angle it would."""
    plain = camera_for("ZH20N", 640, 512, focal_length_mm=6.0)
    zoomed = camera_for("ZH20N", 640, 512, focal_length_mm=6.0, digital_zoom=1.79)
    assert zoomed.focal_px == pytest.approx(1.79 * plain.focal_px)
    assert math.tan(math.radians(zoomed.hfov_deg / 2)) == pytest.approx(
        math.tan(math.radians(plain.hfov_deg / 2)) / 1.79)
    assert "digital zoom 1.79x" in zoomed.source
    # a file without a focal length falls back to the preset, zoomed the same way
    preset = camera_for("ZH20T", 640, 512, focal_length_mm=None, digital_zoom=2.0)
    assert preset.focal_px == pytest.approx(2.0 * camera_preset("dji-h20t").focal_px)


def test_an_unknown_model_without_a_field_of_view_is_none():
    assert camera_for("Some Camera", 640, 512, focal_length_mm=9.0) is None
