"""Durable storage: deliveries, ballots and tokens in SQLite or PostgreSQL."""

from .ballots import PollClosed
from .base import StoreError
from .deliveries import Delivery
from .polls import Poll
from .store import Store, open_store

__all__ = ["Delivery", "Poll", "PollClosed", "Store", "StoreError", "open_store"]
