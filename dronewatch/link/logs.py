"""Flight logs to camera poses: a MAVLink .tlog, an ArduPilot DataFlash .BIN, a PX4 .ulg.

Why: many flights are flown by hand (or by another station) and looked at after they
landed; the frames then need the pose the drone had when each was taken, and only the
autopilot's log knows it. Each reader gives the same two things: the vehicle's poses
over time (position with the attitude and gimbal last logged before it) and the
camera's shots with the pose the autopilot recorded for each (CAMERA_FEEDBACK in a
tlog, else CAMERA_IMAGE_CAPTURED as PX4 and MAVLink cameras send it; CAM/TRIG in
DataFlash, ``camera_capture`` or ``camera_trigger`` in ULog). Nothing
here interpolates: a gap in the log stays a gap (see :meth:`FlightLog.gaps`).

Time: poses and shots carry the log's clock: UNIX seconds where the log knows them (a
tlog's write stamps, DataFlash GPS time, ULog's GPS UTC), else seconds since boot
(``FlightLog.clock == "boot"``), which a frame's clock can be matched to only with a
stated offset.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.projection import CameraPose
from dronewatch.link._mavutil import LoggedMessage, read_log
from dronewatch.link.errors import LinkError
from dronewatch.link.state import _gimbal_angles, euler_deg

__all__ = ["FlightLog", "FlightLogError", "LoggedPose", "LoggedShot", "camera_pose",
           "logged_pose", "read_flight_log"]

LOG_SUFFIXES = (".tlog", ".bin", ".ulg")
_UNIX_AFTER_S = 1e9  # a log time beyond this (2001) is UNIX time, below it time since boot


class FlightLogError(LinkError, ValueError):
    """A flight log that cannot give poses; names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class LoggedPose:
    """Where the vehicle (and its camera) was at a time of the log's clock."""

    time_s: float
    pose: CameraPose


@dataclass(frozen=True, slots=True)
class LoggedShot:
    """A camera shot the autopilot logged; ``pose`` is None when the event has none
    (PX4 ``camera_trigger``): then the track's pose at its time is the shot's."""

    time_s: float
    image_index: int
    pose: CameraPose | None


@dataclass(frozen=True, slots=True)
class FlightLog:
    """The poses and shots of one log, in time order."""

    path: str
    kind: str  # "tlog", "dataflash" or "ulog"
    clock: str  # "unix" or "boot"
    poses: tuple[LoggedPose, ...]
    shots: tuple[LoggedShot, ...] = ()
    shot_source: str = ""  # the message the shots came from, "" when none
    system: int = 0  # a .tlog's vehicle read (MAVLink system id); 0 for one autopilot's log
    other_systems: tuple[int, ...] = ()  # a .tlog's other vehicles that logged positions

    @property
    def start_s(self) -> float:
        return self.poses[0].time_s

    @property
    def end_s(self) -> float:
        return self.poses[-1].time_s

    def gaps(self, max_gap_s: float) -> list[tuple[float, float]]:
        """(start, end) of every stretch longer than ``max_gap_s`` with no position."""
        times = [p.time_s for p in self.poses]
        return [(a, b) for a, b in itertools.pairwise(times) if b - a > max_gap_s]


def camera_pose(lat_deg: float, lon_deg: float, alt_amsl_m: float, roll_deg: float,
                pitch_deg: float, yaw_deg: float, gimbal_pitch_deg: float | None,
                gimbal_yaw_deg: float | None) -> CameraPose:
    """A shot's camera pose as the live search makes it from CAMERA_FEEDBACK
    (:func:`dronewatch.ops.feed.pose_from_feedback`): nadir when no gimbal was logged,
    the gimbal's pitch kept within what gimbals do."""
    pitch = gimbal_pitch_deg if gimbal_pitch_deg is not None else -90.0
    return CameraPose(float(lat_deg), float(lon_deg), float(alt_amsl_m),
                      Attitude(float(roll_deg), float(pitch_deg), float(yaw_deg) % 360.0),
                      GimbalAttitude(max(min(pitch, 45.0), -120.0), 0.0, gimbal_yaw_deg or 0.0))


