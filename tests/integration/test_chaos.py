"""The chaos suite's short scenarios, on its own Kafka, Redis and PostgreSQL (beside the test stack).

Each scenario publishes a few hundred invoices of two tenants (some sharing invoice ids) through two real
workers while something breaks: workers SIGKILLed in cycles, the broker killed for longer than the workers'
producer request timeout (which used to lose invoices silently), Redis stopped (it used to kill every
worker) or frozen, PostgreSQL crashed, poison headers, unreadable records and hostile references. Every
scenario must end with 0 lost, 0 duplicated, Redis == PostgreSQL per tenant, every hostile record
dead-lettered, every worker alive and stopped within its shutdown timeout. `invoiceflow chaos` runs the
full-length version.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from config.settings import Settings
from tools.chaos import SCENARIOS, ChaosConfig, ChaosStack, format_tally
from tools.chaos._scenarios import run_scenario

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_nothing_is_lost_doubled_or_stuck(chaos_stack: ChaosStack, name: str) -> None:
    result = await run_scenario(chaos_stack, SCENARIOS[name], ChaosConfig.short(), uuid.uuid4().hex[:6])
    report = format_tally(result)
    print("\n" + report)
    assert result.invoices_in == ChaosConfig.short().count, report
    assert result.lost == 0 and result.duplicated == 0, report
    assert not any(result.mismatch.values()), report
    assert result.workers_alive == result.workers_expected and result.unkillable == 0, report
    assert result.drain_s is not None, report
    if SCENARIOS[name].hostile:
        assert result.hostile_missed == 0, report
        assert result.dead_letters["unreadable_record"] == 2, "kcat sends the unreadable records: is it installed?"
        assert result.dead_letters["bad_header"] == 5, report
    else:
        assert not result.dead_letters, report  # an outage is waited out, never dead-lettered


async def _produced(settings: Settings, base: str) -> int:
    """How many records a topic has (the sum of its partitions' end offsets)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topic = f"{settings.topic_prefix}{base}"
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic) or set()
        assert parts, f"no partitions for {topic}"
        return sum((await consumer.end_offsets([TopicPartition(topic, p) for p in parts])).values())
    finally:
        await consumer.stop()


async def test_postgres_down_20s_every_invoice_scored_once_none_dead_lettered_the_rest_flowing(
    chaos_stack: ChaosStack,
) -> None:
    """PostgreSQL only holds up the aggregate stage: its records wait in place (no retry tier spent, nothing
    dead-lettered) while detect, extract and score go on scoring invoices."""
    from dataclasses import replace

    from tools.chaos._scenarios import Run, Scenario

    flowed: list[int] = []

    async def postgres_down(run: Run, seconds: float) -> None:
        await run.stack.script("kill", "postgres")
        before = await _produced(run.settings, "invoices.scored")
        await asyncio.sleep(seconds)
        flowed.append(await _produced(run.settings, "invoices.scored") - before)
        await run.stack.script("up", "postgres")

    scenario = Scenario("pg20", "PostgreSQL down 20 s", postgres_down, 20.0, 20.0)
    config = replace(ChaosConfig.short(), count=300, rate=15.0)  # publishing spans the outage
    result = await run_scenario(chaos_stack, scenario, config, uuid.uuid4().hex[:6])
    report = format_tally(result)
    print(f"\n{report}\n  scored while PostgreSQL was down: {flowed}")
    assert result.invoices_in == 300 and result.lost == 0 and result.duplicated == 0, report
    assert not result.dead_letters and not any(result.mismatch.values()), report
    assert flowed and flowed[0] > 50, "scoring stopped while PostgreSQL was down"
