"""What a detector reports, and what persons and hotspots look like to the rules.

Why temperature bands: a sheep's wool and a car's body are warm blobs too, and in a
radiometric frame their surface temperature and size tell them apart from a person,
where an 8-bit AGC frame can only go by size, contrast and (for the network) shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from dronewatch.kinds import FindingKind
from dronewatch.thermal.georef import GroundFix

__all__ = ["Detection", "FindingKind", "HotspotModel", "PersonModel"]


@dataclass(frozen=True, slots=True)
class PersonModel:
    """What a person looks like from above at night or in the day.

    Sizes cover standing (head and shoulders, ~0.5 x 0.35 m), sitting (~0.9 x 0.7 m)
    and lying (~1.8 x 0.5 m) people; the temperature band is a clothed body's apparent
    surface temperature, from a cold night (well below skin) to a sunny day.
    """

    min_area_m2: float = 0.06
    max_area_m2: float = 1.3
    max_length_m: float = 2.3
    max_width_m: float = 1.1
    min_contrast_k: float = 8.0  # wool-covered sheep stay below this over their ground
    min_peak_c: float = 5.0
    max_peak_c: float = 42.0
    agc_min_contrast: float = 60.0  # display levels of 8-bit AGC frames (HIT-UAV train)
    agc_min_sigmas: float = 2.5  # ... and this many scene sigmas


@dataclass(frozen=True, slots=True)
class HotspotModel:
    """Hot ground as coal-fire mapping finds it: an absolute threshold, or far above the
    scene (median + k·sigma, and at least ``min_rise_k``), over at least ``min_area_m2``."""

    absolute_c: float = 60.0
    k_sigma: float = 4.0
    min_rise_k: float = 25.0
    min_area_m2: float = 3.0
    agc_min_rise: float = 80.0  # display levels above the scene median, for 8-bit frames


@dataclass(frozen=True, slots=True)
class Detection:
    """One thing seen in one frame."""

    kind: FindingKind
    time_unix_s: float
    u_px: float
    v_px: float
    confidence: float
    area_m2: float
    length_m: float
    width_m: float
    contrast: float  # kelvin for radiometric frames, display levels for AGC
    peak_c: float | None  # None for AGC frames
    mean_c: float | None
    fix: GroundFix | None  # None when the frame had no pose
    source: str = ""
    box_px: tuple[float, float, float, float] | None = None  # x, y, w, h (network only)
