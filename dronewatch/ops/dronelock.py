"""One mission per drone across processes: an advisory lock file per drone while it flies.

Why a lock file: the console refuses a second mission on a drone it is flying itself,
but ``dronewatch search``, ``dronewatch patrol serve`` or a second console are other
processes with their own links to the same drone, and each would upload its own
mission over the other's. Whatever flies a mission (:func:`dronewatch.ops.search.fly_plan`,
used by searches, patrols, fleets and the console) takes the drone's lock first and is
refused, before anything is uploaded, while another flight holds it. ``flock`` locks are
dropped by the kernel when their holder exits however it ends (Ctrl-C, crash, kill -9),
so a dead process never keeps a drone grounded. Two flights in one process are refused
too (each takes its own open file description), while a fleet's drones, each its own
lock, fly side by side.

The lock is per machine: flights started on two computers are not seen by each other.
The key is the drone's MAVLink address as written (with ``udp:`` read as ``udpin:``) and
its system id, so one drone reached by two different addresses is two keys.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from dronewatch.config import data_dir
from dronewatch.link import Vehicle
from dronewatch.ops.launch import PreflightError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no guard across processes
    fcntl = None  # type: ignore[assignment]

__all__ = ["DroneBusyError", "drone_key", "hold_drone", "holds_drone", "lock_dir"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_MAX_COMMAND_CHARS = 200


class DroneBusyError(PreflightError):
    """Another flight (in this or another process) is flying the drone; nothing went up."""


def lock_dir() -> Path:
    """Where the drones' lock files live: ``locks/`` in the station's data folder."""
    return data_dir() / "locks"


def drone_key(url: str, sysid: int) -> str:
    """The drone as one name: its MAVLink address (``udp:`` is ``udpin:``) and system id."""
    scheme, sep, rest = url.strip().partition(":")
    scheme = "udpin" if scheme.lower() == "udp" else scheme.lower()
    return f"{scheme}{sep}{rest.lower() if sep else ''} sysid {sysid}"


def _lock_path(key: str) -> Path:
    readable = re.sub(r"[^a-z0-9.-]+", "_", key)[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return lock_dir() / f"{readable}-{digest}.lock"


def _this_command() -> str:
    """What this process is, as an operator would recognise it (``dronewatch search ...``)."""
    argv = sys.argv if sys.argv and sys.argv[0] not in ("", "-c") else sys.orig_argv
    words = [Path(argv[0]).name, *argv[1:]] if argv else ["python"]
    text = shlex.join(words)
    return text if len(text) <= _MAX_COMMAND_CHARS else text[:_MAX_COMMAND_CHARS - 3] + "..."


def _holder(fd: int) -> str:
    """Who holds the lock, from what it wrote into the file."""
    try:
        held = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        since = time.strftime("%H:%M:%S UTC", time.gmtime(float(held["since_unix_s"])))
        return f"pid {int(held['pid'])} ({held['command']}) since {since}"
    except (OSError, ValueError, KeyError, TypeError):  # written this very moment
        return "another flight (it has not said who yet)"


@contextlib.contextmanager
def hold_drone(url: str, sysid: int) -> Iterator[Path]:
    """Hold the drone's lock for the ``with`` block; the lock file's path.

    Raises
    ------
    DroneBusyError
        Another flight holds it; the message names the drone and the holder (pid,
        command, since when).
    """
    key = drone_key(url, sysid)
    path = _lock_path(key)
    if fcntl is None:  # pragma: no cover
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DroneBusyError(
                f"{key} is already flying a mission for {_holder(fd)}: one mission per "
                "drone; nothing was uploaded (RTL it there, or wait for it to land)") from None
        # the file is never deleted: a new file at the same path would be a second lock
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"drone": key, "pid": os.getpid(),
                                  "command": _this_command(),
                                  "since_unix_s": time.time()}).encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def holds_drone(fly: Callable[Concatenate[Vehicle, _P], _R]
                ) -> Callable[Concatenate[Vehicle, _P], _R]:
    """Decorate a function that flies its first argument, a vehicle, to hold its lock."""

    @functools.wraps(fly)
    def flying(vehicle: Vehicle, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with hold_drone(vehicle.link.url, vehicle.sysid):
            return fly(vehicle, *args, **kwargs)

    return flying
