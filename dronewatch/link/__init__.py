"""Talking to MAVLink vehicles (ArduPilot, PX4, our simulator) reliably over poor links.

    with connect("udpout:127.0.0.1:14550") as vehicle:
        vehicle.set_mode("GUIDED"); vehicle.arm(); vehicle.takeoff(40)
"""

from dronewatch.link.connection import Link, Subscription
from dronewatch.link.errors import (
    CommandError,
    LinkError,
    LinkLostError,
    MissionTransferError,
    NoHeartbeatError,
    ParamError,
)
from dronewatch.link.mission import UploadReport
from dronewatch.link.state import Home, VehicleState
from dronewatch.link.vehicle import Vehicle, connect, connect_paced

__all__ = [
    "CommandError",
    "Home",
    "Link",
    "LinkError",
    "LinkLostError",
    "MissionTransferError",
    "NoHeartbeatError",
    "ParamError",
    "Subscription",
    "UploadReport",
    "Vehicle",
    "VehicleState",
    "connect",
    "connect_paced",
]
