"""PX4 parameters over MAVLink: integers travel as the bytes of an int32, not as a float.

Why a module of its own: PX4 copies PARAM_SET's four value bytes straight into the
parameter (``param_set(param, &set.param_value)`` in mavlink_parameters.cpp) and sends
PARAM_VALUE the same way, the "bytewise" encoding of the MAVLink parameter protocol.
So GF_ACTION = 3 must go up as the float whose bits are the int32 3 (4.2e-45), and a
PARAM_VALUE of type INT32 is read back by reinterpreting its bits. Sending 3.0 as
ArduPilot takes it would set GF_ACTION to 1077936128. ArduPilot casts instead, which
is what :meth:`dronewatch.link.Vehicle.set_param` does.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING

from dronewatch.link.errors import ParamError
from dronewatch.link.paramread import read_params

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["PARAM_TYPE_INT32", "PARAM_TYPE_REAL32", "decode_bytewise", "encode_bytewise",
           "px4_get_params", "px4_set_param"]

PARAM_TYPE_INT32 = 6  # MAV_PARAM_TYPE_INT32
PARAM_TYPE_REAL32 = 9  # MAV_PARAM_TYPE_REAL32
_INTEGER_TYPES = {1: "<B", 2: "<b", 3: "<H", 4: "<h", 5: "<I", 6: "<i"}  # MAV_PARAM_TYPE


def encode_bytewise(value: float, param_type: int) -> float:
    """PARAM_SET's ``param_value`` for a value of ``param_type``, PX4's way."""
    if param_type == PARAM_TYPE_REAL32:
        return float(value)
    if param_type not in _INTEGER_TYPES:
        raise ValueError(f"parameter type {param_type} is not sent in 4 bytes")
    raw = struct.pack(_INTEGER_TYPES[param_type], round(value)).ljust(4, b"\0")
    return float(struct.unpack("<f", raw)[0])


def decode_bytewise(param_value: float, param_type: int) -> float:
    """The value a PX4 PARAM_VALUE carries, by its ``param_type``."""
    if param_type not in _INTEGER_TYPES:
        return float(param_value)
    raw = struct.pack("<f", param_value)
    size = struct.calcsize(_INTEGER_TYPES[param_type])
    return float(struct.unpack(_INTEGER_TYPES[param_type], raw[:size])[0])


def px4_get_params(vehicle: Vehicle, *names: str) -> dict[str, tuple[float, int]]:
    """Read parameters from a PX4 vehicle: name -> (value, MAV_PARAM_TYPE).

    Raises
    ------
    ParamError
        One never came (PX4 answers an unknown name with nothing but a STATUSTEXT).
    """
    return {name: (decode_bytewise(value, kind), kind)
            for name, (value, kind) in read_params(vehicle, names).items()}


def px4_set_param(vehicle: Vehicle, name: str, value: float, param_type: int) -> float:
    """Set one PX4 parameter (of the type the vehicle reported) and check its echo.

    Raises
    ------
    ParamError
        No echo, or the vehicle kept another value.
    """
    encoded = encode_bytewise(value, param_type)
    with vehicle.subscribe("PARAM_VALUE") as sub:
        for _ in range(vehicle.retries + 1):
            vehicle.link.send("param_set", target_system=vehicle.sysid, target_component=1,
                              param_id=name.encode(), param_value=encoded,
                              param_type=param_type)
            msg = sub.wait(lambda m: m["param_id"] == name, vehicle.reply_timeout_s)
            if msg is None:
                continue
            echoed = decode_bytewise(msg["param_value"], int(msg["param_type"]))
            if math.isclose(echoed, value, rel_tol=1e-6, abs_tol=1e-6):
                return echoed
            raise ParamError(f"vehicle {vehicle.sysid}: {name} is {echoed:g}, not {value:g}")
    raise ParamError(f"vehicle {vehicle.sysid}: parameter {name!r} not acknowledged")
