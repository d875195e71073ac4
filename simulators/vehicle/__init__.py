"""A simulated multicopter that speaks MAVLink 2 like ArduCopter SITL.

Start one with ``python -m simulators.vehicle``; embed one with :class:`SimVehicle`
and :func:`run`.
"""

from simulators.vehicle.config import HomeSpec, VehicleConfig
from simulators.vehicle.runner import run
from simulators.vehicle.transport import LinkFaults
from simulators.vehicle.vehicle import SimVehicle

__all__ = ["HomeSpec", "LinkFaults", "SimVehicle", "VehicleConfig", "run"]
