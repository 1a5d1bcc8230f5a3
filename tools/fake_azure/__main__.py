"""Run the fake Document Intelligence resource as a process: for the CLI benchmark or manual tries."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from tools.fake_azure.server import FakeAzureDI, FakeConfig


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.fake_azure", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--rate", type=int, default=15, help="analyze requests per second per key")
    parser.add_argument("--get-rate", type=int, default=50, help="get-result requests per second per key")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds until an analysis succeeds")
    parser.add_argument("--key", action="append", help="accepted key (repeatable); default fake-key")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of calls answered 500/503/429")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    rates = {"analyze": args.fail_rate, "get": args.fail_rate} if args.fail_rate else {}
    config = FakeConfig(
        keys=tuple(args.key or ("fake-key",)),
        analyze_rps=args.rate,
        get_rps=args.get_rate,
        latency_s=args.latency,
        failure_rates=rates,
    )
    fake = FakeAzureDI(config)
    url = await fake.start(args.host, args.port)
    sys.stdout.write(f"fake Document Intelligence listening on {url}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse(argv)))


if __name__ == "__main__":
    main()
