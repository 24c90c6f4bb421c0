"""Durable storage: deliveries, ballots and tokens in SQLite or PostgreSQL."""

from .ballots import PollClosed, StaleCast
from .base import StoreError
from .deliveries import Delivery
from .polls import Poll
from .store import Store, open_store

__all__ = ["Delivery", "Poll", "PollClosed", "StaleCast", "Store", "StoreError", "open_store"]
