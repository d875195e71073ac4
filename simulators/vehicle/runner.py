"""The simulation loop: fixed simulated steps, paced to wall time by the speed-up.

Why fixed steps: the same seed and the same ground-station inputs give the same
flight, however fast the machine is. Between steps the loop waits on the sockets, so
a ground station's messages are answered at once rather than at the next step, which
keeps mission transfers fast at any speed-up. A speed-up of 0 runs flat out.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Sequence

from simulators.vehicle.vehicle import SimVehicle

__all__ = ["run"]


def run(
    vehicles: Sequence[SimVehicle],
    *,
    speedup: float | None = None,
    stop: threading.Event | None = None,
    duration_s: float | None = None,
) -> float:
    """Step every vehicle together until ``stop`` is set or ``duration_s`` simulated seconds.

    ``speedup`` None follows the first vehicle's SIM_SPEEDUP parameter (settable over
    MAVLink). Returns the simulated seconds run.
    """
    stop = stop or threading.Event()
    step_s = vehicles[0].config.step_s
    sim_s = 0.0
    anchor_wall, anchor_sim, anchor_factor = time.monotonic(), 0.0, None
    while not stop.is_set():
        for vehicle in vehicles:
            vehicle.step(step_s)
        sim_s += step_s
        if duration_s is not None and sim_s >= duration_s:
            break
        factor = speedup if speedup is not None else vehicles[0].params["SIM_SPEEDUP"]
        if factor != anchor_factor:
            anchor_wall, anchor_sim, anchor_factor = time.monotonic(), sim_s, factor
        if factor <= 0:
            continue
        target = anchor_wall + (sim_s - anchor_sim) / factor
        while (wait := target - time.monotonic()) > 0 and not stop.is_set():
            filenos = [fd for vehicle in vehicles for fd in vehicle.link.filenos()]
            readable, _, _ = select.select(filenos, [], [], wait)
            if readable:
                for vehicle in vehicles:
                    vehicle.link.poll(vehicle.time_s)
    return sim_s
