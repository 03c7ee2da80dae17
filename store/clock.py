"""Wall-clock helpers shared by the store writers (ClickHouse DateTime64 text in UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def now() -> datetime:
    return datetime.now(UTC)
