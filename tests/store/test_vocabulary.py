"""The shared vocabulary (store/vocabulary.py) is the one every layer uses: the vitals, their ratings."""

from __future__ import annotations

import msgspec

from footfall.analysis import overview, performance
from footfall.collector import wire
from footfall.demo import loading
from footfall.store import vocabulary


def test_the_vitals_and_their_ratings_are_the_vocabularys() -> None:
    assert set(overview.VITALS) == set(performance.VITALS) == set(vocabulary.VITALS)
    pattern = msgspec_pattern(wire.WebVital, "name")  # the wire takes the same five names
    assert sorted(pattern.strip("^$()").split("|")) == sorted(vocabulary.VITALS)
    assert loading.rating is vocabulary.vital_rating and performance.rated("LCP", 2600) == "needs-improvement"
    assert [vocabulary.vital_rating("CLS", v) for v in (0.1, 0.11, 0.25, 0.26)] == \
        ["good", "needs-improvement", "needs-improvement", "poor"]


def msgspec_pattern(struct: type, field: str) -> str:
    info = msgspec.inspect.type_info(struct)
    return next(f.type.pattern for f in info.fields if f.name == field)
