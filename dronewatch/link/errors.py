"""Errors of the link layer, each saying which command or transfer failed and why.

Why results as enums: a refusal is only actionable when it says what the vehicle
answered (DENIED, TEMPORARILY_REJECTED, MAV_MISSION_NO_SPACE ...) and what it said
about it (the STATUSTEXT, e.g. "PreArm: Need Position Estimate").
"""

from __future__ import annotations

from dronewatch.errors import DronewatchError
from dronewatch.link.results import CommandResult, MissionResult

__all__ = [
    "CommandError",
    "LaunchError",
    "LinkError",
    "LinkLostError",
    "MissionTransferError",
    "NoHeartbeatError",
    "NotReadyError",
    "ParamError",
    "SignatureMismatchError",
]


class LinkError(DronewatchError):
    """Anything that went wrong talking to a vehicle."""


class NoHeartbeatError(LinkError, TimeoutError):
    """No vehicle answered on the link within the timeout."""


class SignatureMismatchError(NoHeartbeatError):
    """The vehicle answers, but signs with another MAVLink 2 key (or one side does not sign).

    Why its own error: without it a key mismatch shows up much later as a vehicle that
    "has no GPS fix" or never gets ready, because it drops every request we send.
    """


class LinkLostError(LinkError):
    """The vehicle went silent during an operation that needs it."""


class CommandError(LinkError):
    """A command was refused or never acknowledged.

    Attributes
    ----------
    command
        The MAV_CMD name, e.g. ``"COMPONENT_ARM_DISARM"``.
    result
        What the vehicle answered (:class:`CommandResult`), ``TIMEOUT`` when no ACK came;
        a name MAVLink does not define is ``UNKNOWN`` here and kept as text in the message.
    statustexts
        What the vehicle said while the command was handled.
    """

    def __init__(self, command: str, result: CommandResult | str,
                 statustexts: tuple[str, ...] = ()) -> None:
        self.command = command
        self.result = CommandResult.of(str(result))
        self.statustexts = statustexts
        said = f": {'; '.join(statustexts)}" if statustexts else ""
        super().__init__(f"{command} {result}{said}")


class MissionTransferError(LinkError):
    """A mission, fence or rally transfer failed; ``result`` is the vehicle's
    MAV_MISSION_RESULT or the link's own conclusion (:class:`MissionResult`)."""

    def __init__(self, operation: str, result: MissionResult | str, detail: str = "") -> None:
        self.operation = operation
        self.result = MissionResult.of(str(result))
        super().__init__(f"{operation} failed: {result}{f' ({detail})' if detail else ''}")


class ParamError(LinkError):
    """A parameter could not be read or set."""


class NotReadyError(LinkError):
    """The vehicle did not become ready to arm in time; ``reason`` is its own PreArm text."""

    def __init__(self, message: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(message)


class LaunchError(LinkError):
    """Arming, taking off or starting the mission failed; ``step`` names which.

    Steps: ``"GUIDED mode"``, ``"arm"``, ``"take-off"``, ``"climb"``, ``"AUTO mode"``.
    """

    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        self.detail = detail
        super().__init__(f"launch failed at step {step!r}: {detail}")
