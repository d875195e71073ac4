"""dronewatch: drone-supported search, rescue and inspection over a mining district.

The top level stays small; work with the sub-packages (``dronewatch.geo``,
``dronewatch.zones``) directly.
"""

from dronewatch.errors import DronewatchError

__all__ = ["DronewatchError", "__version__"]
__version__ = "0.1.0"
