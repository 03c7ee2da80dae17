"""The ClickHouse store: the client, the schema and its migrations."""

from .client import Store

__all__ = ["Store"]
