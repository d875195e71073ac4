"""PX4 ULog (.ulg) to poses and shots, through pyulog.

Why a module of its own: ULog is PX4's own format (uORB topics with microsecond boot
timestamps), read with PX4's own parser, and has nothing in common with MAVLink's
framing. Topics used: ``vehicle_global_position`` (lat/lon in degrees, ``alt`` AMSL in
metres), ``vehicle_attitude`` (quaternion), ``gimbal_device_attitude_status``
(quaternion, when a gimbal is logged), ``camera_capture`` (the shot's own position and
attitude) else ``camera_trigger`` (the shot's time only), and ``sensor_gps`` /
``vehicle_gps_position`` for the UTC time of the boot clock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pyulog import ULog
from pyulog.exceptions import ULogException

from dronewatch.link.logs import (
    FlightLog,
    FlightLogError,
    LoggedPose,
    LoggedShot,
    logged_pose,
)
from dronewatch.link.state import _gimbal_angles, euler_deg

__all__ = ["read_ulog"]

_TOPICS = ["vehicle_global_position", "vehicle_attitude", "gimbal_device_attitude_status",
           "camera_capture", "camera_trigger", "sensor_gps", "vehicle_gps_position"]

Topic = dict[str, NDArray]

_QUATERNION = tuple(f"q[{i}]" for i in range(4))
_FIELDS = {  # what is read of each topic; a topic logged without one is refused, named
    "vehicle_global_position": ("timestamp", "lat", "lon", "alt"),
    "vehicle_attitude": ("timestamp", *_QUATERNION),
    "gimbal_device_attitude_status": ("timestamp", *_QUATERNION),
    "camera_capture": ("timestamp", "seq", "lat", "lon", "alt", *_QUATERNION),
    "camera_trigger": ("timestamp", "seq"),
    "sensor_gps": ("timestamp",),
    "vehicle_gps_position": ("timestamp",),
}


def _quaternions(topic: Topic) -> NDArray:
    return np.stack([topic[f"q[{i}]"] for i in range(4)], axis=1)


def _latest(times_us: NDArray, at_us: NDArray) -> NDArray:
    """Index of the last sample at or before each time (-1 when none)."""
    return np.searchsorted(times_us, at_us, side="right") - 1


def _utc_offset_us(topics: dict[str, Topic]) -> int | None:
    """UTC minus boot time, from the first GPS sample (or shot) that knows UTC."""
    for name, field in (("sensor_gps", "time_utc_usec"), ("vehicle_gps_position", "time_utc_usec"),
                        ("camera_capture", "timestamp_utc"), ("camera_trigger", "timestamp_utc")):
        topic = topics.get(name)
        if topic is None or field not in topic:
            continue
        known = np.flatnonzero(topic[field] > 0)
        if known.size:
            i = int(known[0])
            return int(topic[field][i]) - int(topic["timestamp"][i])
    return None


def _load(path: Path) -> dict[str, Topic]:
    try:
        ulog = ULog(str(path), message_name_filter_list=_TOPICS)
    except (ULogException, ValueError, IndexError, KeyError, OSError) as exc:
        raise FlightLogError(f"{path}: not a readable ULog: {type(exc).__name__}: {exc}") \
            from exc
    topics: dict[str, Topic] = {}
    for data in ulog.data_list:
        if data.multi_id == 0 and data.name not in topics:
            missing = [field for field in _FIELDS[data.name] if field not in data.data]
            if missing:
                raise FlightLogError(f"{path}: topic {data.name} is logged without its field "
                                     f"{missing[0]!r} (a damaged or foreign format definition)")
            topics[data.name] = data.data
    return topics


def _angles_at(topic: Topic | None, times_us: NDArray, angles: object) -> list:
    """Per time, the angles of the topic's last sample before it (None before the first)."""
    if topic is None or not len(topic["timestamp"]):
        return [None] * len(times_us)
    q = _quaternions(topic)
    index = _latest(topic["timestamp"], times_us)
    return [angles(q[i]) if i >= 0 else None for i in index]  # type: ignore[operator]


def read_ulog(path: Path) -> FlightLog:
    """The poses and shots of a PX4 .ulg.

    Raises
    ------
    FlightLogError
        Not a ULog pyulog can parse.
    """
    topics = _load(path)
    offset_us = _utc_offset_us(topics)
    to_s = (lambda t: (int(t) + offset_us) / 1e6) if offset_us is not None \
        else (lambda t: int(t) / 1e6)
    gimbal = topics.get("gimbal_device_attitude_status")

    def pose_rows(times_us: NDArray, lat: NDArray, lon: NDArray, alt: NDArray,
                  attitudes: list) -> list:
        gimbals = _angles_at(gimbal, times_us, lambda q: _gimbal_angles(list(q)))
        return [logged_pose(la, lo, al, *(att or (0.0, 0.0, 0.0)), *(gim or (None, None)))
                for la, lo, al, att, gim in zip(lat, lon, alt, attitudes, gimbals, strict=True)]

    poses: list[LoggedPose] = []
    position = topics.get("vehicle_global_position")
    if position is not None:
        t = position["timestamp"]
        attitudes = _angles_at(topics.get("vehicle_attitude"), t, euler_deg)
        for when, pose in zip(t, pose_rows(t, position["lat"], position["lon"],
                                           position["alt"], attitudes), strict=True):
            if pose is not None and (pose.lat_deg != 0 or pose.lon_deg != 0):
                poses.append(LoggedPose(to_s(when), pose))
    shots: list[LoggedShot] = []
    source = ""
    capture = topics.get("camera_capture")
    trigger = topics.get("camera_trigger")
    if capture is not None and len(capture["timestamp"]):
        source = "camera_capture"
        t = capture["timestamp"]
        attitudes = [euler_deg(q) for q in _quaternions(capture)]
        for when, seq, pose in zip(t, capture["seq"], pose_rows(
                t, capture["lat"], capture["lon"], capture["alt"], attitudes), strict=True):
            shots.append(LoggedShot(to_s(when), int(seq), pose))
    elif trigger is not None and len(trigger["timestamp"]):
        source = "camera_trigger"
        shots = [LoggedShot(to_s(when), int(seq), None)
                 for when, seq in zip(trigger["timestamp"], trigger["seq"], strict=True)]
    return FlightLog(str(path), "ulog", "unix" if offset_us is not None else "boot",
                     tuple(sorted(poses, key=lambda p: p.time_s)),
                     tuple(sorted(shots, key=lambda s: s.time_s)), source)
