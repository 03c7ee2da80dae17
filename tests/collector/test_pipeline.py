"""The ingestion driver (collector/pipeline.py): one outcome per request, counted once, and a claim
given back when the request is not stored; the steps as docs/architecture.md names them."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from footfall.collector import frames
from footfall.collector.pipeline import BATCH_STEPS, REPLAY_STEPS, Ingestor, Job, Request, steps
from footfall.collector.rejection import Counters, Drop, Rejected

ROOT = Path(__file__).resolve().parents[2]


class Driven:
    """What Ingestor.run reads of its ingestor."""

    def __init__(self) -> None:
        self.counters = Counters()
        self.ran: list[str] = []
        self.given_back = 0


def job() -> Job[Any]:
    return Job(Request(b"", {}, ""))


def run(driven: Driven, *found: Any) -> Any:
    return asyncio.run(Ingestor.run(driven, steps(*found), job()))  # type: ignore[arg-type]


def claim(ing: Driven, job: Job[Any]) -> None:
    ing.ran.append("claim")
    job.kind, job.rows = frames.BATCH, 3

    def give_back() -> None:
        ing.given_back += 1

    job.undo = give_back


async def stored(ing: Driven, job: Job[Any]) -> None:
    ing.ran.append("stored")
    job.undo = None


def drop(ing: Driven, job: Job[Any]) -> Drop:
    ing.ran.append("drop")
    return Drop.BOT


def refuse(ing: Driven, job: Job[Any]) -> None:
    raise Rejected(503, "spool", "full", 2, reason="spool_full")


async def fail(ing: Driven, job: Job[Any]) -> None:
    raise RuntimeError("the store is down")


def test_an_accepted_request_is_counted_once() -> None:
    driven = Driven()
    outcome = run(driven, claim, stored)
    assert outcome.body() == {"accepted": 3} and driven.ran == ["claim", "stored"]
    assert driven.counters.snapshot() == {"accepted.batches": 1, "accepted.rows": 3} and driven.given_back == 0


def test_a_dropped_request_stops_there_and_is_counted_by_its_reason() -> None:
    driven = Driven()
    assert run(driven, drop, claim).body() == {"accepted": 0, "dropped": "bot"}
    assert driven.ran == ["drop"] and driven.counters.snapshot() == {"dropped.bot": 1}


def test_a_request_not_stored_gives_its_claim_back() -> None:
    driven = Driven()
    with pytest.raises(Rejected):
        run(driven, claim, refuse, stored)
    assert driven.counters.snapshot() == {"rejected.spool_full": 1} and driven.given_back == 1
    with pytest.raises(RuntimeError):
        run(driven, claim, fail)
    assert driven.counters.snapshot() == {"rejected.spool_full": 1} and driven.given_back == 2
    with pytest.raises(RuntimeError):
        run(driven, claim, stored, fail)  # stored: nothing to give back
    assert driven.given_back == 2


def test_a_refusal_is_counted_by_its_status_unless_it_names_a_reason() -> None:
    assert Rejected(413, "body", "too large").reason == "413"
    assert Rejected(409, "seq", "stored", reason="409.seq").reason == "409.seq"


def test_the_architecture_doc_names_the_steps_in_order() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = re.search(r"^## Ingestion steps\n(.*?)(?=^## )", text, re.M | re.S)
    assert section
    named = re.findall(r"^\d+\. `(\w+)`", section.group(1), re.M)
    assert named == [step.__name__ for step, _ in BATCH_STEPS + REPLAY_STEPS]
