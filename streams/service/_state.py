"""What the service holds while it runs: a Redis client, a PostgreSQL pool, the token cache and its refresher,
the live feed and the lag reader.

Opened by the app's lifespan, closed when it stops; nothing is opened at import time or by `create_service`
itself. The service starts even while PostgreSQL is down (it then answers 503 until the first token load
succeeds, and readiness says why): the refresher keeps trying, every couple of seconds until the pool opens,
then every `service_token_refresh_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from config.settings import Settings
from streams.counters import Retention
from streams.errors import InvoiceflowError
from streams.service._auth import TokenCache
from streams.service._lag import GroupLag
from streams.service._live import LiveFeed
from streams.service._metrics_cache import MetricsCache
from streams.sinks.metric_tables import MetricTables
from streams.sinks.postgres import open_pool
from streams.sinks.redis import connect_redis
from streams.sinks.tokens import TokenStore

log = logging.getLogger("invoiceflow.service")

_RETRY_S = 2.0


class ServiceState:
    """The service's connections and token cache."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = TokenCache()
        self.metrics_cache = MetricsCache(Retention.of(settings), max_age_s=settings.service_metrics_max_age_s)
        self.redis: Any = None
        self.tables: MetricTables | None = None
        self.pool: Any = None
        self.feed = LiveFeed(settings, settings.service_feed_capacity)
        self.lag = GroupLag(settings)
        self.streams_open = 0
        self._refresher: asyncio.Task[None] | None = None
        self._pool_lock = asyncio.Lock()

    async def start(self) -> None:
        """Open Redis (lazily connecting), start loading tokens and following the live feed in the background."""
        self.redis = connect_redis(self.settings.redis_url.get_secret_value(), timeout_s=2.0)
        self.tables = MetricTables(self.redis, self.settings.topic_prefix)
        self._refresher = asyncio.create_task(self._refresh_forever(), name="invoiceflow-token-refresh")
        await self.feed.start()

    async def stop(self) -> None:
        """Stop the refresher and the feed, and close what is open."""
        await self.feed.stop()
        await self.lag.close()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self.pool is not None:
            await self.pool.close()
        if self.redis is not None:
            await self.redis.aclose()

    async def postgres(self) -> Any:
        """The pool, opened (migrations applied) on first use; raises `SinkError` while PostgreSQL is down."""
        if self.pool is None:
            async with self._pool_lock:
                if self.pool is None:
                    self.pool = await open_pool(self.settings.postgres_dsn.get_secret_value(),
                                                self.settings.postgres_pool_max)
        return self.pool

    async def refresh_tokens(self) -> None:
        """Load the live tokens' hashes now."""
        self.tokens.replace(await TokenStore(await self.postgres()).active())

    async def _refresh_forever(self) -> None:
        failing = False
        while True:
            try:
                await asyncio.wait_for(self.refresh_tokens(), self.settings.service_token_refresh_s)
                if failing:
                    log.warning("token refresh works again (%d live tokens)", self.tokens.size)
                failing = False
            except (InvoiceflowError, TimeoutError) as exc:
                if not failing:
                    age = self.tokens.age_s()
                    log.warning("token refresh failed (%s); %s", type(exc).__name__,
                                f"serving the tokens loaded {age:.0f} s ago" if age < float("inf")
                                else "refusing requests (503) until tokens load")
                failing = True
            await asyncio.sleep(_RETRY_S if failing else self.settings.service_token_refresh_s)
