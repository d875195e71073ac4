"""A UDP relay between a ground station and a vehicle that a test can cut and restore."""

from __future__ import annotations

import heapq
import itertools
import random
import select
import socket
import threading
import time
from collections.abc import Callable


class CuttableRelay:
    """Listens on a port (the GCS side) and forwards to the vehicle's port; ``cut`` drops all.

    ``drop_to_vehicle`` sees each datagram bound for the vehicle (``drop_to_gcs`` each
    one bound for the ground station) and drops it when it answers True: a test loses
    exactly the packets it means to. ``delay_s`` (e.g. :func:`radio_delay`) gives each
    datagram its one-way delay in seconds; datagrams still arrive in the order sent,
    as through a telemetry radio, which queues rather than overtakes.
    """

    def __init__(self, vehicle_port: int,
                 drop_to_vehicle: Callable[[bytes], bool] | None = None,
                 drop_to_gcs: Callable[[bytes], bool] | None = None,
                 delay_s: Callable[[], float] | None = None) -> None:
        self.drop_to_vehicle = drop_to_vehicle
        self.drop_to_gcs = drop_to_gcs
        self.delay_s = delay_s
        self._front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._front.bind(("127.0.0.1", 0))
        self._back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._back.bind(("127.0.0.1", 0))
        self.port = self._front.getsockname()[1]
        self._vehicle = ("127.0.0.1", vehicle_port)
        self._gcs: tuple[str, int] | None = None
        self._due: list[tuple[float, int, socket.socket, bytes, tuple[str, int]]] = []
        self._order = itertools.count()
        self._last_due = {id(self._front): 0.0, id(self._back): 0.0}
        self.cut = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _forward(self, sock: socket.socket, data: bytes, to: tuple[str, int]) -> None:
        if self.delay_s is None:
            sock.sendto(data, to)
            return
        # Never before the datagram sent ahead of it on the same side: no overtaking.
        due = max(time.monotonic() + self.delay_s(), self._last_due[id(sock)])
        self._last_due[id(sock)] = due
        heapq.heappush(self._due, (due, next(self._order), sock, data, to))

    def _send_due(self) -> float:
        """Send what is due; seconds until the next datagram is (at most 0.05)."""
        now = time.monotonic()
        while self._due and self._due[0][0] <= now:
            _, _, sock, data, to = heapq.heappop(self._due)
            sock.sendto(data, to)
        return min(0.05, self._due[0][0] - now) if self._due else 0.05

    def _run(self) -> None:
        while not self._stop:
            try:
                readable, _, _ = select.select([self._front, self._back], [], [],
                                               self._send_due())
                received = [(sock, *sock.recvfrom(65535)) for sock in readable]
            except OSError:  # closed under us: the relay is being shut
                return
            for sock, data, peer in received:
                if self.cut:
                    continue
                if sock is self._front:
                    self._gcs = peer
                    if self.drop_to_vehicle is not None and self.drop_to_vehicle(data):
                        continue
                    self._forward(self._back, data, self._vehicle)
                elif self._gcs is not None:
                    if self.drop_to_gcs is not None and self.drop_to_gcs(data):
                        continue
                    self._forward(self._front, data, self._gcs)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=1)
        self._front.close()
        self._back.close()


def random_loss(share: float, seed: int) -> Callable[[bytes], bool]:
    """A seeded drop decision for :class:`CuttableRelay`: loses ``share`` of the datagrams."""
    rng = random.Random(seed)
    return lambda _data: rng.random() < share


def radio_delay(low_s: float, high_s: float, seed: int) -> Callable[[], float]:
    """A seeded one-way delay for :class:`CuttableRelay`, uniform in [low_s, high_s]."""
    rng = random.Random(seed)
    return lambda: rng.uniform(low_s, high_s)
