"""A raw aiokafka consume -> produce chain with no processing: the streaming ceiling of this machine.

Run as a child process (`python -m tools.bench._rawhop SPEC.json`), as many as the pipeline has workers.
Each process holds one consumer (one group, subscribed to every hop's input, as a Kafka worker holds one
consumer for all its stages) and one producer configured like the workers' (acks=all, the settings' linger
and batch size). For each record of hop i it produces, to hop i's output, a captured payload of the stage
that hop stands for (same sizes as the pipeline's real events), with the record's key and headers. Offsets
are committed every second after a producer flush, the same at-least-once contract the stage runner keeps.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.partitioning import kafka_partitioner

COMMIT_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class HopSpec:
    """What a raw hop process needs: where, which group, the topic chain and each hop's output payloads."""

    bootstrap: str
    group: str
    topics: tuple[str, ...]  # hop i reads topics[i] and writes topics[i + 1]
    payloads: tuple[tuple[bytes, ...], ...]  # payloads[i]: what hop i writes
    linger_ms: int
    max_batch_bytes: int

    def dump(self, path: Path) -> None:
        """Write the spec as JSON (payloads base64)."""
        path.write_bytes(orjson.dumps({
            "bootstrap": self.bootstrap, "group": self.group, "topics": list(self.topics),
            "payloads": [[base64.b64encode(p).decode() for p in hop] for hop in self.payloads],
            "linger_ms": self.linger_ms, "max_batch_bytes": self.max_batch_bytes,
        }))

    @classmethod
    def load(cls, path: Path) -> HopSpec:
        """Read a spec written by `dump`."""
        obj = orjson.loads(path.read_bytes())
        return cls(obj["bootstrap"], obj["group"], tuple(obj["topics"]),
                   tuple(tuple(base64.b64decode(p) for p in hop) for hop in obj["payloads"]),
                   int(obj["linger_ms"]), int(obj["max_batch_bytes"]))


async def run_hops(spec: HopSpec, stop: asyncio.Event) -> int:
    """Forward records along the chain until `stop`; returns how many records were forwarded."""
    consumer = AIOKafkaConsumer(*spec.topics[:-1], bootstrap_servers=spec.bootstrap, group_id=spec.group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=spec.bootstrap, linger_ms=spec.linger_ms,
                                max_batch_size=spec.max_batch_bytes, acks="all",
                                partitioner=kafka_partitioner)
    route = {spec.topics[i]: (spec.topics[i + 1], spec.payloads[i]) for i in range(len(spec.topics) - 1)}
    await consumer.start()
    await producer.start()
    forwarded, committed_at = 0, time.monotonic()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                out, payloads = route[tp.topic]
                for rec in records:
                    await producer.send(out, payloads[rec.offset % len(payloads)], key=rec.key,
                                        headers=list(rec.headers))
                forwarded += len(records)
            if time.monotonic() - committed_at >= COMMIT_INTERVAL_S:
                await producer.flush()
                await consumer.commit()
                committed_at = time.monotonic()
    finally:
        await producer.flush()
        with contextlib.suppress(KafkaError):  # best effort on the way out; the run is over
            await consumer.commit()
        await producer.stop()
        await consumer.stop()
    return forwarded


async def _main(path: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_hops(HopSpec.load(path), stop)


if __name__ == "__main__":
    asyncio.run(_main(Path(sys.argv[1])))
