"""Dead letters: list what the consumers could not apply, and replay one after a fix.

    python -m deploy.dlt list [--service S] [--kind K] [--key CODE] [--from-offset N] [--limit N] [--json]
    python -m deploy.dlt show --offset N [--partition P]
    python -m deploy.dlt replay --offset N [--partition P] [--body FILE]

`replay` publishes the dead letter's value (or a corrected body from FILE) back to its
original topic and partition, with its key, so it lands after that dossier's earlier
events. Every consumer is idempotent: those that applied the message before skip it,
those that rejected it apply it now if the fix made it applicable. Reads
KAFKA_BOOTSTRAP_SERVERS (default: the `make run` broker, 127.0.0.1:9092).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.settings import ToolSettings
from shared.events import DEAD_LETTER_TOPIC
from shared.kafka import client_options


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp: str
    key: str | None
    service: str
    kind: str
    reason: str
    original_topic: str
    original_partition: int
    original_offset: int
    replay_of: str | None
    size: int


def _decode(record) -> tuple[DeadLetter, bytes]:
    h = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    letter = DeadLetter(
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(timespec="seconds"),
        key=record.key.decode(errors="replace") if record.key is not None else None,
        service=h.get("dlt-service", "?"),
        kind=h.get("dlt-kind", "?"),
        reason=h.get("dlt-reason", ""),
        original_topic=h.get("dlt-original-topic", ""),
        original_partition=int(h.get("dlt-original-partition", -1)),
        original_offset=int(h.get("dlt-original-offset", -1)),
        replay_of=h.get("dlt-replay-of"),
        size=len(record.value or b""),
    )
    return letter, record.value or b""


async def read(
    bootstrap: str, *, from_offset: int = 0, partition: int | None = None, topic: str = DEAD_LETTER_TOPIC
) -> list[tuple[DeadLetter, bytes]]:
    """Every dead letter from `from_offset` to the end as it is now (no consumer group: reading commits nothing)."""
    parts = await _partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False, request_timeout_ms=15000)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in parts if partition is None or p == partition]
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        begins = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(from_offset, begins[tp]))
        out = []
        pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=1000)
            for tp, records in batch.items():
                out += [_decode(r) for r in records if r.offset < ends[tp]]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return sorted(out, key=lambda x: (x[0].partition, x[0].offset))
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    producer = AIOKafkaProducer(**client_options(bootstrap))  # its partitions_for() waits for the metadata
    await producer.start()
    try:
        return sorted(await producer.partitions_for(topic))
    finally:
        await producer.stop()


async def fetch(bootstrap: str, offset: int, partition: int = 0) -> tuple[DeadLetter, bytes]:
    found = [x for x in await read(bootstrap, from_offset=offset, partition=partition) if x[0].offset == offset]
    if not found:
        raise LookupError(f"no dead letter at {DEAD_LETTER_TOPIC}[{partition}]@{offset}")
    return found[0]


async def replay(bootstrap: str, offset: int, partition: int = 0, body: bytes | None = None) -> tuple[str, int, int]:
    """Publish the dead letter at `offset` (or `body` in its place) to its original topic and partition."""
    letter, value = await fetch(bootstrap, offset, partition)
    if not letter.original_topic or letter.original_partition < 0:
        raise LookupError(f"dead letter {partition}@{offset} has no original topic or partition in its headers")
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            letter.original_topic,
            body if body is not None else value,
            key=letter.key.encode() if letter.key is not None else None,
            partition=letter.original_partition,
            headers=[("dlt-replay-of", f"{partition}:{offset}".encode())],
        )
    finally:
        await producer.stop()
    return meta.topic, meta.partition, meta.offset


def _bootstrap() -> str:
    return ToolSettings().kafka_bootstrap or "127.0.0.1:9092"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.dlt", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list dead letters, oldest first")
    ls.add_argument("--service")
    ls.add_argument("--kind", choices=["bad_event", "rejected"])
    ls.add_argument("--key", help="dossier code")
    ls.add_argument("--from-offset", type=int, default=0)
    ls.add_argument("--limit", type=int, default=200, help="the last N that match (default 200)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    show = sub.add_parser("show", help="one dead letter with its value")
    rep = sub.add_parser("replay", help="publish one dead letter back to its original topic and partition")
    for p in (show, rep):
        p.add_argument("--offset", type=int, required=True)
        p.add_argument("--partition", type=int, default=0)
    rep.add_argument("--body", type=Path, help="publish this file's bytes instead of the original value")
    args = parser.parse_args(argv)
    bootstrap = _bootstrap()
    try:
        if args.command == "list":
            letters = [
                lt
                for lt, _ in asyncio.run(read(bootstrap, from_offset=args.from_offset))
                if (not args.service or lt.service == args.service)
                and (not args.kind or lt.kind == args.kind)
                and (not args.key or lt.key == args.key)
            ]
            for lt in letters[-args.limit :] if args.limit > 0 else letters:
                if args.json:
                    print(json.dumps(asdict(lt), ensure_ascii=False))
                else:
                    print(
                        f"{lt.partition}@{lt.offset}  {lt.timestamp}  {lt.service:<10} {lt.kind:<9} "
                        f"{lt.original_topic}[{lt.original_partition}]@{lt.original_offset}  key={lt.key}  "
                        f"{lt.reason[:160]}"
                    )
            print(f"{len(letters)} dead letter(s)", file=sys.stderr)
        elif args.command == "show":
            letter, value = asyncio.run(fetch(bootstrap, args.offset, args.partition))
            print(json.dumps({**asdict(letter), "value": value.decode(errors="replace")}, ensure_ascii=False, indent=2))
        else:
            body = args.body.read_bytes() if args.body else None
            topic, part, off = asyncio.run(replay(bootstrap, args.offset, args.partition, body))
            print(f"replayed {DEAD_LETTER_TOPIC}[{args.partition}]@{args.offset} to {topic}[{part}]@{off}")
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
