"""Why a request or a batch was refused or dropped: a fixed set of reasons, each counted."""

from __future__ import annotations

import collections
import enum


class Rejected(Exception):
    """A client error: answered with its status and a JSON body naming the field, and counted
    as rejected.<reason>, the status unless a reason is given."""

    def __init__(self, status: int, field: str, message: str, retry_after: int | None = None,
                 reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.retry_after = retry_after
        self.reason = reason or str(status)

    def body(self) -> dict[str, str]:
        return {"error": self.message, "field": self.field}


class Drop(enum.Enum):
    """Accepted with 202 but not stored: telling a bot or an opted-out visitor changes nothing."""

    BOT = "bot"
    DO_NOT_TRACK = "do_not_track"
    DUPLICATE = "duplicate"


class Counters:
    """Accepted, rejected and dropped counts, read at GET /api/v1/ingest/stats."""

    def __init__(self) -> None:
        self.values: collections.Counter[str] = collections.Counter()

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] += n

    def snapshot(self) -> dict[str, int]:
        return dict(self.values)
