"""Where a frame's pixels are on the ground, and how big they are there.

Why size on the ground and not in pixels: at 60 m a lying person is 20 pixels long
and at 120 m 10; only the ground sample distance at the object's own pixel (from the
pose and terrain, or a flat-ground scale when there is no pose) makes "person-sized"
one rule at every altitude and view angle.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dronewatch.geo.terrain import Terrain
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.georef import GroundFix, Locator, PoseUncertainty
from dronewatch.thermal.laserrange import RangedPose, ranged_pose

__all__ = ["FrameGeometry", "GroundScale", "flat_ground_scale", "plausible_area"]

GroundScale = Callable[[float, float], tuple[float, float]]
"""(u, v) -> metres per pixel (across, along the look direction), for frames without pose."""


def flat_ground_scale(camera_hfov_deg: float, width_px: int, height_px: int,
                      height_agl_m: float, pitch_deg: float = -90.0) -> GroundScale:
    """Ground scale over level ground for a camera at a height and a pitch (no pose)."""
    focal = (width_px / 2.0) / math.tan(math.radians(camera_hfov_deg) / 2.0)
    cv = (height_px - 1) / 2.0

    def scale(u: float, v: float) -> tuple[float, float]:
        depression = math.radians(-pitch_deg) - math.atan((v - cv) / focal)
        depression = min(max(depression, math.radians(5.0)), math.radians(90.0))
        slant = height_agl_m / math.sin(depression)
        across = slant / focal
        return across, across / math.sin(depression)

    return scale


class FrameGeometry:
    """Ground scale and placement for one frame: from its pose, or from a flat scale.

    A frame with a laser range is placed from the height the range implies (``ranged``
    says whether it was taken, and why not).
    """

    def __init__(self, frame: Frame, terrain: Terrain | None, scale: GroundScale | None,
                 uncertainty: PoseUncertainty) -> None:
        self.locator = None
        self.ranged: RangedPose | None = None
        if frame.pose is not None and terrain is not None:
            pose = frame.pose
            if frame.laser is not None:
                self.ranged = ranged_pose(terrain, frame.camera, pose, frame.laser)
                pose = self.ranged.pose
            self.locator = Locator(terrain, frame.camera, pose, uncertainty)
        elif scale is None:
            raise ValueError(f"{frame.source or 'frame'}: detection needs a pose and "
                             "terrain, or a ground scale")
        self.scale = scale

    def rough(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Scale over level ground below the camera (see ``Locator.rough_scales``)."""
        if self.locator is None:
            return [self.scale(u, v) for u, v in points]  # type: ignore[misc]
        return self.locator.rough_scales([p[0] for p in points], [p[1] for p in points])

    def place(self, points: list[tuple[float, float]],
              ) -> list[tuple[GroundFix | None, float, float] | None]:
        """Exact placement and scale; None where a pixel sees no ground."""
        if self.locator is None:
            return [(None, *self.scale(u, v)) for u, v in points]  # type: ignore[misc]
        fixes = self.locator.locate([p[0] for p in points], [p[1] for p in points])
        return [(f, f.gsd_across_m, f.gsd_along_m) if f is not None else None for f in fixes]


def plausible_area(area_px: float, across: float, along: float, low_m2: float,
                    high_m2: float) -> bool:
    """Whether a roughly scaled area could be within [low, high] (x3 either way)."""
    area = area_px * across * along
    return not (area < low_m2 / 3 or area > high_m2 * 3)  # NaN (no scale yet) passes
