"""The fleet's orders on a find, from a real recorder and store: who goes over whom.

Flying them is proven end to end in test_fleet_relay.py; here the choice itself, for
every on-find setting, with drones placed by hand (what their telemetry would say).
"""

from __future__ import annotations

import pytest

from dronewatch.geo import LocalFrame
from dronewatch.ops.crew import HoldOver, Recall, SharedRecorder
from dronewatch.ops.fleetfind import FindOrders
from dronewatch.ops.flightloop import OnFind
from dronewatch.store import Store
from tests.ops.test_fleet_fusion import FRAME, TRUTH, sighting

AROUND = LocalFrame(*TRUTH)
PLACES_M = [(-300.0, 0.0), (40.0, 30.0), (400.0, 0.0)]  # drone-2 is nearest the person


def _orders(tmp_path, on_find: OnFind, airborne=(True, True, True)):
    store = Store(tmp_path / "s.sqlite")
    mission = store.add_mission("search", "t", launched_by="test", reason="test").id
    recorder = SharedRecorder(store, mission, alarm_confidence=0.5)
    places = [tuple(float(v) for v in AROUND.to_wgs84(e, n)) for e, n in PLACES_M]
    recalls: list[str] = []
    orders = FindOrders([f"drone-{i + 1}" for i in range(3)],
                        [lambda p=p: p for p in places], lambda i: airborne[i], recorder,
                        on_find, lambda _: None, recalls.append)
    return store, recorder, orders, recalls


def _mail(orders: FindOrders) -> list[list]:
    out = []
    for i in range(3):
        take, got = orders.orders_for(i), []
        while (order := take()) is not None:
            got.append(order)
        out.append(got)
    return out


@pytest.mark.parametrize("on_find", [OnFind.LOITER, OnFind.RECALL])
def test_the_nearest_drone_goes_over_the_person_and_the_others_by_the_choice(tmp_path,
                                                                            on_find):
    store, recorder, orders, recalls = _orders(tmp_path, on_find)
    recorder.add(FRAME, [sighting(0.0, 0.0, 0.0)])
    orders.check()
    orders.check()  # the same person again: no second order
    mail = _mail(orders)
    assert [type(o) for o in mail[1]] == [HoldOver]
    assert mail[1][0].finding.id == recorder.snapshot()[0].id
    if on_find is OnFind.RECALL:
        assert [type(o) for o in mail[0] + mail[2]] == [Recall, Recall]
        assert recalls == [orders.recalled] and "drone-2 holds over them" in orders.recalled
    else:
        assert mail[0] == mail[2] == [] and recalls == [] and orders.recalled == ""
    store.close()


def test_continue_sends_nobody_and_a_drone_on_the_ground_is_not_sent(tmp_path):
    store, recorder, orders, _ = _orders(tmp_path, OnFind.CONTINUE)
    recorder.add(FRAME, [sighting(0.0, 0.0, 0.0)])
    orders.check()
    assert _mail(orders) == [[], [], []]
    store.close()
    store, recorder, orders, recalls = _orders(tmp_path / "b", OnFind.RECALL,
                                               airborne=(True, False, True))
    recorder.add(FRAME, [sighting(0.0, 0.0, 0.0)])
    orders.check()
    mail = _mail(orders)
    assert [type(o) for o in mail[0]] == [HoldOver]  # drone-2 landed: the next nearest
    assert [type(o) for o in mail[1] + mail[2]] == [Recall, Recall] and len(recalls) == 1
    store.close()
