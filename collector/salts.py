"""The daily salt behind visitor hashes: random, shared by every collector, gone after two days.

Once a day's salt is deleted, nobody can recompute which IP and user agent made a visitor id.
When two collectors draw a salt for the same day at once, the smaller one wins for both:
each re-reads the day's salt every REFRESH_SECONDS, so they agree within that time.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime

from footfall.store import Store
from footfall.store.clock import now

REFRESH_SECONDS = 60.0


class DailySalt:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.day: date | None = None
        self.salt = b""
        self.loaded_at = 0.0

    def _fetch(self, day: date) -> bytes | None:
        found = self.store.scalar(
            "SELECT min(salt) FROM salts WHERE day = {d:Date} HAVING count() > 0", {"d": day}
        )
        return bytes.fromhex(found) if found else None

    def load(self, day: date) -> bytes:
        salt = self._fetch(day)
        if salt is None:
            self.store.insert_rows(
                "salts", ["day", "salt", "created"], [[day, secrets.token_hex(32), now()]]
            )
            salt = self._fetch(day)
        assert salt is not None
        self.day, self.salt, self.loaded_at = day, salt, time.monotonic()
        return salt

    def today(self) -> date:
        return datetime.now(UTC).date()

    async def current(self) -> bytes:
        day = self.today()
        if day != self.day or time.monotonic() - self.loaded_at > REFRESH_SECONDS:
            await self.store.run(self.load, day)
        return self.salt