def logged_pose(lat_deg: float, lon_deg: float, alt_amsl_m: float, roll_deg: float,
                pitch_deg: float, yaw_deg: float, gimbal_pitch_deg: float | None,
                gimbal_yaw_deg: float | None) -> CameraPose | None:
    """:func:`camera_pose` of a log record, or None when the record holds no pose.

    Why: autopilots log NaN (and PX4 zero quaternions) until their estimators have
    converged, and a record out of WGS84 or with a pitch beyond 90° is no pose either;
    such a record is skipped like a position not logged, never a crash of the reader.
    A gimbal angle that is not a number counts as a gimbal not logged.
    """
    numbers = (lat_deg, lon_deg, alt_amsl_m, roll_deg, pitch_deg, yaw_deg)
    try:
        values = [float(v) for v in numbers]
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    gimbal = [g if g is not None and math.isfinite(g) else None
              for g in (gimbal_pitch_deg, gimbal_yaw_deg)]
    try:
        return camera_pose(*values, *gimbal)
    except ValueError:
        return None


def read_flight_log(path: str | PathLike[str], *, system: int | None = None) -> FlightLog:
    """The poses and shots of a .tlog, .BIN or .ulg (by suffix).

    A ground station's .tlog can hold several vehicles (a fleet on one link, a relay
    heard in passing): one is read, ``system`` (its MAVLink system id) or else the one
    that logged the most positions, and the others are named in ``other_systems``.
    Mixing them would jump the track between drones. A .BIN or .ulg is one autopilot's
    own log: ``system`` does not apply to it.

    Raises
    ------
    FlightLogError
        The file is missing, of an unknown kind, unreadable, or holds no positions (of
        ``system``, when given).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in LOG_SUFFIXES:
        raise FlightLogError(f"{path}: not a flight log (expected .tlog, .BIN or .ulg)")
    if not path.is_file():
        raise FlightLogError(f"{path}: no such file")
    try:
        if suffix == ".ulg":
            from dronewatch.link._ulog import read_ulog

            log = read_ulog(path)
        elif suffix == ".bin":
            log = _read_dataflash(path)
        else:
            log = _read_tlog(path, system)
    except FlightLogError:
        raise
    except LinkError as exc:
        text = str(exc)
        raise FlightLogError(text if text.startswith(str(path)) else f"{path}: {text}") \
            from exc
    if not log.poses:
        raise FlightLogError(f"{path}: no vehicle positions in the log "
                             f"({_POSITION_NAMES[log.kind]} messages)")
    return log


_POSITION_NAMES = {"tlog": "GLOBAL_POSITION_INT", "dataflash": "POS or GPS",
                   "ulog": "vehicle_global_position"}


def _clock(times: list[float]) -> str:
    return "unix" if times and times[0] > _UNIX_AFTER_S else "boot"


def _vehicle_messages(path: Path, system: int | None, types: tuple[str, ...]
                      ) -> tuple[int, tuple[int, ...], list[LoggedMessage]]:
    """One vehicle's messages of a tlog: ``system``'s, else the one with most positions;
    with the other systems that logged positions."""
    by_system: dict[int, list[LoggedMessage]] = {}
    positions: dict[int, int] = {}
    for msg in read_log(path, types):
        by_system.setdefault(msg.system, []).append(msg)
        if msg.type == "GLOBAL_POSITION_INT":
            positions[msg.system] = positions.get(msg.system, 0) + 1
    if system is not None and system not in positions:
        found = ", ".join(f"{s} ({n} positions)" for s, n in sorted(positions.items()))
        raise FlightLogError(f"{path}: no positions of MAVLink system {system} in the log "
                             f"(it holds {found or 'none'})")
    chosen = system if system is not None else max(positions, key=positions.__getitem__,
                                                   default=0)
    others = tuple(sorted(s for s in positions if s != chosen))
    return chosen, others, by_system.get(chosen, [])


def _read_tlog(path: Path, system: int | None) -> FlightLog:
    """GLOBAL_POSITION_INT with the ATTITUDE and gimbal before it; shots from
    CAMERA_FEEDBACK (ArduPilot), else CAMERA_IMAGE_CAPTURED (PX4, MAVLink cameras: the
    vehicle's attitude as a quaternion; failed captures left out). One vehicle's: all
    components of its system (the autopilot, its gimbal, its camera)."""
    attitude = (0.0, 0.0, 0.0)
    gimbal: tuple[float | None, float | None] = (None, None)
    poses: list[LoggedPose] = []
    shots: dict[str, list[LoggedShot]] = {"CAMERA_FEEDBACK": [], "CAMERA_IMAGE_CAPTURED": []}
    chosen, others, messages = _vehicle_messages(
        path, system, ("GLOBAL_POSITION_INT", "ATTITUDE", "GIMBAL_DEVICE_ATTITUDE_STATUS",
                       *shots))
    for msg in messages:
        if msg.type == "ATTITUDE":
            attitude = (math.degrees(msg["roll"]), math.degrees(msg["pitch"]),
                        math.degrees(msg["yaw"]))
        elif msg.type == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            gimbal = _gimbal_angles(list(msg["q"]))
        elif msg.type == "GLOBAL_POSITION_INT":
            if msg["lat"] == 0 and msg["lon"] == 0:
                continue  # no position yet
            pose = logged_pose(msg["lat"] / 1e7, msg["lon"] / 1e7, msg["alt"] / 1000.0,
                               *attitude, *gimbal)
            if pose is not None:
                poses.append(LoggedPose(msg.time_s, pose))
        elif msg.type == "CAMERA_FEEDBACK":
            shots[msg.type].append(LoggedShot(msg.time_s, int(msg["img_idx"]), logged_pose(
                msg["lat"] / 1e7, msg["lng"] / 1e7, msg["alt_msl"], msg["roll"], msg["pitch"],
                msg["yaw"], *gimbal)))
        elif msg["capture_result"] == 1:
            shots[msg.type].append(LoggedShot(msg.time_s, int(msg["image_index"]), logged_pose(
                msg["lat"] / 1e7, msg["lon"] / 1e7, msg["alt"] / 1000.0,
                *euler_deg(list(msg["q"])), *gimbal)))
    source = next((name for name, found in shots.items() if found), "")
    return _ordered(FlightLog(str(path), "tlog", _clock([p.time_s for p in poses]),
                              tuple(poses), tuple(shots.get(source, ())), source, chosen,
                              others))


def _mount(msg: LoggedMessage) -> tuple[float | None, float | None]:
    """Gimbal pitch and body-relative yaw from an MNT message (its columns vary by version)."""
    pitch = msg.get("Pitch")
    yaw = msg.get("YawB", msg.get("Yaw"))
    return (float(pitch) if pitch is not None else None,
            float(yaw) if yaw is not None else None)


def _read_dataflash(path: Path) -> FlightLog:
    """POS (else the first GPS's) with the ATT and MNT before it; CAM shots (TRIG when no
    CAM), whose angles are R/P/Y since ArduPilot 4.0 and Roll/Pitch/Yaw before."""
    attitude = (0.0, 0.0, 0.0)
    gimbal: tuple[float | None, float | None] = (None, None)
    by_type: dict[str, list[Any]] = {"POS": [], "GPS": [], "CAM": [], "TRIG": []}
    for msg in read_log(path, ("POS", "GPS", "ATT", "MNT", "CAM", "TRIG")):
        if msg.type == "ATT":
            attitude = (msg["Roll"], msg["Pitch"], msg["Yaw"])
        elif msg.type == "MNT":
            gimbal = _mount(msg)
        elif msg.type in ("POS", "GPS"):
            if msg.type == "GPS" and (int(msg.get("Status", 3)) < 3 or int(msg.get("I", 0))):
                continue  # no 3-D fix, or a second receiver (its own track, interleaved)
            if msg["Lat"] == 0 and msg["Lng"] == 0:
                continue
            pose = logged_pose(msg["Lat"], msg["Lng"], msg["Alt"], *attitude, *gimbal)
            if pose is not None:
                by_type[msg.type].append(LoggedPose(msg.time_s, pose))
        else:
            angles = (msg.get(short, msg.get(long)) for short, long in
                      (("R", "Roll"), ("P", "Pitch"), ("Y", "Yaw")))
            by_type[msg.type].append(LoggedShot(msg.time_s, int(msg.get("Img", 0)), logged_pose(
                msg["Lat"], msg["Lng"], msg["Alt"], *angles, *gimbal)))
    poses = by_type["POS"] or by_type["GPS"]
    source = "CAM" if by_type["CAM"] else "TRIG" if by_type["TRIG"] else ""
    shots = by_type[source] if source else []
    return _ordered(FlightLog(str(path), "dataflash", _clock([p.time_s for p in poses]),
                              tuple(poses), tuple(shots), source))


def _ordered(log: FlightLog) -> FlightLog:
    """Sorted by time (a tlog's stamps can step back when the ground clock is set)."""
    return replace(log, poses=tuple(sorted(log.poses, key=lambda p: p.time_s)),
                   shots=tuple(sorted(log.shots, key=lambda s: s.time_s)))

