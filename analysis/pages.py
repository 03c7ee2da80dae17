"""Moved: the page-or-pattern conditions live in store/conditions.py, the page name in
store/vocabulary.py. Kept only until the dashboard pages import them from there."""

from __future__ import annotations

from footfall.store.conditions import grouped_path, on_path
from footfall.store.vocabulary import page_path

__all__ = ["grouped_path", "on_path", "page_path"]
