"""The `make run` demo: generate samples, start a worker, publish, print each result as it is scored.

The worker runs as a child process (`invoiceflow worker`), exactly as in production (scans, when asked for
and no paid endpoint is configured, go to the local fake of the paid service at its real quota), allowed to
read files from the demo's sample folder only (its file roots); the demo reads
`invoices.scored` from its current end, so it shows only this run's invoices, and stops the worker cleanly
(SIGTERM, then wait) when every invoice has been scored or the timeout passes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from config.settings import Settings
from config.topics import SCORED
from schemas import InvoiceScored
from streams.admin import ensure_topics, wait_for_workers
from streams.codecs import decode
from streams.publisher import Publisher, received_for_file
from streams.reader import topic_reader
from streams.sinks.redis import RedisStores, connect_redis
from streams.topics import topic_name
from tools.bench import PAID_FORMATS, start_fake, stop_children


async def start_worker(env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """Start `invoiceflow worker` (every stage) as a child process, with `env` added to the environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streams.cli", "worker", env={**os.environ, **(env or {})},
    )


async def stop_worker(proc: asyncio.subprocess.Process, timeout_s: float = 20.0) -> int:
    """SIGTERM the worker and wait for it (SIGKILL after the timeout)."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0


DEMO_TENANT = "demo"


async def seed_vendors(settings: Settings, rows: Sequence[dict[str, object]]) -> None:
    """Import most sample sellers as the demo tenant's vendor master (the rest show the new-vendor rule)."""
    from agents.vendors import vendor_facts

    sellers = sorted({str(r.get("seller_name")) for r in rows})
    known = [r for r in rows if sellers.index(str(r.get("seller_name"))) % 4 != 0]
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        await RedisStores(client, settings.topic_prefix).learn_vendors(vendor_facts(DEMO_TENANT, iter(known)))
    finally:
        await client.aclose()


async def run_demo(settings: Settings, count: int, formats: Sequence[str], timeout_s: float,
                   serve: bool = False) -> int:
    """Run the demo; exit code 0 when every invoice was scored in time. With `serve`, the worker and the API
    service then keep running, the dashboard's address printed, until Ctrl-C."""
    from tools.samples import generate_samples

    await ensure_topics(settings)
    out = Path(tempfile.mkdtemp(prefix="invoiceflow-demo-"))
    rows = generate_samples(out, count, formats=tuple(formats), seed=int(time.time()))
    await seed_vendors(settings, rows)
    fake = await start_fake(out) if PAID_FORMATS & set(formats) and not settings.azure_endpoints else None
    if fake is not None:
        await fake.teach(rows)
        sys.stdout.write(f"scans go to a local fake of Azure Document Intelligence at {fake.url}\n")
    roots = {"INVOICEFLOW_FILE_ROOTS": json.dumps([str(out)])}  # the worker reads no file outside the samples
    worker = await start_worker({**(fake.env() if fake else {}), **roots})
    try:
        await wait_for_workers(settings)
        events = [received_for_file(out / str(row["file"]), DEMO_TENANT, settings) for row in rows]
        wanted = {ev.invoice_id for ev in events}
        async with topic_reader(settings, topic_name(settings, SCORED), from_beginning=False) as consumer:
            async with Publisher(settings) as pub:
                await pub.publish(events)
            sys.stdout.write(f"published {len(events)} invoices; waiting for results\n")
            deadline = time.monotonic() + timeout_s
            while wanted and time.monotonic() < deadline:
                for recs in (await consumer.getmany(timeout_ms=500)).values():
                    for ev in (decode(InvoiceScored, rec.value) for rec in recs):
                        if ev.invoice_id in wanted:
                            wanted.discard(ev.invoice_id)
                            sys.stdout.write(result_line(ev) + "\n")
                            sys.stdout.flush()
        if serve and not wanted:
            sys.stdout.write(f"all {len(events)} invoices scored\n")
            await serve_dashboard(settings, out)
    finally:
        await stop_worker(worker)
        if fake is not None:
            stop_children([fake.child])
    if wanted:
        sys.stderr.write(f"{len(wanted)} invoice(s) not scored within {timeout_s:.0f} s\n")
        return 1
    if serve:
        return 0
    sys.stdout.write(f"all {len(events)} invoices scored (number, seller, amount due, decision, score, "
                     "end-to-end latency, reasons)\n")
    return 0


async def serve_dashboard(settings: Settings, samples: Path) -> None:
    """Run the API service beside the demo's worker until Ctrl-C, with a token of the demo tenant made for
    this run (revoked when it ends) in the dashboard's address: after the `#`, so no server ever sees it."""
    from streams.service.server import server
    from streams.sinks.postgres import open_pool
    from streams.sinks.tokens import TokenStore

    port = settings.service_port if _free(settings.service_host, settings.service_port) else 0
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
    tokens = TokenStore(pool)
    info, token = await tokens.add(DEMO_TENANT, "make run")
    uvicorn = server(settings.model_copy(update={"service_token_refresh_s": 2.0}), port=port)
    serving = asyncio.create_task(uvicorn.serve())  # uvicorn takes Ctrl-C (and SIGTERM) from here on
    try:
        while not uvicorn.started and not serving.done():  # noqa: ASYNC110 - uvicorn offers no start event
            await asyncio.sleep(0.05)
        if uvicorn.started:
            host, bound = uvicorn.servers[0].sockets[0].getsockname()[:2]
            sys.stdout.write(
                f"\ndashboard: http://{host}:{bound}/#token={token}&tenant={DEMO_TENANT}\n"
                f"  (a token of tenant '{DEMO_TENANT}' made for this run, revoked when it ends)\n"
                f"publish more while it runs, e.g.: invoiceflow samples {samples}/more --count 10 && "
                f"invoiceflow publish {samples}/more --tenant {DEMO_TENANT}\n"
                "the worker and the service keep running until Ctrl-C\n")
            sys.stdout.flush()
        await serving
    finally:
        await tokens.revoke(info.token_id)
        await pool.close()


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def result_line(ev: InvoiceScored) -> str:
    """One human line per scored invoice: number, seller, total, decision, score, end-to-end latency."""
    inv = ev.invoice
    number = (inv.invoice_number if inv else None) or "-"
    seller = ((inv.seller.name if inv else None) or "-")[:28]
    total = f"{inv.amount_due} {inv.currency}" if inv and inv.amount_due is not None else "-"
    latency_ms = (ev.scored_at - ev.received_at).total_seconds() * 1000
    why = ",".join(dict.fromkeys(r.code for r in ev.reasons))[:40] or "-"
    return (f"{number:<18} {seller:<28} {total:>15}  {ev.decision.value:<12} {ev.score:4.2f}"
            f" {latency_ms:6.0f} ms  {why}")
