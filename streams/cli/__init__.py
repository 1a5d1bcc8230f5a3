"""`invoiceflow`: the command line, a thin shell over the library.

Each command parses its arguments, builds `Settings`, calls one function and maps an `InvoiceflowError` to
exit code 1 with a one-line message. Run `invoiceflow COMMAND --help` for each command's options.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from streams.cli import commands
from streams.errors import InvoiceflowError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="invoiceflow", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in commands.REGISTRY:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `invoiceflow` script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # transient leader moves are retried, not news
    try:
        return int(args.func(args) or 0)
    except InvoiceflowError as exc:
        sys.stderr.write(f"invoiceflow: {exc.code}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
