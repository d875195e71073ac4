"""The operator console: a live map in the browser, a thin edge over ``ops`` and ``store``.

Start it with ``dronewatch console`` and open the printed address; accounts come from
``dronewatch console adduser``.
"""

from dronewatch.console.app import Station, create_app
from dronewatch.console.fleet import DroneView, Fleet, FleetError

__all__ = ["DroneView", "Fleet", "FleetError", "Station", "create_app"]
