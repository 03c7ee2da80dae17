"""The filters clicked on in a dashboard's tables, kept in the page's URL (`filter=dimension:is:value`,
as the stats API reads them) so a link shares the filtered view: the filters read from the query,
the chips that remove one, and the links that add one or download a table."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from starlette.requests import Request

from footfall.analysis.stats import Filter, StatsError

MAX_FILTERS = 10
MAX_FILTER_LENGTH = 1024  # a value longer than any path or name the store keeps
DIMENSION_LABELS = {
    "page": "Page", "entry_page": "Entry page", "exit_page": "Exit page", "referrer": "Referrer",
    "source": "Source", "utm_source": "UTM source", "utm_medium": "UTM medium", "utm_campaign": "Campaign",
    "device": "Device", "browser": "Browser", "os": "Operating system",
}
OPERATOR_LABELS = {"is": "is", "is_not": "is not", "contains": "contains", "pattern": "matches"}
NOT_KEPT = ("table", "format")  # a download's own parameters, never part of a link the page shows


@dataclasses.dataclass(frozen=True)
class Chip:
    label: str
    remove: str  # the page's link without this filter


@dataclasses.dataclass(frozen=True)
class FilterState:
    """The page's query and the filters it holds; `unread` are the filters that could not be read,
    which the page names and leaves out."""

    path: str
    query: tuple[tuple[str, str], ...]
    filters: tuple[Filter, ...]
    unread: tuple[str, ...]

    def href(self, items: list[tuple[str, str]]) -> str:
        return self.path + ("?" + urlencode(items) if items else "")

    def kept(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.query if k not in NOT_KEPT]

    def add(self, dimension: str, value: str) -> str:
        """The page filtered by `dimension` is `value` as well (once)."""
        text = f"{dimension}:is:{value}"
        items = self.kept()
        return self.href(items if ("filter", text) in items else [*items, ("filter", text)])

    def days(self, days: int) -> str:
        """The page over the last `days` days, keeping its filters and chart choices."""
        return self.href([(k, v) for k, v in self.kept() if k not in ("from", "to", "days")] + [("days", str(days))])

    def csv(self, table: str) -> str:
        return self.href([*self.kept(), ("table", table), ("format", "csv")])

    @property
    def chips(self) -> list[Chip]:
        out = []
        for f in self.filters:
            text = f"{f.dimension}:{f.op}:{f.value}"
            rest = [(k, v) for k, v in self.kept() if (k, v) != ("filter", text)]
            label = f"{DIMENSION_LABELS[f.dimension]} {OPERATOR_LABELS[f.op]} {f.value}"
            out.append(Chip(label, self.href(rest)))
        return out

    @property
    def clear(self) -> str:
        return self.href([(k, v) for k, v in self.kept() if k != "filter"])


def filter_state(request: Request) -> FilterState:
    """The filters of the request's query, in their order, without repeats; at most MAX_FILTERS."""
    filters: list[Filter] = []
    unread: list[str] = []
    for text in dict.fromkeys(request.query_params.getlist("filter")):
        try:
            if len(text) > MAX_FILTER_LENGTH:
                raise StatsError("filter", "too long")
            found = Filter.parse(text)
        except StatsError:
            unread.append(text)
            continue
        if len(filters) < MAX_FILTERS:
            filters.append(found)
        else:
            unread.append(text)
    return FilterState(request.url.path, tuple(request.query_params.multi_items()), tuple(filters), tuple(unread))
