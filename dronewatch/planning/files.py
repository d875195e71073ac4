"""QGroundControl ``.plan`` and ``QGC WPL 110`` (Mission Planner ``.waypoints``) files.

Why both: operators bring plans from QGroundControl, ArduPilot's tools write WPL, and
a plan made here must open there. Import accepts what the ecosystem's own readers
accept (pymavlink's ``mavwp``, which MAVProxy and ArduPilot's autotest use, and
QGroundControl): ``#`` comment lines (above the header too, as in PX4's files), blank
lines, tabs or spaces, CRLF, sequence numbers with gaps or repeats (items are numbered
by their order, as ``mavwp`` does), fence and rally files (told apart by their commands;
Mission Planner puts a home line first), a first line that is a take-off rather than a
home, ``QGC WPL 120`` (older QGroundControl, MAVROS: no home line), ``null`` numbers in
a ``.plan``. What cannot be used is refused with the file, the line (or item) and the
field, never half-imported; a null place a vehicle would fly to is refused, not guessed.
A file that reads writes back item-identical, with a ``.plan``'s firmware, vehicle and
speed fields kept.
"""

from dronewatch.planning.planfile import PlanFile, read_plan, write_plan
from dronewatch.planning.wplfile import (
    WplFile,
    read_wpl,
    read_wpl_file,
    write_wpl,
    write_wpl_file,
)

__all__ = ["PlanFile", "WplFile", "read_plan", "read_wpl", "read_wpl_file", "write_plan",
           "write_wpl", "write_wpl_file"]
