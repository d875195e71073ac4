"""The `dronewatch` command line: parse, call one library function, print."""

from dronewatch.cli import analyse, area, check, flight, patrol  # noqa: F401 - commands register on the app
from dronewatch.cli.common import app

__all__ = ["app"]
