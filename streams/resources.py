"""The connections a worker holds: an asyncpg pool (migrations applied), a Redis client, a document fetcher.

Opened once, on first use, by whichever agent needs them first, and closed when the app stops; no agent
builds its own client. Sinks are exposed through their Protocols so unit tests can pass fakes instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from redis.asyncio import Redis

from config.settings import Settings
from streams.azure.client import AzureExtractor
from streams.azure.factory import build_extractor
from streams.counters import Retention
from streams.fetch import DocumentFetcher
from streams.sinks import (
    CounterStore,
    DeadLetterFact,
    DeadLetterStore,
    DedupeIndex,
    HistoryIndex,
    RecordStore,
    ReviewStore,
)
from streams.sinks.dead_letters import PostgresDeadLetters
from streams.sinks.layouts import LayoutCache, PostgresLayouts, StoredLayout
from streams.sinks.postgres import PostgresRecords, open_pool
from streams.sinks.redis import RedisStores, connect_redis
from streams.sinks.reviews import PostgresReviews
from streams.training.registry import ModelRegistry, ModelRoutes

T = TypeVar("T")


class Resources:
    """Lazily opened sinks shared by the agents of one worker process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool: Any = None
        self.redis: Redis | None = None
        self._records: RecordStore | None = None
        self._redis_stores: RedisStores | None = None
        self._paid: AzureExtractor | None = None
        self._fetcher: DocumentFetcher | None = None
        self._routes: ModelRoutes | None = None
        self._layouts: LayoutCache[Any] | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> None:
        async with self._lock:
            if self._records is not None:
                return
            self.pool = await open_pool(self.settings.postgres_dsn.get_secret_value(),
                                        self.settings.postgres_pool_max)
            self._redis_stores = RedisStores(self.redis_client(), self.settings.topic_prefix,
                                             Retention.of(self.settings))
            self._records = PostgresRecords(self.pool)

    def redis_client(self) -> Redis:
        """The Redis client (it connects on its first command), created once."""
        if self.redis is None:
            self.redis = connect_redis(self.settings.redis_url.get_secret_value())
        return self.redis

    async def postgres_pool(self) -> Any:
        """The asyncpg pool, opened (migrations applied) on first use like every sink's."""
        await self._open()
        return self.pool

    @property
    def paid(self) -> AzureExtractor | None:
        """The paid extractor if a stage has built it yet (the worker's metrics read its endpoints)."""
        return self._paid

    async def records(self) -> RecordStore:
        """The PostgreSQL record store."""
        await self._open()
        assert self._records is not None
        return self._records

    async def counters(self) -> CounterStore:
        """The Redis counter store."""
        await self._open()
        assert self._redis_stores is not None
        return self._redis_stores

    async def dead_letters(self) -> DeadLetterStore:
        """The PostgreSQL dead-letter record."""
        return PostgresDeadLetters(await self.postgres_pool())

    async def reviews(self) -> ReviewStore:
        """The PostgreSQL reviews (labelled examples) and the extractions they correct."""
        return PostgresReviews(await self.postgres_pool())

    async def note_dead_letters(self, letters: Sequence[DeadLetterFact]) -> None:
        """Record a batch's dead letters and count them in the metrics tables, each once per origin (so a
        batch tried again after an outage of either store changes nothing it already did)."""
        await (await self.dead_letters()).write_dead_letters(letters)
        await (await self.counters()).count_dead_letters(letters)

    async def dedupe(self) -> DedupeIndex:
        """The Redis first-seen document index."""
        await self._open()
        assert self._redis_stores is not None
        return self._redis_stores

    async def history(self) -> HistoryIndex:
        """The Redis business-key and vendor index."""
        await self._open()
        assert self._redis_stores is not None
        return self._redis_stores

    async def paid_extractor(self, page_budgets: Mapping[str, int]) -> AzureExtractor | None:
        """The paid extractor (None when no endpoint is configured), built once."""
        await self._open()
        if self._paid is None and self.settings.azure_endpoints:
            self._paid = build_extractor(self.settings, self.pool, page_budgets, self.redis)
        return self._paid

    async def model_routes(self) -> ModelRoutes:
        """The active custom models by tenant and vendor, cached (reloaded every `custom_models_refresh_s`)."""
        await self._open()
        if self._routes is None:
            self._routes = ModelRoutes(ModelRegistry(self.pool).routes, self.settings.custom_models_refresh_s)
        return self._routes

    async def layouts(self) -> PostgresLayouts:
        """The PostgreSQL vendor layouts (what the review stage learns into)."""
        return PostgresLayouts(await self.postgres_pool())

    async def vendor_layouts(self, parse: Callable[[StoredLayout], T]) -> LayoutCache[T]:
        """Every tenant's vendor layouts, parsed by `parse` once per load, cached (reloaded every
        `vendor_layouts_refresh_s`); the first caller's `parse` is the one used. PostgreSQL is opened by the
        first load, so while it is down a text PDF is read without layouts (tried again once per period)."""
        if self._layouts is None:
            self._layouts = LayoutCache(self._all_layouts, parse, self.settings.vendor_layouts_refresh_s)
        return self._layouts

    async def _all_layouts(self) -> list[StoredLayout]:
        return await PostgresLayouts(await self.postgres_pool()).all()

    def fetcher(self) -> DocumentFetcher:
        """The https:// document fetcher (one pooled session, opened on its first fetch), built once."""
        if self._fetcher is None:
            self._fetcher = DocumentFetcher(self.settings)
        return self._fetcher

    async def close(self) -> None:
        """Close whatever was opened."""
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
        if self._paid is not None:
            await self._paid.aclose()
            self._paid = None
        if self.pool is not None:
            await self.pool.close()
        if self.redis is not None:
            await self.redis.aclose()
        self._records = self._redis_stores = None
