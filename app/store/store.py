"""The Store: one object over one database, and `open_store`, which migrates before handing it out."""

from __future__ import annotations

from .ballots import BallotStore
from .case_index import CaseIndexStore
from .deliveries import DeliveryStore
from .effects import EffectStore
from .engine import make_engine
from .forgetting import ForgetStore
from .keys import KeyStore
from .ledger import LedgerStore
from .migrations import migrate
from .notices import NoticeStore
from .outbox import OutboxStore
from .polls import PollStore
from .rates import RateStore
from .role_cache import RoleCacheStore


class Store(DeliveryStore, EffectStore, PollStore, BallotStore, KeyStore, LedgerStore, NoticeStore, ForgetStore,
            CaseIndexStore, RoleCacheStore, RateStore, OutboxStore):
    """Deliveries, effects, polls, ballots, poll keys, sanctions, notices, forgetting, the case index, cached
    role members, shared rate budgets and the case outbox; each in its own module."""


def open_store(url: str) -> Store:
    """Open `sqlite:///path` or `postgresql://...` (also `postgres://`), migrating it to the latest schema."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
