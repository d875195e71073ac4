"""What a vehicle answered to a command or a mission transfer, as public enums.

Why enums and not the names as text: a caller that decides on a refusal (retry a
TIMEOUT, give up on DENIED) compares members, so a misspelt name fails at import,
not silently at run time; and callers need not reach into the private pymavlink
adapter for MAV_RESULT or MAV_MISSION_RESULT. They are ``StrEnum`` so a message
still reads "COMPONENT_ARM_DISARM DENIED".
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CommandResult", "MissionResult"]


class CommandResult(StrEnum):
    """MAV_RESULT without its prefix, plus what the link concluded itself.

    ``TIMEOUT``: no COMMAND_ACK came; ``UNKNOWN``: an ACK with a code MAVLink does not
    define (a newer autopilot).
    """

    ACCEPTED = "ACCEPTED"
    TEMPORARILY_REJECTED = "TEMPORARILY_REJECTED"
    DENIED = "DENIED"
    UNSUPPORTED = "UNSUPPORTED"
    FAILED = "FAILED"
    IN_PROGRESS = "IN_PROGRESS"
    CANCELLED = "CANCELLED"
    COMMAND_LONG_ONLY = "COMMAND_LONG_ONLY"
    COMMAND_INT_ONLY = "COMMAND_INT_ONLY"
    COMMAND_UNSUPPORTED_MAV_FRAME = "COMMAND_UNSUPPORTED_MAV_FRAME"
    TIMEOUT = "TIMEOUT"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def of(cls, name: str) -> CommandResult:
        """The member of a MAV_RESULT name; ``UNKNOWN`` for one MAVLink added later."""
        try:
            return cls(name)
        except ValueError:
            return cls.UNKNOWN


class MissionResult(StrEnum):
    """MAV_MISSION_RESULT without its ``MAV_MISSION_`` prefix, plus the link's own.

    ``TIMEOUT``: the vehicle stopped answering; ``VERIFY_FAILED``: the read-back differs
    from what was sent; ``UNKNOWN``: a code MAVLink does not define.
    """

    ACCEPTED = "ACCEPTED"
    ERROR = "ERROR"
    UNSUPPORTED_FRAME = "UNSUPPORTED_FRAME"
    UNSUPPORTED = "UNSUPPORTED"
    NO_SPACE = "NO_SPACE"
    INVALID = "INVALID"
    INVALID_PARAM1 = "INVALID_PARAM1"
    INVALID_PARAM2 = "INVALID_PARAM2"
    INVALID_PARAM3 = "INVALID_PARAM3"
    INVALID_PARAM4 = "INVALID_PARAM4"
    INVALID_PARAM5_X = "INVALID_PARAM5_X"
    INVALID_PARAM6_Y = "INVALID_PARAM6_Y"
    INVALID_PARAM7 = "INVALID_PARAM7"
    INVALID_SEQUENCE = "INVALID_SEQUENCE"
    DENIED = "DENIED"
    OPERATION_CANCELLED = "OPERATION_CANCELLED"
    TIMEOUT = "TIMEOUT"
    VERIFY_FAILED = "VERIFY_FAILED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def of(cls, name: str) -> MissionResult:
        """The member of a MAV_MISSION_RESULT name; ``UNKNOWN`` for a later one."""
        try:
            return cls(name)
        except ValueError:
            return cls.UNKNOWN
