"""The `dronewatch` command line: parse, call one library function, print."""

from dronewatch.cli import (  # noqa: F401 - commands register on the app
    analyse,
    area,
    cases,
    check,
    console,
    flight,
    mapdata,
    patrol,
    report,
    storezones,
    sync,
    watch,
)
from dronewatch.cli.common import app

__all__ = ["app"]
