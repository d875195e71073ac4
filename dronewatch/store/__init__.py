"""Persistence of missions, flights, tracks, findings, patrol runs and alerts.

SQLite by default (one file, WAL), PostgreSQL by URL; findings are committed the
moment they are made.
"""

from dronewatch.store.backends import StoreError
from dronewatch.store.journal import Journal, JournaledStore, replay_journal
from dronewatch.store.models import (
    Alert,
    Finding,
    FindingKind,
    FindingStatus,
    Flight,
    Mission,
    MissionKind,
    PatrolRun,
    TrackPoint,
)
from dronewatch.store.sqlstore import Store

__all__ = ["Alert", "Finding", "FindingKind", "FindingStatus", "Flight", "Journal",
           "JournaledStore", "Mission", "MissionKind", "PatrolRun", "Store", "StoreError",
           "TrackPoint", "replay_journal"]
