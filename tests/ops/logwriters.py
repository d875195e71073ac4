"""Flight logs written with the real tools' own writers, from a flown .tlog.

Why from a tlog: the same flight in three formats lets a test check that every reader
gives the same poses and shots. The tlog is read with pymavlink directly (not through
dronewatch), then written as:

- an ArduPilot DataFlash ``.BIN`` with pymavlink's DataFlash messages
  (``DFFormat``/``DFMessage.get_msgbuf``, what ``mavlogdump.py --format bin`` writes
  with), in ArduPilot 4.x's formats for GPS, POS, ATT and CAM;
- a PX4 ``.ulg`` with pyulog's writer (``ULog.write_ulog``; pyulog has no public way
  to add topics, so the topics are set up through its message classes), with
  ``vehicle_global_position``, ``vehicle_attitude``, ``sensor_gps`` (UTC) and
  ``camera_capture`` in PX4's field layouts.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
from pymavlink import mavutil
from pymavlink.DFReader import DFFormat, DFMessage
from pymavlink.dialects.v20 import ardupilotmega as mav
from pyulog import ULog

__all__ = ["tlog_messages", "write_dataflash", "write_tlog", "write_tlog_messages", "write_ulog",
           "write_ulog_topics"]

BOOT_BEFORE_S = 30.0  # the autopilot booted this long before the tlog's first message
_GPS_EPOCH_UNIX_S = 315964800
_LEAP_S = 18


def write_tlog(path: Path, starts: dict[int, tuple[float, float]], start_unix_s: float,
               seconds: int = 10) -> Path:
    """A ground station's .tlog of the vehicles ``starts`` (MAVLink system id -> lat,
    lon), interleaved as one link hears them: each flies north at 10 Hz of ATTITUDE and
    GLOBAL_POSITION_INT, a CAMERA_FEEDBACK each second, in pymavlink's own packing."""
    links = {system: mav.MAVLink(None, srcSystem=system, srcComponent=1) for system in starts}
    out = bytearray()

    def put(t: float, system: int, msg: mav.MAVLink_message) -> None:
        out.extend(struct.pack(">Q", round(t * 1e6)) + msg.pack(links[system]))

    for k in range(seconds * 10):
        for system, (lat0, lon) in starts.items():
            t, lat = start_unix_s + k / 10 + system * 1e-3, lat0 + k * 1e-5
            put(t, system, mav.MAVLink_attitude_message(k * 100, 0.02, -0.01, math.radians(90),
                                                        0, 0, 0))
            put(t + 0.01, system, mav.MAVLink_global_position_int_message(
                k * 100, round(lat * 1e7), round(lon * 1e7), 812_000, 80_000, 0, 0, 0, 9000))
            if k % 10 == 5:
                put(t + 0.02, system, mav.MAVLink_camera_feedback_message(
                    round(t * 1e6), system, 0, k // 10 + 1, round(lat * 1e7), round(lon * 1e7),
                    812.0, 80.0, 1.0, -0.5, 90.0, 0.0, 0, 0))
    path.write_bytes(bytes(out))
    return path


def write_tlog_messages(path: Path, by_system: dict[int, list[tuple[float, dict]]]) -> Path:
    """A .tlog of several vehicles' (UNIX time, fields) GLOBAL_POSITION_INT and ATTITUDE
    messages (the fields as :func:`tlog_messages` gives them), merged in time order."""
    links = {system: mav.MAVLink(None, srcSystem=system, srcComponent=1) for system in by_system}
    out = bytearray()
    for t, system, m in sorted((t, system, m) for system, messages in by_system.items()
                               for t, m in messages):
        boot_ms = round(t * 1000) % 2**32
        msg = (mav.MAVLink_global_position_int_message(boot_ms, m["lat"], m["lon"], m["alt"], 0,
                                                       0, 0, 0, 65535)
               if m["mavpackettype"] == "GLOBAL_POSITION_INT" else
               mav.MAVLink_attitude_message(boot_ms, m["roll"], m["pitch"], m["yaw"], 0, 0, 0))
        out.extend(struct.pack(">Q", round(t * 1e6)) + msg.pack(links[system]))
    path.write_bytes(bytes(out))
    return path


def tlog_messages(tlog: Path) -> list[tuple[float, dict]]:
    """(UNIX time, fields) of the tlog's positions, attitudes and camera shots."""
    conn = mavutil.mavlink_connection(str(tlog))
    out = []
    while (m := conn.recv_match(type=["GLOBAL_POSITION_INT", "ATTITUDE", "CAMERA_FEEDBACK"],
                                blocking=False)) is not None:
        out.append((m._timestamp, m.to_dict()))
    conn.close()
    return out


# -- DataFlash ------------------------------------------------------------------------
_FMT = DFFormat(0x80, "FMT", 89, "BBnNZ", "Type,Length,Name,Format,Columns")
_FORMATS = {  # ArduPilot 4.x
    "GPS": (130, "QBBIHBcLLeffffB",
            "TimeUS,I,Status,GMS,GWk,NSats,HDop,Lat,Lng,Alt,Spd,GCrs,VZ,Yaw,U"),
    "POS": (131, "QLLfff", "TimeUS,Lat,Lng,Alt,RelHomeAlt,RelOriginAlt"),
    "ATT": (132, "QccccCCCCB", "TimeUS,DesRoll,Roll,DesPitch,Pitch,DesYaw,Yaw,ErrRP,ErrYaw,AEKF"),
    "CAM": (133, "QBHIHLLeeeccC",
            "TimeUS,I,Img,GPSTime,GPSWeek,Lat,Lng,Alt,RelAlt,GPSAlt,R,P,Y"),
}


