"""Counts as people write them: "1 conversion", "2 conversions", "1,234 page views". The dashboard
prints counts through the `counted` filter and the command line through `counted`, so nothing says
"1 conversions" or "vs previous 1 days"."""

from __future__ import annotations


def counted(n: float, noun: str, plural: str = "") -> str:
    """`n` and the noun, plural unless n is exactly 1 (`plural` when it is not noun + "s")."""
    number = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    return f"{number} {noun if n == 1 else plural or noun + 's'}"
