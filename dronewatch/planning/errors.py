"""The planning layer's error: an intent that cannot be flown safely, with the reason."""

from __future__ import annotations

from dronewatch.errors import DronewatchError

__all__ = ["PlanningError"]


class PlanningError(DronewatchError, ValueError):
    """The plan was refused: the message says which part of the intent and why."""
