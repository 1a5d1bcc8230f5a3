"""Integration fixtures: the real local Kafka, Redis and PostgreSQL, and real worker processes.

The stack is started once per session (`infra/stack.sh up`, a no-op when it already answers) and readiness
is proven by bootstrapping real clients. Each test gets its own topic prefix, consumer group and tenant, so
tests never see each other's events; a worker's log is printed when its test fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from config.settings import Settings
from config.topics import INVOICE_STAGES

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"  # as tests/conftest.py: some tests publish its documents as they are


@pytest.fixture(scope="module")
def chaos_stack() -> Iterator[Any]:
    """The chaos stack (its own Kafka, Redis and PostgreSQL, which a test may break), started once for the
    module and stopped after it."""
    from tools.chaos import ChaosStack

    state = Path(os.environ.get("INVOICEFLOW_CHAOS_STATE_DIR", str(Settings().state_dir.parent / "chaos")))
    stack = ChaosStack(state, int(os.environ.get("INVOICEFLOW_CHAOS_PORT_BASE", "19000")))
    asyncio.run(stack.up())
    yield stack
    asyncio.run(stack.down())


@pytest.fixture(scope="session")
def stack() -> None:
    """Start the local stack if needed and prove each server answers."""
    done = subprocess.run(["bash", str(REPO / "infra" / "stack.sh"), "up"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"local stack did not start:\n{done.stdout}\n{done.stderr}")
    asyncio.run(_prove_ready(Settings()))


async def _prove_ready(settings: Settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from streams.sinks.postgres import open_pool
    from streams.sinks.redis import connect_redis

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.list_topics()
    await admin.close()
    redis = connect_redis(settings.redis_url.get_secret_value())
    assert await redis.ping()
    await redis.aclose()
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    await pool.close()


@pytest_asyncio.fixture(loop_scope="function")
async def pool(settings: Settings) -> AsyncIterator[Any]:
    """An asyncpg pool on the local PostgreSQL, migrations applied."""
    from streams.sinks.postgres import open_pool

    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(loop_scope="function")
async def stores(settings: Settings) -> AsyncIterator[Any]:
    """The Redis stores in this test's namespace, emptied afterwards."""
    from streams.sinks.redis import RedisStores, connect_redis

    client = connect_redis(settings.redis_url.get_secret_value())
    yield RedisStores(client, settings.topic_prefix)
    async for key in client.scan_iter(match=f"invoiceflow:{settings.topic_prefix}*"):
        await client.unlink(key)
    await client.aclose()


@pytest.fixture()
def run_id() -> str:
    """A short id unique to this test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture()
def settings(stack: None, run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings isolated to this test: own topic prefix, app id (consumer group) and Redis namespace.

    Documents may be read only from pytest's base temporary folder, where the tests write them, and from the
    shared corpus (an empty `file_roots` allows no file:// reference at all).

    The test's topics (and the ones Faust makes under its app id) are deleted afterwards, so a broker that
    runs the suite again and again does not pile up thousands of partitions to load at every start.
    """
    settings = Settings(topic_prefix=f"t{run_id}.", app_id=f"invoiceflow-test-{run_id}", batch_timeout_s=0.02,
                        file_roots=(tmp_path_factory.getbasetemp(), CORPUS))
    yield settings
    asyncio.run(_delete_test_topics(settings))


async def _delete_test_topics(settings: Settings) -> None:
    from tools.bench._housekeeping import delete_topics

    for prefix in (settings.topic_prefix, settings.app_id):
        await delete_topics(settings, prefix)


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a child worker needs to share `settings`."""
    env = dict(os.environ)
    env.update({
        "INVOICEFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "INVOICEFLOW_APP_ID": settings.app_id,
        "INVOICEFLOW_BATCH_TIMEOUT_S": str(settings.batch_timeout_s),
        "INVOICEFLOW_FILE_ROOTS": json.dumps([str(root) for root in settings.file_roots]),
        "INVOICEFLOW_LOG_LEVEL": "WARNING",
    })
    env.update(extra)
    return env


class WorkerProcess:
    """A real `invoiceflow worker` child process with its log in a file."""

    def __init__(self, settings: Settings, log_path: Path, stages: str, **env: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker", "--stages", stages],
            env=env_for(settings, **env), stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO,
        )

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture()
def worker_factory(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[type]:
    """Start workers for this test; stops them after, printing their logs if the test failed."""
    started: list[WorkerProcess] = []

    def start(stages: str = ",".join(INVOICE_STAGES), **env: str) -> WorkerProcess:
        w = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", stages, **env)
        started.append(w)
        return w

    yield start  # type: ignore[misc]
    failed = getattr(request.node, "rep_call", None)
    for w in started:
        w.stop()
        if failed is not None and failed.failed:
            sys.stderr.write(f"\n--- worker log {w.log_path} ---\n{w.log()[-8000:]}\n")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{rep.when}", rep)
