"""Saved funnels: a name and a definition (the JSON the funnels API takes) per site, kept in a
config table any collector may write (a change is a new row; reads use FINAL)."""

from __future__ import annotations

import dataclasses
import secrets

from footfall.store import Store
from footfall.store.clock import now

COLUMNS = ["site", "id", "name", "definition", "created", "updated", "deleted"]


@dataclasses.dataclass(frozen=True)
class SavedFunnel:
    site: str
    id: str
    name: str
    definition: str  # JSON, checked by footfall.web.funnels_api.funnel_of before it is saved


def listed(store: Store, site: str) -> list[SavedFunnel]:
    found = store.rows("""SELECT id, name, definition FROM saved_funnels FINAL
                          WHERE site = {site:String} AND deleted = 0 ORDER BY lower(name), id""", {"site": site})
    return [SavedFunnel(site, *row) for row in found]


def one(store: Store, site: str, funnel_id: str) -> SavedFunnel | None:
    return next((f for f in listed(store, site) if f.id == funnel_id), None)


def save(store: Store, site: str, name: str, definition: str, funnel_id: str | None = None) -> SavedFunnel:
    stamp = now()
    funnel = SavedFunnel(site, funnel_id or secrets.token_hex(6), name, definition)
    store.insert_rows("saved_funnels", COLUMNS, [[site, funnel.id, name, definition, stamp, stamp, 0]])
    return funnel


def delete(store: Store, site: str, funnel_id: str) -> None:
    stamp = now()
    store.insert_rows("saved_funnels", COLUMNS, [[site, funnel_id, "", "{}", stamp, stamp, 1]])
