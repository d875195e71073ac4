"""One vehicle behind a link: its state, and the typed actions an operator's code needs.

Why a facade: the workflows (search, patrol) should read like the job — arm, take
off, upload the plan, watch the state — with every refusal raised as an error that
says what the vehicle answered. Everything here goes through the link's reader, so
no caller ever polls the socket.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from os import PathLike
from types import TracebackType
from typing import Self

from dronewatch.link import fence as _fence
from dronewatch.link import launch as _launch
from dronewatch.link import mission as _mission
from dronewatch.link import paramread as _paramread
from dronewatch.link._mavutil import MavCmd, MavFrame, message_id
from dronewatch.link.commands import CommandSpec, send_command
from dronewatch.link.connection import Link, Subscription
from dronewatch.link.errors import (
    CommandError,
    LinkError,
    NotReadyError,
    ParamError,
    SignatureMismatchError,
)
from dronewatch.link.modes import mode_params
from dronewatch.link.results import CommandResult
from dronewatch.link.shots import ShotFeed
from dronewatch.link.state import VehicleState
from dronewatch.missionitem import MissionItem, MissionType

__all__ = ["TELEMETRY", "Vehicle", "connect"]

#: What we ask every vehicle to send, and how often (Hz of the vehicle's own clock).
TELEMETRY: dict[str, float] = {
    "GLOBAL_POSITION_INT": 4.0, "ATTITUDE": 4.0, "SYS_STATUS": 1.0, "GPS_RAW_INT": 1.0,
    "BATTERY_STATUS": 1.0, "VFR_HUD": 2.0, "MISSION_CURRENT": 1.0, "EXTENDED_SYS_STATE": 1.0,
    "GIMBAL_DEVICE_ATTITUDE_STATUS": 2.0, "TERRAIN_REPORT": 1.0, "HOME_POSITION": 0.2,
}
_FORCE = 21196.0
_ALT_FRAMES = {"relative": MavFrame.GLOBAL_RELATIVE_ALT_INT, "amsl": MavFrame.GLOBAL_INT,
               "terrain": MavFrame.GLOBAL_TERRAIN_ALT_INT}


class Vehicle:
    """A vehicle on a :class:`Link`; close it (or use ``with``) to release the link it owns."""

    def __init__(self, link: Link, sysid: int, *, owns_link: bool = False,
                 telemetry_scale: float = 1.0, speedup: float | None = None) -> None:
        self.link = link
        self.sysid = sysid
        self._owns_link = owns_link
        self.telemetry_scale = telemetry_scale
        self._speedup = speedup
        self._was_stale = False
        self._watch = threading.Thread(target=self._watch_link, daemon=True,
                                       name=f"vehicle-{sysid}-watch")
        self.request_telemetry()
        self._watch.start()

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_link:
            self.link.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- pacing ------------------------------------------------------------------------
    @property
    def speedup(self) -> float:
        """How many vehicle seconds pass per wall second: as given, else as measured, else 1.

        Why it matters: the vehicle's timeouts (DISARM_DELAY, mission re-requests) run on
        its own clock, so a simulator at 10x disarms 1 wall second after arming.
        """
        if self._speedup is not None:
            return self._speedup
        rate = self.state.clock_rate
        return max(rate, 1.0) if math.isfinite(rate) else 1.0

    @property
    def reply_timeout_s(self) -> float:
        """Wall seconds to wait for an ACK or a parameter before asking again.

        1.5 s of the vehicle's clock at most, and no more than four round trips once the
        link has measured them (a lost packet then costs milliseconds on loopback).
        """
        paced = max(1.5 / self.speedup, 0.2)
        srtt = self.link.reply_srtt_s
        return paced if srtt is None else min(paced, max(4.0 * srtt, 0.05))

    @property
    def retries(self) -> int:
        """Re-sends of a command or parameter: enough to keep asking for 6 s of the
        vehicle's clock (at least 1 wall second)."""
        budget_s = max(6.0 / self.speedup, 1.0)
        return max(3, math.ceil(budget_s / self.reply_timeout_s) - 1)

    # -- state -------------------------------------------------------------------------
    @property
    def state(self) -> VehicleState:
        """A snapshot of what is known now."""
        return self.link.tracker(self.sysid).snapshot()

    def subscribe(self, *types: str) -> Subscription:
        """Queue this vehicle's messages of ``types`` (use ``with``)."""
        return self.link.subscribe(*types, sysid=self.sysid)

    def camera_shots(self) -> ShotFeed:
        """Queue this vehicle's camera shots and position fixes, decoded (use ``with``)."""
        return ShotFeed(self.subscribe("CAMERA_FEEDBACK", "GLOBAL_POSITION_INT"))

    def wait_for(self, predicate: Callable[[VehicleState], bool], timeout_s: float,
                 what: str = "condition") -> VehicleState:
        """Wait until the state satisfies ``predicate``.

        Raises
        ------
        LinkError
            Not reached within ``timeout_s``; the message says what was awaited.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.state
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise LinkError(f"vehicle {self.sysid}: {what} not reached in {timeout_s:g} s "
                                f"(mode {state.mode}, armed {state.armed})")
            time.sleep(0.02)

    def wait_ready(self, timeout_s: float) -> VehicleState:
        """Wait (bounded) until the vehicle has booted and passes its pre-arm checks.

        Raises
        ------
        NotReadyError
            Still not ready after ``timeout_s`` wall seconds; the message carries the
            vehicle's own reason (ArduPilot's last "PreArm: ..." text) when one came.
        """
        ready = lambda s: s.prearm_ok and s.gps_fix_type >= 3 and not s.stale  # noqa: E731
        try:
            return self.wait_for(ready, timeout_s, "ready to arm")
        except LinkError:
            s = self.state
            why = s.prearm_reason or "no PreArm reason heard yet"
            raise NotReadyError(
                f"vehicle {self.sysid} not ready to arm after {timeout_s:g} s: {why} "
                f"(status {s.system_status}, GPS fix {s.gps_fix_type})", s.prearm_reason,
            ) from None

    def _watch_link(self) -> None:
        """After a link loss, ask for telemetry again when the vehicle is back."""
        while not self.link.closed:
            stale = self.state.stale
            if self._was_stale and not stale:
                with contextlib.suppress(LinkError):  # asked again at the next recovery
                    self.request_telemetry()
            self._was_stale = stale
            time.sleep(0.2)

    def request_telemetry(self) -> None:
        """SET_MESSAGE_INTERVAL for each message; whole streams if the vehicle refuses it.

        A vehicle that refuses the first (position) request does not do message
        intervals at all, so REQUEST_DATA_STREAM asks for every stream; a refusal of a
        later message (no gimbal, terrain off) only means that message will not come.
        """
        names = list(TELEMETRY)
        try:
            self.message_interval(names[0], TELEMETRY[names[0]] * self.telemetry_scale)
        except CommandError as exc:
            if exc.result not in (CommandResult.DENIED, CommandResult.UNSUPPORTED,
                                  CommandResult.TIMEOUT, CommandResult.FAILED):
                raise
            self.link.send("request_data_stream", target_system=self.sysid,
                           target_component=1, req_stream_id=0,  # MAV_DATA_STREAM_ALL
                           req_message_rate=max(1, round(4 * self.telemetry_scale)),
                           start_stop=1)
            return
        for name in names[1:]:
            with contextlib.suppress(CommandError):
                self.message_interval(name, TELEMETRY[name] * self.telemetry_scale)

    # -- commands ----------------------------------------------------------------------
    def command(self, command: int, *params: float, timeout_s: float | None = None,
                retries: int | None = None) -> None:
        """COMMAND_LONG until ACCEPTED (see :func:`send_command`); paced by :attr:`speedup`."""
        send_command(self.link, self.sysid, CommandSpec(int(command), params),
                     timeout_s=self.reply_timeout_s if timeout_s is None else timeout_s,
                     retries=self.retries if retries is None else retries)

    def command_at(self, command: int, lat_deg: float, lon_deg: float, alt_m: float,
                   *params: float, frame: int = MavFrame.GLOBAL_RELATIVE_ALT_INT) -> None:
        """COMMAND_INT with a place until ACCEPTED."""
        send_command(self.link, self.sysid,
                     CommandSpec(int(command), params, int(frame), lat_deg, lon_deg, alt_m),
                     timeout_s=self.reply_timeout_s, retries=self.retries)

    def message_interval(self, name: str, hz: float) -> None:
        interval_us = -1.0 if hz <= 0 else 1e6 / hz
        self.command(MavCmd.SET_MESSAGE_INTERVAL, message_id(name), interval_us, timeout_s=0.5)

    def request_message(self, name: str) -> None:
        self.command(MavCmd.REQUEST_MESSAGE, message_id(name))

    def arm(self, *, force: bool = False) -> None:
        """Arm; a refusal raises :class:`CommandError` with the PreArm reason."""
        self.command(MavCmd.COMPONENT_ARM_DISARM, 1, _FORCE if force else 0)

    def disarm(self, *, force: bool = False) -> None:
        self.command(MavCmd.COMPONENT_ARM_DISARM, 0, _FORCE if force else 0)

    def set_mode(self, name: str, *, timeout_s: float = 5.0) -> None:
        """Change flight mode by name and wait until the heartbeat shows it."""
        flavour = self.state.flavour
        self.command(MavCmd.DO_SET_MODE,
                     *mode_params(flavour, name, self.state.vehicle_kind))
        self.wait_for(lambda s: s.mode == name.upper(), timeout_s, f"mode {name.upper()}")

    def takeoff(self, alt_rel_m: float) -> None:
        """Take off straight up to ``alt_rel_m`` above home (GUIDED, armed)."""
        self.command(MavCmd.NAV_TAKEOFF, 0, 0, 0, math.nan, 0, 0, alt_rel_m)

    def goto(self, lat_deg: float, lon_deg: float, alt_m: float, *, alt_ref: str = "relative",
             speed_mps: float | None = None, yaw_deg: float | None = None) -> None:
        """Fly to a place and hold there (DO_REPOSITION, switching to GUIDED)."""
        if alt_ref not in _ALT_FRAMES:
            raise ValueError(f"alt_ref must be one of {', '.join(_ALT_FRAMES)}")
        self.command_at(MavCmd.DO_REPOSITION, lat_deg, lon_deg, alt_m,
                        -1.0 if speed_mps is None else speed_mps, 1.0, 0.0,
                        math.nan if yaw_deg is None else yaw_deg, frame=_ALT_FRAMES[alt_ref])

    def set_speed(self, speed_mps: float) -> None:
        self.command(MavCmd.DO_CHANGE_SPEED, 1, speed_mps, -1)

    def return_to_launch(self) -> None:
        self.command(MavCmd.NAV_RETURN_TO_LAUNCH)

    def land(self) -> None:
        self.command(MavCmd.NAV_LAND)

    def start_mission(self, first_item: int = 0) -> None:
        """MISSION_START: AUTO, and an armed copter on the ground takes off."""
        self.command(MavCmd.MISSION_START, first_item, 0)

    def launch(self, takeoff_alt_m: float, **options: float) -> _launch.LaunchReport:
        """Arm, take off and start the mission, surviving loss; see :func:`.launch.launch`."""
        return _launch.launch(self, takeoff_alt_m, **options)

    def enable_fence(self, *, alt_max_m: float | None = None) -> _fence.FenceSettings:
        """Switch the uploaded fence on and verify it; see :func:`.fence.enable_fence`."""
        return _fence.enable_fence(self, alt_max_m=alt_max_m)

    def fence_settings(self) -> _fence.FenceSettings:
        """The fence parameters as the vehicle reports them now."""
        return _fence.read_fence(self)

    def gimbal(self, pitch_deg: float, yaw_deg: float = 0.0) -> None:
        """Point the gimbal: pitch (-90 = down) and yaw relative to the vehicle."""
        self.command(MavCmd.DO_GIMBAL_MANAGER_PITCHYAW, pitch_deg, yaw_deg, math.nan,
                     math.nan, 0, 0, 0)

    def point_at(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        """Keep the camera on a place (region of interest)."""
        self.command_at(MavCmd.DO_SET_ROI_LOCATION, lat_deg, lon_deg, alt_amsl_m,
                        frame=MavFrame.GLOBAL_INT)

    # -- missions ----------------------------------------------------------------------
    def upload(self, items: Sequence[MissionItem],
               mission_type: MissionType = MissionType.MISSION, *,
               verify: bool = False) -> _mission.UploadReport:
        """Upload a mission, fence or rally list; see :func:`dronewatch.link.mission.upload`."""
        return _mission.upload(self.link, self.sysid, items, mission_type, verify=verify)

    def download(self, mission_type: MissionType = MissionType.MISSION) -> list[MissionItem]:
        return _mission.download(self.link, self.sysid, mission_type)

    def clear(self, mission_type: MissionType = MissionType.MISSION) -> None:
        _mission.clear(self.link, self.sysid, mission_type)

    def set_current(self, seq: int) -> None:
        """Make mission item ``seq`` the one being flown."""
        self.command(MavCmd.DO_SET_MISSION_CURRENT, seq)

    # -- parameters --------------------------------------------------------------------
    def get_param(self, name: str, *, timeout_s: float | None = None,
                  retries: int | None = None) -> float:
        """Read one parameter.

        Raises
        ------
        ParamError
            The vehicle never answered (unknown names go unanswered).
        """
        timeout_s = self.reply_timeout_s if timeout_s is None else timeout_s
        with self.subscribe("PARAM_VALUE") as sub:
            for _ in range((self.retries if retries is None else retries) + 1):
                self.link.send("param_request_read", target_system=self.sysid,
                               target_component=1, param_id=name.encode(), param_index=-1)
                msg = sub.wait(lambda m: m["param_id"] == name, timeout_s)
                if msg is not None:
                    return float(msg["param_value"])
        raise ParamError(f"vehicle {self.sysid}: no value for parameter {name!r}")

    def get_params(self, *names: str) -> dict[str, float]:
        """Read several parameters at once (all asked for together, missing ones again).

        Raises
        ------
        ParamError
            One never came; the message names it.
        """
        return {name: value for name, (value, _) in _paramread.read_params(self, names).items()}

    def set_param(self, name: str, value: float, *, timeout_s: float | None = None,
                  retries: int | None = None) -> None:
        """Set one parameter and check the vehicle's echo.

        Raises
        ------
        ParamError
            No echo (unknown name), or the vehicle kept another value.
        """
        timeout_s = self.reply_timeout_s if timeout_s is None else timeout_s
        with self.subscribe("PARAM_VALUE") as sub:
            for _ in range((self.retries if retries is None else retries) + 1):
                self.link.send("param_set", target_system=self.sysid, target_component=1,
                               param_id=name.encode(), param_value=float(value),
                               param_type=9)
                msg = sub.wait(lambda m: m["param_id"] == name, timeout_s)
                if msg is None:
                    continue
                if math.isclose(msg["param_value"], value, rel_tol=1e-6, abs_tol=1e-6):
                    return
                raise ParamError(f"vehicle {self.sysid}: {name} is {msg['param_value']:g}, "
                                 f"not {value:g}")
        raise ParamError(f"vehicle {self.sysid}: parameter {name!r} not acknowledged")


def connect(url: str, *, sysid: int | None = None, timeout_s: float = 10.0,
            heartbeat_hz: float = 1.0, signing_key: bytes | None = None,
            tlog_path: str | PathLike[str] | None = None, stale_after_s: float = 3.0,
            telemetry_scale: float = 1.0, speedup: float | None = None) -> Vehicle:
    """Open a link, wait for a vehicle's heartbeat, ask for its telemetry.

    ``telemetry_scale`` multiplies the telemetry rates (a simulator running 50x faster
    than real time needs 1/50 of the rates for the same wall-clock flow). ``speedup``
    paces command retries; None measures it from the vehicle's clock.

    Raises
    ------
    NoHeartbeatError
        Nothing answered within ``timeout_s`` (wrong address ...).
    SignatureMismatchError
        The vehicle signs with another key, or only one side signs (it would drop our
        requests, and look like a vehicle that never gets ready).
    """
    link = Link(url, heartbeat_hz=heartbeat_hz, signing_key=signing_key, tlog_path=tlog_path,
                stale_after_s=stale_after_s)
    try:
        found = link.wait_vehicle(sysid, timeout_s)
        if signing_key is None and link.raw.signed_received:
            raise SignatureMismatchError(link.signature_mismatch())
        return Vehicle(link, found, owns_link=True, telemetry_scale=telemetry_scale,
                       speedup=speedup)
    except BaseException:
        link.close()
        raise


def connect_paced(url: str, speedup: float = 1.0, **options: object) -> Vehicle:
    """:func:`connect` to a vehicle whose clock runs ``speedup`` times real time.

    Why: a simulator at 30x sends 30 times the telemetry per wall second and times out
    30 times sooner, so the heartbeat goes faster (1/5 of the speed-up, at least 1 Hz)
    and telemetry is asked for at 10/speed-up of the normal rates (never above them).
    With ``speedup=1`` (a real drone) this is plain :func:`connect`.
    """
    return connect(url, heartbeat_hz=max(speedup / 5, 1.0), speedup=speedup,
                   telemetry_scale=min(10.0 / speedup, 1.0), **options)  # type: ignore[arg-type]

