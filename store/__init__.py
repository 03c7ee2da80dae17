"""The ClickHouse store: the client, the schema and its migrations."""

from footfall.store.client import Store

__all__ = ["Store"]
