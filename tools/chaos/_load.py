"""What a scenario sends: valid invoices of two tenants, and the hostile records that must end as dead letters.

Valid invoices are generated samples (UBL, CII, hybrid PDF, text PDF: everything read locally), published
by reference (file://, from a folder the workers have as their only file root). Two tenants share a share
of their invoice ids, as independent upstream systems do, so a store that keys records by invoice id alone
shows up as lost invoices. The hostile set covers what a worker must refuse and survive: references to files
outside the roots (/etc/shadow, /proc/self/environ, /dev/zero, a symlink out), a FIFO and a 300 MiB file
declared as 1,000 bytes inside them, a missing file, https to a host not allowed, values that are not JSON
or break the contract, and poison headers (an attempt count that is not a number, not-before times far in
the future or not a number, a header key that is not UTF-8). Each hostile record names the outcome it must
have: a dead letter (any reason; the reasons are reported).

The publisher stands for upstream: it sends until Kafka acknowledges, through any outage, and counts an
invoice in only once it is acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from config.settings import Settings
from config.topics import RECEIVED, retry_topic
from schemas import DocumentRef, InvoiceReceived, event_id_for
from streams.codecs import encode
from streams.headers import ATTEMPT_HEADER, NOT_BEFORE_HEADER
from streams.publisher import received_for_file
from streams.topics import topic_name

FORMATS = {"ubl": 0.4, "cii": 0.3, "hybrid_pdf": 0.15, "text_pdf": 0.15}
SHARED_IDS = 0.1  # share of tenant B's invoice ids that tenant A uses too


@dataclass(frozen=True, slots=True)
class Message:
    """One record to publish: topic base name, key, value, headers; `valid` ones must become rows."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    tenant: str = ""
    valid: bool = True


def documents(cache: Path, count: int, seed: int) -> list[Path]:
    """`count` generated documents, cached per (count, seed)."""
    from tools.samples import generate_samples

    root = cache / f"docs-{seed}-{count}"
    truth = root / "truth.jsonl"
    if not truth.is_file():
        if root.exists():
            shutil.rmtree(root)
        generate_samples(root, count, formats=FORMATS, seed=seed)
    rows = [json.loads(line) for line in truth.read_text().splitlines() if line.strip()]
    return [root / str(r["file"]) for r in rows]


