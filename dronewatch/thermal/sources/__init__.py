"""Frame sources for files that real thermal cameras write.

Why a package of its own: each vendor hides its pixels and pose in a different place
(FLIR: FFF records in APP1; DJI: raw counts in APP3/APP4, pose in XMP), and each
reader has to say plainly what its numbers mean. What is supported, per format:

=====================  ===================  ====================  ==========================
format                 pixels               camera                pose
=====================  ===================  ====================  ==========================
FLIR FFF (FLIR, DJI    °C via flyr and the  stored field of view  DJI XMP (XT2/XT-R) + EXIF
XT/XT-R/XT2)           file's calibration   or EXIF focal length  GPS; FLIR handhelds: none
DJI R-JPEG (H20T,      raw 16-bit counts,   EXIF focal length and XMP: GPS, absolute and
H20N, H30T, M30T,      UNCALIBRATED (DJI's  core pixel pitch,     relative altitude, flight
M3T/M3TD, M2EA,        SDK not available)   digital zoom;         and gimbal attitude;
M4T/M4TD, XT S)                             presets as fallback   laser range (LRF)
other JPEG             8-bit levels; grey   preset/sidecar/arg    EXIF GPS + DJI XMP if any
                       or palette inverted;
                       overlay text masked
recorded video (DJI    8-bit levels, as     named (a video names  DJI .SRT beside it:
clips: MP4/MOV ...)    other JPEG; a frame  none), digital zoom   position, abs_alt, gimbal
                       every N s            from the .SRT         (enterprise aircraft)
=====================  ===================  ====================  ==========================

Not supported: DJI's temperature calibration of R-JPEGs (closed SDK); FLIR's
sequence (SEQ/CSQ) and MSX-blended pictures as temperature; palettes other than grey
and OpenCV's colormaps (refused, never guessed).
"""

from dronewatch.thermal.sources.metadata import ShotMetadata, read_metadata
from dronewatch.thermal.sources.overlay import overlay_mask, without_overlay
from dronewatch.thermal.sources.palette import PaletteError, PaletteLevels, palette_to_intensity
from dronewatch.thermal.sources.rjpeg import JpegFrameError, read_thermal_jpeg

__all__ = [
    "JpegFrameError",
    "PaletteError",
    "PaletteLevels",
    "ShotMetadata",
    "overlay_mask",
    "palette_to_intensity",
    "read_metadata",
    "read_thermal_jpeg",
    "without_overlay",
]
