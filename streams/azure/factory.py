"""Build the paid extractor a worker uses from its settings (None when no endpoint is configured).

With a Redis client and `azure_shared_quota` on (the default), every endpoint's quotas are shared with the
other worker processes (shared_quota.py); without, each process paces itself as if it were alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from config.settings import Settings
from streams.azure._sdk import ExtractorConfig
from streams.azure.breaker import BreakerPolicy
from streams.azure.client import AzureExtractor
from streams.azure.operations import PostgresOperationStore
from streams.azure.pool import EndpointConfig, EndpointPool
from streams.azure.shared_quota import SharedQuotas


def build_extractor(
    settings: Settings, pg_pool: Any, page_budgets: Mapping[str, int], redis: Redis | None = None
) -> AzureExtractor | None:
    """The extractor over every configured endpoint, remembering operations in PostgreSQL.

    Args:
        settings: The process settings (`azure_*`).
        pg_pool: The asyncpg pool (migrations applied) holding `paid_operations`.
        page_budgets: Daily paid-page budget per tenant (a live view of the tenant policies).
        redis: The worker's Redis client; with it (and `azure_shared_quota`) quotas are shared by all workers.
    """
    if not settings.azure_endpoints:
        return None
    endpoints = [
        EndpointConfig(name=e.name, url=e.url, key=e.key, analyze_rps=e.analyze_rps, get_rps=e.get_rps,
                       max_in_flight=e.max_in_flight)
        for e in settings.azure_endpoints
    ]
    shared = None
    if redis is not None and settings.azure_shared_quota:
        shared = SharedQuotas(redis, headroom=settings.azure_rate_headroom, workers=settings.azure_quota_workers)
    pool = EndpointPool(
        endpoints,
        BreakerPolicy(failure_threshold=settings.azure_breaker_failures, cooldown_s=settings.azure_breaker_cooldown_s),
        headroom=settings.azure_rate_headroom,
        shared=shared.for_endpoint if shared is not None else None,
    )
    config = ExtractorConfig(
        first_poll_delay_s=settings.azure_poll_interval_s,
        poll_interval_s=settings.azure_poll_interval_s,
        result_ttl=timedelta(hours=23, minutes=55),
        daily_page_budget=page_budgets,
    )
    return AzureExtractor(pool, PostgresOperationStore(pg_pool), config)
