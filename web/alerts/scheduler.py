"""The alert rounds of a server process: every --alert-interval seconds, for each site with an enabled
rule, take the site's lease (store/alert_leases.py: one process of a cluster at a time), find what
its rules have not sent yet (notify.py), send it and record each outcome. Detection runs in the
store's thread pool and deliveries in their own threads, so the event loop never waits on them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from footfall.store import Store, alert_leases, alert_rules
from footfall.store.clock import now
from footfall.store.sites import Site, SiteCache
from footfall.web.alerts import notify
from footfall.web.settings import Config

log = logging.getLogger("footfall.alerts")


class Scheduler:
    def __init__(self, config: Config, store: Store, sites: SiteCache) -> None:
        self.config, self.store, self.sites = config, store, sites
        self.interval = float(config.alert_interval)
        self.owner = alert_leases.owner_id()
        self.ttl = max(3 * self.interval, 60.0)  # a lease outlives a round; a stopped holder's ends after it
        self.rounds = 0  # rounds finished since the start (/metrics)
        self.sent: Counter[tuple[str, str]] = Counter()  # (channel, ok|failed) -> deliveries (/metrics)
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="alerts")
            log.info("alerts: checking sites with enabled rules every %g s", self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # a round that fails is logged; the next one tries again
                log.exception("alerts: round failed")
            self.rounds += 1
            log.debug("alerts: round %d done", self.rounds)
            await asyncio.sleep(self.interval)

    async def round(self) -> None:
        for key in await self.store.run(alert_rules.sites_with_rules, self.store):
            site = await self.sites.get(key)  # reloaded when stale: a site made on another collector
            if site is None or not await self.hold(key):
                continue
            try:
                await self.check(site)
            except Exception:
                log.exception("alerts: checking site %s failed", key)

    async def hold(self, site: str) -> bool:
        """Whether this process checks the site this round (it holds, or just won, its lease)."""
        generation = await self.store.run(alert_leases.claim, self.store, site, self.owner, self.ttl)
        if generation is None:
            return False
        await asyncio.sleep(alert_leases.SETTLE)
        return await self.store.run(alert_leases.won, self.store, site, self.owner, generation)

    async def check(self, site: Site) -> None:
        rules = await self.store.run(alert_rules.listed, self.store, site.key)
        todo = await self.store.run(notify.pending, self.store, self.config, site, rules, now())
        for item in todo:
            outcomes = await asyncio.to_thread(notify.send, self.config, site, item)
            for channel, outcome in outcomes:
                self.sent[(channel, "ok" if outcome.ok else "failed")] += 1
                await self.store.run(alert_rules.record, self.store, site.key, item.rule.id, item.anomaly["id"],
                                     item.state, channel, outcome.ok, outcome.text)
                log.info("alerts: %s of %s for rule %s by %s: %s", item.event, item.anomaly["id"], item.rule.id,
                         channel, outcome.text, extra={"site": site.key})