def invoices(paths: Sequence[Path], tenants: tuple[str, str], settings: Settings) -> list[Message]:
    """One event per document, alternating tenants; a share of tenant A's ids repeat tenant B's."""
    out: list[Message] = []
    b_ids: list[str] = []
    for i, path in enumerate(paths):
        tenant = tenants[i % 2]
        reuse = tenant == tenants[0] and b_ids and (i // 2) % round(1 / SHARED_IDS) == 0
        invoice_id = b_ids.pop() if reuse else str(uuid.uuid4())
        if tenant == tenants[1]:
            b_ids.append(invoice_id)
        ev = received_for_file(path, tenant, settings, invoice_id=invoice_id, source="chaos")
        out.append(Message(RECEIVED, invoice_id.encode(), encode(ev), tenant=tenant))
    return out


def _event(tenant: str, ref: DocumentRef) -> InvoiceReceived:
    invoice_id = str(uuid.uuid4())
    return InvoiceReceived(event_id=event_id_for("received", invoice_id, ref.sha256), invoice_id=invoice_id,
                           tenant_id=tenant, received_at=datetime.now(UTC), document=ref, source="chaos")


def _ref(uri: str, size: int = 1000, sha: str = "0" * 64) -> DocumentRef:
    return DocumentRef(uri=uri, sha256=sha, size=size, content_type="application/pdf")


def hostile(root: Path, tenant: str, valid_doc: Path, settings: Settings) -> list[Message]:
    """Records that must be dead-lettered, every worker staying alive (files are made under `root`)."""
    root.mkdir(parents=True, exist_ok=True)
    fifo, big, escape = root / "pipe.pdf", root / "big.pdf", root / "escape.pdf"
    for path in (fifo, escape):
        path.unlink(missing_ok=True)
    os.mkfifo(fifo)
    with big.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: takes no disk
    escape.symlink_to("/etc/passwd")
    refs = [
        _ref("file:///etc/shadow"), _ref("file:///proc/self/environ"), _ref("file:///dev/zero"),
        _ref(fifo.as_uri()), _ref(big.as_uri()), _ref(escape.as_uri()), _ref((root / "missing.pdf").as_uri()),
        _ref("https://not-allowed.invalid/invoice.pdf"), _ref("https://127.0.0.1:1/invoice.pdf"),
    ]
    out = [Message(RECEIVED, ev.invoice_id.encode(), encode(ev), tenant=tenant, valid=False)
           for ev in (_event(tenant, ref) for ref in refs)]
    out.append(Message(RECEIVED, b"not-json", b"{this is not json", tenant=tenant, valid=False))
    out.append(Message(RECEIVED, b"bad-schema", b'{"schema_version": 1, "invoice_id": 7}', tenant=tenant,
                       valid=False))
    far = f"{time.time() + 10 ** 9:.3f}".encode()
    for headers, topic in (
        (((ATTEMPT_HEADER, b"abc"),), RECEIVED),
        (((ATTEMPT_HEADER, b"-1"),), RECEIVED),
        (((NOT_BEFORE_HEADER, b"1e30"), (ATTEMPT_HEADER, b"1")), retry_topic("detect")),
        (((NOT_BEFORE_HEADER, far), (ATTEMPT_HEADER, b"1")), retry_topic("detect")),
        (((NOT_BEFORE_HEADER, b"nan"), (ATTEMPT_HEADER, b"1")), retry_topic("detect")),
    ):
        ev = received_for_file(valid_doc, tenant, settings, invoice_id=str(uuid.uuid4()), source="chaos")
        out.append(Message(topic, ev.invoice_id.encode(), encode(ev), headers, tenant=tenant, valid=False))
    return out


async def publish_unreadable(settings: Settings, count: int) -> int:
    """Records whose header key is not UTF-8 (aiokafka cannot even decode them), sent with kcat; how many."""
    if shutil.which("kcat") is None:
        return 0
    topic = topic_name(settings, RECEIVED)
    sent = 0
    for _ in range(count):
        proc = await asyncio.create_subprocess_exec(
            "kcat", "-P", "-b", settings.kafka_bootstrap, "-t", topic, "-k", "unreadable", "-H", "\udcff\udcfe=x",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.communicate(b"{}")
        sent += proc.returncode == 0
    return sent


class Upstream:
    """A producer that sends each message until Kafka acknowledges it, however long the broker is away."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.acked: list[Message] = []
        self._producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all",
                                          enable_idempotence=True, request_timeout_ms=10_000)

    async def __aenter__(self) -> Upstream:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(self, messages: Sequence[Message]) -> None:
        """Send `messages` (as a batch), each again until it is acknowledged."""
        todo = list(messages)
        while todo:
            futures = []
            for m in todo:
                try:
                    futures.append((m, await self._producer.send(
                        topic_name(self.settings, m.topic), m.value, key=m.key, headers=list(m.headers))))
                except KafkaError:
                    futures.append((m, None))
            failed = []
            for m, fut in futures:
                try:
                    if fut is None:
                        raise KafkaError("not queued")
                    await fut
                    self.acked.append(m)
                except KafkaError:
                    failed.append(m)
            todo = failed
            if todo:
                await asyncio.sleep(1.0)

    async def paced(self, messages: Sequence[Message], rate: float, chunk: int = 20) -> None:
        """Send at about `rate` messages per second, in chunks."""
        began = time.monotonic()
        for i in range(0, len(messages), chunk):
            await self.send(messages[i:i + chunk])
            ahead = (i + chunk) / rate - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)

