"""Commands with acknowledgement: COMMAND_LONG / COMMAND_INT, timeouts, retries, reasons.

Why this shape: a command is only done when the vehicle ACKs it; a lost command or
a lost ACK is re-sent (with ``confirmation`` counting up, as the MAVLink command
protocol asks), IN_PROGRESS keeps waiting, and a refusal raises
:class:`CommandError` with the result and what the vehicle said meanwhile (ArduPilot
sends its "Arm: ..." reason as a STATUSTEXT just before the ACK).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dronewatch.link._mavutil import MavCmd, MavResult
from dronewatch.link.connection import Link
from dronewatch.link.errors import CommandError
from dronewatch.link.results import CommandResult

__all__ = ["CommandSpec", "send_command"]

_TEXT_GRACE_S = 0.05  # a reason may follow the ACK by a moment


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: number, parameters, and for COMMAND_INT the frame and place."""

    command: int
    params: tuple[float, ...] = ()
    frame: int | None = None  # set: send as COMMAND_INT
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0

    @property
    def name(self) -> str:
        try:
            return MavCmd(self.command).name
        except ValueError:
            return f"MAV_CMD {self.command}"


def _send(link: Link, sysid: int, spec: CommandSpec, attempt: int) -> None:
    p = [*spec.params, *([0.0] * 7)]
    if spec.frame is None:
        link.send("command_long", target_system=sysid, target_component=1,
                  command=spec.command, confirmation=min(attempt, 255), param1=p[0],
                  param2=p[1], param3=p[2], param4=p[3], param5=p[4], param6=p[5],
                  param7=p[6])
    else:
        link.send("command_int", target_system=sysid, target_component=1, frame=spec.frame,
                  command=spec.command, current=0, autocontinue=0, param1=p[0], param2=p[1],
                  param3=p[2], param4=p[3], x=round(spec.lat_deg * 1e7),
                  y=round(spec.lon_deg * 1e7), z=spec.alt_m)


def send_command(link: Link, sysid: int, spec: CommandSpec, *, timeout_s: float = 1.5,
                 retries: int = 3) -> None:
    """Send until ACKed; return on ACCEPTED.

    Raises
    ------
    CommandError
        The vehicle answered anything but ACCEPTED (result name and its STATUSTEXTs),
        or never answered (result ``"TIMEOUT"``).
    """
    with link.subscribe("COMMAND_ACK", "STATUSTEXT", sysid=sysid) as sub:
        texts: list[str] = []
        for attempt in range(retries + 1):
            _send(link, sysid, spec, attempt)
            sent_s = time.monotonic()
            deadline = sent_s + timeout_s
            while (left := deadline - time.monotonic()) > 0:
                msg = sub.get(left)
                if msg is None:
                    break
                if msg.type == "STATUSTEXT":
                    texts.append(msg["text"])
                    continue
                if msg["command"] != spec.command:
                    continue
                result = msg["result"]
                if result == MavResult.IN_PROGRESS:
                    deadline = time.monotonic() + timeout_s
                    continue
                if result == MavResult.ACCEPTED:
                    if attempt == 0:  # an unambiguous round trip: teach the link's timing
                        rtt_s = time.monotonic() - sent_s
                        old = link.reply_srtt_s
                        link.reply_srtt_s = rtt_s if old is None else 0.8 * old + 0.2 * rtt_s
                    return
                late = sub.wait(lambda m: m.type == "STATUSTEXT", _TEXT_GRACE_S)
                if late is not None:
                    texts.append(late["text"])
                try:
                    name = MavResult(result).name
                except ValueError:
                    name = f"RESULT_{result}"
                raise CommandError(spec.name, name, tuple(texts))
        raise CommandError(spec.name, CommandResult.TIMEOUT, tuple(texts))
