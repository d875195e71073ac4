"""Relays: what a drone had to leave unsearched is flown by the next drone free to fly it.

Why: a drone comes home before its share is done (its battery reserve, a failsafe, a
lost link, a hold over a person, an upload refused before it flew), and a search that
simply stops there leaves ground nobody looked at, with other drones idle on the pad.
So when a drone's flight ends, the rest of its plan from the last waypoint it reached
(:func:`dronewatch.planning.remainder.plan_remainder`) is queued, and the first drone
that may fly it takes it:

- a drone that flew its own plan to the end is free, if it passes the same pre-flight
  checks as at the start (charge, energy for the work, camera, GPS, launch site);
- a drone that came home early (or is too flat for the work) flies again only after
  the operator confirms its battery was swapped (``confirm_swap``, a prompt at the
  CLI), and it has booted and passes the checks;
- a drone whose link was lost, or that failed to fly, takes no more work.

Each relay flies its transits on a layer no drone in the air holds where the routes
cross (:func:`dronewatch.planning.fleetsplit.layer_for`). A share handed on more than
:data:`MAX_HAND_OFFS` times, and work nobody may fly, is reported as left unsearched.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dronewatch.link import NotReadyError, Vehicle
from dronewatch.ops.faults import Outcome
from dronewatch.ops.search import FlightOptions, FlightReport, preflight_problems
from dronewatch.planning import Airframe, Plan, PlanningContext, PlanningError
from dronewatch.planning.fleetsplit import WAIT_APART, layer_for, lift_transits, transit_lines
from dronewatch.planning.landing import wait_limit_s, with_landing_wait
from dronewatch.planning.remainder import plan_remainder, reached_point

__all__ = ["MAX_HAND_OFFS", "Relay", "Work"]

MAX_HAND_OFFS = 4  # times one share's rest is handed on before it is left unsearched
_WAIT_S = 0.2  # wall seconds between two looks for work while others still fly


@dataclass(frozen=True, slots=True)
class Work:
    """Unsearched rest of a share, waiting for a drone (transits not yet on a layer)."""

    plan: Plan
    of_share: str  # the name of the share it is the rest of
    left_by: str  # the drone that came home from it
    hand_offs: int  # 1 for the first rest of a share, 2 when that was cut short too...


@dataclass(frozen=True, slots=True)
class Assignment:
    """Work a drone takes: the plan to fly, its transits lifted to ``offset_m``."""

    work: Work
    plan: Plan
    offset_m: float


class Relay:
    """The fleet's queue of unsearched rests and the drones that may fly them.

    Every drone's thread reports each flight's end (:meth:`ended`) and asks for its next
    work (:meth:`next_work`, which blocks while others still fly and may leave work).
    """

    def __init__(self, ctx: PlanningContext, names: Sequence[str],
                 vehicles: Sequence[Vehicle], plans: Sequence[Plan],
                 offsets_m: Sequence[float], *, options: FlightOptions, airframe: Airframe,
                 layer_m: float, min_horizontal_m: float, stop: threading.Event,
                 say: Callable[[str], None],
                 confirm_swap: Callable[[str], bool] | None = None) -> None:
        self.ctx, self.names, self.vehicles = ctx, list(names), list(vehicles)
        self.options, self.airframe, self.stop, self.say = options, airframe, stop, say
        self.layer_m, self.min_horizontal_m = layer_m, min_horizontal_m
        self.confirm_swap = confirm_swap
        self.queue: list[Work] = []
        self.unsearched: list[str] = []  # what was left, and why
        self.closed = ""  # why no more work is given (a recall), "" while it is
        self._cond = threading.Condition()
        self._busy = set(range(len(names)))  # flying, or about to: may still leave work
        self._flying = {i: (transit_lines(p), d) for i, (p, d) in
                        enumerate(zip(plans, offsets_m, strict=True))}
        self._out: set[int] = set()  # take no more work
        self._needs_swap: set[int] = set()

    def close(self, why: str) -> None:
        """No more work for anyone (the operator recalled the fleet); the queue is kept
        as unsearched."""
        with self._cond:
            self.closed = why
            self.unsearched += [f"{w.plan.name}: {why}" for w in self.queue]
            self.queue.clear()
            self._cond.notify_all()

    def ended(self, i: int, plan: Plan, report: FlightReport | None, flying_to_item: int,
              hand_offs: int = 0) -> None:
        """Drone ``i``'s flight of ``plan`` ended (``report`` None: it never flew): queue
        what it left, and note whether it may fly again."""
        name = self.names[i]
        reached = 0 if report is None else reached_point(plan, flying_to_item)
        try:
            rest = plan_remainder(self.ctx, plan, reached, name=f"rest of {_share(plan)} "
                                  f"(left by {name})")
        except PlanningError as exc:
            rest = None
            self.unsearched.append(f"{plan.name} from its point {reached}: {exc}")
        finished = rest is None or reached == len(plan.sorties[0].points) - 1
        with self._cond:
            self._flying.pop(i, None)
            self._busy.discard(i)
            if report is None or report.outcome is Outcome.LINK_LOST:
                self._out.add(i)
            elif not (finished and report.outcome is Outcome.COMPLETED):
                self._needs_swap.add(i)
            if rest is not None:
                self._queue(Work(rest, _share(plan), name, hand_offs + 1))
            self._cond.notify_all()

    def _queue(self, work: Work) -> None:
        if self.closed or self.stop.is_set():
            self.unsearched.append(f"{work.plan.name}: {self.closed or 'the search stopped'}")
        elif work.hand_offs > MAX_HAND_OFFS:
            self.unsearched.append(f"{work.plan.name}: handed on {MAX_HAND_OFFS} times already")
        else:
            self.say(f"{work.left_by} left {work.plan.name} unsearched "
                     f"({work.plan.searched_area_m2 / 1e4:.1f} ha): for the next free drone")
            self.queue.append(work)

    def next_work(self, i: int) -> Assignment | None:
        """The next work drone ``i`` may fly, once there is some; None when none will
        come (the queue is empty and nobody flies), or the drone may take no more.

        A drone that needs a fresh battery leaves the work in the queue while the
        operator is asked, so a free drone can take it meanwhile.
        """
        while True:
            with self._cond:
                if not self._wait_for_work(i):
                    return None
                self._busy.add(i)  # while it is asked or checked, it may take the work
                swap = i in self._needs_swap
                work = None if swap else self.queue.pop(0)
            if work is None:
                if not self._swapped(i):
                    with self._cond:
                        self._out.add(i)
                        self._busy.discard(i)
                        self._cond.notify_all()
                continue
            taken = self._fit_for(i, work)
            if taken is not None:
                return taken

    def _wait_for_work(self, i: int) -> bool:
        """Under the lock: True once work is queued, False when none will come."""
        self._busy.discard(i)
        self._cond.notify_all()
        while True:
            if self.stop.is_set() or self.closed or i in self._out:
                return False
            if self.queue:
                return True
            if not self._busy:
                return False
            self._cond.wait(_WAIT_S)

    def _fit_for(self, i: int, work: Work) -> Assignment | None:
        """The work on drone ``i``'s layer if it passes its checks; else it goes back."""
        with self._cond:
            flying = [v for j, v in self._flying.items() if j != i]
        waits = with_landing_wait(self.ctx, work.plan,
                                  distance_m=WAIT_APART * self.min_horizontal_m,
                                  wait_s=wait_limit_s(self.ctx.airframe, len(self.vehicles)))
        try:
            offset = layer_for(self.ctx, transit_lines(waits), flying, layer_m=self.layer_m,
                               min_horizontal_m=self.min_horizontal_m)
            plan = lift_transits(self.ctx, waits, offset)
        except PlanningError as exc:  # every layer held now: wait for a drone to land
            self.say(f"{self.names[i]} waits to relay {work.plan.name}: {exc}")
            self._give_back(i, work, wait=True)
            return None
        problems = preflight_problems(self.vehicles[i], plan, self.options, self.airframe)
        if problems:
            self.say(f"{self.names[i]} may not relay {work.plan.name}: " + "; ".join(problems))
            self._give_back(i, work)
            with self._cond:
                self._needs_swap.add(i)
            return None
        with self._cond:
            self._flying[i] = (transit_lines(plan), offset)
        self.say(f"{self.names[i]} relays {work.plan.name}")
        return Assignment(work, plan, offset)

    def _give_back(self, i: int, work: Work, *, wait: bool = False) -> None:
        with self._cond:
            self.queue.insert(0, work)
            self._busy.discard(i)
            self._cond.notify_all()
            if wait:
                self._cond.wait(_WAIT_S * 5)

    def _swapped(self, i: int) -> bool:
        """Ask the operator to swap drone ``i``'s battery; True once it is back, ready."""
        name, vehicle = self.names[i], self.vehicles[i]
        if self.confirm_swap is None:
            return False
        self.say(f"{name} is home: swap its battery to fly the rest of the search")
        try:
            if not self._ask(name):
                self.say(f"{name}: no battery swap; it flies no more in this search")
                return False
            vehicle.wait_ready(self.options.ready_within_s / max(vehicle.speedup, 1.0))
        except NotReadyError as exc:
            self.say(f"{name} is not ready after its battery swap: {exc}")
            return False
        except Exception as exc:  # the prompt failed: the drone stays on the ground
            self.say(f"{name}: the battery swap could not be confirmed ({exc})")
            return False
        charge = vehicle.state.battery_remaining_pct
        self.say(f"{name} has a fresh battery" + (f" ({charge:.0f} %)" if math.isfinite(charge)
                                                    else ""))
        with self._cond:
            self._needs_swap.discard(i)
        return True

    def _ask(self, name: str) -> bool:
        """The operator's answer, on a thread of its own: a stop (Ctrl-C) must not wait
        for someone to answer a prompt."""
        answer: list[bool] = []
        asking = threading.Thread(target=lambda: answer.append(bool(self.confirm_swap(name))),
                                  name=f"swap-{name}", daemon=True)
        asking.start()
        while asking.is_alive() and not self.stop.wait(_WAIT_S):
            pass
        return bool(answer and answer[0]) and not self.stop.is_set()

    def leftover(self) -> list[str]:
        """What no drone flew: the unsearched, and work still queued at the end."""
        with self._cond:
            return [*self.unsearched, *(f"{w.plan.name}: no drone was free to fly it"
                                        for w in self.queue)]


def _share(plan: Plan) -> str:
    """The share a plan (or a rest of a rest) belongs to."""
    name = plan.name
    while name.startswith("rest of "):
        name = name[len("rest of "):].rsplit(" (left by ", 1)[0]
    return name
