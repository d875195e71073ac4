"""Persistence of missions, flights, tracks, findings, patrol runs and alerts.

SQLite by default (one file, WAL); findings are committed the moment they are made.
"""

from dronewatch.store.models import Finding, FindingKind, Flight, Mission
from dronewatch.store.sqlite import SqliteStore, StoreError

__all__ = ["Finding", "FindingKind", "Flight", "Mission", "SqliteStore", "StoreError"]
