"""A UDP relay between a ground station and a vehicle that a test can cut and restore."""

from __future__ import annotations

import random
import select
import socket
import threading
from collections.abc import Callable


class CuttableRelay:
    """Listens on a port (the GCS side) and forwards to the vehicle's port; ``cut`` drops all.

    ``drop_to_vehicle`` sees each datagram bound for the vehicle (``drop_to_gcs`` each
    one bound for the ground station) and drops it when it answers True: a test loses
    exactly the packets it means to.
    """

    def __init__(self, vehicle_port: int,
                 drop_to_vehicle: Callable[[bytes], bool] | None = None,
                 drop_to_gcs: Callable[[bytes], bool] | None = None) -> None:
        self.drop_to_vehicle = drop_to_vehicle
        self.drop_to_gcs = drop_to_gcs
        self._front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._front.bind(("127.0.0.1", 0))
        self._back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._back.bind(("127.0.0.1", 0))
        self.port = self._front.getsockname()[1]
        self._vehicle = ("127.0.0.1", vehicle_port)
        self._gcs: tuple[str, int] | None = None
        self.cut = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            readable, _, _ = select.select([self._front, self._back], [], [], 0.05)
            for sock in readable:
                data, peer = sock.recvfrom(65535)
                if self.cut:
                    continue
                if sock is self._front:
                    self._gcs = peer
                    if self.drop_to_vehicle is not None and self.drop_to_vehicle(data):
                        continue
                    self._back.sendto(data, self._vehicle)
                elif self._gcs is not None:
                    if self.drop_to_gcs is not None and self.drop_to_gcs(data):
                        continue
                    self._front.sendto(data, self._gcs)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=1)
        self._front.close()
        self._back.close()


def random_loss(share: float, seed: int) -> Callable[[bytes], bool]:
    """A seeded drop decision for :class:`CuttableRelay`: loses ``share`` of the datagrams."""
    rng = random.Random(seed)
    return lambda _data: rng.random() < share
