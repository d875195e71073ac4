"""Talking to MAVLink vehicles (ArduPilot, PX4, our simulator) reliably over poor links.

    with connect("udpout:127.0.0.1:14550") as vehicle:
        vehicle.wait_ready(120)
        vehicle.upload(items); vehicle.upload(fence, MissionType.FENCE); vehicle.enable_fence()
        vehicle.set_current(1); vehicle.launch(40)   # GUIDED, arm, take off, AUTO
"""

from dronewatch.link.camera import CameraCheck, CameraState
from dronewatch.link.connection import Link, Subscription
from dronewatch.link.errors import (
    CommandError,
    LaunchError,
    LinkError,
    LinkLostError,
    MissionTransferError,
    NoHeartbeatError,
    NotReadyError,
    ParamError,
    SignatureMismatchError,
)
from dronewatch.link.fence import FenceError, FenceSettings
from dronewatch.link.launch import LaunchReport
from dronewatch.link.mission import UploadReport
from dronewatch.link.results import CommandResult, MissionResult
from dronewatch.link.shots import CameraShot, PositionFix, ShotFeed
from dronewatch.link.signing import signing_key
from dronewatch.link.state import Home, VehicleState
from dronewatch.link.vehicle import Vehicle, connect, connect_paced

__all__ = [
    "CameraCheck",
    "CameraShot",
    "CameraState",
    "CommandError",
    "CommandResult",
    "FenceError",
    "FenceSettings",
    "Home",
    "LaunchError",
    "LaunchReport",
    "Link",
    "LinkError",
    "LinkLostError",
    "MissionResult",
    "MissionTransferError",
    "NoHeartbeatError",
    "NotReadyError",
    "ParamError",
    "PositionFix",
    "ShotFeed",
    "SignatureMismatchError",
    "Subscription",
    "UploadReport",
    "Vehicle",
    "VehicleState",
    "connect",
    "connect_paced",
    "signing_key",
]
