"""A thermal frame: pixels, the unit they are in, when it was taken and from where.

Why the unit travels with the pixels: radiometric cameras store temperature in
different fixed-point steps (centi-kelvin, deci-kelvin, FLIR's 0.04 K "TLinear") and
an 8-bit AGC video frame holds no temperature at all. A detector that guessed would
call a 20 °C person 2 °C; so each frame says what its numbers mean, and the detector
turns its thresholds into the frame's own unit instead of converting every pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from dronewatch.geo.camera import CameraModel
from dronewatch.geo.projection import CameraPose
from dronewatch.thermal.laserrange import LaserRange

__all__ = ["KELVIN_OFFSET", "Frame", "PixelUnit"]

KELVIN_OFFSET = 273.15


class PixelUnit(StrEnum):
    """What a pixel value means."""

    CENTI_KELVIN = "centikelvin"  # uint16, 0.01 K steps (DJI, many SDKs)
    DECI_KELVIN = "decikelvin"  # uint16, 0.1 K steps
    TLINEAR_0_04K = "tlinear-0.04k"  # uint16, 0.04 K steps (FLIR Boson/Tau "TLinear" high-res)
    CELSIUS = "celsius"  # float32 degrees Celsius
    AGC_8BIT = "agc-8bit"  # uint8 display levels: brighter is warmer, no temperature
    #: uint16 uncalibrated sensor counts (DJI R-JPEG APP3/APP4 raw without DJI's SDK):
    #: monotonic in scene radiance, so warmer is brighter, but NOT a temperature and
    #: not linear in kelvin; the offset and gain differ per camera and per shot.
    #: Detection must treat it like AGC (relative contrast within the frame, e.g.
    #: percentile-stretched to 8 bit), never with °C thresholds.
    RAW_COUNTS = "raw-counts"

    @property
    def radiometric(self) -> bool:
        """True when pixel values convert to temperatures."""
        return self not in (PixelUnit.AGC_8BIT, PixelUnit.RAW_COUNTS)

    @property
    def dtype(self) -> np.dtype:
        if self is PixelUnit.CELSIUS:
            return np.dtype(np.float32)
        if self is PixelUnit.AGC_8BIT:
            return np.dtype(np.uint8)
        return np.dtype(np.uint16)

    @property
    def kelvin_per_count(self) -> float:
        """Size of one step; for AGC a nominal 1 (levels, not kelvin)."""
        return {PixelUnit.CENTI_KELVIN: 0.01, PixelUnit.DECI_KELVIN: 0.1,
                PixelUnit.TLINEAR_0_04K: 0.04}.get(self, 1.0)

    def to_celsius(self, raw: NDArray | float) -> NDArray[np.float64] | float:
        """Pixel values to °C (radiometric units only)."""
        if not self.radiometric:
            raise ValueError(f"a {self.value} frame holds display levels or raw counts, "
                             "not temperatures")
        if self is PixelUnit.CELSIUS:
            return np.asarray(raw, dtype=np.float64) if np.ndim(raw) else float(raw)
        return np.asarray(raw, dtype=np.float64) * self.kelvin_per_count - KELVIN_OFFSET

    def from_celsius(self, celsius_c: NDArray | float) -> NDArray | float:
        """°C to this unit's pixel values (rounded and clipped for integer units)."""
        if not self.radiometric:
            raise ValueError(f"a {self.value} frame holds display levels or raw counts, "
                             "not temperatures")
        if self is PixelUnit.CELSIUS:
            return np.asarray(celsius_c, dtype=np.float32)
        counts = (np.asarray(celsius_c, dtype=np.float64) + KELVIN_OFFSET) / self.kelvin_per_count
        return np.clip(np.rint(counts), 0, 65535).astype(np.uint16)


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One thermal image and everything needed to place what it shows.

    Parameters
    ----------
    pixels
        (height, width) array in ``unit``'s dtype.
    unit
        What the numbers mean.
    time_unix_s
        Capture time.
    camera
        The camera model (size must match ``pixels``).
    pose
        Where the camera was and how it was turned; None when not known (yet): a pose
        can be added from the flight's telemetry with :meth:`with_pose`.
    source
        Where the frame came from (file path or stream name), for error messages.
    overlay_mask
        True where the pixels are burned-in on-screen text or graphics (date, position,
        logos, scales) rather than the scene; None when nothing was found or looked
        for. Detection must ignore these pixels: an overlay's sharp bright strokes look
        like small warm bodies.
    laser
        A laser rangefinder's distance along the optical axis at the shot (DJI H20T,
        M30T), when the camera has one: detection then takes the camera's height over
        the terrain from it (see ``laserrange``).
    time_zone_known
        False when ``time_unix_s`` is a wall-clock time of unknown zone read as UTC (a
        JPEG's EXIF time without an offset, as DJI writes it): whoever knows the
        camera's zone (the station's, for its own drones) puts it right.
    """

    pixels: NDArray
    unit: PixelUnit
    time_unix_s: float
    camera: CameraModel
    pose: CameraPose | None = None
    source: str = ""
    overlay_mask: NDArray[np.bool_] | None = None
    laser: LaserRange | None = None
    time_zone_known: bool = True

    def __post_init__(self) -> None:
        name = self.source or "frame"
        if self.pixels.ndim != 2:
            raise ValueError(f"{name}: pixels must be a 2-D array, got shape {self.pixels.shape}")
        if self.pixels.shape != (self.camera.height_px, self.camera.width_px):
            raise ValueError(
                f"{name}: pixels are {self.pixels.shape[1]}x{self.pixels.shape[0]}, camera "
                f"{self.camera.name!r} is {self.camera.width_px}x{self.camera.height_px}")
        if self.pixels.dtype != self.unit.dtype:
            raise ValueError(f"{name}: {self.unit.value} pixels must be {self.unit.dtype}, "
                             f"got {self.pixels.dtype}")
        if not np.isfinite(self.time_unix_s):
            raise ValueError(f"{name}: time_unix_s must be finite")
        if self.overlay_mask is not None and (self.overlay_mask.shape != self.pixels.shape
                                              or self.overlay_mask.dtype != np.bool_):
            raise ValueError(f"{name}: overlay_mask must be a bool array of the pixels' shape")

    def with_pose(self, pose: CameraPose) -> Frame:
        return replace(self, pose=pose)

    def celsius(self) -> NDArray[np.float64]:
        """The whole frame in °C (radiometric frames only)."""
        return np.asarray(self.unit.to_celsius(self.pixels))
