"""Times as the store takes and gives them: UTC, milliseconds, ISO 8601 in answers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """A query's bound in UTC; a naive time is refused, since its zone would be a guess."""
    if value.utcoffset() is None:
        raise ValueError("start and end must be timezone-aware")
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def stored_iso(value: datetime) -> str:
    """A time read from the store (UTC, handed back without a zone) in ISO 8601 with milliseconds."""
    return value.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def milliseconds(value: datetime) -> int:
    return (value - EPOCH) // timedelta(milliseconds=1)
