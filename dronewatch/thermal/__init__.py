"""Thermal frames to georeferenced findings: read, detect, place, fuse."""

from dronewatch.thermal.detect import detect
from dronewatch.thermal.detection import Detection, FindingKind, HotspotModel, PersonModel
from dronewatch.thermal.frame import Frame, PixelUnit
from dronewatch.thermal.frameio import FrameError, FrameTally, read_frame, read_frames, write_frame
from dronewatch.thermal.fusion import FusedFinding, Fuser, FusionUpdate
from dronewatch.thermal.georef import EXACT_POSE, GroundFix, PoseUncertainty, locate_pixels
from dronewatch.thermal.learned import BoxDetector, ModelError, default_detector
from dronewatch.thermal.placement import GroundScale, flat_ground_scale
from dronewatch.thermal.posetrack import PoseSample, PoseTrack

__all__ = [
    "EXACT_POSE",
    "BoxDetector",
    "Detection",
    "FindingKind",
    "Frame",
    "FrameError",
    "FrameTally",
    "FusedFinding",
    "Fuser",
    "FusionUpdate",
    "GroundFix",
    "GroundScale",
    "HotspotModel",
    "ModelError",
    "PersonModel",
    "PixelUnit",
    "PoseSample",
    "PoseTrack",
    "PoseUncertainty",
    "default_detector",
    "detect",
    "flat_ground_scale",
    "locate_pixels",
    "read_frame",
    "read_frames",
    "write_frame",
]
