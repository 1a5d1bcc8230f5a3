"""Our partitioner puts every key where Kafka's own rule (murmur2, as aiokafka's default computes it) does."""

from __future__ import annotations

import random
import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference_murmur2

from streams.partitioning import kafka_partitioner, murmur2


def test_murmur2_matches_the_reference_on_every_length_and_byte() -> None:
    rng = random.Random(7)
    keys = [rng.randbytes(n) for n in range(0, 70) for _ in range(40)]
    keys += [bytes([b]) * n for b in (0, 0x7F, 0x80, 0xFF) for n in range(1, 9)]
    keys += [str(uuid.UUID(int=rng.getrandbits(128))).encode() for _ in range(500)]
    assert [murmur2(k) for k in keys] == [reference_murmur2(k) for k in keys]


def test_partitions_are_the_default_partitioners() -> None:
    rng = random.Random(8)
    for count in (1, 3, 8, 12, 100):
        parts = list(range(count))
        for _ in range(300):
            key = rng.randbytes(rng.randrange(1, 40))
            assert kafka_partitioner(key, parts, parts) == DefaultPartitioner()(key, parts, parts)


def test_no_key_goes_to_an_available_partition() -> None:
    assert {kafka_partitioner(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
    assert kafka_partitioner(None, [0, 1], []) in (0, 1)
