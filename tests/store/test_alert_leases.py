"""The alert lease on the embedded store, with processes played by owners: one owner holds a site until
its lease expires, renewing it keeps it, claims racing in one generation agree on one winner, and a
claim made late in a generation already won does not unseat the winner."""

from __future__ import annotations

import threading
import time
import uuid

from footfall.store import Store, alert_leases


def site() -> str:
    return "lease-" + uuid.uuid4().hex[:8]


def test_a_held_site_is_refused_to_others_until_it_expires(store: Store) -> None:
    key = site()
    first = alert_leases.claim(store, key, "a", ttl=1.5)
    assert first == 1 and alert_leases.won(store, key, "a", first)
    assert alert_leases.claim(store, key, "b", ttl=60) is None
    renewed = alert_leases.claim(store, key, "a", ttl=1.5)  # the holder renews: the next generation
    assert renewed == 2 and alert_leases.won(store, key, "a", renewed)
    deadline = time.monotonic() + 60
    while (taken := alert_leases.claim(store, key, "b", ttl=60)) is None:
        assert time.monotonic() < deadline, "the lease never expired"
        time.sleep(0.1)
    assert taken == 3 and alert_leases.won(store, key, "b", taken)
    assert not alert_leases.won(store, key, "a", renewed)
    assert alert_leases.claim(store, key, "a", ttl=60) is None


def test_claims_racing_agree_on_one_winner(store: Store) -> None:
    for _ in range(5):
        key = site()
        claimed: dict[str, int | None] = {}
        start = threading.Barrier(4)

        def claim(owner: str, key: str = key, claimed: dict = claimed, start: threading.Barrier = start) -> None:
            start.wait()
            claimed[owner] = alert_leases.claim(store, key, owner, ttl=60)

        threads = [threading.Thread(target=claim, args=(f"owner-{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Every claim has landed (its insert returned): each owner now reads who won, as after SETTLE.
        winners = [o for o, g in claimed.items() if g is not None and alert_leases.won(store, key, o, g)]
        assert len(winners) == 1, claimed


def test_a_late_claim_in_a_won_generation_does_not_unseat_the_winner(store: Store) -> None:
    key = site()
    generation = alert_leases.claim(store, key, "a", ttl=60)
    assert generation == 1
    # "b" read the site as free before "a" claimed it, and claims the same generation after.
    store.command("""INSERT INTO alert_leases (site, generation, owner, taken, expires)
                     SELECT {site:String}, 1, 'b', now64(6), now64(3) + toIntervalSecond(60)""", {"site": key})
    assert alert_leases.won(store, key, "a", 1) and not alert_leases.won(store, key, "b", 1)
    assert alert_leases.current(store, key) == alert_leases.Lease(1, "a", False)
