"""How a query's rows `p` meet their session's facts `s` (analysis/stats.py SESSION_FACTS, one row per
session keyed by a 64-bit hash of its id): written once for every query that narrows or breaks down by a
session's dimension, so the key each side uses cannot drift apart."""

from __future__ import annotations


def joined(sessions: str | None) -> str:
    """The join of the session facts `sessions` to the rows `p`, or nothing without them."""
    return f"INNER JOIN ({sessions}) AS s ON s.session = cityHash64(p.session_id)" if sessions else ""


def by_key(key: str, aggregates: str, rows: str, conditions: list[str], sessions: str | None) -> str:
    """One row per `key` over the rows `p`, narrowed by `conditions` and joined to their session's facts
    when a condition needs them."""
    return f"""
        SELECT {key} AS key, {aggregates}
        FROM ({rows}) AS p {joined(sessions)}
        WHERE {" AND ".join(conditions) or "1"}
        GROUP BY key"""
