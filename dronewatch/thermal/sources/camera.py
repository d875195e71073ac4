"""The camera model of a shot: from the file's own numbers first, presets second.

Why this order: a payload's field of view follows from its lens focal length (in
EXIF) and its detector's pixel pitch (fixed per model), so the file says which of a
camera's lenses or zoom steps took the shot; a preset, by contrast, knows only the
usual lens. FLIR files store their field of view outright.

Digital zoom (EXIF ``DigitalZoomRatio``, e.g. 1.79 on a DJI H20N shot) means the
picture, and the raw counts laid out as it, are a crop of the sensor enlarged to the
full size: the field of view is the lens's narrowed by the ratio, as if the focal
length were that many times longer. Ignoring it would place everything at the edge of
a 2x-zoomed shot twice as far from the centre as it is.
"""

from __future__ import annotations

from dronewatch.geo.camera import CAMERA_PRESETS, CameraModel

__all__ = ["PIXEL_PITCH_UM", "camera_for"]

#: Detector pixel pitch by EXIF model name. DJI's XT/XT-R (Model "FLIR"), XT2 and XT S
#: use FLIR Tau 2 / similar 17 µm cores; DJI's own VOx cores are 12 µm (the Mavic 2
#: Enterprise Advanced writes its long model name; the Matrice 4T/4TD "M4T"/"M4TD").
PIXEL_PITCH_UM: dict[str, float] = {
    "ZH20T": 12.0, "ZH20N": 12.0, "ZH30T": 12.0, "H30T": 12.0, "M30T": 12.0, "M3T": 12.0,
    "M3TD": 12.0, "MAVIC2-ENTERPRISE-ADVANCED": 12.0, "M4T": 12.0, "M4TD": 12.0,
    "XT2": 17.0, "XT S": 17.0, "FLIR": 17.0,
}

#: Preset by EXIF model name, for files without a focal length.
_PRESET_BY_MODEL: dict[str, str] = {
    "ZH20T": "dji-h20t", "M30T": "dji-m30t", "M3T": "dji-m3t", "XT2": "dji-xt2-19",
    "MAVIC2-ENTERPRISE-ADVANCED": "dji-m2ea",
}


def camera_for(model: str, width_px: int, height_px: int, *, focal_length_mm: float | None,
               hfov_deg: float | None = None,
               digital_zoom: float | None = None) -> CameraModel | None:
    """The camera for an image of this size, or None when nothing is known.

    Parameters
    ----------
    model
        EXIF ``Model`` (DJI writes e.g. ``ZH20T``, ``M3T``, ``XT S``).
    width_px, height_px
        The size of the pixel array the frame will hold (the raw counts' size, which
        may differ from the JPEG picture's).
    focal_length_mm
        EXIF ``FocalLength``.
    hfov_deg
        A field of view the file states outright (FLIR CameraInfo).
    digital_zoom
        EXIF ``DigitalZoomRatio``; 0, 1 or None is no zoom (see the module docstring).
    """
    name = model.strip() or "camera"
    if hfov_deg is not None:
        return CameraModel(width_px, height_px, hfov_deg, name, "field of view from the file")
    zoom = digital_zoom if digital_zoom is not None and digital_zoom > 1.0 else 1.0
    zoomed = f", digital zoom {zoom:g}x" if zoom > 1.0 else ""
    pitch = PIXEL_PITCH_UM.get(name)
    if pitch is not None and focal_length_mm and focal_length_mm > 0:
        # the pitch refers to the core's native 640-wide (or 1280-wide) array
        native = 1280 if name in ("ZH30T", "H30T") else 640
        return CameraModel.from_sensor(
            width_px, height_px, pixel_pitch_um=pitch * native / width_px,
            focal_length_mm=focal_length_mm * zoom, name=name,
            source=f"EXIF focal length {focal_length_mm:g} mm, {pitch:g} µm pixel pitch{zoomed}")
    preset = CAMERA_PRESETS.get(_PRESET_BY_MODEL.get(name, ""))
    if preset is None:
        return None
    return preset.resized(width_px, height_px, digital_zoom=zoom)