def _gps_time(unix_s: float) -> tuple[int, int]:
    """(GPS week, ms of week) of a UNIX time, as DFReader converts them back."""
    total = unix_s + _LEAP_S - _GPS_EPOCH_UNIX_S
    week = int(total // 604800)
    return week, round((total - week * 604800) * 1000)


def write_dataflash(messages: list[tuple[float, dict]], path: Path) -> Path:
    """A DataFlash log of the tlog's flight (raw integer units, as the autopilot logs)."""
    boot = messages[0][0] - BOOT_BEFORE_S
    formats = {name: DFFormat(t, name, 3 + struct.calcsize(DFFormat(t, name, 0, f, c)
                                                          .msg_struct), f, c)
               for name, (t, f, c) in _FORMATS.items()}
    out = bytearray()
    for name, fmt in formats.items():
        out += DFMessage(_FMT, [fmt.type, fmt.len, name.encode(), fmt.format.encode(),
                                ",".join(fmt.columns).encode()], True, None).get_msgbuf()

    def put(name: str, values: list) -> None:
        out.extend(DFMessage(formats[name], values, True, None).get_msgbuf())

    for t, m in messages:
        us = round((t - boot) * 1e6)
        kind = m["mavpackettype"]
        if kind == "GLOBAL_POSITION_INT":
            week, ms = _gps_time(t)
            put("GPS", [us, 0, 3, ms, week, 12, 80, m["lat"], m["lon"], m["alt"] // 10,
                        0.0, 0.0, 0.0, 0.0, 1])
            put("POS", [us, m["lat"], m["lon"], m["alt"] / 1000.0, 0.0, 0.0])
        elif kind == "ATTITUDE":
            roll, pitch = (round(math.degrees(m[k]) * 100) for k in ("roll", "pitch"))
            yaw = round(math.degrees(m["yaw"]) % 360 * 100)
            put("ATT", [us, roll, roll, pitch, pitch, yaw, yaw, 0, 0, 3])
        else:
            week, ms = _gps_time(t)
            put("CAM", [us, 0, m["img_idx"], ms, week, m["lat"], m["lng"],
                        round(m["alt_msl"] * 100), round(m["alt_rel"] * 100),
                        round(m["alt_msl"] * 100), round(m["roll"] * 100),
                        round(m["pitch"] * 100), round(m["yaw"] % 360 * 100)])
    path.write_bytes(bytes(out))
    return path


# -- ULog -----------------------------------------------------------------------------
_TOPICS = {  # PX4's field layouts (the fields read here; padding left out)
    "vehicle_global_position": "uint64_t timestamp;uint64_t timestamp_sample;double lat;"
                               "double lon;float alt;",
    "vehicle_attitude": "uint64_t timestamp;uint64_t timestamp_sample;float[4] q;",
    "sensor_gps": "uint64_t timestamp;uint64_t time_utc_usec;int32_t latitude_deg;"
                  "int32_t longitude_deg;uint8_t fix_type;",
    "camera_capture": "uint64_t timestamp;uint64_t timestamp_utc;uint32_t seq;double lat;"
                      "double lon;float alt;float ground_distance;float[4] q;int8_t result;",
}


def _quaternion(roll_rad: float, pitch_rad: float, yaw_rad: float) -> list[float]:
    cr, sr = math.cos(roll_rad / 2), math.sin(roll_rad / 2)
    cp, sp = math.cos(pitch_rad / 2), math.sin(pitch_rad / 2)
    cy, sy = math.cos(yaw_rad / 2), math.sin(yaw_rad / 2)
    return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]


def _rows(messages: list[tuple[float, dict]], boot: float) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {name: [] for name in _TOPICS}
    for t, m in messages:
        us = round((t - boot) * 1e6)
        kind = m["mavpackettype"]
        if kind == "GLOBAL_POSITION_INT":
            rows["vehicle_global_position"].append(
                (us, us, m["lat"] / 1e7, m["lon"] / 1e7, m["alt"] / 1000.0))
            rows["sensor_gps"].append((us, round(t * 1e6), m["lat"], m["lon"], 3))
        elif kind == "ATTITUDE":
            rows["vehicle_attitude"].append((us, us, *_quaternion(m["roll"], m["pitch"],
                                                                  m["yaw"])))
        else:
            q = _quaternion(*(math.radians(m[k]) for k in ("roll", "pitch", "yaw")))
            rows["camera_capture"].append((us, round(t * 1e6), m["img_idx"], m["lat"] / 1e7,
                                           m["lng"] / 1e7, m["alt_msl"], m["alt_rel"], *q, 1))
    return rows


def write_ulog(messages: list[tuple[float, dict]], path: Path) -> Path:
    """A PX4 ULog of the tlog's flight, written by pyulog."""
    boot = messages[0][0] - BOOT_BEFORE_S
    return write_ulog_topics(_TOPICS, _rows(messages, boot), path)


def write_ulog_topics(topics: dict[str, str], rows_of: dict[str, list[tuple]],
                      path: Path) -> Path:
    """A ULog of these topics (PX4's ``name:type field;...`` layouts) and their rows."""
    log = ULog(None)
    log._start_timestamp = 1
    formats = {name: ULog.MessageFormat(f"{name}:{fields}".encode(), None)
               for name, fields in topics.items()}
    log._message_formats.update(formats)
    for msg_id, (name, rows) in enumerate(rows_of.items()):
        added = ULog._MessageAddLogged(struct.pack("<BH", 0, msg_id) + name.encode(), None,
                                       formats)
        added.buffer = bytearray(np.array(rows, dtype=added.dtype).tobytes())
        log._data_list.append(ULog.Data(added))
    log.write_ulog(str(path))
    return path
