"""Goals: a name and a definition (one funnel step as the funnels API's JSON takes it) per site, kept
in a config table any collector may write (a change is a new row; reads use FINAL)."""

from __future__ import annotations

import dataclasses
import secrets

from footfall.store import Store
from footfall.store.clock import now

COLUMNS = ["site", "id", "name", "definition", "created", "updated", "deleted"]
MAX_GOALS = 100  # per site: each is a condition of the conversions query


@dataclasses.dataclass(frozen=True)
class Goal:
    site: str
    id: str
    name: str
    definition: str  # JSON of one step, checked by footfall.web.dashboard.goal_form before it is saved


def listed(store: Store, site: str) -> list[Goal]:
    found = store.rows("""SELECT id, name, definition FROM goals FINAL
                          WHERE site = {site:String} AND deleted = 0 ORDER BY lower(name), id""", {"site": site})
    return [Goal(site, *row) for row in found]


def one(store: Store, site: str, goal_id: str) -> Goal | None:
    return next((g for g in listed(store, site) if g.id == goal_id), None)


def save(store: Store, site: str, name: str, definition: str) -> Goal:
    stamp = now()
    goal = Goal(site, secrets.token_hex(6), name, definition)
    store.insert_rows("goals", COLUMNS, [[site, goal.id, name, definition, stamp, stamp, 0]])
    return goal


def delete(store: Store, site: str, goal_id: str) -> None:
    stamp = now()
    store.insert_rows("goals", COLUMNS, [[site, goal_id, "", "{}", stamp, stamp, 1]])
