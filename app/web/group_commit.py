"""Group commit for webhook deliveries: those arriving together are stored in one transaction, in a thread.

Each delivery is still answered only once its own transaction has committed (durability unchanged); while
one commit is on its way to disk the next deliveries gather, so a burst costs a few flushes, not one each,
and the event loop never waits for the disk."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

Record = tuple[str, str, bytes, datetime]
MAX_BATCH = 200


class GroupCommit:
    """`await group(delivery, event, body, received_at)` -> True if it is new work, as record_delivery."""

    def __init__(self, record_many: Callable[[list[Record]], list[bool]]):
        self.record_many = record_many
        self._waiting: list[tuple[Record, asyncio.Future]] = []
        self._flushing: asyncio.Task | None = None

    async def __call__(self, delivery_id: str, event: str, body: bytes, received_at: datetime) -> bool:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(((delivery_id, event, body, received_at), future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                queued = await asyncio.to_thread(self.record_many, [item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - every waiting delivery hears of the failure (a 5xx)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), new in zip(batch, queued, strict=True):
                if not future.done():
                    future.set_result(new)
