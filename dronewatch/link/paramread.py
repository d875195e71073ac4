"""Reading several parameters in one exchange, as ArduPilot and PX4 both answer it.

Why apart from the vehicle: the ArduPilot reader wants the values, PX4's wants the
type beside each value too (its integers travel bytewise), and both ask the same way:
all names at once, the missing ones again, until the vehicle's retries run out.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from dronewatch.link.errors import ParamError

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["read_params"]


def read_params(vehicle: Vehicle, names: tuple[str, ...]) -> dict[str, tuple[float, int]]:
    """name -> (PARAM_VALUE's ``param_value`` as sent, its MAV_PARAM_TYPE).

    Raises
    ------
    ParamError
        One never came (an unknown name goes unanswered); the message names it.
    """
    got: dict[str, tuple[float, int]] = {}
    with vehicle.subscribe("PARAM_VALUE") as sub:
        for _ in range(vehicle.retries + 1):
            for name in names:
                if name not in got:
                    vehicle.link.send("param_request_read", target_system=vehicle.sysid,
                                      target_component=1, param_id=name.encode(),
                                      param_index=-1)
            deadline = time.monotonic() + vehicle.reply_timeout_s
            while len(got) < len(names) and (left := deadline - time.monotonic()) > 0:
                msg = sub.get(left)
                if msg is not None and msg["param_id"] in names:
                    got[msg["param_id"]] = (float(msg["param_value"]), int(msg["param_type"]))
            if len(got) == len(names):
                return got
    missing = ", ".join(n for n in names if n not in got)
    raise ParamError(f"vehicle {vehicle.sysid}: no value for parameter(s) {missing}")
