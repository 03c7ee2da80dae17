"""Which process checks a site's alerts, when several Footfall processes share one ClickHouse.

Each claim is a row naming a generation: one more than the newest generation its process saw. The
earliest claim (server time, then owner) of the newest generation holds the site until it expires.
Claims are never replaced, so once a claim has won, a claim made later in the same generation (by a
process that read an older state) loses to it, and every reader agrees on the winner. A process
claims only a site that is free, expired or its own; it renews its hold by claiming the next
generation each round. A claim is read back after SETTLE seconds, so a rival claim whose insert
started first but landed later is seen before anyone acts on the site."""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket

from footfall.store import Store

SETTLE = 0.5  # seconds between a claim and reading who won


@dataclasses.dataclass(frozen=True)
class Lease:
    generation: int
    owner: str
    expired: bool


def owner_id() -> str:
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


def current(store: Store, site: str) -> Lease | None:
    """The site's lease: the earliest claim of its newest generation."""
    rows = store.rows("""SELECT generation, owner, expires <= now64(3) FROM alert_leases WHERE site = {site:String}
                         ORDER BY generation DESC, taken, owner LIMIT 1""", {"site": site})
    return Lease(int(rows[0][0]), rows[0][1], bool(rows[0][2])) if rows else None


def claim(store: Store, site: str, owner: str, ttl: float) -> int | None:
    """Claim the site for `ttl` seconds if it is free, expired or ours: the generation claimed, or None
    when another process holds it. Whether the claim won is for `won` to say, SETTLE seconds later."""
    held = current(store, site)
    if held is not None and held.owner != owner and not held.expired:
        return None
    generation = (held.generation if held else 0) + 1
    settings = " SETTINGS insert_distributed_sync = 1" if store.cluster else ""
    store.command(f"""INSERT INTO alert_leases (site, generation, owner, taken, expires){settings}
                      SELECT {{site:String}}, {{g:UInt64}}, {{owner:String}}, now64(6),
                             now64(3) + toIntervalMillisecond({{ms:UInt64}})""",
                  {"site": site, "g": generation, "owner": owner, "ms": int(ttl * 1000)})
    return generation


def won(store: Store, site: str, owner: str, generation: int) -> bool:
    """Whether the owner's claim is the earliest of its generation and that generation the newest."""
    held = current(store, site)
    return held is not None and held.generation == generation and held.owner == owner
