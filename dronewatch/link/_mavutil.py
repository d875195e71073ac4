"""The only place dronewatch touches pymavlink.

Why an adapter: pymavlink's ``mavutil`` keeps global state, returns raw units and
untyped messages, and prints or swallows errors (see ../shared/STYLE.md). Here its
connection is opened once, every received message becomes a frozen
:class:`MavMessage`, every send goes through one lock, and MAVLink's enums become
Python IntEnums, so the rest of ``dronewatch.link`` never sees pymavlink.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from os import PathLike
from types import MappingProxyType
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as _mavlink

from dronewatch.link.errors import LinkError

__all__ = [
    "LoggedMessage",
    "MavCmd",
    "MavFrame",
    "MavMessage",
    "MavMissionResult",
    "MavResult",
    "RawConnection",
    "message_id",
    "read_log",
]


def _enum(name: str, prefix: str) -> type[IntEnum]:
    entries = {e.name.removeprefix(prefix): value for value, e in _mavlink.enums[name].items()
               if not e.name.endswith("_ENUM_END")}
    return IntEnum(name, entries)  # type: ignore[return-value]


MavResult = _enum("MAV_RESULT", "MAV_RESULT_")
MavMissionResult = _enum("MAV_MISSION_RESULT", "MAV_MISSION_")
MavCmd = _enum("MAV_CMD", "MAV_CMD_")
MavFrame = _enum("MAV_FRAME", "MAV_FRAME_")


def message_id(name: str) -> int:
    """MAVLink message id of a message name, e.g. 33 for GLOBAL_POSITION_INT."""
    try:
        return getattr(_mavlink, f"MAVLINK_MSG_ID_{name}")
    except AttributeError:
        raise LinkError(f"unknown MAVLink message {name!r}") from None


@dataclass(frozen=True, slots=True)
class MavMessage:
    """A received message: its type, fields (MAVLink's units), sender and arrival time."""

    type: str
    fields: MappingProxyType[str, Any]
    sysid: int
    compid: int
    seq: int
    received_s: float  # time.monotonic()

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


def _convert(msg: Any) -> MavMessage:
    fields = {}
    for name in msg.get_fieldnames():
        value = getattr(msg, name)
        if isinstance(value, bytes):
            value = value.rstrip(b"\0").decode(errors="replace")
        elif isinstance(value, str):
            value = value.rstrip("\0")
        fields[name] = value
    return MavMessage(msg.get_type(), MappingProxyType(fields), msg.get_srcSystem(),
                      msg.get_srcComponent(), msg.get_seq(), time.monotonic())


def _device(url: str) -> tuple[str, dict[str, Any]]:
    """Our URL forms to pymavlink's: udp/udpin listen, udpout sends, tcp, serial[,baud]."""
    scheme, sep, rest = url.partition(":")
    if sep and scheme in ("udp", "udpin", "udpout", "tcp", "tcpin"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise LinkError(f"bad MAVLink address {url!r}: expected {scheme}:HOST:PORT")
        return url, {"autoreconnect": scheme == "tcp"}
    path, _, baud = url.partition(",")
    if not (path.startswith("/dev/") or path.upper().startswith("COM")):
        raise LinkError(f"bad MAVLink address {url!r}: use udp:, udpin:, udpout:, tcp:HOST:PORT "
                        "or a serial device like /dev/ttyUSB0,57600")
    return path, {"baud": int(baud) if baud.isdigit() else 57600}


class RawConnection:
    """One pymavlink connection: typed receive, locked send, optional signing and tlog."""

    def __init__(self, url: str, *, source_system: int = 255, source_component: int = 190,
                 signing_key: bytes | None = None,
                 tlog_path: str | PathLike[str] | None = None) -> None:
        device, options = _device(url)
        try:
            self._conn = mavutil.mavlink_connection(
                device, source_system=source_system, source_component=source_component,
                dialect="ardupilotmega", robust_parsing=True, **options)
        except (OSError, ValueError) as exc:
            raise LinkError(f"cannot open {url}: {exc}") from exc
        self.url = url
        self._lock = threading.Lock()
        self._tlog = open(tlog_path, "ab") if tlog_path else None  # noqa: SIM115 (kept open)
        if signing_key is not None:
            if len(signing_key) != 32:
                raise LinkError("a MAVLink 2 signing key is 32 bytes")
            # Signing is MAVLink 2 only, and pymavlink replaces its parser (dropping the
            # key) when the first MAVLink 2 packet arrives on a link that started in 1.0:
            # switch to 2.0 first, so the key stays on the parser that reads the vehicle.
            self._conn.auto_mavlink_version(b"\xfd")
            self._conn.setup_signing(signing_key, sign_outgoing=True)
        self.bad_data = 0
        self.bad_signatures = 0  # messages dropped for a wrong (or missing) signature

    @property
    def signed_received(self) -> int:
        """How many signed messages arrived (whether or not we hold a key)."""
        return int(self._conn.mav.signing.sig_count)

    def receive(self, timeout_s: float) -> MavMessage | None:
        """The next message, or None after ``timeout_s`` of silence."""
        try:
            msg = self._conn.recv_match(blocking=True, timeout=timeout_s)
        except (OSError, struct.error) as exc:
            raise LinkError(f"{self.url}: receive failed: {exc}") from exc
        if msg is None:
            return None
        if msg.get_type() == "BAD_DATA":
            self.bad_data += 1
            if "signature" in str(getattr(msg, "reason", "")).lower():
                self.bad_signatures += 1
            return None
        if self._tlog is not None:
            self._log(msg.get_msgbuf())
        return _convert(msg)

    def send(self, name: str, **fields: Any) -> None:
        """Send a message by name with its fields, e.g. ``send("heartbeat", type=6, ...)``."""
        encode = getattr(self._conn.mav, f"{name.lower()}_encode", None)
        if encode is None:
            raise LinkError(f"unknown MAVLink message {name!r}")
        with self._lock:
            msg = encode(**fields)
            try:
                self._conn.mav.send(msg)
            except OSError as exc:
                raise LinkError(f"{self.url}: send failed: {exc}") from exc
            if self._tlog is not None:
                self._log(msg.get_msgbuf())

    def _log(self, raw: bytes) -> None:
        """tlog: 8-byte big-endian microseconds since 1970, then the raw packet."""
        self._tlog.write(struct.pack(">Q", int(time.time() * 1e6)) + bytes(raw))

    def close(self) -> None:
        self._conn.close()
        if self._tlog is not None:
            self._tlog.flush()
            os.fsync(self._tlog.fileno())
            self._tlog.close()


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    """A message read from a log file: its type, fields (the log's units) and time.

    ``time_s`` is the log's own clock: for a .tlog the UNIX time each message was
    written; for a DataFlash .BIN the GPS time once the log has a GPS message (UNIX
    seconds), else seconds since the autopilot booted. ``system`` is a .tlog message's
    MAVLink system id (a ground station's log can hold several vehicles); 0 in a
    DataFlash log, which is one autopilot's own.
    """

    type: str
    fields: MappingProxyType[str, Any]
    time_s: float
    system: int = 0

    def __getitem__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise LinkError(f"a {self.type} message without its field {name!r} (a damaged "
                            "or foreign format definition)") from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


def read_log(path: str | PathLike[str], types: Sequence[str]) -> Iterator[LoggedMessage]:
    """Messages of ``types`` from a MAVLink .tlog or an ArduPilot DataFlash .BIN, in order.

    Why here: only this module touches pymavlink, whose ``mavlink_connection`` opens
    both kinds of log by their suffix (``.bin``/``.BIN`` as DataFlash, anything else
    as a timestamped MAVLink stream).

    Raises
    ------
    LinkError
        The file cannot be opened or is not a log pymavlink can parse.
    """
    name = os.fspath(path)
    try:
        conn = mavutil.mavlink_connection(name, dialect="ardupilotmega", robust_parsing=True)
    except Exception as exc:  # pymavlink raises bare Exceptions on a malformed log
        raise LinkError(f"{name}: not a readable flight log: {exc}") from exc
    try:
        while True:
            try:
                msg = conn.recv_match(type=list(types), blocking=False)
            except Exception as exc:
                raise LinkError(f"{name}: corrupt flight log: {type(exc).__name__}: {exc}") \
                    from exc
            if msg is None:
                return
            if msg.get_type() == "BAD_DATA":
                continue
            try:
                fields = {field: _logged_value(getattr(msg, field))
                          for field in msg.get_fieldnames()}
            except Exception as exc:  # a damaged format definition: columns without types
                raise LinkError(f"{name}: corrupt flight log: a {msg.get_type()} message's "
                                f"fields cannot be read ({type(exc).__name__}: {exc})") from exc
            system = msg.get_srcSystem() if hasattr(msg, "get_srcSystem") else 0
            yield LoggedMessage(msg.get_type(), MappingProxyType(fields),
                                float(getattr(msg, "_timestamp", 0.0)), int(system or 0))
    finally:
        conn.close()


def _logged_value(value: Any) -> Any:
    return value.rstrip(b"\0").decode(errors="replace") if isinstance(value, bytes) else value
