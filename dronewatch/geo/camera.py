"""Thermal camera intrinsics and the presets of common 640x512 cores.

Why: detection needs the ground size of a pixel and georeferencing needs the ray
through it; both come from the pinhole model here. Pixel coordinates follow OpenCV:
the centre of pixel (col, row) is at (u, v) = (col, row), so the image spans
-0.5 .. width-0.5 and blob centroids from OpenCV can be used as they are.
Radiometric thermal cores have negligible distortion at these fields of view, so no
distortion model is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewatch.errors import preset

__all__ = ["CAMERA_PRESETS", "CameraModel", "camera_preset"]


@dataclass(frozen=True, slots=True)
class CameraModel:
    """A pinhole camera: resolution and horizontal field of view, square pixels.

    Parameters
    ----------
    width_px, height_px
        Image size.
    hfov_deg
        Horizontal field of view, edge to edge.
    name
        What it is, for reports.
    source
        Where the numbers come from (datasheet), for presets.
    """

    width_px: int
    height_px: int
    hfov_deg: float
    name: str = "camera"
    source: str = ""

    def __post_init__(self) -> None:
        if self.width_px < 2 or self.height_px < 2:
            raise ValueError(f"camera {self.name!r}: image must be at least 2x2 pixels")
        if not 1.0 <= self.hfov_deg <= 170.0:
            raise ValueError(f"camera {self.name!r}: hfov_deg {self.hfov_deg} outside [1, 170]")

    @classmethod
    def from_sensor(
        cls,
        width_px: int,
        height_px: int,
        *,
        pixel_pitch_um: float,
        focal_length_mm: float,
        name: str = "camera",
        source: str = "",
    ) -> CameraModel:
        """Build from the detector's pixel pitch and the lens focal length."""
        half_width_mm = width_px * pixel_pitch_um / 1000.0 / 2.0
        hfov = 2.0 * math.degrees(math.atan(half_width_mm / focal_length_mm))
        return cls(width_px, height_px, hfov, name, source)

    @classmethod
    def from_diagonal_fov(
        cls, width_px: int, height_px: int, dfov_deg: float, *, name: str = "camera",
        source: str = "",
    ) -> CameraModel:
        """Build from a diagonal field of view, as many datasheets (DJI's) state it."""
        diagonal_px = math.hypot(width_px, height_px)
        tan_half_h = math.tan(math.radians(dfov_deg) / 2.0) * width_px / diagonal_px
        return cls(width_px, height_px, 2.0 * math.degrees(math.atan(tan_half_h)), name, source)

    def resized(self, width_px: int, height_px: int, *, digital_zoom: float = 1.0,
                ) -> CameraModel:
        """The same lens seen through a picture of another size (a stream scaled by its
        encoder) and a digital zoom (a crop enlarged to the whole picture: the field of
        view narrows as if the focal length were that many times longer)."""
        zoom = digital_zoom if digital_zoom > 1.0 else 1.0
        if (width_px, height_px) == (self.width_px, self.height_px) and zoom == 1.0:
            return self
        hfov = 2.0 * math.degrees(math.atan(math.tan(math.radians(self.hfov_deg) / 2.0) / zoom))
        source = self.source + (f", digital zoom {zoom:g}x" if zoom > 1.0 else "")
        return CameraModel(width_px, height_px, hfov, self.name, source)

    @property
    def focal_px(self) -> float:
        """Focal length in pixels."""
        return (self.width_px / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view, edge to edge."""
        return 2.0 * math.degrees(math.atan((self.height_px / 2.0) / self.focal_px))

    @property
    def principal_point_px(self) -> tuple[float, float]:
        """(u, v) of the optical axis: the image centre."""
        return (self.width_px - 1) / 2.0, (self.height_px - 1) / 2.0

    def nadir_gsd_m(self, height_agl_m: float) -> float:
        """Ground sample distance of a nadir view over flat ground: metres per pixel."""
        return height_agl_m / self.focal_px

    def pixel_rays(self, u_px: ArrayLike, v_px: ArrayLike) -> NDArray[np.float64]:
        """Unit ray directions in the optical frame (x right, y down, z forward), shape (N, 3)."""
        u = np.ravel(np.asarray(u_px, dtype=float))
        v = np.ravel(np.asarray(v_px, dtype=float))
        cu, cv = self.principal_point_px
        rays = np.stack([(u - cu) / self.focal_px, (v - cv) / self.focal_px, np.ones_like(u)], 1)
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    def project(
        self, vectors_optical: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """Optical-frame vectors to (u, v) pixels and whether each falls inside the image."""
        vec = np.atleast_2d(np.asarray(vectors_optical, dtype=float))
        z = vec[:, 2]
        in_front = z > 1e-9
        safe_z = np.where(in_front, z, np.nan)
        cu, cv = self.principal_point_px
        u = self.focal_px * vec[:, 0] / safe_z + cu
        v = self.focal_px * vec[:, 1] / safe_z + cv
        edge = 0.5 + 1e-6  # the image's outer edge, with room for rounding
        with np.errstate(invalid="ignore"):
            inside = (
                in_front
                & (u >= -edge)
                & (u <= self.width_px - 1 + edge)
                & (v >= -edge)
                & (v <= self.height_px - 1 + edge)
            )
        return u, v, inside

    def border_pixels(self, samples_per_edge: int = 16) -> tuple[NDArray[np.float64], ...]:
        """(u, v) points around the image's outer edge, clockwise from the top-left corner."""
        n = max(int(samples_per_edge), 1)
        left, right = -0.5, self.width_px - 0.5
        top, bottom = -0.5, self.height_px - 0.5
        s = np.linspace(0.0, 1.0, n, endpoint=False)
        u = np.concatenate([left + s * (right - left), np.full(n, right),
                            right - s * (right - left), np.full(n, left)])
        v = np.concatenate([np.full(n, top), top + s * (bottom - top),
                            np.full(n, bottom), bottom - s * (bottom - top)])
        return u, v


#: Common radiometric thermal payloads. DJI states diagonal fields of view, and the
#: 40.6° / 61° figures often quoted for these cameras are those diagonals. Where a
#: datasheet gives the focal length and pixel pitch instead, the field follows from
#: them. Readers of image files prefer the file's own focal length and the core's pixel
#: pitch (``dronewatch.thermal.sources.camera``; that is how H20N and H30T files are
#: read, as their lens and zoom vary) and fall back to these.
CAMERA_PRESETS: dict[str, CameraModel] = {
    preset.name: preset
    for preset in (
        CameraModel.from_diagonal_fov(
            640, 512, 40.6, name="dji-h20t",
            source="DJI Zenmuse H20T datasheet: thermal 640x512, 13.5 mm, DFOV 40.6°",
        ),
        CameraModel.from_diagonal_fov(
            640, 512, 61.0, name="dji-m30t",
            source="DJI Matrice 30T datasheet: thermal 640x512, 9.1 mm, DFOV 61°",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=12.0, focal_length_mm=9.0, name="dji-m2ea",
            source="DJI Mavic 2 Enterprise Advanced datasheet: thermal 640x512 12 µm, 9 mm",
        ),
        CameraModel.from_diagonal_fov(
            640, 512, 61.0, name="dji-m3t",
            source="DJI Mavic 3 Thermal datasheet: thermal 640x512 12 µm, 9.1 mm "
                   "(40 mm equivalent), DFOV 61°",
        ),
        *(
            CameraModel.from_sensor(
                640, 512, pixel_pitch_um=17.0, focal_length_mm=focal, name=f"dji-xt2-{focal:g}",
                source=f"DJI Zenmuse XT2 datasheet: 640x512 17 µm (FLIR Tau 2), {focal:g} mm lens",
            )
            for focal in (9.0, 13.0, 19.0, 25.0)
        ),
        CameraModel(
            640, 512, 50.0, name="flir-boson-640-50",
            source="Teledyne FLIR Boson 640 datasheet: 8.7 mm lens, HFOV 50°",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=12.0, focal_length_mm=14.0, name="flir-boson-640-14",
            source="Teledyne FLIR Boson 640 datasheet: 12 µm, 14 mm lens",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=17.0, focal_length_mm=19.0, name="flir-vue-pro-r-640-19",
            source="FLIR Vue Pro R 640 datasheet: 17 µm pitch, 19 mm lens, 32° x 26°",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=12.0, focal_length_mm=19.0, name="siyi-zt30",
            source="SIYI ZT30 datasheet: thermal 640x512 12 µm, 19 mm",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=12.0, focal_length_mm=13.0, name="siyi-zt6",
            source="SIYI ZT6 datasheet: thermal 640x512 12 µm, 13 mm",
        ),
        CameraModel.from_sensor(
            640, 512, pixel_pitch_um=17.0, focal_length_mm=13.0, name="flir-vue-pro-r-640-13",
            source="FLIR Vue Pro R 640 datasheet: 17 µm pitch, 13 mm lens, 45° x 37°",
        ),
    )
}


def camera_preset(name: str) -> CameraModel:
    """A preset by name.

    Raises
    ------
    UnknownPresetError
        No preset has that name; the message lists the known ones.
    """
    return preset(CAMERA_PRESETS, name, "camera preset")
