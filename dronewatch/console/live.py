"""Server-Sent Events: what changed, pushed to every open console page.

Why one poller for all pages: the store is asked a few times a second whatever the
number of pages (a command room may have several screens open), and each page gets the
same events through its own queue. Why SSE and not a WebSocket: the stream only goes
to the browser (commands are ordinary POSTs with CSRF checks), EventSource reconnects
by itself after a hiccup, and it goes through the cookie session with nothing added.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from dronewatch.console.fleet import Fleet
from dronewatch.store import Store
from dronewatch.store.live import finding_versions, newest_review_id
from dronewatch.store.reviews import reviews

__all__ = ["Hub", "sse"]

POLL_EVERY_S = 0.2
KEEPALIVE_EVERY_S = 15.0
SESSION_CHECK_S = 5.0  # a session dropped elsewhere (log-out, password reset) ends streams
QUEUE_EVENTS = 500  # a page this far behind is dropped (it reconnects and reloads)


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class Hub:
    """Polls the fleet and the store; fans each change out to the open streams.

    ``finding_json`` turns a finding id into what the page shows (the app's own view).
    """

    def __init__(self, store: Store, fleet: Fleet,
                 finding_json: Callable[[int], dict[str, Any] | None]) -> None:
        self.store, self.fleet, self.finding_json = store, fleet, finding_json
        self._queues: set[asyncio.Queue[str | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self.closing = False

    async def start(self) -> None:
        self._versions, self._review_id = await asyncio.to_thread(self._baseline)
        self._task = asyncio.create_task(self._run())

    def _baseline(self) -> tuple[dict[int, tuple[float, int, str]], int]:
        return finding_versions(self.store), newest_review_id(self.store)

    async def stop(self) -> None:
        self.closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in list(self._queues):
            queue.put_nowait(None)

    def _publish(self, text: str) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:
                self._queues.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    def _changes(self) -> list[str]:
        """Events for findings stored or updated and reviews recorded since last time."""
        events = []
        versions = finding_versions(self.store)
        for finding_id, version in sorted(versions.items()):
            if self._versions.get(finding_id) != version:
                shown = self.finding_json(finding_id)
                if shown is not None:
                    events.append(sse("finding", shown))
        self._versions = versions
        for review in reviews(self.store, after_id=self._review_id):
            self._review_id = review.id
            shown = self.finding_json(review.finding_id)
            if shown is not None:
                events.append(sse("finding", shown))
        return events

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            if self._queues:
                drones = [asdict(v) for v in self.fleet.views(with_track=False)]
                self._publish(sse("drones", {"sent_unix_s": time.time(), "drones": drones}))
            try:
                for text in await asyncio.to_thread(self._changes):
                    self._publish(text)
            except Exception as exc:  # a store hiccup must not end the live view
                self._publish(sse("problem", {"text": f"store: {exc}"}))
            await asyncio.sleep(max(0.0, POLL_EVERY_S - (time.monotonic() - started)))

    async def stream(self, until_unix_s: float = math.inf,
                     still_open: Callable[[], bool] = lambda: True) -> AsyncIterator[str]:
        """One page's events until it leaves, the console stops or its session ends.

        Why the session ends the stream: a page left open past the end of a shift, or
        whose user logged out elsewhere (or had the password reset), must stop seeing
        drones and findings like any other request of that session. The stream ends at
        ``until_unix_s`` (the session's expiry) and within :data:`SESSION_CHECK_S` of
        ``still_open`` turning false, with a last ``session`` event; the browser's
        reconnection then gets a 401 and the page asks for a log-in.
        """
        queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_EVENTS)
        self._queues.add(queue)
        checked = sent = time.monotonic()
        try:
            yield "retry: 1000\n\n"
            while not self.closing:
                left_s = until_unix_s - time.time()
                if time.monotonic() - checked >= SESSION_CHECK_S:
                    checked = time.monotonic()
                    if not await asyncio.to_thread(still_open):
                        left_s = 0.0
                if left_s <= 0:
                    yield sse("session", {"ended": True, "text": "the session has ended: "
                                          "log in again"})
                    return
                try:
                    text = await asyncio.wait_for(
                        queue.get(), min(KEEPALIVE_EVERY_S, SESSION_CHECK_S, left_s))
                except TimeoutError:
                    if time.monotonic() - sent < KEEPALIVE_EVERY_S:
                        continue
                    text = ": keep-alive\n\n"
                if text is None:
                    return
                sent = time.monotonic()
                yield text
        finally:
            self._queues.discard(queue)
